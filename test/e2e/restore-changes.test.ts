// Restore never discards unsaved work without asking (issue 23, point 1), in Chromium against web
// mode: the guest writes one 512-byte sector and shuts down; the Snapshots view says the current
// state changed and the restore dialog offers to take a snapshot first; taken, it holds the sector;
// right after the restore the view says nothing changed and the dialog asks nothing.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { cliIn, tempHome, waitUntil } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { fixtureGuest, GUEST_PROMPT, GUEST_READY } from '../fixtures/guest.node.js';
import { MainWindow, SnapshotsView } from './pages/index.js';

const shots = join(testOutputDir, 'e2e-restore');
/** What the guest writes into sector 7 of its disk. */
const MARK = 'HANGAR-ONE-SECTOR-MARK';

describe('restore asks before it discards', () => {
  const { home, cleanup } = tempHome('hangar-restore-e2e-');
  const guest = fixtureGuest();
  const { h, ok } = cliIn(home);
  let session: WebSession;
  let page: Page;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    await ok('create', '--name', 'sector', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0', '--disk', '8M', '--nic', 'none', '--memory', '128');
    await ok('snapshot', 'take', 'sector', '--name', 'clean');
    session = await startWebSession(home);
    page = session.page;
  });
  after(async () => {
    await session?.stop();
    await cleanup();
  });

  test('one written sector: the view says changed, and restore offers a snapshot that keeps it', async () => {
    await ok('start', 'sector', '--wait-serial', GUEST_READY, '--timeout', '300');
    await waitUntil('the shell', async () => ((await h('serial', 'sector')).stdout.includes(GUEST_PROMPT) ? true : undefined), 60_000);
    await ok('send', 'sector', `printf ${MARK} | dd of=/dev/vda bs=512 seek=7 count=1 conv=sync,fsync 2>/dev/null; sync; echo wrote-one`);
    await waitUntil('the write', async () => (/wrote-one\r?\n/.test((await h('serial', 'sector')).stdout) ? true : undefined), 60_000);
    await ok('stop', 'sector', '--force');

    const win = await MainWindow.open(page, session.url);
    await win.selectVm('sector');
    const view = await new SnapshotsView(page).open();
    await waitUntil('the view to say the current state changed', async () => ((await view.isChanged()) ? true : undefined), 30_000);
    const dialog = await view.openRestore('clean');
    await dialog.getByRole('checkbox', { name: 'Take a snapshot first' }).waitFor();
    assert.equal(await dialog.getByRole('checkbox', { name: 'Take a snapshot first' }).isChecked(), true, 'taking a snapshot first is the default');
    await page.screenshot({ path: join(shots, '01-restore-offers-a-snapshot.png') });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await view.restore('clean', { takeSnapshotFirst: true, snapshotName: 'with-the-sector' });
    await view.waitForNode('with-the-sector');

    // Right after the restore nothing has changed.
    assert.equal((await ok('snapshot', 'list', 'sector', '--json')).json.currentStateChanged, false, 'right after the restore nothing has changed');
    await waitUntil('the view to say nothing changed', async () => ((await view.isChanged()) ? undefined : true), 30_000);

    // Right after the restore the dialog asks nothing: there is nothing to lose.
    const again = await view.openRestore('clean');
    assert.equal(await again.getByRole('checkbox', { name: 'Take a snapshot first' }).count(), 0, 'no offer when nothing changed');
    await page.screenshot({ path: join(shots, '02-nothing-to-lose.png') });
    await again.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(session.problems, []);

    // The snapshot taken first holds the written sector: restored, the disk has it again.
    await ok('snapshot', 'restore', 'sector', 'with-the-sector');
    const top = (await ok('show', 'sector', '--json')).json.disks[0].path as string;
    const dump = execFileSync('qemu-io', ['-r', '-U', '-f', 'qcow2', '-c', 'read -v 3584 32', top], { encoding: 'utf8' });
    assert.match(dump, /HANGAR.ONE.SECTO/, 'qemu-io prints the mark (dashes shown as dots)');
  });
});

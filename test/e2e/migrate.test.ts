// The Migrate dialog (issue 20) in Chromium against web mode: a running VM's context menu opens it; a
// bad target is refused with the error on the field and nothing changed; a home:/PATH target migrates
// with the progress shown, the VM leaves the list and runs in the target home (seen through the CLI).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { cliIn, tempHome, waitUntil } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';
import { MainWindow, MigrateDialog, watchProgressBar } from './pages/index.js';

const shots = join(testOutputDir, 'e2e-migrate');
const VM = 'traveller';

describe('the Migrate dialog', () => {
  const source = tempHome('hangar-migrate-e2e-a-');
  const target = tempHome('hangar-migrate-e2e-b-');
  const guest = fixtureGuest();
  const a = cliIn(source.home);
  const b = cliIn(target.home);
  let session: WebSession;
  let page: Page;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    await a.ok('create', '--name', VM, '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0', '--disk', 'none', '--nic', 'none', '--memory', '128');
    await a.ok('start', VM, '--wait-serial', GUEST_READY, '--timeout', '300');
    session = await startWebSession(source.home);
    page = session.page;
  });
  after(async () => {
    await session?.stop();
    await b.h('shutdown', '--force').catch(() => undefined);
    await source.cleanup();
    await target.cleanup();
  });

  test('a bad target shows its error on the field; home:/PATH migrates with progress and the VM leaves the list', async () => {
    const win = await MainWindow.open(page, session.url);
    await win.waitForState(VM, 'Running');
    await win.contextMenu(VM);
    await win.vmMenuItem(VM, 'Migrate…').click();
    const dialog = await new MigrateDialog(page, VM).waitOpen();

    // Bad: not an absolute path. The owner's issue lands on the field, and nothing changes.
    await dialog.migrate('home:relative/home');
    assert.match(await dialog.targetError(), /absolute path/);
    await page.screenshot({ path: join(shots, '01-bad-target.png') });
    assert.deepEqual((await a.ok('list', '--json')).json.vms.map((v: { name: string; state: string }) => `${v.name}:${v.state}`), [`${VM}:running`]);

    // Good: another home on this machine (shared storage).
    const progress = await watchProgressBar(page, MigrateDialog.PROGRESS_LABEL);
    await dialog.migrate(`home:${target.home}`);
    // (a picture of the progress when it is caught: a 128 MiB guest moves in a few seconds)
    if (await dialog.root.getByRole('progressbar').isVisible()) await page.screenshot({ path: join(shots, '02-migrating.png') });
    await win.waitForVmGone(VM, 120_000);
    await dialog.root.waitFor({ state: 'detached' });
    const seen = await progress.seen();
    assert.ok(seen.bar, 'the progress bar was shown while it ran');
    await page.screenshot({ path: join(shots, '03-migrated.png') });
    assert.deepEqual((await a.ok('list', '--json')).json.vms, []);
    await waitUntil('the VM to run in the target home', async () => ((await b.ok('list', '--json')).json.vms.some((v: { name: string; state: string }) => v.name === VM && v.state === 'running') ? true : undefined), 30_000);
    assert.deepEqual(session.problems, []);
  });
});

// The Media view and the USB panel in Chromium against web mode (issue 21, points 3 and 6): the view
// lists every image with its role, sizes, chain and users, as `hangar media list` does; "Only unused"
// leaves the stray image alone; Resize… refuses a shrink on its field and grows the disk; Compact runs
// as a task. The USB panel of a VM's details attaches an image as a stick and detaches it, and says
// this computer has no USB devices. No guest boots. Screenshots go to test-output/e2e-media/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { cliIn } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { MainWindow, MediaDialog, waitUntil } from './pages/index.js';

const shots = join(testOutputDir, 'e2e-media');
const M = 1024 * 1024;

describe('the Media view and the USB panel', () => {
  const home = mkdtempSync(join(tmpdir(), 'hangar-e2e-media-'));
  const { h, ok } = cliIn(home);
  const stick = join(home, '..', `hangar-e2e-stick-${process.pid}.img`);
  let session: WebSession;
  let page: Page;
  let win: MainWindow;
  let disk = '';
  let step = 0;
  const shot = async (name: string) => {
    step++;
    await page.screenshot({ path: join(shots, `${String(step).padStart(2, '0')}-${name}.png`) });
  };

  before(async () => {
    mkdirSync(shots, { recursive: true });
    await ok('create', '--name', 'web', '--disk', '32M', '--nic', 'none', '--memory', '128');
    await ok('snapshot', 'take', 'web', '--name', 'installed');
    await ok('create', '--name', 'db', '--disk', '16M', '--nic', 'none', '--memory', '128');
    disk = (await ok('show', 'web', '--json')).json.disks[0].path as string;
    // A stray image in a VM's folder that nothing uses.
    copyFileSync((await ok('show', 'db', '--json')).json.disks[0].path, join(dirname(disk), 'old-copy.qcow2'));
    writeFileSync(stick, Buffer.alloc(4 * M));
    session = await startWebSession(home);
    page = session.page;
    win = await MainWindow.open(page, session.url);
  });
  after(async () => {
    await session?.stop();
    await h('shutdown', '--force').catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
    rmSync(stick, { force: true });
  });

  test('the list, the unused filter, resize with its refusal, compact', async () => {
    const media = await MediaDialog.open(page);
    const top = disk.slice(disk.lastIndexOf('/') + 1);
    await media.row(top).waitFor();
    assert.match(await media.row(top).innerText(), /VM disk\s+qcow2\s+32 MiB\s+.*\s+on 1 image\s+web \(disk0\)/);
    assert.match(await media.row('disk0.qcow2').first().innerText(), /Snapshot|VM disk/);
    assert.match(await media.row('old-copy.qcow2').innerText(), /Other\s+qcow2\s+16 MiB.*unused/);
    await shot('media-list');

    await media.unusedSwitch.check();
    await waitUntil(() => media.table.getByRole('row').count(), (n) => n === 2, 'only the unused image');
    await media.row('old-copy.qcow2').waitFor();
    await shot('media-unused');
    await media.unusedSwitch.uncheck();

    await media.row(top).getByRole('button', { name: 'Resize…' }).click();
    const resize = media.resizeDialog;
    await resize.waitFor();
    assert.match(await resize.innerText(), /Snapshot “installed” keeps its size, and restoring one brings that size back/);
    const field = resize.getByRole('textbox', { name: 'New size' });
    await field.fill('8M');
    await waitUntil(() => resize.innerText(), (t) => /disks only grow/.test(t), 'the shrink refused on the field');
    assert.equal(await resize.getByRole('button', { name: 'Resize', exact: true }).isDisabled(), true);
    await shot('resize-refused');
    await field.fill('+16M');
    await resize.getByRole('button', { name: 'Resize', exact: true }).click();
    await resize.getByRole('status').waitFor();
    assert.match(await resize.getByRole('status').innerText(), /disk0 is now 48 MiB/);
    await shot('resize-done');
    await resize.getByRole('button', { name: 'Close' }).click();
    assert.equal((await ok('show', 'web', '--json')).json.disks[0].virtualSizeBytes, 48 * M);

    await media.row(top).getByRole('button', { name: 'Compact' }).click();
    await media.notice.waitFor();
    assert.match(await media.notice.innerText(), /disk0 of “web” compacted/);
    await shot('compacted');
    const tasks = (await ok('tasks', '--json')).json as { tasks: { kind: string; state: string }[] };
    assert.deepEqual(tasks.tasks.filter((t) => t.kind.startsWith('disk.')).map((t) => [t.kind, t.state]), [['disk.compact', 'succeeded'], ['disk.resize', 'succeeded']]);
    await media.close();
  });

  test("the USB panel attaches an image as a stick and detaches it; the host's devices", async () => {
    await win.selectVm('db');
    await win.showDetails();
    const usb = win.detailsSection('USB');
    await usb.scrollIntoViewIfNeeded();
    assert.match(await usb.innerText(), /No USB devices/);
    assert.match(await usb.innerText(), /This computer has no USB devices to pass through/);
    await usb.getByRole('textbox', { name: 'Disk image as a USB stick' }).fill(stick);
    await usb.getByRole('button', { name: 'Attach image' }).click();
    await usb.getByRole('status').waitFor();
    assert.match(await usb.getByRole('status').innerText(), /usb0 attached/);
    await waitUntil(() => usb.innerText(), (t) => /usb0\s+.*USB stick, raw/.test(t), 'the stick in the list');
    assert.deepEqual((await ok('show', 'db', '--json')).json.usb, [{ id: 'usb0', kind: 'storage', path: stick, format: 'raw' }]);
    await shot('usb-attached');
    await usb.getByRole('button', { name: 'Detach usb0' }).click();
    await waitUntil(() => usb.innerText(), (t) => /No USB devices/.test(t), 'the stick gone');
    assert.deepEqual((await ok('show', 'db', '--json')).json.usb, []);
    assert.deepEqual(session.problems, []);
  });
});

// The interface's journeys in Debian's Chromium against the real web mode (`hangar serve`), a real
// owner and real QEMU guests. Screenshots of each step go to test-output/e2e/.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { runCli, tempHome, waitUntil } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';
import { MainWindow, SnapshotsView, CloneWizard, ClonesSection } from './pages/index.js';

const shots = join(testOutputDir, 'e2e');

describe('the interface in Chromium against web mode', () => {
  const { home, cleanup } = tempHome();
  const guest = fixtureGuest();
  let session: WebSession;
  let url: string;
  let page: Page;
  let win: MainWindow;
  let step = 0;
  const shot = async (name: string) => {
    step++;
    await page.screenshot({ path: join(shots, `${String(step).padStart(2, '0')}-${name}.png`) });
  };
  const cli = (...args: string[]) => runCli(home, args);

  before(async () => {
    mkdirSync(shots, { recursive: true });
    session = await startWebSession(home);
    ({ url, page } = session);
    win = await MainWindow.open(page, url);
  });

  after(async () => {
    await session?.stop();
    await cleanup();
  });

  test('invalid wizard input shows the error and creates nothing', async () => {
    await shot('empty');
    const wizard = await win.openNewVmWizard();
    await wizard.nameField.fill('a/b');
    assert.match((await wizard.error(wizard.nameField)) ?? '', /must not contain '\/'/);
    await wizard.nameField.fill('');
    await wizard.nameField.blur();
    assert.match((await wizard.error(wizard.nameField)) ?? '', /must not be empty/);
    await shot('wizard-invalid-name');
    await wizard.nameField.fill('ok-name');
    await wizard.next();
    await wizard.step('Installation media').waitFor();
    await wizard.next();
    await wizard.step('Memory and CPUs').waitFor();
    await wizard.memoryField.fill('1');
    await wizard.memoryField.blur();
    assert.match((await wizard.error(wizard.memoryField)) ?? '', /16/);
    await shot('wizard-invalid-memory');
    await wizard.next();
    assert.equal(await wizard.currentStep(), 'Memory and CPUs', 'an invalid step cannot advance');
    await wizard.cancel();
    assert.deepEqual((await cli('list', '--json')).json.vms, []);
  });

  test('the New VM wizard creates a VM from the fixture ISO', async () => {
    const wizard = await win.openNewVmWizard();
    await wizard.fill({ name: 'web-vm', iso: guest.iso, memoryMiB: 256, cpus: 1, disk: { sizeText: '1G' } });
    await shot('wizard-summary');
    await wizard.create();
    await win.waitForVm('web-vm');
    await win.selectVm('web-vm');
    assert.equal(await win.vmState('web-vm'), 'Stopped');
    await shot('vm-created');
    const shown = (await cli('show', 'web-vm', '--json')).json;
    assert.equal(shown.memoryMiB, 256);
    assert.equal(shown.opticals[0].path, guest.iso);
    assert.equal(shown.disks[0].virtualSizeBytes, 2 ** 30);
  });

  test('start, see the marker in the console, type a command, see the display, stop', async () => {
    await win.selectVm('web-vm');
    await win.start();
    await win.waitForState('web-vm', 'Running');
    const consoleView = await win.openConsole();
    await consoleView.waitForText(GUEST_READY, 120_000);
    await consoleView.run('echo web-$((6*7))');
    await consoleView.waitForText('web-42', 30_000);
    await shot('console');

    const display = await win.openDisplay();
    await display.waitConnected(30_000);
    const distinctColours = await waitUntil(
      'a non-blank screen',
      async () => {
        const n = await display.canvas.evaluate((el) => {
          // (runs in the page: a canvas element)
          const c = el as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
          const ctx = c.getContext('2d');
          if (!ctx || c.width === 0) return 0;
          const data = ctx.getImageData(0, 0, c.width, c.height).data;
          const colours = new Set<number>();
          for (let i = 0; i < data.length; i += 4 * 97) colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
          return colours.size;
        });
        return n > 1 ? n : undefined;
      },
      30_000,
    );
    assert.ok(distinctColours > 1);
    await shot('display');

    await win.stop();
    await win.waitForState('web-vm', 'Stopped', 60_000);
    await shot('stopped');
    assert.equal((await cli('show', 'web-vm', '--json')).json.state, 'stopped');
  });

  test('the settings dialog changes memory, and the change persists after a reload', async () => {
    await win.selectVm('web-vm');
    const settings = await win.openSettings();
    await settings.tab('System');
    await settings.memoryField.fill('512');
    await shot('settings');
    await settings.save();
    await page.reload();
    win = new MainWindow(page);
    await win.waitReady();
    await win.selectVm('web-vm');
    await win.showDetails();
    const details = win.detailsSection('System');
    await waitUntil('512 MiB in the details', async () => ((await details.innerText()).includes('512 MiB') ? true : undefined));
    await shot('settings-persisted');
    assert.equal((await cli('show', 'web-vm', '--json')).json.memoryMiB, 512);
  });

  test('the Snapshots view takes, restores and deletes snapshots', async () => {
    await win.selectVm('web-vm');
    const view = await new SnapshotsView(page).open();
    await view.take('clean install', 'fresh from the wizard');
    await view.waitForNode('clean install');
    await view.take('before upgrade');
    await view.waitForNode('before upgrade');
    assert.equal(await view.isCurrent('before upgrade'), true);
    await shot('snapshots-two');
    await view.restore('clean install', { takeSnapshotFirst: false });
    await view.waitForCurrent('clean install');
    assert.equal((await cli('snapshot', 'list', 'web-vm', '--json')).json.currentSnapshotId, (await cli('snapshot', 'list', 'web-vm', '--json')).json.snapshots[0].id);
    await shot('snapshots-restored');
    await view.openDelete('before upgrade');
    const figures = await view.deleteFigures();
    assert.ok(Object.keys(figures).length > 0, 'the delete dialog shows what the merge costs');
    await shot('snapshots-delete-dialog');
    await page.keyboard.press('Escape');
    await view.delete('before upgrade');
    await view.waitForNodeGone('before upgrade');
    assert.deepEqual(await view.names(), ['clean install']);
    assert.deepEqual((await cli('snapshot', 'list', 'web-vm', '--json')).json.snapshots.map((x: { name: string }) => x.name), ['clean install']);
    await shot('snapshots-deleted');
  });

  test('the clone wizard makes a linked clone from a snapshot and a full clone from the toolbar', async () => {
    await win.selectVm('web-vm');
    await new SnapshotsView(page).open();
    const fromSnap = await new CloneWizard(page).openFromSnapshot('clean install');
    await fromSnap.fill({ name: 'web-linked', type: 'Linked', mac: 'new' });
    await shot('clone-wizard-summary');
    await fromSnap.create();
    await win.waitForVm('web-linked');
    const linked = (await cli('show', 'web-linked', '--json')).json;
    assert.deepEqual([linked.linkedTo?.vmName, linked.linkedTo?.snapshotName], ['web-vm', 'clean install']);
    assert.notEqual(linked.nics[0].mac, (await cli('show', 'web-vm', '--json')).json.nics[0].mac);
    await win.selectVm('web-linked');
    await win.showDetails();
    const clones = new ClonesSection(page);
    assert.match((await clones.linkedTo()) ?? '', /web-vm/);
    await shot('clone-linked-details');

    await win.selectVm('web-vm');
    const full = await new CloneWizard(page).open();
    await full.fill({ name: 'web-full', type: 'Full', source: 'Current state' });
    await full.create({ timeoutMs: 120_000 });
    await win.waitForVm('web-full');
    const shown = (await cli('show', 'web-full', '--json')).json;
    assert.equal(shown.disks[0].chain.length, 1, 'a full clone stands alone');
    await shot('clone-full-created');
    // The source cannot be deleted while its linked clone exists (the API's words reach the page).
    assert.equal((await cli('delete', 'web-vm')).code, 1);
  });

  test('the tasks panel lists the operations', async () => {
    const tasks = await win.openTasks();
    const labels = await tasks.labels();
    assert.ok(labels.some((l) => /create/i.test(l)), labels.join(', '));
    await shot('tasks');
    await tasks.close();
  });
});

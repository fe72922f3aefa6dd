// Importing an appliance through the interface in Debian's Chromium against the real web mode
// (`hangar serve`): the `#import=` link and the toolbar's file dialog, the review with its edits,
// progress, the new VM selected, started, and booting to the fixture guest's marker.
// Screenshots of each step go to test-output/e2e/import-*.png.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { GUEST_READY } from '../fixtures/guest.node.js';
import { buildAppliance, type BuiltAppliance } from '../fixtures/appliances.node.js';
import { importHash } from '../../src-renderer/appliances/importReview.js';
import { MainWindow, waitUntil as poll, watchProgressBar } from './pages/index.js';
import { ImportDialog } from './pages/ImportDialog.js';

const shots = join(testOutputDir, 'e2e');
const NAME = 'e2e appliance';

describe('importing an appliance in Chromium against web mode', () => {
  const { home, cleanup } = tempHome();
  const work = mkdtempSync(join(tmpdir(), 'hangar-e2e-import-'));
  let appliance: BuiltAppliance;
  let session: WebSession;
  let url: string;
  let page: Page;
  let win: MainWindow;
  let problems: string[] = [];
  let step = 0;
  const shot = async (name: string) => {
    step++;
    // Let fades and ripples end, so the picture shows the settled interface.
    await page.evaluate('Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)))');
    await page.screenshot({ path: join(shots, `import-${String(step).padStart(2, '0')}-${name}.png`) });
  };
  const cli = (...args: string[]) => runCli(home, args);
  /** Scrolls the dialog's content so that `y` pixels of it are above the visible part. */
  const scrollDialog = (d: ImportDialog, y: number) => d.root.locator('.MuiDialogContent-root').evaluate((el, top) => el.scrollTo({ top }), y);

  before(async () => {
    mkdirSync(shots, { recursive: true });
    for (const f of readdirSync(shots)) if (/^import-\d+-.*\.png$/.test(f)) rmSync(join(shots, f));
    appliance = buildAppliance('virtualbox', join(work, 'appliance'), { digestAlgorithm: 'sha256', name: NAME });
    session = await startWebSession(home);
    ({ url, page, problems } = session);
  });

  after(async () => {
    await session?.stop();
    await cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  test('the #import= link opens the review; an edited import boots to the marker', async () => {
    // (MainWindow.open would wait for the VM list, which the open dialog hides from the accessibility tree)
    await page.goto(url + importHash(appliance.path));
    win = new MainWindow(page);
    const dialog = await new ImportDialog(page).waitOpen(60_000);
    await dialog.waitForReview();
    assert.equal(await page.evaluate('window.location.hash'), '', 'the link opens the dialog once');

    // What the review says about the package and the machine.
    assert.equal(await dialog.nameField.inputValue(), NAME);
    assert.equal(await dialog.memoryField.inputValue(), '256');
    assert.equal(await dialog.cpusField.inputValue(), '1');
    const rows = await dialog.applianceRows();
    assert.equal(rows.File, appliance.path);
    assert.match(rows.Format ?? '', /OVA archive, OVF 1\.x/);
    assert.match(await dialog.manifest(), /2 files, SHA-256/);
    assert.match(await dialog.signature(), /^Not signed/);
    assert.match(rows['Target folder'] ?? '', new RegExp(`^${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const disks = await dialog.diskRows();
    assert.equal(disks.length, 1);
    assert.equal(disks[0]!.included, true);
    assert.match(disks[0]!.source, /e2e_appliance-disk001\.vmdk/);
    assert.equal(disks[0]!.capacity, '64 MiB');
    const nics = await dialog.nicRows();
    assert.deepEqual(
      nics.map((n) => [n.included, n.sourceModel]),
      [[true, 'E1000']],
    );
    assert.equal(await dialog.macPolicy('new').isChecked(), true);
    const warnings = await dialog.warnings();
    assert.ok(warnings.some((w) => /sound card/i.test(w)), `warnings: ${warnings.join(' | ')}`);
    assert.equal(await dialog.importButton.isEnabled(), true);
    await shot('review');
    await scrollDialog(dialog, 10_000);
    await shot('review-bottom');
    await scrollDialog(dialog, 0);

    // Invalid memory is refused in the dialog, in the API's words; 320 MiB is fine.
    await dialog.memoryField.fill('8');
    assert.equal(await dialog.error(dialog.memoryField), 'memory must be at least 16 MiB');
    assert.equal(await dialog.importButton.isEnabled(), false);
    await dialog.memoryField.fill('320');
    assert.equal(await dialog.error(dialog.memoryField), null);
    await shot('review-edited');

    // Watch for the progress bar from the start: the fixture's disk converts in about a second.
    const progress = await watchProgressBar(page, 'Importing the appliance');
    await dialog.import({ waitForClose: false });
    if (await dialog.progress.isVisible()) await shot('import-progress');
    await dialog.root.waitFor({ state: 'detached', timeout: 300_000 }).catch(async () => {
      throw new Error(`the import did not finish: ${(await dialog.importError()) ?? 'no error shown'}`);
    });
    const seen = await progress.seen();
    assert.equal(seen.bar, true, 'a progress bar was shown while importing');
    assert.ok(seen.messages.length > 0, 'the progress bar had a message');

    // The new VM is in the list and selected.
    await win.waitForVm(NAME);
    await poll(() => win.selectedVm(), (s) => s === NAME, 'the imported VM to be selected');
    await page.getByRole('heading', { level: 2, name: NAME, exact: true }).waitFor();
    await shot('imported-selected');
    const shown = (await cli('show', NAME, '--json')).json;
    assert.equal(shown.memoryMiB, 320);
    assert.equal(shown.disks.length, 1);
    assert.equal(shown.nics.length, 1);

    // Start it from the interface; the guest boots from the imported disk to its marker.
    await win.start();
    await win.waitForState(NAME, 'Running');
    await poll(
      async () => (await cli('serial', NAME)).stdout,
      (log) => log.includes(GUEST_READY),
      `'${GUEST_READY}' on the serial console of '${NAME}'`,
      300_000,
    );
    const consoleView = await win.openConsole();
    await consoleView.waitForText(GUEST_READY, 60_000);
    await shot('imported-booted');
    await win.powerOff();
    await win.waitForState(NAME, 'Stopped', 60_000);
    assert.equal((await cli('show', NAME, '--json')).json.memoryMiB, 320);
  });

  test('the toolbar and the file dialog: a second import gets a free name, the network card left out', async () => {
    const dialog = await ImportDialog.openFromToolbar(page);
    await shot('file-step');
    assert.equal(await dialog.importButton.count(), 0);
    const files = await dialog.browse();
    await files.goTo(appliance.dir);
    const names = await files.entryNames();
    assert.ok(names.includes('e2e_appliance.ova'), `the file dialog lists appliances: ${names.join(', ')}`);
    assert.ok(names.includes('e2e_appliance.ovf'));
    assert.ok(!names.includes('e2e_appliance-disk001.vmdk'), 'disks are not appliances');
    await shot('file-dialog');
    await files.choose(appliance.path);
    assert.equal(await dialog.fileField.inputValue(), appliance.path);
    await dialog.next();
    await dialog.waitForReview();

    // The name is taken: the review offers the next free one and says so.
    assert.equal(await dialog.nameField.inputValue(), `${NAME} (2)`);
    assert.ok((await dialog.machineWarnings()).some((w) => w.includes(`A VM named '${NAME}' exists already`)));
    await dialog.nameField.fill(NAME);
    assert.equal(await dialog.error(dialog.nameField), `a VM named '${NAME}' already exists`);
    await dialog.nameField.fill('');
    assert.equal(await dialog.error(dialog.nameField), 'name must not be empty');
    assert.equal(await dialog.importButton.isEnabled(), false);
    assert.equal(await dialog.blockReason(), 'Correct the marked settings to import.');
    await shot('review-invalid');
    await dialog.nameField.fill('e2e second');
    await dialog.includeNic(1).uncheck();
    await dialog.macPolicy('keep').check();
    assert.equal(await dialog.nicModel(1).isDisabled(), true);
    await dialog.import();
    await win.waitForVm('e2e second');
    await poll(() => win.selectedVm(), (s) => s === 'e2e second', 'the second VM to be selected');
    const shown = (await cli('show', 'e2e second', '--json')).json;
    assert.equal(shown.nics.length, 0);
    assert.equal(shown.memoryMiB, 256);
  });

  test('a file that is no appliance shows the owner error in the dialog', async () => {
    const bogus = join(work, 'not-really.ova');
    writeFileSync(bogus, 'this is not a tar archive\n'.repeat(100));
    // A changed #import= opens the dialog in a page that is already open.
    await page.evaluate(`window.location.hash = ${JSON.stringify(importHash(bogus))}`);
    const dialog = await new ImportDialog(page).waitOpen();
    const message = await dialog.waitForReviewError();
    assert.match(message, /cannot be imported/);
    assert.ok(message.length > 'This appliance cannot be imported'.length + 5, `the owner's reason is shown: ${message}`);
    await shot('review-error');
    await dialog.back();
    await dialog.step('Appliance to import').waitFor();
    assert.equal(await dialog.fileField.inputValue(), bogus);
    await dialog.cancel();
    assert.deepEqual(
      (await cli('list', '--json')).json.vms.map((v: { name: string }) => v.name).sort(),
      [NAME, 'e2e second'],
    );
    assert.deepEqual(problems, []);
  });
});

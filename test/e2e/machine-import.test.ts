// Opening a VirtualBox machine (.vbox) in the Import dialog, in Debian's Chromium against the real
// web mode: the `#import=` link (what `hangar open FILE.vbox` opens) reviews the machine read in
// place, with its current state's disk and the snapshot warning; the import registers it with one
// qcow2. Screenshots go to test-output/e2e/machine-import-*.png.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { buildVboxMachine, type BuiltMachine } from '../fixtures/machines.node.js';
import { importHash } from '../../src-renderer/appliances/importReview.js';
import { MainWindow } from './pages/index.js';
import { ImportDialog } from './pages/ImportDialog.js';

const shots = join(testOutputDir, 'e2e');

describe('reviewing and importing a VirtualBox machine in Chromium against web mode', () => {
  const { home, cleanup } = tempHome();
  const work = mkdtempSync(join(tmpdir(), 'hangar-e2e-machine-'));
  let machine: BuiltMachine;
  let session: WebSession;
  let page: Page;
  let step = 0;
  const shot = async (name: string) => {
    step++;
    await page.evaluate('Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)))');
    await page.screenshot({ path: join(shots, `machine-import-${String(step).padStart(2, '0')}-${name}.png`) });
  };

  before(async () => {
    mkdirSync(shots, { recursive: true });
    for (const f of readdirSync(shots)) if (/^machine-import-\d+-.*\.png$/.test(f)) rmSync(join(shots, f));
    machine = buildVboxMachine(work, 'Lab VM', 'marker');
    session = await startWebSession(home);
    page = session.page;
  });

  after(async () => {
    await session?.stop();
    await cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  test('the review shows the machine, its current-state disk and the snapshot warning; Import registers it', async () => {
    await page.goto(session.url + importHash(machine.path));
    const win = new MainWindow(page);
    const dialog = await new ImportDialog(page).waitOpen(60_000);
    await dialog.waitForReview();

    const rows = await dialog.applianceRows();
    assert.equal(rows.File, machine.path);
    assert.match(rows.Format ?? '', /^VirtualBox machine \(Lab VM\.vbox\), read in place/);
    assert.equal(rows.Manifest, undefined, 'a machine has no manifest to show');
    assert.equal(await dialog.nameField.inputValue(), 'Lab VM');
    assert.equal(await dialog.memoryField.inputValue(), '256');
    const disks = await dialog.diskRows();
    assert.equal(disks.length, 1);
    assert.equal(disks[0]!.disk, 'SATA, port 0');
    assert.match(disks[0]!.source, /Snapshots\/\{[0-9a-f-]{36}\}\.vdi/);
    assert.equal(disks[0]!.capacity, '64 MiB');
    const nics = await dialog.nicRows();
    assert.deepEqual(
      nics.map((n) => n.sourceModel),
      ['82540EM'],
    );
    const warnings = await dialog.warnings();
    assert.ok(
      warnings.some((w) => /snapshot in VirtualBox \('before the marker'\).*flattened/.test(w)),
      warnings.join(' | '),
    );
    await shot('review');
    await dialog.root.locator('.MuiDialogContent-root').evaluate((el) => el.scrollTo({ top: 10_000 }));
    await shot('review-warnings');

    await dialog.import({ waitForClose: false });
    await dialog.root.waitFor({ state: 'detached', timeout: 300_000 }).catch(async () => {
      throw new Error(`the import did not finish: ${(await dialog.importError()) ?? 'no error shown'}`);
    });
    await win.waitForVm('Lab VM');
    await shot('imported');
    const shown = (await runCli(home, ['show', 'Lab VM', '--json'])).json;
    assert.equal(shown.disks.length, 1);
    assert.deepEqual(shown.disks[0].chain, [shown.disks[0].path]);
    assert.deepEqual(session.problems, []);
  });
});

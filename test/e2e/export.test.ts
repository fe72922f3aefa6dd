// Exporting an appliance through the interface in Debian's Chromium against the real web mode
// (`hangar serve`): the toolbar's Export, the VMs, format and file (VMware profile, SHA-1), the
// appliance information, progress and the summary; the archive's layout, `hangar import` reading it
// back and the imported copy booting to the fixture guest's marker; and the owner's refusal to
// overwrite a file. Screenshots of each step go to test-output/e2e/export-*.png.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';
import { MainWindow, watchProgressBar } from './pages/index.js';
import { ExportDialog } from './pages/ExportDialog.js';

const shots = join(testOutputDir, 'e2e');
const NAME = 'e2e-export';

/** The member names of a tar archive, in order. */
function tarList(file: string): string[] {
  const r = spawnSync('tar', ['tf', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tar tf ${file}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

/** One member of a tar archive as text. */
function tarRead(file: string, member: string): string {
  const r = spawnSync('tar', ['xOf', file, member], { encoding: 'utf8', maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, `tar xOf ${file} ${member}: ${r.stderr}`);
  return r.stdout;
}

describe('exporting an appliance in Chromium against web mode', () => {
  const { home, cleanup } = tempHome();
  const work = mkdtempSync(join(tmpdir(), 'hangar-e2e-export-'));
  const target = join(work, 'e2e.ova');
  let session: WebSession;
  let page: Page;
  let win: MainWindow;
  let problems: string[] = [];
  let step = 0;
  const shot = async (name: string) => {
    step++;
    // Let fades and ripples end, so the picture shows the settled interface.
    await page.evaluate('Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)))');
    await page.screenshot({ path: join(shots, `export-${String(step).padStart(2, '0')}-${name}.png`) });
  };
  const cli = (...args: string[]) => runCli(home, args);
  const ok = async (...args: string[]) => {
    const r = await cli(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };

  before(async () => {
    mkdirSync(shots, { recursive: true });
    for (const f of readdirSync(shots)) if (/^export-\d+-.*\.png$/.test(f)) rmSync(join(shots, f));
    const disk = join(home, 'e2e-export-source.qcow2');
    copyFileSync(fixtureGuest().disk, disk);
    await ok('create', '--name', NAME, '--disk-image', disk, '--memory', '192', '--nic', 'e1000');
    session = await startWebSession(home);
    ({ page, problems } = session);
    win = await MainWindow.open(page, session.url);
    await win.waitForVm(NAME);
    await win.selectVm(NAME);
  });

  after(async () => {
    await session?.stop();
    await cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  test('the toolbar exports a VMware appliance with SHA-1 that imports back and boots', async () => {
    assert.equal(await ExportDialog.toolbarButton(page).isEnabled(), true);
    const dialog = await ExportDialog.openFromToolbar(page);
    assert.deepEqual(await dialog.chosenVms(), [NAME], 'the current VM is ticked');
    assert.deepEqual(await dialog.machineNotes(), [], 'a stopped VM needs no note');
    await shot('machines');

    // At least one VM.
    await dialog.vm(NAME).uncheck();
    await dialog.next();
    assert.equal(await dialog.vmsError(), 'choose at least one virtual machine to export');
    assert.equal(await dialog.currentStep(), 'Virtual machines');
    await dialog.vm(NAME).check();
    assert.equal(await dialog.vmsError(), null);
    await dialog.next();

    // The file: in the user's Documents or home (no export yet; never Hangar's data folder), named
    // after the VM; the format follows it.
    await dialog.step('Format and file').waitFor();
    const userFolder = existsSync(join(homedir(), 'Documents')) ? join(homedir(), 'Documents') : homedir();
    assert.equal(await dialog.fileField.inputValue(), join(userFolder, `${NAME}.ova`));
    assert.equal(await dialog.chosenFormat(), 'ova');
    await dialog.format('ovf').click();
    assert.equal(await dialog.fileField.inputValue(), join(userFolder, `${NAME}.ovf`));
    assert.equal(await dialog.chosenFormat(), 'ovf');
    await dialog.fileField.fill('out.ova');
    await dialog.next();
    assert.equal(await dialog.fileError(), 'must be an absolute path');
    await dialog.fileField.fill(join(work, 'e2e.zip'));
    assert.equal(await dialog.chosenFormat(), null);
    assert.match((await dialog.fileError()) ?? '', /must end in \.ova .* or \.ovf/);
    await dialog.format('ova').click();
    assert.equal(await dialog.fileField.inputValue(), join(work, 'e2e.zip.ova'), 'the toggle fixes the extension');
    await dialog.fileField.fill(target);
    assert.equal(await dialog.fileError(), null);
    assert.equal(await dialog.chosenFormat(), 'ova');

    // VMware, SHA-1; the profile's notes and the manifest's hint are shown.
    const kvmNotes = await dialog.profileNotes();
    await dialog.chooseProfile('VMware (vSphere, Workstation)');
    const vmwareNotes = await dialog.profileNotes();
    assert.ok(vmwareNotes.length > 0, 'the VMware profile has notes');
    assert.notDeepEqual(vmwareNotes, kvmNotes, 'the notes follow the profile');
    assert.equal(await dialog.manifestHint(), 'The usual choice');
    await dialog.chooseManifest('SHA-1');
    assert.equal(await dialog.manifestHint(), 'SHA-1 for vSphere 6.0 and older');
    assert.match((await dialog.ovfVersionField.innerText()).trim(), /^OVF 1\.0$/);
    await shot('format');
    await dialog.next();

    // The appliance information.
    await dialog.step('Appliance information').waitFor();
    await dialog.fillAppliance({ Product: 'Hangar e2e', Version: '1.2', Vendor: 'Hangar tests', 'Product URL': 'https://example.org/hangar', License: 'Use it for tests only.\nNo warranty.' });
    await shot('appliance');

    // Watch for the progress bar from the start: the fixture's disk converts in a few seconds.
    const progress = await watchProgressBar(page, 'Exporting the appliance');
    await dialog.export();
    if (await dialog.progress.isVisible()) await shot('progress');
    const summary = await dialog.waitForSummary();
    await shot('summary');
    const seen = await progress.seen();
    assert.equal(seen.bar, true, 'a progress bar was shown while exporting');
    assert.ok(seen.messages.length > 0, 'the progress bar had a message');
    assert.equal(summary.File, target);
    assert.equal(summary.Manifest, 'SHA-1');
    assert.equal(summary.Format, 'OVA archive, OVF 1.0, VMware (vSphere, Workstation) profile');
    assert.equal(summary.Machine, NAME);
    assert.match(summary.Size ?? '', /^\d+(\.\d+)? (KiB|MiB)$/);
    // The fixture VM's disk is VirtIO, which VMware lacks: the writer says where it went.
    const warnings = await dialog.warnings();
    assert.ok(warnings.some((w) => /VirtIO.*SATA controller/.test(w)), `warnings: ${warnings.join(' | ')}`);
    await dialog.close();

    // The archive: descriptor first, manifest second, then the disk; SHA-1 digests; the information.
    assert.ok(existsSync(target) && statSync(target).size > 0, `${target} was written`);
    assert.deepEqual(readdirSync(work), ['e2e.ova'], 'nothing else is left beside it');
    const members = tarList(target);
    assert.equal(members.length, 3, `members: ${members.join(', ')}`);
    assert.equal(members[0], 'e2e.ovf');
    assert.equal(members[1], 'e2e.mf');
    assert.match(members[2]!, /\.vmdk$/);
    const mf = tarRead(target, 'e2e.mf').trim().split('\n');
    assert.equal(mf.length, 2, `manifest: ${mf.join(' | ')}`);
    for (const line of mf) assert.match(line, /^SHA1\(.+\)= [0-9a-f]{40}$/);
    const ovf = tarRead(target, 'e2e.ovf');
    assert.match(ovf, /<(ovf:)?Product>Hangar e2e</);
    assert.match(ovf, /<(ovf:)?Vendor>Hangar tests</);
    assert.match(ovf, /Use it for tests only\./);
    assert.match(ovf, /vmx-\d+/, 'the VMware profile names a vmx hardware version');

    // `hangar import` reads it back, then imports it for real; the copy boots.
    const dry = (await ok('import', target, '--dry-run', '--json')).json;
    assert.equal(dry.machines.length, 1);
    // The appliance's machine is named e2e-export; as that VM still exists, the import plans the next free name.
    assert.equal(dry.machines[0].name, `${NAME} (2)`);
    assert.ok(
      dry.machines[0].warnings.some((w: string) => w.includes(`A VM named '${NAME}' exists already`)),
      `warnings: ${dry.machines[0].warnings.join(' | ')}`,
    );
    assert.equal(dry.machines[0].memoryMiB, 192);
    assert.deepEqual([dry.manifest.file, dry.manifest.algorithms, dry.manifest.entries], ['e2e.mf', ['SHA-1'], 2]);
    await ok('import', target, '--name', 'e2e-back');
    await ok('start', 'e2e-back', '--wait-serial', GUEST_READY, '--timeout', '300');
    await ok('stop', 'e2e-back', '--force');
    await win.waitForVm('e2e-back');
  });

  test('exporting to an existing file shows the owner error; nothing is overwritten', async () => {
    const before = statSync(target);
    await win.selectVm(NAME);
    const dialog = await ExportDialog.openFromToolbar(page);
    await dialog.next();
    // The folder of the last export; the name from the VM.
    assert.equal(await dialog.fileField.inputValue(), join(work, `${NAME}.ova`));

    // Browse: the folder lists the appliance already there; picking it takes its name.
    const saveAs = await dialog.browse();
    assert.equal(await saveAs.folderField.inputValue(), work);
    assert.deepEqual(await saveAs.entryNames(), ['e2e.ova']);
    await saveAs.entry('e2e.ova').click();
    assert.equal(await saveAs.nameField.inputValue(), 'e2e.ova');
    assert.match((await saveAs.nameHint()) ?? '', /is here already: the export will not overwrite it/);
    await shot('save-as-existing');
    await saveAs.choose();
    assert.equal(await dialog.fileField.inputValue(), target);
    await dialog.next();
    await dialog.export();

    // The owner refuses, in its words; Back returns to the file with the same message.
    const err = await dialog.waitForExportError();
    assert.match(err, /could not be exported/);
    assert.match(err, /already exists/);
    assert.ok(err.includes(target), `the message names the file: ${err}`);
    await shot('already-exists');
    await dialog.back();
    await dialog.step('Format and file').waitFor();
    assert.match((await dialog.fileError()) ?? '', /already exists/);
    await shot('already-exists-back');
    await dialog.fileField.fill(join(work, 'e2e-2.ova'));
    assert.equal(await dialog.fileError(), null, 'the message goes once the file changes');
    await dialog.close();

    const after = statSync(target);
    assert.equal(after.size, before.size);
    assert.equal(after.mtimeMs, before.mtimeMs, 'the existing file is untouched');
    assert.deepEqual(readdirSync(work), ['e2e.ova']);
    assert.deepEqual(problems, []);
  });
});

// `npm run ui:preview`: looks at the interface view by view. Starts the preview (the real owner and
// web server on a temporary home, seeded through the API, fake VMM hosts: preview.node.ts), drives
// it in Debian's Chromium with the e2e page objects, and writes a PNG of each view (views.ts) and
// report.json to test-output/ui-preview/. Fails on an error in the page (console error or warning,
// uncaught exception, failed request) or a check that does not hold.
//   node dist/test/ui/shoot.node.js [--out DIR] [--big-tree N]
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../helpers/webMode.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { CloneWizard, ClonesSection, MainWindow, SnapshotsView, waitUntil } from '../e2e/pages/index.js';
import { ImportDialog } from '../e2e/pages/ImportDialog.js';
import { ExportDialog } from '../e2e/pages/ExportDialog.js';
import { startPreview, type Preview } from './preview.node.js';
import { NARROW, UI_PREVIEW_SHOTS, WIDE, type UiPreviewReport } from './views.js';

/**
 * Problems known and owned elsewhere, let through with a reason so they stay visible in the report.
 * Remove an entry when its cause is fixed.
 */
const KNOWN: { test: (p: { text: string; url: string }) => boolean; why: string }[] = [];

const { values } = parseArgs({ options: { out: { type: 'string' }, 'big-tree': { type: 'string', default: '500' } } });
const out = resolve(values.out ?? join(testOutputDir, 'ui-preview'));
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith('.png') || f === 'report.json') rmSync(join(out, f));

const report: UiPreviewReport = { ok: false, shots: [], problems: [], known: [], failure: null, notes: [] };
const say = (line: string) => process.stderr.write(`ui-preview: ${line}\n`);
const note = (line: string) => {
  report.notes.push(line);
  say(line);
};

/** While the web server is away on purpose, the page's failed reconnection attempts are expected. */
let outage = false;

async function newPage(browser: Browser, label: string, colorScheme: 'light' | 'dark', viewport: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ viewport, colorScheme });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() !== 'error' && m.type() !== 'warning') return;
    const url = m.location().url ?? '';
    if (outage && /WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/api\?token=[^']*' failed/.test(m.text())) return;
    // ...and so are its checks of the link (/session) while the server is away
    if (outage && /net::ERR_CONNECTION_REFUSED/.test(m.text()) && /\/session$/.test(url)) return;
    const known = KNOWN.find((k) => k.test({ text: m.text(), url }));
    if (known) report.known.push(`${label}: ${m.text()} (${url}): ${known.why}`);
    else report.problems.push(`${label} console ${m.type()}: ${m.text()}${url ? ` (${url})` : ''}`);
  });
  page.on('pageerror', (e) => report.problems.push(`${label} uncaught: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (outage && /\/session$/.test(new URL(r.url()).pathname) && r.failure()?.errorText === 'net::ERR_CONNECTION_REFUSED') return;
    report.problems.push(`${label} request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) report.problems.push(`${label} HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return page;
}

/** milliseconds a step of the fake host's long actions takes (10 steps: a live snapshot's state, a save) */
const STEP_MS = 400;

const planned = new Map(UI_PREVIEW_SHOTS.map((s) => [s.name, s]));

/** Writes one view's picture once the interface has settled (transitions ended). */
async function shot(page: Page, name: string): Promise<void> {
  const spec = planned.get(name);
  if (!spec) throw new Error(`screenshot '${name}' is not listed in test/ui/views.ts`);
  if (report.shots.some((s) => s.name === name)) throw new Error(`screenshot '${name}' was taken twice`);
  const size = page.viewportSize();
  assert.deepEqual(size, { width: spec.width, height: spec.height }, `the window size of '${name}'`);
  // (finite ones only: a blinking cursor never finishes)
  await page.evaluate(`Promise.race([
    Promise.all(document.getAnimations().filter((a) => a.effect?.getTiming().iterations !== Infinity).map((a) => a.finished.catch(() => undefined))),
    new Promise((r) => setTimeout(r, 3000)),
  ])`);
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(out, `${name}.png`) });
  report.shots.push(spec);
}

/** Time for a step in the page: a click handled, then a frame painted. */
const inPageMs = (page: Page, script: string) => page.evaluate(`(async () => { const t = performance.now(); ${script}; await new Promise((r) => requestAnimationFrame(() => setTimeout(r))); return performance.now() - t; })()`) as Promise<number>;

async function views(browser: Browser, p: Preview): Promise<void> {
  const file = (dir: string, name: string) => join(p.files, dir, name);

  // ---------------------------------------------------------------- the list, details, console, display
  const page = await newPage(browser, 'light', 'light', WIDE);
  const w = await MainWindow.open(page, p.url);
  assert.deepEqual(await w.vmNames(), ['big-tree', 'windows-11', 'win11-test', 'debian-12', 'freebsd-14', 'alpine-test']);
  await w.selectVm('debian-12');
  assert.equal(await w.vmState('debian-12'), 'Running');
  await w.showDetails();
  assert.equal(await w.isEnabled('Start'), false);
  assert.equal(await w.isEnabled('Pause'), true);
  assert.equal(await w.isEnabled('Delete'), false);
  await shot(page, '01-main-details');

  await w.vm('debian-12').focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await w.selectedVm(), 'freebsd-14');
  await page.keyboard.press('End');
  assert.equal(await w.selectedVm(), 'alpine-test');
  await w.detailsSection('State').getByText('QEMU exited unexpectedly (killed by SIGKILL)').waitFor();
  await shot(page, '02-aborted-details');
  await page.keyboard.press('Home');
  assert.equal(await w.selectedVm(), 'big-tree');

  await w.search.fill('win');
  assert.deepEqual(await w.vmNames(), ['windows-11', 'win11-test']);
  await w.search.fill('');

  await w.selectVm('debian-12');
  const con = await w.openConsole();
  await con.waitForText('root@debian-12:~#');
  await con.run('uname -a');
  await con.waitForText('GNU/Linux');
  await shot(page, '03-console');
  await w.showDetails();
  assert.match(await (await w.openConsole()).text(), /GNU\/Linux/, 'switching tabs keeps the terminal');

  const disp = await w.openDisplay();
  await disp.waitConnected();
  await waitUntil(
    () => disp.canvas.evaluate((el) => (el as unknown as { width: number }).width),
    (width) => width > 0,
    'the first frame',
  );
  await shot(page, '04-display');
  await disp.sendCtrlAltDel();
  await page.waitForTimeout(300);
  await shot(page, '05-display-ctrl-alt-del');

  await w.pause();
  await w.waitForState('debian-12', 'Paused');
  assert.equal(await w.isEnabled('Resume'), true);
  await w.resume();
  await w.waitForState('debian-12', 'Running');

  await w.selectVm('windows-11');
  await (await w.openDisplay()).notRunningMessage.waitFor();
  await shot(page, '06-display-not-running');
  await w.showDetails();

  // ---------------------------------------------------------------- the New VM wizard
  let wiz = await w.openNewVmWizard();
  await wiz.next();
  assert.equal(await wiz.currentStep(), 'Name and OS');
  assert.equal(await wiz.error(wiz.nameField), 'name must not be empty');
  await wiz.nameField.fill('debian-12');
  assert.equal(await wiz.error(wiz.nameField), "a VM named 'debian-12' already exists");
  await wiz.nameField.fill('a/b');
  assert.equal(await wiz.error(wiz.nameField), "name must not contain '/' or '\\'");
  await shot(page, '07-wizard-name-error');
  await wiz.nameField.fill('web1');
  await wiz.chooseOsType('Windows 11');
  await wiz.next();
  assert.equal(await wiz.currentStep(), 'Installation media');
  const fd = await wiz.browseIso();
  await fd.goTo(join(p.files, 'isos'));
  await shot(page, '08-file-dialog');
  await fd.choose(file('isos', 'Win11_23H2_English_x64.iso'));
  assert.equal(await wiz.isoField.inputValue(), file('isos', 'Win11_23H2_English_x64.iso'));
  await wiz.next();
  assert.equal(await wiz.memoryField.inputValue(), '4096');
  await wiz.memoryField.fill('8');
  await wiz.next();
  assert.equal(await wiz.error(wiz.memoryField), 'memory must be at least 16 MiB');
  await wiz.cpusField.fill('65');
  assert.equal(await wiz.error(wiz.cpusField), 'a VM can have at most 64 CPUs');
  await shot(page, '09-wizard-hardware-errors');
  await wiz.memoryField.fill('4096');
  await wiz.cpusField.fill('2');
  await wiz.next();
  await wiz.diskSizeField.fill('12X');
  await wiz.next();
  assert.match((await wiz.error(wiz.diskSizeField)) ?? '', /size must be a number/);
  await wiz.diskSizeField.fill('40G');
  await wiz.next();
  await wiz.step('Guest integration').waitFor();
  await shot(page, '10-wizard-guest-integration');
  await wiz.next();
  await wiz.summary.waitFor();
  await shot(page, '10-wizard-summary');
  await wiz.create();
  await w.waitForVm('web1');
  assert.equal(await w.selectedVm(), 'web1');

  // the owner's error lands on the step it is about
  wiz = await w.openNewVmWizard();
  await wiz.fill({ name: 'web2', iso: file('isos', 'missing.iso'), disk: 'none' });
  await wiz.create({ waitForClose: false });
  // placed by its path under the ISO field, on the step that has it
  const isoError = (await waitUntil(() => wiz.error(wiz.isoField), (e) => e !== null, "the owner's error under the ISO field"))!;
  assert.equal(await wiz.currentStep(), 'Installation media');
  assert.match(isoError, /missing\.iso does not exist/);
  await shot(page, '11-wizard-server-error');
  await wiz.cancel();

  // ---------------------------------------------------------------- tasks
  const tasks = await w.openTasks();
  await page.mouse.move(640, 790); // no tooltip on the Tasks button in the picture
  await tasks.waitForState('Create VM: web1', 'Done');
  await shot(page, '12-tasks');
  // a task in progress: saving debian-12's state (slowed down: ten seconds)
  await w.selectVm('debian-12');
  p.hosts.stepMs = 1000;
  const saving = p.api.call('vm.save', { ref: 'debian-12' }, { timeoutMs: 120_000 });
  await tasks.waitForState('Save state: debian-12', 'Running');
  await tasks.progress('Save state: debian-12').waitFor();
  await shot(page, '13-tasks-running');
  await saving;
  p.hosts.stepMs = STEP_MS;
  await tasks.waitForState('Save state: debian-12', 'Done');
  await tasks.close();
  await w.selectVm('debian-12');
  await w.waitForState('debian-12', 'Saved');
  await w.start();
  await w.waitForState('debian-12', 'Running');

  // ---------------------------------------------------------------- settings
  let st = await w.openSettings();
  await st.lockMessage.waitFor();
  await st.tab('System');
  assert.equal(await st.memoryField.isDisabled(), true);
  await shot(page, '14-settings-locked');
  await st.cancel();

  await w.selectVm('windows-11');
  st = await w.openSettings();
  await st.tab('System');
  await st.cpusField.fill('0');
  assert.equal(await st.error(st.cpusField), 'a VM needs at least 1 CPU');
  assert.equal(await st.saveButton.isDisabled(), true);
  await st.cpusField.fill('6');
  await st.tab('Network');
  // debian-12 (running) forwards 2222 already: a start with it too would be refused, naming that VM
  await st.addForward({ hostPort: 2223, guestPort: 22 });
  await st.addForward({ hostPort: 2223, guestPort: 80 });
  assert.equal(await st.error(st.forwardField(3, 'Host port')), 'host port tcp 127.0.0.1:2223 is forwarded more than once');
  await shot(page, '15-settings-network-error');
  await st.removeForward(3);
  await st.tab('Storage');
  const fd2 = await st.browseIso();
  await fd2.choose(file('isos', 'Win11_23H2_English_x64.iso'));
  await shot(page, '16-settings-storage');
  await st.save();
  await w.showDetails();
  await w.detailsSection('Storage').getByText(file('isos', 'Win11_23H2_English_x64.iso')).waitFor();
  await w.detailsSection('Network').getByText('TCP 127.0.0.1:2223 → guest 22').waitFor();

  // start and stop with the toolbar; delete
  await w.start();
  await w.waitForState('windows-11', 'Running');
  await w.stop();
  await w.waitForState('windows-11', 'Stopped');
  await w.selectVm('web1');
  await w.deleteSelected();
  await w.waitForVmGone('web1');

  // a failing action shows the owner's message: the ISO of alpine-test is gone
  rmSync(p.alpineIso);
  await w.selectVm('alpine-test');
  await w.start();
  assert.match(await w.waitForNotification(), /ISO .*alpine-virt-3\.20\.0-x86_64\.iso of VM 'alpine-test' is missing/);
  await shot(page, '17-error-notification');
  await w.notification.getByRole('button', { name: 'Close' }).click();
  await w.notification.waitFor({ state: 'detached' });

  // ---------------------------------------------------------------- the connection goes away and comes back
  await w.selectVm('debian-12');
  await w.openConsole();
  outage = true;
  p.stopServer();
  await w.connectionBanner.waitFor();
  await shot(page, '18-reconnecting');
  await p.restartServer();
  await w.connectionBanner.waitFor({ state: 'detached', timeout: 60_000 });
  outage = false;
  assert.equal(await w.vmState('debian-12'), 'Running');
  const con2 = await w.openConsole();
  await con2.run('echo after reconnect');
  await con2.waitForText('after reconnect\r');

  await w.selectVm('freebsd-14');
  await w.button('Delete').click();
  await w.deleteDialog.waitFor();
  await shot(page, '19-delete-dialog');
  await w.deleteDialog.getByRole('button', { name: 'Cancel' }).click();

  await w.search.focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement?.getAttribute("aria-label")'), 'freebsd-14');
  await page.keyboard.press('ArrowUp');
  assert.equal(await w.selectedVm(), 'debian-12');
  await shot(page, '20-keyboard-focus');

  // ---------------------------------------------------------------- snapshots
  await w.selectVm('debian-12');
  const snaps = await new SnapshotsView(page).open();
  assert.deepEqual(await snaps.names(), ['Fresh install', 'Updates applied', 'Try Docker', 'Build tools', 'Release 1.4 build', 'Before kernel 6.9', 'Kernel 6.9 test']);
  assert.equal(await snaps.isCurrent('Before kernel 6.9'), true);
  assert.equal(await snaps.currentName(), 'Before kernel 6.9');
  assert.equal(await snaps.isChanged(), true);
  assert.equal(await snaps.isEnabled('Restore'), false, 'nothing restorable selected: the current state');
  await snaps.select('Kernel 6.9 test');
  assert.equal(await snaps.whyDisabled('Restore'), "VM 'debian-12' is running: power it off (or save it) before restoring a snapshot");
  assert.equal(await snaps.isEnabled('Clone'), true);
  assert.equal(await snaps.isEnabled('Edit'), true);
  await snaps.details.getByText('Boots; virtio-gpu flickers on resize.').waitFor();
  await shot(page, '21-snapshots');
  await snaps.node('Build tools').getByText('9 days ago').hover();
  assert.match(await page.getByRole('tooltip').innerText(), /\d{4}/);
  await shot(page, '22-age-tooltip');
  await page.mouse.move(0, 700);
  await page.getByRole('tooltip').waitFor({ state: 'detached' });

  // keyboard: arrows, Left to the parent, Shift+F10 for the menu
  await snaps.select('Kernel 6.9 test');
  await page.keyboard.press('ArrowUp');
  assert.equal(await snaps.selected(), 'Before kernel 6.9');
  await page.keyboard.press('Home');
  assert.equal(await snaps.selected(), 'Fresh install');
  await page.keyboard.press('End');
  assert.equal(await snaps.selected(), 'Current state');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await snaps.selected(), 'Before kernel 6.9');
  await page.keyboard.press('Shift+F10');
  await page.getByRole('menu', { name: 'Actions for Before kernel 6.9' }).waitFor();
  await shot(page, '23-snapshot-menu');
  await page.keyboard.press('Escape');
  await page.getByRole('menu').waitFor({ state: 'detached' });

  // a live snapshot: progress in the dialog, then the new node with the current state under it
  let d = await snaps.openTake();
  const nameField = d.getByRole('textbox', { name: 'Name', exact: true });
  await nameField.fill('try docker');
  assert.match(await d.getByText(/already has a snapshot named/).innerText(), /VM 'debian-12' already has a snapshot named 'try docker'/);
  await nameField.fill('Nightly');
  await d.getByRole('textbox', { name: 'Description' }).fill('After apt upgrade; all services up.');
  await d.getByRole('button', { name: 'Take', exact: true }).click();
  await d.getByRole('progressbar').waitFor();
  await shot(page, '24-take-progress');
  await d.waitFor({ state: 'detached', timeout: 60_000 });
  await snaps.waitForNode('Nightly');
  await snaps.waitForCurrent('Nightly');
  assert.match((await snaps.outline()).find((r) => r.name === 'Nightly')!.description, /with running state/);

  // cancelling a live take while its running state is being saved (slowed down so the cancel lands then)
  p.hosts.stepMs = 5000;
  d = await snaps.openTake();
  await d.getByRole('button', { name: 'Take', exact: true }).click();
  await d.getByRole('progressbar').waitFor();
  await snaps.cancelRunning('Take');
  await d.getByText('Taking the snapshot was cancelled').waitFor({ timeout: 60_000 });
  await shot(page, '25-take-cancelled');
  await d.getByRole('button', { name: 'Cancel', exact: true }).click();
  assert.equal((await snaps.names()).includes('Snapshot 1'), false, 'a cancelled take leaves no snapshot');
  p.hosts.stepMs = STEP_MS;

  // restore needs the VM off; then it offers to keep the changed current state first
  await w.powerOff();
  await w.waitForState('debian-12', 'Stopped');
  await snaps.select('Build tools');
  d = await snaps.openRestore('Build tools');
  await d.getByRole('checkbox', { name: 'Take a snapshot first' }).waitFor();
  await shot(page, '26-restore-dialog');
  await d.getByRole('button', { name: 'Cancel', exact: true }).click();
  await snaps.restore('Build tools', { takeSnapshotFirst: true, snapshotName: 'Before restore' });
  assert.equal(await snaps.isChanged(), false);
  await snaps.waitForNode('Before restore');
  // a live snapshot leaves the VM saved
  await snaps.select('Nightly');
  await page.keyboard.press('Enter');
  await snaps.dialog('Restore').getByRole('button', { name: 'Restore', exact: true }).click();
  await snaps.waitForCurrent('Nightly');
  await w.waitForState('debian-12', 'Saved');

  // delete, with the plan's figures
  await snaps.select('Try Docker');
  await page.keyboard.press('Delete');
  await snaps.dialog('Delete').waitFor();
  const leaf = await snaps.deleteFigures().catch(async () => {
    await snaps.dialog('Delete').getByLabel('What deleting costs', { exact: true }).waitFor();
    return snaps.deleteFigures();
  });
  assert.deepEqual(Object.keys(leaf), ['Data to merge', 'Free space needed', 'Free space available', 'Time']);
  assert.equal(leaf['Data to merge'], 'nothing');
  await snaps.dialog('Delete').getByRole('button', { name: 'Cancel', exact: true }).click();
  await snaps.openDelete('Updates applied');
  assert.match((await snaps.deleteFigures())['Data to merge'] ?? '', /^[\d.]+ MiB into 2 images that depend on it$/);
  await shot(page, '27-delete-dialog');
  await snaps.dialog('Delete').getByRole('button', { name: 'Delete', exact: true }).click();
  await snaps.dialog('Delete').waitFor({ state: 'detached', timeout: 120_000 });
  await snaps.waitForNodeGone('Updates applied');
  assert.deepEqual(
    (await snaps.outline()).filter((r) => ['Fresh install', 'Try Docker', 'Build tools'].includes(r.name)).map((r) => [r.name, r.level]),
    [
      ['Fresh install', 1],
      ['Try Docker', 2],
      ['Build tools', 2],
    ],
  );
  await snaps.delete('Kernel 6.9 test');
  await assert.rejects(snaps.edit('Nightly', 'build TOOLS'), /already has a snapshot named/);
  await snaps.dialog('Edit').getByRole('button', { name: 'Cancel' }).click();
  await snaps.edit('Nightly', 'Nightly 2026-03', 'Release candidate.');
  await snaps.select('Nightly 2026-03');
  await snaps.details.getByText('Release candidate.').waitFor();

  // a refusal: a linked clone depends on the snapshot
  await w.selectVm('windows-11');
  const wsnaps = await new SnapshotsView(page).open();
  assert.equal(await wsnaps.isChanged(), true, 'it ran since its last snapshot');
  await wsnaps.openDelete('Clean install');
  assert.match((await wsnaps.deleteRefusal()) ?? '', /win11-test/);
  assert.equal(await wsnaps.dialog('Delete').getByRole('button', { name: 'Delete', exact: true }).isDisabled(), true);
  await shot(page, '28-delete-refused');
  await wsnaps.dialog('Delete').getByRole('button', { name: 'Cancel', exact: true }).click();
  await wsnaps.restore('Clean install');
  assert.equal(await wsnaps.isChanged(), false);
  d = await wsnaps.openRestore('After updates');
  assert.equal(await d.getByRole('checkbox').count(), 0, 'nothing to keep: no snapshot first');
  await d.getByRole('button', { name: 'Restore', exact: true }).click();
  await wsnaps.waitForCurrent('After updates');

  // the owner's refusal stays in the dialog, in its words: the VM started (and is still starting)
  // after the dialog opened
  d = await wsnaps.openTake();
  const release = p.hosts.holdBoot();
  const starting = p.api.call('vm.start', { ref: 'windows-11' }, { timeoutMs: 120_000 });
  starting.catch(() => undefined);
  try {
    // (the list is behind the dialog: ask the owner)
    await waitUntil(async () => (await p.api.call('vm.show', { ref: 'windows-11' })).state, (s) => s === 'starting', 'windows-11 to be starting');
    await d.getByRole('button', { name: 'Take', exact: true }).click();
    assert.equal(await d.getByRole('alert').innerText(), "VM 'windows-11' is starting: wait until it has settled");
    await shot(page, '29-take-error');
    await d.getByRole('button', { name: 'Cancel', exact: true }).click();
  } finally {
    release();
  }
  await starting;
  await w.waitForState('windows-11', 'Running');
  await w.powerOff();
  await w.waitForState('windows-11', 'Stopped');

  await w.selectVm('freebsd-14');
  assert.deepEqual(await new SnapshotsView(page).open().then((s) => s.names()), []);
  await shot(page, '30-snapshots-empty');
  await w.showDetails();

  // ---------------------------------------------------------------- the big tree
  {
    const big = await newPage(browser, 'big tree', 'light', WIDE);
    const wb = await MainWindow.open(big, p.url);
    await wb.selectVm('big-tree');
    const t0 = Date.now();
    const bs = await new SnapshotsView(big).open(60_000);
    const opened = Date.now() - t0;
    const rows = (await bs.outline()).length;
    const expand = await inPageMs(big, 'document.querySelector(\'button[aria-label="Expand all"]\').click()');
    const total = await bs.tree.getByRole('treeitem').count();
    const n = Number(values['big-tree']);
    assert.equal(total, n + 1, 'every snapshot and the current state');
    const collapse = await inPageMs(big, 'document.querySelector(\'button[aria-label="Collapse all"]\').click()');
    await bs.root.getByRole('button', { name: 'Expand all' }).click();
    note(`big tree (${n} snapshots): opened in ${opened} ms showing ${rows} rows; expand all ${expand.toFixed(0)} ms, collapse all ${collapse.toFixed(0)} ms (not checked: figures for people)`);
    await bs.tree.getByRole('treeitem').first().click();
    await big.keyboard.press('End');
    // the current state sits under its snapshot, which need not be the tree's last branch
    const shown = await bs.outline();
    assert.ok(shown.some((r) => r.name === 'Current state'));
    assert.equal(await bs.selected(), shown[shown.length - 1]!.name, 'End selects the last row');
    await shot(big, '31-big-tree');
    await big.context().close();
  }

  // ---------------------------------------------------------------- the Clone wizard
  await w.selectVm('windows-11');
  const cw = await new CloneWizard(page).open();
  assert.equal(await cw.title(), 'Clone “windows-11”');
  await cw.nameField.fill('windows-11');
  assert.match((await cw.error('name')) ?? '', /already exists/);
  await cw.nameField.fill('win11-dev');
  await shot(page, '32-clone-name');
  await cw.next();
  await cw.typeChoice('Linked').check();
  await shot(page, '33-clone-type');
  await cw.next();
  assert.deepEqual(await cw.sourceChoices(), ['Clean install', 'After updates', 'Current state']);
  await cw.sourceChoice('After updates').check();
  await shot(page, '34-clone-source');
  await cw.next();
  await cw.summary.waitFor();
  await shot(page, '35-clone-summary');
  await cw.create();
  await w.waitForVm('win11-dev');
  await waitUntil(() => w.selectedVm(), (s) => s === 'win11-dev', 'the clone to be selected');
  await w.showDetails();
  const clones = new ClonesSection(page);
  assert.match((await clones.linkedTo()) ?? '', /windows-11.*After updates/);
  await clones.root.scrollIntoViewIfNeeded();
  await shot(page, '36-clone-linked');
  await w.selectVm('windows-11');
  await w.showDetails();
  assert.equal((await clones.dependents()).length, 2);
  await clones.root.scrollIntoViewIfNeeded();
  await shot(page, '37-clone-source-dependents');

  // ---------------------------------------------------------------- import and export
  const imp = await ImportDialog.openFromToolbar(page);
  await shot(page, '38-import-file');
  const files = await imp.browse();
  await files.goTo(join(p.files, 'appliances'));
  await shot(page, '39-import-file-dialog');
  await files.choose(p.appliance);
  await imp.next();
  await imp.waitForReview();
  assert.equal(await imp.nameField.inputValue(), 'ubuntu-server');
  assert.match(await imp.manifest(), /SHA-256/);
  await shot(page, '40-import-review');
  await imp.root.locator('.MuiDialogContent-root').evaluate((el) => el.scrollTo({ top: 10_000 }));
  await shot(page, '41-import-review-bottom');
  await imp.import();
  await w.waitForVm('ubuntu-server');
  await waitUntil(() => w.selectedVm(), (s) => s === 'ubuntu-server', 'the imported VM to be selected');
  await shot(page, '42-imported');

  await w.selectVm('alpine-test');
  const exp = await ExportDialog.openFromToolbar(page);
  assert.deepEqual(await exp.chosenVms(), ['alpine-test']);
  await shot(page, '43-export-vms');
  await exp.next();
  await exp.step('Format and file').waitFor();
  await exp.fileField.fill(file('exports', 'alpine-test.ova'));
  await exp.chooseProfile('VirtualBox');
  await shot(page, '44-export-format');
  await exp.next();
  await exp.step('Appliance information').waitFor();
  await exp.fillAppliance({ Product: 'Alpine test box', Version: '3.20', Vendor: 'Hangar preview' });
  await shot(page, '45-export-appliance');
  await exp.export();
  const summary = await exp.waitForSummary(120_000);
  assert.ok(Object.keys(summary).length > 0);
  await shot(page, '46-export-summary');
  await exp.close();
  const after = await w.openTasks();
  await page.mouse.move(640, 790);
  for (const label of ['Linked clone of “windows-11”: win11-dev', 'Import appliance: ubuntu-server']) await after.task(label).waitFor();
  assert.ok((await after.labels()).some((l) => l.startsWith('Export appliance')), 'the export is named for people');
  await shot(page, '47-tasks-clone-import-export');
  await after.close();
  await page.context().close();

  // ---------------------------------------------------------------- dark theme
  const dark = await newPage(browser, 'dark', 'dark', WIDE);
  const wd = await MainWindow.open(dark, p.url);
  await wd.selectVm('debian-12');
  await wd.start();
  await wd.waitForState('debian-12', 'Running');
  await wd.showDetails();
  await shot(dark, '48-dark-main');
  await (await wd.openConsole()).waitForText('root@debian-12:~#');
  await shot(dark, '49-dark-console');
  await wd.selectVm('windows-11');
  const sd = await wd.openSettings();
  await sd.tab('Network');
  await shot(dark, '50-dark-settings');
  await sd.cancel();
  await wd.selectVm('debian-12');
  const ds = await new SnapshotsView(dark).open();
  await ds.select('Before kernel 6.9');
  await shot(dark, '51-dark-snapshots');
  await ds.openDelete('Release 1.4 build');
  await shot(dark, '52-dark-delete-dialog');
  await ds.dialog('Delete').getByRole('button', { name: 'Cancel', exact: true }).click();
  await ds.node('Before kernel 6.9').click({ button: 'right' });
  await dark.getByRole('menu').waitFor();
  await shot(dark, '53-dark-context-menu');
  await dark.keyboard.press('Escape');
  await dark.context().close();

  // ---------------------------------------------------------------- a narrow window
  const thin = await newPage(browser, 'narrow', 'light', NARROW);
  const wn = await MainWindow.open(thin, p.url);
  // every toolbar button in the window, none over another
  const boxes = await wn.toolbar.getByRole('button').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { name: e.getAttribute('aria-label') ?? e.textContent ?? '', left: r.left, right: r.right };
    }),
  );
  for (const [i, b] of boxes.entries()) {
    assert.ok(b.right <= NARROW.width, `toolbar button '${b.name}' ends at ${b.right} px, past the window's ${NARROW.width}`);
    const next = boxes[i + 1];
    if (next) assert.ok(next.left >= b.right - 1, `toolbar buttons '${b.name}' and '${next.name}' overlap`);
  }
  await shot(thin, '54-narrow-list');
  await wn.selectVm('debian-12');
  await wn.showDetails();
  await shot(thin, '55-narrow-details');
  await new SnapshotsView(thin).open();
  await shot(thin, '56-narrow-snapshots');
  await thin.context().close();
}

let preview: Preview | undefined;
let browser: Browser | undefined;
// Ctrl-C: close Chromium and remove the temporary home before going.
const interrupted = () =>
  void (async () => {
    say('interrupted');
    await browser?.close().catch(() => undefined);
    await preview?.dispose().catch(() => undefined);
    process.exit(130);
  })();
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);
try {
  const t0 = Date.now();
  preview = await startPreview({ bigTree: Number(values['big-tree']), stepMs: STEP_MS, say });
  note(`preview seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s (not checked)`);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  await views(browser, preview);
  const missing = UI_PREVIEW_SHOTS.filter((s) => !report.shots.some((t) => t.name === s.name)).map((s) => s.name);
  if (missing.length) throw new Error(`views not shot: ${missing.join(', ')}`);
} catch (e) {
  report.failure = (e as Error).stack ?? String(e);
  say(`FAILED: ${report.failure}`);
  for (const [i, ctx] of (browser?.contexts() ?? []).entries()) {
    for (const [k, pg] of ctx.pages().entries()) await pg.screenshot({ path: join(out, `failure-${i}-${k}.png`) }).catch(() => undefined);
  }
} finally {
  await browser?.close().catch(() => undefined);
  await preview?.dispose().catch(() => undefined);
}
report.ok = report.failure === null && report.problems.length === 0;
writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
if (report.known.length) say(`${report.known.length} known problem(s) let through:\n  ${report.known.join('\n  ')}`);
if (report.problems.length) say(`${report.problems.length} problem(s) in the page:\n  ${report.problems.join('\n  ')}`);
say(report.ok ? `all ${report.shots.length} views written to ${out}` : `failed; what was written is in ${out}`);
process.exit(report.ok ? 0 : 1);

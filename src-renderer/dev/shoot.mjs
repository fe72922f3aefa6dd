// Development check of the interface against the in-page mock owner: drives the mock build with the
// Playwright page objects in Debian's Chromium, under the web mode's Content-Security-Policy, and
// saves screenshots. A Node script, not part of any bundle.
//
//   npx vite build --config src-renderer/vite.config.ts --mode mock
//   npx tsc -p tsconfig.json            (compiles the page objects to dist/test/e2e/pages)
//   node src-renderer/dev/shoot.mjs [pagesDir] [outDir]
/* global process, console, setTimeout, URL, window, document, performance, requestAnimationFrame */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const repo = resolve(import.meta.dirname, '../..');
const site = join(repo, 'dist/renderer-mock');
const pagesDir = resolve(process.argv[2] ?? join(repo, 'dist/test/e2e/pages'));
const out = resolve(process.argv[3] ?? join(repo, 'test-output/renderer-shots'));
mkdirSync(out, { recursive: true });
const { MainWindow, FileDialog, SnapshotsView } = await import(join(pagesDir, 'index.js'));

const CSP = "default-src 'self'; connect-src 'self' ws://127.0.0.1:*; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:";
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const problems = [];

async function newPage(colorScheme) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme });
  await context.route('http://127.0.0.1:4999/**', async (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(site, path);
    if (!file.startsWith(site) || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    await route.fulfill({ status: 200, contentType: type, body: readFileSync(file), headers: type === 'text/html' ? { 'content-security-policy': CSP } : {} });
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${colorScheme} console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${colorScheme} page error: ${e.message}`));
  return page;
}

// Let transitions (ripples, fades) finish so the pictures show the settled interface.
const shot = async (page, name) => {
  await page.waitForTimeout(400);
  await page.screenshot({ path: join(out, `${name}.png`) });
};
const url = 'http://127.0.0.1:4999/dev/mock.html?speed=0.5';

// ---------------------------------------------------------------- light theme, main flows
const page = await newPage('light');
const t0 = Date.now();
const w = await MainWindow.open(page, url);
console.log(`loaded in ${Date.now() - t0} ms`);
assert.deepEqual(await w.vmNames(), ['debian-12', 'windows-11', 'freebsd-14', 'alpine-test']);
await w.selectVm('debian-12');
assert.equal(await w.vmState('debian-12'), 'Running');
await w.showDetails();
assert.equal(await w.isEnabled('Start'), false);
assert.equal(await w.isEnabled('Pause'), true);
assert.equal(await w.isEnabled('Delete'), false);
await shot(page, '01-main-details');

// keyboard: arrows move the selection
await w.vm('debian-12').focus();
await page.keyboard.press('ArrowDown');
assert.equal(await w.selectedVm(), 'windows-11');
await page.keyboard.press('End');
assert.equal(await w.selectedVm(), 'alpine-test');
await shot(page, '02-aborted-details');
await page.keyboard.press('Home');
assert.equal(await w.selectedVm(), 'debian-12');

// search
await w.search.fill('win');
assert.deepEqual(await w.vmNames(), ['windows-11']);
await w.search.fill('');

// console
await w.selectVm('debian-12');
const con = await w.openConsole();
await con.waitForText('root@debian:~#');
await con.run('uname -a');
await con.waitForText('GNU/Linux');
await shot(page, '03-console');
// switching tabs keeps the terminal
await w.showDetails();
const again = await w.openConsole();
assert.match(await again.text(), /GNU\/Linux/);

// display
const disp = await w.openDisplay();
await disp.waitConnected();
await page.waitForTimeout(300); // let the first frame paint before the picture
await shot(page, '04-display');
await disp.sendCtrlAltDel();
await shot(page, '04b-display-ctrl-alt-del');

// pause / resume
await w.pause();
await w.waitForState('debian-12', 'Paused');
assert.equal(await w.isEnabled('Resume'), true);
await w.resume();
await w.waitForState('debian-12', 'Running');

// display when stopped
await w.selectVm('windows-11');
const d2 = await w.openDisplay();
await d2.notRunningMessage.waitFor();
await shot(page, '05-display-not-running');
await w.showDetails();

// new VM wizard: validation, file dialog, server error, create with progress
let wiz = await w.openNewVmWizard();
await wiz.next();
assert.equal(await wiz.currentStep(), 'Name and OS');
assert.equal(await wiz.error(wiz.nameField), 'name must not be empty');
await wiz.nameField.fill('debian-12');
assert.equal(await wiz.error(wiz.nameField), "a VM named 'debian-12' already exists");
await wiz.nameField.fill('a/b');
assert.equal(await wiz.error(wiz.nameField), "name must not contain '/' or '\\'");
await shot(page, '06-wizard-name-error');
await wiz.nameField.fill('web1');
await wiz.chooseOsType('Windows 11');
await wiz.next();
assert.equal(await wiz.currentStep(), 'Installation media');
const fd = await wiz.browseIso();
await fd.goTo('/home/user/isos');
await shot(page, '07-file-dialog');
await fd.choose('/home/user/isos/Win11_23H2_English_x64.iso');
assert.equal(await wiz.isoField.inputValue(), '/home/user/isos/Win11_23H2_English_x64.iso');
await wiz.next();
assert.equal(await wiz.memoryField.inputValue(), '4096');
await wiz.memoryField.fill('8');
await wiz.next();
assert.equal(await wiz.error(wiz.memoryField), 'memory must be at least 16 MiB');
await wiz.cpusField.fill('65');
assert.equal(await wiz.error(wiz.cpusField), 'a VM can have at most 64 CPUs');
await shot(page, '08-wizard-hardware-errors');
await wiz.memoryField.fill('4096');
await wiz.cpusField.fill('2');
await wiz.next();
await wiz.diskSizeField.fill('12X');
await wiz.next();
assert.match(await wiz.error(wiz.diskSizeField), /size must be a number/);
await wiz.diskSizeField.fill('40G');
await wiz.next();
await wiz.summary.waitFor();
await shot(page, '09-wizard-summary');
await wiz.create({ waitForClose: false });
await wiz.progress.waitFor();
await shot(page, '10-wizard-creating');
await wiz.root.waitFor({ state: 'detached' });
await w.waitForVm('web1');
assert.equal(await w.selectedVm(), 'web1');

// a server error lands on its step
wiz = await w.openNewVmWizard();
await wiz.fill({ name: 'web2', iso: '/home/user/isos/missing.iso', disk: 'none' });
await wiz.create({ waitForClose: false });
await wiz.serverError.waitFor();
assert.equal(await wiz.currentStep(), 'Installation media');
assert.match(await wiz.serverError.innerText(), /missing\.iso does not exist/);
await shot(page, '11-wizard-server-error');
await wiz.cancel();

// tasks panel
const tasks = await w.openTasks();
await tasks.waitForState('Create VM: web1', 'Done');
await shot(page, '12-tasks');
await tasks.close();

// settings of a running VM: hardware locked
await w.selectVm('debian-12');
let st = await w.openSettings();
await st.lockMessage.waitFor();
await st.tab('System');
assert.equal(await st.memoryField.isDisabled(), true);
await shot(page, '13-settings-locked');
await st.cancel();

// settings of a stopped VM
await w.selectVm('windows-11');
st = await w.openSettings();
await st.tab('System');
await st.cpusField.fill('0');
assert.equal(await st.error(st.cpusField), 'a VM needs at least 1 CPU');
assert.equal(await st.saveButton.isDisabled(), true);
await st.cpusField.fill('6');
await st.tab('Network');
await st.addForward({ hostPort: 2222, guestPort: 22 });
await st.addForward({ hostPort: 2222, guestPort: 80 });
assert.equal(await st.error(st.forwardField(3, 'Host port')), 'host port tcp 127.0.0.1:2222 is forwarded more than once');
await shot(page, '14-settings-network-error');
await st.removeForward(3);
await st.tab('Storage');
const fd2 = await st.browseIso();
await fd2.choose('/home/user/isos/Win11_23H2_English_x64.iso');
await shot(page, '15-settings-storage');
await st.save();
await w.showDetails();
await w.detailsSection('Storage').getByText('Win11_23H2_English_x64.iso').waitFor();
await w.detailsSection('Network').getByText('TCP 127.0.0.1:2222 → guest 22').waitFor();

// start and stop through the toolbar; then delete
await w.start();
await w.waitForState('windows-11', 'Running');
await w.stop();
await w.waitForState('windows-11', 'Stopped');
await w.selectVm('web1');
await w.deleteSelected();
await w.waitForVmGone('web1');

// a failing action shows the API's message
await w.selectVm('alpine-test');
await page.evaluate(() => window.hangarMock.owner.vms.find((v) => v.name === 'alpine-test').opticals[0].path = '/home/user/isos/gone.iso');
await w.start();
assert.match(await w.waitForNotification(), /ISO \/home\/user\/isos\/gone\.iso of VM 'alpine-test' is missing/);
await shot(page, '16-error-notification');

// connection loss: the banner, then the reconnect
await page.evaluate(() => window.hangarMock.drop());
await w.connectionBanner.waitFor();
await shot(page, '17-reconnecting');
await w.connectionBanner.waitFor({ state: 'detached' });
await w.selectVm('debian-12');
assert.equal(await w.vmState('debian-12'), 'Running');
const con2 = await w.openConsole();
await con2.run('echo after reconnect');
await con2.waitForText('-bash: echo: command not found');

// delete confirmation dialog
await w.selectVm('freebsd-14');
await w.button('Delete').click();
await w.deleteDialog.waitFor();
await shot(page, '18-delete-dialog');
await w.deleteDialog.getByRole('button', { name: 'Cancel' }).click();

// keyboard: Tab from the search box reaches the selected VM, with a visible focus ring
await w.search.focus();
await page.keyboard.press('Tab');
assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'freebsd-14');
await page.keyboard.press('ArrowUp');
assert.equal(await w.selectedVm(), 'windows-11');
await shot(page, '19-keyboard-focus');

// ---------------------------------------------------------------- snapshots
await w.selectVm('debian-12');
if ((await w.vmState('debian-12')) !== 'Running') await w.start();
await w.waitForState('debian-12', 'Running');
const snaps = await new SnapshotsView(page).open();
assert.deepEqual(await snaps.names(), ['Fresh install', 'Updates applied', 'Try Docker', 'Build tools', 'Release 1.4 build', 'Before kernel 6.9', 'Kernel 6.9 test']);
assert.equal(await snaps.isCurrent('Before kernel 6.9'), true);
assert.equal(await snaps.currentName(), 'Before kernel 6.9');
assert.equal(await snaps.isChanged(), true);
assert.equal(await snaps.isEnabled('Restore'), false, 'nothing restorable selected: the current state');
await snaps.select('Kernel 6.9 test');
assert.equal(await snaps.isEnabled('Restore'), false, 'the VM is running');
assert.equal(await snaps.whyDisabled('Restore'), "VM 'debian-12' is running: power it off (or save it) before restoring a snapshot");
await assert.rejects(snaps.openRestore('Kernel 6.9 test'), /'Restore' is disabled: VM 'debian-12' is running/);
assert.equal(await snaps.isEnabled('Clone'), true, 'the Clone wizard takes the snapshot');
assert.equal(await snaps.isEnabled('Edit'), true);
await shot(page, '23-snapshots');
// tooltips: the exact time on the age, the reason on a disabled button
await snaps.node('Build tools').getByText('9 days ago').hover();
assert.match(await page.getByRole('tooltip').innerText(), /\d{4}/);
await shot(page, '23b-age-tooltip');
await snaps.button('Restore').hover({ force: true });
await page.getByRole('tooltip', { name: "VM 'debian-12' is running: power it off (or save it) before restoring a snapshot" }).waitFor();
await page.mouse.move(0, 700);
await page.waitForFunction(() => !document.querySelector('[role=tooltip]'));

// keyboard: arrows, Left to the parent, the context menu with Shift+F10, F2 to edit
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
await shot(page, '24-snapshot-menu');
await page.keyboard.press('Escape');
await page.getByRole('menu').waitFor({ state: 'detached' });
await snaps.node('Before kernel 6.9').focus();
await page.keyboard.press('F2');
await snaps.dialog('Edit').waitFor();
await snaps.dialog('Edit').getByRole('button', { name: 'Cancel' }).click();
await snaps.dialog('Edit').waitFor({ state: 'detached' });
// collapse with Left, expand with Right
await snaps.select('Build tools');
await page.keyboard.press('ArrowLeft');
assert.equal((await snaps.outline()).some((r) => r.name === 'Release 1.4 build'), false);
await page.keyboard.press('ArrowRight');
await snaps.waitForNode('Release 1.4 build');
// collapsing (with the mouse) the branch that holds the selection selects the branch's node
await snaps.select('Release 1.4 build');
await snaps.node('Build tools').locator('.st-toggle').click();
assert.equal(await snaps.selected(), 'Build tools');
assert.match((await snaps.outline()).find((r) => r.name === 'Build tools').description, /4 hidden/);
await snaps.node('Build tools').locator('.st-toggle').click();
await snaps.waitForNode('Release 1.4 build');

// take a live snapshot: progress in the dialog, then the new node under which the current state moves
let d = await snaps.openTake();
assert.equal(await d.getByRole('textbox', { name: 'Name', exact: true }).inputValue(), 'Snapshot 1');
await d.getByRole('textbox', { name: 'Name', exact: true }).fill('try docker');
assert.match(await d.getByText(/already has a snapshot named/).innerText(), /VM 'debian-12' already has a snapshot named 'try docker'/);
await d.getByRole('textbox', { name: 'Name', exact: true }).fill('Nightly');
await d.getByRole('textbox', { name: 'Description' }).fill('After apt upgrade; all services up.');
await d.getByRole('button', { name: 'Take', exact: true }).click();
await d.getByRole('progressbar').waitFor();
await shot(page, '25-take-progress');
await d.waitFor({ state: 'detached', timeout: 20_000 });
await snaps.waitForNode('Nightly');
await snaps.waitForCurrent('Nightly');
assert.equal(await snaps.selected(), 'Nightly');
assert.equal(await snaps.currentName(), 'Nightly');
assert.match((await snaps.outline()).find((r) => r.name === 'Nightly').description, /with running state/);

// cancel a take
d = await snaps.openTake();
await d.getByRole('button', { name: 'Take', exact: true }).click();
await d.getByRole('progressbar').waitFor();
await snaps.cancelRunning('Take');
await d.getByText('Taking the snapshot was cancelled').waitFor();
await d.getByRole('button', { name: 'Cancel', exact: true }).click();
assert.equal((await snaps.names()).includes('Snapshot 1'), false);

// restore needs the VM off; then offer a snapshot of the changed current state first
await w.powerOff();
await w.waitForState('debian-12', 'Stopped');
await snaps.select('Build tools');
assert.equal(await snaps.isEnabled('Restore'), true);
d = await snaps.openRestore('Build tools');
await d.getByRole('checkbox', { name: 'Take a snapshot first' }).waitFor();
await shot(page, '26-restore-dialog');
await d.getByRole('button', { name: 'Cancel', exact: true }).click();
await snaps.restore('Build tools', { takeSnapshotFirst: true, snapshotName: 'Before restore' });
assert.equal(await snaps.isCurrent('Build tools'), true);
assert.equal(await snaps.isChanged(), false);
await snaps.waitForNode('Before restore');
assert.equal(await snaps.selected(), 'Current state');
// Enter restores (with confirmation); a live snapshot leaves the VM saved
await snaps.select('Nightly');
await page.keyboard.press('Enter');
await snaps.dialog('Restore').getByRole('button', { name: 'Restore', exact: true }).click();
await snaps.waitForCurrent('Nightly');
await w.waitForState('debian-12', 'Saved');

// delete with the plan's figures; Delete key opens the same confirmation
await snaps.select('Try Docker');
await page.keyboard.press('Delete');
d = snaps.dialog('Delete');
await d.waitFor();
const figures = await snaps.deleteFigures();
assert.deepEqual(Object.keys(figures), ['Data to merge', 'Free space needed', 'Free space available', 'Time']);
assert.equal(figures['Data to merge'], 'nothing');
await d.getByRole('button', { name: 'Cancel', exact: true }).click();
await d.waitFor({ state: 'detached' });
await snaps.openDelete('Updates applied');
assert.match((await snaps.deleteFigures())['Data to merge'], /^824 MiB into 2 images that depend on it$/);
await shot(page, '27-delete-dialog');
await snaps.dialog('Delete').getByRole('button', { name: 'Delete', exact: true }).click();
await snaps.dialog('Delete').getByRole('progressbar').waitFor();
await shot(page, '27b-delete-progress');
await snaps.dialog('Delete').waitFor({ state: 'detached' });
await snaps.waitForNodeGone('Updates applied');
assert.deepEqual((await snaps.outline()).filter((r) => ['Fresh install', 'Try Docker', 'Build tools'].includes(r.name)).map((r) => [r.name, r.level]), [
  ['Fresh install', 1],
  ['Try Docker', 2],
  ['Build tools', 2],
]);
await snaps.delete('Kernel 6.9 test');

// edit (a taken name is refused with the API's words)
await assert.rejects(snaps.edit('Nightly', 'build TOOLS'), /VM 'debian-12' already has a snapshot named 'build TOOLS'/);
await snaps.dialog('Edit').getByRole('button', { name: 'Cancel' }).click();
await snaps.edit('Nightly', 'Nightly 2026-03', 'Release candidate.');
await snaps.select('Nightly 2026-03');
await snaps.details.getByText('Release candidate.').waitFor();

// a refusal: a linked clone depends on the snapshot
await w.selectVm('windows-11');
const wsnaps = await new SnapshotsView(page).open();
assert.equal(await wsnaps.isChanged(), true, 'it ran since its last snapshot');
await wsnaps.openDelete('Clean install');
assert.match(await wsnaps.deleteRefusal(), /the linked clone 'win11-test' depends on it/);
assert.equal(await wsnaps.dialog('Delete').getByRole('button', { name: 'Delete', exact: true }).isDisabled(), true);
await shot(page, '28-delete-refused');
await wsnaps.dialog('Delete').getByRole('button', { name: 'Cancel', exact: true }).click();
// restore discarding the changes; then nothing has changed, and restoring again offers no snapshot first
await wsnaps.restore('Clean install');
assert.equal(await wsnaps.isCurrent('Clean install'), true);
assert.equal(await wsnaps.isChanged(), false);
d = await wsnaps.openRestore('After updates');
assert.equal(await d.getByRole('checkbox').count(), 0);
await d.getByRole('button', { name: 'Restore', exact: true }).click();
await wsnaps.waitForCurrent('After updates');

// an error from the owner stays in the dialog, in its words
await page.evaluate(() => (window.hangarMock.owner.vms.find((v) => v.name === 'windows-11').state = 'starting'));
d = await wsnaps.openTake();
await d.getByRole('button', { name: 'Take', exact: true }).click();
assert.equal(await d.getByRole('alert').innerText(), "VM 'windows-11' is starting: wait until it has settled");
await shot(page, '28b-take-error');
await d.getByRole('button', { name: 'Cancel', exact: true }).click();
await page.evaluate(() => (window.hangarMock.owner.vms.find((v) => v.name === 'windows-11').state = 'stopped'));

// an empty tree
await w.selectVm('freebsd-14');
const fsnaps = await new SnapshotsView(page).open();
assert.deepEqual(await fsnaps.names(), []);
await shot(page, '29-snapshots-empty');
await w.showDetails();

// ---------------------------------------------------------------- a large tree
{
  const big = await newPage('light');
  const wb = await MainWindow.open(big, 'http://127.0.0.1:4999/dev/mock.html?speed=0.5&bigTree=500');
  await wb.selectVm('big-tree');
  const t1 = Date.now();
  const bs = await new SnapshotsView(big).open();
  const opened = Date.now() - t1;
  const collapsedCount = (await bs.outline()).length;
  // in the page: React handles the click synchronously; the timer after the next frame includes layout and paint
  const expanded = await big.evaluate(async () => {
    const t = performance.now();
    document.querySelector('button[aria-label="Expand all"]').click();
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r)));
    return performance.now() - t;
  });
  assert.equal(await bs.tree.getByRole('treeitem').count(), 501);
  const collapsedAgain = await big.evaluate(async () => {
    const t = performance.now();
    document.querySelector('button[aria-label="Collapse all"]').click();
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r)));
    return performance.now() - t;
  });
  await bs.root.getByRole('button', { name: 'Expand all' }).click();
  const reselect = await big.evaluate(async () => {
    const items = document.querySelectorAll('[role=treeitem]');
    const t = performance.now();
    for (let i = 0; i < 10; i++) items[i * 40].click();
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r)));
    return (performance.now() - t) / 10;
  });
  const render = await big.evaluate(async () => {
    const tree = document.querySelector('[role=tree]');
    const t = performance.now();
    for (let i = 0; i < 20; i++) {
      tree.scrollTop = (i % 2 ? 0 : 1) * tree.scrollHeight;
      await new Promise((r) => requestAnimationFrame(() => r()));
    }
    return (performance.now() - t) / 20;
  });
  const lanes = await big.evaluate(() => Math.max(...[...document.querySelectorAll('[role=treeitem] svg')].map((s) => Number(s.getAttribute('width')))));
  console.log(
    `big tree: opened in ${opened} ms with ${collapsedCount} rows (side branches collapsed); expand to 501 rows ${expanded.toFixed(0)} ms, collapse ${collapsedAgain.toFixed(0)} ms, ` +
      `select ${reselect.toFixed(1)} ms, ${render.toFixed(1)} ms per scrolled frame, widest gutter ${lanes} px`,
  );
  await bs.tree.getByRole('treeitem').first().click();
  await big.keyboard.press('End');
  assert.equal(await bs.selected(), 'Current state');
  await shot(big, '30-big-tree');
  await big.context().close();
}

// ---------------------------------------------------------------- dark theme
const dark = await newPage('dark');
const wd = await MainWindow.open(dark, url);
await wd.selectVm('debian-12');
await wd.showDetails();
await shot(dark, '20-dark-main');
await (await wd.openConsole()).waitForText('root@debian:~#');
await shot(dark, '21-dark-console');
await wd.selectVm('windows-11');
const sd = await wd.openSettings();
await sd.tab('Network');
await shot(dark, '22-dark-settings');
await sd.cancel();
await wd.selectVm('debian-12');
const ds = await new SnapshotsView(dark).open();
await ds.select('Before kernel 6.9');
await shot(dark, '31-dark-snapshots');
await ds.openDelete('Release 1.4 build');
await shot(dark, '32-dark-delete-dialog');
await ds.dialog('Delete').getByRole('button', { name: 'Cancel', exact: true }).click();
await ds.node('Kernel 6.9 test').click({ button: 'right' });
await dark.getByRole('menu').waitFor();
await shot(dark, '33-dark-context-menu');
await dark.keyboard.press('Escape');
void FileDialog;

await browser.close();
if (problems.length) {
  console.log(`${problems.length} console problems:\n${problems.join('\n')}`);
  process.exitCode = 1;
} else console.log(`all checks passed; screenshots in ${out}`);
setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref?.();

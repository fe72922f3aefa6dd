// Development check of the interface against the in-page mock owner: drives the mock build with the
// Playwright page objects in Debian's Chromium, under the web mode's Content-Security-Policy, and
// saves screenshots. A Node script, not part of any bundle.
//
//   npx vite build --config src-renderer/vite.config.ts --mode mock
//   npx tsc -p tsconfig.json            (compiles the page objects to dist/test/e2e/pages)
//   node src-renderer/dev/shoot.mjs [pagesDir] [outDir]
/* global process, console, setTimeout, URL, window, document */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const repo = resolve(import.meta.dirname, '../..');
const site = join(repo, 'dist/renderer-mock');
const pagesDir = resolve(process.argv[2] ?? join(repo, 'dist/test/e2e/pages'));
const out = resolve(process.argv[3] ?? join(repo, 'test-output/renderer-shots'));
mkdirSync(out, { recursive: true });
const { MainWindow, FileDialog } = await import(join(pagesDir, 'index.js'));

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
void FileDialog;

await browser.close();
if (problems.length) {
  console.log(`${problems.length} console problems:\n${problems.join('\n')}`);
  process.exitCode = 1;
} else console.log(`all checks passed; screenshots in ${out}`);
setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref?.();

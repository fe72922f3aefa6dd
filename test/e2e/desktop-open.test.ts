// A double-click on an appliance, the way the desktop does it, with web mode in Debian's Chromium:
// set-up registers Hangar in temporary XDG folders; the MIME database names Hangar's entry for a real
// .ova; its command (`hangar open %f`) runs with the file and a $BROWSER that only writes down what it
// is given; that address, loaded in Chromium, shows the import review of the appliance. A second file
// opened through GIO (what GNOME's file manager uses) goes to the same server. The page loads with its
// icon and no failed request. Screenshots go to test-output/e2e/desktop-open-*.png.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildAppliance, type BuiltAppliance } from '../fixtures/appliances.node.js';
import { tempHome, waitUntil } from '../helpers/cli.node.js';
import { browserRecorder, runDesktopSetup, tempDesktopEnv, xdgMime, type BrowserRecorder, type DesktopEnv } from '../helpers/desktopEnv.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { CHROMIUM_ARGS } from '../helpers/webMode.node.js';
import { desktopEntryValue, expandExec, parseExec } from '../../src-main/desktop/integration.js';
import { ImportDialog } from './pages/ImportDialog.js';
import { MainWindow } from './pages/index.js';

const shots = join(testOutputDir, 'e2e');
const OVA_NAME = 'Double-clicked appliance';
const OVF_NAME = 'Opened through GIO';

describe('double-clicking an appliance opens the import review (web mode)', () => {
  const { home, cleanup } = tempHome();
  let d: DesktopEnv;
  let recorder: BrowserRecorder;
  let ova: BuiltAppliance;
  let ovf: BuiltAppliance;
  let browser: Browser;
  const userEnv = () => ({ ...d.env, HANGAR_HOME: home, BROWSER: recorder.path });
  const ownerPid = () => (JSON.parse(readFileSync(join(home, 'owner.lock'), 'utf8')) as { pid: number }).pid;
  const nextOpened = (n: number) => waitUntil(`the browser to be asked ${n} time(s)`, () => (recorder.opened().length >= n ? recorder.opened()[n - 1] : undefined), 60_000);

  /** Loads what the browser was given and waits for the review of `name`. */
  const showsReview = async (page: Page, address: string, name: string, shot: string) => {
    await page.goto(address);
    const dialog = await new ImportDialog(page).waitOpen(60_000);
    await dialog.waitForReview();
    assert.equal(await dialog.nameField.inputValue(), name);
    assert.equal(await dialog.nameField.isVisible(), true);
    // the token has left the address bar, and the link was taken once
    assert.equal(new URL(page.url()).searchParams.get('token'), null);
    assert.equal(new URL(page.url()).hash, '');
    await page.evaluate('Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined)))');
    await page.screenshot({ path: join(shots, `desktop-open-${shot}.png`) });
  };

  before(async () => {
    mkdirSync(shots, { recursive: true });
    d = tempDesktopEnv();
    recorder = browserRecorder(join(d.root, 'browser'));
    const setup = runDesktopSetup(d.env);
    assert.equal(setup.code, 0, setup.stdout + setup.stderr);
    ova = buildAppliance('virtualbox', join(d.root, 'Downloads', 'ova'), { name: OVA_NAME });
    ovf = buildAppliance('ovf2', join(d.root, 'Downloads', 'ovf'), { name: OVF_NAME });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await cleanup(); // hangar shutdown --force: also ends the web mode started in the background
    d?.cleanup();
  });

  test("the MIME database's default entry for an .ova, run with the file, shows the review in Chromium", async () => {
    const type = xdgMime(d.env, 'GNOME', ['query', 'filetype', ova.path]);
    const entryId = xdgMime(d.env, 'GNOME', ['query', 'default', type]);
    assert.equal(entryId, 'hangar.desktop');
    const entry = readFileSync(join(d.dataHome, 'applications', entryId), 'utf8');
    const argv = expandExec(parseExec(desktopEntryValue(entry, 'Exec')!), ova.path);
    assert.deepEqual(argv, [join(d.binDir, 'hangar'), 'open', ova.path]);

    // as the file manager would: the entry's command, nothing else running for this home
    const r = spawnSync(argv[0]!, argv.slice(1), { env: userEnv(), encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^opened .* in web mode in your browser \(.*record-browser\); web mode started in the background/);
    const printed = r.stdout.trim().split('\n').at(-1)!;
    assert.match(printed, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+#import=/);

    const address = await nextOpened(1);
    assert.match(address, /^file:\/\//);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await showsReview(page, address, OVA_NAME, '1-ova-review');
    await page.close();
  });

  test('GIO opens an .ovf with the same entry, in the server already running', async () => {
    const serving = ownerPid();
    assert.equal(xdgMime(d.env, 'GNOME', ['query', 'filetype', ovf.path]), 'application/x-virtualbox-ovf');
    execFileSync('gio', ['open', ovf.path], { env: { ...userEnv(), XDG_CURRENT_DESKTOP: 'GNOME' }, stdio: 'ignore' });
    const address = await nextOpened(2);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await showsReview(page, address, OVF_NAME, '2-ovf-review');
    await page.close();
    assert.equal(ownerPid(), serving, 'no second server');
  });

  test('the page loads with its icon and no failed request', async () => {
    const served = (JSON.parse(readFileSync(join(home, 'web', 'serve.json'), 'utf8')) as { url: string }).url;
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (req) => problems.push(`failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`${res.status()}: ${res.url()}`);
    });
    // whichever icon Chromium asks for: the one the page links, or /favicon.ico without a link
    const icons: string[] = [];
    page.on('response', (res) => {
      if (/\/favicon\.ico$|\/assets\/icon-[^/]+\.svg$/.test(res.url())) icons.push(`${res.status()} ${new URL(res.url()).pathname}`);
    });
    await MainWindow.open(page, served);
    const fetched = await waitUntil('Chromium to fetch an icon', () => (icons.length ? icons : undefined));
    assert.deepEqual(problems, []);
    assert.equal(fetched.length, 1);
    assert.match(fetched[0]!, /^200 \/assets\/icon-[^/]+\.svg$/);
    const iconHref = await page.locator('link[rel="icon"]').getAttribute('href');
    const linked = await page.request.get(new URL(iconHref!, served).href);
    assert.equal(linked.headers()['content-type'], 'image/svg+xml');
    assert.match((await linked.text()).trimStart(), /^<svg /);
    // what asks for /favicon.ico (other browsers, bookmarks) gets the app icon too
    const favicon = await page.request.get(new URL('/favicon.ico', served).href);
    assert.equal(favicon.status(), 200);
    assert.equal(favicon.headers()['content-type'], 'image/png');
    assert.deepEqual([...(await favicon.body()).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await page.close();
  });
});

// The interface a VirtualBox user trusts (issue 23), the parts that need a running guest. The guest
// is the fixture kernel booted with acpi=off: it has no ACPI power button, so it ignores Stop as a
// guest that does not handle the button would. One VM, booted twice.
import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startServe, startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';
import { ExportDialog, MainWindow, settle, waitUntil, type ConsoleView } from './pages/index.js';

const shots = join(testOutputDir, 'ui-trust');
const BOOT_MS = 180_000;
/** The separator the owner writes into the serial log at each start. */
const SEPARATOR = /──── Hangar: started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d ────/g;

describe('issue 23 in Chromium: a guest that ignores the power button, and a server restart', () => {
  const { home, cleanup } = tempHome('hangar-ui-trust-guest-');
  let session: WebSession;
  let page: Page;
  let win: MainWindow;
  let consoleView: ConsoleView;
  let restarted: Awaited<ReturnType<typeof startServe>> | undefined;
  const shot = async (name: string) => {
    await settle(page);
    await page.screenshot({ path: join(shots, `b-${name}.png`) });
  };
  const cli = async (...args: string[]) => {
    const r = await runCli(home, args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const separators = async () => ((await consoleView.text()).match(SEPARATOR) ?? []).length;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    const g = fixtureGuest();
    session = await startWebSession(home);
    page = session.page;
    await cli('create', '--name', 'deaf', '--kernel', g.kernel, '--initrd', g.initrd, '--append', 'console=ttyS0 acpi=off quiet', '--disk', '16M', '--nic', 'none', '--memory', '128');
    win = await MainWindow.open(page, session.url);
  });
  afterEach(async (t) => {
    // what the page showed when a test ended (kept with the screenshots when one fails)
    await page?.screenshot({ path: join(shots, `b-end-of-${t.name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}.png`) }).catch(() => undefined);
  });
  after(async () => {
    await restarted?.stop();
    await session?.stop();
    await cleanup();
  });

  test('a start is marked in the console; Resume shows play; a greyed Delete says why', async () => {
    await win.selectVm('deaf');
    await win.start();
    await win.waitForState('deaf', 'Running', BOOT_MS);
    consoleView = await win.openConsole();
    await consoleView.waitForText(GUEST_READY, BOOT_MS);
    assert.equal(await separators(), 1, 'one start, one separator');
    assert.equal(await win.whyDisabled('Delete'), '“deaf” is running: shut it down (or power it off) before deleting it');
    assert.equal(await win.tooltipOf('Delete'), '“deaf” is running: shut it down (or power it off) before deleting it');
    await win.pause();
    await win.waitForState('deaf', 'Paused');
    await win.button('Resume').waitFor();
    assert.equal(await win.iconOf('Resume'), 'play', 'Resume shows play, not pause');
    await shot('resume-icon');
    await win.resume();
    await win.waitForState('deaf', 'Running');
    assert.equal(await win.iconOf('Pause'), 'pause');
  });

  test('Stop returns at once, the attempt shows in Tasks, and a guest that ignores it brings "power it off?"', async () => {
    await win.stop();
    const notice = await win.waitForNotification();
    assert.match(notice, /Pressed the power button of “deaf”: waiting for its guest to shut down/);
    // The VM state stays honest: the guest is still running (no "Stopping" it is not doing).
    assert.equal(await win.vmState('deaf'), 'Running');
    const tasks = await win.openTasks();
    await tasks.waitForState('Shut down: deaf', 'Running');
    assert.equal(await tasks.detail('Shut down: deaf'), 'waiting for the guest to shut down');
    await shot('stop-pressed');
    const ask = win.notRespondingDialog;
    await ask.waitFor({ timeout: 60_000 });
    assert.match(await ask.innerText(), /“deaf” was asked to shut down \(the ACPI power button\) \d+ s ago and is still running/);
    assert.match(await ask.innerText(), /like pulling the plug/);
    assert.equal((await cli('show', 'deaf', '--json')).json.state, 'running', 'still running while the question is asked');
    await shot('not-responding');
    await win.confirmPowerOff(ask);
    await win.waitForState('deaf', 'Stopped', 60_000);
    // The notice about the shutdown is gone; what shows is what happened.
    await waitUntil(() => win.notification.innerText(), (t) => t.includes('“deaf” was powered off.'), 'the power-off notice');
    await tasks.waitForState('Shut down: deaf', 'Done');
    assert.equal(await tasks.detail('Shut down: deaf'), 'It was powered off.');
    await shot('powered-off');
    await tasks.close();
  });

  test('the next start is separated from the last boot in the console', async () => {
    await win.start();
    await win.waitForState('deaf', 'Running', BOOT_MS);
    await waitUntil(separators, (n) => n === 2, 'a second separator', BOOT_MS);
    await waitUntil(async () => (await consoleView.text()).split(SEPARATOR).length, (n) => n === 3, 'two boots');
    const [, first, second] = (await consoleView.text()).split(SEPARATOR);
    assert.match(first!, new RegExp(GUEST_READY), 'the first boot is above the second separator');
    await waitUntil(async () => (await consoleView.text()).split(SEPARATOR)[2] ?? '', (t) => t.includes(GUEST_READY), 'the second boot below it', BOOT_MS);
    assert.ok(second !== undefined);
    await shot('console-separator');
  });

  test('after the server restarts, the open page says so, takes no input, and reconnects to the same link', async () => {
    const linkFile = join(home, 'owner.web-token');
    assert.equal(statSync(linkFile).mode & 0o777, 0o600, 'the kept link is private');
    const old = session.url;
    await consoleView.run('echo before-$((6*7))');
    await consoleView.waitForText('before-42', 30_000);
    // Ctrl-C on hangar serve: the VM keeps running, the page is left alone.
    const ended = new Promise((r) => session.serve.once('close', r));
    session.serve.kill('SIGINT');
    await ended;
    await win.connectionBanner.waitFor({ timeout: 30_000 });
    await waitUntil(() => win.connectionBanner.innerText(), (t) => /not answering/.test(t), 'the banner to say the server is gone');
    assert.equal(await win.whyDisabled('Pause'), 'Not connected to Hangar');
    assert.equal(await win.whyDisabled('Stop'), 'Not connected to Hangar');
    assert.equal(await consoleView.terminal.getAttribute('aria-disabled'), 'true', 'the console takes no typing');
    assert.match(await consoleView.root.innerText(), /Not connected to Hangar: the console takes no typing/);
    await shot('server-gone');

    restarted = await startServe(home);
    assert.equal(restarted.url, old, 'the same link after a restart');
    await win.connectionBanner.waitFor({ state: 'detached', timeout: 60_000 });
    await waitUntil(() => win.isEnabled('Pause'), (v) => v, 'Pause to be enabled again');
    assert.equal(await win.vmState('deaf'), 'Running', 'the VM ran on');
    await consoleView.run('echo after-$((6*7))');
    await consoleView.waitForText('after-42', 30_000);
    await shot('server-back');

    // A server that runs with another token (the kept link was replaced): the page says to open the new link.
    await restarted.stop();
    const kept = JSON.parse(readFileSync(linkFile, 'utf8')) as { token: string; port: number };
    writeFileSync(linkFile, JSON.stringify({ token: 'N'.repeat(40), port: kept.port }), { mode: 0o600 });
    restarted = await startServe(home);
    assert.notEqual(restarted.url, old);
    await waitUntil(() => win.connectionBanner.innerText().catch(() => ''), (t) => /restarted with a new access link/.test(t), 'the banner to ask for the new link', 60_000);
    await shot('server-new-link');
    await page.goto(restarted.url);
    win = new MainWindow(page);
    await win.waitReady();
    await win.selectVm('deaf');
    assert.equal(await win.vmState('deaf'), 'Running');
  });

  test('Power off asks first; the export warning shows local time, not raw UTC', async () => {
    await win.selectVm('deaf');
    await win.stopMenu('Power off…');
    const confirm = win.powerOffDialog;
    await confirm.waitFor();
    assert.match(await confirm.innerText(), /Power off “deaf”\?[\s\S]*like pulling the plug/);
    await shot('power-off-confirm');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await win.vmState('deaf'), 'Running', 'Cancel leaves it running');

    // Exporting a running VM warns that its disks were taken at a moment: that moment in local time.
    const dialog = await ExportDialog.openFromToolbar(page);
    await dialog.next();
    const out = mkdtempSync(join(tmpdir(), 'hangar-export-'));
    await dialog.fileField.fill(join(out, 'deaf.ova'));
    await dialog.next();
    await dialog.export();
    await dialog.waitForSummary();
    const warnings = await dialog.warnings();
    const moment = warnings.find((w) => /exported as they were at/.test(w));
    assert.ok(moment, warnings.join(' | '));
    assert.doesNotMatch(moment, /\d{4}-\d\d-\d\dT\d\d:\d\d/, 'no raw ISO timestamp');
    await shot('export-warning-local-time');
    await dialog.close();

    await win.powerOff();
    await win.waitForState('deaf', 'Stopped', 60_000);
  });
});

// A link printed by the guest (an OSC 8 hyperlink) in the web console opens nothing by itself: a click
// shows where it really leads (its host, the full URL, a warning when a user name before '@' poses
// as the site), and only "Open link" opens it, in a new window without an opener. The "site" is a
// second local HTTP server, so the test sees exactly when (and whether) the browser went there.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { runCli, tempHome, waitUntil } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { fixtureGuest, GUEST_PROMPT, GUEST_READY } from '../fixtures/guest.node.js';
import { MainWindow, type ConsoleView } from './pages/index.js';

const shots = join(testOutputDir, 'e2e');

describe('links in the guest console', () => {
  const { home, cleanup } = tempHome('hangar-links-');
  const guest = fixtureGuest();
  let session: WebSession;
  let page: Page;
  let consoleView: ConsoleView;
  let site: Server;
  let sitePort: number;
  const visits: string[] = [];
  const nativeDialogs: string[] = [];
  const newPages: string[] = [];
  let appUrl: string;

  /** The terminal row that shows exactly `text` (the link's text, on a line of its own). */
  const row = (text: string): Locator => consoleView.terminal.locator('.xterm-rows > div').filter({ hasText: new RegExp(`^${text}\\s*$`) });
  /** Points at the link's first characters until xterm.js shows it as a link, then clicks there. */
  const clickLink = async (text: string) => {
    const r = row(text);
    await r.waitFor({ timeout: 60_000 });
    const box = (await r.boundingBox())!;
    await page.mouse.move(box.x + 12, box.y + box.height / 2);
    await waitUntil(`xterm.js to see the link under the mouse`, async () => ((await page.locator('.xterm-cursor-pointer').count()) > 0 ? true : undefined), 10_000, 100);
    await page.mouse.down();
    await page.mouse.up();
  };
  const dialog = () => page.getByRole('dialog', { name: 'Open a link from the guest?' });

  before(async () => {
    mkdirSync(shots, { recursive: true });
    site = createServer((req, res) => {
      visits.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('landed\n');
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', () => r()));
    sitePort = (site.address() as { port: number }).port;

    const disk = join(home, 'guest.qcow2');
    copyFileSync(guest.disk, disk);
    const created = await runCli(home, ['create', '--name', 'linky', '--disk-image', disk, '--memory', '128', '--nic', 'none']);
    assert.equal(created.code, 0, created.stderr);
    const started = await runCli(home, ['start', 'linky', '--wait-serial', GUEST_READY, '--timeout', '240']);
    assert.equal(started.code, 0, started.stderr);
    await waitUntil('the prompt', async () => ((await runCli(home, ['serial', 'linky'])).stdout.includes(GUEST_PROMPT) ? true : undefined), 60_000);

    session = await startWebSession(home);
    page = session.page;
    appUrl = session.url;
    page.on('dialog', (d) => {
      nativeDialogs.push(d.message());
      void d.dismiss();
    });
    page.context().on('page', (p) => newPages.push(p.url()));
    const win = await MainWindow.open(page, appUrl);
    appUrl = page.url(); // the interface takes the token out of the address once it has it
    await win.selectVm('linky');
    consoleView = await win.openConsole();
    // Two links, each on a line of its own; printf's arguments keep the typed line from matching.
    const spoof = `http://bank.example.com@127.0.0.1:${sitePort}/spoofed`;
    const plain = `http://127.0.0.1:${sitePort}/landing`;
    const sent = await runCli(home, ['send', 'linky', `printf '\\033]8;;%s\\033\\\\%s%s\\033]8;;\\033\\\\\\n\\033]8;;%s\\033\\\\%s%s\\033]8;;\\033\\\\\\n' ${spoof} SPOOF LINK ${plain} OPEN LINK`]);
    assert.equal(sent.code, 0, sent.stderr);
    await consoleView.waitForText('OPENLINK', 60_000);
  });

  after(async () => {
    await session?.stop();
    await new Promise((r) => site?.close(r));
    await cleanup();
  });

  test('a click shows where the link leads and opens nothing; Cancel keeps it that way', async () => {
    await clickLink('SPOOFLINK');
    await dialog().waitFor();
    const target = dialog().getByLabel('Link target');
    assert.equal(await target.textContent(), `http://bank.example.com@127.0.0.1:${sitePort}/spoofed`);
    assert.ok((await dialog().textContent())!.includes(`it leads to 127.0.0.1:${sitePort}`), 'the real host is named');
    await dialog().getByText(`“bank.example.com” before the @ is not the site`).waitFor();
    await page.screenshot({ path: join(shots, 'console-link-confirm.png') });
    assert.equal(nativeDialogs.length, 0, `no native confirm() either: ${nativeDialogs.join(' | ')}`);
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'hidden' });
    assert.equal(visits.length, 0, 'the site was never contacted');
    assert.equal(newPages.length, 0, 'no window was opened');
    assert.equal(page.url(), appUrl, 'the page did not navigate');
  });

  test('"Open link" opens it in a new window, once', async () => {
    await clickLink('OPENLINK');
    await dialog().waitFor();
    assert.equal(await dialog().getByLabel('Link target').textContent(), `http://127.0.0.1:${sitePort}/landing`);
    assert.equal(visits.length, 0);
    const opened = page.context().waitForEvent('page');
    await dialog().getByRole('button', { name: 'Open link' }).click();
    const popup = await opened;
    await waitUntil('the visit', () => (visits.includes('/landing') ? true : undefined), 20_000);
    assert.deepEqual(visits.filter((v) => v !== '/favicon.ico'), ['/landing']);
    assert.equal(await popup.evaluate('window.opener'), null, 'the new window cannot reach the console page');
    assert.equal(page.url(), appUrl, 'the console page stayed where it was');
    assert.equal(nativeDialogs.length, 0);
    assert.equal(newPages.length, 1, 'one window');
    await popup.close();
  });
});

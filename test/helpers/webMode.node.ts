// Web mode and Chromium for e2e tests: `hangar serve` on a home, its URL with the token, and a
// headless Debian Chromium page; `stop` closes the browser and ends web mode as Ctrl-C would.
import { spawn, type ChildProcess } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cliPath, waitUntil } from './cli.node.js';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface WebSession {
  serve: ChildProcess;
  url: string;
  browser: Browser;
  page: Page;
  /** uncaught errors of the page, for tests to assert none happened */
  problems: string[];
  stop(): Promise<void>;
}

export async function startWebSession(home: string, viewport = { width: 1280, height: 800 }, env: Record<string, string> = {}): Promise<WebSession> {
  const serve = spawn(process.execPath, [cliPath, 'serve'], { env: { ...process.env, ...env, HANGAR_HOME: home } });
  let out = '';
  serve.stdout.on('data', (d: Buffer) => (out += d.toString()));
  serve.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = await waitUntil(`the web mode URL (${out})`, () => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out)?.[0], 90_000);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  return {
    serve,
    url,
    browser,
    page,
    problems,
    stop: async () => {
      await browser.close();
      if (serve.exitCode === null) {
        const ended = new Promise((r) => serve.once('close', r));
        serve.kill('SIGINT');
        await ended;
      }
    },
  };
}

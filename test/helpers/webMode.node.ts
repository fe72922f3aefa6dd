// Web mode and Chromium for e2e tests: `hangar serve` on a home, its URL with the token, and a
// headless Debian Chromium page; `stop` closes the browser and ends web mode as Ctrl-C would.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/**
 * `hangar serve` on a home, and the URL it prints; `stop` ends it as Ctrl-C would. `netns`: it runs
 * inside this network namespace (the test's own, see netns.node.ts), so that VMs on Hangar's networks
 * change nothing of the machine's own network. `env`: more of serve's environment (a person's HOME).
 */
export async function startServe(home: string, opts: { netns?: string; env?: Record<string, string> } = {}): Promise<{ serve: ChildProcess; url: string; output: () => string; stop: () => Promise<void> }> {
  const inNs = (cmd: string, args: string[]): [string, string[]] => (opts.netns ? ['ip', ['netns', 'exec', opts.netns, cmd, ...args]] : [cmd, args]);
  const serve = spawn(...inNs(process.execPath, [cliPath, 'serve']), { env: { ...process.env, ...opts.env, HANGAR_HOME: home } });
  let out = '';
  serve.stdout.on('data', (d: Buffer) => (out += d.toString()));
  serve.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = await waitUntil(`the web mode URL (${out})`, () => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out)?.[0], 90_000);
  return {
    serve,
    url,
    output: () => out,
    stop: async () => {
      if (serve.exitCode !== null || serve.signalCode !== null) return;
      const ended = new Promise((r) => serve.once('close', r));
      serve.kill('SIGINT');
      await ended;
    },
  };
}

/** Web mode and Chromium; `netns`: both run inside this network namespace (see startServe). */
export async function startWebSession(home: string, viewport = { width: 1280, height: 800 }, opts: { netns?: string; env?: Record<string, string> } = {}): Promise<WebSession> {
  const { serve, url } = await startServe(home, opts);
  // Chromium in the namespace: a launcher that enters it (ip netns exec execs, so Playwright's pipe to the browser stays).
  let launcherDir: string | undefined;
  let executablePath = '/usr/bin/chromium';
  if (opts.netns) {
    launcherDir = mkdtempSync(join(tmpdir(), 'hangar-chromium-'));
    executablePath = join(launcherDir, 'chromium');
    writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec '${opts.netns}' /usr/bin/chromium "$@"\n`);
    chmodSync(executablePath, 0o755);
  }
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
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
      if (launcherDir) rmSync(launcherDir, { recursive: true, force: true });
      if (serve.exitCode === null) {
        const ended = new Promise((r) => serve.once('close', r));
        serve.kill('SIGINT');
        await ended;
      }
    },
  };
}

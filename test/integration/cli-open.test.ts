// `hangar open FILE` and where `hangar serve` leaves its address, with real processes in a temporary
// home: refusals change nothing; a running serve is reused (no second server); with nothing serving,
// web mode starts in the background and outlives the command; `hangar shutdown` ends it and its files.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliPath, runCli, tempHome, waitForProcessGone, waitUntil } from '../helpers/cli.node.js';
import { browserRecorder, tempDesktopEnv, type DesktopEnv } from '../helpers/desktopEnv.node.js';
import { importPathFromHash } from '../../src-main/desktop/deepLink.js';

/** A file that passes hangar open's checks; the review itself is the e2e test's business. */
function applianceFile(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, 'not read by hangar open itself');
  return path;
}

const lockPid = (home: string) => (JSON.parse(readFileSync(join(home, 'owner.lock'), 'utf8')) as { pid: number; kind: string });

describe('hangar open', () => {
  let d: DesktopEnv;
  const env = (extra: Record<string, string> = {}) => ({ ...(d.env as Record<string, string>), ...extra });

  before(() => {
    d = tempDesktopEnv('hangar-open-');
  });
  after(() => d?.cleanup());

  test('bad input: one line, exit 2, nothing started', async () => {
    const { home, cleanup } = tempHome();
    try {
      const files = join(d.root, 'bad');
      mkdirSync(join(files, 'folder.ova'), { recursive: true });
      const cases: [string, RegExp][] = [
        [join(files, 'missing.ova'), /^hangar: \/.*\/missing\.ova does not exist\n$/],
        [join(files, 'folder.ova'), /^hangar: \/.*\/folder\.ova is not a file\n$/],
        [applianceFile(files, 'disk.iso'), /^hangar: hangar open takes an \.ova or \.ovf appliance or a VirtualBox \(\.vbox\) or VMware \(\.vmx\) machine, not 'disk\.iso'\n$/],
        [join(files, 'missing.vbox'), /^hangar: \/.*\/missing\.vbox does not exist\n$/],
      ];
      const recorder = browserRecorder(join(d.root, 'bad-browser'));
      for (const [file, message] of cases) {
        const r = await runCli(home, ['open', file], { env: env({ BROWSER: recorder.path }) });
        assert.equal(r.code, 2, file);
        assert.match(r.stderr, message);
        assert.equal(r.stdout, '');
      }
      const json = await runCli(home, ['open', join(files, 'missing.ova'), '--json'], { env: env() });
      assert.equal(json.code, 2);
      assert.equal(json.json.error.code, 'INVALID_INPUT');
      const usage = await runCli(home, ['open'], { env: env() });
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /^hangar: 'open' needs FILE/);
      // nothing was started or written
      assert.deepEqual(recorder.opened(), []);
      assert.deepEqual(readdirSync(home), []);
    } finally {
      await cleanup();
    }
  });

  describe('with hangar serve running', () => {
    const { home, cleanup } = tempHome();
    let serve: ChildProcess;
    let servedUrl: string;

    before(async () => {
      serve = spawn(process.execPath, [cliPath, 'serve'], { env: env({ HANGAR_HOME: home }) });
      let out = '';
      serve.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      serve.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      servedUrl = await waitUntil(`the web mode URL (${out})`, () => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out)?.[0], 90_000);
    });
    after(async () => {
      if (serve && serve.exitCode === null) {
        serve.kill('SIGINT');
        await waitForProcessGone(serve.pid!);
      }
      await cleanup();
    });

    test('serve leaves its address in a private file in the home', () => {
      const dir = join(home, 'web');
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      assert.equal(statSync(join(dir, 'serve.json')).mode & 0o777, 0o600);
      const info = JSON.parse(readFileSync(join(dir, 'serve.json'), 'utf8')) as { url: string; pid: number };
      assert.equal(info.url, servedUrl);
      assert.equal(info.pid, serve.pid);
    });

    test('open reuses it: the browser gets a private page forwarding to that server, with the file', async () => {
      const recorder = browserRecorder(join(d.root, 'serve-browser'));
      const file = applianceFile(join(d.root, 'files'), 'my appliance #1.ova');
      const r = await runCli(home, ['open', file, '--json'], { env: env({ BROWSER: recorder.path }) });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.json, { file, via: 'web', url: r.json.url, startedServe: false, browser: recorder.path });
      assert.ok(r.json.url.startsWith(`${servedUrl}#import=`), r.json.url);
      assert.equal(importPathFromHash(new URL(r.json.url).hash), file);
      // the browser's command line holds no token: only the private page's address
      const opened = await waitUntil('the browser to be asked', () => (recorder.opened().length ? recorder.opened() : undefined));
      assert.equal(opened.length, 1);
      assert.match(opened[0]!, /^file:\/\/\/.*\/web\/open-[0-9a-f]+\.html$/);
      assert.doesNotMatch(opened[0]!, /token/);
      const page = fileURLToPath(opened[0]!);
      assert.equal(statSync(page).mode & 0o777, 0o600);
      assert.ok(readFileSync(page, 'utf8').includes(`content="0;url=${r.json.url.replace(/&/g, '&#38;')}"`));
      // no second server: the same process owns the home, and no server was started
      assert.equal(lockPid(home).pid, serve.pid);
      assert.equal(existsSync(join(home, 'web', 'serve.log')), false);

      const human = await runCli(home, ['open', file], { env: env({ BROWSER: recorder.path }) });
      assert.equal(human.code, 0);
      assert.equal(human.stdout, `opened ${file} in web mode in your browser (${recorder.path})\n${r.json.url}\n`);

      // a VirtualBox or VMware machine opens the same review
      for (const name of ['lab.vbox', 'Lab VM.vmx']) {
        const machine = applianceFile(join(d.root, 'files'), name);
        const m = await runCli(home, ['open', machine, '--json'], { env: env({ BROWSER: recorder.path }) });
        assert.equal(m.code, 0, m.stderr);
        assert.equal(importPathFromHash(new URL(m.json.url).hash), machine);
      }
    });

    test('when serve stops, its address and pages go', async () => {
      serve.kill('SIGINT');
      await waitForProcessGone(serve.pid!);
      assert.deepEqual(readdirSync(join(home, 'web')), []);
    });
  });

  test('with nothing serving and no browser: web mode starts in the background, outlives the command, and the address is printed', async () => {
    const { home, cleanup } = tempHome();
    try {
      const file = applianceFile(join(d.root, 'files2'), 'a.ovf');
      // an address left by a server that was killed is not believed
      mkdirSync(join(home, 'web'), { mode: 0o700 });
      writeFileSync(join(home, 'web', 'serve.json'), JSON.stringify({ url: 'http://127.0.0.1:1/?token=stale', pid: 2 ** 22 + 1, startTime: null }), { mode: 0o600 });
      const r = await runCli(home, ['open', file], { env: env() });
      assert.equal(r.code, 0, r.stderr);
      const [head, url, ...rest] = r.stdout.split('\n');
      assert.equal(head, `no browser to open here (no desktop session, $BROWSER unset): open this address to review ${file}; web mode started in the background ('hangar shutdown' stops it)`);
      assert.deepEqual(rest, ['']);
      assert.match(url!, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+#import=/);
      assert.doesNotMatch(url!, /token=stale/);
      // the command has ended; the server it started still serves the page
      const owner = lockPid(home);
      assert.equal(owner.kind, 'hangar serve');
      const res = await fetch(url!.replace(/#.*/, ''));
      assert.equal(res.status, 200);
      assert.match(await res.text(), /<title>Hangar<\/title>/);
      assert.equal(statSync(join(home, 'web', 'serve.log')).mode & 0o777, 0o600);
      // a second open finds it
      const again = await runCli(home, ['open', file, '--json'], { env: env() });
      assert.equal(again.json.startedServe, false);
      assert.equal(again.json.browser, null);
      assert.equal(lockPid(home).pid, owner.pid);

      const stop = await runCli(home, ['shutdown']);
      assert.equal(stop.code, 0, stop.stderr);
      await waitForProcessGone(owner.pid);
      assert.deepEqual(readdirSync(join(home, 'web')), ['serve.log']);
    } finally {
      await cleanup();
    }
  });
});

// `npm start` (dist/src-main/cli/start.node.js), the README's first command, where the desktop app
// cannot run (here: no desktop session): web mode, the browser opened through a private page, the
// address printed; Ctrl-C stops serving and removes the files it left; a second start reuses a
// running server; without any browser the address is still printed.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempHome, waitForProcessGone, waitUntil } from '../helpers/cli.node.js';
import { browserRecorder, tempDesktopEnv } from '../helpers/desktopEnv.node.js';
import { repoRoot } from '../helpers/paths.js';

const startPath = join(repoRoot, 'dist', 'src-main', 'cli', 'start.node.js');

interface Started {
  child: ChildProcess;
  out(): string;
  err(): string;
}

function start(env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [startPath], { env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  return { child, out: () => out, err: () => err };
}

describe('npm start without a desktop session', () => {
  const d = tempDesktopEnv('hangar-start-');
  const { home, cleanup } = tempHome();
  const recorder = browserRecorder(join(d.root, 'browser'));
  const env = { ...d.env, HANGAR_HOME: home, BROWSER: recorder.path };
  let first: Started;

  after(async () => {
    if (first && first.child.exitCode === null) first.child.kill('SIGINT');
    await cleanup();
    d.cleanup();
  });

  test('serves web mode, opens the browser on it and prints the address', async () => {
    first = start(env);
    const url = await waitUntil(`the address (${first.out()} ${first.err()})`, () => /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]+$/m.exec(first.out())?.[0], 90_000);
    assert.match(first.err(), /^Hangar: the desktop app \(Electron\) is not installed here: starting web mode|^Hangar: there is no desktop session here/m);
    const page = await waitUntil('the browser to be asked', () => recorder.opened()[0]);
    assert.match(page, /^file:\/\/\/.*\/web\/open-[0-9a-f]+\.html$/);
    assert.ok(readFileSync(fileURLToPath(page), 'utf8').includes(`content="0;url=${url}"`));
    assert.match(await waitUntil('the browser line', () => /^hangar: opened in your browser \(.*record-browser\)$/m.exec(first.err())?.[0]), /record-browser/);
    const res = await fetch(url);
    assert.equal(res.status, 200);
  });

  test('a second npm start reuses the running server', async () => {
    const second = start(env);
    const code = await new Promise<number | null>((r) => second.child.on('close', r));
    assert.equal(code, 0, second.err());
    const served = (JSON.parse(readFileSync(join(home, 'web', 'serve.json'), 'utf8')) as { url: string; pid: number });
    assert.equal(second.out(), `Hangar: web mode already serves ${home} (opened in your browser: ${recorder.path})\n${served.url}\n`);
    assert.equal(recorder.opened().length, 2);
    assert.equal((JSON.parse(readFileSync(join(home, 'owner.lock'), 'utf8')) as { pid: number }).pid, served.pid);
  });

  test('Ctrl-C stops serving and removes what it left in the home', async () => {
    const servePid = (JSON.parse(readFileSync(join(home, 'web', 'serve.json'), 'utf8')) as { pid: number }).pid;
    // the terminal sends Ctrl-C to the whole foreground group: npm start and the server it runs
    first.child.kill('SIGINT');
    process.kill(servePid, 'SIGINT');
    const code = await new Promise<number | null>((r) => (first.child.exitCode !== null ? r(first.child.exitCode) : first.child.on('close', r)));
    assert.equal(code, 0, first.err());
    await waitForProcessGone(servePid);
    assert.deepEqual(readdirSync(join(home, 'web')), []);
    assert.match(first.err(), /web mode stopped; running VMs keep running/);
  });

  test('without any browser, the address is printed all the same', async () => {
    const { BROWSER: _b, ...noBrowser } = env;
    const s = start(noBrowser);
    try {
      await waitUntil('the address', () => /^http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/m.exec(s.out())?.[0], 90_000);
      await waitUntil('the no-browser line', () => /^hangar: no browser to open here \(no desktop session, \$BROWSER unset\): open the address above$/m.exec(s.err())?.[0]);
      assert.equal(recorder.opened().length, 2);
    } finally {
      s.child.kill('SIGINT');
      const pid = (JSON.parse(readFileSync(join(home, 'owner.lock'), 'utf8')) as { pid: number }).pid;
      process.kill(pid, 'SIGINT');
      await waitForProcessGone(pid);
    }
  });
});

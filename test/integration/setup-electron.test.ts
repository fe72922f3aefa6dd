// Set-up's Electron step (.ci/setup-electron) where the download cannot happen: a refused connection,
// a server that never answers, CI, and a user's explicit skip. Each ends in one line and exit 0, and
// nothing is installed. The download is pointed at this machine (ELECTRON_MIRROR), never outside.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { electronBinary } from '../../src-main/desktop/desktopApp.node.js';

const installed = electronBinary() !== null;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('set-up: the Electron step when the download cannot happen', () => {
  const work = mkdtempSync(join(tmpdir(), 'hangar-electron-step-'));
  let refusedPort: number;
  let silent: Server;
  let silentPort: number;
  const held: Socket[] = [];

  /** Runs the step (asynchronously: the silent server below lives in this process). */
  const run = (env: Record<string, string>): Promise<{ code: number | null; lines: string[]; stderr: string }> => {
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(base)) if (/electron/i.test(k) || k === 'CI') delete base[k];
    const child = spawn('bash', [join(repoRoot, '.ci', 'setup-electron')], { env: { ...base, HOME: work, electron_config_cache: join(work, 'cache'), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, lines: stdout.split('\n').filter((l) => l !== ''), stderr })));
  };

  before(async () => {
    // a port that refuses: opened, then closed
    const probe = createServer();
    refusedPort = await listen(probe);
    await new Promise((r) => probe.close(r));
    // a server that takes the connection and never answers
    silent = createServer((s) => held.push(s));
    silentPort = await listen(silent);
  });
  after(() => {
    for (const s of held) s.destroy();
    silent?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('a refused connection: one line with the reason, exit 0', async () => {
    const r = await run({ ELECTRON_MIRROR: `http://127.0.0.1:${refusedPort}/` });
    assert.equal(r.code, 0, r.stderr);
    if (installed) assert.deepEqual(r.lines, ['setup: desktop app: Electron is installed (npm start opens it in a desktop session)']);
    else assert.deepEqual(r.lines, [`setup: desktop app: Electron could not be downloaded (RequestError: connect ECONNREFUSED 127.0.0.1:${refusedPort}); npm start serves web mode instead`]);
    assert.equal(electronBinary() !== null, installed, 'nothing was installed');
  });

  test('no answer: the step gives up at its limit, exit 0', async () => {
    const r = await run({ ELECTRON_MIRROR: `http://127.0.0.1:${silentPort}/`, HANGAR_ELECTRON_TIMEOUT: '3' });
    assert.equal(r.code, 0, r.stderr);
    if (installed) assert.deepEqual(r.lines, ['setup: desktop app: Electron is installed (npm start opens it in a desktop session)']);
    else {
      assert.deepEqual(r.lines, ['setup: desktop app: Electron could not be downloaded (no answer within 3 s); npm start serves web mode instead']);
      assert.equal(held.length, 1, 'the download did reach the silent server');
    }
  });

  test('CI and ELECTRON_SKIP_BINARY_DOWNLOAD: not tried, and said so', async () => {
    const contacted = held.length;
    const ci = await run({ CI: 'true', ELECTRON_MIRROR: `http://127.0.0.1:${silentPort}/` });
    const skip = await run({ ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ELECTRON_MIRROR: `http://127.0.0.1:${silentPort}/` });
    assert.equal(held.length, contacted, 'no download was tried');
    assert.equal(ci.code, 0);
    assert.equal(skip.code, 0);
    if (installed) {
      assert.match(ci.lines.join('\n'), /^setup: desktop app: Electron is installed/);
    } else {
      assert.deepEqual(ci.lines, ['setup: desktop app: not downloading Electron on CI; npm start serves web mode']);
      assert.deepEqual(skip.lines, ['setup: desktop app: ELECTRON_SKIP_BINARY_DOWNLOAD is set, so Electron is not downloaded; npm start serves web mode']);
    }
    assert.deepEqual(readdirSync(work).filter((f) => f !== 'cache'), []);
  });
});

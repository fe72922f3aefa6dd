// Web mode's doors: the token, the Origin and Host checks, schema validation of API payloads, the CSP,
// and `hangar serve` taking the home over from a headless owner without stopping it badly.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import WebSocket from 'ws';
import { runCli, tempHome, cliPath, waitUntil, waitForProcessGone } from '../helpers/cli.node.js';

/**
 * Opens a WebSocket. `status` is the HTTP status of a refused upgrade; a refusal that arrives as a
 * reset connection (the server closes right after its answer) reads as status 0, and `events`
 * says what happened, for the failure message.
 */
function openWs(url: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; status?: number; events: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    const events: string[] = [];
    ws.once('open', () => resolve({ ws, events: [...events, 'open'].join(',') }));
    ws.once('unexpected-response', (_req, res) => {
      events.push(`response ${res.statusCode}`);
      resolve({ status: res.statusCode, events: events.join(',') });
      res.resume();
    });
    ws.once('error', (e) => {
      events.push(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`);
      resolve({ status: 0, events: events.join(',') });
    });
  });
}

/** The upgrade was refused with `status` (never opened). */
async function refused(url: string, status: number, headers: Record<string, string> = {}): Promise<void> {
  const r = await openWs(url, headers);
  r.ws?.close();
  assert.equal(r.ws, undefined, `${url} must not open (${r.events})`);
  assert.equal(r.status, status, `${url}: ${r.events}`);
}

function call(ws: WebSocket, id: number, method: string, input: unknown): Promise<{ t: string; output?: unknown; error?: { code: string; message: string } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const m = JSON.parse(data.toString()) as { t: string; id?: number };
      if (m.id !== id || (m.t !== 'ok' && m.t !== 'err')) return;
      ws.off('message', onMessage);
      resolve(m as never);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ t: 'req', id, method, input }));
  });
}

function httpGet(port: number, path: string, host: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web mode security', () => {
  const { home, cleanup } = tempHome();
  let serve: ChildProcess;
  let url: URL;
  let headlessPid: number;

  before(async () => {
    const first = await runCli(home, ['host', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.json.ownerKind, 'headless owner');
    headlessPid = first.json.ownerPid;
    serve = spawn(process.execPath, [cliPath, 'serve'], { env: { ...process.env, HANGAR_HOME: home } });
    let out = '';
    serve.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const line = await waitUntil('the URL', () => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out)?.[0], 60_000);
    url = new URL(line);
  });

  after(async () => {
    if (serve.exitCode === null) {
      const ended = new Promise((r) => serve.once('close', r));
      serve.kill('SIGINT');
      await ended;
    }
    await cleanup();
  });

  test('serve took the home over from the headless owner', async () => {
    await waitForProcessGone(headlessPid);
    const host = await runCli(home, ['host', '--json']);
    assert.equal(host.json.ownerKind, 'hangar serve');
    assert.equal(host.json.ownerPid, serve.pid);
  });

  test('the API refuses a missing or wrong token and a foreign Origin', async () => {
    const base = `ws://127.0.0.1:${url.port}/api`;
    const token = url.searchParams.get('token')!;
    await refused(base, 401);
    // A wrong token: the last character changed (to something else than it was: 'x' would be the
    // token itself once in 64 runs).
    await refused(`${base}?token=${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`, 401);
    await refused(`${base}?token=${token}`, 403, { Origin: 'http://evil.example' });
    await refused(`${base}?token=${token}`, 403, { Origin: `http://127.0.0.1:${Number(url.port) + 1}` });
    await refused(`ws://127.0.0.1:${url.port}/vnc/00000000-0000-0000-0000-000000000000`, 401);
  });

  test('with the token, invalid payloads get a validation error and change nothing', async () => {
    const token = url.searchParams.get('token')!;
    const { ws } = await openWs(`ws://127.0.0.1:${url.port}/api?token=${token}`, { Origin: `http://127.0.0.1:${url.port}` });
    assert.ok(ws);
    try {
      const listed = await call(ws, 1, 'vm.list', {});
      assert.deepEqual(listed, { t: 'ok', id: 1, output: { vms: [] } });
      const bad = [
        { name: 42 },
        { name: 'x', cpus: 'many' },
        { name: 'x', __proto__: { polluted: true }, extra: 1 },
        { name: 'x', memoryMiB: 1e12 },
        { name: '../escape' },
        { name: 'x'.repeat(100_000) },
      ];
      let id = 10;
      for (const input of bad) {
        const r = await call(ws, id++, 'vm.create', input);
        assert.equal(r.t, 'err', JSON.stringify(input).slice(0, 80));
        assert.equal(r.error!.code, 'INVALID_INPUT');
      }
      const unknown = await call(ws, id++, 'vm.destroyEverything', {});
      assert.equal(unknown.error!.code, 'INVALID_INPUT');
      assert.deepEqual((await call(ws, id++, 'vm.list', {})).output, { vms: [] });
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    } finally {
      ws.close();
    }
  });

  test('pages carry a strict CSP, and a foreign Host header is refused', async () => {
    const page = await httpGet(Number(url.port), '/', `127.0.0.1:${url.port}`);
    assert.ok([200, 503].includes(page.status));
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal((await httpGet(Number(url.port), '/', 'evil.example')).status, 421);
    assert.equal((await httpGet(Number(url.port), '/../../etc/passwd', `127.0.0.1:${url.port}`)).status, 404);
  });
});

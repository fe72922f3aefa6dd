// Web mode answers anyone who reaches its port, token or not: no request may end `hangar serve` (and
// with it the home's owner). The known killers first (`GET /%`, `/%c0%ae`, targets `new URL` refuses,
// in the static handler and the WebSocket upgrade handler), then a seeded, bounded fuzz over raw TCP
// of request lines, headers, upgrades and WebSocket frames. After each batch the server still serves
// a page, and at the end the owner still answers the CLI and nothing in the home changed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cliPath, runCli, tempHome, waitUntil } from '../helpers/cli.node.js';

/** A small seeded generator (mulberry32): the same seed gives the same requests, so a failure can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  return { next, int, pick, bytes };
}

/**
 * Sends raw bytes on a fresh connection and collects what comes back until the server closes, or
 * `waitMs` passes (a keep-alive answer leaves the connection open). Never throws: a reset is an answer too.
 */
function rawExchange(port: number, data: Buffer | string, opts: { waitMs?: number; reset?: boolean } = {}): Promise<{ reply: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host: '127.0.0.1', port });
    let reply = '';
    let error: string | undefined;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(finish, opts.waitMs ?? 1_500);
    socket.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      // A complete answer without a body to wait for: enough.
      if (/^HTTP\/1\.1 \d{3}/.test(reply) && reply.includes('\r\n\r\n') && !/^HTTP\/1\.1 101/.test(reply) && /content-length: 0|connection: close/i.test(reply)) finish();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
      finish();
    });
    socket.on('close', finish);
    socket.on('connect', () => {
      socket.write(data);
      if (opts.reset) socket.resetAndDestroy();
    });
  });
}

const statusOf = (reply: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);

describe('web mode survives malformed requests', () => {
  const { home, cleanup } = tempHome('hangar-webfuzz-');
  let serve: ChildProcess;
  let port: number;
  let token: string;
  let ownerPid: number;
  let exited = '';
  const homeFiles = () =>
    readdirSync(home, { recursive: true })
      .map(String)
      .filter((f) => !/^owner\.log$|^inventory\.sqlite-(wal|shm)$/.test(f)) // written as a matter of course
      .sort();
  let filesBefore: string[];

  /** The server still serves its page to a well-formed request (and the process is alive). */
  const stillServes = async (after: string) => {
    assert.equal(exited, '', `hangar serve ended after ${after}: ${exited}`);
    const r = await rawExchange(port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`, { waitMs: 10_000 });
    assert.ok([200, 503].includes(statusOf(r.reply)), `after ${after}, GET / answered ${JSON.stringify(r.reply.slice(0, 80))} ${r.error ?? ''}`);
  };

  before(async () => {
    serve = spawn(process.execPath, [cliPath, 'serve'], { env: { ...process.env, HANGAR_HOME: home } });
    let out = '';
    serve.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    serve.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    serve.on('exit', (code, signal) => (exited = `exit ${code} ${signal ?? ''}: ${out.slice(-600)}`));
    const line = await waitUntil('the URL', () => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(out)?.[0], 60_000);
    const url = new URL(line);
    port = Number(url.port);
    token = url.searchParams.get('token')!;
    await runCli(home, ['create', '--name', 'keep', '--disk', '16M', '--nic', 'none']);
    const host = await runCli(home, ['host', '--json']);
    ownerPid = host.json.ownerPid;
    assert.equal(ownerPid, serve.pid, 'serve is the owner');
    filesBefore = homeFiles();
  });

  after(async () => {
    if (serve.exitCode === null && serve.signalCode === null) {
      const ended = new Promise((r) => serve.once('close', r));
      serve.kill('SIGINT');
      await ended;
    }
    await cleanup();
  });

  test('the known killers get an answer: /%, /%c0%ae, targets the URL parser refuses, as GET and as upgrades', async () => {
    const host = `Host: 127.0.0.1:${port}\r\n`;
    const upgrade = `${host}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n`;
    for (const target of ['/%', '/%c0%ae', '/%E0%A4%A', '/%00', '//[', 'http://[', 'http://%', `/?token=%`, '/api?token=%ff%fe']) {
      const get = await rawExchange(port, `GET ${target} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
      const expected = target.startsWith('/%') ? [400] : [200, 400, 404, 503];
      assert.ok(expected.includes(statusOf(get.reply)), `GET ${target}: ${JSON.stringify(get.reply.slice(0, 60))} ${get.error ?? ''}`);
      await stillServes(`GET ${target}`);
      const up = await rawExchange(port, `GET ${target} HTTP/1.1\r\n${upgrade}\r\n`);
      assert.ok([400, 401, 403, 404].includes(statusOf(up.reply)), `upgrade ${target}: ${JSON.stringify(up.reply.slice(0, 60))} ${up.error ?? ''}`);
      await stillServes(`an upgrade to ${target}`);
    }
    // A refused upgrade whose peer resets at once: the refusal is written to a dead socket.
    for (let i = 0; i < 20; i++) await rawExchange(port, `GET /api HTTP/1.1\r\n${upgrade}\r\n`, { reset: true });
    await stillServes('upgrades reset by their peer');
  });

  test('a seeded fuzz of request lines, headers, upgrades and WebSocket frames leaves the server answering', async () => {
    const seed = Number(process.env.HANGAR_FUZZ_SEED ?? 0x15f00d);
    const r = prng(seed);
    const targets = [
      '/', '/index.html', '/%', '/%%', '/%zz', '/%c0%ae', '/%c0%ae%c0%ae/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd',
      '//', '//[', '///x', 'http://[', 'http://%', 'http://127.0.0.1:1/x', 'https://evil.example/', '*', 'example.com:443', '', ' ',
      '/api', '/api?token=', `/api?token=${token}`, `/api?token=${token}%`, '/vnc/00000000-0000-0000-0000-000000000000', `/vnc/../api?token=${token}`,
      '/\u00e9', '/a\u0000b', '/?a=%ff', `/${'a'.repeat(5000)}`, `/${'%'.repeat(3000)}`, '/assets/%c0', '/%F0%9F%98', '/%ED%A0%80',
    ];
    const methods = ['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'CONNECT', 'TRACE', 'DELETE', 'PATCH', 'BREW', 'G\u00c9T', ''];
    const hosts = [`127.0.0.1:${port}`, `localhost:${port}`, 'evil.example', '', '[', `127.0.0.1:${port}\u0000`, 'a'.repeat(300)];
    const origins = [undefined, `http://127.0.0.1:${port}`, 'http://evil.example', 'null', '%', 'http://[', ''];
    const extraHeaders = [
      'Content-Length: -1', 'Content-Length: 99999999999999999999', 'Content-Length: 5\r\nContent-Length: 6', 'Transfer-Encoding: chunked',
      'Transfer-Encoding: chunked\r\nContent-Length: 3', 'X-Bad: \u0001\u0002', 'Cookie: ' + 'c'.repeat(20_000), ': no-name', 'NoColon',
      'Expect: 100-continue', 'Upgrade: h2c', 'Connection: keep-alive, Upgrade',
    ];
    const frameOf = (opcode: number, payload: Buffer, opts: { mask?: boolean; fin?: boolean; len?: number } = {}) => {
      const mask = opts.mask ?? true;
      const len = opts.len ?? payload.length;
      const head = [((opts.fin ?? true) ? 0x80 : 0) | opcode];
      if (len < 126) head.push((mask ? 0x80 : 0) | len);
      else if (len < 65536) head.push((mask ? 0x80 : 0) | 126, len >> 8, len & 0xff);
      else head.push((mask ? 0x80 : 0) | 127, 0, 0, 0, 0, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
      const key = mask ? r.bytes(4) : Buffer.alloc(0);
      const body = Buffer.from(payload.map((b, i) => (mask ? b ^ key[i % 4]! : b)));
      return Buffer.concat([Buffer.from(head), key, body]);
    };
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const wsPayloads = () =>
      [
        frameOf(1, Buffer.from([0xc0, 0xae, 0xff])), // text that is not UTF-8
        frameOf(1, Buffer.from(deep(100_000))), // deeply nested JSON
        frameOf(1, Buffer.from(`{"t":"req","id":1,"method":"vm.create","input":${deep(50_000)}}`)),
        frameOf(1, Buffer.from('{"t":"req","id":1,"method":"vm.list","input":{}}'), { mask: false }), // a client must mask
        frameOf(0x3, r.bytes(10)), // reserved opcode
        frameOf(2, r.bytes(8), { len: 0x7fffffff }), // claims 2 GiB (over maxPayload)
        frameOf(8, Buffer.from([0x03])), // close with a truncated code
        frameOf(9, r.bytes(200)), // oversized ping
        frameOf(1, Buffer.from('{"t":'), { fin: false }),
        r.bytes(1 + r.int(64)),
      ] as const;

    const rounds = 160;
    for (let i = 0; i < rounds; i++) {
      const kind = r.int(4);
      let request: Buffer;
      let reset = false;
      if (kind === 0) {
        // Random bytes, or a request line from random bytes.
        request = r.int(2) ? r.bytes(1 + r.int(400)) : Buffer.concat([Buffer.from('GET '), r.bytes(1 + r.int(60)), Buffer.from(` HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)]);
      } else {
        const method = kind === 1 ? r.pick(methods) : 'GET';
        const lines = [`${method} ${r.pick(targets)} ${r.pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', ''])}`];
        if (r.int(8)) lines.push(`Host: ${r.pick(hosts)}`);
        const origin = r.pick(origins);
        if (origin !== undefined) lines.push(`Origin: ${origin}`);
        if (kind === 2 || r.int(4) === 0) {
          lines.push('Connection: Upgrade', 'Upgrade: websocket');
          if (r.int(4)) lines.push('Sec-WebSocket-Version: 13');
          if (r.int(4)) lines.push(`Sec-WebSocket-Key: ${r.int(5) ? randomBytes(16).toString('base64') : 'not-a-key'}`);
        }
        for (let h = r.int(3); h > 0; h--) lines.push(r.pick(extraHeaders));
        request = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
        if (kind === 3) {
          // A proper upgrade to the API with the token, then hostile frames.
          const ok = `GET /api?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`;
          request = Buffer.concat([Buffer.from(ok), r.pick(wsPayloads())]);
        }
        reset = r.int(6) === 0;
      }
      await rawExchange(port, request, { reset, waitMs: 400 });
      if (i % 20 === 19) await stillServes(`fuzz round ${i + 1} (seed ${seed})`);
    }
    await stillServes(`${rounds} fuzz rounds (seed ${seed})`);
  });

  test('afterwards the owner still answers and nothing in the home changed', async () => {
    assert.equal(exited, '');
    const list = await runCli(home, ['list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.json.vms.map((v: { name: string }) => v.name), ['keep']);
    const host = await runCli(home, ['host', '--json']);
    assert.equal(host.json.ownerPid, ownerPid, 'the same owner answers');
    assert.deepEqual(homeFiles(), filesBefore);
  });
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createClient, method, serve, type Handlers, type Progress, type Transport } from '../../../../src-vmm/base/rpc.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { DisposableStore } from '../../../../src-vmm/base/disposable.js';
import { connectUnix, describe as describeValue, listenUnix, MAX_UNIX_PATH_BYTES, socketTransport } from '../../../../src-vmm/base/socketTransport.node.js';

const contract = {
  echo: method(z.object({ text: z.string() }).strict(), z.object({ text: z.string() })),
  fail: method(z.object({ code: z.enum(['DISK_FULL', 'NOT_FOUND']) }), z.null()),
  slow: method(z.object({}), z.null(), { long: true }),
  hang: method(z.object({}), z.null()),
  notify: method(z.object({ n: z.number() }), z.null()),
};

/** Handlers for tests that only echo. */
const echoOnly: Handlers<typeof contract> = {
  echo: async ({ text }) => ({ text }),
  fail: async () => null,
  slow: async () => null,
  hang: async () => null,
  notify: async () => null,
};

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

const hasCode = (code: string, message?: RegExp) => (e: unknown) =>
  e instanceof HangarError && e.code === code && (message === undefined || message.test(e.message));

let dir: string;
let counter = 0;
const sockPath = () => join(dir, `s${++counter}.sock`);

/** Polls a condition every 10 ms, at most 500 times. */
async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met within 5 s');
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-st-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** An RPC server on a fresh socket, with hooks to observe its handlers. */
async function startServer() {
  const path = sockPath();
  const store = new DisposableStore();
  const seen = { echo: 0, hangStarted: deferred(), hangAborted: deferred(), slowAborted: deferred() };
  const logs: string[] = [];
  const handlers: Handlers<typeof contract> = {
    echo: async ({ text }) => {
      seen.echo++;
      return { text };
    },
    fail: async ({ code }) => {
      throw new HangarError(code, `failing with ${code}`, { details: { code } });
    },
    slow: async (_input, ctx) => {
      ctx.progress({ fraction: 0.25, message: 'a quarter' });
      ctx.progress({ fraction: 0.5 });
      await aborted(ctx.signal);
      seen.slowAborted.resolve();
      throw new Error('stopped');
    },
    hang: async (_input, ctx) => {
      seen.hangStarted.resolve();
      await aborted(ctx.signal);
      seen.hangAborted.resolve();
      return null;
    },
    notify: async ({ n }, ctx) => {
      ctx.connection.emit('tick', { n });
      return null;
    },
  };
  const transports: Transport[] = [];
  const server = await listenUnix(
    path,
    (t) => {
      transports.push(t);
      store.add(serve(contract, handlers, t));
    },
    { log: (l) => logs.push(l) },
  );
  store.add(server);
  return { path, server, seen, logs, transports, dispose: () => store.dispose() };
}

/** A raw client socket, for speaking bytes the RPC client would never send. */
function rawConnect(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ path });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function readLine(socket: net.Socket): Promise<unknown> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      socket.off('data', onData);
      resolve(JSON.parse(buf.slice(0, nl)));
    };
    socket.on('data', onData);
  });
}

describe('rpc over a unix socket (socketTransport, listenUnix, connectUnix)', () => {
  test('success, bad payload, error codes, unknown method', async () => {
    const srv = await startServer();
    const client = createClient(await connectUnix(srv.path), contract);
    assert.deepEqual(await client.call('echo', { text: 'über 🚀' }), { text: 'über 🚀' });
    await assert.rejects(client.call('echo', { text: 1 } as never), hasCode('INVALID_INPUT', /text/));
    assert.equal(srv.seen.echo, 1);
    await assert.rejects(client.call('fail', { code: 'DISK_FULL' }), (e: unknown) => {
      assert.ok(e instanceof HangarError);
      assert.equal(e.code, 'DISK_FULL');
      assert.equal(e.message, 'failing with DISK_FULL');
      assert.deepEqual(e.details, { code: 'DISK_FULL' });
      return true;
    });
    await assert.rejects(client.call('missing' as never, {} as never), hasCode('INVALID_INPUT', /unknown method 'missing'/));
    client.dispose();
    srv.dispose();
  });

  test('a large message crosses in many chunks', async () => {
    const srv = await startServer();
    const client = createClient(await connectUnix(srv.path), contract);
    const text = 'é'.repeat(3 * 1024 * 1024);
    assert.equal((await client.call('echo', { text })).text, text);
    client.dispose();
    srv.dispose();
  });

  test('progress and cancellation cross the socket', async () => {
    const srv = await startServer();
    const client = createClient(await connectUnix(srv.path), contract);
    const ac = new AbortController();
    const progress: Progress[] = [];
    const call = client.call('slow', {}, {
      signal: ac.signal,
      onProgress: (p) => {
        progress.push(p);
        if (progress.length === 2) ac.abort();
      },
    });
    await assert.rejects(call, hasCode('CANCELLED'));
    await srv.seen.slowAborted.promise;
    assert.deepEqual(progress, [{ fraction: 0.25, message: 'a quarter' }, { fraction: 0.5 }]);
    client.dispose();
    srv.dispose();
  });

  test('events reach the client', async () => {
    const srv = await startServer();
    const client = createClient(await connectUnix(srv.path), contract);
    const events: unknown[] = [];
    client.onEvent((name, payload) => events.push({ name, payload }));
    await client.call('notify', { n: 7 });
    assert.deepEqual(events, [{ name: 'tick', payload: { n: 7 } }]);
    client.dispose();
    srv.dispose();
  });

  test('when the server goes away, pending calls reject and the handler is aborted', async () => {
    const srv = await startServer();
    const client = createClient(await connectUnix(srv.path), contract);
    const closed = deferred();
    client.onClose(() => closed.resolve());
    const call = client.call('hang', {});
    await srv.seen.hangStarted.promise;
    srv.dispose();
    await assert.rejects(call, hasCode('IO_ERROR', /closed while waiting for 'hang'/));
    await closed.promise;
    await srv.seen.hangAborted.promise;
    assert.equal(existsSync(srv.path), false, 'disposing the server removes the socket file');
  });

  test('closing the client side ends the connection on both sides', async () => {
    const srv = await startServer();
    const transport = await connectUnix(srv.path);
    const client = createClient(transport, contract);
    await client.call('echo', { text: 'x' });
    const serverClosed = deferred();
    srv.transports[0]!.onClose(() => serverClosed.resolve());
    client.dispose();
    await serverClosed.promise;
    assert.throws(() => transport.send({ t: 'cancel', id: 1 }), hasCode('IO_ERROR'));
    // A listener added after the close still hears about it.
    const late = deferred();
    transport.onClose(() => late.resolve());
    await late.promise;
    srv.dispose();
  });

  test('lines that are not wire messages are logged and dropped; the connection stays up', async () => {
    const srv = await startServer();
    const raw = await rawConnect(srv.path);
    raw.write('{"hello":"world"}\n[1,2]\n{"t":"req","id":"x","method":"echo"}\n');
    raw.write('{"t":"req","id":4,"method":"echo","input":{"text":"still here"}}\r\n');
    assert.deepEqual(await readLine(raw), { t: 'ok', id: 4, output: { text: 'still here' } });
    assert.equal(srv.logs.filter((l) => /dropped a message that is not an RPC message/.test(l)).length, 3);
    raw.destroy();
    srv.dispose();
  });

  test('a framing error is answered with a typed error for id 0, and closes the connection', async () => {
    const srv = await startServer();
    const raw = await rawConnect(srv.path);
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.on('error', () => undefined);
    const answer = readLine(raw);
    raw.write('{"t":"req", this is not json\n');
    const err = (await answer) as { t: string; id: number; error: { code: string; message: string } };
    assert.deepEqual([err.t, err.id, err.error.code], ['err', 0, 'INVALID_INPUT']);
    assert.match(err.error.message, /line 1 is not valid JSON/);
    await closed;
    assert.ok(srv.logs.some((l) => /closing the connection: line 1 is not valid JSON/.test(l)), srv.logs.join('\n'));
    srv.dispose();
  });

  test('100,000 levels of nesting: a typed error, that connection closed, the server and its other clients carry on', async () => {
    const srv = await startServer();
    const other = await connectUnix(srv.path);
    const client = createClient(other, contract);
    const raw = await rawConnect(srv.path);
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.on('error', () => undefined);
    const answer = readLine(raw);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    // Not a wire message (its description for the log is what overflowed), then as a request's input.
    raw.write(`${deep}\n{"t":"req","id":1,"method":"echo","input":${deep}}\n`);
    const err = (await answer) as { t: string; id: number; error: { code: string; message: string } };
    assert.equal(err.t, 'err');
    assert.equal(err.id, 0);
    assert.equal(err.error.code, 'INVALID_INPUT');
    assert.match(err.error.message, /line 1 nests arrays or objects deeper than the 1024-level limit/);
    await closed;
    assert.deepEqual(await client.call('echo', { text: 'still here' }), { text: 'still here' });
    client.dispose();
    srv.dispose();
  });

  test('an overlong line closes the connection', async () => {
    const path = sockPath();
    const logs: string[] = [];
    // The transport under test is a client with a small limit, fed by a raw server.
    const rawServer = net.createServer();
    const serverSocket = new Promise<net.Socket>((resolve) => rawServer.once('connection', resolve));
    await new Promise<void>((resolve) => rawServer.listen(path, resolve));
    const socket = net.createConnection({ path });
    const t = socketTransport(socket, { log: (l) => logs.push(l), maxLineBytes: 64 });
    const closed = deferred();
    t.onClose(() => closed.resolve());
    const peer = await serverSocket;
    const answer = readLine(peer); // also keeps the peer reading, so it sees the end of the connection
    peer.write('{"t":"event","name":"' + 'x'.repeat(100) + '"}\n');
    await closed.promise;
    assert.ok(logs.some((l) => /longer than the 64 bytes limit/.test(l)), logs.join('\n'));
    assert.match((((await answer) as { error: { message: string } }).error.message), /line 1 is longer than the 64 bytes limit/);
    peer.resume();
    await new Promise<void>((resolve) => rawServer.close(() => resolve()));
  });
});

describe('describing a dropped value for the log', () => {
  test('any value gets a short text, even one too deep for JSON.stringify and String()', () => {
    assert.equal(describeValue({ a: 1 }), '{"a":1}');
    assert.equal(describeValue('x'.repeat(500)).length, 121);
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(describeValue(deep), 'an array');
    assert.equal(describeValue({ toJSON: () => { throw new Error('no'); }, toString: () => { throw new Error('no'); } }), 'a value of type object');
  });
});

describe('listenUnix', () => {
  test('the socket file has mode 0600 even under a permissive umask', async () => {
    const previous = process.umask(0o000);
    try {
      const srv = await listenUnix(sockPath(), () => undefined);
      assert.equal(statSync(srv.path).mode & 0o777, 0o600);
      assert.ok(statSync(srv.path).isSocket());
      srv.dispose();
    } finally {
      process.umask(previous);
    }
    assert.equal(process.umask(), previous, 'the umask is restored');
  });

  test('a live owner is an OWNER_CONFLICT and keeps its socket', async () => {
    const first = await startServer();
    await assert.rejects(listenUnix(first.path, () => undefined), hasCode('OWNER_CONFLICT', /another process is already listening/));
    const client = createClient(await connectUnix(first.path), contract);
    assert.deepEqual(await client.call('echo', { text: 'still mine' }), { text: 'still mine' });
    client.dispose();
    first.dispose();
  });

  test('a stale socket left by a killed process is replaced', async () => {
    const path = sockPath();
    // A separate process listens and is killed with SIGKILL: nothing gets to remove its socket file.
    const child = spawn(
      process.execPath,
      ['-e', `require('node:net').createServer().listen(process.argv[1], () => console.log('listening'))`, path],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    assert.ok(statSync(path).isSocket(), 'the dead process left its socket behind');
    await assert.rejects(connectUnix(path), hasCode('IO_ERROR', /connection refused/));

    const srv = await listenUnix(path, (t) => serve(contract, echoOnly, t));
    const client = createClient(await connectUnix(path), contract);
    assert.deepEqual(await client.call('echo', { text: 'new owner' }), { text: 'new owner' });
    client.dispose();
    srv.dispose();
  });

  test('drain frees the path at once, delivers what was written, then each client sees the close', async () => {
    const path = sockPath();
    const events = new Set<Transport>();
    const srv = await listenUnix(path, (t) => events.add(t));
    const client = createClient(await connectUnix(path), contract);
    const got: unknown[] = [];
    client.onEvent((name, payload) => got.push([name, payload]));
    const closed = new Promise<void>((r) => client.onClose(() => r()));
    await waitFor(() => events.size === 1);
    // The last word, written just before the drain: it must reach the client before the close.
    for (const t of events) t.send({ t: 'event', name: 'host.state', payload: { state: 'stopped' } });
    const draining = srv.drain(5_000);
    // A successor may listen on the path while the old connections are still open.
    assert.equal(existsSync(path), false, 'the path is freed before the connections end');
    const successor = await listenUnix(path, () => undefined);
    await closed;
    await draining;
    assert.deepEqual(got, [['host.state', { state: 'stopped' }]]);
    successor.dispose();
    client.dispose();
  });

  test('drain does not wait past the time given for a client that never closes its side', async () => {
    const path = sockPath();
    const srv = await listenUnix(path, () => undefined);
    // A raw socket that never ends its side (allowHalfOpen): only the timeout ends the drain.
    const raw = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection({ path, allowHalfOpen: true });
      s.once('connect', () => resolve(s));
      s.once('error', reject);
    });
    const ended = new Promise<void>((r) => raw.once('end', () => r()));
    raw.on('data', () => undefined);
    let drained = false;
    const draining = srv.drain(50).then(() => (drained = true));
    await ended;
    assert.equal(raw.destroyed, false, 'the client still holds its side open');
    await draining;
    assert.equal(drained, true);
    raw.destroy();
  });

  test('a path that is not a socket is left alone', async () => {
    const path = sockPath();
    writeFileSync(path, 'precious');
    await assert.rejects(listenUnix(path, () => undefined), hasCode('ALREADY_EXISTS', /is not a socket/));
    assert.equal(readFileSync(path, 'utf8'), 'precious');
  });

  test('a folder that does not exist is NOT_FOUND', async () => {
    await assert.rejects(listenUnix(join(dir, 'nope', 'x.sock'), () => undefined), hasCode('NOT_FOUND', /folder does not exist/));
  });

  test('a path over 107 bytes is refused with a clear error, by listen and connect alike', async () => {
    const long = join(dir, 'x'.repeat(MAX_UNIX_PATH_BYTES - dir.length), 's.sock');
    assert.ok(Buffer.byteLength(long) > MAX_UNIX_PATH_BYTES);
    await assert.rejects(listenUnix(long, () => undefined), hasCode('INVALID_INPUT', /bytes long, but unix sockets allow at most 107/));
    await assert.rejects(connectUnix(long), hasCode('INVALID_INPUT', /at most 107/));
    const exact = join(dir, 'y'.repeat(MAX_UNIX_PATH_BYTES - dir.length - 1));
    assert.equal(Buffer.byteLength(exact), MAX_UNIX_PATH_BYTES);
    const srv = await listenUnix(exact, () => undefined);
    srv.dispose();
  });
});

describe('connectUnix', () => {
  test('without retry, a missing socket is NOT_FOUND at once', async () => {
    await assert.rejects(connectUnix(join(dir, 'absent.sock')), hasCode('NOT_FOUND', /socket file does not exist/));
  });

  test('with retryUntilMs, it waits for the server to appear', async () => {
    const path = sockPath();
    const connecting = connectUnix(path, { retryUntilMs: 10_000 });
    // Let the first attempts fail on the missing file before the server exists.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    const srv = await startServerAt(path);
    const client = createClient(await connecting, contract);
    assert.deepEqual(await client.call('echo', { text: 'late server' }), { text: 'late server' });
    client.dispose();
    srv.dispose();
  });

  test('retrying gives up after retryUntilMs', async () => {
    await assert.rejects(connectUnix(join(dir, 'never.sock'), { retryUntilMs: 150 }), hasCode('NOT_FOUND', /after retrying for \d+ ms/));
  });

  test('an aborted signal stops the retrying', async () => {
    const ac = new AbortController();
    const connecting = connectUnix(join(dir, 'never2.sock'), { retryUntilMs: 60_000, signal: ac.signal });
    ac.abort();
    await assert.rejects(connecting, hasCode('CANCELLED'));
  });
});

async function startServerAt(path: string) {
  return listenUnix(path, (t) => serve(contract, echoOnly, t));
}

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QmpClient, type QmpDisconnectInfo, type QmpRunstate } from '../../../../src-vmm/qmp/client.node.js';
import { QmpCommandError, QmpDisconnectedError, QmpStateError } from '../../../../src-vmm/qmp/errors.js';
import type { QmpEventMessage } from '../../../../src-vmm/qmp/types.js';
import { JsonLineDecoder } from '../../../../src-vmm/base/jsonLines.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';

const GREETING = {
  QMP: { version: { qemu: { micro: 22, minor: 2, major: 7 }, package: ' (Fake 1:7.2)' }, capabilities: ['oob'] },
};

interface Command {
  execute: string;
  arguments?: unknown;
  id?: unknown;
}

/** One client connection as the fake server sees it. */
class FakeConn {
  readonly received: Command[] = [];
  constructor(readonly socket: net.Socket) {}
  send(m: unknown): void {
    // QEMU ends its lines with CRLF.
    this.socket.write(`${JSON.stringify(m)}\r\n`);
  }
  reply(cmd: Command, value: unknown = {}): void {
    this.send({ return: value, id: cmd.id });
  }
  fail(cmd: Command, errorClass: string, desc: string): void {
    this.send({ error: { class: errorClass, desc }, id: cmd.id });
  }
  event(name: string, data?: unknown): void {
    this.send({ event: name, ...(data === undefined ? {} : { data }), timestamp: { seconds: 1700000000, microseconds: 42 } });
  }
}

type CommandHandler = (cmd: Command, conn: FakeConn) => void;

/** A QMP server that speaks the protocol's framing; each test scripts the commands it cares about. */
class FakeQmp {
  readonly server = net.createServer();
  readonly connections: FakeConn[] = [];
  greeting: unknown = GREETING;
  /** Called for every command except qmp_capabilities (answered with {} unless capabilities is set). */
  onCommand: CommandHandler = (cmd, conn) => conn.reply(cmd);
  capabilities: CommandHandler | undefined;
  private waiters: { n: number; resolve: () => void }[] = [];
  private commandCount = 0;

  constructor(readonly path: string) {
    this.server.on('connection', (socket) => {
      const conn = new FakeConn(socket);
      this.connections.push(conn);
      socket.on('error', () => undefined);
      if (this.greeting !== null) conn.send(this.greeting);
      const decoder = new JsonLineDecoder();
      socket.on('data', (chunk) => {
        for (const m of decoder.push(chunk) as Command[]) {
          conn.received.push(m);
          if (m.execute === 'qmp_capabilities') (this.capabilities ?? ((c, k) => k.reply(c)))(m, conn);
          else {
            this.commandCount++;
            this.onCommand(m, conn);
            for (const w of this.waiters.filter((x) => this.commandCount >= x.n)) w.resolve();
          }
        }
      });
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve));
  }

  /** Resolves once n commands (other than qmp_capabilities) have arrived in total. */
  commands(n: number): Promise<void> {
    if (this.commandCount >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  get last(): FakeConn {
    return this.connections[this.connections.length - 1]!;
  }

  close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let dir: string;
let n = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-qmp-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function fake(): Promise<FakeQmp> {
  const f = new FakeQmp(join(dir, `qmp${++n}.sock`));
  await f.listen();
  return f;
}

/** A client connected to a fresh fake server; logs are kept for assertions. */
async function connected(setup?: (f: FakeQmp) => void) {
  const f = await fake();
  setup?.(f);
  const logs: string[] = [];
  const qmp = new QmpClient({ log: (l) => logs.push(l) });
  await qmp.connect(f.path, { timeoutMs: 5_000 });
  return { f, qmp, logs };
}

const isQmpError = (command: string, errorClass: string, desc: string) => (e: unknown) => {
  assert.ok(e instanceof QmpCommandError, String(e));
  assert.ok(e instanceof HangarError);
  assert.equal(e.code, 'QMP_ERROR');
  assert.equal(e.command, command);
  assert.equal(e.errorClass, errorClass);
  assert.equal(e.desc, desc);
  assert.equal(e.message, `QEMU refused '${command}': ${desc}`);
  assert.deepEqual(e.details, { command, errorClass, desc });
  return true;
};

const hasCode = (code: string, message?: RegExp) => (e: unknown) =>
  e instanceof HangarError && e.code === code && (message === undefined || message.test(e.message));

describe('QmpClient', () => {
  test('reads the greeting, negotiates capabilities first, and walks idle → connecting → running', async () => {
    const f = await fake();
    const qmp = new QmpClient();
    const states: QmpRunstate[] = [];
    qmp.onRunstateChange((s) => states.push(s));
    assert.equal(qmp.runstate, 'idle');
    assert.equal(qmp.version, undefined);
    await qmp.connect(f.path);
    assert.equal(qmp.runstate, 'running');
    assert.deepEqual(states, ['connecting', 'running']);
    assert.deepEqual(qmp.version, GREETING.QMP.version);
    assert.deepEqual(qmp.capabilities, ['oob']);
    assert.deepEqual(f.last.received, [{ execute: 'qmp_capabilities', id: 'hangar#00001' }]);

    assert.deepEqual(await qmp.execute('query-status'), {});
    await qmp.execute('screendump', { filename: '/tmp/x.png', format: 'png' });
    assert.deepEqual(f.last.received.slice(1), [
      { execute: 'query-status', id: 'hangar#00002' },
      { execute: 'screendump', arguments: { filename: '/tmp/x.png', format: 'png' }, id: 'hangar#00003' },
    ]);
    await qmp.disconnect();
    assert.deepEqual(states, ['connecting', 'running', 'disconnecting', 'idle']);
    await f.close();
  });

  test('replies are matched by id, whatever their order', async () => {
    const held: { cmd: Command; conn: FakeConn }[] = [];
    const { f, qmp } = await connected((f) => {
      f.onCommand = (cmd, conn) => held.push({ cmd, conn });
    });
    const status = qmp.execute('query-status');
    const version = qmp.execute('query-version');
    const block = qmp.execute('query-block');
    await f.commands(3);
    const [s, v, b] = held;
    b!.conn.reply(b!.cmd, [{ device: 'disk0' }]);
    v!.conn.reply(v!.cmd, { qemu: { major: 1, minor: 2, micro: 3 }, package: '' });
    s!.conn.reply(s!.cmd, { running: false, status: 'prelaunch' });
    assert.deepEqual(await status, { running: false, status: 'prelaunch' });
    assert.deepEqual(await version, { qemu: { major: 1, minor: 2, micro: 3 }, package: '' });
    assert.deepEqual(await block, [{ device: 'disk0' }]);
    await qmp.disconnect();
    await f.close();
  });

  test('an error reply rejects with QmpCommandError carrying command, class and desc', async () => {
    const { f, qmp } = await connected((f) => {
      f.onCommand = (cmd, conn) => conn.fail(cmd, 'GenericError', "Job 'nope' not found");
    });
    await assert.rejects(qmp.execute('job-cancel', { id: 'nope' }), isQmpError('job-cancel', 'GenericError', "Job 'nope' not found"));
    assert.equal(qmp.runstate, 'running', 'a refused command does not end the connection');
    await qmp.disconnect();
    await f.close();
  });

  test('events reach named and "*" listeners with data and timestamp; a failing listener is logged', async () => {
    const { f, qmp, logs } = await connected();
    const named: unknown[] = [];
    const all: QmpEventMessage[] = [];
    qmp.onEvent('SHUTDOWN', () => {
      throw new Error('listener bug');
    });
    const sub = qmp.onEvent('SHUTDOWN', (data, ev) => named.push([data, ev.timestamp]));
    qmp.onEvent('*', (_data, ev) => all.push(ev));
    const waited = qmp.waitForEvent('SHUTDOWN', (d) => d.reason === 'host-qmp-quit', { timeoutMs: 5_000 });
    f.last.event('STOP');
    f.last.event('SHUTDOWN', { guest: true, reason: 'guest-shutdown' });
    f.last.event('SHUTDOWN', { guest: false, reason: 'host-qmp-quit' });
    assert.deepEqual(await waited, { guest: false, reason: 'host-qmp-quit' });
    assert.deepEqual(named, [
      [{ guest: true, reason: 'guest-shutdown' }, { seconds: 1700000000, microseconds: 42 }],
      [{ guest: false, reason: 'host-qmp-quit' }, { seconds: 1700000000, microseconds: 42 }],
    ]);
    assert.deepEqual(
      all.map((e) => [e.event, e.data]),
      [
        ['STOP', {}],
        ['SHUTDOWN', { guest: true, reason: 'guest-shutdown' }],
        ['SHUTDOWN', { guest: false, reason: 'host-qmp-quit' }],
      ],
    );
    assert.equal(logs.filter((l) => /a listener for the SHUTDOWN event failed: Error: listener bug/.test(l)).length, 2);

    sub.dispose();
    const next = qmp.waitForEvent('RESET', undefined, { timeoutMs: 5_000 });
    f.last.event('SHUTDOWN', { guest: true, reason: 'guest-reset' });
    f.last.event('RESET', { guest: true, reason: 'guest-reset' });
    await next;
    assert.equal(named.length, 2, 'a disposed listener hears nothing more');
    await qmp.disconnect();
    await f.close();
  });

  test('executeAndWait catches an event that QEMU sends before its reply', async () => {
    const { f, qmp } = await connected((f) => {
      f.onCommand = (cmd, conn) => {
        if (cmd.execute === 'stop') {
          conn.event('STOP'); // first the event...
          conn.reply(cmd); // ...then the reply
        } else if (cmd.execute === 'cont') {
          conn.reply(cmd);
          conn.event('RESUME');
        } else if (cmd.execute === 'migrate') {
          conn.reply(cmd);
          conn.event('MIGRATION', { status: 'setup' });
          conn.event('MIGRATION', { status: 'active' });
          conn.event('MIGRATION', { status: 'completed' });
        } else conn.fail(cmd, 'GenericError', 'not now');
      };
    });
    assert.deepEqual(await qmp.executeAndWait('stop', undefined, 'STOP', undefined, { timeoutMs: 5_000 }), { result: {}, event: {} });
    assert.deepEqual(await qmp.executeAndWait('cont', undefined, 'RESUME'), { result: {}, event: {} });
    const migrated = await qmp.executeAndWait('migrate', { uri: 'unix:/tmp/m.sock' }, 'MIGRATION', (d) => d.status === 'completed');
    assert.deepEqual(migrated.event, { status: 'completed' });
    // A refused command rejects and stops the wait for its event.
    await assert.rejects(qmp.executeAndWait('system_reset', undefined, 'RESET', undefined, { timeoutMs: 5_000 }), isQmpError('system_reset', 'GenericError', 'not now'));
    await qmp.disconnect();
    await f.close();
  });

  test('an abrupt close rejects pending commands and event waits, and reports the disconnect', async () => {
    const { f, qmp } = await connected((f) => {
      f.onCommand = (cmd, conn) => {
        if (cmd.execute === 'query-block') conn.socket.destroy();
      };
    });
    const disconnects: QmpDisconnectInfo[] = [];
    qmp.onDisconnect((d) => disconnects.push(d));
    const slow = qmp.execute('query-status');
    const waiting = qmp.waitForEvent('SHUTDOWN');
    const dying = qmp.execute('query-block');
    const gone = (command: string) => (e: unknown) => {
      assert.ok(e instanceof QmpDisconnectedError, String(e));
      assert.equal(e.code, 'IO_ERROR');
      assert.equal(e.reason, 'QEMU closed the connection');
      assert.match(e.message, new RegExp(`while waiting for ${command}: QEMU closed the connection`));
      return true;
    };
    await assert.rejects(slow, gone("'query-status'"));
    await assert.rejects(dying, gone("'query-block'"));
    await assert.rejects(waiting, gone('the SHUTDOWN event'));
    assert.deepEqual(disconnects, [{ reason: 'QEMU closed the connection', requested: false }]);
    assert.equal(qmp.runstate, 'idle');
    await assert.rejects(qmp.execute('query-status'), (e: unknown) => {
      assert.ok(e instanceof QmpStateError);
      assert.equal(e.code, 'STATE_CONFLICT');
      assert.match(e.message, /QMP is not connected: call connect\(\) before you run 'query-status'/);
      return true;
    });
    // The client can connect again; ids keep counting.
    f.onCommand = (cmd, conn) => conn.reply(cmd, { running: true, status: 'running' });
    await qmp.connect(f.path);
    assert.deepEqual(await qmp.execute('query-status'), { running: true, status: 'running' });
    assert.equal(f.last.received[1]!.id, 'hangar#00005');
    await qmp.disconnect();
    await f.close();
  });

  test('a line over 10 MiB is a protocol error that ends the connection', async () => {
    const { f, qmp, logs } = await connected((f) => {
      f.onCommand = (_cmd, conn) => {
        // 11 MiB without a newline: the client must give up without waiting for the end of the line.
        conn.socket.write(`{"return": "${'x'.repeat(11 * 1024 * 1024)}`);
      };
    });
    const disconnected = new Promise<QmpDisconnectInfo>((resolve) => qmp.onDisconnect(resolve));
    await assert.rejects(qmp.execute('query-qmp-schema'), (e: unknown) => {
      assert.ok(e instanceof QmpDisconnectedError);
      assert.match(e.reason, /^protocol error: line 3 is longer than the 10 MiB limit/);
      return true;
    });
    assert.equal((await disconnected).requested, false);
    assert.ok(logs.some((l) => /closing the QMP connection: line 3 is longer than the 10 MiB limit/.test(l)));
    await f.close();
  });

  test('replies with an unknown id or none are logged and dropped', async () => {
    const { f, qmp, logs } = await connected((f) => {
      f.onCommand = (cmd, conn) => {
        conn.send({ return: { wrong: true }, id: 'hangar#99999' });
        conn.send({ error: { class: 'GenericError', desc: 'JSON parse error' } });
        conn.send({ something: 'else' });
        conn.reply(cmd, { running: false, status: 'paused' });
      };
    });
    assert.deepEqual(await qmp.execute('query-status'), { running: false, status: 'paused' });
    assert.ok(logs.some((l) => l.startsWith('dropped a reply with unknown id "hangar#99999"')), logs.join('\n'));
    assert.ok(logs.some((l) => l.startsWith('dropped a reply with no id')), logs.join('\n'));
    assert.ok(logs.some((l) => l.startsWith('dropped an unexpected QMP message')), logs.join('\n'));
    await qmp.disconnect();
    await f.close();
  });

  test('a timed-out command rejects with TIMEOUT; its late reply is dropped', async () => {
    const held: { cmd: Command; conn: FakeConn }[] = [];
    const { f, qmp, logs } = await connected((f) => {
      f.onCommand = (cmd, conn) => {
        if (cmd.execute === 'quit') held.push({ cmd, conn });
        else conn.reply(cmd);
      };
    });
    await assert.rejects(qmp.execute('quit', undefined, { timeoutMs: 30 }), hasCode('TIMEOUT', /did not answer 'quit' within 30 ms/));
    held[0]!.conn.reply(held[0]!.cmd);
    assert.deepEqual(await qmp.execute('stop'), {}); // the late reply arrived before this one
    assert.ok(logs.some((l) => l.startsWith('dropped a reply with unknown id "hangar#00002"')), logs.join('\n'));
    const ac = new AbortController();
    f.onCommand = () => ac.abort();
    await assert.rejects(qmp.execute('cont', undefined, { signal: ac.signal }), hasCode('CANCELLED'));
    await qmp.disconnect();
    await f.close();
  });

  test('methods called in the wrong runstate throw QmpStateError saying what to do', async () => {
    const f = await fake();
    f.greeting = null; // hold the greeting back to keep the client connecting
    const qmp = new QmpClient();
    await assert.rejects(qmp.execute('query-status'), hasCode('STATE_CONFLICT', /call connect\(\) before/));
    await assert.rejects(qmp.waitForEvent('STOP'), hasCode('STATE_CONFLICT', /call connect\(\) before you wait for the STOP event/));
    const connecting = qmp.connect(f.path);
    await new Promise<void>((resolve) => f.server.once('connection', () => resolve()));
    assert.equal(qmp.runstate, 'connecting');
    await assert.rejects(qmp.execute('query-status'), hasCode('STATE_CONFLICT', /still connecting: wait for connect\(\) to finish/));
    await assert.rejects(qmp.connect(f.path), hasCode('STATE_CONFLICT', /QMP is connecting/));
    f.last.send(GREETING);
    await connecting;
    await assert.rejects(qmp.connect(f.path), hasCode('STATE_CONFLICT', /already connected: call disconnect\(\) before connecting again/));
    const closing = qmp.disconnect();
    assert.equal(qmp.runstate, 'disconnecting');
    await assert.rejects(qmp.execute('query-status'), hasCode('STATE_CONFLICT', /closing: connect again/));
    await closing;
    await f.close();
  });

  test('disconnect() is clean, reported as requested, and lets answered commands finish', async () => {
    const { f, qmp } = await connected();
    const disconnects: QmpDisconnectInfo[] = [];
    qmp.onDisconnect((d) => disconnects.push(d));
    const answered = qmp.execute('query-status');
    await qmp.disconnect();
    assert.deepEqual(await answered, {});
    assert.deepEqual(disconnects, [{ reason: 'disconnected by the client', requested: true }]);
    await qmp.disconnect(); // idempotent
    await f.close();
  });

  test('connect retries until the socket appears', async () => {
    const f = new FakeQmp(join(dir, `late${++n}.sock`));
    const qmp = new QmpClient();
    const connecting = qmp.connect(f.path, { timeoutMs: 5_000, retryUntilMs: 10_000 });
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    assert.equal(qmp.runstate, 'connecting');
    await f.listen();
    await connecting;
    assert.equal(qmp.runstate, 'running');
    await qmp.disconnect();
    await f.close();
  });

  test('connect failures leave the client idle: no socket, bad greeting, silent server, refused capabilities, disconnect()', async () => {
    const qmp = new QmpClient();
    await assert.rejects(qmp.connect(join(dir, 'absent.sock')), hasCode('NOT_FOUND'));
    assert.equal(qmp.runstate, 'idle');

    const bad = await fake();
    bad.greeting = { hello: 'I am not QEMU' };
    await assert.rejects(qmp.connect(bad.path), (e: unknown) => e instanceof QmpDisconnectedError && /protocol error: expected the QMP greeting/.test(e.reason));
    assert.equal(qmp.runstate, 'idle');

    const silent = await fake();
    silent.greeting = null;
    await assert.rejects(qmp.connect(silent.path, { timeoutMs: 50 }), hasCode('TIMEOUT', /did not complete the QMP handshake .* within 50 ms/));
    assert.equal(qmp.runstate, 'idle');

    const refusing = await fake();
    refusing.capabilities = (cmd, conn) => conn.fail(cmd, 'CommandNotFound', 'no capabilities today');
    await assert.rejects(qmp.connect(refusing.path), isQmpError('qmp_capabilities', 'CommandNotFound', 'no capabilities today'));
    assert.equal(qmp.runstate, 'idle');

    const never = qmp.connect(join(dir, 'never.sock'), { retryUntilMs: 60_000 });
    assert.equal(qmp.runstate, 'connecting');
    await qmp.disconnect();
    await assert.rejects(never, (e: unknown) => e instanceof QmpDisconnectedError && /disconnect\(\) was called while connecting/.test(e.message));
    assert.equal(qmp.runstate, 'idle');

    const ok = await fake();
    await qmp.connect(ok.path);
    assert.equal(qmp.runstate, 'running');
    await qmp.disconnect();
    for (const s of [bad, silent, refusing, ok]) await s.close();
  });
});

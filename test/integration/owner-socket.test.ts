// The owner's unix socket takes JSON lines from any process of the user: a malformed or hostile line
// costs that connection at most, never the owner. 100,000 levels of nesting once ended the owner
// (`Maximum call stack size exceeded` while describing the dropped value for the log).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readdirSync } from 'node:fs';
import { homePaths } from '../../src-main/home.js';
import { runCli, tempHome } from '../helpers/cli.node.js';

interface Conn {
  socket: net.Socket;
  /** the next JSON line from the owner, or 'closed' when the connection ended first */
  next(timeoutMs?: number): Promise<unknown>;
  closed: Promise<void>;
}

function connect(path: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path });
    const lines: unknown[] = [];
    const waiters: ((v: unknown) => void)[] = [];
    let buf = '';
    let ended = false;
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        const value = JSON.parse(buf.slice(0, nl)) as unknown;
        buf = buf.slice(nl + 1);
        const w = waiters.shift();
        if (w) w(value);
        else lines.push(value);
      }
    });
    socket.on('close', () => {
      ended = true;
      for (const w of waiters.splice(0)) w('closed');
    });
    socket.once('connect', () =>
      resolve({
        socket,
        closed,
        next: (timeoutMs = 20_000) =>
          new Promise((res, rej) => {
            if (lines.length) return res(lines.shift());
            if (ended) return res('closed');
            const timer = setTimeout(() => rej(new Error('no answer from the owner')), timeoutMs);
            waiters.push((v) => {
              clearTimeout(timer);
              res(v);
            });
          }),
      }),
    );
    socket.once('error', reject);
  });
}

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('the owner socket under malformed and deeply nested JSON', () => {
  const { home, cleanup } = tempHome('hangar-ownersock-');
  const socketPath = homePaths(home).ownerSocket;
  let ownerPid: number;
  let filesBefore: string[];
  const homeFiles = () =>
    readdirSync(home, { recursive: true })
      .map(String)
      .filter((f) => !/^owner\.log$|^inventory\.sqlite-(wal|shm)$/.test(f))
      .sort();

  before(async () => {
    const created = await runCli(home, ['create', '--name', 'keep', '--disk', '16M', '--nic', 'none']);
    assert.equal(created.code, 0, created.stderr);
    ownerPid = (await runCli(home, ['host', '--json'])).json.ownerPid;
    filesBefore = homeFiles();
  });
  after(() => cleanup());

  test('each hostile line gets a typed error or closes its connection; a bystander connection keeps being served', async () => {
    const bystander = await connect(socketPath);
    let id = 100;
    const list = async (c: Conn) => {
      const my = id++;
      c.socket.write(`${JSON.stringify({ t: 'req', id: my, method: 'vm.list', input: {} })}\n`);
      const reply = (await c.next()) as { t: string; id: number; output: { vms: { name: string }[] } };
      assert.equal(reply.t, 'ok', JSON.stringify(reply).slice(0, 200));
      assert.equal(reply.id, my);
      return reply.output.vms.map((v) => v.name);
    };
    assert.deepEqual(await list(bystander), ['keep']);

    // Lines that break the framing: the connection gets one err for id 0 saying why, then ends.
    const framing: [string, string | Buffer, RegExp][] = [
      ['100,000 nested arrays (not a wire message)', `${deep(100_000)}\n`, /nests arrays or objects deeper than the 1024-level limit/],
      ['100,000 nested objects', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}\n`, /deeper than the 1024-level limit/],
      ['a request whose input is 100,000 deep', `{"t":"req","id":1,"method":"vm.list","input":${deep(100_000)}}\n`, /deeper than the 1024-level limit/],
      ['an event whose payload is 100,000 deep', `{"t":"event","name":"x","payload":${deep(100_000)}}\n`, /deeper than the 1024-level limit/],
      ['not JSON', 'this is not json\n', /not valid JSON/],
      ['not UTF-8', Buffer.from([0x7b, 0xc0, 0xae, 0x7d, 0x0a]), /not valid UTF-8/],
    ];
    for (const [what, line, message] of framing) {
      const c = await connect(socketPath);
      c.socket.write(line);
      const answer = (await c.next()) as { t: string; id: number; error: { code: string; message: string } };
      assert.equal(answer.t, 'err', `${what}: ${JSON.stringify(answer).slice(0, 200)}`);
      assert.equal(answer.id, 0, what);
      assert.equal(answer.error.code, 'INVALID_INPUT', what);
      assert.match(answer.error.message, message, what);
      await c.closed;
      assert.deepEqual(await list(bystander), ['keep'], `after ${what}`);
    }

    // Well-framed lines that are wrong: an answer (or nothing, for what is no request), the connection stays.
    const c = await connect(socketPath);
    c.socket.write(`{"t":"req","id":7,"method":"vm.create","input":{"name":${deep(200)}}}\n`);
    assert.deepEqual(await c.next(), { t: 'err', id: 7, error: { code: 'INVALID_INPUT', message: "the input of 'vm.create' nests deeper than 64 levels" } });
    c.socket.write(`${deep(1000)}\n{"t":"nope"}\n[1,2]\n{"t":"req","id":8,"method":"__proto__","input":{}}\n`);
    const unknown = (await c.next()) as { t: string; id: number; error: { code: string } };
    assert.deepEqual([unknown.t, unknown.id, unknown.error.code], ['err', 8, 'INVALID_INPUT']);
    assert.deepEqual(await list(c), ['keep']);
    c.socket.destroy();
    bystander.socket.destroy();
  });

  test('afterwards the same owner answers the CLI and nothing in the home changed', async () => {
    const host = await runCli(home, ['host', '--json']);
    assert.equal(host.code, 0, host.stderr);
    assert.equal(host.json.ownerPid, ownerPid, 'the owner did not restart');
    const listed = await runCli(home, ['list', '--json']);
    assert.deepEqual(listed.json.vms.map((v: { name: string }) => v.name), ['keep']);
    assert.deepEqual(homeFiles(), filesBefore);
  });
});

// An owner that is ending while the next command starts: `hangar shutdown` returns once the owner's
// process is gone (and waits for an owner that is slow to answer), and a command that finds the lock
// of an owner which never answers and then ends starts its own owner instead of waiting its full
// minute and failing.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive, processStartTime } from '../../src-main/owner/lock.node.js';
import { runCli, tempHome } from '../helpers/cli.node.js';

describe('an owner ending while the next command starts', () => {
  const { home, cleanup } = tempHome('hangar-handover-');
  const h = (...args: string[]) => runCli(home, args);
  after(async () => {
    await cleanup();
  });

  test('shutdown returns once the owner process is gone; the next command starts a new owner', async () => {
    for (let round = 0; round < 5; round++) {
      const first = await h('host', '--json');
      assert.equal(first.code, 0, first.stderr);
      const pid = first.json.ownerPid as number;
      const down = await h('shutdown', '--json');
      assert.equal(down.code, 0, down.stderr);
      assert.equal(isProcessAlive(pid), false, `round ${round}: owner ${pid} still runs after shutdown returned`);
      const next = await h('host', '--json');
      assert.equal(next.code, 0, next.stderr);
      assert.notEqual(next.json.ownerPid, pid);
    }
    assert.equal((await h('shutdown')).code, 0);
  });

  test('an owner that does not answer for a while (stopped with SIGSTOP): shutdown waits for it, and it is gone afterwards', async () => {
    const pid = (await h('host', '--json')).json.ownerPid as number;
    process.kill(pid, 'SIGSTOP');
    let down: Promise<Awaited<ReturnType<typeof h>>>;
    try {
      down = h('shutdown', '--json');
      // the owner's socket still accepts (the kernel queues the connection); the reply waits for it (bounded)
      let settled = false;
      void down.then(() => (settled = true));
      for (let i = 0; i < 50 && !settled; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(settled, false, 'shutdown waits while the owner holds the home without answering');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const r = await down;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.stopped, true, r.stdout);
    assert.equal(isProcessAlive(pid), false, `owner ${pid} still runs after shutdown returned`);
  });

  test('a lock held by a process that never answers and then ends: the command starts its own owner', async () => {
    mkdirSync(home, { recursive: true });
    const holder = spawn('sleep', ['3'], { stdio: 'ignore' });
    const ended = new Promise<void>((r) => holder.once('exit', () => r()));
    const pid = holder.pid!;
    writeFileSync(join(home, 'owner.lock'), JSON.stringify({ pid, kind: 'a test holder', startTime: processStartTime(pid), startedAt: new Date().toISOString() }), { mode: 0o600 });
    const r = await h('list', '--json');
    await ended;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.vms, []);
    const owner = (await h('host', '--json')).json.ownerPid as number;
    assert.notEqual(owner, pid);
    assert.equal(isProcessAlive(owner), true);
  });
});

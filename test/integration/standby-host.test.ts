// The standby VMM host (src-main/supervisor/fork.node.ts): the owner keeps one host process loaded and
// waiting, a start hands it the VM, and a new one is forked afterwards. Through `hangar` with a real
// QEMU: the start is the standby's, the VM boots, the next standby comes; a standby that died is
// replaced by a plain fork; a standby ends with its owner (shut down or killed). Then the forker alone:
// a bad assignment fails the start with the host's own reason, and disposing it ends its standby.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { cliIn, tempHome, waitForProcessGone, waitUntil } from '../helpers/cli.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';
import { nodeHostForker } from '../../src-main/supervisor/fork.node.js';

const FIRST_LINE = 'Linux version';

/** The parent pid and the command line of a process, or null when it is gone. */
function proc(pid: number): { ppid: number; cmdline: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return { ppid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() };
  } catch {
    return null;
  }
}

/** The standby hosts a process has forked (it names itself `hangar-vmm (standby)`). */
function standbysOf(parent: number): number[] {
  const found: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const p = proc(Number(d));
    if (p?.ppid === parent && p.cmdline.startsWith('hangar-vmm (standby)')) found.push(Number(d));
  }
  return found;
}

describe('the standby VMM host', () => {
  const { home, cleanup } = tempHome('hangar-standby-');
  const { h, ok } = cliIn(home);
  const guest = fixtureGuest();
  let folder = '';
  const ownerPid = () => (JSON.parse(readFileSync(join(home, 'owner.lock'), 'utf8')) as { pid: number }).pid;
  const hostPid = () => (JSON.parse(readFileSync(join(folder, 'run', 'status.json'), 'utf8')) as { hostPid: number }).hostPid;
  const hostLog = () => readFileSync(join(folder, 'logs', 'vmm-host.log'), 'utf8');
  const ownerLog = () => readFileSync(join(home, 'owner.log'), 'utf8');
  const oneStandby = (owner: number) =>
    waitUntil(`owner ${owner} to have a standby VMM host`, () => {
      const s = standbysOf(owner);
      assert.ok(s.length <= 1, `one standby at most, not ${s.length}`);
      return s[0];
    }, 60_000);
  const startAndStop = async () => {
    const r = await ok('start', 'sb', '--wait-serial', FIRST_LINE, '--timeout', '240', '--json');
    assert.equal(r.json.state, 'running');
    assert.equal(r.json.serialMatched, true, 'the guest booted under the host');
    const pid = hostPid();
    await ok('stop', 'sb', '--force');
    await waitForProcessGone(pid);
    return pid;
  };

  before(async () => {
    const created = await ok('create', '--name', 'sb', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0,115200', '--disk', 'none', '--nic', 'none', '--memory', '256', '--json');
    folder = created.json.folder;
    await ok('host');
  });
  after(async () => {
    await cleanup();
  });

  test('a start is handed to the waiting host, which runs the VM; another one is forked after it', async () => {
    const owner = ownerPid();
    const waiting = await oneStandby(owner);
    const pid = await startAndStop();
    assert.equal(pid, waiting, 'the VM ran in the process that stood by');
    assert.match(hostLog(), new RegExp(`pid=${waiting} VMM host started from \\S+/bundle\\.node\\.mjs \\(it stood by, loaded, until this start\\)\\n`));
    assert.match(ownerLog(), new RegExp(`the standby VMM host \\(pid ${waiting}\\) took this start`));
    const next = await oneStandby(owner);
    assert.notEqual(next, waiting, 'a new standby, not the one that was used');
  });

  test('a standby that died is replaced by a plain fork for the start, and a new standby follows', async () => {
    const owner = ownerPid();
    const waiting = await oneStandby(owner);
    process.kill(waiting, 'SIGKILL');
    await waitForProcessGone(waiting);
    await waitUntil('the owner to notice', () => (ownerLog().includes(`the standby VMM host (pid ${waiting}) exited (SIGKILL)`) ? true : undefined));
    const pid = await startAndStop();
    assert.notEqual(pid, waiting);
    assert.match(hostLog(), new RegExp(`pid=${pid} VMM host started from \\S+/bundle\\.node\\.mjs\\n`), 'a host forked for this start says nothing of standing by');
    assert.doesNotMatch(ownerLog(), new RegExp(`standby VMM host \\(pid ${pid}\\) took`));
    await oneStandby(owner);
  });

  test('a standby ends with its owner: shut down, or killed', async () => {
    const first = ownerPid();
    const a = await oneStandby(first);
    await ok('shutdown');
    await waitForProcessGone(a);

    await ok('host');
    const second = ownerPid();
    assert.notEqual(second, first);
    const b = await oneStandby(second);
    process.kill(second, 'SIGKILL');
    await waitForProcessGone(b);
    // The home works on with a new owner (the CLI starts one), and its VM starts.
    const r = await h('list', '--json');
    assert.equal(r.code, 0, r.stderr);
    await startAndStop();
  });
});

describe('the forker with a standby', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-forker-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a standby given a spec it cannot read fails the start with the host's reason in the VM's log; dispose ends the next one", async () => {
    const standbyLog = join(dir, 'owner.log');
    const vmLog = join(dir, 'vmm-host.log');
    const spec = join(dir, 'host-spec.json');
    writeFileSync(spec, '{"vmId": 3}');
    const lines: string[] = [];
    const forker = nodeHostForker({ standby: { logPath: standbyLog, delayMs: 0, log: (l) => lines.push(l) } });
    try {
      const first = await waitUntil('a standby', () => forker.standbyPid());
      await waitUntil('it to stand by', () => (proc(first)?.cmdline.startsWith('hangar-vmm (standby)') ? true : undefined));
      await assert.rejects(forker.fork(spec, vmLog), /the VMM host exited during start-up \(code 1\)/);
      assert.deepEqual(forker.counts, { fromStandby: 1, forked: 0 });
      assert.match(readFileSync(vmLog, 'utf8'), /pid=\d+ fatal: cannot read the host spec .*host-spec\.json: /, 'the reason is in the log the start named');
      assert.deepEqual(lines, [`the standby VMM host (pid ${first}) took this start`]);
      const second = await waitUntil('the next standby', () => forker.standbyPid());
      assert.notEqual(second, first);
      forker.dispose();
      await waitForProcessGone(second);
      assert.equal(forker.standbyPid(), undefined);
    } finally {
      forker.dispose();
    }
  });
});

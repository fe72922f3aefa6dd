// QEMU does not get root's powers: run as root (as CI and the checker run), it starts through setpriv
// with every capability set empty and no_new_privs, under its seccomp filter; `hangar host` says so.
// As another user it runs as that user. Streaming a snapshot into a frozen (0400) image below the top
// still works: QEMU reopens it read-write, which root did through CAP_DAC_OVERRIDE. A file of another user that only root's capabilities could
// open is refused by QEMU, with one line that says why and what to do, and nothing else changes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliIn, tempHome, waitUntil } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';

/** The fields of /proc/<pid>/status that say who a process is and what it may do. */
function privilegesOf(pid: number): Record<string, string> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const out: Record<string, string> = {};
  for (const line of status.split('\n')) {
    const m = /^(Uid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):\s+(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim();
  }
  return out;
}

describe('the privileges QEMU runs with', () => {
  const { home, cleanup } = tempHome('hangar-priv-');
  const user = mkdtempSync(join(tmpdir(), 'hangar-priv-user-'));
  const guest = fixtureGuest();
  const { h, ok } = cliIn(home);
  const asRoot = process.getuid!() === 0;

  before(async () => {
    chmodSync(user, 0o755);
    const disk = join(user, 'guest.qcow2');
    copyFileSync(guest.disk, disk);
    await ok('create', '--name', 'p', '--disk-image', disk, '--memory', '128', '--nic', 'none');
    await ok('start', 'p', '--wait-serial', GUEST_READY, '--timeout', '240');
  });
  after(async () => {
    try {
      await cleanup();
    } finally {
      rmSync(user, { recursive: true, force: true });
    }
  });

  test('a running QEMU holds no capability (as root) and hangar host says who QEMU runs as', async () => {
    const pid = (await ok('show', 'p', '--json')).json.qemuPid as number;
    const p = privilegesOf(pid);
    const host = await ok('host', '--json');
    const text = (await ok('host')).stdout;
    // The owner found this out once and handed it to the VM's host in its spec (the host makes no trial run of its own)
    const shown = (await ok('show', 'p', '--json')).json;
    const spec = JSON.parse(readFileSync(join(shown.folder as string, 'run', 'host-spec.json'), 'utf8'));
    assert.equal(spec.qemuPrivileges.kind, host.json.qemuPrivileges.kind);
    assert.equal(spec.qemuPrivileges.summary, host.json.qemuPrivileges.summary);
    assert.equal(p.Seccomp, '2', 'under its seccomp filter');
    assert.equal(p.NoNewPrivs, '1', 'cannot gain privileges (setuid programs, file capabilities)');
    if (asRoot) {
      assert.equal(host.json.qemuPrivileges.kind, 'root-without-capabilities');
      assert.match(text, /^privileges: +QEMU runs as root \(uid 0\) without any capability/m);
      assert.equal(p.Uid!.split(/\s+/)[0], '0', 'still uid 0: the home\'s files are root\'s');
      for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(p[set], '0000000000000000', `${set} is empty`);
    } else {
      assert.equal(host.json.qemuPrivileges.kind, 'user');
      assert.equal(p.Uid!.split(/\s+/)[0], String(process.getuid!()));
      assert.equal(p.CapEff, '0000000000000000');
    }
  });

  test('a live merge into a frozen image below the top works without capabilities, and the image is read-only again', async () => {
    for (const name of ['A', 'B', 'C']) await ok('snapshot', 'take', 'p', '--name', name);
    const before = (await ok('show', 'p', '--json')).json.disks[0].chain as string[];
    assert.equal(before.length, 4, before.join(' <- '));
    const intermediate = before[1]!; // frozen when C was taken: B's image is merged into it by QEMU (block-stream)
    assert.equal(statSync(intermediate).mode & 0o777, 0o400, 'frozen images are read-only');
    const del = await h('snapshot', 'delete', 'p', 'B');
    assert.equal(del.code, 0, del.stderr);
    const after = (await ok('show', 'p', '--json')).json.disks[0].chain as string[];
    assert.deepEqual(after, [before[0], before[1], before[3]], 'B\'s image is gone from the chain');
    assert.equal(statSync(intermediate).mode & 0o777, 0o400, 'read-only again');
    assert.equal((await ok('show', 'p', '--json')).json.state, 'running');
    await ok('send', 'p', 'echo merged-$((40+2))');
    await waitUntil('the guest to answer', async () => ((await h('serial', 'p')).stdout.includes('merged-42') ? true : undefined), 60_000);
  });

  test("an ISO only root's capabilities could read: QEMU cannot open it; one line says why; the VM that runs is untouched", async () => {
    const iso = join(user, 'private.iso');
    copyFileSync(guest.iso, iso);
    chmodSync(iso, 0o600);
    await ok('create', '--name', 'q', '--iso', iso, '--disk', 'none', '--nic', 'none', '--memory', '128');
    if (!asRoot) {
      // Not root: the user's own private file is theirs to use, as before.
      await ok('start', 'q');
      await ok('stop', 'q', '--force');
      return;
    }
    chownSync(iso, 65534, 65534); // nobody's, and private to nobody: root used to open it through CAP_DAC_OVERRIDE
    const r = await h('start', 'q');
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    assert.match(r.stderr, /Could not open '.*private\.iso': Permission denied/);
    assert.match(r.stderr, /QEMU runs as root without root's capabilities, so a file of another user opens only as its mode allows/);
    assert.equal((await ok('show', 'p', '--json')).json.state, 'running', 'the other VM runs on');
    assert.equal((await ok('show', 'q', '--json')).json.qemuPid, undefined, 'no QEMU left behind');
  });
});

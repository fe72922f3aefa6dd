// Conflicting operations on one VM through `hangar`, and several CLI clients at once on one home.
// An operation is caught "during" another by freezing the other's worker with SIGSTOP as soon as it
// appears (its qemu-img, or the VM's VMM host for a live snapshot): a disk made slow to order, so the
// conflict is certain rather than a race. Every refusal is one line, exit 1, says what the VM is busy
// with, and changes nothing; the first operation then completes intact.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { runCli, tempHome, waitUntil, type CliResult } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';
import { homePaths } from '../../src-main/home.js';
import { freezeQemuImg, processes, thaw } from '../helpers/processes.node.js';

const BUSY = (vm: string, what: string, kind: string) =>
  new RegExp(`^hangar: VM '${vm}' is busy ${what} \\(${kind.replace(/\./g, '\\.')}, \\d+% done\\): try again when it has finished\\n$`);

/**
 * Runs `op` until its `qemu-img sub` is caught and frozen (a short step, such as creating an overlay,
 * may end before it is seen: then it runs again). Returns the frozen pid and the op's pending result.
 */
async function runFrozen<T>(op: () => Promise<T>, sub: string, under: string, attempts = 8): Promise<{ pid: number; result: Promise<T> }> {
  for (let i = 0; i < attempts; i++) {
    let settled = false;
    const result = op().finally(() => (settled = true));
    while (!settled) {
      const p = processes().find((x) => x.argv[0]!.endsWith('qemu-img') && x.argv[1] === sub && x.argv.some((a) => a.startsWith(under)));
      if (p) {
        process.kill(p.pid, 'SIGSTOP');
        return { pid: p.pid, result };
      }
      await new Promise((r) => setImmediate(r));
    }
    await result;
  }
  throw new Error(`'qemu-img ${sub}' was never caught running in ${attempts} attempts`);
}


describe('conflicting operations on one VM', () => {
  const { home, cleanup } = tempHome('hangar-concurrency-');
  const user = mkdtempSync(join(tmpdir(), 'hangar-concurrency-user-'));
  const h = (...args: string[]) => runCli(home, args);
  const ok = async (...args: string[]) => {
    const r = await h(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const refused = (r: CliResult, message: RegExp, what: string) => {
    assert.equal(r.code, 1, `${what}: exit ${r.code}, stderr: ${r.stderr}`);
    assert.match(r.stderr, message, what);
  };
  const show = async (vm: string) => (await ok('show', vm, '--json')).json;
  const folders = () => readdirSync(join(home, 'VMs')).sort();
  const ids = async () => ((await ok('list', '--json')).json.vms as { id: string }[]).map((v) => v.id).sort();
  const runningTask = (kind: string, vm: string | null) =>
    waitUntil(`a running ${kind} task of '${vm}'`, async () => {
      const tasks = (await ok('tasks', '--json')).json.tasks as { kind: string; vm: string | null; state: string }[];
      return tasks.find((t) => t.kind === kind && t.vm === vm && t.state === 'running');
    });
  const imageCheck = (path: string) => {
    const r = spawnSync('qemu-img', ['check', '-U', path], { encoding: 'utf8' });
    assert.equal(r.status, 0, `qemu-img check ${path}: ${r.stdout}${r.stderr}`);
  };
  const sameData = (a: string, b: string) => {
    const r = spawnSync('qemu-img', ['compare', '-U', a, b], { encoding: 'utf8' });
    assert.equal(r.status, 0, `qemu-img compare ${a} ${b}: ${r.stdout}${r.stderr}`);
  };
  /** Files in a VM's disks folder, and the images its config and snapshots name: the same, nothing stray. */
  const diskFilesMatch = async (vm: string) => {
    const v = await show(vm);
    const named = new Set<string>(v.disks.map((d: { path: string }) => d.path));
    for (const d of v.disks as { chain: string[] }[]) for (const p of d.chain) if (p.startsWith(v.folder)) named.add(p);
    const onDisk = readdirSync(join(v.folder, 'disks')).map((f) => join(v.folder, 'disks', f)).sort();
    assert.deepEqual(onDisk, [...named].filter((p) => p.startsWith(join(v.folder, 'disks'))).sort(), `the files in ${vm}'s disks folder are the images it uses`);
  };
  let bigDisk = '';
  let reference = '';

  before(async () => {
    // 'big': a stopped VM whose disk holds 256 MiB of real data (two patterned 128 MiB runs).
    const big = (await ok('create', '--name', 'big', '--disk', '1G', '--nic', 'none', '--memory', '128', '--json')).json;
    bigDisk = big.disks[0].path;
    const w = spawnSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 128M', '-c', 'write -P 0xa5 512M 128M', bigDisk], { encoding: 'utf8' });
    assert.equal(w.status, 0, w.stderr);
    reference = join(user, 'reference.qcow2');
    const c = spawnSync('qemu-img', ['convert', '-O', 'qcow2', bigDisk, reference], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
  });
  after(async () => {
    try {
      await cleanup();
    } finally {
      rmSync(user, { recursive: true, force: true });
    }
  });

  test('while a full clone copies its source, the source cannot be deleted, changed, started, snapshotted, cloned or exported', async () => {
    const before = await show('big');
    const clone = h('clone', 'big', '--name', 'big-copy', '--json');
    const pid = await freezeQemuImg('convert', home);
    try {
      await runningTask('vm.clone.full', 'big-copy');
      const busy = BUSY('big', "being copied into its clone 'big-copy'", 'vm.clone.full');
      refused(await h('delete', 'big'), busy, 'delete');
      refused(await h('snapshot', 'take', 'big', '--name', 'during'), busy, 'snapshot take');
      refused(await h('modify', 'big', '--memory', '256'), busy, 'modify');
      refused(await h('start', 'big'), busy, 'start');
      refused(await h('clone', 'big', '--name', 'big-copy-2'), busy, 'a second clone');
      refused(await h('export', 'big', '-o', join(user, 'during.ova')), busy, 'export');
      // The clone is not a VM until it is complete.
      refused(await h('delete', 'big-copy'), /^hangar: no VM named or with id 'big-copy'\n$/, 'delete of the unfinished clone');
    } finally {
      thaw(pid);
    }
    const copy = (await clone).json;
    assert.equal(copy?.name, 'big-copy');
    assert.deepEqual(await show('big'), before, 'the source is exactly as before');
    assert.equal(copy.disks[0].chain.length, 1, 'a full clone stands alone');
    sameData(copy.disks[0].path, reference);
    imageCheck(copy.disks[0].path);
    assert.deepEqual(folders(), await ids(), 'one folder per VM, no more');
    assert.deepEqual(readdirSync(user).sort(), ['reference.qcow2'], 'the refused export wrote nothing');
  });

  test('while a snapshot delete merges, the VM cannot be deleted, restored, snapshotted or cloned, nor the snapshot deleted twice', async () => {
    await ok('snapshot', 'take', 'big', '--name', 'S1');
    const before = await show('big');
    assert.equal(before.disks[0].chain.length, 2);
    // The current state rewrites the first 128 MiB with the same bytes: deleting S1 then commits those
    // 128 MiB down into S1's image (cheaper than copying S1's 256 MiB up; qemu-img commit), long
    // enough to be caught in the middle.
    const w = spawnSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 128M', before.disks[0].path], { encoding: 'utf8' });
    assert.equal(w.status, 0, w.stderr);
    const del = h('snapshot', 'delete', 'big', 'S1');
    const pid = await freezeQemuImg('commit', home);
    try {
      await runningTask('snapshot.delete', 'big');
      const busy = BUSY('big', 'deleting a snapshot', 'snapshot.delete');
      refused(await h('delete', 'big'), busy, 'delete');
      // A delete that commits down takes the snapshot out of the tree before it writes any image: S1
      // is already gone for a restore or a second delete.
      const gone = /^hangar: VM 'big' has no snapshot named or with id 'S1'\n$/;
      refused(await h('snapshot', 'restore', 'big', 'S1'), gone, 'restore');
      refused(await h('snapshot', 'take', 'big', '--name', 'S9'), busy, 'another take');
      refused(await h('snapshot', 'delete', 'big', 'S1'), gone, 'the same delete again');
      refused(await h('clone', 'big', '--name', 'during-merge'), busy, 'clone');
      refused(await h('modify', 'big', '--cpus', '3'), busy, 'modify');
    } finally {
      thaw(pid);
    }
    const r = await del;
    assert.equal(r.code, 0, r.stderr);
    const after = await show('big');
    assert.deepEqual(after.snapshots, [], 'S1 is gone, and only S1');
    assert.equal(after.disks[0].chain.length, 1, 'the current disk took in the data and stands alone');
    assert.deepEqual([after.cpus, after.memoryMiB], [before.cpus, before.memoryMiB]);
    imageCheck(after.disks[0].path);
    sameData(after.disks[0].path, reference);
    await diskFilesMatch('big');
    assert.deepEqual(folders(), await ids());
  });

  test('while a restore runs, a second restore, a snapshot delete and a VM delete are refused', async () => {
    await ok('snapshot', 'take', 'big', '--name', 'S2');
    const write = async () => {
      const w = spawnSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x11 0 4M', (await show('big')).disks[0].path], { encoding: 'utf8' });
      assert.equal(w.status, 0, w.stderr);
    };
    await write();
    // The restore's only slow step is creating the new overlay: caught there.
    const { pid, result } = await runFrozen(() => h('snapshot', 'restore', 'big', 'S2'), 'create', home);
    try {
      await runningTask('snapshot.restore', 'big');
      const busy = BUSY('big', 'restoring a snapshot', 'snapshot.restore');
      refused(await h('snapshot', 'restore', 'big', 'S2'), busy, 'a second restore');
      refused(await h('snapshot', 'delete', 'big', 'S2'), busy, 'snapshot delete');
      refused(await h('delete', 'big'), busy, 'delete');
    } finally {
      thaw(pid);
    }
    const r = await result;
    assert.equal(r.code, 0, r.stderr);
    const after = await show('big');
    assert.deepEqual(after.snapshots.map((s: { name: string }) => s.name), ['S2']);
    assert.equal(after.currentSnapshotId, after.snapshots[0].id);
    sameData(after.disks[0].path, reference);
    await diskFilesMatch('big');
    await write();
  });

  test('two restores and a snapshot delete at once are serialized or refused; the tree and the files stay whole', async () => {
    const [r1, r2, d] = await Promise.all([h('snapshot', 'restore', 'big', 'S2'), h('snapshot', 'restore', 'big', 'S2'), h('snapshot', 'delete', 'big', 'S2')]);
    const allowed = /^hangar: (VM 'big' is busy (restoring|deleting) a snapshot \(snapshot\.(restore|delete), \d+% done\): try again when it has finished|VM 'big' has no snapshot named or with id 'S2')\n$/;
    for (const [what, r] of [['restore 1', r1], ['restore 2', r2], ['delete', d]] as const) {
      if (r.code !== 0) refused(r, allowed, what);
    }
    assert.ok([r1, r2, d].some((r) => r.code === 0), 'at least one of them ran');
    const after = await show('big');
    const deleted = d.code === 0;
    assert.deepEqual(after.snapshots.map((s: { name: string }) => s.name), deleted ? [] : ['S2']);
    assert.equal(after.currentSnapshotId, deleted ? null : after.snapshots[0].id);
    imageCheck(after.disks[0].path);
    if (r1.code === 0 || r2.code === 0) {
      // A restore ran: whatever ran after it, the data is the snapshot's, without the write made since.
      sameData(after.disks[0].path, reference);
    }
    await diskFilesMatch('big');
    assert.deepEqual(folders(), await ids());
  });

  test('a delete and a clone of one VM at once: one runs first, the other is refused or finds nothing', async () => {
    const [del, clone] = await Promise.all([h('delete', 'big-copy'), h('clone', 'big-copy', '--name', 'copy-of-copy', '--json')]);
    const names = ((await ok('list', '--json')).json.vms as { name: string }[]).map((v) => v.name).sort();
    if (del.code === 0 && clone.code !== 0) {
      // Either the clone looked after the delete, or it found the VM and saw it go before it copied.
      refused(clone, /^hangar: (no VM named or with id 'big-copy'|VM 'big-copy' was deleted while the clone was being prepared)\n$/, 'clone after delete');
      assert.deepEqual(names, ['big']);
    } else if (clone.code === 0 && del.code !== 0) {
      refused(del, BUSY('big-copy', "being copied into its clone 'copy-of-copy'", 'vm.clone.full'), 'delete during clone');
      assert.deepEqual(names, ['big', 'big-copy', 'copy-of-copy']);
    } else {
      // The clone was done before the delete arrived.
      assert.deepEqual([del.code, clone.code], [0, 0], `delete: ${del.stderr}; clone: ${clone.stderr}`);
      assert.deepEqual(names, ['big', 'copy-of-copy']);
    }
    if (clone.code === 0) {
      sameData(clone.json.disks[0].path, reference);
      imageCheck(clone.json.disks[0].path);
      await ok('delete', 'copy-of-copy');
    }
    if (names.includes('big-copy')) await ok('delete', 'big-copy');
    assert.deepEqual(folders(), await ids());
  });

  test('while an export reads a VM, it cannot be deleted or restored; the export completes', async () => {
    await ok('snapshot', 'take', 'big', '--name', 'S3');
    const snapshots = (await show('big')).snapshots.map((s: { name: string }) => s.name);
    const out = join(user, 'big.ova');
    const exp = h('export', 'big', '-o', out, '--json');
    const pid = await freezeQemuImg('convert', home);
    try {
      await runningTask('appliance.export', null);
      const busy = BUSY('big', 'being exported', 'appliance.export');
      refused(await h('delete', 'big'), busy, 'delete');
      refused(await h('snapshot', 'restore', 'big', 'S3'), busy, 'restore');
      refused(await h('snapshot', 'delete', 'big', 'S3'), busy, 'snapshot delete');
    } finally {
      thaw(pid);
    }
    const r = await exp;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.machines, ['big']);
    assert.deepEqual((await show('big')).snapshots.map((s: { name: string }) => s.name), snapshots, 'no snapshot came or went');
    await ok('snapshot', 'delete', 'big', 'S3');
    imageCheck((await show('big')).disks[0].path);
    await diskFilesMatch('big');
  });

  test('while a running 256 MiB guest takes a live snapshot, the VM cannot be deleted, cloned, changed, saved, stopped, paused or reset', async () => {
    const g = fixtureGuest();
    const vm = (
      await ok('create', '--name', 'live', '--kernel', g.kernel, '--initrd', g.initrd, '--append', 'console=ttyS0', '--memory', '256', '--disk', '64M', '--nic', 'none', '--json')
    ).json;
    await ok('start', 'live', '--wait-serial', GUEST_READY, '--timeout', '300');
    // Freezing the VM's VMM host before the snapshot starts holds the snapshot task open for certain.
    const hostPid = (JSON.parse(readFileSync(join(vm.folder, 'run', 'status.json'), 'utf8')) as { hostPid: number }).hostPid;
    process.kill(hostPid, 'SIGSTOP');
    let take: Promise<CliResult>;
    try {
      take = h('snapshot', 'take', 'live', '--name', 'L1', '--json');
      await runningTask('snapshot.take', 'live');
      const busy = BUSY('live', 'taking a snapshot', 'snapshot.take');
      refused(await h('delete', 'live'), busy, 'delete');
      refused(await h('clone', 'live', '--name', 'live-copy'), busy, 'clone');
      refused(await h('modify', 'live', '--description', 'changed'), busy, 'modify');
      refused(await h('save', 'live'), busy, 'save');
      refused(await h('snapshot', 'take', 'live', '--name', 'L2'), busy, 'another take');
      refused(await h('stop', 'live', '--force'), busy, 'stop --force');
      refused(await h('pause', 'live'), busy, 'pause');
      refused(await h('reset', 'live'), busy, 'reset');
    } finally {
      thaw(hostPid);
    }
    const r = await take;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.live, true, 'the running state was saved with it');
    const after = await show('live');
    assert.equal(after.state, 'running');
    assert.deepEqual(after.snapshots.map((s: { name: string }) => s.name), ['L1']);
    assert.equal(after.description, '');
    await ok('stop', 'live', '--force');
    imageCheck((await show('live')).disks[0].path);
    await diskFilesMatch('live');
    assert.deepEqual(((await ok('list', '--json')).json.vms as { name: string }[]).map((v) => v.name).sort(), ['big', 'live']);
    assert.deepEqual(folders(), await ids());
  });
});

describe('two CLI clients at once on one home', () => {
  const { home, cleanup } = tempHome('hangar-parallel-');
  after(async () => {
    await cleanup();
  });

  test('two loops of 15 creates, modifies, snapshots and deletes leave the inventory exactly as their successes say', async () => {
    type Done = { loop: string; op: string; vm: string; r: CliResult };
    const loop = async (me: string, other: string): Promise<Done[]> => {
      const done: Done[] = [];
      const go = async (op: string, vm: string, ...args: string[]) => done.push({ loop: me, op, vm, r: await runCli(home, args) });
      for (let k = 0; k < 15; k++) {
        switch (k % 5) {
          case 0:
            await go('create', `shared-${k}`, 'create', '--name', `shared-${k}`, '--disk', '16M', '--nic', 'none', '--memory', '128');
            break;
          case 1:
            await go('create', `${me}-${k}`, 'create', '--name', `${me}-${k}`, '--disk', '16M', '--nic', 'none', '--memory', '128');
            break;
          case 2:
            await go('modify', `${other}-${k - 1}`, 'modify', `${other}-${k - 1}`, '--memory', '300');
            break;
          case 3:
            await go('snapshot', `${me}-${k - 2}`, 'snapshot', 'take', `${me}-${k - 2}`, '--name', `s${k}`);
            await go('snapshot', `shared-${k - 3}`, 'snapshot', 'take', `shared-${k - 3}`, '--name', `${me}-s${k}`);
            break;
          default: {
            // Both loops delete shared-0; then each deletes VMs the other made (one it modified).
            const vm = k === 4 ? 'shared-0' : `${other}-${k - 8}`;
            await go('delete', vm, 'delete', vm);
          }
        }
      }
      return done;
    };
    // No owner runs yet: both loops' first calls race to start one.
    const results = (await Promise.all([loop('a', 'b'), loop('b', 'a')])).flat();
    for (const d of results) {
      assert.ok(d.r.code === 0 || d.r.code === 1, `${d.loop}: ${d.op} ${d.vm}: exit ${d.r.code}, ${d.r.stderr}`);
      if (d.r.code !== 0) assert.equal(d.r.stderr.trim().split('\n').length, 1, `one line: ${d.r.stderr}`);
    }
    const succeeded = (op: string, vm: string) => results.filter((d) => d.op === op && d.vm === vm && d.r.code === 0);
    // shared-0 is deleted at step 4, so a slow loop may create it again after that: only 5 and 10 are certain.
    for (const k of [5, 10]) {
      const creates = results.filter((d) => d.op === 'create' && d.vm === `shared-${k}`);
      assert.equal(creates.filter((d) => d.r.code === 0).length, 1, `exactly one create of shared-${k} succeeded`);
      for (const d of creates) if (d.r.code !== 0) assert.match(d.r.stderr, /already exists/);
    }
    const created = [...new Set(results.filter((d) => d.op === 'create' && d.r.code === 0).map((d) => d.vm))];
    const expected = created.filter((vm) => succeeded('create', vm).length > succeeded('delete', vm).length).sort();
    const list = (await runCli(home, ['list', '--json'])).json.vms as { id: string; name: string }[];
    assert.deepEqual(list.map((v) => v.name).sort(), expected, 'the VMs are those created and not deleted');
    for (const v of list) {
      const s = (await runCli(home, ['show', v.id, '--json'])).json;
      assert.equal(s.problems, undefined, `${v.name}: ${JSON.stringify(s.problems)}`);
      assert.equal(s.memoryMiB, succeeded('modify', v.name).length ? 300 : 128, `${v.name}'s memory`);
      const snaps = results.filter((d) => d.op === 'snapshot' && d.vm === v.name && d.r.code === 0).length;
      assert.equal(s.snapshots.length, snaps, `${v.name}'s snapshots`);
      for (const d of s.disks as { path: string }[]) {
        const c = spawnSync('qemu-img', ['check', '-U', d.path], { encoding: 'utf8' });
        assert.equal(c.status, 0, c.stdout + c.stderr);
      }
    }
    assert.deepEqual(readdirSync(join(home, 'VMs')).sort(), list.map((v) => v.id).sort(), 'no orphan VM folders');
    const db = new Database(homePaths(home).inventory, { readonly: true, fileMustExist: true });
    try {
      assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
      assert.deepEqual(db.pragma('foreign_key_check'), []);
    } finally {
      db.close();
    }
    // One owner served both.
    const ownerTrouble = results.filter((d) => /owner/i.test(d.r.stderr)).map((d) => `${d.op} ${d.vm}: ${d.r.stderr}`);
    assert.deepEqual(ownerTrouble, [], 'no client failed to reach an owner');
  });
});

// Snapshot trees end to end through `hangar`, with data checked inside the real guest: live and offline
// snapshots, restores across branches, deletes that merge, a 50-node tree, and qemu-img check throughout.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { runCli, tempHome, waitUntil, cliPath } from '../helpers/cli.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

describe('snapshot trees', () => {
  const { home, cleanup } = tempHome();
  const guest = fixtureGuest();
  const h = (...args: string[]) => runCli(home, args);
  const ok = async (...args: string[]) => {
    const r = await h(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  /** Types a command and returns the first match of `expect` in output that came after it. */
  const run = async (vm: string, command: string, expect: RegExp, timeoutMs = 60_000) => {
    const before = (await h('serial', vm)).stdout.length;
    await ok('send', vm, command);
    return waitUntil(`'${expect}' after '${command}'`, async () => (await h('serial', vm)).stdout.slice(before).match(expect) ?? undefined, timeoutMs);
  };
  const checkAllImages = (vmFolder: string) => {
    for (const f of readdirSync(join(vmFolder, 'disks'))) {
      const r = spawnSync('qemu-img', ['check', '-U', join(vmFolder, 'disks', f)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `qemu-img check ${f}: ${r.stdout}${r.stderr}`);
    }
  };
  const guestState = async (vm: string) => {
    const m = await run(vm, 'echo "st:$(cat /mnt/disk/f):$(cat /tmp/m):end"', /st:(\w*):(\w*):end/);
    return { disk: m[1], mem: m[2] };
  };
  let folder = '';

  before(() => mkdirSync(join(home, 'files'), { recursive: true }));
  after(async () => {
    await cleanup();
  });

  test('live snapshots, restores across branches and deletes keep every state', async () => {
    const disk = join(home, 'files', 'guest.qcow2');
    copyFileSync(guest.disk, disk);
    const created = await ok('create', '--name', 'snap-vm', '--disk-image', disk, '--memory', '256', '--nic', 'none', '--json');
    folder = created.json.folder;
    await ok('start', 'snap-vm', '--wait-serial', 'TESTGUEST DISK', '--timeout', '180');

    // A: the file says A on disk, memory says memA. Taken live.
    await run('snap-vm', 'echo A > /mnt/disk/f; echo memA > /tmp/m; sync; echo done-a', /done-a/);
    const a = await ok('snapshot', 'take', 'snap-vm', '--name', 'A', '--description', 'first', '--json');
    assert.equal(a.json.name, 'A');
    assert.equal(a.json.live, true, 'a snapshot of a running VM holds its running state');
    // The method the host announces (background where QEMU may use userfaultfd, else paused) is the one used.
    const announced = (await h('host', '--json')).json.liveSnapshots.method;
    assert.equal(a.json.liveMethod, announced, 'the snapshot saved its memory as the host said it would');
    assert.equal(typeof a.json.pauseMs, 'number');
    assert.equal((await h('show', 'snap-vm', '--json')).json.state, 'running', 'the guest runs on after a live snapshot');

    // B on top of A.
    await run('snap-vm', 'echo B > /mnt/disk/f; echo memB > /tmp/m; sync; echo done-b', /done-b/);
    const b = await ok('snapshot', 'take', 'snap-vm', '--name', 'B', '--json');
    assert.equal(b.json.parentId, a.json.id);
    await run('snap-vm', 'echo X > /mnt/disk/f; echo memX > /tmp/m; sync; echo done-x', /done-x/);
    await ok('stop', 'snap-vm', '--force');

    // Restore A: a live snapshot leaves the VM saved; start resumes exactly there.
    const ra = await ok('snapshot', 'restore', 'snap-vm', 'A', '--json');
    assert.equal(ra.json.state, 'saved');
    await ok('start', 'snap-vm');
    assert.deepEqual(await guestState('snap-vm'), { disk: 'A', mem: 'memA' });

    // A branch: C under A, beside B.
    await run('snap-vm', 'echo C > /mnt/disk/f; echo memC > /tmp/m; sync; echo done-c', /done-c/);
    const c = await ok('snapshot', 'take', 'snap-vm', '--name', 'C', '--json');
    assert.equal(c.json.parentId, a.json.id, 'restoring then taking makes a new branch');
    await ok('stop', 'snap-vm', '--force');
    const list = (await ok('snapshot', 'list', 'snap-vm', '--json')).json;
    assert.deepEqual(
      list.snapshots.map((s: { name: string; parentId: string | null }) => [s.name, s.parentId]),
      [['A', null], ['B', a.json.id], ['C', a.json.id]],
    );
    assert.equal(list.currentSnapshotId, c.json.id);

    // Restore B across the branch.
    await ok('snapshot', 'restore', 'snap-vm', 'B');
    await ok('start', 'snap-vm');
    assert.deepEqual(await guestState('snap-vm'), { disk: 'B', mem: 'memB' });
    await ok('stop', 'snap-vm', '--force');
    checkAllImages(folder);

    // Delete A (two children: its data merges into both), then B; C keeps its content.
    const plan = await ok('snapshot', 'delete', 'snap-vm', 'A', '--json');
    assert.equal(plan.code, 0);
    checkAllImages(folder);
    await ok('snapshot', 'restore', 'snap-vm', 'B');
    await ok('start', 'snap-vm');
    assert.deepEqual(await guestState('snap-vm'), { disk: 'B', mem: 'memB' }, 'B survives the delete of its parent');
    await ok('stop', 'snap-vm', '--force');
    await ok('snapshot', 'delete', 'snap-vm', 'B');
    const left = (await ok('snapshot', 'list', 'snap-vm', '--json')).json;
    assert.deepEqual(left.snapshots.map((s: { name: string; parentId: string | null }) => [s.name, s.parentId]), [['C', null]]);
    await ok('snapshot', 'restore', 'snap-vm', 'C');
    await ok('start', 'snap-vm');
    assert.deepEqual(await guestState('snap-vm'), { disk: 'C', mem: 'memC' });
    await ok('stop', 'snap-vm', '--force');
    checkAllImages(folder);
  });

  test('deleting snapshots while the VM runs merges them live (QEMU block-commit and block-stream), the guest unharmed', async () => {
    const disk = join(home, 'files', 'live-del.qcow2');
    copyFileSync(guest.disk, disk);
    await ok('create', '--name', 'live-del', '--disk-image', disk, '--memory', '256', '--nic', 'none');
    await ok('start', 'live-del', '--wait-serial', 'TESTGUEST DISK', '--timeout', '180');
    await run('live-del', 'echo one > /mnt/disk/f1; sync; echo w1', /w1/);
    await ok('snapshot', 'take', 'live-del', '--name', 'L1');
    const l2Image = (await ok('show', 'live-del', '--json')).json.disks[0].path as string;
    // L2's image holds more than L3's: deleting L2 commits L3's image down into it.
    await run('live-del', 'echo two > /mnt/disk/f2; dd if=/dev/urandom of=/mnt/disk/big bs=1M count=2 2>/dev/null; sync; echo w2', /w2/);
    await ok('snapshot', 'take', 'live-del', '--name', 'L2');
    const l3Image = (await ok('show', 'live-del', '--json')).json.disks[0].path as string;
    await run('live-del', 'echo three > /mnt/disk/f3; sync; echo w3', /w3/);
    await ok('snapshot', 'take', 'live-del', '--name', 'L3');
    await run('live-del', 'echo four > /mnt/disk/f4; sync; echo w4', /w4/);
    const before = (await ok('show', 'live-del', '--json')).json;
    assert.deepEqual(before.disks[0].chain.slice(1), [l3Image, l2Image, disk]);
    // L2, in the middle of the running chain: L3's image is committed down into L2's (QEMU's block-commit),
    // leaves the chain and goes; L3 now names L2's image.
    await ok('snapshot', 'delete', 'live-del', 'L2');
    const mid = (await ok('show', 'live-del', '--json')).json;
    assert.deepEqual(mid.disks[0].chain, [before.disks[0].path, l2Image, disk], 'the committed image left the running chain');
    assert.ok(!existsSync(l3Image), "L3's old image is gone");
    await run('live-del', 'sync; echo 3 > /proc/sys/vm/drop_caches; echo "m:$(cat /mnt/disk/f1)$(cat /mnt/disk/f2)$(cat /mnt/disk/f3)$(cat /mnt/disk/f4):e"', /m:onetwothreefour:e/);
    // L1: its image (the user's disk, never written by a commit) is streamed into the image above it.
    await ok('snapshot', 'delete', 'live-del', 'L1');
    // L3: its image is the base of the running top, the active layer, which QEMU streams into.
    await ok('snapshot', 'delete', 'live-del', 'L3');
    const after = (await ok('show', 'live-del', '--json')).json;
    assert.equal(after.state, 'running');
    assert.deepEqual(after.disks[0].chain, [before.disks[0].path], 'the running disk stands alone now');
    assert.deepEqual(after.snapshots, []);
    await run('live-del', 'sync; echo 3 > /proc/sys/vm/drop_caches; echo "r:$(cat /mnt/disk/f1)$(cat /mnt/disk/f2)$(cat /mnt/disk/f3)$(cat /mnt/disk/f4):e"', /r:onetwothreefour:e/);
    await ok('stop', 'live-del');
    const check = spawnSync('qemu-img', ['check', after.disks[0].path], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    // It boots from the merged disk, and the user's own image file is still there.
    await ok('start', 'live-del', '--wait-serial', 'TESTGUEST DISK', '--timeout', '180');
    await run('live-del', 'echo "b:$(cat /mnt/disk/f3):e"', /b:three:e/);
    await ok('stop', 'live-del', '--force');
    assert.equal(spawnSync('qemu-img', ['check', disk]).status, 0);
  });

  test('deleting a snapshot in the middle of a chain commits the smaller child down; every state and a linked clone keep their data', async () => {
    const MiB = 1 << 20;
    const vm = (await ok('create', '--name', 'mid-vm', '--disk', '256M', '--nic', 'none', '--json')).json;
    const top = async () => (await ok('show', 'mid-vm', '--json')).json.disks[0].path as string;
    const write = async (pattern: number, mib: number) => {
      const r = spawnSync('qemu-io', ['-f', 'qcow2', '-c', `write -P ${pattern} ${pattern * 16 * MiB} ${mib * MiB}`, await top()], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    /** `file` reads exactly the patterns given (1 MiB of each checked), zeroes where the others would be. */
    const reads = (file: string, patterns: number[]) => {
      for (const p of [1, 2, 3, 4]) {
        const want = patterns.includes(p) ? p : 0;
        const r = spawnSync('qemu-io', ['-r', '-U', '-f', 'qcow2', '-c', `read -P ${want} ${p * 16 * MiB} ${MiB}`, file], { encoding: 'utf8' });
        assert.ok(r.status === 0 && !/verification failed/i.test(r.stdout), `${file}: pattern ${p} should read ${want}: ${r.stdout}${r.stderr}`);
      }
    };
    await write(1, 4);
    await ok('snapshot', 'take', 'mid-vm', '--name', 'S1');
    const s2Image = await top();
    await write(2, 4);
    await ok('snapshot', 'take', 'mid-vm', '--name', 'S2');
    const s3Image = await top();
    await write(3, 1);
    await ok('snapshot', 'take', 'mid-vm', '--name', 'S3');
    await write(4, 1);
    await ok('clone', 'mid-vm', '--name', 'mid-clone', '--linked', '--snapshot', 'S3');
    const cloneTop = (await ok('show', 'mid-clone', '--json')).json.disks[0].path as string;
    // A linked clone based on S2's own image would be changed by any merge: refused, as before.
    await ok('clone', 'mid-vm', '--name', 'mid-clone2', '--linked', '--snapshot', 'S2');
    const refused = await h('snapshot', 'delete', 'mid-vm', 'S2');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /mid-clone2/);
    await ok('delete', 'mid-clone2');

    // S2 (4 MiB) has one child, S3's image (1 MiB): it goes down into S2's image, which is renamed over it.
    const s2Inode = statSync(s2Image).ino;
    await ok('snapshot', 'delete', 'mid-vm', 'S2');
    assert.ok(!existsSync(s2Image), "S2's image took S3's name");
    assert.equal(statSync(s3Image).ino, s2Inode, "S3's name is the committed file now");
    assert.equal(statSync(s3Image).mode & 0o777, 0o400, 'frozen, read-only as before');
    const shown = (await ok('show', 'mid-vm', '--json')).json;
    assert.equal(shown.problems, undefined, 'the inventory and the files agree');
    assert.equal(shown.disks[0].chain.length, 3);
    assert.deepEqual((await ok('snapshot', 'list', 'mid-vm', '--json')).json.snapshots.map((x: { name: string }) => x.name), ['S1', 'S3']);
    reads(await top(), [1, 2, 3, 4]);
    reads(cloneTop, [1, 2, 3]);
    checkAllImages(vm.folder);

    // S1's image now holds less than its child (S3's, with S2's data): the child is rebased instead.
    const s3Inode = statSync(s3Image).ino;
    await ok('snapshot', 'delete', 'mid-vm', 'S1');
    assert.equal(statSync(s3Image).ino, s3Inode, 'rebased in place');
    reads(await top(), [1, 2, 3, 4]);
    reads(cloneTop, [1, 2, 3]);
    await ok('snapshot', 'restore', 'mid-vm', 'S3');
    reads(await top(), [1, 2, 3]);
    checkAllImages(vm.folder);
    await ok('delete', 'mid-clone');
    await ok('delete', 'mid-vm');
  });

  test('snapshots of a UEFI VM keep its variable store (NVRAM)', async () => {
    const vm = (await ok('create', '--name', 'uefi-snap', '--firmware', 'uefi', '--disk', '1G', '--nic', 'none', '--json')).json;
    const nvram = join(vm.folder, 'nvram.fd');
    const original = readFileSync(nvram);
    await ok('snapshot', 'take', 'uefi-snap', '--name', 'fresh');
    const changed = Buffer.from(original);
    changed.write('HANGAR-TEST-BOOT-ENTRY', 0x1000, 'latin1'); // as if the guest had stored a boot entry
    writeFileSync(nvram, changed);
    await ok('snapshot', 'take', 'uefi-snap', '--name', 'installed');
    await ok('snapshot', 'restore', 'uefi-snap', 'fresh');
    assert.ok(readFileSync(nvram).equals(original), 'restoring brings the variables of that moment back');
    await ok('snapshot', 'restore', 'uefi-snap', 'installed');
    assert.ok(readFileSync(nvram).equals(changed));
    await ok('delete', 'uefi-snap');
  });

  test('a cancelled merge leaves every snapshot intact', async () => {
    const vm = (await ok('create', '--name', 'cancel-vm', '--disk', '2G', '--nic', 'none', '--json')).json;
    const io = (args: string[], file: string) => spawnSync('qemu-io', ['-f', 'qcow2', ...args, file], { encoding: 'utf8' });
    assert.equal(io(['-c', 'write -P 0x5a 0 1536M'], vm.disks[0].path).status, 0);
    await ok('snapshot', 'take', 'cancel-vm', '--name', 'big');
    await ok('snapshot', 'take', 'cancel-vm', '--name', 'child');
    // A second branch: one child is rebased (the 1.5 GiB copied, and cancelled), the other committed down.
    await ok('snapshot', 'restore', 'cancel-vm', 'big');
    await ok('snapshot', 'take', 'cancel-vm', '--name', 'child2');
    const child = spawn(process.execPath, [cliPath, 'snapshot', 'delete', 'cancel-vm', 'big'], { env: { ...process.env, HANGAR_HOME: home } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number>((r) => child.on('close', (code) => r(code ?? -1)));
    await waitUntil('the merge to start', async () => {
      const tasks = (await ok('tasks', '--json')).json.tasks as { kind: string; state: string; progress: number }[];
      return tasks.some((t) => t.kind === 'snapshot.delete' && t.state === 'running') ? true : undefined;
    }, 30_000, 50);
    child.kill('SIGINT');
    assert.equal(await exited, 1, err);
    assert.match(err, /cancel/);
    const list = (await ok('snapshot', 'list', 'cancel-vm', '--json')).json;
    assert.deepEqual(list.snapshots.map((x: { name: string }) => x.name), ['big', 'child', 'child2']);
    await ok('snapshot', 'restore', 'cancel-vm', 'child');
    const top = (await ok('show', 'cancel-vm', '--json')).json.disks[0].path;
    const read = io(['-r', '-U', '-c', 'read -P 0x5a 1500M 1M'], top);
    assert.ok(read.status === 0 && !/fail/i.test(read.stdout), read.stdout + read.stderr);
    for (const f of readdirSync(join(vm.folder, 'disks'))) assert.equal(spawnSync('qemu-img', ['check', join(vm.folder, 'disks', f)]).status, 0, f);
    await ok('delete', 'cancel-vm');
  });

  test('bad snapshot requests are refused and change nothing', async () => {
    const before = (await ok('snapshot', 'list', 'snap-vm', '--json')).json;
    const cases: [string[], number, RegExp][] = [
      [['snapshot', 'take', 'snap-vm', '--name', 'C'], 1, /already has a snapshot named 'C'/],
      [['snapshot', 'take', 'snap-vm', '--name', 'tab\there'], 2, /control characters/],
      [['snapshot', 'take', 'snap-vm', '--name', 'x'.repeat(300)], 2, /at most 256 characters/],
      [['snapshot', 'restore', 'snap-vm', 'nope'], 1, /no snapshot named or with id 'nope'/],
      [['snapshot', 'delete', 'snap-vm', 'nope'], 1, /no snapshot named or with id 'nope'/],
      [['snapshot', 'list', 'nope'], 1, /no VM named/],
      [['snapshot'], 2, /needs one of take, list/],
    ];
    for (const [args, code, message] of cases) {
      const r = await h(...args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.deepEqual((await ok('snapshot', 'list', 'snap-vm', '--json')).json, before);
  });

  test('edit renames and describes a snapshot', async () => {
    const r = await ok('snapshot', 'edit', 'snap-vm', 'C', '--name', 'clean install', '--description', 'before upgrade', '--json');
    assert.deepEqual([r.json.name, r.json.description], ['clean install', 'before upgrade']);
    assert.equal((await ok('snapshot', 'list', 'snap-vm', '--json')).json.snapshots[0].name, 'clean install');
  });

  test('a tree of 50 snapshots is created, listed and navigated', async () => {
    await ok('create', '--name', 'tree-vm', '--disk', '1G', '--nic', 'none', '--json');
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await ok('snapshot', 'take', 'tree-vm', '--name', `t${i}`, '--json')).json.id);
    await ok('snapshot', 'restore', 'tree-vm', 't9');
    for (let i = 30; i < 50; i++) ids.push((await ok('snapshot', 'take', 'tree-vm', '--name', `t${i}`, '--json')).json.id);
    const list = (await ok('snapshot', 'list', 'tree-vm', '--json')).json;
    assert.equal(list.snapshots.length, 50);
    const byName = new Map(list.snapshots.map((s: { name: string }) => [s.name, s]));
    assert.equal((byName.get('t10') as { parentId: string }).parentId, ids[9]);
    assert.equal((byName.get('t30') as { parentId: string }).parentId, ids[9], 't30 branches off t9');
    assert.equal(list.currentSnapshotId, ids[49]);
    for (const target of ['t3', 't29', 't41']) {
      await ok('snapshot', 'restore', 'tree-vm', target);
      assert.equal((await ok('snapshot', 'list', 'tree-vm', '--json')).json.currentSnapshotId, ids[Number(target.slice(1))]);
    }
    // t9 has two children (t10 and t30): deleting it merges into both.
    await ok('snapshot', 'delete', 'tree-vm', 't9');
    const after = (await ok('snapshot', 'list', 'tree-vm', '--json')).json;
    assert.equal(after.snapshots.length, 49);
    const t = new Map(after.snapshots.map((s: { name: string }) => [s.name, s]));
    assert.equal((t.get('t10') as { parentId: string }).parentId, ids[8]);
    assert.equal((t.get('t30') as { parentId: string }).parentId, ids[8]);
    const shown = (await ok('show', 'tree-vm', '--json')).json;
    assert.equal(shown.snapshots.length, 49);
    checkAllImages(shown.folder);
  });
});

// The media manager with a real guest (issue 21, point 3): a disk grown offline (qemu-img) and online
// (QMP block_resize while the guest runs) is the size the guest sees in /sys/block/vda/size; a disk
// whose guest wrote random data and then zeroed it is compacted offline: its allocation drops,
// qemu-img check is clean, and the guest boots again with its data intact. Growing a disk with a
// snapshot keeps the snapshot's size, which a restore brings back; every image stays clean. Bad input
// (shrink, unknown disk, compact while running) is one line and changes nothing; a cancelled compact
// leaves the disk as it was. One busybox guest, two boots.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { cliIn, cliPath, tempHome, waitUntil } from '../helpers/cli.node.js';
import { freezeQemuImg, thaw } from '../helpers/processes.node.js';
import Database from 'better-sqlite3';
import { homePaths } from '../../src-main/home.js';
import { guestCommands } from '../helpers/guestCommands.node.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';

const M = 1024 * 1024;
const qemuImgInfo = (path: string) => JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-U', path], { encoding: 'utf8' })) as { 'virtual-size': number; 'backing-filename'?: string };
const qemuImgCheck = (path: string) => execFileSync('qemu-img', ['check', path], { encoding: 'utf8' });
const allocated = (path: string) => statSync(path).blocks * 512;

describe('media: resize and compact a real guest\'s disk', () => {
  const { home, cleanup } = tempHome('hangar-media-');
  const { h, ok } = cliIn(home);
  const g = guestCommands(h);
  let disk = '';
  /** The virtual size the inventory records for an image (read from the SQLite file, read-only). */
  const recordedSize = (path: string): number => {
    const db = new Database(homePaths(home).inventory, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT virtual_size FROM images WHERE path = ?').pluck().get(path) as number | undefined) ?? -1;
    } finally {
      db.close();
    }
  };
  const diskPath = async () => ((await ok('show', 'm', '--json')).json as { disks: { path: string }[] }).disks[0]!.path;
  const guestSectors = async () => Number(await g.value('m', 'cat /sys/block/vda/size'));
  /** one line on stderr and the exit status (what changed is checked once around a series of these) */
  const refused = async (args: string[], code: number, re: RegExp) => {
    const r = await h(...args);
    assert.equal(r.code, code, `hangar ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), re);
  };
  const state = async () => {
    const v = (await ok('show', 'm', '--json')).json as Record<string, unknown>;
    return JSON.stringify([v.disks, v.usb, v.snapshots, qemuImgInfo(disk)['virtual-size']]);
  };

  before(async () => {
    const f = fixtureGuest();
    await ok('create', '--name', 'm', '--kernel', f.kernel, '--initrd', f.initrd, '--append', 'console=ttyS0 quiet', '--disk', '16M', '--nic', 'none', '--memory', '128');
    disk = await diskPath();
  });
  after(cleanup);

  test('bad input: shrink, unknown disk, not a size; nothing changes', async () => {
    const before = await state();
    await refused(['disk', 'resize', 'm', 'disk0', '8M'], 2, /^hangar: disk 'disk0' of VM 'm' is 16 MiB: disks only grow .*8 MiB is refused$/);
    await refused(['disk', 'resize', 'm', 'disk0', '-1M'], 2, /a disk cannot shrink/);
    await refused(['disk', 'resize', 'm', 'disk0', 'lots'], 2, /^hangar: SIZE 'lots': size must be a number/);
    await refused(['disk', 'resize', 'm', 'disk7', '1G'], 1, /^hangar: VM 'm' has no disk 'disk7'; its disks: disk0 \(0\)$/);
    await refused(['disk', 'compact', 'm', '3'], 1, /^hangar: VM 'm' has no disk '3'/);
    await refused(['disk', 'resize', 'nosuchvm', 'disk0', '1G'], 1, /no VM named or with id 'nosuchvm'/);
    assert.equal(await state(), before);
  });

  test('offline and online resize grow the disk the guest sees; compact is refused while it runs', async () => {
    const grown = await ok('disk', 'resize', 'm', '0', '24M', '--json');
    assert.deepEqual([grown.json.fromBytes, grown.json.toBytes, grown.json.online], [16 * M, 24 * M, false]);
    assert.equal(qemuImgInfo(disk)['virtual-size'], 24 * M);
    assert.equal(recordedSize(disk), 24 * M);
    await ok('start', 'm', '--wait-serial', GUEST_READY, '--timeout', '180');
    assert.equal(await guestSectors(), (24 * M) / 512);

    const online = await ok('disk', 'resize', 'm', 'disk0', '+8M', '--json');
    assert.deepEqual([online.json.toBytes, online.json.online], [32 * M, true]);
    assert.equal(await guestSectors(), (32 * M) / 512, 'virtio-blk tells the guest at once');
    assert.equal(recordedSize(disk), 32 * M, "the inventory's record of the image follows (a clone or a migration copies it)");
    const before = await state();
    await refused(['disk', 'compact', 'm', 'disk0'], 1, /^hangar: VM 'm' is running: compacting rewrites the disk's image, which QEMU has open; shut the VM down first$/);
    assert.equal(await state(), before);
  });

  test('compact drops what the guest zeroed; the image is clean and the guest keeps its data', async () => {
    // 4 MiB of random data at 1 MiB, a marker at 20 MiB; then the random data is overwritten with zeros.
    assert.equal(await g.status('m', 'dd if=/dev/urandom of=/dev/vda bs=1M seek=1 count=4 conv=fsync 2>/dev/null', 120_000), 0);
    assert.equal(await g.status('m', 'echo HANGAR-MEDIA-MARK | dd of=/dev/vda bs=512 seek=40960 conv=fsync 2>/dev/null'), 0);
    assert.equal(await g.status('m', 'dd if=/dev/zero of=/dev/vda bs=1M seek=1 count=4 conv=fsync 2>/dev/null && sync', 120_000), 0);
    await ok('stop', 'm', '--force');
    const before = allocated(disk);
    assert.ok(before > 4 * M, `the zeroed data is still allocated before compacting (${before})`);
    const r = await ok('disk', 'compact', 'm', 'disk0', '--json');
    assert.equal(r.json.beforeAllocatedBytes, before);
    assert.ok(allocated(disk) < before - 3 * M, `allocated ${before} → ${allocated(disk)}`);
    assert.equal(r.json.afterAllocatedBytes, allocated(disk));
    assert.match(qemuImgCheck(disk), /No errors were found on the image/);
    assert.equal(qemuImgInfo(disk)['virtual-size'], 32 * M);
    const tasks = (await ok('tasks', '--json')).json as { tasks: { kind: string; state: string }[] };
    assert.equal(tasks.tasks.find((t) => t.kind === 'disk.compact')?.state, 'succeeded');

    await ok('start', 'm', '--wait-serial', GUEST_READY, '--timeout', '180');
    assert.equal(await g.value('m', 'dd if=/dev/vda bs=512 skip=40960 count=1 2>/dev/null | head -c 17'), 'HANGAR-MEDIA-MARK');
    assert.equal(await g.value('m', 'dd if=/dev/vda bs=1M skip=1 count=4 2>/dev/null | tr -d "\\000" | wc -c'), '0');
    await ok('stop', 'm', '--force');
  });

  test('a disk with a snapshot: the new size is the current state\'s; the snapshot keeps its own, and restoring brings it back', async () => {
    await ok('snapshot', 'take', 'm', '--name', 'small');
    const r = await ok('disk', 'resize', 'm', 'disk0', '40M', '--json');
    assert.match(r.json.notes.join('\n'), /snapshot 'small' keeps the size it was taken with, and restoring one brings that size back/);
    const top = await diskPath();
    assert.equal(qemuImgInfo(top)['virtual-size'], 40 * M);
    assert.equal(qemuImgInfo(top)['backing-filename'], disk, 'the overlay still rests on the frozen image');
    assert.equal(qemuImgInfo(disk)['virtual-size'], 32 * M, 'the frozen image keeps its size');
    const media = (await ok('media', 'list', '--json')).json as { media: { path: string; chain: string[]; role: string; snapshots: string[]; vms: string[] }[] };
    const frozen = media.media.find((x) => x.path === disk)!;
    assert.deepEqual([frozen.role, frozen.snapshots, frozen.vms], ['frozen', ['m/small'], ['m']]);
    assert.deepEqual(media.media.find((x) => x.path === top)!.chain, [top, disk]);
    for (const p of [top, disk]) assert.match(qemuImgCheck(p), /No errors were found/);
    // Compacting the overlay keeps its backing file and what it holds.
    await ok('disk', 'compact', 'm', 'disk0');
    assert.equal(qemuImgInfo(top)['backing-filename'], disk);
    assert.equal(qemuImgInfo(top)['virtual-size'], 40 * M);

    await ok('snapshot', 'restore', 'm', 'small');
    const restored = await diskPath();
    assert.equal(qemuImgInfo(restored)['virtual-size'], 32 * M);
    assert.match(qemuImgCheck(restored), /No errors were found/);
    assert.deepEqual(((await ok('media', 'list', '--unused', '--json')).json as { media: unknown[] }).media, [], 'nothing left behind');
  });

  test('a cancelled compact leaves the disk as it was: same file, no leftover, a clean image', async () => {
    const big = (await ok('create', '--name', 'big', '--disk', '256M', '--nic', 'none', '--json')).json as { disks: { path: string }[] };
    const path = big.disks[0]!.path;
    assert.equal(spawnSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x5a 0 64M', path]).status, 0);
    const before = statSync(path);
    const child = spawn(process.execPath, [cliPath, 'disk', 'compact', 'big', 'disk0'], { env: { ...process.env, HANGAR_HOME: home } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number>((r) => child.on('close', (code) => r(code ?? -1)));
    // The rewrite is held (SIGSTOP) while the cancel arrives: certainly during it, not a race.
    const pid = await freezeQemuImg('convert', home);
    child.kill('SIGINT');
    await waitUntil('the compact task to end', async () => {
      const tasks = ((await ok('tasks', '--json')).json as { tasks: { kind: string; vm: string | null; state: string }[] }).tasks;
      return tasks.some((t) => t.kind === 'disk.compact' && t.vm === 'big' && t.state !== 'running') || undefined;
    }, 60_000, 100).finally(() => thaw(pid));
    assert.equal(await exited, 1, err);
    assert.match(err, /cancel/);
    const tasks = ((await ok('tasks', '--json')).json as { tasks: { kind: string; vm: string | null; state: string }[] }).tasks;
    assert.equal(tasks.find((t) => t.kind === 'disk.compact' && t.vm === 'big')?.state, 'cancelled');
    const after = statSync(path);
    assert.deepEqual([after.ino, after.size, after.mtimeMs], [before.ino, before.size, before.mtimeMs], 'the disk is the same file, untouched');
    assert.deepEqual(readdirSync(dirname(path)).filter((f) => f.includes('.compact')), [], 'no half-written image is left');
    assert.match(qemuImgCheck(path), /No errors were found/);
    assert.equal(spawnSync('qemu-io', ['-f', 'qcow2', '-c', 'read -P 0x5a 0 64M', path]).status, 0, 'the data is there');
    await ok('delete', 'big');
  });
});

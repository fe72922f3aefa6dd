// Clones end to end through `hangar`, checked inside real guests: linked and full clones see the data of
// their source, writes never cross, clones run beside their source with their own MACs, a source with
// linked clones cannot be deleted, a cancelled full clone leaves nothing, ten linked clones boot at once.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { runCli, tempHome, waitUntil, cliPath } from '../helpers/cli.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

describe('clones', () => {
  const { home, cleanup } = tempHome();
  const h = (...args: string[]) => runCli(home, args);
  const ok = async (...args: string[]) => {
    const r = await h(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const run = async (vm: string, command: string, expect: RegExp, timeoutMs = 60_000) => {
    const before = (await h('serial', vm)).stdout.length;
    await ok('send', vm, command);
    return waitUntil(`'${expect}' after '${command}' in ${vm}`, async () => (await h('serial', vm)).stdout.slice(before).match(expect) ?? undefined, timeoutMs);
  };
  const boot = (vm: string) => ok('start', vm, '--wait-serial', 'TESTGUEST DISK', '--timeout', '400');
  const vmDirs = () => readdirSync(join(home, 'VMs')).length;

  after(async () => {
    await cleanup();
  });

  test('linked and full clones see their source data, run beside it, and writes never cross', async () => {
    const disk = join(home, 'src.qcow2');
    copyFileSync(fixtureGuest().disk, disk);
    await ok('create', '--name', 'src', '--disk-image', disk, '--memory', '192');
    await boot('src');
    await run('src', 'echo before > /mnt/disk/data; sync; echo w1', /w1/);
    await ok('snapshot', 'take', 'src', '--name', 'S');
    await run('src', 'echo after-src > /mnt/disk/data2; sync; echo w2', /w2/);
    await ok('stop', 'src');

    const linked = (await ok('clone', 'src', '--name', 'lc', '--linked', '--snapshot', 'S', '--json')).json;
    assert.deepEqual(linked.linkedTo && [linked.linkedTo.vmName, linked.linkedTo.snapshotName], ['src', 'S']);
    assert.deepEqual(linked.disks[0].chain.slice(1), [disk], "an overlay on the snapshot's frozen image (here the source's first disk)");
    const logBefore = readFileSync(join(home, 'owner.log'), 'utf8').length;
    const full = (await ok('clone', 'src', '--name', 'fc', '--json')).json;
    assert.equal(full.disks[0].chain.length, 1, 'a full clone stands alone');
    // With room to spare, the copy is the only qemu-img the clone runs: the room check and the reply's
    // details read the qcow2 headers (the owner logs every qemu-img it runs).
    const cloneLog = readFileSync(join(home, 'owner.log'), 'utf8').slice(logBefore);
    assert.deepEqual([...new Set([...cloneLog.matchAll(/qemu-img (\w+) /g)].map((m) => m[1]))], ['convert'], cloneLog);
    const byQemuImg = JSON.parse(spawnSync('qemu-img', ['info', '--output=json', '-U', full.disks[0].path], { encoding: 'utf8' }).stdout) as { 'virtual-size': number; 'actual-size': number };
    assert.deepEqual([full.disks[0].virtualSizeBytes, full.disks[0].actualSizeBytes], [byQemuImg['virtual-size'], byQemuImg['actual-size']], 'the details read from the header say what qemu-img says');
    assert.equal(full.linkedTo, null);
    const source = (await ok('show', 'src', '--json')).json;
    assert.deepEqual(source.dependents.map((d: { vmName: string }) => d.vmName), ['lc']);
    const macs = [source, linked, full].map((v) => v.nics[0].mac);
    assert.equal(new Set(macs).size, 3, `new MACs: ${macs.join(', ')}`);

    // All three at once.
    await Promise.all([boot('src'), boot('lc'), boot('fc')]);
    for (const [vm, mac] of [['src', macs[0]], ['lc', macs[1]], ['fc', macs[2]]] as const) {
      await run(vm, 'echo "mac:$(cat /sys/class/net/eth0/address):e"', new RegExp(`mac:${mac}:e`));
    }
    await run('lc', 'echo "d:$(cat /mnt/disk/data):$(cat /mnt/disk/data2 2>/dev/null):e"', /d:before::e/);
    await run('fc', 'echo "d:$(cat /mnt/disk/data):$(cat /mnt/disk/data2):e"', /d:before:after-src:e/);
    // Writes stay where they are made.
    await run('lc', 'echo from-clone > /mnt/disk/c; sync; echo wc', /wc/);
    await run('src', 'echo from-source > /mnt/disk/s; sync; echo ws', /ws/);
    await run('src', 'echo "x:$(cat /mnt/disk/c 2>/dev/null || echo none):e"', /x:none:e/);
    await run('lc', 'echo "y:$(cat /mnt/disk/s 2>/dev/null || echo none):e"', /y:none:e/);
    await run('fc', 'echo "z:$(cat /mnt/disk/c 2>/dev/null || echo none):e"', /z:none:e/);
    await Promise.all(['src', 'lc', 'fc'].map((vm) => ok('stop', vm, '--force')));

    // The source and its snapshot cannot be deleted under the linked clone.
    const del = await h('delete', 'src');
    assert.equal(del.code, 1);
    assert.match(del.stderr, /linked clone\(s\) 'lc' depend/);
    const delSnap = await h('snapshot', 'delete', 'src', 'S');
    assert.equal(delSnap.code, 1);
    assert.match(delSnap.stderr, /linked clone\(s\) 'lc' depend on it/);
    assert.equal((await ok('show', 'src', '--json')).json.snapshots.length, 1, 'nothing changed');
  });

  test('a running VM clones at a consistent point: linked from a live snapshot, full through a temporary one', async () => {
    await boot('fc');
    await run('fc', 'echo live > /mnt/disk/live; sync; echo wl', /wl/);
    const linked = (await ok('clone', 'fc', '--name', 'fc-linked', '--linked', '--json')).json;
    assert.equal(linked.linkedTo?.snapshotName, 'Linked base for fc-linked');
    const full = (await ok('clone', 'fc', '--name', 'fc-full', '--json')).json;
    assert.equal(full.disks[0].chain.length, 1);
    const source = (await ok('show', 'fc', '--json')).json;
    assert.equal(source.state, 'running', 'the source ran on');
    assert.deepEqual(source.snapshots.map((x: { name: string }) => x.name), ['Linked base for fc-linked'], 'the temporary snapshot is gone');
    await ok('stop', 'fc', '--force');
    await Promise.all([boot('fc-linked'), boot('fc-full')]);
    await run('fc-linked', 'echo "l:$(cat /mnt/disk/live):e"', /l:live:e/);
    await run('fc-full', 'echo "f:$(cat /mnt/disk/live):e"', /f:live:e/);
    await Promise.all(['fc-linked', 'fc-full'].map((vm) => ok('stop', vm, '--force')));
    await ok('delete', 'fc-full');
    // The source goes, keeping only the images its linked clone is based on; promoting the clone frees them.
    const refused = await h('delete', 'fc');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /'fc-linked' depend.*--keep-shared/);
    const gone = (await ok('delete', 'fc', '--keep-shared', '--json')).json;
    assert.ok(gone.keptFiles.length > 0);
    for (const f of gone.keptFiles) assert.ok(existsSync(f), `${f} is kept`);
    const orphaned = (await ok('show', 'fc-linked', '--json')).json;
    assert.equal(orphaned.linkedTo?.vmName, '(deleted VM)');
    for (const img of orphaned.disks[0].chain) assert.equal(spawnSync('qemu-img', ['check', img]).status, 0, img);
    const promoted = (await ok('promote', 'fc-linked', '--json')).json;
    assert.equal(promoted.disks[0].chain.length, 1);
    for (const f of gone.keptFiles) assert.equal(existsSync(f), false, `${f} is removed once nothing needs it`);
    await ok('start', 'fc-linked', '--wait-serial', 'TESTGUEST DISK', '--timeout', '400');
    await run('fc-linked', 'echo "k:$(cat /mnt/disk/live):e"', /k:live:e/);
    await ok('stop', 'fc-linked', '--force');
    await ok('delete', 'fc-linked');
  });

  test('ten linked clones of one base boot at the same time', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `ten-${i}`);
    for (const n of names) await ok('clone', 'src', '--name', n, '--linked', '--snapshot', 'S');
    await Promise.all(names.map((n) => boot(n)));
    const list = (await ok('list', '--json')).json.vms as { name: string; state: string }[];
    for (const n of names) assert.equal(list.find((v) => v.name === n)?.state, 'running', n);
    await Promise.all(names.map((n) => ok('stop', n, '--force')));
    for (const n of names) await ok('delete', n);
  });

  test('promote turns a linked clone into a full one; then the base can go', async () => {
    const promoted = (await ok('promote', 'lc', '--json')).json;
    assert.equal(promoted.disks[0].chain.length, 1);
    assert.equal(promoted.linkedTo, null);
    await boot('lc');
    await run('lc', 'echo "p:$(cat /mnt/disk/data):$(cat /mnt/disk/c):e"', /p:before:from-clone:e/);
    await ok('stop', 'lc', '--force');
    await ok('snapshot', 'delete', 'src', 'S');
    await ok('delete', 'src');
    assert.equal(spawnSync('qemu-img', ['check', promoted.disks[0].path]).status, 0);
  });

  test('a full clone of the current state and all snapshots keeps the tree, each snapshot restorable', async () => {
    const src = (await ok('create', '--name', 'tree-src', '--disk', '1G', '--nic', 'none', '--json')).json;
    const top = async (vm: string) => (await ok('show', vm, '--json')).json.disks[0].path as string;
    const io = (cmd: string, file: string, ro = false) => spawnSync('qemu-io', [...(ro ? ['-r', '-U'] : []), '-f', 'qcow2', '-c', cmd, file], { encoding: 'utf8' });
    assert.equal(io('write -P 1 0 1M', await top('tree-src')).status, 0);
    await ok('snapshot', 'take', 'tree-src', '--name', 'A');
    assert.equal(io('write -P 2 1M 1M', await top('tree-src')).status, 0);
    await ok('snapshot', 'take', 'tree-src', '--name', 'B');
    await ok('snapshot', 'restore', 'tree-src', 'A');
    assert.equal(io('write -P 3 2M 1M', await top('tree-src')).status, 0);
    const clone = (await ok('clone', 'tree-src', '--name', 'tree-copy', '--all-snapshots', '--json')).json;
    assert.ok(clone.disks[0].chain.every((p: string) => p.startsWith(clone.folder)), 'every image is the clone\'s own');
    const tree = (await ok('snapshot', 'list', 'tree-copy', '--json')).json;
    const byName = new Map(tree.snapshots.map((x: { name: string; id: string; parentId: string | null }) => [x.name, x]));
    assert.deepEqual([...byName.keys()], ['A', 'B']);
    assert.equal((byName.get('B') as { parentId: string }).parentId, (byName.get('A') as { id: string }).id);
    assert.equal(tree.currentSnapshotId, (byName.get('A') as { id: string }).id);
    const reads = (file: string, want: [number, number, number]) =>
      want.forEach((pattern, i) => {
        const r = io(`read -P ${pattern} ${i}M 1M`, file, true);
        assert.ok(r.status === 0 && !/fail/i.test(r.stdout), `offset ${i}M should hold ${pattern}: ${r.stdout}`);
      });
    reads(await top('tree-copy'), [1, 0, 3]);
    await ok('snapshot', 'restore', 'tree-copy', 'B');
    reads(await top('tree-copy'), [1, 2, 0]);
    // The source is untouched, and independent of the copy.
    reads(await top('tree-src'), [1, 0, 3]);
    await ok('delete', 'tree-copy');
    await ok('snapshot', 'restore', 'tree-src', 'B');
    reads(await top('tree-src'), [1, 2, 0]);
    await ok('delete', 'tree-src');
    assert.equal(src.linkedTo, null);
  });

  test('a cancelled full clone leaves no files and no inventory rows; bad requests change nothing', async () => {
    const big = (await ok('create', '--name', 'big', '--disk', '2G', '--nic', 'none', '--json')).json;
    assert.equal(spawnSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0x77 0 1536M', big.disks[0].path]).status, 0);
    const before = vmDirs();
    const child = spawn(process.execPath, [cliPath, 'clone', 'big', '--name', 'big-copy'], { env: { ...process.env, HANGAR_HOME: home } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number>((r) => child.on('close', (code) => r(code ?? -1)));
    await waitUntil('the copy to start', async () => {
      const tasks = (await ok('tasks', '--json')).json.tasks as { kind: string; state: string }[];
      return tasks.some((t) => t.kind === 'vm.clone.full' && t.state === 'running') ? true : undefined;
    }, 30_000, 50);
    child.kill('SIGINT');
    assert.equal(await exited, 1, err);
    assert.match(err, /cancel/);
    assert.equal((await ok('list', '--json')).json.vms.some((v: { name: string }) => v.name === 'big-copy'), false);
    assert.equal(vmDirs(), before, 'no folder was left behind');

    for (const [args, code, message] of [
      [['clone', 'big', '--name', 'big'], 1, /already exists/],
      [['clone', 'big', '--name', 'a/b'], 2, /must not contain/],
      [['clone', 'big', '--name', 'x', '--snapshot', 'nope'], 1, /no snapshot named/],
      [['clone', 'big', '--name', 'x', '--mac', 'random'], 2, /--mac takes new or keep/],
      [['clone', 'nope', '--name', 'x'], 1, /no VM named/],
      [['promote', 'big'], 2, /not a linked clone/],
      [['clone', 'big', '--name', 'x', '--linked', '--all-snapshots'], 2, /a linked clone cannot copy every snapshot/],
    ] as [string[], number, RegExp][]) {
      const r = await h(...args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(vmDirs(), before);
  });
});

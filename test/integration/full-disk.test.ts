// A Hangar home on a small filesystem that fills up (a tmpfs mount): import, full clone, snapshots
// (offline and live) and disk creation each fail with one line "not enough space on <folder>…", exit
// status 1, and leave no partial file and no inventory row; the VM that was there and its snapshot
// are untouched and still boot. Two ways to run out: the space check refuses before anything is
// written, and (a test hook fills the disk right after a passing check, as another program writing
// at that moment would) the writing itself hits ENOSPC, in qemu-img and in SQLite's inventory (a
// live snapshot's then switches the running disks back). The guest has 96 MiB: 64 does not boot.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, statfsSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runCli, waitUntil, type CliResult } from '../helpers/cli.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';
import { buildAppliance, fixtureVmdk } from '../fixtures/appliances.node.js';

const MIB = 1 << 20;

describe('a full disk', () => {
  fixtureGuest(); // throws "test guests not built" early when they are missing
  const mnt = mkdtempSync(join(tmpdir(), 'hangar-full-mnt-'));
  const outside = mkdtempSync(join(tmpdir(), 'hangar-full-out-'));
  const home = join(mnt, 'home');
  const ballast = join(mnt, 'ballast');
  const control = join(outside, 'fill.json');
  const env = { HANGAR_TEST: '1', HANGAR_TEST_FILL: control };
  let mounted = false;
  const h = (...args: string[]) => runCli(home, args, { env, timeoutMs: 400_000 });
  const ok = async (...args: string[]) => {
    const r = await h(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const messages: string[] = [];
  /** The command failed as a full disk should: status 1, one line naming a folder on the small filesystem. */
  const noSpace = (r: CliResult, what: string, folder: string): string => {
    assert.equal(r.code, 1, `${what}: exit status ${r.code}; stdout ${r.stdout}; stderr ${r.stderr}`);
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `${what}: one line, not ${JSON.stringify(r.stderr)}`);
    const message = lines[0]!.replace(/^hangar: /, '');
    assert.ok(message.startsWith(`not enough space on ${folder}`), `${what}: ${message}`);
    messages.push(`${what}: ${message}`);
    return message;
  };

  const free = () => {
    const st = statfsSync(mnt);
    return st.bavail * st.bsize;
  };
  /** Grows or shrinks the ballast so that exactly `bytes` stay free on the mount. */
  const setFree = (bytes: number) => {
    writeFileSync(control, '{}'); // no fill hook unless a step asks for one
    const size = existsSync(ballast) ? statSync(ballast).size : 0;
    const target = size + free() - bytes;
    if (target < size) truncateSync(ballast, Math.max(0, target));
    else if (target > size) execFileSync('fallocate', ['-l', String(target), ballast]);
    assert.equal(free(), bytes, 'the ballast leaves what was asked');
  };
  /** Once the owner passes `point` (after `skip` earlier passes), another writer fills the disk up to `leaveBytes`. */
  const fillAt = (point: string, leaveBytes: number, skip = 0) => writeFileSync(control, JSON.stringify({ point, ballast, leaveBytes, skip }));
  const filled = () => assert.equal(readFileSync(control, 'utf8'), '{}', 'the disk was filled at the point asked');

  /** Every file and folder of the home with its size and content hash, leaving out logs and runtime files. */
  const fingerprint = (): Map<string, string> => {
    const out = new Map<string, string>();
    const skip = (rel: string) =>
      /^(owner\.(log|sock|lock)|inventory\.sqlite.*)$/.test(rel) || /^VMs\/[^/]+\/(logs|run)(\/|$)/.test(rel);
    const walk = (dir: string) => {
      for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        const rel = relative(home, p);
        if (skip(rel)) continue;
        const st = lstatSync(p);
        if (st.isDirectory()) {
          out.set(rel, 'dir');
          walk(p);
        } else if (st.isFile()) out.set(rel, `${st.size}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
        else out.set(rel, 'other');
      }
    };
    walk(home);
    return out;
  };
  const rows = async () => {
    const vms = (await ok('list', '--json')).json.vms.map((v: { id: string; name: string }) => `${v.name}:${v.id}`).sort();
    const snaps = (await ok('snapshot', 'list', 'base', '--json')).json.snapshots.map((s: { id: string; name: string }) => `${s.name}:${s.id}`).sort();
    return { vms, snaps };
  };
  const ownerPid = () => (JSON.parse(readFileSync(join(home, 'owner.lock'), 'utf8')) as { pid: number }).pid;
  const checkImages = () => {
    for (const vm of readdirSync(join(home, 'VMs'))) {
      const disks = join(home, 'VMs', vm, 'disks');
      for (const f of readdirSync(disks)) {
        const r = spawnSync('qemu-img', ['check', '-U', join(disks, f)], { encoding: 'utf8' });
        assert.equal(r.status, 0, `qemu-img check ${f}: ${r.stdout}${r.stderr}`);
      }
    }
  };
  const say = async (text: string) => {
    const before = (await h('serial', 'base')).stdout.length;
    await ok('send', 'base', `echo ${text}-$((6*7))`);
    await waitUntil(`'${text}-42' on the console`, async () => ((await h('serial', 'base')).stdout.slice(before).includes(`${text}-42`) ? true : undefined), 120_000, 500);
  };

  let vmFolder = '';
  let pid = 0;
  let baseline = new Map<string, string>();
  let baseRows: { vms: string[]; snaps: string[] } = { vms: [], snaps: [] };
  let ova = '';
  let bigVmdk = '';

  before(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=192m,mode=0700', 'tmpfs', mnt]);
    mounted = true;
    mkdirSync(home, { mode: 0o700 });
    bigVmdk = fixtureVmdk(outside);
    ova = buildAppliance('virtualbox', join(outside, 'appliance'), { name: 'appl', memoryMiB: 64, digestAlgorithm: 'sha256' }).path;
  });

  after(async () => {
    try {
      if (existsSync(join(home, 'owner.lock'))) await runCli(home, ['shutdown', '--force'], { env, timeoutMs: 120_000 });
    } finally {
      if (mounted) {
        // QEMU and the owner let go of their files as they end: retry a busy mount for a while.
        await waitUntil('the tmpfs to unmount', () => (spawnSync('umount', [mnt]).status === 0 ? true : undefined), 60_000, 500).catch(() => {
          spawnSync('umount', ['-l', mnt]);
        });
      }
      rmSync(mnt, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
      for (const m of messages) console.log(`# ${m}`);
    }
  });

  test('with too little room, every operation is refused before it writes, and nothing changes', async () => {
    const created = await ok('create', '--name', 'base', '--disk-image', bigVmdk, '--memory', '128', '--nic', 'none', '--json');
    vmFolder = created.json.folder;
    await ok('snapshot', 'take', 'base', '--name', 'S0');
    pid = ownerPid();
    baseline = fingerprint();
    baseRows = await rows();
    const vms = join(home, 'VMs');

    setFree(2 * MIB);
    const clone = noSpace(await h('clone', 'base', '--name', 'C'), 'full clone (checked)', vms);
    assert.match(clone, /: needs [\d.]+ MiB, 2 MiB free$/);
    noSpace(await h('import', ova), 'import (checked)', vms);
    noSpace(await h('create', '--name', 'V', '--disk-image', bigVmdk, '--nic', 'none'), 'create --disk-image VMDK (checked)', vms);

    setFree(0);
    const empty = noSpace(await h('create', '--name', 'E', '--disk', '2G', '--nic', 'none'), 'create --disk 2G on a full disk', vms);
    assert.match(empty, /: needs [\d.]+ KiB, 0 B free$/);
    noSpace(await h('snapshot', 'take', 'base', '--name', 'S1'), 'offline snapshot on a full disk', vmFolder);

    setFree(8 * MIB);
    assert.equal(ownerPid(), pid, 'the owner lived through it');
    assert.deepEqual(await rows(), baseRows, 'no VM and no snapshot was recorded');
    assert.deepEqual(fingerprint(), baseline, 'no file was added, removed or changed');
    checkImages();
  });

  test('a running VM: a live snapshot that cannot hold its state is refused, and the guest runs on', async () => {
    setFree(32 * MIB);
    await ok('start', 'base', '--wait-serial', 'TESTGUEST DISK', '--timeout', '300');
    setFree(2 * MIB);
    const m = noSpace(await h('snapshot', 'take', 'base', '--name', 'L'), 'live snapshot (checked)', vmFolder);
    assert.match(m, /: needs [\d.]+ MiB, 2 MiB free$/);
    await say('alive-after-check');
    assert.deepEqual(await rows(), baseRows);
  });

  test('when the disk fills up after the check passed, the writing fails as cleanly', async () => {
    const vms = join(home, 'VMs');
    // Live: the check passed, then the RAM state does not fit while it is written: the migration is
    // cancelled at once (not left blocked with the guest paused), the disks switch back, the guest runs on.
    setFree(136 * MIB);
    fillAt('after-space-check', MIB);
    // DISK_FULL, not a timeout: noSpace checks the message says the disk is full.
    noSpace(await h('snapshot', 'take', 'base', '--name', 'L1'), 'live snapshot (the state write hit ENOSPC)', vmFolder);
    filled();
    setFree(8 * MIB);
    await say('alive-after-state-enospc');
    assert.deepEqual(await rows(), baseRows);
    // Live: disks switched and state saved, then the inventory cannot record it: the state goes, the
    // running disks switch back to their images (an active commit), and the guest runs on.
    setFree(136 * MIB);
    fillAt('snapshot-before-register', 0);
    noSpace(await h('snapshot', 'take', 'base', '--name', 'L2'), 'live snapshot (inventory hit SQLITE_FULL)', vmFolder);
    filled();
    setFree(8 * MIB);
    await say('alive-after-enospc');
    assert.deepEqual(await rows(), baseRows);
    const shown = (await ok('show', 'base', '--json')).json;
    assert.equal(shown.disks[0].chain.length, 2, `the running disk is back on its own image: ${shown.disks[0].chain.join(' <- ')}`);
    await ok('stop', 'base', '--force');

    setFree(48 * MIB);
    fillAt('after-space-check', MIB);
    noSpace(await h('clone', 'base', '--name', 'C2'), 'full clone (qemu-img hit ENOSPC)', vms);
    filled();
    // The import checks all its disks first, then each disk just before it is converted: the fill comes after the second.
    setFree(48 * MIB);
    fillAt('after-space-check', MIB, 1);
    noSpace(await h('import', ova), 'import (qemu-img hit ENOSPC)', vms);
    filled();
    // The copy is whole, then the inventory (SQLite) cannot record it: the copy goes.
    setFree(48 * MIB);
    fillAt('clone-before-register', 0);
    noSpace(await h('clone', 'base', '--name', 'C3'), 'full clone (inventory hit SQLITE_FULL)', vms);
    filled();

    setFree(8 * MIB);
    assert.equal(ownerPid(), pid, 'the owner lived through it');
    assert.deepEqual(await rows(), baseRows, 'no VM and no snapshot was recorded');
    const now = fingerprint();
    // The running VM wrote to its current overlay; everything else is as it was.
    const current = (await ok('show', 'base', '--json')).json.disks[0].path as string;
    const rel = relative(home, current);
    assert.ok(now.has(rel) && baseline.has(rel), 'the current overlay is the one from before');
    now.delete(rel);
    const expected = new Map(baseline);
    expected.delete(rel);
    assert.deepEqual(now, expected, 'no file was added, removed or changed (but the running disk)');
    checkImages();
    const tasks = (await ok('tasks', '--json')).json.tasks as { kind: string; state: string; error: string | null }[];
    assert.equal(tasks.filter((t) => t.state === 'running').length, 0, 'no task is left running');
    for (const t of tasks.filter((x) => x.state === 'failed')) assert.match(t.error ?? '', /^not enough space on /, `${t.kind}: ${t.error}`);
  });

  test('the VM that was there still boots', async () => {
    setFree(32 * MIB);
    await ok('start', 'base', '--wait-serial', 'TESTGUEST DISK', '--timeout', '300');
    await say('boots-again');
    await ok('stop', 'base', '--force');
  });
});

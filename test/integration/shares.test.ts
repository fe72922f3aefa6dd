// Shared folders end to end through `hangar`: virtio-fs (a virtiofsd per share, started and supervised
// by the VM's host) and 9p, read-write and read-only, with the data checked inside the real guest; the
// refusals of bad input; saving refused; helpers that die with the VM, and a VM that dies with its helper.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliIn, tempHome, waitUntil } from '../helpers/cli.node.js';
import { guestShell } from '../helpers/guestShell.node.js';
import { execFileSync } from 'node:child_process';
import { fixtureGuest, GUEST_READY, GUEST_TOOLS } from '../fixtures/guest.node.js';

/** Running processes whose program is `program` (a path's last part) and whose arguments mention `text`. */
function processes(program: string, text: string): { pid: number; argv: string[] }[] {
  const found: { pid: number; argv: string[] }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.split('/').pop() === program && argv.some((a) => a.includes(text))) found.push({ pid: Number(name), argv });
    } catch {
      /* gone */
    }
  }
  return found;
}

describe('shared folders', () => {
  const { home, cleanup } = tempHome();
  const { h, ok } = cliIn(home);
  const sh = guestShell(home);
  const guest = fixtureGuest();
  // Shared folders live outside the home, as a user's would.
  const outside = mkdtempSync(join(tmpdir(), 'hangar-shares-'));
  const dirs = { vrw: join(outside, 'vfs-rw'), vro: join(outside, 'vfs-ro'), prw: join(outside, '9p-rw'), pro: join(outside, '9p-ro') };
  const kernel = ['--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0,115200 quiet', '--memory', '256', '--nic', 'none'];
  const boot = [...kernel, '--disk', 'none'];

  before(() => {
    for (const [key, dir] of Object.entries(dirs)) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'from-host.txt'), `host says ${key}\n`);
    }
  });
  after(async () => {
    await cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  test('bad shares are refused in one line, exit 2, and change nothing', async () => {
    const file = join(outside, 'a-file');
    writeFileSync(file, 'x');
    const inside = join(home, 'inside');
    mkdirSync(inside);
    const cases: [string[], RegExp][] = [
      [['--share', join(outside, 'missing')], /shared folder .*missing does not exist/],
      [['--share', file], /shared folder .*a-file is not a folder/],
      [['--share', inside], /inside Hangar's home/],
      [['--share', home], /is Hangar's home/],
      [['--share', `${dirs.vrw},tag=data`, '--share', `${dirs.prw},tag=data`], /share tag 'data' is used by more than one shared folder/],
      [['--share', `${dirs.vrw},mode=nfs`], /mode takes virtiofs or 9p/],
      [['--share', `${dirs.vrw},tag=-bad`], /share tag must be/],
    ];
    for (const [flags, message] of cases) {
      const r = await h('create', '--name', 'refused', ...boot, ...flags);
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
    assert.deepEqual((await ok('list', '--json')).json.vms, [], 'no VM was made');

    // The same on modify: the VM's shares stay as they were.
    await ok('create', '--name', 'target', ...boot, '--share', `${dirs.vrw},tag=keep`);
    const before = (await ok('show', 'target', '--json')).json.shares;
    for (const [flags, message] of [...cases, [['--share', `${dirs.prw},tag=keep`], /share tag 'keep' is used by more than one shared folder/]] as [string[], RegExp][]) {
      const r = await h('modify', 'target', ...flags);
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    const unknown = await h('modify', 'target', '--unshare', 'nope');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /there is no shared folder tagged 'nope'/);
    assert.deepEqual((await ok('show', 'target', '--json')).json.shares, before);
    // --unshare removes by tag.
    assert.deepEqual((await ok('modify', 'target', '--unshare', 'keep', '--json')).json.shares, []);
    await ok('delete', 'target');
  });

  test('virtio-fs and 9p, read-write and read-only: the guest reads, writes, and is refused writes where it may only read', async () => {
    // A disk (ext4, which the agent can freeze) and the tools disc (qemu-ga), for the snapshot at the end.
    const data = join(outside, 'data.img');
    execFileSync('truncate', ['-s', '32M', data]);
    execFileSync('mkfs.ext4', ['-q', '-F', data]);
    const created = await ok(
      'create', '--name', 'shared', ...kernel, '--disk-image', data, '--iso', guest.tools,
      '--share', `${dirs.vrw},tag=vrw`,
      '--share', `${dirs.vro},tag=vro,ro`,
      '--share', `${dirs.prw},tag=prw,mode=9p`,
      '--share', `${dirs.pro},tag=pro,ro,mode=9p`,
      '--json',
    );
    assert.deepEqual(created.json.shares, [
      { tag: 'vrw', hostPath: dirs.vrw, readOnly: false, mode: 'virtiofs' },
      { tag: 'vro', hostPath: dirs.vro, readOnly: true, mode: 'virtiofs' },
      { tag: 'prw', hostPath: dirs.prw, readOnly: false, mode: '9p' },
      { tag: 'pro', hostPath: dirs.pro, readOnly: true, mode: '9p' },
    ]);
    const folder: string = created.json.folder;
    const human = (await ok('show', 'shared')).stdout;
    assert.match(human, /share vro: .*vfs-ro \(read-only, virtio-fs\); in the guest: mount -t virtiofs -o ro vro \/mnt\/vro/);

    await ok('start', 'shared', '--wait-serial', GUEST_TOOLS, '--timeout', '180');
    // One virtiofsd per virtio-fs share (its sandbox forks a child), its socket in the VM's private run folder.
    const sockets = new Set(processes('virtiofsd', folder).map((p) => p.argv.find((a) => a.startsWith('--socket-path='))));
    assert.deepEqual([...sockets].sort(), [`--socket-path=${join(folder, 'run', 'fs-0.sock')}`, `--socket-path=${join(folder, 'run', 'fs-1.sock')}`]);

    const mounted = await sh(
      'shared',
      'mkdir -p /mnt/vrw /mnt/vro /mnt/prw /mnt/pro && mount -t virtiofs vrw /mnt/vrw && mount -t virtiofs vro /mnt/vro && ' +
        'mount -t 9p -o trans=virtio,version=9p2000.L prw /mnt/prw && mount -t 9p -o trans=virtio,version=9p2000.L pro /mnt/pro && echo mounted',
    );
    assert.equal(mounted.status, 0, mounted.output);
    const read = await sh('shared', 'cat /mnt/vrw/from-host.txt /mnt/vro/from-host.txt /mnt/prw/from-host.txt /mnt/pro/from-host.txt');
    assert.equal(read.output, 'host says vrw\nhost says vro\nhost says prw\nhost says pro\n');

    // Written in the guest, read on the host.
    const wrote = await sh('shared', 'echo "guest wrote virtio-fs" > /mnt/vrw/from-guest.txt && echo "guest wrote 9p" > /mnt/prw/from-guest.txt && sync');
    assert.equal(wrote.status, 0, wrote.output);
    assert.equal(readFileSync(join(dirs.vrw, 'from-guest.txt'), 'utf8'), 'guest wrote virtio-fs\n');
    assert.equal(readFileSync(join(dirs.prw, 'from-guest.txt'), 'utf8'), 'guest wrote 9p\n');

    // Refused on the read-only shares, by the host (the guest mounted them read-write).
    for (const tag of ['vro', 'pro']) {
      const r = await sh('shared', `echo no > /mnt/${tag}/from-guest.txt`);
      assert.notEqual(r.status, 0, `a write to ${tag} succeeded: ${r.output}`);
      assert.match(r.output, /Read-only file system/);
      assert.ok(!existsSync(join(tag === 'vro' ? dirs.vro : dirs.pro, 'from-guest.txt')));
    }
    // The read-only bind exists only for its helper: the host still writes there.
    writeFileSync(join(dirs.vro, 'host-can-write.txt'), 'yes');
    const seen = await sh('shared', 'cat /mnt/vro/host-can-write.txt');
    assert.equal(seen.output, 'yes');

    // Saving is refused (QEMU cannot migrate shared folders), in one line; the VM runs on.
    const save = await h('save', 'shared');
    assert.equal(save.code, 1, save.stderr);
    assert.match(save.stderr, /shares host folders \('vrw', 'vro', 'prw', 'pro'\), and QEMU cannot save the running state of a VM with shared folders: shut it down/);
    assert.equal((await ok('show', 'shared', '--json')).json.state, 'running');
    assert.equal((await sh('shared', 'cat /mnt/vrw/from-guest.txt')).output, 'guest wrote virtio-fs\n', 'the guest is unharmed');

    // A snapshot of a running VM with shares cannot keep its RAM state: it holds the disks, frozen clean
    // by the guest agent around the switch.
    await waitUntil('the guest agent', async () => ((await ok('show', 'shared', '--json')).json.guest.agent === 'connected' ? true : undefined), 60_000, 1_000);
    const snap = await ok('snapshot', 'take', 'shared', '--name', 'with shares', '--json');
    assert.deepEqual([snap.json.live, snap.json.quiesced], [false, true]);
    assert.equal((await ok('show', 'shared', '--json')).json.state, 'running');
    assert.equal((await sh('shared', 'cat /mnt/vrw/from-guest.txt')).output, 'guest wrote virtio-fs\n', 'the shares work on');

    // The helpers end with the VM.
    await ok('stop', 'shared', '--force');
    await waitUntil('the helpers to end', () => (processes('virtiofsd', folder).length === 0 ? true : undefined), 15_000);
  });

  test('a VM that shares its clipboard keeps no running state either: save is refused up front, a snapshot holds its disks', async () => {
    await ok('create', '--name', 'clipvm', ...kernel, '--disk', '16M', '--clipboard', 'on');
    assert.equal((await ok('show', 'clipvm', '--json')).json.display.clipboard, true);
    await ok('start', 'clipvm', '--wait-serial', GUEST_READY, '--timeout', '180');
    const save = await h('save', 'clipvm');
    assert.equal(save.code, 1, save.stderr);
    assert.match(save.stderr, /shares its clipboard with the display, and QEMU cannot save the running state of a VM that does: shut it down .*--clipboard off/);
    // Without an agent a snapshot is refused, saying why, unless a crash-consistent one is asked for.
    const refused = await h('snapshot', 'take', 'clipvm', '--name', 'refused');
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /shares its clipboard, so its running state cannot be kept in a snapshot, and no guest agent answers/);
    const snap = await ok('snapshot', 'take', 'clipvm', '--name', 'disks', '--quiesce', 'off', '--json');
    assert.deepEqual([snap.json.live, snap.json.quiesced], [false, false], 'the disks alone, as a power cut would leave them');
    assert.deepEqual((await ok('snapshot', 'list', 'clipvm', '--json')).json.snapshots.map((x: { name: string }) => x.name), ['disks'], 'the refused take left nothing');
    assert.equal((await ok('show', 'clipvm', '--json')).json.state, 'running', 'the VM runs on');
    await ok('stop', 'clipvm', '--force');
  });

  test('a VM whose virtiofsd dies ends aborted, saying which share; a missing share folder stops the start', async () => {
    const created = await ok('create', '--name', 'fragile', ...kernel, '--disk', '16M', '--share', `${dirs.vrw},tag=work`, '--json');
    const folder: string = created.json.folder;
    await ok('start', 'fragile');

    // No agent answers (this guest has none): a snapshot is refused, saying what to do, unless the
    // person takes it as a power cut would leave the disks.
    const refused = await h('snapshot', 'take', 'fragile');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /shares host folders \('work'\), so its running state cannot be kept in a snapshot, and no guest agent answers .*: install qemu-guest-agent in the guest, shut the VM down first .* --quiesce off/);
    assert.deepEqual((await ok('snapshot', 'list', 'fragile', '--json')).json.snapshots, []);
    const crash = await ok('snapshot', 'take', 'fragile', '--quiesce', 'off', '--json');
    assert.deepEqual([crash.json.live, crash.json.quiesced], [false, false]);
    // The first (the parent of its sandboxed child) is the one the VM's host started.
    const [helper] = processes('virtiofsd', join(folder, 'run', 'fs-0.sock')).sort((a, b) => a.pid - b.pid);
    assert.ok(helper, 'virtiofsd runs');
    process.kill(helper.pid, 'SIGKILL');
    const ended = await waitUntil('the VM to end', async () => {
      const vm = (await ok('show', 'fragile', '--json')).json;
      return vm.state === 'aborted' ? vm : undefined;
    });
    assert.match(ended.stateReason, /virtiofsd for the shared folder 'work' exited unexpectedly \(killed by SIGKILL\)/);
    await waitUntil('its sandboxed child and QEMU to end too', () => (processes('virtiofsd', folder).length + processes('qemu-system-x86_64', folder).length === 0 ? true : undefined), 15_000);

    // A share folder that went away: the start is refused before anything runs, with the way out.
    const gone = join(outside, 'gone');
    mkdirSync(gone);
    await ok('modify', 'fragile', '--share', `${gone},tag=gone`);
    rmSync(gone, { recursive: true });
    const r = await h('start', 'fragile');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /shared folder 'gone' .*gone of VM 'fragile' is missing: stop sharing it with 'hangar modify fragile --unshare gone'/);
    assert.equal((await ok('show', 'fragile', '--json')).json.state, 'aborted', 'nothing started');
  });
});

// VM crashes through `hangar`: QEMU, its VMM host, or both are SIGKILLed during boot, while running and
// during a live snapshot. Each time the VM ends `aborted` with a reason, every image passes qemu-img
// check, no unrecorded file is left, it starts again, and a bystander VM runs on untouched. Then the
// "restart on crash" policy, with its limit; and the process-level security of a running VM (QEMU's
// seccomp sandbox, private sockets).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { tempHome, waitUntil, waitForProcessGone, cliPath, cliIn } from '../helpers/cli.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

const BOOT_TIMEOUT_S = '240';
type Target = 'qemu' | 'host' | 'both';

describe('VM crashes: QEMU, its VMM host, or both', () => {
  const { home, cleanup } = tempHome('hangar-crash-');
  const guest = fixtureGuest();
  const { h, ok } = cliIn(home);
  const show = async (vm: string) => (await ok('show', vm, '--json')).json;
  const folders = new Map<string, string>();

  const hostPid = (vm: string): number => {
    const status = JSON.parse(readFileSync(join(folders.get(vm)!, 'run', 'status.json'), 'utf8')) as { hostPid: number };
    assert.ok(status.hostPid > 0, 'the status file names the VMM host');
    // The host runs from the build's one-file bundle (a faster start than its modules).
    const hostLog = readFileSync(join(folders.get(vm)!, 'logs', 'vmm-host.log'), 'utf8');
    // (A host that stood by for the start says so after the path.)
    assert.match(hostLog, new RegExp(`pid=${status.hostPid} VMM host started from \\S+/src-vmm/host/bundle\\.node\\.mjs( \\(it stood by, loaded, until this start\\))?\\n`), 'the VMM host runs from its bundle');
    return status.hostPid;
  };
  const kill = async (vm: string, target: Target) => {
    const s = await show(vm);
    const qemu = s.qemuPid as number;
    assert.ok(qemu > 0, `${vm} has a QEMU pid while ${s.state}`);
    const hpid = hostPid(vm);
    if (target !== 'host') process.kill(qemu, 'SIGKILL');
    if (target !== 'qemu') process.kill(hpid, 'SIGKILL');
    // Whichever survived the kill is stopped by the other side: nothing of the VM lives on.
    await waitForProcessGone(qemu);
    await waitForProcessGone(hpid);
  };
  const expectAborted = async (vm: string, target: Target) => {
    const s = await waitUntil(`${vm} aborted`, async () => {
      const x = await show(vm);
      return x.state === 'aborted' ? x : undefined;
    });
    const why = target === 'qemu' ? /QEMU exited unexpectedly \(killed by SIGKILL\)/ : /VMM host|QEMU exited unexpectedly/;
    assert.match(s.stateReason ?? '', why, `the reason says what happened: ${s.stateReason}`);
    assert.equal(s.qemuPid, undefined);
    return s;
  };
  /** Every image passes qemu-img check; every file in disks/ and snapshots/ is one the inventory knows. */
  const checkFiles = async (vm: string) => {
    const s = await show(vm);
    const folder = folders.get(vm)!;
    const known = new Set<string>(s.disks.flatMap((d: { chain: string[] }) => d.chain));
    for (const f of readdirSync(join(folder, 'disks'))) {
      const path = join(folder, 'disks', f);
      assert.ok(known.has(path), `${path} is an image of the VM, not a leftover (known: ${[...known].join(', ')})`);
      const r = spawnSync('qemu-img', ['check', path], { encoding: 'utf8' });
      assert.equal(r.status, 0, `qemu-img check ${f}: ${r.stdout}${r.stderr}`);
    }
    const snapIds = new Set<string>(s.snapshots.map((x: { id: string }) => x.id));
    const snapDir = join(folder, 'snapshots');
    for (const f of existsSync(snapDir) ? readdirSync(snapDir) : []) {
      assert.ok(snapIds.has(f.split('.')[0]!) && !f.endsWith('.partial'), `${f} in snapshots/ belongs to a recorded snapshot`);
    }
    return s;
  };
  const bootAgain = async (vm: string) => {
    const r = await h('start', vm, '--wait-serial', 'TESTGUEST DISK', '--timeout', BOOT_TIMEOUT_S, '--json');
    assert.equal(r.code, 0, `it starts again after the crash: ${r.stderr}`);
    assert.equal(r.json.state, 'running');
  };
  const echo = async (vm: string, word: string) => {
    const before = (await h('serial', vm)).stdout.length;
    await ok('send', vm, `echo ${word}-$((40+2))`);
    await waitUntil(`${vm} to answer`, async () => ((await h('serial', vm)).stdout.slice(before).includes(`${word}-42`) ? true : undefined), 60_000);
  };
  let bystanderPid = 0;

  before(async () => {
    mkdirSync(join(home, 'files'));
    for (const vm of ['bystander', 'victim-qemu', 'victim-host', 'victim-both']) {
      const disk = join(home, 'files', `${vm}.qcow2`);
      copyFileSync(guest.disk, disk);
      // Debian's stock kernel with the test guest's initramfs (which carries the virtio-fs, 9p and DRM
      // modules since guest integration) needs more than 96 MiB: 96 panics ("deadlocked on memory").
      const memory = vm === 'bystander' ? '128' : '256';
      const created = await ok('create', '--name', vm, '--disk-image', disk, '--memory', memory, '--nic', 'none', '--json');
      folders.set(vm, created.json.folder);
    }
    await ok('start', 'bystander', '--wait-serial', 'TESTGUEST READY', '--timeout', BOOT_TIMEOUT_S);
    bystanderPid = (await show('bystander')).qemuPid;
  });
  after(async () => {
    await cleanup();
  });

  for (const target of ['qemu', 'host', 'both'] as const) {
    test(`killing ${target === 'both' ? 'QEMU and its VMM host' : target === 'qemu' ? 'QEMU' : 'the VMM host'} during boot, while running and during a live snapshot`, async () => {
      const vm = `victim-${target}`;

      // During boot: start returns once QEMU runs; the guest's kernel is still coming up.
      await ok('start', vm);
      assert.doesNotMatch((await h('serial', vm)).stdout, /TESTGUEST DISK/, 'the kill lands before the guest finished booting');
      await kill(vm, target);
      await expectAborted(vm, target);
      await checkFiles(vm);

      // While running.
      await bootAgain(vm);
      await echo(vm, 'alive');
      await kill(vm, target);
      await expectAborted(vm, target);
      await checkFiles(vm);

      // During a live snapshot: killed while the RAM state is being written.
      await bootAgain(vm);
      const snapDir = join(folders.get(vm)!, 'snapshots');
      const take = spawn(process.execPath, [cliPath, 'snapshot', 'take', vm, '--name', 'during-crash', '--json'], {
        env: { ...process.env, HANGAR_HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      take.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number>((r) => take.on('close', (code) => r(code ?? -1)));
      await waitUntil('the state file to be written', () => (existsSync(snapDir) && readdirSync(snapDir).some((f) => f.endsWith('.partial')) ? true : undefined), 120_000, 5);
      await kill(vm, target);
      const code = await exited;
      await expectAborted(vm, target);
      const after = await checkFiles(vm);
      const recorded = after.snapshots.filter((x: { name: string; live: boolean }) => x.name === 'during-crash');
      if (code === 0) {
        // The disks had switched (and perhaps the state was complete) before the kill: the snapshot
        // stands, and restoring it must work; a live one resumes the guest where it was.
        assert.equal(recorded.length, 1);
        await ok('snapshot', 'restore', vm, 'during-crash');
        if (recorded[0].live) {
          const resumed = await ok('start', vm, '--json');
          assert.equal(resumed.json.state, 'running');
        } else await bootAgain(vm);
      } else {
        assert.equal(recorded.length, 0, 'a failed take records nothing');
        assert.match(stderr.trim(), /.+/, 'the failure is explained');
        assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
        await bootAgain(vm);
      }
      await echo(vm, 'back');
      await ok('stop', vm, '--force');
      await checkFiles(vm);

      // The bystander never noticed.
      const b = await show('bystander');
      assert.equal(b.state, 'running');
      assert.equal(b.qemuPid, bystanderPid, 'the other VM kept its QEMU');
    });
  }

  test('restart on crash brings the VM back, at most the set number of times a minute', async () => {
    const vm = 'victim-qemu';
    const modified = await ok('modify', vm, '--restart-on-crash', 'on', '--restart-limit', '2', '--json');
    assert.equal(modified.json.restartOnCrash, true);
    assert.equal(modified.json.maxRestartsPerMinute, 2);
    const bad = await h('modify', vm, '--restart-limit', '0');
    assert.equal(bad.code, 2, 'a limit of 0 is invalid input');
    assert.match(bad.stderr, /at least 1/);
    assert.equal((await show(vm)).maxRestartsPerMinute, 2, 'the refused change changed nothing');

    await ok('start', vm);
    const restartedAfter = async (target: Target) => {
      const before = (await show(vm)).qemuPid as number;
      await kill(vm, target);
      return waitUntil(
        'the VM to be restarted',
        async () => {
          const s = await show(vm);
          return s.state === 'running' && s.qemuPid && s.qemuPid !== before ? s : undefined;
        },
        60_000,
      );
    };
    await restartedAfter('qemu');
    await restartedAfter('host');
    // The third crash within a minute: the policy gives up and says so.
    await kill(vm, 'qemu');
    const s = await expectAborted(vm, 'qemu');
    assert.match(s.stateReason, /not restarted: it was already restarted 2 times within a minute/);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal((await show(vm)).state, 'aborted', 'and it stays down');

    // Turned off again, a crash is just a crash.
    await ok('modify', vm, '--restart-on-crash', 'off');
    await ok('start', vm);
    await kill(vm, 'qemu');
    await expectAborted(vm, 'qemu');
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal((await show(vm)).state, 'aborted');
    await checkFiles(vm);
  });

  test('a running VM: QEMU under a seccomp sandbox, every socket private to the user', async () => {
    const cmdline = readFileSync(`/proc/${bystanderPid}/cmdline`, 'utf8').split('\0');
    const i = cmdline.indexOf('-sandbox');
    assert.ok(i > 0, 'QEMU is started with -sandbox');
    assert.match(cmdline[i + 1]!, /^on,/);
    for (const opt of ['elevateprivileges=deny', 'spawn=deny', 'resourcecontrol=deny', 'obsolete=deny']) assert.ok(cmdline[i + 1]!.includes(opt), opt);
    const status = readFileSync(`/proc/${bystanderPid}/status`, 'utf8');
    assert.match(status, /^Seccomp:\s+2$/m, 'the kernel enforces a seccomp filter on QEMU');

    const run = join(folders.get('bystander')!, 'run');
    const sockets = [join(home, 'owner.sock'), ...readdirSync(run).filter((f) => f.endsWith('.sock')).map((f) => join(run, f))];
    for (const name of ['host.sock', 'qmp.sock', 'serial.sock', 'vnc.sock']) assert.ok(sockets.includes(join(run, name)), `${name} exists`);
    for (const s of sockets) {
      const st = statSync(s);
      assert.ok(st.isSocket(), `${s} is a socket`);
      assert.equal((st.mode & 0o777).toString(8), '600', `${s} is 0600`);
    }
    assert.equal((statSync(home).mode & 0o777).toString(8), '700', 'the home is private');
    for (const name of ['status.json', 'host-spec.json']) assert.equal((statSync(join(run, name)).mode & 0o077).toString(8), '0', `${name} is not readable by others`);
  });
});

// The engine end to end through the `hangar` CLI, in a temporary home, with real QEMU guests.
// Guests boot few times: each booted VM serves many assertions (TCG needs ~10 s per boot here).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { runCli, tempHome, waitUntil, waitForProcessGone, withLogsOnFailure, cliPath, type CliResult } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';
import { testOutputDir } from '../helpers/paths.js';

const BOOT_TIMEOUT_S = '180';

describe('hangar CLI: the engine end to end', () => {
  const { home, cleanup } = tempHome();
  const guest = fixtureGuest();
  const work = join(home, 'user-files');
  const h = (...args: string[]) => runCli(home, args);
  const state = async (vm: string) => ((await h('show', vm, '--json')).json?.state as string | undefined);
  const serialText = async (vm: string) => (await h('serial', vm)).stdout;
  /** Types a command and waits for a line of its output that the command itself does not contain. */
  const run = async (vm: string, command: string, expect: RegExp, timeoutMs = 30_000) => {
    const r = await h('send', vm, command);
    assert.equal(r.code, 0, r.stderr);
    return waitUntil(`'${expect}' after '${command}'`, async () => (await serialText(vm)).match(expect) ?? undefined, timeoutMs);
  };
  const expectFail = (r: CliResult, code: number, message: RegExp) => {
    assert.equal(r.code, code, `exit ${r.code}, stderr: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line on stderr');
  };

  before(() => {
    mkdirSync(work, { recursive: true });
    mkdirSync(testOutputDir, { recursive: true });
  });
  after(async () => {
    await cleanup();
  });

  test('host reports QEMU, an accelerator that works here and why', async () => {
    const r = await h('host', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.json.qemuVersion, /^\d+\.\d+/);
    assert.ok(['kvm', 'tcg'].includes(r.json.accelerator));
    assert.ok(r.json.accelReason.length > 10, r.json.accelReason);
    assert.equal(r.json.home, home);
    assert.doesNotThrow(() => process.kill(r.json.ownerPid, 0), 'the owner runs');
  });

  test('ostypes lists the catalogue with defaults', async () => {
    const r = await h('ostypes', '--json');
    assert.equal(r.code, 0);
    const ids = r.json.osTypes.map((o: { id: string }) => o.id);
    for (const id of ['linux', 'linux-legacy', 'windows10', 'windows11', 'freebsd', 'other']) assert.ok(ids.includes(id), id);
    const win11 = r.json.osTypes.find((o: { id: string }) => o.id === 'windows11');
    assert.equal(win11.defaults.firmware, 'uefi');
    const linux = r.json.osTypes.find((o: { id: string }) => o.id === 'linux');
    assert.equal(linux.defaults.diskBus, 'virtio');
  });

  test('bad input gets one clear line, the right exit status, and changes nothing', async () => {
    const text = join(work, 'notes.txt');
    writeFileSync(text, 'this is not a disk image\n');
    const cases: [string[], number, RegExp][] = [
      [['create', '--name', ''], 2, /name must not be empty/],
      [['create', '--name', 'a/b'], 2, /must not contain '\/'/],
      [['create', '--name', '..'], 2, /must not be '\.' or '\.\.'/],
      [['create', '--name', 'x'.repeat(10_000)], 2, /at most 128 characters/],
      [['create', '--name', 'bell\x07'], 2, /control characters/],
      [['create', '--name', 'm', '--memory', '1'], 2, /memory/i],
      [['create', '--name', 'm', '--memory', 'lots'], 2, /--memory takes a whole number/],
      [['create', '--name', 'c', '--cpus', '0'], 2, /cpu/i],
      [['create', '--name', 'c', '--cpus', '1000'], 2, /cpu/i],
      [['create', '--name', 'i', '--iso', join(work, 'missing.iso')], 2, /does not exist/],
      [['create', '--name', 'i', '--iso', text], 2, /not an ISO image/],
      [['create', '--name', 'd', '--disk-image', text], 2, /not a disk image/],
      [['create', '--name', 'd', '--disk-image', join(work, 'missing.qcow2')], 2, /missing\.qcow2/],
      [['create', '--name', 'd', '--disk', 'huge'], 2, /size/],
      [['create', '--name', 'f', '--forward', 'tcp:99999:22'], 2, /outside 1\.\.65535/],
      [['create', '--name', 'o', '--os', 'amigaos'], 2, /unknown OS type/],
      [['create', '--name', 'u', '--firmware', 'coreboot'], 2, /bios or uefi/],
      [['create'], 2, /--name/],
      [['frobnicate'], 2, /unknown command/],
      [['start', 'no-such-vm'], 1, /no VM named/],
    ];
    for (const [args, code, message] of cases) expectFail(await h(...args), code, message);
    const list = await h('list', '--json');
    assert.deepEqual(list.json.vms, []);
    assert.deepEqual(readdirSync(join(home, 'VMs')), [], 'no VM folder was left behind');
  });

  test('names with quotes, spaces and unicode are fine; duplicates are refused', async () => {
    const name = `Dev "box" — ünïcode's`;
    const r = await h('create', '--name', name, '--disk', 'none', '--nic', 'none', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.name, name);
    expectFail(await h('create', '--name', name.toUpperCase(), '--disk', 'none'), 1, /already exists/);
    const del = await h('delete', name);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(existsSync(r.json.folder), false);
  });

  test('modify changes a stopped VM and persists; bad modifications change nothing', async () => {
    const r = await h('create', '--name', 'mod-vm', '--disk', 'none', '--iso', guest.iso, '--json');
    assert.equal(r.code, 0, r.stderr);
    const m = await h('modify', 'mod-vm', '--memory', '768', '--cpus', '3', '--name', 'mod-vm-2', '--iso', 'none', '--forward', 'tcp:127.0.0.1:2222:22', '--json');
    assert.equal(m.code, 0, m.stderr);
    const shown = (await h('show', 'mod-vm-2', '--json')).json;
    assert.equal(shown.memoryMiB, 768);
    assert.equal(shown.cpus, 3);
    assert.equal(shown.opticals[0].path, null, '--iso none ejects');
    assert.deepEqual(shown.nics[0].forwards, [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 }]);
    expectFail(await h('modify', 'mod-vm-2', '--memory', '8'), 2, /memory/i);
    expectFail(await h('modify', 'mod-vm-2', '--firmware', 'uefi', '--accel', 'tcg', '--nested', 'on'), 2, /nested virtualization needs/);
    expectFail(await h('modify', 'mod-vm-2', '--name', 'a/b'), 2, /must not contain/);
    const again = (await h('show', 'mod-vm-2', '--json')).json;
    assert.deepEqual([again.memoryMiB, again.firmware, again.nested, again.name], [768, 'bios', false, 'mod-vm-2'], 'nothing changed');
    // UEFI needs q35, which has no IDE: the CD moves to SATA, on create and on modify.
    const toUefi = await h('modify', 'mod-vm-2', '--firmware', 'uefi', '--iso', guest.iso, '--json');
    assert.equal(toUefi.code, 0, toUefi.stderr);
    assert.deepEqual([toUefi.json.firmware, toUefi.json.chipset, toUefi.json.opticals[0].bus], ['uefi', 'q35', 'sata']);
    assert.ok(existsSync(join(toUefi.json.folder, 'nvram.fd')));
    const uefi = await h('create', '--name', 'uefi-iso', '--firmware', 'uefi', '--iso', guest.iso, '--os', 'other', '--json');
    assert.equal(uefi.code, 0, uefi.stderr);
    assert.deepEqual([uefi.json.chipset, uefi.json.opticals[0].bus, uefi.json.disks[0].bus], ['q35', 'sata', 'sata']);
    assert.equal((await h('delete', 'mod-vm-2')).code, 0);
    assert.equal((await h('delete', 'uefi-iso')).code, 0);
  });

  test('a VMDK disk image is converted to qcow2 in the VM folder; the original stays', async () => {
    const vmdk = join(work, 'appliance-disk.vmdk');
    const conv = spawnSync('qemu-img', ['convert', '-O', 'vmdk', '-o', 'subformat=streamOptimized', guest.disk, vmdk], { encoding: 'utf8' });
    assert.equal(conv.status, 0, conv.stderr);
    const r = await h('create', '--name', 'vmdk-vm', '--disk-image', vmdk, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.disks[0].format, 'qcow2');
    assert.ok(r.json.disks[0].path.startsWith(r.json.folder), 'the converted image lives in the VM folder');
    assert.equal(r.json.disks[0].virtualSizeBytes, 64 * 2 ** 20);
    assert.ok(existsSync(vmdk));
    const cmp = spawnSync('qemu-img', ['compare', vmdk, r.json.disks[0].path], { encoding: 'utf8' });
    assert.equal(cmp.status, 0, cmp.stdout + cmp.stderr);
    const tasks = (await h('tasks', '--json')).json.tasks as { kind: string; vm: string; state: string; progress: number }[];
    const t = tasks.find((x) => x.kind === 'vm.create' && x.vm === 'vmdk-vm');
    assert.ok(t, 'the conversion ran as a task');
    assert.deepEqual([t.state, t.progress], ['succeeded', 1]);
    assert.equal((await h('delete', 'vmdk-vm')).code, 0);
  });

  test('a second owner on the same home is refused', async () => {
    await h('list');
    const second = spawnSync(process.execPath, [cliPath, '__owner'], { env: { ...process.env, HANGAR_HOME: home }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(second.status, 1);
    assert.match(second.stderr, /already owned by headless owner \(pid \d+\)/);
  });

  test('ISO guest: create, boot, console, pause/resume, screenshot, owner restart, ACPI stop', async () => {
    const created = await h('create', '--name', 'iso-vm', '--iso', guest.iso, '--memory', '256', '--disk', '1G', '--json');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.json.state, 'stopped');
    assert.equal(created.json.opticals[0].path, guest.iso);
    assert.equal(created.json.disks[0].virtualSizeBytes, 2 ** 30);
    assert.equal(created.json.disks[0].format, 'qcow2');
    assert.ok(existsSync(created.json.disks[0].path));
    assert.match(created.json.nics[0].mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);

    const started = await h('start', 'iso-vm', '--wait-serial', GUEST_READY, '--timeout', BOOT_TIMEOUT_S, '--json');
    assert.equal(started.code, 0, started.stderr);
    assert.equal(started.json.serialMatched, true);
    const shown = await h('show', 'iso-vm', '--json');
    assert.equal(shown.json.state, 'running');
    assert.ok(shown.json.qemuPid > 0);
    const list = await h('list', '--json');
    assert.deepEqual(list.json.vms.map((v: { name: string; state: string }) => [v.name, v.state]), [['iso-vm', 'running']]);

    // Starting or deleting a running VM is refused and changes nothing.
    expectFail(await h('start', 'iso-vm'), 1, /already running/);
    expectFail(await h('delete', 'iso-vm'), 1, /stop it before deleting/);
    expectFail(await h('modify', 'iso-vm', '--memory', '512'), 1, /stop it before changing/);
    assert.equal(await state('iso-vm'), 'running');

    // The serial console: type a command, read its answer.
    await run('iso-vm', 'echo hello-$((6*7))', /hello-42/);

    // `hangar console`: what is typed goes to the guest, its answer comes back; Ctrl-] detaches.
    const consoleOut = await new Promise<{ code: number; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [cliPath, 'console', 'iso-vm'], { env: { ...process.env, HANGAR_HOME: home } });
      let out = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`console did not answer: ${out}`));
      }, 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        // the whole output line (it may arrive in pieces: 'console-4', then '2')
        if (/console-42\r?\n/.test(out)) child.stdin.write('\x1d');
      });
      child.stderr.on('data', (d: Buffer) => {
        if (d.toString().includes('Connected')) child.stdin.write('echo console-$((40+2))\r');
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, out });
      });
    });
    assert.equal(consoleOut.code, 0);
    assert.match(consoleOut.out, /console-42/);

    // Pause stops the guest's clock: across a 6 s pause the guest's uptime advances by much less than
    // the wall time between the two readings.
    const uptime = async (tag: string) => {
      const sentAt = Date.now();
      const m = await run('iso-vm', `echo ${tag}-$(cut -d' ' -f1 /proc/uptime)-end`, new RegExp(`${tag}-([0-9.]+)-end`));
      return { value: Number(m[1]), sentAt, seenAt: Date.now() };
    };
    const first = await uptime('up1');
    const paused = await h('pause', 'iso-vm', '--json');
    assert.equal(paused.json.state, 'paused');
    await new Promise((r) => setTimeout(r, 6000));
    assert.equal(await state('iso-vm'), 'paused');
    const resumed = await h('resume', 'iso-vm', '--json');
    assert.equal(resumed.json.state, 'running');
    const second = await uptime('up2');
    const guestElapsed = second.value - first.value;
    const wallAtLeast = (second.sentAt - first.seenAt) / 1000;
    assert.ok(wallAtLeast > 6);
    assert.ok(guestElapsed < wallAtLeast - 3, `the guest clock ran while paused: guest +${guestElapsed} s, wall at least +${wallAtLeast} s`);

    // A screenshot of the VGA screen.
    const png = join(work, 'screen.png');
    const shot = await h('screenshot', 'iso-vm', '-o', png);
    assert.equal(shot.code, 0, shot.stderr);
    assert.deepEqual([...readFileSync(png).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    copyFileSync(png, join(testOutputDir, 'engine-iso-vm-screen.png'));

    // The owner dies; the VM does not. A new owner re-attaches.
    const ownerPid = (await h('host', '--json')).json.ownerPid as number;
    process.kill(ownerPid, 'SIGKILL');
    await waitForProcessGone(ownerPid);
    assert.equal(await state('iso-vm'), 'running', 'a new owner sees the running VM');
    assert.notEqual((await h('host', '--json')).json.ownerPid, ownerPid);
    await run('iso-vm', 'echo again-$((7*6))', /again-42/);

    // ACPI power button: the guest shuts itself down.
    const stopped = await h('stop', 'iso-vm', '--json');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.json.state, 'stopped');
    assert.match(await serialText('iso-vm'), /TESTGUEST POWERDOWN/);
    assert.equal(await state('iso-vm'), 'stopped');
  });

  test('disk guest: save keeps memory across a stop, kill -9 gives aborted with a reason', async () => {
    const disk = join(work, 'guest-disk.qcow2');
    copyFileSync(guest.disk, disk);
    const created = await h('create', '--name', 'disk-vm', '--disk-image', disk, '--memory', '256', '--json');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.json.disks[0].path, disk, 'a qcow2 image is used in place');
    const started = await h('start', 'disk-vm', '--wait-serial', 'TESTGUEST DISK', '--timeout', BOOT_TIMEOUT_S);
    assert.equal(started.code, 0, started.stderr);

    // A value that lives only in guest RAM (the initramfs root is a RAM filesystem).
    await run('disk-vm', 'echo $((1000+337)) > /tmp/marker; echo stored-$(cat /tmp/marker)', /stored-1337/);
    const saved = await h('save', 'disk-vm', '--json');
    assert.equal(saved.code, 0, saved.stderr);
    assert.equal(saved.json.state, 'saved');
    assert.equal(await state('disk-vm'), 'saved');
    const resumed = await h('start', 'disk-vm', '--json');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.json.state, 'running');
    await run('disk-vm', 'echo restored-$(cat /tmp/marker)', /restored-1337/);
    // A start right after a save: the saved VM's host lingers a moment after it reports the end, and
    // the new start waits for it to go instead of finding it on the VM's socket (a bundled CLI is quick
    // enough to hit that window; three times back to back).
    for (let i = 0; i < 3; i++) {
      const s = await h('save', 'disk-vm');
      assert.equal(s.code, 0, s.stderr);
      const r = await h('start', 'disk-vm', '--json');
      assert.equal(r.code, 0, `start ${i + 1} right after a save: ${r.stderr}`);
    }
    await run('disk-vm', 'echo again-$(cat /tmp/marker)', /again-1337/);

    // QEMU dies under the host: the VM is aborted, with the reason recorded.
    const pid = (await h('show', 'disk-vm', '--json')).json.qemuPid as number;
    process.kill(pid, 'SIGKILL');
    const aborted = await waitUntil('aborted', async () => {
      const s = await h('show', 'disk-vm', '--json');
      return s.json.state === 'aborted' ? s.json : undefined;
    });
    assert.match(aborted.stateReason, /SIGKILL/);
    // The disk survives: qemu-img check passes.
    const check = spawnSync('qemu-img', ['check', disk], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });

  test('UEFI direct kernel boot; --wait-serial times out clearly; --force powers off', () =>
    withLogsOnFailure(home, async () => {
      const created = await h(
        'create', '--name', 'kernel-vm', '--kernel', guest.kernel, '--initrd', guest.initrd, '--firmware', 'uefi',
        '--append', 'console=ttyS0,115200 quiet', '--disk', 'none', '--nic', 'none', '--memory', '256', '--json',
      );
      assert.equal(created.code, 0, created.stderr);
      assert.equal(created.json.boot.kernel, guest.kernel);
      assert.equal(created.json.firmware, 'uefi');
      assert.equal(created.json.chipset, 'q35');
      assert.ok(existsSync(join(created.json.folder, 'nvram.fd')), 'the VM has its own UEFI variable store');
      const r = await h('start', 'kernel-vm', '--wait-serial', 'THIS NEVER APPEARS', '--timeout', '25');
      expectFail(r, 1, /did not appear on the serial console.*within 25 s/);
      // and says what the console last showed (the firmware or the kernel, or nothing yet, by the machine's speed)
      assert.match(r.stderr, /\(the VM keeps running; (its last line there: '[^']*.+'|nothing there since it started)\)\./);
      // and what QEMU did meanwhile (this guest has no disk: it reads nothing; it boots, so it uses CPU)
      const meanwhile = /Meanwhile QEMU used (\d+)% of a core on average and read (.+) from its disks\./.exec(r.stderr);
      assert.ok(meanwhile, r.stderr);
      assert.ok(Number(meanwhile[1]) > 0, `a booting guest uses CPU: ${meanwhile[0]}`);
      assert.equal(meanwhile[2], '0 B');
      assert.equal(await state('kernel-vm'), 'running', 'the VM keeps running after a wait times out');
      await waitUntil('the marker', async () => ((await serialText('kernel-vm')).includes(GUEST_READY) ? true : undefined), 120_000);
      expectFail(await h('shutdown'), 1, /still running \(kernel-vm\)/);

      // reset reboots the guest: its marker appears a second time, seen by a follower of the serial log.
      const follower = spawn(process.execPath, [cliPath, 'serial', 'kernel-vm', '--follow'], { env: { ...process.env, HANGAR_HOME: home } });
      let followed = '';
      follower.stdout.on('data', (d: Buffer) => (followed += d.toString()));
      const followerEnded = new Promise<number>((resolve) => follower.on('close', (code) => resolve(code ?? -1)));
      await waitUntil('the follower to print the log', () => (followed.includes(GUEST_READY) ? true : undefined));
      const reset = await h('reset', 'kernel-vm', '--json');
      assert.equal(reset.code, 0, reset.stderr);
      assert.equal(reset.json.state, 'running');
      // a second UEFI boot under TCG, while other test files run guests too: up to a few minutes here
      await waitUntil('the marker after reset', () => (followed.split(GUEST_READY).length >= 3 ? true : undefined), 300_000);

      const off = await h('stop', 'kernel-vm', '--force', '--json');
      assert.equal(off.code, 0, off.stderr);
      assert.equal(off.json.state, 'stopped');
      assert.equal(await followerEnded, 0, 'serial --follow ends when the VM stops');

      // A text that reached the serial log without a console event carrying it (written into the log
      // here, past the host) still ends the wait, at its deadline; the owner's log says the relay missed it.
      const serialLog = join(created.json.folder, 'logs', 'serial.log');
      const starts = () => readFileSync(serialLog, 'utf8').split('──── Hangar: started').length;
      const before = starts();
      const waiting = h('start', 'kernel-vm', '--wait-serial', 'ONLY IN THE LOG', '--timeout', '10');
      await waitUntil('the start separator', () => (starts() > before ? true : undefined), 60_000);
      appendFileSync(serialLog, '\r\nONLY IN THE LOG\r\n');
      const seen = await waiting;
      assert.equal(seen.code, 0, seen.stderr);
      assert.match(seen.stdout, /saw 'ONLY IN THE LOG'/);
      assert.match(readFileSync(join(home, 'owner.log'), 'utf8'), /'ONLY IN THE LOG' is in the serial log but no console event carried it/);
      assert.equal((await h('stop', 'kernel-vm', '--force')).code, 0);
    }));

  test('states survive an owner restart', () =>
    withLogsOnFailure(home, async () => {
      const r = await h('shutdown', '--json');
      assert.equal(r.code, 0, r.stderr);
      const list = await h('list', '--json');
      const states = Object.fromEntries(list.json.vms.map((v: { name: string; state: string }) => [v.name, v.state]));
      assert.deepEqual(states, { 'iso-vm': 'stopped', 'disk-vm': 'aborted', 'kernel-vm': 'stopped' });
      const del = await h('delete', 'disk-vm', '--json');
      assert.equal(del.code, 0, del.stderr);
      assert.ok(del.json.keptFiles.some((f: string) => f.endsWith('guest-disk.qcow2')), 'an image used in place is never deleted');
    }));

  test('shutdown --force powers off VMs whose owner has already ended', () =>
    withLogsOnFailure(home, async () => {
      const started = await h('start', 'kernel-vm', '--json');
      assert.equal(started.code, 0, started.stderr);
      const qemuPid = (await h('show', 'kernel-vm', '--json')).json.qemuPid as number;
      assert.ok(qemuPid > 0);
      const ownerPid = (await h('host', '--json')).json.ownerPid as number;
      process.kill(ownerPid, 'SIGKILL');
      await waitForProcessGone(ownerPid);
      assert.doesNotThrow(() => process.kill(qemuPid, 0), 'the VM outlives its owner');
      const r = await h('shutdown', '--force', '--json');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.json.stoppedVms, ['kernel-vm']);
      await waitForProcessGone(qemuPid);
      const noOwner = await h('shutdown', '--force', '--json');
      assert.equal(noOwner.code, 0, noOwner.stderr);
      assert.equal(noOwner.json.stopped, false, 'with nothing running, no owner is started just to stop it');
      assert.equal(await state('kernel-vm'), 'stopped');
    }));
});

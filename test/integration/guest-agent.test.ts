// The guest agent end to end: a test guest running Debian's qemu-guest-agent (from the tools disc).
// What `show` and `list` say about the guest (its address above all), `hangar exec` (output and exit
// status), quiesced snapshots (marked so, their frozen image holding data the guest had not yet
// written back, thawed again after a restore), the clock set after a pause, the stop that falls back to
// the agent when the guest ignores the ACPI button; and a VM without an agent, which works as before.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { cliIn, tempHome, waitUntil } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_IGNORE_ACPI, GUEST_TOOLS } from '../fixtures/guest.node.js';

/** A new raw disk image holding an empty ext4 file system (one the guest agent can freeze; FAT cannot be). */
function ext4Image(path: string): void {
  execFileSync('truncate', ['-s', '32M', path]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-L', 'data', path]);
}

/** A file's content in an ext4 image, read on the host without mounting (debugfs). */
function readFromImage(image: string, file: string): string {
  return execFileSync('debugfs', ['-R', `cat /${file}`, image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

describe('the guest agent', () => {
  const { home, cleanup } = tempHome();
  const { h, ok } = cliIn(home);
  const guest = fixtureGuest();
  const files = join(home, 'files');

  before(() => mkdirSync(files));
  after(cleanup);

  test('with an agent: address, exec, quiesced snapshots, the clock after a pause, stop without ACPI', async () => {
    const disk = join(files, 'data.img');
    ext4Image(disk);
    await ok(
      'create', '--name', 'agent', '--memory', '256', '--nic', 'virtio',
      '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', `console=ttyS0,115200 quiet ${GUEST_IGNORE_ACPI}`,
      '--disk-image', disk, '--iso', guest.tools,
    );
    await ok('start', 'agent', '--wait-serial', GUEST_TOOLS, '--timeout', '180');

    // The agent's facts, its address above all (the guest's DHCP lease comes in the background).
    const shown = await waitUntil(
      'the agent to report the address',
      async () => {
        const vm = (await ok('show', 'agent', '--json')).json;
        return vm.guest.agent === 'connected' && vm.guest.ipAddresses.includes('10.0.2.15') ? vm : undefined;
      },
      120_000,
      1_000,
    );
    assert.equal(shown.guest.hostname, 'testguest');
    assert.equal(shown.guest.osName, 'Hangar test guest (busybox)');
    const listed = (await ok('list', '--json')).json.vms.find((v: { name: string }) => v.name === 'agent');
    assert.deepEqual(listed.guest, shown.guest, 'list says the same');
    assert.match((await ok('list')).stdout, /agent\s+running\s+linux\s+\w+\s+\/\s+testguest 10\.0\.2\.15/);
    assert.match((await ok('show', 'agent')).stdout, /guest: +testguest; Hangar test guest \(busybox\); 10\.0\.2\.15/);

    // exec: the guest's output on ours, its exit status as ours.
    const r = await h('exec', 'agent', '--', 'sh', '-c', 'echo "out $(hostname)"; echo err >&2; exit 3');
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out testguest\n');
    assert.equal(r.stderr, 'err\n');
    const j = await h('exec', 'agent', '--json', '--', 'uname', '-r');
    assert.equal(j.code, 0);
    assert.deepEqual(j.json, { exitCode: 0, signal: null, stdout: `${guest.kernelVersion}\n`, stderr: '', truncated: false });
    const missing = await h('exec', 'agent', '--', '/no/such/program');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^hangar: the guest agent refused guest-exec: .*\/no\/such\/program/);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    const noCommand = await h('exec', 'agent');
    assert.equal(noCommand.code, 2);
    const slow = await h('exec', 'agent', '--timeout', '2', '--', 'sleep', '30');
    assert.equal(slow.code, 1);
    assert.match(slow.stderr, /did not finish within 2 s \(guest pid \d+\); it was asked to end/);
    const ps = await ok('exec', 'agent', '--', 'ps');
    assert.doesNotMatch(ps.stdout, /sleep 30/, 'the program was ended');

    // A quiesced live snapshot: data the guest had only in its page cache is in the frozen image.
    await ok('exec', 'agent', '--', 'sh', '-c', 'mkdir -p /mnt/data && mount -t ext4 /dev/vda /mnt/data && echo quiesced-data > /mnt/data/q.txt');
    const q = await ok('snapshot', 'take', 'agent', '--name', 'Q', '--json');
    assert.equal(q.json.quiesced, true, 'the agent answered: the snapshot is quiesced');
    assert.equal(q.json.live, true, 'and keeps the running state');
    const frozen: string = (await ok('show', 'agent', '--json')).json.disks[0].chain[1];
    assert.equal(readFromImage(frozen, 'q.txt'), 'quiesced-data\n');
    const listedQ = (await ok('snapshot', 'list', 'agent', '--json')).json.snapshots.find((s: { name: string }) => s.name === 'Q');
    assert.equal(listedQ.quiesced, true);
    // Thawed again: the guest writes on.
    await ok('exec', 'agent', '--timeout', '60', '--', 'sh', '-c', 'echo after > /mnt/data/after.txt && sync');
    const off = await ok('snapshot', 'take', 'agent', '--name', 'not quiesced', '--quiesce', 'off', '--json');
    assert.equal(off.json.quiesced, false);

    // The clock: a paused guest's clock stands still; after the resume it is set to the host's.
    await ok('pause', 'agent');
    await new Promise((res) => setTimeout(res, 12_000));
    await ok('resume', 'agent');
    await waitUntil(
      "the guest's clock to be set",
      async () => {
        const t = Number((await ok('exec', 'agent', '--', 'date', '+%s')).stdout);
        return Math.abs(t - Date.now() / 1000) < 5 ? true : undefined;
      },
      60_000,
      1_000,
    );

    // The guest ignores the ACPI power button; stop asks its agent, and the guest powers off.
    const stopped = await ok('stop', 'agent', '--timeout', '120', '--json');
    assert.equal(stopped.json.state, 'stopped');
    const serial = (await ok('serial', 'agent')).stdout;
    assert.match(serial, /testguest: ignoring the ACPI power button/);
    assert.match(serial, /TESTGUEST POWERDOWN \(shutdown -h -P \+0 hypervisor initiated shutdown\)/);

    // Restoring the quiesced snapshot brings its state back with the file systems frozen: the VM's
    // host thaws them once the agent answers, so the guest writes again.
    assert.equal((await ok('snapshot', 'restore', 'agent', 'Q', '--json')).json.state, 'saved');
    await ok('start', 'agent');
    const w = await ok('exec', 'agent', '--timeout', '60', '--', 'sh', '-c', 'echo restored > /mnt/data/r.txt && sync && cat /mnt/data/q.txt');
    assert.equal(w.stdout, 'quiesced-data\n');
    await ok('stop', 'agent', '--force');
  });

  test('without an agent everything works as before, and exec says how to get one', async () => {
    await ok('create', '--name', 'plain', '--memory', '64', '--disk', 'none', '--nic', 'none');
    await ok('start', 'plain');
    const vm = (await ok('show', 'plain', '--json')).json;
    assert.deepEqual(vm.guest, { agent: 'absent', hostname: null, osName: null, ipAddresses: [] });
    assert.match((await ok('show', 'plain')).stdout, /no guest agent answers \(install qemu-guest-agent/);
    const r = await h('exec', 'plain', '--', 'true');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^hangar: no guest agent answers in VM 'plain', so the command cannot run: install qemu-guest-agent in the guest/);
    const on = await h('snapshot', 'take', 'plain', '--quiesce', 'on');
    assert.notEqual(on.code, 0);
    await ok('stop', 'plain', '--force');
    assert.deepEqual((await ok('show', 'plain', '--json')).json.guest.agent, 'absent');
  });
});

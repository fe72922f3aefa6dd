// The owner ⇄ VMM host contract is a closed set of named actions: each takes exactly its own input,
// and nothing passes QMP through.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { HostSpec, StandbyAssignment, hostApi, type HostApi } from '../../../../src-vmm/protocol/contract.js';

/** A valid input for every method: a method added to the contract without one here does not compile. */
const samples: { [K in keyof HostApi]: z.input<HostApi[K]['input']> } = {
  'host.status': {},
  'host.boot': {},
  'host.powerdown': {},
  'host.powerOff': {},
  'host.pause': {},
  'host.resume': {},
  'host.reset': {},
  'host.save': {},
  'host.screendump': { file: '/vm/run/screen.png' },
  'host.consoleWrite': { data: 'ls\r' },
  'host.snapshotLive': { disks: [{ diskId: 'disk0', overlay: '/vm/disks/disk0-1.qcow2' }], stateFile: '/vm/snapshots/s.vmstate', stateBytes: 300 << 20 },
  'host.switchBack': { disks: [{ overlay: '/vm/disks/disk0-1.qcow2', image: '/vm/disks/disk0.qcow2' }] },
  'host.blockStream': { image: '/vm/disks/disk0-2.qcow2', base: null },
  'host.blockCommit': { diskId: 'disk0', image: '/vm/disks/disk0-2.qcow2', into: '/vm/disks/disk0-1.qcow2' },
  'host.openImages': {},
  'host.guestInfo': { refresh: true },
  'host.guestExec': { path: 'uname', args: ['-a'], timeoutMs: 30_000 },
  'host.guestShutdown': {},
  'host.nicAdd': { nic: { id: 'net1', model: 'virtio', mac: '0a:48:47:00:00:01', forwards: [] }, attachment: { kind: 'tap', ifname: 'hgt0123456789ab' } },
  'host.nicRemove': { nicId: 'net1' },
  'host.nicLink': { nicId: 'net1', up: false },
  'host.nicForwards': { nicId: 'net0', add: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 }], remove: [] },
  'host.diskResize': { diskId: 'disk0', sizeBytes: 64 << 20 },
  'host.usbAttach': { device: { id: 'usb0', kind: 'storage', path: '/home/u/stick.img', format: 'raw' } },
  'host.usbDetach': { id: 'usb0', storage: true },
  'host.stats': { sinceMs: 0 },
  'host.migrate': { socket: '/target/VMs/x/run/migrate-in.sock', maxDowntimeMs: 50, mirrors: [{ diskId: 'disk0', socket: '/target/VMs/x/run/nbd.sock', export: 'disk0' }] },
  'host.nbdExport': { socket: '/vm/run/nbd.sock', disks: [{ diskId: 'disk0', export: 'disk0' }] },
};

describe('the VMM host contract', () => {
  test('is the closed set of named actions', () => {
    assert.deepEqual(Object.keys(hostApi).sort(), Object.keys(samples).sort());
    assert.ok(!Object.keys(hostApi).some((m) => /qmp/i.test(m)), 'no raw QMP');
  });

  test('each action takes exactly its own input: a QMP command smuggled in is refused', () => {
    for (const [name, m] of Object.entries(hostApi)) {
      const sample = samples[name as keyof HostApi];
      assert.ok(m.input.safeParse(sample).success, `${name} accepts its sample`);
      const smuggled = m.input.safeParse({ ...sample, command: 'block-commit', arguments: { device: 'disk0' } });
      assert.equal(smuggled.success, false, `${name} refuses unknown fields`);
    }
  });

  test('the guest actions check their shapes', () => {
    const exec = hostApi['host.guestExec'].input;
    assert.equal(exec.safeParse({ path: '', args: [], timeoutMs: 1 }).success, false, 'a program is named');
    assert.equal(exec.safeParse({ path: 'ls', args: [], timeoutMs: 0 }).success, false, 'a timeout is positive');
    assert.equal(exec.safeParse({ path: 'ls', args: 'x', timeoutMs: 1 }).success, false, 'arguments are a list, never a shell string');
    const live = hostApi['host.snapshotLive'].input;
    assert.equal(live.safeParse({ ...samples['host.snapshotLive'], quiesce: 'maybe' }).success, false);
    assert.equal(live.safeParse({ ...samples['host.snapshotLive'], quiesce: 'required', saveState: false }).success, true);
  });

  test('the card actions check their shapes: a tap by a plain interface name, a multicast group in 239/8', () => {
    const add = hostApi['host.nicAdd'].input;
    const nic = { id: 'net1', model: 'virtio', mac: '0a:48:47:00:00:01', forwards: [] };
    assert.ok(add.safeParse({ nic }).success, 'without an attachment: user-mode NAT');
    assert.ok(add.safeParse({ nic, attachment: { kind: 'mcast', group: '239.255.1.2', port: 45000 } }).success);
    assert.equal(add.safeParse({ nic, attachment: { kind: 'tap', ifname: 'tap0; rm -rf /' } }).success, false);
    assert.equal(add.safeParse({ nic, attachment: { kind: 'tap', ifname: 'a-name-that-is-too-long' } }).success, false);
    assert.equal(add.safeParse({ nic, attachment: { kind: 'mcast', group: '10.0.0.1', port: 1 } }).success, false, 'not multicast');
    assert.equal(add.safeParse({ nic: { ...nic, mac: 'ff:ff:ff:ff:ff:ff' } }).success, false, 'the card is the model\'s own schema');
    assert.equal(hostApi['host.nicLink'].input.safeParse({ nicId: 'net1' }).success, false, 'up or down is said');
  });

  test('the block actions check their shapes', () => {
    const stream = hostApi['host.blockStream'].input;
    assert.equal(stream.safeParse({ image: '', base: null }).success, false, 'an image is named');
    assert.equal(stream.safeParse({ image: '/a' }).success, false, 'the base is explicit: null takes the whole chain in');
    const commit = hostApi['host.blockCommit'].input;
    assert.equal(commit.safeParse({ diskId: 'disk0', image: '/a' }).success, false, 'the image it goes into is named');
    assert.equal(commit.safeParse({ diskId: 'disk0', image: '/a', into: '/b', signal: 1 }).success, false, 'nothing else');
    const back = hostApi['host.switchBack'].input;
    assert.equal(back.safeParse({ disks: [] }).success, false, 'at least one disk');
    assert.equal(back.safeParse({ disks: [{ overlay: '/o' }] }).success, false, 'each overlay with the image it was put on');
  });
});

describe('the host spec', () => {
  const spec = {
    vmId: 'v1',
    vmName: 'one',
    accelerator: 'tcg',
    qemu: { binary: '/usr/bin/qemu-system-x86_64', argv: [], env: {} },
    runDir: '/vm/run',
    hostSocket: '/vm/run/host.sock',
    qmpSocket: '/vm/run/qmp.sock',
    pidFile: '/vm/run/qemu.pid',
    statusFile: '/vm/run/status.json',
    qemuLog: '/vm/logs/qemu.log',
    serialLog: '/vm/logs/serial.log',
    serialLogMaxBytes: 1 << 20,
    saveStateFile: '/vm/state/saved.vmstate',
    waitForBoot: true,
  };

  test("carries the owner's finding of who QEMU runs as, in each of its three kinds, or none", () => {
    for (const qemuPrivileges of [
      { kind: 'user', uid: 1000, summary: 'QEMU runs as this user' },
      { kind: 'root-without-capabilities', setpriv: '/usr/bin/setpriv', summary: 'QEMU runs as root without any capability' },
      { kind: 'root-with-capabilities', why: 'setpriv (util-linux) was not found', summary: 'QEMU runs as root with every capability' },
    ]) {
      const parsed = HostSpec.safeParse({ ...spec, qemuPrivileges });
      assert.equal(parsed.success, true, JSON.stringify(qemuPrivileges));
      assert.deepEqual(parsed.data?.qemuPrivileges, qemuPrivileges);
    }
    assert.equal(HostSpec.parse(spec).qemuPrivileges, undefined);
  });

  test('refuses a privileges entry of another kind, a relative setpriv, uid 0 as a user, or an extra field', () => {
    for (const qemuPrivileges of [
      { kind: 'root', summary: 'x' },
      { kind: 'root-without-capabilities', setpriv: 'setpriv', summary: 'x' },
      { kind: 'user', uid: 0, summary: 'x' },
      { kind: 'user', uid: 1000, summary: 'x', setpriv: '/usr/bin/setpriv' },
    ]) {
      assert.equal(HostSpec.safeParse({ ...spec, qemuPrivileges }).success, false, JSON.stringify(qemuPrivileges));
    }
  });
});

describe("a standby VMM host's assignment", () => {
  test('names the spec and the log by absolute path', () => {
    const a = { t: 'assign', specPath: '/home/u/VMs/x/run/host-spec.json', logPath: '/home/u/VMs/x/logs/vmm-host.log' };
    assert.deepEqual(StandbyAssignment.parse(a), a);
  });

  test('refuses anything else: another message, a relative path, a missing path, an extra field', () => {
    for (const m of [
      { t: 'listening', hostPid: 3 },
      { t: 'assign', specPath: 'run/host-spec.json', logPath: '/l.log' },
      { t: 'assign', specPath: '/s.json', logPath: 'vmm-host.log' },
      { t: 'assign', specPath: '/s.json' },
      { t: 'assign', specPath: '/s.json', logPath: '/l.log', argv: ['--inspect'] },
      'assign',
      null,
    ]) {
      assert.equal(StandbyAssignment.safeParse(m).success, false, JSON.stringify(m));
    }
  });
});

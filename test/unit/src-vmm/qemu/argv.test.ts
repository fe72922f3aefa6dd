// Golden command lines (libvirt style): golden/<case>.config.json (+ optional .host.json and
// .paths.json) → <case>.args, one argument per line after the environment and the binary, or
// <case>.error.txt for cases that must fail. HANGAR_UPDATE_GOLDEN=1 rewrites the expectations;
// review them as text diffs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleConfig } from '../../../helpers/sampleConfig.js';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../../../helpers/paths.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { buildQemuLaunch, SECTIONS, type HostFacts, type QemuLaunch, type RunPaths } from '../../../../src-vmm/qemu/argv.js';
import { escapeQemuOpt, qemuOpts } from '../../../../src-vmm/qemu/escape.js';
import { fuseOptEscape, virtiofsdArgs } from '../../../../src-vmm/qemu/helpers.js';
import {
  blockNodeNames,
  bootIndices,
  diskDeviceProps,
  netdevUserProps,
  netdevArg,
  netdevProps,
  hostfwdAddCommand,
  hostfwdRemoveCommand,
  freeNicPort,
  nicPorts,
  nicDeviceProps,
  nvmeSerial,
  opticalDeviceProps,
  storageLayout,
} from '../../../../src-vmm/qemu/devices.js';
import { MAX_DEVICE_ID_LENGTH, MAX_QEMU_NODE_NAME_LENGTH, type Nic, type VmConfig } from '../../../../src-vmm/model/index.js';

const goldenDir = join(repoRoot, 'test', 'unit', 'src-vmm', 'qemu', 'golden');
const update = process.env.HANGAR_UPDATE_GOLDEN === '1';

const DEFAULT_HOST: HostFacts = {
  qemuBinary: '/usr/bin/qemu-system-x86_64',
  qemuVersion: '7.2.22',
  accel: 'tcg',
  ovmf: { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' },
  virtiofsd: { binary: '/usr/lib/qemu/virtiofsd' },
  ovmfSecureBoot: { code: '/usr/share/OVMF/OVMF_CODE_4M.ms.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' },
  swtpm: { binary: '/usr/bin/swtpm' },
};

function runPaths(vmId: string, over: Partial<RunPaths> = {}): RunPaths {
  const runDir = over.runDir ?? `/var/lib/hangar/VMs/${vmId}/run`;
  return {
    runDir,
    qmpSocket: join(runDir, 'qmp.sock'),
    serialSocket: join(runDir, 'serial.sock'),
    vncSocket: join(runDir, 'vnc.sock'),
    agentSocket: join(runDir, 'qga.sock'),
    pidFile: join(runDir, 'qemu.pid'),
    nvramFile: join(dirname(runDir), 'nvram.fd'),
    tpmStateDir: join(dirname(runDir), 'tpm'),
    tpmLog: join(dirname(runDir), 'logs', 'swtpm.log'),
    incoming: false,
    ...over,
  };
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** One argument per line; an argument with a line break or backslash is written as a JSON string. */
function renderLaunch(l: QemuLaunch): string {
  const line = (s: string) => (/[\n\r\\]/.test(s) ? JSON.stringify(s) : s);
  const env = Object.entries(l.env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
  // Each helper the host starts before QEMU follows, after a line naming it (and what it sees read-only).
  const helpers = l.helpers.flatMap((h) => [
    `# helper ${h.id} (${h.kind}), socket ${h.socket}${h.cwd ? `, in ${h.cwd}` : ''}${h.readOnlyPaths.length ? `, read-only: ${h.readOnlyPaths.join(' ')}` : ''}`,
    h.binary,
    ...h.argv,
  ]);
  return [...env, l.binary, ...l.argv, ...helpers].map(line).join('\n') + '\n';
}

function renderError(e: unknown): string {
  assert.ok(e instanceof HangarError, `expected a HangarError, got ${String(e)}`);
  return `${e.code}: ${e.message}\n`;
}

const cases = readdirSync(goldenDir)
  .filter((f) => f.endsWith('.config.json'))
  .map((f) => f.slice(0, -'.config.json'.length))
  .sort();

describe('QEMU argv golden files', () => {
  test('there are golden cases, and every expectation file belongs to one', () => {
    assert.ok(cases.length >= 20, `only ${cases.length} golden cases in ${goldenDir}`);
    for (const f of readdirSync(goldenDir)) {
      const m = /^(.*)\.(config\.json|host\.json|paths\.json|args|error\.txt)$/.exec(f);
      assert.ok(m, `unexpected file in golden/: ${f}`);
      assert.ok(cases.includes(m[1]!), `${f} has no ${m[1]}.config.json`);
    }
  });

  for (const name of cases) {
    test(name, () => {
      const base = join(goldenDir, name);
      const config = readJson(`${base}.config.json`) as VmConfig;
      const host = { ...DEFAULT_HOST, ...(existsSync(`${base}.host.json`) ? (readJson(`${base}.host.json`) as Partial<HostFacts>) : {}) };
      const over = existsSync(`${base}.paths.json`) ? (readJson(`${base}.paths.json`) as Partial<RunPaths>) : {};
      let actual: string;
      let kind: 'args' | 'error.txt';
      try {
        actual = renderLaunch(buildQemuLaunch(config, host, runPaths(config.id, over)));
        kind = 'args';
      } catch (e) {
        actual = renderError(e);
        kind = 'error.txt';
      }
      const expectedFile = `${base}.${kind}`;
      const otherFile = `${base}.${kind === 'args' ? 'error.txt' : 'args'}`;
      if (update) {
        writeFileSync(expectedFile, actual);
        rmSync(otherFile, { force: true });
        return;
      }
      assert.ok(!existsSync(otherFile) || existsSync(expectedFile), `${name}: expected ${kind === 'args' ? 'a failure' : 'success'} (see ${otherFile}), got:\n${actual}`);
      assert.ok(existsSync(expectedFile), `${name}: no ${expectedFile}; run with HANGAR_UPDATE_GOLDEN=1 and review the diff`);
      assert.equal(actual, readFileSync(expectedFile, 'utf8'));
    });
  }
});

// A valid config to vary in the tests below.
const config = sampleConfig;

const build = (c: VmConfig, host: Partial<HostFacts> = {}, paths: Partial<RunPaths> = {}) =>
  buildQemuLaunch(c, { ...DEFAULT_HOST, ...host }, runPaths(c.id, paths));

/** The values that follow each occurrence of an option. */
const values = (argv: string[], option: string) => argv.flatMap((a, i) => (a === option ? [argv[i + 1]!] : []));

describe('buildQemuLaunch', () => {
  test('hardened defaults: -S, -nodefaults, -no-user-config, the sandbox, sockets, a minimal env', () => {
    const l = build(config());
    for (const flag of ['-S', '-nodefaults', '-no-user-config']) assert.ok(l.argv.includes(flag), flag);
    assert.deepEqual(values(l.argv, '-sandbox'), ['on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny']);
    assert.deepEqual(l.env, { PATH: '/usr/bin:/bin', LC_ALL: 'C' });
    assert.equal(l.binary, DEFAULT_HOST.qemuBinary);
    assert.ok(!l.argv.some((a) => /^tcp:|:5900/.test(a)), 'no TCP listener');
    assert.deepEqual(values(l.argv, '-display'), ['none']);
  });

  test('sections come in their fixed order', () => {
    assert.deepEqual(
      SECTIONS.map((s) => s.name),
      ['common', 'machine', 'cpu', 'smp', 'memory', 'firmware', 'disks', 'nics', 'shares', 'tpm', 'display', 'usb', 'serial', 'channels', 'qmp', 'boot', 'incoming', 'sandbox'],
    );
    const argv = build(config()).argv;
    const at = (o: string) => argv.indexOf(o);
    assert.ok(at('-name') < at('-machine') && at('-machine') < at('-cpu') && at('-cpu') < at('-smp') && at('-smp') < at('-m'));
    assert.ok(at('-m') < at('-blockdev') && at('-blockdev') < at('-chardev') && at('-chardev') < at('-mon') && at('-mon') < at('-sandbox'));
  });

  test('files lists every path QEMU opens, read-only where QEMU only reads', () => {
    const c = config({
      system: { chipset: 'q35', cpus: 1, memoryMiB: 256, accel: 'auto' },
      firmware: { type: 'uefi' },
      disks: [
        { id: 'disk0', bus: 'virtio', path: '/vm/disk0.qcow2', format: 'qcow2', readOnly: false },
        { id: 'disk1', bus: 'virtio', path: '/vm/base.raw', format: 'raw', readOnly: true },
      ],
      opticals: [
        { id: 'cd0', bus: 'sata', path: '/iso/a.iso' },
        { id: 'cd1', bus: 'sata', path: null },
      ],
      boot: { order: ['disk'], kernel: '/boot/k', initrd: '/boot/i' },
    });
    const l = build(c);
    const files = Object.fromEntries(l.files.map((f) => [f.role, `${f.access} ${f.path}`]));
    const run = runPaths(c.id);
    assert.deepEqual(files, {
      pidfile: `rw ${run.pidFile}`,
      'firmware-code': `ro ${DEFAULT_HOST.ovmf!.code}`,
      nvram: `rw ${run.nvramFile}`,
      'disk:disk0': 'rw /vm/disk0.qcow2',
      'disk:disk1': 'ro /vm/base.raw',
      'optical:cd0': 'ro /iso/a.iso',
      'vnc-socket': `rw ${run.vncSocket}`,
      'serial-socket': `rw ${run.serialSocket}`,
      'agent-socket': `rw ${run.agentSocket}`,
      'qmp-socket': `rw ${run.qmpSocket}`,
      kernel: 'ro /boot/k',
      initrd: 'ro /boot/i',
    });
    assert.equal(l.files.length, Object.keys(files).length, 'no role twice');
    // Every path in files appears on the command line (inside JSON or an option).
    const all = l.argv.join('\n');
    for (const f of l.files) assert.ok(all.includes(f.path), f.path);
  });

  test('the UEFI variable store is the VM’s own copy, never OVMF’s template', () => {
    const c = config({ system: { chipset: 'q35', cpus: 1, memoryMiB: 256, accel: 'auto' }, firmware: { type: 'uefi' } });
    const l = build(c);
    assert.ok(!l.argv.join(' ').includes(DEFAULT_HOST.ovmf!.vars));
    assert.deepEqual(values(l.argv, '-machine'), ['q35,pflash0=fw_code,pflash1=fw_vars']);
  });

  test('an invalid config is INVALID_INPUT listing every problem', () => {
    const bad = config({ system: { chipset: 'pc', cpus: 65, memoryMiB: 8, accel: 'auto' } });
    assert.throws(
      () => build(bad),
      (e: unknown) =>
        e instanceof HangarError &&
        e.code === 'INVALID_INPUT' &&
        e.message.includes('system.cpus: a VM can have at most 64 CPUs') &&
        e.message.includes('system.memoryMiB: memory must be at least 16 MiB') &&
        !e.message.includes('\n'),
    );
  });

  test('the host must match the VM: OVMF for UEFI, a recent QEMU, the accelerator the VM asks for', () => {
    const uefi = config({ system: { chipset: 'q35', cpus: 1, memoryMiB: 256, accel: 'auto' }, firmware: { type: 'uefi' } });
    assert.throws(() => build(uefi, { ovmf: null }), (e: unknown) => e instanceof HangarError && e.code === 'UNSUPPORTED' && /OVMF/.test(e.message));
    assert.throws(() => build(config(), { qemuVersion: '6.1.0' }), (e: unknown) => e instanceof HangarError && e.code === 'UNSUPPORTED');
    assert.doesNotThrow(() => build(config(), { qemuVersion: '6.2.0' }));
    assert.doesNotThrow(() => build(config(), { qemuVersion: '10.0.0' }));
    const tcg = config({ system: { chipset: 'pc', cpus: 1, memoryMiB: 256, accel: 'tcg' } });
    assert.throws(() => build(tcg, { accel: 'kvm' }), (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT');
    assert.throws(() => build(config(), {}, { qmpSocket: 'relative.sock' }), (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT');
  });

  test('the config handed in is not changed', () => {
    const c = config({ nics: [{ id: 'net0', model: 'virtio', mac: '0a:48:47:00:00:01', forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 }] }] });
    const before = structuredClone(c);
    build(c);
    assert.deepEqual(c, before);
  });

  test('CPU model: max (without la57) under TCG, host under KVM, VMX/SVM hidden unless nested', () => {
    const nested = (n: boolean, accel: 'auto' | 'kvm') => config({ features: { nested: n }, system: { chipset: 'pc', cpus: 1, memoryMiB: 256, accel } });
    assert.deepEqual(values(build(nested(false, 'auto')).argv, '-cpu'), ['max,-la57,-vmx,-svm']);
    assert.deepEqual(values(build(nested(true, 'auto')).argv, '-cpu'), ['max,-la57']);
    assert.deepEqual(values(build(nested(false, 'kvm'), { accel: 'kvm' }).argv, '-cpu'), ['host,-vmx,-svm']);
    assert.deepEqual(values(build(nested(true, 'kvm'), { accel: 'kvm' }).argv, '-cpu'), ['host']);
    assert.deepEqual(values(build(nested(true, 'kvm'), { accel: 'kvm' }).argv, '-accel'), ['kvm']);
  });

  test('user text and paths in key=value options have commas doubled; JSON and whole-value options are left alone', () => {
    const c = config({ name: 'a,b', boot: { order: ['disk'], kernel: '/k,1', append: 'console=ttyS0,115200' } });
    const l = build(c, {}, { runDir: '/r,un=1' });
    assert.deepEqual(values(l.argv, '-name'), ['guest=a,,b,debug-threads=on']);
    assert.ok(values(l.argv, '-chardev').every((v) => v.includes('path=/r,,un=1/')));
    assert.deepEqual(values(l.argv, '-vnc'), ['vnc=unix:/r,,un=1/vnc.sock']);
    assert.deepEqual(values(l.argv, '-kernel'), ['/k,1']);
    assert.deepEqual(values(l.argv, '-append'), ['console=ttyS0,115200']);
  });

  test('-incoming defer only when asked', () => {
    assert.deepEqual(values(build(config()).argv, '-incoming'), []);
    assert.deepEqual(values(build(config(), {}, { incoming: true }).argv, '-incoming'), ['defer']);
  });
});

describe('escapeQemuOpt', () => {
  test('doubles commas and nothing else', () => {
    assert.equal(escapeQemuOpt('a,b,,c'), 'a,,b,,,,c');
    assert.equal(escapeQemuOpt('x=y "z" ü'), 'x=y "z" ü');
    assert.equal(escapeQemuOpt(''), '');
    assert.equal(qemuOpts([['id', 'x'], ['path', '/a,b'], ['server', true], ['wait', false]]), 'id=x,path=/a,,b,server=on,wait=off');
  });
});

describe('device properties', () => {
  const disk = { id: 'disk0', bus: 'virtio', path: '/vm/d.qcow2', format: 'qcow2', readOnly: false } as const;

  test('node names differ from the device id and fit QEMU’s 31 characters for the longest id', () => {
    const id = 'a'.repeat(MAX_DEVICE_ID_LENGTH);
    const nodes = blockNodeNames(id);
    assert.notEqual(nodes.file, id);
    assert.notEqual(nodes.format, id);
    assert.ok(nodes.file.length <= MAX_QEMU_NODE_NAME_LENGTH && nodes.format.length <= MAX_QEMU_NODE_NAME_LENGTH);
  });

  test('one JSON object per device, usable as device_add arguments', () => {
    assert.deepEqual(diskDeviceProps(disk, { bootIndex: 1 }), { driver: 'virtio-blk-pci', id: 'disk0', drive: 'disk0_fmt', bootindex: 1 });
    assert.deepEqual(diskDeviceProps({ ...disk, bus: 'scsi' }, { at: { bus: 'scsi_0.0', scsiId: 3 } }), {
      driver: 'scsi-hd',
      id: 'disk0',
      drive: 'disk0_fmt',
      bus: 'scsi_0.0',
      channel: 0,
      'scsi-id': 3,
      lun: 0,
    });
    assert.deepEqual(opticalDeviceProps({ id: 'cd0', bus: 'ide', path: null }, { at: { bus: 'ide.1', unit: 0 } }), { driver: 'ide-cd', id: 'cd0', bus: 'ide.1', unit: 0 });
    const nic: Nic = { id: 'net0', model: 'e1000e', mac: '0a:48:47:01:02:03', forwards: [{ protocol: 'udp', hostAddress: '127.0.0.1', hostPort: 53, guestPort: 53 }] };
    assert.deepEqual(nicDeviceProps(nic, { pxe: false }), { driver: 'e1000e', id: 'net0', netdev: 'net0_netdev', mac: '0a:48:47:01:02:03', romfile: '' });
    assert.deepEqual(netdevUserProps(nic), { type: 'user', id: 'net0_netdev', hostfwd: [{ str: 'udp:127.0.0.1:53-:53' }] });
  });

  test('NVMe serials fit 20 characters and stay distinct for long ids', () => {
    assert.equal(nvmeSerial('disk0'), 'disk0');
    const a = nvmeSerial('a-rather-long-disk-id-01');
    const b = nvmeSerial('a-rather-long-disk-id-02');
    assert.equal(a.length, 20);
    assert.notEqual(a, b);
  });

  test('storage layout: IDE on pc fills ide.0/ide.1 master then slave; SATA on pc gets an AHCI controller', () => {
    const c = config({
      disks: [
        { id: 'd0', bus: 'ide', path: '/v/0', format: 'raw', readOnly: false },
        { id: 'd1', bus: 'ide', path: '/v/1', format: 'raw', readOnly: false },
        { id: 'd2', bus: 'sata', path: '/v/2', format: 'raw', readOnly: false },
      ],
      opticals: [{ id: 'cd0', bus: 'ide', path: null }],
    });
    const layout = storageLayout(c);
    assert.deepEqual(layout.controllers, [{ driver: 'ich9-ahci', id: 'ahci_0' }]);
    assert.deepEqual(layout.disks.get('d0'), { bus: 'ide.0', unit: 0 });
    assert.deepEqual(layout.disks.get('d1'), { bus: 'ide.0', unit: 1 });
    assert.deepEqual(layout.disks.get('d2'), { bus: 'ahci_0.0' });
    assert.deepEqual(layout.opticals.get('cd0'), { bus: 'ide.1', unit: 0 });
    const q35 = storageLayout({ ...c, system: { ...c.system, chipset: 'q35' }, disks: [{ id: 'd2', bus: 'sata', path: '/v/2', format: 'raw', readOnly: false }], opticals: [{ id: 'cd0', bus: 'sata', path: null }] });
    assert.deepEqual(q35.controllers, [], 'q35 has its AHCI built in');
    assert.deepEqual(q35.opticals.get('cd0'), { bus: 'ide.1' });
  });

  test('boot indices follow boot.order, kind by kind', () => {
    const c = config({
      disks: [
        { id: 'd0', bus: 'virtio', path: '/v/0', format: 'raw', readOnly: false },
        { id: 'd1', bus: 'virtio', path: '/v/1', format: 'raw', readOnly: false },
      ],
      opticals: [{ id: 'cd0', bus: 'ide', path: null }],
      nics: [{ id: 'net0', model: 'virtio', mac: '0a:48:47:00:00:01', forwards: [] }],
      boot: { order: ['optical', 'disk'] },
    });
    assert.deepEqual([...bootIndices(c)], [['cd0', 1], ['d0', 2], ['d1', 3]]);
  });

  test('a card on a network: one set of netdev properties for launch (-netdev text) and hot-plug (netdev_add)', () => {
    const nic: Nic = { id: 'net1', model: 'e1000', mac: '0a:48:47:00:00:02', forwards: [], network: '5b0e4c4e-1f7a-4d0a-9a53-2f4b1f6a7c01' };
    const tap = netdevProps(nic, { kind: 'tap', ifname: 'hgt0123456789ab' });
    assert.deepEqual(tap, { type: 'tap', id: 'net1_netdev', ifname: 'hgt0123456789ab', script: 'no', downscript: 'no' });
    assert.equal(netdevArg(tap), 'tap,id=net1_netdev,ifname=hgt0123456789ab,script=no,downscript=no');
    const mcast = netdevProps(nic, { kind: 'mcast', group: '239.255.1.2', port: 45000 });
    assert.deepEqual(mcast, { type: 'socket', id: 'net1_netdev', mcast: '239.255.1.2:45000', localaddr: '127.0.0.1' }, 'bound to loopback: frames never leave the host');
    const user: Nic = { id: 'net0', model: 'virtio', mac: '0a:48:47:00:00:01', forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 }] };
    assert.equal(netdevArg(netdevProps(user)), 'user,id=net0_netdev,hostfwd=tcp:127.0.0.1:2222-:22');
    assert.equal(hostfwdAddCommand('net0', user.forwards[0]!), 'hostfwd_add net0_netdev tcp:127.0.0.1:2222-:22');
    assert.equal(hostfwdRemoveCommand('net0', user.forwards[0]!), 'hostfwd_remove net0_netdev tcp:127.0.0.1:2222');
  });

  test('q35: every card behind a root port of its own, eight ports in all, cards plugged in later take the lowest free one', () => {
    const nics: Nic[] = [
      { id: 'net0', model: 'virtio', mac: '0a:48:47:00:00:01', forwards: [] },
      { id: 'net3', model: 'e1000e', mac: '0a:48:47:00:00:02', forwards: [] },
    ];
    const c = config({ system: { ...config().system, chipset: 'q35' }, nics });
    assert.deepEqual(nicPorts(c), { net0: 'nicport_0', net3: 'nicport_1' });
    assert.deepEqual(nicPorts({ ...c, system: { ...c.system, chipset: 'pc' } }), {}, "pc's root bus hot-plugs itself");
    const argv = build(c).argv;
    assert.equal(values(argv, '-device').filter((d) => d.includes('"pcie-root-port"')).length, 8);
    assert.ok(values(argv, '-device').some((d) => d.includes('"id":"net3"') && d.includes('"bus":"nicport_1"')));
    assert.equal(freeNicPort(['nicport_0', 'nicport_1'], 8), 'nicport_2');
    assert.equal(freeNicPort(['nicport_1'], 8), 'nicport_0');
    assert.equal(freeNicPort(Array.from({ length: 8 }, (_, i) => `nicport_${i}`), 8), undefined);
  });

  test('a card on a network needs its attachment, and a user-mode card must not have one', () => {
    const onNet: Nic = { id: 'net0', model: 'virtio', mac: '0a:48:47:00:00:01', forwards: [], network: '5b0e4c4e-1f7a-4d0a-9a53-2f4b1f6a7c01' };
    assert.throws(() => build(config({ nics: [onNet] })), /net0 is on a network, but the launch has no attachment/);
    const user: Nic = { id: 'net0', model: 'virtio', mac: '0a:48:47:00:00:01', forwards: [] };
    assert.throws(() => build(config({ nics: [user] }), { nics: { net0: { kind: 'tap', ifname: 'hgt0' } } }), /uses user-mode NAT, but the launch attaches it/);
  });

  test('a card joining its bridge through qemu-bridge-helper: a bridge netdev, and QEMU without the sandbox (it forbids spawning the helper)', () => {
    const nic: Nic = { id: 'net0', model: 'virtio', mac: '0a:48:47:00:00:01', forwards: [], network: '5b0e4c4e-1f7a-4d0a-9a53-2f4b1f6a7c01' };
    const props = netdevProps(nic, { kind: 'bridge', bridge: 'br0', helper: '/usr/lib/qemu/qemu-bridge-helper' });
    assert.deepEqual(props, { type: 'bridge', id: 'net0_netdev', br: 'br0', helper: '/usr/lib/qemu/qemu-bridge-helper' });
    assert.equal(netdevArg(props), 'bridge,id=net0_netdev,br=br0,helper=/usr/lib/qemu/qemu-bridge-helper');
    const argv = build(config({ nics: [nic] }), { nics: { net0: { kind: 'bridge', bridge: 'br0', helper: '/usr/lib/qemu/qemu-bridge-helper' } } }).argv;
    assert.deepEqual(values(argv, '-netdev'), ['bridge,id=net0_netdev,br=br0,helper=/usr/lib/qemu/qemu-bridge-helper']);
    assert.deepEqual(values(argv, '-sandbox'), []);
    const tapArgv = build(config({ nics: [nic] }), { nics: { net0: { kind: 'tap', ifname: 'hgt0' } } }).argv;
    assert.equal(values(tapArgv, '-sandbox').length, 1, 'a tap Hangar made keeps the sandbox');
  });
});

describe('shared folders on the command line', () => {
  const shares: VmConfig['shares'] = [
    { tag: 'rw', hostPath: '/home/u/rw', readOnly: false, mode: 'virtiofs' },
    { tag: 'ro', hostPath: '/home/u/ro', readOnly: true, mode: 'virtiofs' },
    { tag: 'p', hostPath: '/home/u/p', readOnly: true, mode: '9p' },
  ];

  test('each share is listed in files, read-only where the guest may only read; each virtio-fs share has a helper', () => {
    const c = config({ shares });
    const l = build(c);
    const run = runPaths(c.id);
    const roles = Object.fromEntries(l.files.filter((f) => f.role.includes('share') || f.role.includes('virtiofs')).map((f) => [f.role, `${f.access} ${f.path}`]));
    assert.deepEqual(roles, {
      'share:rw': 'rw /home/u/rw',
      'share:ro': 'ro /home/u/ro',
      'share:p': 'ro /home/u/p',
      'virtiofs-socket:rw': `rw ${run.runDir}/fs-0.sock`,
      'virtiofs-socket:ro': `rw ${run.runDir}/fs-1.sock`,
    });
    assert.deepEqual(
      l.helpers.map((h) => [h.id, h.socket, h.readOnlyPaths]),
      [
        ['virtiofsd:rw', `${run.runDir}/fs-0.sock`, []],
        ['virtiofsd:ro', `${run.runDir}/fs-1.sock`, ['/home/u/ro']],
      ],
    );
    // Every helper socket is in the VM's private run folder, and QEMU connects to it as a client.
    for (const h of l.helpers) {
      assert.ok(h.socket.startsWith(`${run.runDir}/`));
      assert.ok(l.argv.includes(`socket,id=fs_${l.helpers.indexOf(h)},path=${h.socket}`), 'no server=on: virtiofsd listens');
    }
    // 9p: QEMU itself enforces read-only.
    assert.deepEqual(values(l.argv, '-fsdev'), ['local,id=p9_2,path=/home/u/p,security_model=none,multidevs=remap,readonly=on']);
  });

  test('RAM is a shared memfd backend only when a virtio-fs share needs it', () => {
    const withFs = build(config({ shares })).argv;
    assert.deepEqual(values(withFs, '-machine'), ['pc,memory-backend=mem_0']);
    assert.deepEqual(JSON.parse(values(withFs, '-object')[0]!), { 'qom-type': 'memory-backend-memfd', id: 'mem_0', size: 256 * 1024 * 1024, share: true });
    const only9p = build(config({ shares: [shares[2]!] })).argv;
    assert.deepEqual(values(only9p, '-object'), []);
    assert.deepEqual(values(only9p, '-machine'), ['pc']);
    assert.deepEqual(build(config()).helpers, []);
  });

  test('a virtio-fs share on a host without a usable virtiofsd is UNSUPPORTED with the reason; 9p needs none', () => {
    assert.throws(
      () => build(config({ shares }), { virtiofsd: { binary: null, reason: 'virtiofsd is not installed' } }),
      (e: unknown) => e instanceof HangarError && e.code === 'UNSUPPORTED' && e.message.includes("'rw'") && e.message.includes('virtiofsd is not installed'),
    );
    assert.doesNotThrow(() => build(config({ shares: [shares[2]!] }), { virtiofsd: { binary: null, reason: 'x' } }));
  });

  test('FUSE option values escape commas and backslashes', () => {
    assert.equal(fuseOptEscape('/a,b\\c'), '/a\\,b\\\\c');
    assert.deepEqual(virtiofsdArgs({ socket: '/r/fs-0.sock', source: '/x,y' }).slice(0, 3), ['--socket-path=/r/fs-0.sock', '-o', 'source=/x\\,y']);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import type { MachinePlan } from '../../../../src-main/appliances/plan.js';
import { applyEdits, configFromPlan, uniqueName } from '../../../../src-main/appliances/review.js';

const file = { fileId: 'f1', href: 'd.vmdk', sizeBytes: 100, compression: 'none' as const, chunkSize: null };
const plan = (): MachinePlan => ({
  systemId: 'vm',
  name: 'appliance',
  description: 'from a vendor',
  osType: 'linux',
  osSource: 'CIM id 101',
  cpus: 2,
  memoryMiB: 1024,
  firmware: 'bios',
  chipset: 'pc',
  disks: [
    { diskId: 'd1', file, capacityBytes: 1 << 30, formatUri: '', bus: 'sata', sourceController: 'SATA port 0', include: true },
    { diskId: 'd2', file: null, capacityBytes: 1 << 30, formatUri: '', bus: 'ide', sourceController: 'IDE 0 master', include: true },
  ],
  opticals: [{ bus: 'ide', file: null, sourceController: 'IDE 1 master' }],
  nics: [
    { model: 'e1000', sourceModel: 'E1000', mac: '00:50:56:aa:bb:cc', network: 'NAT' },
    { model: 'vmxnet3', sourceModel: 'VmxNet3', mac: null, network: 'VM Network' },
  ],
  warnings: [],
  product: null,
  eulas: [],
});
const ids = { id: '6b0c7a52-9f8e-4c1d-a2b3-c4d5e6f70819', isoPaths: [null], macs: ['0a:48:47:00:00:01', '0a:48:47:00:00:02'] };

describe('applyEdits', () => {
  test('no edits: the plan as it is', () => {
    const p = plan();
    assert.equal(applyEdits(p, undefined), p);
  });
  test('name, CPUs, memory, disk bus and inclusion, NIC model and removal', () => {
    const out = applyEdits(plan(), { name: 'mine', cpus: 4, memoryMiB: 320, disks: [{ bus: 'virtio' }, { include: false }], nics: [{ include: false }, { model: 'virtio' }] });
    assert.deepEqual([out.name, out.cpus, out.memoryMiB], ['mine', 4, 320]);
    assert.deepEqual(out.disks.map((d) => [d.bus, d.include]), [['virtio', true], ['ide', false]]);
    assert.deepEqual(out.nics.map((n) => n.model), ['virtio']);
  });
  test('a name typed in the review follows the rules of a new VM', () => {
    assert.throws(() => applyEdits(plan(), { name: '--force' }), /must not start with '-'/);
    assert.throws(() => applyEdits(plan(), { name: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d' }), /must not look like a VM id/);
    assert.equal(applyEdits(plan(), { name: 'Ünïcödé "quoted"' }).name, 'Ünïcödé "quoted"');
  });
  test('UEFI moves the machine to q35; an unknown OS type or too many edits are refused', () => {
    const uefi = applyEdits(plan(), { firmware: 'uefi' });
    assert.equal(uefi.chipset, 'q35');
    assert.deepEqual([uefi.disks.map((d) => d.bus), uefi.opticals.map((o) => o.bus)], [['sata', 'sata'], ['sata']], "q35's AHCI takes the IDE devices");
    configFromPlan(uefi, { ...ids, diskPaths: ['/a.qcow2', '/b.qcow2'] });
    assert.throws(() => applyEdits(plan(), { osType: 'beos' }), (e) => e instanceof HangarError && /unknown OS type 'beos'/.test(e.message));
    assert.throws(() => applyEdits(plan(), { disks: [{}, {}, {}] }), /has 2 disks/);
  });
  test('IDE chosen on a BIOS q35 plan brings back the pc chipset', () => {
    const p = { ...plan(), chipset: 'q35' as const, disks: [{ ...plan().disks[0]!, bus: 'sata' as const }], opticals: [] };
    assert.equal(applyEdits(p, { disks: [{ bus: 'ide' }] }).chipset, 'pc');
  });
});

describe('configFromPlan', () => {
  test('a valid config with one device per included disk, drive and NIC', () => {
    const c = configFromPlan(plan(), { ...ids, diskPaths: ['/h/VMs/x/disks/disk0.qcow2', '/h/VMs/x/disks/disk1.qcow2'] });
    assert.deepEqual(c.disks.map((d) => [d.id, d.bus, d.format]), [['disk0', 'sata', 'qcow2'], ['disk1', 'ide', 'qcow2']]);
    assert.deepEqual(c.opticals, [{ id: 'cd0', bus: 'ide', path: null }]);
    assert.deepEqual(c.nics.map((n) => [n.id, n.model, n.mac]), [['net0', 'e1000', ids.macs[0]], ['net1', 'vmxnet3', ids.macs[1]]]);
    assert.equal(c.system.chipset, 'pc');
  });
  test('the model rules apply: memory too small, IDE on q35, a bad name', () => {
    const bad = (m: Partial<MachinePlan>, re: RegExp) =>
      assert.throws(() => configFromPlan({ ...plan(), ...m }, { ...ids, diskPaths: ['/a.qcow2', '/b.qcow2'] }), (e) => e instanceof HangarError && e.code === 'INVALID_INPUT' && re.test(e.message));
    bad({ memoryMiB: 1 }, /memory must be at least 16 MiB/);
    bad({ firmware: 'uefi' }, /IDE is not available on the q35 chipset/);
    bad({ name: 'a/b' }, /must not contain '\/'/);
  });
});

describe('uniqueName', () => {
  test('the name when free, else the first free numbered one, within the length limit', () => {
    assert.equal(uniqueName('web', () => false), 'web');
    const taken = new Set(['web', 'web (2)']);
    assert.equal(uniqueName('web', (n) => taken.has(n)), 'web (3)');
    const long = 'x'.repeat(128);
    const u = uniqueName(long, (n) => n === long);
    assert.equal([...u].length, 128);
    assert.ok(u.endsWith(' (2)'));
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChange, busOnChipset, chipsetFor, composeConfig, defaultsFor, fitToChipset, nextDeviceId, type VmConfig } from '../../../../src-vmm/model/index.js';

const ID = '11111111-2222-4333-8444-555555555555';
const MAC = '0a:48:47:00:00:01';
const composed = (o: Parameters<typeof composeConfig>[0]): VmConfig => {
  const r = composeConfig(o);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
  return r.value;
};

describe('composing a new machine', () => {
  test('what is left out follows from the OS type', () => {
    for (const os of ['linux', 'windows11', 'windows7', 'other']) {
      const def = defaultsFor(os);
      const c = composed({ id: ID, name: 'n', osType: os, disks: [{ path: '/d.qcow2', format: 'qcow2' }], opticals: [{ path: null }], nics: [{ mac: MAC }] });
      assert.equal(c.system.cpus, def.cpus);
      assert.equal(c.system.memoryMiB, def.memoryMiB);
      assert.equal(c.firmware.type, def.firmware);
      assert.equal(c.nics[0]!.model, def.nicModel);
      assert.equal(c.display.vga, def.vga);
      assert.equal(c.disks[0]!.bus, busOnChipset(def.diskBus, c.system.chipset));
      assert.equal(c.opticals[0]!.bus, busOnChipset(def.opticalBus, c.system.chipset));
    }
  });
  test('UEFI takes q35, whose AHCI takes what would be IDE', () => {
    const c = composed({ id: ID, name: 'n', osType: 'other', firmware: 'uefi', disks: [{ path: '/d.qcow2', format: 'qcow2' }], opticals: [{ path: null, bus: 'ide' }] });
    assert.equal(c.system.chipset, 'q35');
    assert.equal(c.disks[0]!.bus, 'sata', "'other' has no AHCI driver on pc, but q35 has no IDE");
    assert.equal(c.opticals[0]!.bus, 'sata');
  });
  test("fit 'buses': an IDE device a person chose makes a BIOS machine pc; 'none' reports it", () => {
    const choices = { id: ID, name: 'n', osType: 'windows10', disks: [{ path: '/d.qcow2', format: 'qcow2' as const, bus: 'ide' as const }] };
    assert.equal(defaultsFor('windows10').chipset, 'q35');
    assert.equal(composed({ ...choices, fit: 'buses' }).system.chipset, 'pc');
    assert.equal(composed({ ...choices, fit: 'buses' }).disks[0]!.bus, 'ide');
    assert.equal(composed(choices).disks[0]!.bus, 'sata', 'by default the chipset wins');
    const r = composeConfig({ ...choices, fit: 'none' });
    assert.ok(!r.ok);
    assert.deepEqual(r.issues, [{ path: 'disks[0].bus', message: 'IDE is not available on the q35 chipset: use sata' }]);
  });
  test('issues name the config paths; an unknown OS type is one', () => {
    const r = composeConfig({ id: ID, name: 'n', system: { cpus: 0 }, nics: [{ mac: MAC, forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 80, guestPort: 80 }, { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 80, guestPort: 81 }] }] });
    assert.ok(!r.ok);
    assert.deepEqual(r.issues.map((i) => i.path), ['system.cpus']);
    const dup = composeConfig({ id: ID, name: 'n', nics: [{ mac: MAC, forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 80, guestPort: 80 }, { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 80, guestPort: 81 }] }] });
    assert.ok(!dup.ok);
    assert.deepEqual(dup.issues.map((i) => i.path), ['nics[0].forwards[1]']);
    const os = composeConfig({ id: ID, name: 'n', osType: 'beos' });
    assert.ok(!os.ok);
    assert.deepEqual(os.issues, [{ path: 'osType', message: "unknown OS type 'beos'" }]);
  });
  test('the chipset and bus rules on their own', () => {
    assert.equal(chipsetFor({ firmware: 'uefi', preferred: 'pc', ideNeeded: true }), 'q35');
    assert.equal(chipsetFor({ firmware: 'bios', preferred: 'q35', ideNeeded: true }), 'pc');
    assert.equal(chipsetFor({ firmware: 'bios', preferred: 'q35', ideNeeded: false }), 'q35');
    const f = fitToChipset({ system: { chipset: 'pc' as const }, firmware: { type: 'uefi' as const }, disks: [{ bus: 'ide' as const }, { bus: 'virtio' as const }], opticals: [{ bus: 'ide' as const }] });
    assert.deepEqual(f.moved, [{ kind: 'disk', index: 0 }, { kind: 'optical', index: 0 }]);
    assert.equal(nextDeviceId('disk', ['disk0', 'disk2']), 'disk1');
  });
});

describe('changing a machine', () => {
  const base = () => composed({ id: ID, name: 'vm', osType: 'linux-legacy', disks: [{ path: '/d.qcow2', format: 'qcow2' }], opticals: [{ path: '/a.iso' }], nics: [{ mac: MAC, forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 }] }] });
  const changed = (c: VmConfig, ch: Parameters<typeof applyChange>[1]) => {
    const r = applyChange(c, ch);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    return r.value;
  };
  test('a switch to UEFI takes q35 along and moves IDE devices to SATA; the original is untouched', () => {
    const c = base();
    assert.equal(c.opticals[0]!.bus, 'ide');
    const u = changed(c, { firmware: 'uefi' });
    assert.equal(u.system.chipset, 'q35');
    assert.equal(u.opticals[0]!.bus, 'sata');
    assert.equal(c.system.chipset, 'pc');
    assert.equal(c.opticals[0]!.bus, 'ide');
  });
  test('the ISO goes into the first drive, or a new one; null ejects', () => {
    assert.equal(changed(base(), { iso: '/b.iso' }).opticals[0]!.path, '/b.iso');
    assert.equal(changed(base(), { iso: null }).opticals[0]!.path, null);
    const none = changed(base(), { iso: null });
    const noDrive = { ...none, opticals: [] };
    assert.deepEqual(changed(noDrive, { iso: '/c.iso' }).opticals, [{ id: 'cd0', bus: 'ide', path: '/c.iso' }]);
    assert.deepEqual(changed(noDrive, { iso: null }).opticals, []);
  });
  test('cards are given whole: an existing one by id keeps what is not given; new ones get new ids', () => {
    const c = base();
    const n = changed(c, { nics: [{ id: 'net0', model: 'e1000', mac: MAC }, { mac: '0a:48:47:00:00:02' }] });
    assert.deepEqual(n.nics[0], { ...c.nics[0]!, model: 'e1000' });
    assert.deepEqual(n.nics[1], { id: 'net1', model: defaultsFor('linux-legacy').nicModel, mac: '0a:48:47:00:00:02', forwards: [] });
    assert.deepEqual(changed(c, { nics: [] }).nics, []);
  });
  test('added disks get new ids and the OS type\'s bus, fitted', () => {
    const n = changed(base(), { addDisks: [{ path: '/e.qcow2', format: 'qcow2' }] });
    assert.deepEqual(n.disks[1], { id: 'disk1', bus: 'sata', path: '/e.qcow2', format: 'qcow2', readOnly: false });
  });
  test('boot: null removes a setting; without a kernel its initrd and command line go', () => {
    const k = changed(base(), { boot: { kernel: '/k', initrd: '/i', append: 'x' } });
    assert.deepEqual(k.boot, { order: ['disk', 'optical'], kernel: '/k', initrd: '/i', append: 'x' });
    assert.deepEqual(changed(k, { boot: { append: null } }).boot, { order: ['disk', 'optical'], kernel: '/k', initrd: '/i' });
    assert.deepEqual(changed(k, { boot: { kernel: null } }).boot, { order: ['disk', 'optical'] });
  });
  test('a change that breaks a rule is refused with the config path', () => {
    const r = applyChange(base(), { system: { memoryMiB: 1 } });
    assert.ok(!r.ok);
    assert.deepEqual(r.issues.map((i) => i.path), ['system.memoryMiB']);
  });

  test('the clipboard: only when asked for (it blocks saving the running state); a change switches it and keeps the rest of the display', () => {
    assert.equal(base().display.clipboard, undefined);
    const one = (display: { vga?: 'none' | 'std'; clipboard?: boolean }) => composed({ id: ID, name: 'n', osType: 'linux', display }).display;
    assert.equal(one({ clipboard: true }).clipboard, true);
    assert.equal(one({ clipboard: false }).clipboard, undefined);
    const off = changed(changed(base(), { clipboard: true }), { clipboard: false });
    assert.deepEqual(off.display, { vga: base().display.vga, vnc: true });
    assert.deepEqual(changed(off, { clipboard: true }).display, { vga: base().display.vga, vnc: true, clipboard: true });
    assert.deepEqual(changed(off, { system: { cpus: 2 } }).display, off.display);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, VmConfigPatch, type VmConfig } from '../../../../src-vmm/model/index.js';

function valid(): VmConfig {
  return {
    schemaVersion: 1,
    id: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d',
    name: 'dev box',
    osType: 'linux',
    description: '',
    system: { chipset: 'pc', cpus: 2, memoryMiB: 1024, accel: 'auto' },
    firmware: { type: 'bios' },
    disks: [{ id: 'disk0', bus: 'virtio', path: '/vms/a/disk0.qcow2', format: 'qcow2', readOnly: false }],
    opticals: [{ id: 'cd0', bus: 'ide', path: '/iso/a.iso' }],
    nics: [{ id: 'net0', model: 'virtio', mac: '0a:48:47:00:00:01', forwards: [] }],
    display: { vga: 'std', vnc: true },
    serial: { enabled: true },
    features: { nested: false },
    boot: { order: ['disk', 'optical'], kernel: '/boot/vmlinuz', initrd: '/boot/initrd', append: 'quiet' },
  };
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

describe('applyPatch', () => {
  test('never mutates the config or the patch, and shares no objects with them', () => {
    const config = deepFreeze(valid());
    const patch = deepFreeze({ system: { cpus: 4 }, nics: [{ id: 'net0', model: 'e1000', mac: '0a:48:47:00:00:09', forwards: [] }] } satisfies VmConfigPatch);
    const before = structuredClone(config);
    const r = applyPatch(config, patch);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    assert.deepEqual(config, before);
    assert.notEqual(r.value, config);
    assert.notEqual(r.value.system, config.system);
    assert.notEqual(r.value.disks, config.disks);
    assert.notEqual(r.value.disks[0], config.disks[0]);
    assert.notEqual(r.value.nics, patch.nics);
    assert.notEqual(r.value.nics[0], patch.nics[0]);
  });

  test('sections merge field by field; device lists are replaced whole', () => {
    const r = applyPatch(valid(), { system: { memoryMiB: 4096 }, display: { vnc: false }, disks: [], description: 'now empty' });
    assert.ok(r.ok);
    assert.deepEqual(r.value.system, { chipset: 'pc', cpus: 2, memoryMiB: 4096, accel: 'auto' });
    assert.deepEqual(r.value.display, { vga: 'std', vnc: false });
    assert.deepEqual(r.value.disks, []);
    assert.deepEqual(r.value.opticals, valid().opticals);
    assert.equal(r.value.description, 'now empty');
    assert.equal(r.value.name, 'dev box');
  });

  test('an empty patch gives back an equal config', () => {
    const r = applyPatch(valid(), {});
    assert.ok(r.ok);
    assert.deepEqual(r.value, valid());
  });

  test('boot settings merge; null removes kernel, initrd or append', () => {
    const keep = applyPatch(valid(), { boot: { order: ['optical'] } });
    assert.ok(keep.ok);
    assert.deepEqual(keep.value.boot, { order: ['optical'], kernel: '/boot/vmlinuz', initrd: '/boot/initrd', append: 'quiet' });
    const drop = applyPatch(valid(), { boot: { kernel: null, initrd: null, append: null } });
    assert.ok(drop.ok);
    assert.deepEqual(drop.value.boot, { order: ['disk', 'optical'] });
    const half = applyPatch(valid(), { boot: { kernel: null } });
    assert.ok(!half.ok);
    assert.deepEqual(
      half.issues.map((i) => i.message),
      ['an initrd needs a kernel (boot.kernel)', 'a kernel command line (append) needs a kernel (boot.kernel)'],
    );
  });

  test('cross-field rules are checked on the result', () => {
    const uefi = applyPatch(valid(), { firmware: { type: 'uefi' } });
    assert.ok(!uefi.ok);
    assert.deepEqual(uefi.issues, [{ path: 'firmware.type', message: 'UEFI firmware needs the q35 chipset' }]);
    const both = applyPatch(valid(), { firmware: { type: 'uefi' }, system: { chipset: 'q35' }, opticals: [{ id: 'cd0', bus: 'sata', path: null }] });
    assert.ok(both.ok);
    const nested = applyPatch(valid(), { features: { nested: true }, system: { accel: 'tcg' } });
    assert.ok(!nested.ok);
    assert.equal(nested.issues[0]!.message, "nested virtualization needs the KVM accelerator (accel is 'tcg')");
    const q35 = applyPatch(valid(), { system: { chipset: 'q35' } });
    assert.ok(!q35.ok);
    assert.equal(q35.issues[0]!.message, 'IDE is not available on the q35 chipset: use sata');
  });

  test('field values are checked with the same messages as a whole config', () => {
    const r = applyPatch(valid(), { name: 'a/b', system: { cpus: 65 } });
    assert.ok(!r.ok);
    assert.deepEqual(r.issues, [
      { path: 'name', message: "name must not contain '/' or '\\'" },
      { path: 'system.cpus', message: 'a VM can have at most 64 CPUs' },
    ]);
  });

  test('id and schemaVersion cannot be patched; unknown keys are refused', () => {
    const id = applyPatch(valid(), { id: '00000000-0000-4000-8000-000000000000' } as unknown as VmConfigPatch);
    assert.ok(!id.ok);
    assert.deepEqual(id.issues, [{ path: 'id', message: "a VM's id cannot be changed" }]);
    const version = applyPatch(valid(), { schemaVersion: 2 } as unknown as VmConfigPatch);
    assert.ok(!version.ok);
    assert.equal(version.issues[0]!.path, 'schemaVersion');
    const unknown = applyPatch(valid(), { system: { turbo: true } } as unknown as VmConfigPatch);
    assert.ok(!unknown.ok);
    assert.deepEqual(unknown.issues, [{ path: 'system', message: "unknown setting 'turbo'" }]);
  });

  test('VmConfigPatch is a schema callers can parse with (as the API contract does)', () => {
    assert.ok(VmConfigPatch.safeParse({ system: { cpus: 2 } }).success);
    assert.ok(!VmConfigPatch.safeParse({ system: { cpus: 'two' } }).success);
    assert.ok(!VmConfigPatch.safeParse({ id: 'x' }).success);
  });

  test('the crash policy: absent means off, a patch fills the rest from the default, bad limits are refused', async () => {
    const { recoveryOf } = await import('../../../../src-vmm/model/index.js');
    assert.deepEqual(recoveryOf(valid()), { restartOnCrash: false, maxRestartsPerMinute: 3 });
    const on = applyPatch(valid(), { recovery: { restartOnCrash: true } });
    assert.ok(on.ok);
    assert.deepEqual(on.value.recovery, { restartOnCrash: true, maxRestartsPerMinute: 3 });
    const limited = applyPatch(on.value, { recovery: { maxRestartsPerMinute: 5 } });
    assert.ok(limited.ok);
    assert.deepEqual(limited.value.recovery, { restartOnCrash: true, maxRestartsPerMinute: 5 });
    const untouched = applyPatch(valid(), { system: { cpus: 1 } });
    assert.ok(untouched.ok);
    assert.equal(untouched.value.recovery, undefined);
    const zero = applyPatch(valid(), { recovery: { maxRestartsPerMinute: 0 } });
    assert.ok(!zero.ok);
    assert.match(zero.issues[0]!.message, /at least 1/);
    const many = applyPatch(valid(), { recovery: { maxRestartsPerMinute: 1000 } });
    assert.ok(!many.ok);
  });
});

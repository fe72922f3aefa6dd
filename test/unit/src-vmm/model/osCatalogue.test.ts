import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { OS_TYPES, defaultsFor, getOsType, randomMac, validateConfig } from '../../../../src-vmm/model/index.js';

describe('OS catalogue', () => {
  test('has the required entries, each unique and complete', () => {
    const ids = OS_TYPES.map((os) => os.id);
    for (const id of ['linux', 'linux-legacy', 'windows11', 'windows10', 'windows7', 'freebsd', 'openbsd', 'other']) assert.ok(ids.includes(id as never), id);
    assert.equal(new Set(ids).size, ids.length);
    for (const os of OS_TYPES) {
      assert.ok(os.label.length > 0);
      assert.ok(['linux', 'windows', 'bsd', 'other'].includes(os.family));
      assert.ok(Number.isInteger(os.cimOsId) && os.cimOsId > 0);
      assert.ok(os.defaults.cpus >= 1 && os.defaults.memoryMiB >= 16 && os.defaults.diskGiB >= 1);
    }
    assert.ok([101, 36].includes(getOsType('linux')!.cimOsId));
    assert.equal(getOsType('windows11')!.facts.uefi, 'required');
    assert.equal(getOsType('nope'), undefined);
  });

  test('defaults per OS follow the facts', () => {
    const pick = (id: string) => {
      const d = defaultsFor(id);
      return [d.chipset, d.firmware, d.diskBus, d.opticalBus, d.nicModel].join(' ');
    };
    assert.equal(pick('linux'), 'pc bios virtio ide virtio');
    assert.equal(pick('linux-legacy'), 'pc bios sata ide e1000');
    assert.equal(pick('windows11'), 'q35 uefi sata sata e1000');
    assert.equal(pick('windows10'), 'q35 bios sata sata e1000');
    assert.equal(pick('windows7'), 'pc bios sata ide e1000');
    assert.equal(pick('freebsd'), 'pc bios virtio ide virtio');
    assert.equal(pick('openbsd'), 'pc bios virtio ide virtio');
    assert.equal(pick('other'), 'pc bios ide ide e1000');
    assert.equal(defaultsFor('linux').vga, 'virtio');
    assert.equal(defaultsFor('windows11').vga, 'std');
    assert.deepEqual(
      { cpus: defaultsFor('windows11').cpus, memoryMiB: defaultsFor('windows11').memoryMiB, diskGiB: defaultsFor('windows11').diskGiB },
      getOsType('windows11')!.defaults,
    );
  });

  test('a VM built from any OS type’s defaults is valid', () => {
    let n = 0;
    for (const os of OS_TYPES) {
      const d = defaultsFor(os.id);
      const config = {
        schemaVersion: 1,
        id: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d',
        name: `vm ${os.id}`,
        osType: os.id,
        description: '',
        system: { chipset: d.chipset, cpus: d.cpus, memoryMiB: d.memoryMiB, accel: 'auto' },
        firmware: { type: d.firmware },
        disks: [{ id: 'disk0', bus: d.diskBus, path: '/vms/disk0.qcow2', format: 'qcow2', readOnly: false }],
        opticals: [{ id: 'cd0', bus: d.opticalBus, path: null }],
        nics: [{ id: 'net0', model: d.nicModel, mac: randomMac(() => (n++ % 7) / 7), forwards: [] }],
        display: { vga: d.vga, vnc: true },
        serial: { enabled: true },
        features: { nested: false },
        boot: { order: ['disk', 'optical'] },
      };
      const r = validateConfig(config);
      assert.ok(r.ok, `${os.id}: ${JSON.stringify(!r.ok && r.issues)}`);
    }
  });

  test('an unknown OS type is INVALID_INPUT', () => {
    assert.throws(() => defaultsFor('beos'), (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && e.message === "unknown OS type 'beos'");
  });
});

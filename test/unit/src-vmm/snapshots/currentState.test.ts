import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { currentStateChanged, settingsDiffer, type CurrentStateFacts } from '../../../../src-vmm/snapshots/currentState.js';
import { validateConfig, type VmConfig } from '../../../../src-vmm/model/index.js';
import { sampleConfig } from '../../../helpers/sampleConfig.js';

const config = (over: Partial<VmConfig> = {}): VmConfig => {
  const r = validateConfig(sampleConfig({ disks: [{ id: 'disk0', bus: 'virtio', path: '/h/VMs/x/disks/disk0-aa.qcow2', format: 'qcow2', readOnly: false }], ...over }));
  assert.ok(r.ok);
  return r.value;
};

describe('current state changed', () => {
  test('settings: name, description and where the disks lie are not restored, everything else is', () => {
    const snap = config();
    assert.equal(settingsDiffer(config({ name: 'renamed', description: 'notes' }), snap), false);
    assert.equal(settingsDiffer(config({ disks: [{ ...snap.disks[0]!, path: '/h/VMs/x/disks/disk0-bb.qcow2' }] }), snap), false, 'a new overlay is where the disk lies now');
    assert.equal(settingsDiffer(config({ system: { ...snap.system, memoryMiB: snap.system.memoryMiB * 2 } }), snap), true);
    assert.equal(settingsDiffer(config({ disks: [{ ...snap.disks[0]!, bus: 'sata' }] }), snap), true);
    assert.equal(settingsDiffer(config({ disks: [] }), snap), true, 'a disk removed');
    assert.equal(settingsDiffer(config({ recovery: { restartOnCrash: true, maxRestartsPerMinute: 3 } }), snap), true);
  });
  test('any one fact is a change; none is none', () => {
    const none: CurrentStateFacts = { active: false, savedState: 'none', settingsDiffer: false, nvramDiffers: false, disksUntouched: true };
    assert.equal(currentStateChanged(none), false);
    assert.equal(currentStateChanged({ ...none, savedState: 'held-by-snapshot' }), false, 'the state the snapshot holds is no change');
    for (const f of [{ active: true }, { savedState: 'own' as const }, { settingsDiffer: true }, { nvramDiffers: true }, { disksUntouched: false }]) {
      assert.equal(currentStateChanged({ ...none, ...f }), true, JSON.stringify(f));
    }
  });
});

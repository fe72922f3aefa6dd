import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { liveStateBytes, takeRoomBytes } from '../../../../src-vmm/snapshots/space.js';
import type { VmConfig } from '../../../../src-vmm/model/index.js';

const MIB = 2 ** 20;
const vm = (memoryMiB: number, vga: VmConfig['display']['vga']) => ({ system: { memoryMiB }, display: { vga } });

describe('room for a live snapshot', () => {
  test('at most the memory, the video memory and room for device state', () => {
    assert.equal(liveStateBytes(vm(96, 'virtio')), 100 * MIB);
    assert.equal(liveStateBytes(vm(96, 'std')), 116 * MIB);
    assert.equal(liveStateBytes(vm(2048, 'cirrus')), 2056 * MIB);
    assert.equal(liveStateBytes(vm(512, 'none')), 516 * MIB);
  });

  test('a take needs an overlay per disk and the UEFI variables; a running VM also its state', () => {
    const stopped = takeRoomBytes({ disks: 3, overlayBytes: MIB, nvramBytes: 0, running: null });
    assert.equal(stopped, 3 * MIB);
    assert.equal(takeRoomBytes({ disks: 3, overlayBytes: MIB, nvramBytes: 540_672, running: null }), 3 * MIB + 540_672);
    assert.equal(takeRoomBytes({ disks: 3, overlayBytes: MIB, nvramBytes: 0, running: vm(96, 'std') }), stopped + 116 * MIB);
    assert.equal(takeRoomBytes({ disks: 0, overlayBytes: MIB, nvramBytes: 0, running: null }), 0, 'a VM without disks writes no overlay');
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { liveStateBytes } from '../../../../src-main/snapshots/snapshotService.node.js';
import type { VmConfig } from '../../../../src-vmm/model/index.js';

const MIB = 2 ** 20;
const vm = (memoryMiB: number, vga: VmConfig['display']['vga']) => ({ system: { memoryMiB }, display: { vga } }) as unknown as VmConfig;

describe('room for a live snapshot', () => {
  test('at most the memory, the video memory and room for device state', () => {
    assert.equal(liveStateBytes(vm(96, 'virtio')), 100 * MIB);
    assert.equal(liveStateBytes(vm(96, 'std')), 116 * MIB);
    assert.equal(liveStateBytes(vm(2048, 'cirrus')), 2056 * MIB);
    assert.equal(liveStateBytes(vm(512, 'none')), 516 * MIB);
  });
});

// A small valid VM config for unit tests to vary (pure).
import type { VmConfig } from '../../src-vmm/model/index.js';

export const SAMPLE_VM_ID = '0b5e7e0a-1c2d-4e3f-8a9b-0c1d2e3f4a5b';

export function sampleConfig(over: Partial<VmConfig> = {}): VmConfig {
  return {
    schemaVersion: 1,
    id: SAMPLE_VM_ID,
    name: 'unit',
    osType: 'linux',
    description: '',
    system: { chipset: 'pc', cpus: 1, memoryMiB: 256, accel: 'auto' },
    firmware: { type: 'bios' },
    disks: [{ id: 'disk0', bus: 'virtio', path: '/vm/disk0.qcow2', format: 'qcow2', readOnly: false }],
    opticals: [],
    nics: [],
    display: { vga: 'std', vnc: true },
    serial: { enabled: true },
    features: { nested: false },
    boot: { order: ['disk'] },
    ...over,
  };
}

// Many VMs, cheaply: rows written straight into a home's inventory (before an owner opens it), for the
// list's benchmark and the groups tests. They have no disks and never boot; each has a group, tags
// and notes from the caller.
import { randomUUID } from 'node:crypto';
import { openHangarInventory } from '../../src-main/inventory/hangarInventory.node.js';
import { homePaths } from '../../src-main/home.js';
import type { VmConfig } from '../../src-vmm/model/index.js';
import { sampleConfig } from './sampleConfig.js';

export interface SeedOptions {
  name?: (i: number) => string;
  group?: (i: number) => string;
  tags?: (i: number) => string[];
  notes?: (i: number) => string;
}

export function seedVmConfig(i: number, name: string, notes = ''): VmConfig {
  return sampleConfig({ id: randomUUID(), name, osType: i % 3 === 0 ? 'windows10' : 'linux', description: notes, system: { chipset: 'pc', cpus: 1, memoryMiB: 512, accel: 'auto' }, disks: [], boot: { order: ['disk', 'optical'] } });
}

/** Writes n stopped VMs into the home's inventory in one transaction; returns their names in order. */
export function seedVms(home: string, n: number, o: SeedOptions = {}): string[] {
  const inv = openHangarInventory(homePaths(home).inventory, () => undefined);
  const names: string[] = [];
  try {
    inv.transaction(() => {
      for (let i = 0; i < n; i++) {
        const c = seedVmConfig(i, o.name?.(i) ?? `vm-${String(i).padStart(5, '0')}`, o.notes?.(i) ?? '');
        names.push(c.name);
        const row = inv.vms.insert({ config: c, state: 'stopped' });
        const group = o.group?.(i) ?? '/';
        const tags = o.tags?.(i) ?? [];
        if (group !== '/' || tags.length) inv.vms.setPlacement(row.id, { group, tags });
      }
    });
  } finally {
    inv.close();
  }
  return names;
}

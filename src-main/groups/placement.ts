// Where VMs sit: moving them between groups and changing their tags, for `vm.modify` (one VM, with
// its other changes) and `vm.organize` (many at once, drag and drop). Pure over the inventory's
// interface: every VM is found and every change checked before anything is written, then one
// transaction writes them all, so a refusal changes nothing.
import { HangarError, invalidInput } from '../../src-vmm/base/errors.js';
import type { Inventory, ConfigBase, VmRow } from '../inventory/types.js';
import { changeTags, inGroup, tagKey } from './rules.js';
import { search } from './search.js';

export interface PlacementChange {
  group?: string | undefined;
  addTags?: readonly string[] | undefined;
  removeTags?: readonly string[] | undefined;
}

export const PLACEMENT_KEYS = ['group', 'addTags', 'removeTags'] as const;

export function hasPlacement(c: PlacementChange): boolean {
  return c.group !== undefined || (c.addTags?.length ?? 0) > 0 || (c.removeTags?.length ?? 0) > 0;
}

/** The VM's group and tags after the change; INVALID_INPUT (tags) when it would have too many. */
export function placementAfter(row: Pick<VmRow<unknown>, 'name' | 'group' | 'tags'>, c: PlacementChange): { group: string; tags: string[] } {
  const r = changeTags(row.tags, c.addTags ?? [], c.removeTags ?? []);
  if ('problem' in r) throw invalidInput([{ path: 'addTags', message: `VM '${row.name}': ${r.problem}` }]);
  return { group: c.group ?? row.group, tags: r.tags };
}

/**
 * Applies one change to several VMs in one transaction. Every ref must name a VM (NOT_FOUND names
 * the first that does not) and every VM must take the change, or nothing is written.
 */
export function organize<C extends ConfigBase>(inventory: Pick<Inventory<C>, 'vms' | 'transaction'>, refs: readonly string[], c: PlacementChange): VmRow<C>[] {
  const rows = new Map<string, VmRow<C>>();
  for (const ref of refs) {
    const row = inventory.vms.findByRef(ref);
    if (!row) throw new HangarError('NOT_FOUND', `no VM named or with id '${ref}'`);
    rows.set(row.id, row);
  }
  const after = [...rows.values()].map((row) => ({ row, p: placementAfter(row, c) }));
  return inventory.transaction(() =>
    after.map(({ row, p }) => {
      inventory.vms.setPlacement(row.id, p);
      return { ...row, ...p };
    }),
  );
}

export interface ListFilter {
  group?: string | undefined;
  tag?: string | undefined;
  search?: string | undefined;
}

/** The VMs a list filter keeps (`hangar list --group G --tag T --search TEXT`). */
export function filterList<T extends { name: string; group: string; tags: readonly string[]; osType: string; notes: string }>(vms: readonly T[], f: ListFilter, osLabel?: (osType: string) => string): T[] {
  let out = vms.filter((v) => (f.group === undefined || inGroup(v.group, f.group)) && (f.tag === undefined || v.tags.some((t) => tagKey(t) === tagKey(f.tag!))));
  if (f.search !== undefined) out = search(out, f.search, osLabel);
  return out;
}

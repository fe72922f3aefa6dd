// The VM list: updates from server events, the search filter and keyboard selection.
import type { EventPayload, OsTypeInfo, VmSummary } from '../api/apiTypes.js';
import { stateLabel } from './vmState.js';
import { isEmptyQuery, matches, parseQuery } from '../../src-main/groups/search.js';

/** Applies a `vm.stateChanged` event; an unknown id leaves the list as it is (an `inventory.changed` follows). */
export function applyStateChange(vms: readonly VmSummary[], e: EventPayload<'vm.stateChanged'>): VmSummary[] {
  let changed = false;
  const next = vms.map((vm) => {
    if (vm.id !== e.id || (vm.state === e.state && vm.name === e.name)) return vm;
    changed = true;
    return { ...vm, state: e.state, name: e.name };
  });
  return changed ? next : (vms as VmSummary[]);
}

/** What a search word may match besides the name, tags, OS and notes: the state as shown, the accelerator. */
export const searchAlso = (vm: VmSummary): string[] => [stateLabel(vm.state), vm.accelerator];

/** The OS label of an OS type, from the catalogue (the id when it is not known). */
export function osLabeller(osTypes: readonly OsTypeInfo[]): (osType: string) => string {
  const labels = new Map(osTypes.map((o) => [o.id, o.label]));
  return (id) => labels.get(id) ?? id;
}

/** VMs with every word of the query in their name, tags, OS, notes, state or accelerator (case-insensitive). */
export function filterVms(vms: readonly VmSummary[], query: string, osTypes: readonly OsTypeInfo[] = []): VmSummary[] {
  const q = parseQuery(query);
  if (isEmptyQuery(q)) return [...vms];
  const label = osLabeller(osTypes);
  return vms.filter((vm) => matches(vm, q, label, searchAlso(vm)));
}

export type ListKey = 'ArrowUp' | 'ArrowDown' | 'Home' | 'End';

export function isListKey(key: string): key is ListKey {
  return key === 'ArrowUp' || key === 'ArrowDown' || key === 'Home' || key === 'End';
}

/** The id selected after a navigation key; with nothing selected, down and home pick the first. */
export function nextSelection(ids: readonly string[], current: string | null, key: ListKey): string | null {
  if (ids.length === 0) return null;
  const i = current === null ? -1 : ids.indexOf(current);
  switch (key) {
    case 'Home':
      return ids[0]!;
    case 'End':
      return ids[ids.length - 1]!;
    case 'ArrowDown':
      return ids[Math.min(ids.length - 1, i + 1)]!;
    case 'ArrowUp':
      return i < 0 ? ids[0]! : ids[Math.max(0, i - 1)]!;
  }
}

/** The ids of `before` that `after` no longer has, in linear time (10,000 VMs are 10,000 lookups, not 10^8 comparisons). */
export function goneIds(before: readonly string[], after: readonly string[]): string[] {
  if (before.length === 0) return [];
  const now = new Set(after);
  return before.filter((id) => !now.has(id));
}

/** Keeps the selection when the VM still exists; otherwise the neighbour at its old place, or null. */
export function keepSelection(before: readonly string[], after: readonly string[], current: string | null): string | null {
  if (current !== null && after.includes(current)) return current;
  if (after.length === 0) return null;
  const old = current === null ? -1 : before.indexOf(current);
  if (old < 0) return after[0]!;
  return after[Math.min(old, after.length - 1)]!;
}

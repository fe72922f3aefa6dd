// The VM list's model (pure): the tree of groups flattened into rows, what the window shows of it,
// and how a new list of VMs is merged into the one shown as a diff. A VM whose summary did not
// change keeps its object, so its row (memoised) does not render again; only a change of what
// places a VM in the tree (its name, group, tags, notes or OS, or which VMs exist) rebuilds the rows.
import type { VmSummary } from '../api/apiTypes.js';
import { groupAncestors, groupName, ROOT_GROUP } from '../../src-main/groups/rules.js';
import { isEmptyQuery, matches, parseQuery } from '../../src-main/groups/search.js';

export type ListRow =
  | { kind: 'group'; key: string; path: string; name: string; depth: number; count: number; collapsed: boolean }
  | { kind: 'vm'; key: string; id: string; depth: number };

export const GROUP_ROW_HEIGHT = 34;
export const VM_ROW_HEIGHT = 60;
export const rowHeight = (r: ListRow) => (r.kind === 'group' ? GROUP_ROW_HEIGHT : VM_ROW_HEIGHT);

// ------------------------------------------------------------------ the diff

/** Same summary: the row shows nothing different. */
export function sameVm(a: VmSummary, b: VmSummary): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.state === b.state &&
    a.osType === b.osType &&
    a.accelerator === b.accelerator &&
    a.group === b.group &&
    a.notes === b.notes &&
    sameList(a.tags, b.tags) &&
    sameList(a.ipAddresses ?? [], b.ipAddresses ?? []) &&
    JSON.stringify(a.guest) === JSON.stringify(b.guest)
  );
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Whether a change moves a VM in the tree (or in or out of a search). */
export function placesDiffer(a: VmSummary, b: VmSummary): boolean {
  return a.name !== b.name || a.group !== b.group || a.osType !== b.osType || a.notes !== b.notes || !sameList(a.tags, b.tags);
}

export interface Merge {
  vms: VmSummary[];
  /** ids whose summary changed (new objects) */
  changed: string[];
  /** VMs came or went, or one moved in the tree: the rows must be built again */
  structural: boolean;
}

/** The new list, with the old object for every VM that did not change. */
export function mergeVms(prev: readonly VmSummary[], next: readonly VmSummary[]): Merge {
  const before = new Map(prev.map((v) => [v.id, v]));
  const changed: string[] = [];
  let structural = prev.length !== next.length;
  const vms = next.map((vm, i) => {
    const old = before.get(vm.id);
    if (!old) {
      structural = true;
      changed.push(vm.id);
      return vm;
    }
    if (prev[i]?.id !== vm.id) structural = true;
    if (sameVm(old, vm)) return old;
    changed.push(vm.id);
    if (placesDiffer(old, vm)) structural = true;
    return vm;
  });
  return { vms, changed, structural };
}

// ------------------------------------------------------------------ the tree

export interface BuildOptions {
  query: string;
  /** group paths the person folded */
  collapsed: ReadonlySet<string>;
  osLabel?: (osType: string) => string;
  /** what else a search word may match (the state's label) */
  also?: (vm: VmSummary) => string[];
}

interface GroupNode {
  path: string;
  groups: Map<string, GroupNode>;
  vms: string[];
  count: number;
}

/**
 * The rows: each group (its subgroups first, by name; then its VMs in list order), nested. With a
 * search, only matching VMs and the groups that hold them, unfolded. Groups exist while VMs are in them.
 */
export function buildRows(vms: readonly VmSummary[], o: BuildOptions): ListRow[] {
  const q = parseQuery(o.query);
  const searching = !isEmptyQuery(q);
  const root: GroupNode = { path: ROOT_GROUP, groups: new Map(), vms: [], count: 0 };
  for (const vm of vms) {
    if (searching && !matches(vm, q, o.osLabel, o.also?.(vm))) continue;
    let node = root;
    node.count++;
    for (const path of groupAncestors(vm.group)) {
      let child = node.groups.get(path);
      if (!child) node.groups.set(path, (child = { path, groups: new Map(), vms: [], count: 0 }));
      child.count++;
      node = child;
    }
    node.vms.push(vm.id);
  }
  const rows: ListRow[] = [];
  const walk = (node: GroupNode, depth: number) => {
    for (const g of [...node.groups.values()].sort((a, b) => groupName(a.path).localeCompare(groupName(b.path)))) {
      const collapsed = !searching && o.collapsed.has(g.path);
      rows.push({ kind: 'group', key: `g:${g.path}`, path: g.path, name: groupName(g.path), depth, count: g.count, collapsed });
      if (!collapsed) walk(g, depth + 1);
    }
    for (const id of node.vms) rows.push({ kind: 'vm', key: id, id, depth });
  };
  walk(root, 0);
  return rows;
}

/** The VM ids in the order the rows show them. */
export const vmIdsOf = (rows: readonly ListRow[]): string[] => rows.flatMap((r) => (r.kind === 'vm' ? [r.id] : []));

// ------------------------------------------------------------------ the window

/** Where each row starts; the last entry is the whole height. */
export function rowOffsets(rows: readonly ListRow[]): number[] {
  const out = new Array<number>(rows.length + 1);
  out[0] = 0;
  for (let i = 0; i < rows.length; i++) out[i + 1] = out[i]! + rowHeight(rows[i]!);
  return out;
}

/** The rows [first, end) that a viewport at scrollTop of this height shows, with `overscan` more each side. */
export function visibleRange(offsets: readonly number[], scrollTop: number, height: number, overscan = 6): { first: number; end: number } {
  const n = offsets.length - 1;
  if (n <= 0) return { first: 0, end: 0 };
  const find = (y: number) => {
    // the last row that starts at or before y
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offsets[mid]! <= y) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const first = Math.max(0, find(Math.max(0, scrollTop)) - overscan);
  const end = Math.min(n, find(scrollTop + Math.max(0, height)) + 1 + overscan);
  return { first, end };
}

/** The scrollTop that brings row i into a viewport (unchanged when it is in view). */
export function scrollToShow(offsets: readonly number[], i: number, scrollTop: number, height: number): number {
  const top = offsets[i] ?? 0;
  const bottom = offsets[i + 1] ?? top;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + height) return bottom - height;
  return scrollTop;
}

// ------------------------------------------------------------------ selecting several

/**
 * The ticked VMs after a click: a plain click ticks nothing (it selects one VM); Ctrl (or ⌘) adds or
 * removes one; Shift ticks the range from the anchor (the last VM clicked) to this one, in the order shown.
 */
export function tickAfterClick(ticked: ReadonlySet<string>, order: readonly string[], anchor: string | null, id: string, mods: { ctrl: boolean; shift: boolean }): Set<string> {
  if (mods.shift && anchor !== null && order.includes(anchor)) {
    const a = order.indexOf(anchor);
    const b = order.indexOf(id);
    const [lo, hi] = a < b ? [a, b] : [b, a];
    const next = mods.ctrl ? new Set(ticked) : new Set<string>();
    for (const x of order.slice(lo, hi + 1)) next.add(x);
    return next;
  }
  if (mods.ctrl) {
    const next = new Set(ticked);
    // The VM selected before the first Ctrl-click is part of the selection too.
    if (next.size === 0 && anchor !== null && anchor !== id && order.includes(anchor)) next.add(anchor);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  }
  return new Set();
}

/** Ticks that still name VMs (deleted ones drop out); the same set when nothing went. */
export function keepTicks(ticked: ReadonlySet<string>, vms: readonly VmSummary[]): ReadonlySet<string> {
  if (ticked.size === 0) return ticked;
  const ids = new Set(vms.map((v) => v.id));
  const kept = [...ticked].filter((id) => ids.has(id));
  return kept.length === ticked.size ? ticked : new Set(kept);
}

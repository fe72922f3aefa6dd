// The snapshot tree as rows (pure): build the tree from `snapshot.list`, flatten it into rows with
// their depth and connector guides, move the selection with the keyboard, and format ages and plan
// figures. The view only draws what these functions return.
//
// Layout, as VirtualBox's snapshot tree: every child is drawn one step to the right of its parent,
// with classic tree guides (├ └ │), and siblings keep the order they were taken in, oldest first,
// with "Current state" last under its snapshot. The order depends on nothing but the snapshots, so
// restoring one moves only the "Current state" row. Indentation stops at MAX_INDENT steps: deeper
// rows (a chain of hundreds) continue straight down in that column and say their level, so every
// row is drawn from at most MAX_INDENT guides and the work stays linear in the number of nodes.
import { isActive, type VmState } from '../../src-vmm/protocol/states.js';
import { defaultSnapshotName, snapshotNameProblems } from '../../src-vmm/snapshots/tree.js';
import type { ApiOutput } from '../api/apiTypes.js';
import { formatDateTime } from '../components/format.js';
import { formatBytes } from '../components/size.js';

export type SnapshotItem = ApiOutput<'snapshot.list'>['snapshots'][number];
export type SnapshotList = ApiOutput<'snapshot.list'>;
export type DeletePlan = ApiOutput<'snapshot.deletePlan'>;

/** The row id of the "Current state" node (no snapshot id looks like this: they are UUIDs). */
export const CURRENT_STATE_ID = '@current-state';
export const CURRENT_STATE_NAME = 'Current state';

export interface SnapshotTree {
  /** snapshot ids to items */
  readonly items: ReadonlyMap<string, SnapshotItem>;
  /** display order of each node's children (snapshot ids and CURRENT_STATE_ID): oldest first, the current state last */
  readonly children: ReadonlyMap<string, readonly string[]>;
  /** the roots in display order */
  readonly roots: readonly string[];
  /** each node's parent as shown (null for roots) */
  readonly parent: ReadonlyMap<string, string | null>;
  /** number of nodes in each node's subtree, itself included */
  readonly size: ReadonlyMap<string, number>;
  readonly currentSnapshotId: string | null;
  readonly currentStateChanged: boolean;
}

const byAge = (items: ReadonlyMap<string, SnapshotItem>) => (a: string, b: string) => {
  const x = items.get(a);
  const y = items.get(b);
  if (!x || !y) return x ? -1 : y ? 1 : 0; // the current state after snapshots
  return x.createdAt.localeCompare(y.createdAt) || x.name.localeCompare(y.name) || x.id.localeCompare(y.id);
};

/**
 * Builds the tree of a `snapshot.list` answer, with the "Current state" node under the current
 * snapshot. A snapshot whose parent is unknown becomes a root; a parent cycle (which a sane owner
 * never sends) is broken so that every snapshot appears exactly once.
 */
export function buildSnapshotTree(list: SnapshotList): SnapshotTree {
  const items = new Map<string, SnapshotItem>();
  for (const s of list.snapshots) if (!items.has(s.id) && s.id !== CURRENT_STATE_ID) items.set(s.id, s);
  const currentSnapshotId = list.currentSnapshotId !== null && items.has(list.currentSnapshotId) ? list.currentSnapshotId : null;

  // Parents as given, then cycles broken: a node that cannot reach a root is made one.
  const parent = new Map<string, string | null>();
  for (const s of items.values()) parent.set(s.id, s.parentId !== null && items.has(s.parentId) && s.parentId !== s.id ? s.parentId : null);
  const settled = new Map<string, boolean>();
  for (const id of items.keys()) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let cur: string | null = id;
    while (cur !== null && !settled.has(cur) && !onPath.has(cur)) {
      path.push(cur);
      onPath.add(cur);
      cur = parent.get(cur) ?? null;
    }
    if (cur !== null && onPath.has(cur)) parent.set(cur, null); // cut the cycle where it closes
    for (const p of path) settled.set(p, true);
  }
  parent.set(CURRENT_STATE_ID, currentSnapshotId);

  const kids = new Map<string, string[]>();
  const roots: string[] = [];
  for (const [id, p] of parent) {
    if (p === null) roots.push(id);
    else {
      const list = kids.get(p);
      if (list) list.push(id);
      else kids.set(p, [id]);
    }
  }

  // Subtree sizes, children before parents (iteratively: chains may be thousands deep).
  const size = new Map<string, number>();
  const order: string[] = [];
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop()!;
    order.push(id);
    for (const c of kids.get(id) ?? []) stack.push(c);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const id = order[i]!;
    let n = 1;
    for (const c of kids.get(id) ?? []) n += size.get(c) ?? 1;
    size.set(id, n);
  }

  // Creation order, the current state last: nothing about the order depends on where it is.
  const cmp = byAge(items);
  const children = new Map<string, readonly string[]>();
  for (const [id, list] of kids) children.set(id, list.sort(cmp));
  roots.sort(cmp);

  return { items, children, roots, parent, size, currentSnapshotId, currentStateChanged: list.currentStateChanged ?? false };
}

export interface SnapshotRow {
  /** a snapshot id, or CURRENT_STATE_ID */
  id: string;
  kind: 'snapshot' | 'current';
  /** the snapshot; null for the current state */
  item: SnapshotItem | null;
  name: string;
  parentId: string | null;
  /** depth in the tree, 1 for roots (aria-level) */
  level: number;
  /** position among the parent's children as shown, from 1 (aria-posinset / aria-setsize) */
  posInSet: number;
  setSize: number;
  /** the column of the node's marker: its depth, at most MAX_INDENT */
  indent: number;
  /** what to draw in columns 0..indent-1; the last one joins the node to its parent (tee or elbow) */
  guides: Guide[];
  /** deeper than MAX_INDENT: drawn in its parent's column, continuing straight down from it */
  stemUp: boolean;
  /** a line goes down from the marker (the node is expanded and has children) */
  stemDown: boolean;
  expandable: boolean;
  expanded: boolean;
  /** nodes hidden under a collapsed node */
  hiddenCount: number;
  /** the snapshot the current state is based on */
  isCurrentSnapshot: boolean;
  /** the current state and its ancestors */
  onCurrentPath: boolean;
}

/** Indentation steps at most; deeper rows continue in the last column and say their level. */
export const MAX_INDENT = 16;

/**
 * A column of a row's gutter: an ancestor's line going on to a later sibling ('line') or not
 * ('blank'); the row's own joint to its parent when it has later siblings ('tee', ├) or is the last
 * one ('elbow', └).
 */
export type Guide = 'line' | 'blank' | 'tee' | 'elbow';

/**
 * The visible rows in display order: depth-first, children oldest first (the current state last),
 * nothing under a collapsed node. Linear in the number of nodes (each row has at most MAX_INDENT guides).
 */
export function flattenSnapshotTree(tree: SnapshotTree, collapsed: ReadonlySet<string> = new Set()): SnapshotRow[] {
  const rows: SnapshotRow[] = [];
  const onPath = new Set<string>();
  for (let cur: string | null = CURRENT_STATE_ID; cur !== null; cur = tree.parent.get(cur) ?? null) onPath.add(cur);

  type Frame = { id: string; level: number; guides: Guide[]; stemUp: boolean; pos: number; setSize: number };
  const stack: Frame[] = [];
  const pushChildren = (ids: readonly string[], parent: Frame | null) => {
    // What the children inherit: the parent's columns, its own joint turned into a line going on
    // (it has later siblings) or nothing.
    const inherited: Guide[] = parent ? parent.guides.map((g) => (g === 'tee' ? 'line' : g === 'elbow' ? 'blank' : g)) : [];
    const level = parent ? parent.level + 1 : 1;
    const capped = parent !== null && inherited.length >= MAX_INDENT;
    // pushed in reverse so that they pop in display order
    for (let i = ids.length - 1; i >= 0; i--) {
      const last = i === ids.length - 1;
      stack.push({
        id: ids[i]!,
        level,
        guides: parent === null ? [] : capped ? inherited : [...inherited, last ? 'elbow' : 'tee'],
        stemUp: capped,
        pos: i + 1,
        setSize: ids.length,
      });
    }
  };
  pushChildren(tree.roots, null);
  while (stack.length) {
    const f = stack.pop()!;
    const kids = tree.children.get(f.id) ?? [];
    const expandable = kids.length > 0;
    const expanded = expandable && !collapsed.has(f.id);
    const item = tree.items.get(f.id) ?? null;
    rows.push({
      id: f.id,
      kind: item ? 'snapshot' : 'current',
      item,
      name: item ? item.name : CURRENT_STATE_NAME,
      parentId: tree.parent.get(f.id) ?? null,
      level: f.level,
      posInSet: f.pos,
      setSize: f.setSize,
      indent: f.guides.length,
      guides: f.guides,
      stemUp: f.stemUp,
      stemDown: expanded,
      expandable,
      expanded,
      hiddenCount: expandable && !expanded ? (tree.size.get(f.id) ?? 1) - 1 : 0,
      isCurrentSnapshot: item !== null && item.id === tree.currentSnapshotId,
      onCurrentPath: onPath.has(f.id),
    });
    if (expanded) pushChildren(kids, f);
  }
  return rows;
}

/** The deepest indentation of the rows, plus one: how many columns the gutters need. */
export function columnCount(rows: readonly SnapshotRow[]): number {
  let n = 0;
  for (const r of rows) if (r.indent + 1 > n) n = r.indent + 1;
  return n;
}

/** Whether two rows draw the same (for memoised row components). */
export function sameRow(a: SnapshotRow, b: SnapshotRow): boolean {
  return (
    a.id === b.id &&
    a.item === b.item &&
    a.parentId === b.parentId &&
    a.level === b.level &&
    a.posInSet === b.posInSet &&
    a.setSize === b.setSize &&
    a.indent === b.indent &&
    (a.guides === b.guides || a.guides.join() === b.guides.join()) &&
    a.stemUp === b.stemUp &&
    a.stemDown === b.stemDown &&
    a.expandable === b.expandable &&
    a.expanded === b.expanded &&
    a.hiddenCount === b.hiddenCount &&
    a.isCurrentSnapshot === b.isCurrentSnapshot &&
    a.onCurrentPath === b.onCurrentPath
  );
}

/** The node and its ancestors, the node first. */
export function ancestorsOf(tree: SnapshotTree, id: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let cur: string | null = id; cur !== null && !seen.has(cur) && tree.parent.has(cur); cur = tree.parent.get(cur) ?? null) {
    seen.add(cur);
    out.push(cur);
  }
  return out;
}

/** The collapsed set with every ancestor of `id` expanded, so its row shows; the same set when nothing changes. */
export function reveal(tree: SnapshotTree, collapsed: ReadonlySet<string>, id: string): ReadonlySet<string> {
  const ancestors = ancestorsOf(tree, id).slice(1);
  if (!ancestors.some((a) => collapsed.has(a))) return collapsed;
  const next = new Set(collapsed);
  for (const a of ancestors) next.delete(a);
  return next;
}

/** Collapses every node with children except the ancestors of `keepVisible` (the current state by default). */
export function collapseAll(tree: SnapshotTree, keepVisible: string = CURRENT_STATE_ID): Set<string> {
  const keep = new Set(ancestorsOf(tree, keepVisible));
  const out = new Set<string>();
  for (const [id, kids] of tree.children) if (kids.length > 0 && !keep.has(id)) out.add(id);
  return out;
}

/** Drops collapsed ids that are no longer in the tree (the same set when none are gone). */
export function pruneCollapsed(tree: SnapshotTree, collapsed: ReadonlySet<string>): ReadonlySet<string> {
  let gone = false;
  for (const id of collapsed) if (!tree.parent.has(id)) gone = true;
  if (!gone) return collapsed;
  return new Set([...collapsed].filter((id) => tree.parent.has(id)));
}

/**
 * The selection after the tree changed: the same node when it is still there, else its nearest
 * ancestor that is (by the tree before), else the current state.
 */
export function keepSnapshotSelection(before: SnapshotTree | null, after: SnapshotTree, selected: string | null): string {
  if (selected !== null && after.parent.has(selected)) return selected;
  if (selected !== null && before) for (const a of ancestorsOf(before, selected)) if (after.parent.has(a)) return a;
  return CURRENT_STATE_ID;
}

export type TreeKey = 'ArrowUp' | 'ArrowDown' | 'ArrowLeft' | 'ArrowRight' | 'Home' | 'End' | 'PageUp' | 'PageDown';

export function isTreeKey(key: string): key is TreeKey {
  return ['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown'].includes(key);
}

export type TreeMove = { select: string } | { expand: string } | { collapse: string } | null;

/**
 * The WAI-ARIA tree keys: up and down move through the visible rows, right expands a collapsed node
 * or goes to its first child, left collapses an expanded node or goes to its parent.
 */
export function treeMove(rows: readonly SnapshotRow[], selected: string | null, key: TreeKey, pageSize = 10): TreeMove {
  if (rows.length === 0) return null;
  const i = selected === null ? -1 : rows.findIndex((r) => r.id === selected);
  const at = (k: number) => ({ select: rows[Math.max(0, Math.min(rows.length - 1, k))]!.id });
  if (i < 0) return key === 'End' ? at(rows.length - 1) : at(0);
  const row = rows[i]!;
  switch (key) {
    case 'ArrowDown':
      return at(i + 1);
    case 'ArrowUp':
      return at(i - 1);
    case 'PageDown':
      return at(i + pageSize);
    case 'PageUp':
      return at(i - pageSize);
    case 'Home':
      return at(0);
    case 'End':
      return at(rows.length - 1);
    case 'ArrowRight':
      if (!row.expandable) return null;
      if (!row.expanded) return { expand: row.id };
      return rows[i + 1] && rows[i + 1]!.parentId === row.id ? { select: rows[i + 1]!.id } : null;
    case 'ArrowLeft':
      if (row.expandable && row.expanded) return { collapse: row.id };
      return row.parentId !== null ? { select: row.parentId } : null;
  }
}

// ---------------------------------------------------------------- actions

export type Allowed = { ok: true } | { ok: false; reason: string };
const yes: Allowed = { ok: true };
const no = (reason: string): Allowed => ({ ok: false, reason });

export interface SnapshotActions {
  take: Allowed;
  restore: Allowed;
  delete: Allowed;
  edit: Allowed;
  clone: Allowed;
}

export const CLONE_LATER = 'Cloning comes with the clone feature';

/**
 * Which snapshot actions the VM's state and the selected row allow, with the reason (in the API's
 * words where the API has them) when not, so a button is enabled exactly when the call can work.
 */
export function snapshotActions(vm: { name: string; state: VmState }, row: Pick<SnapshotRow, 'kind' | 'name'> | null): SnapshotActions {
  const settling = vm.state === 'starting' || vm.state === 'stopping' ? no(`VM '${vm.name}' is ${vm.state}: wait until it has settled`) : null;
  const snapshot = row !== null && row.kind === 'snapshot';
  return {
    take: settling ?? yes,
    restore: !snapshot
      ? no('Select a snapshot to restore')
      : isActive(vm.state)
        ? no(`VM '${vm.name}' is ${vm.state}: power it off (or save it) before restoring a snapshot`)
        : yes,
    delete: !snapshot ? no('Select a snapshot to delete') : (settling ?? yes),
    edit: !snapshot ? no('Select a snapshot to edit') : yes,
    clone: no(CLONE_LATER),
  };
}

// ---------------------------------------------------------------- names

/** The name the Take dialog proposes: "Snapshot N", the first free N. */
export function nextSnapshotName(snapshots: readonly SnapshotItem[]): string {
  return defaultSnapshotName(snapshots);
}

/**
 * What is wrong with a snapshot name, in the API's words (the owner's rules and its duplicate check,
 * which ignores case); null when it is fine. `exceptId`: the snapshot being renamed.
 */
export function snapshotNameIssue(name: string, vmName: string, snapshots: readonly SnapshotItem[], exceptId?: string): string | null {
  const problems = snapshotNameProblems(name);
  if (problems.length) return problems.join('; ');
  const same = snapshots.find((s) => s.id !== exceptId && s.name.toLowerCase() === name.toLowerCase());
  return same ? `VM '${vmName}' already has a snapshot named '${name}'` : null;
}

// ---------------------------------------------------------------- words

/** "just now", "1 minute ago", "3 hours ago", "yesterday", "5 days ago", "2 months ago", "1 year ago". */
export function formatAge(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = (now - t) / 1000;
  if (s < -60) return formatDateTime(iso);
  if (s < 45) return 'just now';
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  const m = s / 60;
  if (m < 59.5) return plural(Math.max(1, Math.round(m)), 'minute');
  const h = m / 60;
  if (h < 23.5) return plural(Math.round(h), 'hour');
  const d = h / 24;
  if (d < 1.5) return 'yesterday';
  if (d < 30.5) return plural(Math.round(d), 'day');
  const mo = d / 30.44;
  if (mo < 11.5) return plural(Math.max(1, Math.round(mo)), 'month');
  return plural(Math.max(1, Math.round(d / 365.25)), 'year');
}

/** A time estimate: "about 5 seconds", "about 3 minutes", "about 1 hour 20 minutes". */
export function formatEstimate(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  const unit = (n: number, u: string) => `${n} ${u}${n === 1 ? '' : 's'}`;
  if (s < 60) return `about ${unit(s, 'second')}`;
  if (s < 3570) return `about ${unit(Math.round(s / 60), 'minute')}`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s - h * 3600) / 60);
  return m === 0 || m === 60 ? `about ${unit(m === 60 ? h + 1 : h, 'hour')}` : `about ${unit(h, 'hour')} ${unit(m, 'minute')}`;
}

export interface PlanFigures {
  /** label and value, in the order shown */
  rows: [string, string][];
  /** the disk lacks room for the merge */
  shortOfSpace: boolean;
  /** refused: the linked clones that depend on the snapshot */
  blocked: string | null;
}

/** The figures of a delete plan as the confirmation dialog shows them. */
export function planFigures(plan: DeletePlan): PlanFigures {
  const shortOfSpace = plan.freeBytesAvailable > 0 && plan.freeBytesNeeded > plan.freeBytesAvailable;
  const merge =
    plan.bytesToMerge === 0
      ? 'nothing'
      : `${formatBytes(plan.bytesToMerge)} into ${plan.children === 1 ? '1 image that depends' : `${plan.children} images that depend`} on it`;
  const rows: [string, string][] = [
    ['Data to merge', merge],
    ['Free space needed', formatBytes(plan.freeBytesNeeded)],
    ['Free space available', plan.freeBytesAvailable > 0 ? formatBytes(plan.freeBytesAvailable) : 'unknown'],
    ['Time', plan.bytesToMerge === 0 ? 'a moment' : formatEstimate(plan.estimatedSeconds)],
  ];
  const blocked =
    plan.blockedBy.length === 0
      ? null
      : `“${plan.snapshot.name}” cannot be deleted: the linked ${plan.blockedBy.length === 1 ? 'clone' : 'clones'} ${plan.blockedBy.map((n) => `'${n}'`).join(', ')} ${plan.blockedBy.length === 1 ? 'depends' : 'depend'} on it.`;
  return { rows, shortOfSpace, blocked };
}

/** The accessible description of a row: what the eye reads from its badges. */
export function rowDescription(row: SnapshotRow, tree: Pick<SnapshotTree, 'currentStateChanged'>, now: number): string {
  if (row.kind === 'current') return tree.currentStateChanged ? 'You are here, changed' : 'You are here';
  const it = row.item!;
  const parts = [formatAge(it.createdAt, now)];
  if (it.live) parts.push('with running state');
  if (row.isCurrentSnapshot) parts.push('current snapshot');
  if (row.hiddenCount > 0) parts.push(`${row.hiddenCount} hidden`);
  return parts.join(', ');
}

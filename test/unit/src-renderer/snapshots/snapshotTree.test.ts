import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ancestorsOf,
  buildSnapshotTree,
  collapseAll,
  CURRENT_STATE_ID,
  flattenSnapshotTree,
  formatAge,
  formatEstimate,
  keepSnapshotSelection,
  nextSnapshotName,
  snapshotNameIssue,
  columnCount,
  MAX_INDENT,
  planFigures,
  pruneCollapsed,
  reveal,
  rowDescription,
  sameRow,
  snapshotActions,
  treeMove,
  type SnapshotItem,
  type SnapshotRow,
} from '../../../../src-renderer/snapshots/snapshotTree.js';
import { countWork } from '../../../helpers/workCounter.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
let clock = 0;
const snap = (id: string, parentId: string | null, over: Partial<SnapshotItem> = {}): SnapshotItem => ({
  id,
  name: id,
  parentId,
  createdAt: new Date(T0 + ++clock * 60_000).toISOString(),
  live: false,
  description: '',
  ...over,
});
const list = (snapshots: SnapshotItem[], currentSnapshotId: string | null, currentStateChanged = false) => ({ snapshots, currentSnapshotId, currentStateChanged });
const names = (rows: readonly SnapshotRow[]) => rows.map((r) => r.name);
/** Rows as text: the guides ('│' line, ' ' blank, '├' tee, '└' elbow), the marker ('*' when it continues straight down) and the name. */
const GLYPH = { line: '│', blank: ' ', tee: '├', elbow: '└' } as const;
const picture = (rows: readonly SnapshotRow[]) => rows.map((r) => `${r.guides.map((g) => GLYPH[g]).join('')}${r.stemUp ? '*' : 'o'}${r.name}`);

/** A deterministic pseudo-random generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n snapshots, each under a random earlier one (mostly the newest, as people take them), current at the end. */
function randomTree(n: number, seed: number, chainBias = 0.7): ReturnType<typeof list> {
  const r = rng(seed);
  const out: SnapshotItem[] = [];
  for (let i = 0; i < n; i++) {
    const parent = i === 0 ? null : r() < chainBias ? out[i - 1]!.id : out[Math.floor(r() * i)]!.id;
    out.push(snap(`s${i}`, parent, { live: r() < 0.3, sizeBytes: Math.floor(r() * 1e9) }));
  }
  return list(out, out[n - 1]!.id);
}

describe('building the tree', () => {
  test('the current state hangs under the current snapshot, one step in, after its siblings', () => {
    const t = buildSnapshotTree(list([snap('base', null), snap('updates', 'base'), snap('tools', 'updates')], 'updates', true));
    const rows = flattenSnapshotTree(t);
    assert.deepEqual(picture(rows), ['obase', '└oupdates', ' ├otools', ' └oCurrent state']);
    const cur = rows[3]!;
    assert.equal(cur.kind, 'current');
    assert.equal(cur.id, CURRENT_STATE_ID);
    assert.equal(cur.parentId, 'updates');
    assert.equal(cur.level, 3);
    assert.equal(rows[1]!.isCurrentSnapshot, true);
    assert.deepEqual(rows.filter((r) => r.onCurrentPath).map((r) => r.name), ['base', 'updates', 'Current state']);
    assert.equal(t.currentStateChanged, true);
  });

  test('no snapshots: the current state alone', () => {
    const rows = flattenSnapshotTree(buildSnapshotTree(list([], null)));
    assert.deepEqual(names(rows), ['Current state']);
    assert.equal(rows[0]!.level, 1);
    assert.equal(rows[0]!.indent, 0);
    assert.equal(rows[0]!.stemUp, false);
  });

  test('every child is drawn one step right of its parent, never at its indent', () => {
    // a chain: each snapshot under the one before (the case that used to be drawn in one column)
    const chain = [snap('A', null), snap('B', 'A'), snap('C-branch', 'B'), snap('D', 'C-branch')];
    const rows = flattenSnapshotTree(buildSnapshotTree(list(chain, 'D')));
    assert.deepEqual(picture(rows), ['oA', '└oB', ' └oC-branch', '  └oD', '   └oCurrent state']);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const r of rows) if (r.parentId !== null) assert.equal(r.indent, byId.get(r.parentId)!.indent + 1, r.name);
  });

  test('siblings come in the order they were taken, the current state last among them', () => {
    const s = [snap('root', null), snap('a', 'root'), snap('b', 'root'), snap('c', 'root'), snap('a1', 'a'), snap('a2', 'a1')];
    const rows = flattenSnapshotTree(buildSnapshotTree(list(s, 'b')));
    assert.deepEqual(picture(rows), ['oroot', '├oa', '│└oa1', '│ └oa2', '├ob', '│└oCurrent state', '└oc']);
    assert.equal(rows[0]!.stemDown, true);
    assert.deepEqual(
      rows.filter((r) => r.parentId === 'root').map((r) => [r.name, r.posInSet, r.setSize, r.level]),
      [['a', 1, 3, 2], ['b', 2, 3, 2], ['c', 3, 3, 2]],
    );
    assert.equal(rows.find((r) => r.name === 'a2')!.level, 4);
    assert.equal(rows.find((r) => r.name === 'a2')!.indent, 3);
  });

  test('restoring another snapshot moves only the current state: the snapshots keep their rows in order', () => {
    const s = [snap('root', null), snap('A', 'root'), snap('A1', 'A'), snap('B', 'root'), snap('C-branch', 'B'), snap('C2', 'C-branch')];
    const layout = (current: string) =>
      flattenSnapshotTree(buildSnapshotTree(list(s, current)))
        .filter((r) => r.kind === 'snapshot')
        .map((r) => `${r.name}@${r.level}/${r.indent}`);
    const before = layout('C2');
    assert.deepEqual(before, ['root@1/0', 'A@2/1', 'A1@3/2', 'B@2/1', 'C-branch@3/2', 'C2@4/3']);
    for (const current of ['A1', 'root', 'C-branch', 'A']) assert.deepEqual(layout(current), before, `after restoring ${current}`);
  });

  test('unknown parents become roots and a parent cycle is broken; every snapshot appears once', () => {
    const s = [snap('x', 'y'), snap('y', 'x'), snap('orphan', 'gone'), snap('self', 'self'), snap('x', null) /* duplicate id */];
    const t = buildSnapshotTree(list(s, 'nope'));
    const rows = flattenSnapshotTree(t);
    assert.deepEqual([...names(rows)].sort(), ['Current state', 'orphan', 'self', 'x', 'y']);
    assert.equal(t.currentSnapshotId, null, 'an unknown current snapshot is ignored');
    assert.equal(rows.find((r) => r.kind === 'current')!.level, 1);
  });

  test('a collapsed node hides its subtree and says how much', () => {
    const s = [snap('root', null), snap('a', 'root'), snap('a1', 'a'), snap('b', 'root')];
    const t = buildSnapshotTree(list(s, 'b'));
    const rows = flattenSnapshotTree(t, new Set(['a']));
    assert.deepEqual(names(rows), ['root', 'a', 'b', 'Current state']);
    const a = rows[1]!;
    assert.equal(a.expandable, true);
    assert.equal(a.expanded, false);
    assert.equal(a.stemDown, false);
    assert.equal(a.hiddenCount, 1);
    assert.deepEqual(names(flattenSnapshotTree(t, new Set(['root']))), ['root']);
    assert.equal(flattenSnapshotTree(t, new Set(['root']))[0]!.hiddenCount, 4);
  });

  test('reveal expands the ancestors; collapseAll keeps the current state in view; prune forgets deleted ids', () => {
    const s = [snap('root', null), snap('a', 'root'), snap('a1', 'a'), snap('a2', 'a1'), snap('b', 'root')];
    const t = buildSnapshotTree(list(s, 'b'));
    const all = collapseAll(t);
    assert.deepEqual([...all].sort(), ['a', 'a1']);
    assert.deepEqual(names(flattenSnapshotTree(t, all)), ['root', 'a', 'b', 'Current state']);
    const shown = reveal(t, all, 'a2');
    assert.deepEqual(names(flattenSnapshotTree(t, shown)), ['root', 'a', 'a1', 'a2', 'b', 'Current state']);
    assert.equal(reveal(t, shown, 'a2'), shown, 'unchanged set when already visible');
    assert.deepEqual(ancestorsOf(t, 'a2'), ['a2', 'a1', 'a', 'root']);
    const kept = new Set(['a', 'gone']);
    assert.deepEqual([...pruneCollapsed(t, kept)], ['a']);
    const same = new Set(['a']);
    assert.equal(pruneCollapsed(t, same), same);
  });

  test('the selection survives a reload, falls back to an ancestor, then to the current state', () => {
    const before = buildSnapshotTree(list([snap('root', null), snap('a', 'root'), snap('a1', 'a')], 'root'));
    const after = buildSnapshotTree(list([before.items.get('root')!], 'root'));
    assert.equal(keepSnapshotSelection(before, after, 'root'), 'root');
    assert.equal(keepSnapshotSelection(before, after, 'a1'), 'root');
    assert.equal(keepSnapshotSelection(null, after, 'a1'), CURRENT_STATE_ID);
    assert.equal(keepSnapshotSelection(before, after, null), CURRENT_STATE_ID);
  });

  test('sameRow tells when a row draws the same', () => {
    const t = buildSnapshotTree(list([snap('root', null), snap('a', 'root')], 'a'));
    const one = flattenSnapshotTree(t);
    const two = flattenSnapshotTree(t);
    assert.ok(one.every((r, i) => sameRow(r, two[i]!)));
    const collapsed = flattenSnapshotTree(t, new Set(['root']));
    assert.equal(sameRow(one[0]!, collapsed[0]!), false);
  });
});

const chainOf = (n: number) => {
  const chain: SnapshotItem[] = [];
  for (let i = 0; i < n; i++) chain.push(snap(`n${i}`, i === 0 ? null : `n${i - 1}`));
  return list(chain, `n${n - 1}`);
};

describe('large trees', () => {
  test('500 snapshots: every one shown once, each one step right of its parent up to the limit', () => {
    const rows = flattenSnapshotTree(buildSnapshotTree(randomTree(500, 7)));
    assert.equal(rows.length, 501);
    assert.equal(new Set(rows.map((r) => r.id)).size, 501);
    const index = new Map(rows.map((r, i) => [r.id, i]));
    for (const [i, r] of rows.entries()) {
      assert.equal(r.guides.length, r.indent);
      assert.ok(r.indent <= MAX_INDENT);
      if (r.parentId === null) {
        assert.equal(r.level, 1);
        continue;
      }
      const p = rows[index.get(r.parentId)!]!;
      assert.ok(index.get(r.parentId)! < i, 'a parent comes before its children');
      assert.equal(r.level, p.level + 1);
      assert.equal(r.indent, Math.min(p.indent + 1, MAX_INDENT), `indent of ${r.name}`);
      assert.equal(r.stemUp, p.indent === MAX_INDENT, 'only past the limit does a child continue its parent\'s column');
    }
  });

  test('a guide line runs on exactly while a later sibling of that ancestor is still to come', () => {
    const rows = flattenSnapshotTree(buildSnapshotTree(randomTree(300, 5, 0.5)));
    for (const [i, r] of rows.entries()) {
      const joint = r.guides[r.indent - 1];
      if (joint === undefined || r.stemUp) continue;
      const laterSibling = rows.slice(i + 1).some((x) => x.parentId === r.parentId);
      assert.equal(joint === 'tee', laterSibling, `${r.name}: ${joint}`);
    }
  });

  test('a chain 5000 deep stops indenting at the limit and needs no recursion', () => {
    const tree = buildSnapshotTree(chainOf(5000));
    const rows = flattenSnapshotTree(tree);
    assert.equal(rows.length, 5001);
    assert.equal(columnCount(rows), MAX_INDENT + 1);
    assert.equal(rows[5000]!.level, 5001);
    assert.equal(rows[MAX_INDENT]!.indent, MAX_INDENT);
    assert.equal(rows[MAX_INDENT]!.stemUp, false);
    assert.equal(rows[MAX_INDENT + 1]!.stemUp, true, 'deeper rows continue straight down');
    // collapsing near the top hides the rest
    assert.equal(flattenSnapshotTree(tree, new Set(['n2'])).length, 3);
  });

  // Complexity by counting work (collection operations and elements visited), not by timing it:
  // a count is the same on a busy machine. Linear work grows ten times for ten times the nodes.
  test('the work grows linearly with the number of snapshots', () => {
    const work = (data: ReturnType<typeof chainOf>) => countWork(() => flattenSnapshotTree(buildSnapshotTree(data)));
    const chainSmall = work(chainOf(500));
    const chainLarge = work(chainOf(5000));
    assert.ok(chainSmall > 500, `the counter sees the work (${chainSmall})`);
    assert.ok(chainLarge / chainSmall < 12, `a chain of 10x the nodes took ${(chainLarge / chainSmall).toFixed(1)}x the work`);
    const randomSmall = work(randomTree(500, 11, 0.5));
    const randomLarge = work(randomTree(5000, 11, 0.5));
    assert.ok(randomLarge / randomSmall < 15, `a random tree of 10x the nodes took ${(randomLarge / randomSmall).toFixed(1)}x the work`);
    const tree = buildSnapshotTree(randomTree(5000, 11, 0.5));
    const all = collapseAll(tree);
    const toggle = countWork(() => {
      flattenSnapshotTree(tree, all);
      flattenSnapshotTree(tree);
    });
    assert.ok(toggle < 5000 * 40, `collapsing and expanding 5000 nodes: ${toggle} operations`);
  });
});

describe('keyboard', () => {
  const s = [snap('root', null), snap('a', 'root'), snap('a1', 'a'), snap('b', 'root')];
  const tree = buildSnapshotTree(list(s, 'b'));
  const rows = flattenSnapshotTree(tree);
  test('up, down, home, end, page keys', () => {
    assert.deepEqual(names(rows), ['root', 'a', 'a1', 'b', 'Current state']);
    assert.deepEqual(treeMove(rows, 'root', 'ArrowDown'), { select: 'a' });
    assert.deepEqual(treeMove(rows, 'root', 'ArrowUp'), { select: 'root' });
    assert.deepEqual(treeMove(rows, CURRENT_STATE_ID, 'ArrowDown'), { select: CURRENT_STATE_ID });
    assert.deepEqual(treeMove(rows, 'a1', 'Home'), { select: 'root' });
    assert.deepEqual(treeMove(rows, 'a1', 'End'), { select: CURRENT_STATE_ID });
    assert.deepEqual(treeMove(rows, 'root', 'PageDown', 2), { select: 'a1' });
    assert.deepEqual(treeMove(rows, 'a', 'PageUp', 10), { select: 'root' });
    assert.deepEqual(treeMove(rows, null, 'ArrowDown'), { select: 'root' });
    assert.deepEqual(treeMove(rows, 'gone', 'End'), { select: CURRENT_STATE_ID });
    assert.equal(treeMove([], 'a', 'ArrowDown'), null);
  });
  test('right expands or enters, left collapses or goes up', () => {
    assert.deepEqual(treeMove(rows, 'a', 'ArrowRight'), { select: 'a1' });
    assert.equal(treeMove(rows, 'a1', 'ArrowRight'), null);
    assert.deepEqual(treeMove(rows, 'a', 'ArrowLeft'), { collapse: 'a' });
    assert.deepEqual(treeMove(rows, 'a1', 'ArrowLeft'), { select: 'a' });
    assert.equal(treeMove(rows.slice(0, 1), 'root', 'ArrowLeft') !== null, true);
    const folded = flattenSnapshotTree(tree, new Set(['a']));
    assert.deepEqual(treeMove(folded, 'a', 'ArrowRight'), { expand: 'a' });
    assert.deepEqual(treeMove(folded, 'a', 'ArrowLeft'), { select: 'root' });
    const top = flattenSnapshotTree(tree, new Set(['root']));
    assert.equal(treeMove(top, 'root', 'ArrowLeft'), null);
  });
});

describe('actions', () => {
  const snapRow = { kind: 'snapshot' as const, name: 'base' };
  const currentRow = { kind: 'current' as const, name: 'Current state' };
  test('restore needs a snapshot and a VM that is not running', () => {
    assert.deepEqual(snapshotActions({ name: 'vm', state: 'stopped' }, snapRow).restore, { ok: true });
    assert.deepEqual(snapshotActions({ name: 'vm', state: 'saved' }, snapRow).restore, { ok: true });
    assert.deepEqual(snapshotActions({ name: 'vm', state: 'running' }, snapRow).restore, {
      ok: false,
      reason: "VM 'vm' is running: power it off (or save it) before restoring a snapshot",
    });
    assert.equal(snapshotActions({ name: 'vm', state: 'stopped' }, currentRow).restore.ok, false);
    assert.equal(snapshotActions({ name: 'vm', state: 'stopped' }, null).delete.ok, false);
  });
  test('take and delete wait while the VM is starting or stopping; clone is not there yet', () => {
    const a = snapshotActions({ name: 'vm', state: 'starting' }, snapRow);
    assert.deepEqual(a.take, { ok: false, reason: "VM 'vm' is starting: wait until it has settled" });
    assert.equal(a.delete.ok, false);
    assert.equal(a.edit.ok, true);
    const r = snapshotActions({ name: 'vm', state: 'running' }, currentRow);
    assert.equal(r.take.ok, true);
    assert.equal(r.edit.ok, false);
    assert.deepEqual(r.clone, { ok: false, reason: 'Cloning comes with the clone feature' });
    assert.equal(snapshotActions({ name: 'vm', state: 'running' }, snapRow).delete.ok, true);
  });
});

describe('names', () => {
  test('the proposed name and the API\'s checks', () => {
    const s = [snap('a', null, { name: 'Snapshot 1' }), snap('b', 'a', { name: 'snapshot 3' })];
    assert.equal(nextSnapshotName(s), 'Snapshot 2');
    assert.equal(nextSnapshotName([]), 'Snapshot 1');
    assert.equal(snapshotNameIssue('Fresh', 'vm', s), null);
    assert.equal(snapshotNameIssue('  ', 'vm', s), 'snapshot name must not be empty');
    assert.equal(snapshotNameIssue('SNAPSHOT 1', 'web', s), "VM 'web' already has a snapshot named 'SNAPSHOT 1'");
    assert.equal(snapshotNameIssue('Snapshot 1', 'web', s, 'a'), null, 'renaming to its own name');
    assert.equal(snapshotNameIssue('x'.repeat(300), 'vm', s), 'snapshot name must be at most 256 characters');
  });
});

describe('words', () => {
  const now = Date.parse('2026-03-10T12:00:00.000Z');
  const ago = (ms: number) => formatAge(new Date(now - ms).toISOString(), now);
  test('ages', () => {
    assert.equal(ago(5_000), 'just now');
    assert.equal(ago(60_000), '1 minute ago');
    assert.equal(ago(3 * 60_000), '3 minutes ago');
    assert.equal(ago(59 * 60_000), '59 minutes ago');
    assert.equal(ago(60 * 60_000), '1 hour ago');
    assert.equal(ago(5 * 3600_000), '5 hours ago');
    assert.equal(ago(26 * 3600_000), 'yesterday');
    assert.equal(ago(4 * 86_400_000), '4 days ago');
    assert.equal(ago(65 * 86_400_000), '2 months ago');
    assert.equal(ago(800 * 86_400_000), '2 years ago');
    assert.equal(ago(-20_000), 'just now', 'a little clock skew');
    assert.equal(formatAge('not a date', now), 'not a date');
  });
  test('estimates', () => {
    assert.equal(formatEstimate(0.2), 'about 1 second');
    assert.equal(formatEstimate(42), 'about 42 seconds');
    assert.equal(formatEstimate(61), 'about 1 minute');
    assert.equal(formatEstimate(600), 'about 10 minutes');
    assert.equal(formatEstimate(3600), 'about 1 hour');
    assert.equal(formatEstimate(4800), 'about 1 hour 20 minutes');
    assert.equal(formatEstimate(7190), 'about 2 hours');
  });
  test('delete plan figures and refusal', () => {
    const base = snap('base', null);
    const plan = { snapshot: base, children: 2, bytesToMerge: 3 * 1024 ** 3, freeBytesNeeded: 3 * 1024 ** 3, freeBytesAvailable: 2 * 1024 ** 3, estimatedSeconds: 13, blockedBy: [] };
    const f = planFigures(plan);
    assert.deepEqual(f.rows, [
      ['Data to merge', '3 GiB into 2 images that depend on it'],
      ['Free space needed', '3 GiB'],
      ['Free space available', '2 GiB'],
      ['Time', 'about 13 seconds'],
    ]);
    assert.equal(f.shortOfSpace, true);
    assert.equal(f.blocked, null);
    assert.equal(planFigures({ ...plan, children: 1 }).rows[0]![1], '3 GiB into 1 image that depends on it');
    const none = planFigures({ ...plan, bytesToMerge: 0, freeBytesNeeded: 0, children: 0, freeBytesAvailable: 0 });
    assert.equal(none.rows[0]![1], 'nothing');
    assert.equal(none.rows[2]![1], 'unknown');
    assert.equal(none.rows[3]![1], 'a moment');
    assert.equal(none.shortOfSpace, false);
    assert.equal(planFigures({ ...plan, blockedBy: ['web-a'] }).blocked, "“base” cannot be deleted: the linked clone 'web-a' depends on it.");
    assert.equal(planFigures({ ...plan, blockedBy: ['a', 'b'] }).blocked, "“base” cannot be deleted: the linked clones 'a', 'b' depend on it.");
  });
  test('row descriptions', () => {
    const t = buildSnapshotTree(list([snap('base', null, { live: true, createdAt: new Date(T0).toISOString() })], 'base', true));
    const rows = flattenSnapshotTree(t);
    assert.equal(rowDescription(rows[0]!, t, T0 + 3 * 60_000), '3 minutes ago, with running state, current snapshot');
    assert.equal(rowDescription(rows[1]!, t, T0), 'You are here, changed');
  });
});

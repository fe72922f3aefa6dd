import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VmSummary } from '../../../../src-renderer/api/apiTypes.js';
import { countWork } from '../../../helpers/workCounter.js';
import { goneIds, keepSelection } from '../../../../src-renderer/vms/vmList.js';
import { buildRows, GROUP_ROW_HEIGHT, keepTicks, mergeVms, rowOffsets, scrollToShow, tickAfterClick, visibleRange, vmIdsOf, VM_ROW_HEIGHT } from '../../../../src-renderer/vms/listModel.js';

const vm = (id: string, group = '/', over: Partial<VmSummary> = {}): VmSummary => ({ id, name: `vm-${id}`, state: 'stopped', osType: 'linux', accelerator: 'tcg', group, tags: [], notes: '', ...over });

describe('merging a new list as a diff', () => {
  const prev = [vm('1'), vm('2', '/a'), vm('3')];
  test('unchanged VMs keep their objects; a state change is not structural', () => {
    const next = [vm('1'), vm('2', '/a', { state: 'running' }), vm('3')];
    const m = mergeVms(prev, next);
    assert.equal(m.vms[0], prev[0]);
    assert.equal(m.vms[2], prev[2]);
    assert.notEqual(m.vms[1], prev[1]);
    assert.deepEqual(m.changed, ['2']);
    assert.equal(m.structural, false);
  });
  test('nothing changed: every object kept, nothing changed', () => {
    const m = mergeVms(prev, prev.map((v) => ({ ...v, tags: [...v.tags] })));
    assert.deepEqual(m.changed, []);
    assert.ok(m.vms.every((v, i) => v === prev[i]));
  });
  test('a move, a new tag, a rename, a new VM or a deleted one is structural', () => {
    assert.equal(mergeVms(prev, [vm('1', '/b'), prev[1]!, prev[2]!]).structural, true);
    assert.equal(mergeVms(prev, [vm('1', '/', { tags: ['x'] }), prev[1]!, prev[2]!]).structural, true);
    assert.equal(mergeVms(prev, [vm('1', '/', { name: 'other' }), prev[1]!, prev[2]!]).structural, true);
    assert.equal(mergeVms(prev, [...prev, vm('4')]).structural, true);
    assert.equal(mergeVms(prev, prev.slice(1)).structural, true);
    assert.equal(mergeVms(prev, [prev[1]!, prev[0]!, prev[2]!]).structural, true, 'a new order');
  });
  test('a guest or address change is a change but not structural', () => {
    const m = mergeVms(prev, [vm('1', '/', { ipAddresses: ['10.0.0.2'] }), prev[1]!, prev[2]!]);
    assert.deepEqual(m.changed, ['1']);
    assert.equal(m.structural, false);
  });
});

describe('the tree of groups', () => {
  const vms = [vm('r1'), vm('w1', '/lab/web'), vm('d1', '/lab/db'), vm('w2', '/lab/web', { tags: ['prod'] }), vm('x1', '/x'), vm('l1', '/lab')];
  const shape = (rows: ReturnType<typeof buildRows>) => rows.map((r) => `${'  '.repeat(r.depth)}${r.kind === 'group' ? `[${r.name} ${r.count}${r.collapsed ? ' +' : ''}]` : r.id}`);
  test('groups nest, subgroups first by name, then VMs in list order; counts include subgroups', () => {
    assert.deepEqual(shape(buildRows(vms, { query: '', collapsed: new Set() })), ['[lab 4]', '  [db 1]', '    d1', '  [web 2]', '    w1', '    w2', '  l1', '[x 1]', '  x1', 'r1']);
  });
  test('a folded group hides what it holds', () => {
    assert.deepEqual(shape(buildRows(vms, { query: '', collapsed: new Set(['/lab']) })), ['[lab 4 +]', '[x 1]', '  x1', 'r1']);
    assert.deepEqual(shape(buildRows(vms, { query: '', collapsed: new Set(['/lab/web']) })), ['[lab 4]', '  [db 1]', '    d1', '  [web 2 +]', '  l1', '[x 1]', '  x1', 'r1']);
  });
  test('a search keeps matching VMs and the groups that hold them, unfolded', () => {
    assert.deepEqual(shape(buildRows(vms, { query: 'tag:prod', collapsed: new Set(['/lab']) })), ['[lab 1]', '  [web 1]', '    w2']);
    assert.deepEqual(vmIdsOf(buildRows(vms, { query: 'vm-', collapsed: new Set() })), ['d1', 'w1', 'w2', 'l1', 'x1', 'r1']);
    assert.deepEqual(buildRows(vms, { query: 'nothing-like-it', collapsed: new Set() }), []);
  });
});

describe('the window', () => {
  const rows = buildRows(Array.from({ length: 10_000 }, (_, i) => vm(String(i), i < 5000 ? '/a' : '/')), { query: '', collapsed: new Set() });
  const offsets = rowOffsets(rows);
  test('offsets add up the row heights', () => {
    assert.equal(offsets.length, rows.length + 1);
    assert.equal(offsets[1], GROUP_ROW_HEIGHT);
    assert.equal(offsets[offsets.length - 1], GROUP_ROW_HEIGHT + 10_000 * VM_ROW_HEIGHT);
  });
  test('only the rows in view (and a few more) are rendered, at the top, the middle and the end', () => {
    const top = visibleRange(offsets, 0, 600, 5);
    assert.equal(top.first, 0);
    assert.ok(top.end - top.first <= 600 / VM_ROW_HEIGHT + 2 + 5 + 1, `${top.end - top.first} rows`);
    const mid = visibleRange(offsets, 300_000, 600, 5);
    assert.ok(offsets[mid.first]! <= 300_000 && offsets[mid.end]! >= 300_600);
    assert.ok(mid.end - mid.first < 25);
    const last = visibleRange(offsets, offsets[offsets.length - 1]! - 600, 600, 5);
    assert.equal(last.end, rows.length, 'the last row is rendered at the end');
    assert.deepEqual(visibleRange([0], 0, 600), { first: 0, end: 0 });
  });
  test('scrolling to show a row moves only as far as needed', () => {
    assert.equal(scrollToShow(offsets, 0, 100, 600), 0);
    assert.equal(scrollToShow(offsets, 3, 0, 600), 0, 'already in view');
    const i = 100;
    assert.equal(scrollToShow(offsets, i, 0, 600), offsets[i + 1]! - 600);
  });
});

describe('ticking several VMs', () => {
  const order = ['a', 'b', 'c', 'd', 'e'];
  test('Ctrl toggles one (taking in the VM selected before), Shift ticks a range', () => {
    assert.deepEqual([...tickAfterClick(new Set(), order, 'a', 'c', { ctrl: true, shift: false })].sort(), ['a', 'c']);
    assert.deepEqual([...tickAfterClick(new Set(['a', 'c']), order, 'c', 'c', { ctrl: true, shift: false })], ['a']);
    assert.deepEqual([...tickAfterClick(new Set(), order, 'b', 'd', { ctrl: false, shift: true })], ['b', 'c', 'd']);
    assert.deepEqual([...tickAfterClick(new Set(), order, 'd', 'b', { ctrl: false, shift: true })], ['b', 'c', 'd'], 'upwards too');
    assert.deepEqual([...tickAfterClick(new Set(['e']), order, 'a', 'b', { ctrl: true, shift: true })].sort(), ['a', 'b', 'e'], 'Ctrl+Shift adds the range');
    assert.equal(tickAfterClick(new Set(['a']), order, 'a', 'b', { ctrl: false, shift: false }).size, 0, 'a plain click clears');
  });
  test('ticks of deleted VMs drop out; the same set when none went', () => {
    const t = new Set(['1', '2']);
    assert.equal(keepTicks(t, [vm('1'), vm('2'), vm('3')]), t);
    assert.deepEqual([...keepTicks(t, [vm('2')])], ['2']);
  });
});

describe('the work of a list of 10,000 VMs grows with the list, not with its square', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => vm(String(i).padStart(5, '0'), `/g-${String(i % 200).padStart(3, '0')}`, { tags: i % 7 ? [] : ['web'] }));
  /** What the page does with a new list: merge it, build the rows (and with a search), offsets, ticks, the selection, what went. */
  const pageWork = (prev: VmSummary[], next: VmSummary[]) =>
    countWork(() => {
      const m = mergeVms(prev, next);
      const rows = buildRows(m.vms, { query: '', collapsed: new Set(['/g-001']) });
      buildRows(m.vms, { query: 'vm-000 web', collapsed: new Set() });
      rowOffsets(rows);
      vmIdsOf(rows);
      keepTicks(new Set([next[5]!.id]), m.vms);
      const before = prev.map((v) => v.id);
      const after = next.map((v) => v.id);
      keepSelection(before, after, before[before.length - 1]!);
      goneIds(before, after);
    });
  test('a state change and a deleted VM, 1,000 against 10,000 VMs', () => {
    const work = (n: number) => {
      const prev = many(n);
      const next = prev.slice(1).map((v, i) => (i === 10 ? { ...v, state: 'running' as const } : { ...v, tags: [...v.tags] }));
      return pageWork(prev, next);
    };
    const small = work(1000);
    const large = work(10_000);
    assert.ok(small > 1000, `the counter sees the work (${small})`);
    assert.ok(large / small < 13, `10x the VMs took ${(large / small).toFixed(1)}x the work`);
  });
  test('goneIds: what went, in order', () => {
    assert.deepEqual(goneIds(['a', 'b', 'c', 'd'], ['d', 'b']), ['a', 'c']);
    assert.deepEqual(goneIds([], ['a']), []);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { VmSummary } from '../../../../src-renderer/api/apiTypes.js';
import { bulkSummary, planBulk, runBulk } from '../../../../src-renderer/vms/bulk.js';

const vm = (id: string, state: VmSummary['state']): VmSummary => ({ id, name: id, state, osType: 'linux', accelerator: 'tcg', group: '/', tags: [], notes: '' });
const vms = [vm('a', 'stopped'), vm('b', 'running'), vm('c', 'paused'), vm('d', 'saved'), vm('e', 'starting')];

describe('bulk plans follow each VM state rule', () => {
  const ids = (p: ReturnType<typeof planBulk>) => p.run.map((v) => v.id);
  test('start, stop, save, snapshot, delete', () => {
    assert.deepEqual(ids(planBulk(vms, 'start')), ['a', 'd']);
    assert.deepEqual(ids(planBulk(vms, 'stop')), ['b'], 'a paused guest cannot hear the power button');
    assert.deepEqual(ids(planBulk(vms, 'save')), ['b', 'c']);
    assert.deepEqual(ids(planBulk(vms, 'snapshot')), ['a', 'b', 'c', 'd']);
    assert.deepEqual(ids(planBulk(vms, 'delete')), ['a', 'd']);
    assert.deepEqual(planBulk(vms, 'start').skip.map((s) => s.reason), ['“b” is running', '“c” is paused', '“e” is starting']);
  });
});

describe('running a bulk action', () => {
  test('one call per VM, at most N at once, failures collected in order', async () => {
    let now = 0;
    let peak = 0;
    const calls: string[] = [];
    const r = await runBulk(
      vms,
      async (v) => {
        calls.push(v.id);
        peak = Math.max(peak, ++now);
        await new Promise((res) => setTimeout(res, v.id === 'a' ? 20 : 1));
        now--;
        if (v.id === 'c' || v.id === 'a') throw new Error(`no ${v.id}`);
      },
      2,
    );
    assert.deepEqual([...calls].sort(), ['a', 'b', 'c', 'd', 'e']);
    assert.equal(peak, 2);
    assert.deepEqual(r.ok.map((v) => v.id), ['b', 'd', 'e']);
    assert.deepEqual(r.failed.map((f) => [f.vm.id, f.message]), [['a', 'no a'], ['c', 'no c']]);
  });
  test('a cancelled run starts no more calls', async () => {
    const ac = new AbortController();
    const calls: string[] = [];
    await runBulk(vms, async (v) => {
      calls.push(v.id);
      ac.abort();
    }, 1, ac.signal);
    assert.deepEqual(calls, ['a']);
  });
  test('the summary names what was skipped and what failed', () => {
    const plan = planBulk(vms.slice(0, 2), 'start');
    assert.equal(bulkSummary('start', plan, { ok: [vms[0]!], failed: [] }), '1 of 2 started; skipped “b” is running.');
    assert.equal(bulkSummary('start', plan, { ok: [], failed: [{ vm: vms[0]!, message: 'boom' }] }), '0 of 2 started; skipped “b” is running; failed: “a” (boom).');
  });
});

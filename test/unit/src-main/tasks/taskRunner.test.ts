import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskRunner, type TaskStore } from '../../../../src-main/tasks/taskRunner.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import type { TaskInfo } from '../../../../src-main/api/contract.js';

function memoryStore() {
  const rows = new Map<string, { state: string; progress: number; phase?: string | null; error?: string | null }>();
  const store: TaskStore = {
    create: (t) => rows.set(t.id, { state: 'running', progress: 0 }),
    update: (id, p) => Object.assign(rows.get(id)!, p),
    finish: (id, state, error) => Object.assign(rows.get(id)!, { state, error }),
  };
  return { rows, store };
}

describe('task runner', () => {
  test('a task persists its phase, progress and end', async () => {
    const { rows, store } = memoryStore();
    const events: TaskInfo[] = [];
    const runner = new TaskRunner(store, (i) => events.push(i));
    const seen: number[] = [];
    const result = await runner.run('disk.convert', { id: 'vm1', name: 'one' }, { onProgress: (f) => seen.push(f) }, async (t) => {
      t.phase('converting');
      t.progress(0.5);
      t.progress(1);
      return 42;
    });
    assert.equal(result, 42);
    const [row] = [...rows.values()];
    assert.deepEqual({ state: row!.state, progress: row!.progress, phase: row!.phase }, { state: 'succeeded', progress: 1, phase: 'converting' });
    assert.deepEqual(seen, [0.5, 1]);
    assert.equal(events.at(-1)!.state, 'succeeded');
    assert.ok(events.at(-1)!.finishedAt);
    assert.deepEqual(runner.list(), []);
  });

  test('cancel aborts the task signal and records cancelled', async () => {
    const { rows, store } = memoryStore();
    const runner = new TaskRunner(store, () => undefined);
    const p = runner.run('clone', null, {}, (t) => new Promise((_, reject) => t.signal.addEventListener('abort', () => reject(new Error('stopped')))));
    const [running] = runner.list();
    runner.cancel(running!.id);
    await assert.rejects(p, (e: unknown) => e instanceof HangarError && e.code === 'CANCELLED');
    assert.equal([...rows.values()][0]!.state, 'cancelled');
  });

  test('an outer abort signal cancels too; failures keep their code', async () => {
    const { store } = memoryStore();
    const runner = new TaskRunner(store, () => undefined);
    const ac = new AbortController();
    const p = runner.run('x', null, { signal: ac.signal }, (t) => new Promise((_, reject) => t.signal.addEventListener('abort', () => reject(new Error('x')))));
    ac.abort();
    await assert.rejects(p, (e: unknown) => e instanceof HangarError && e.code === 'CANCELLED');
    await assert.rejects(
      runner.run('y', null, {}, async () => {
        throw new HangarError('DISK_FULL', 'not enough space on /tmp');
      }),
      (e: unknown) => e instanceof HangarError && e.code === 'DISK_FULL',
    );
  });

  test('one task per VM at a time', async () => {
    const { store } = memoryStore();
    const runner = new TaskRunner(store, () => undefined);
    let release!: () => void;
    const first = runner.run('snapshot', { id: 'vm1', name: 'one' }, {}, () => new Promise<void>((r) => (release = r)));
    await assert.rejects(
      runner.run('delete', { id: 'vm1', name: 'one' }, {}, async () => undefined),
      (e: unknown) => e instanceof HangarError && e.code === 'STATE_CONFLICT' && /busy with another operation \(snapshot\)/.test(e.message),
    );
    await runner.run('other', { id: 'vm2', name: 'two' }, {}, async () => undefined);
    release();
    await first;
    await runner.run('delete', { id: 'vm1', name: 'one' }, {}, async () => undefined);
  });
});

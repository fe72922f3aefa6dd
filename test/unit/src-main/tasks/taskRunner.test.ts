import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskRunner, busyMessage, type TaskStore } from '../../../../src-main/tasks/taskRunner.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import type { TaskInfo } from '../../../../src-main/api/contract.js';

function memoryStore() {
  const rows = new Map<string, { state: string; progress: number; phase?: string | null; error?: string | null; subject?: string | null; outcome?: string | null }>();
  const store: TaskStore = {
    create: (t) => rows.set(t.id, { state: 'running', progress: 0, subject: t.subject ?? null }),
    update: (id, p) => Object.assign(rows.get(id)!, p),
    finish: (id, state, error, outcome) => Object.assign(rows.get(id)!, { state, error, outcome: outcome ?? null }),
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

  test('when the history cannot be written (a full disk), the operation\'s own outcome stands', async () => {
    const full = () => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    };
    const store: TaskStore = { create: () => undefined, update: full, finish: full };
    const runner = new TaskRunner(store, () => undefined);
    const ok = await runner.run('vm.clone.full', { id: 'vm1', name: 'one' }, {}, async (t) => {
      t.phase('copying');
      t.progress(0.5);
      return 'done';
    });
    assert.equal(ok, 'done');
    await assert.rejects(
      runner.run('vm.clone.full', { id: 'vm1', name: 'one' }, {}, async () => {
        throw new HangarError('QEMU_FAILED', 'qemu-img said no');
      }),
      (e: unknown) => e instanceof HangarError && e.code === 'QEMU_FAILED' && e.message === 'qemu-img said no',
    );
    assert.equal(runner.busy('vm1'), undefined, 'the VM is free again');
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
      (e: unknown) => e instanceof HangarError && e.code === 'STATE_CONFLICT' && /^VM 'one' is busy with snapshot \(snapshot, 0% done\): try again/.test(e.message),
    );
    await runner.run('other', { id: 'vm2', name: 'two' }, {}, async () => undefined);
    release();
    await first;
    await runner.run('delete', { id: 'vm1', name: 'one' }, {}, async () => undefined);
  });

  test('a task holds the other VMs it reads; they are free again when it ends, however it ends', async () => {
    const { store } = memoryStore();
    const runner = new TaskRunner(store, () => undefined);
    const source = { id: 'src', name: 'source' };
    let fail!: (e: Error) => void;
    const clone = runner.run('vm.clone.full', { id: 'new', name: 'copy' }, { holds: [source] }, (t) => {
      t.progress(0.5);
      return new Promise<void>((_, reject) => (fail = reject));
    });
    assert.equal(runner.busy('src')?.kind, 'vm.clone.full');
    assert.throws(
      () => runner.assertFree(source),
      (e: unknown) => e instanceof HangarError && e.code === 'STATE_CONFLICT' && e.message === "VM 'source' is busy being copied into its clone 'copy' (vm.clone.full, 50% done): try again when it has finished",
    );
    await assert.rejects(runner.run('snapshot.restore', source, {}, async () => undefined), /VM 'source' is busy being copied into its clone 'copy'/);
    // A task that holds a busy VM does not start, and holds nothing.
    await assert.rejects(runner.run('appliance.export', null, { holds: [{ id: 'other', name: 'other' }, source] }, async () => undefined), /VM 'source' is busy/);
    assert.equal(runner.busy('other'), undefined);
    fail(new Error('copy failed'));
    await assert.rejects(clone, /copy failed/);
    assert.equal(runner.busy('src'), undefined);
    assert.equal(runner.busy('new'), undefined);
    await runner.run('snapshot.restore', source, {}, async () => undefined);
  });

  test('busy messages say what the VM is doing', () => {
    const info = (kind: string, vm: string | null, progress = 0) => ({ kind, vm, progress });
    assert.equal(busyMessage('a', info('snapshot.take', 'a', 0.25)), "VM 'a' is busy taking a snapshot (snapshot.take, 25% done): try again when it has finished");
    assert.match(busyMessage('a', info('snapshot.delete', 'a')), /busy deleting a snapshot/);
    assert.match(busyMessage('a', info('snapshot.restore', 'a')), /busy restoring a snapshot/);
    assert.match(busyMessage('a', info('appliance.export', null)), /busy being exported/);
    assert.match(busyMessage('a b', info('vm.clone.linked', 'a b')), /^VM 'a b' is busy being created as a clone/);
    assert.match(busyMessage('a', info('vm.clone.linked', 'b')), /busy being copied into its clone 'b'/);
    assert.match(busyMessage('a', info('disk.trim', 'a')), /busy with disk\.trim \(disk\.trim, 0% done\)/);
  });

  test('a task carries its subject from the start and its outcome at the end', async () => {
    const { rows, store } = memoryStore();
    const events: TaskInfo[] = [];
    const runner = new TaskRunner(store, (i) => events.push(i));
    await runner.run('snapshot.take', { id: 'vm1', name: 'one' }, { subject: 'C-branch' }, async (t) => {
      t.outcome('taken with the running state');
    });
    assert.equal(events[0]!.subject, 'C-branch', 'the first event names the snapshot');
    assert.deepEqual({ subject: events.at(-1)!.subject, outcome: events.at(-1)!.outcome }, { subject: 'C-branch', outcome: 'taken with the running state' });
    const [row] = [...rows.values()];
    assert.deepEqual({ subject: row!.subject, outcome: row!.outcome, state: row!.state }, { subject: 'C-branch', outcome: 'taken with the running state', state: 'succeeded' });
    // A failed task has its error, not an outcome.
    await assert.rejects(
      runner.run('snapshot.take', { id: 'vm1', name: 'one' }, { subject: 'D' }, async (t) => {
        t.outcome('never said');
        throw new HangarError('DISK_FULL', 'no room');
      }),
    );
    assert.deepEqual({ outcome: events.at(-1)!.outcome, error: events.at(-1)!.error }, { outcome: null, error: 'no room' });
  });

  test('a task that only watches its VM (exclusive: false) lets other operations go ahead', async () => {
    const { store } = memoryStore();
    const runner = new TaskRunner(store, () => undefined);
    let release!: () => void;
    const watching = runner.run('vm.stop', { id: 'vm1', name: 'one' }, { exclusive: false }, () => new Promise<void>((r) => (release = r)));
    assert.equal(runner.busy('vm1'), undefined);
    assert.equal(runner.list()[0]!.vm, 'one', 'it is still shown with its VM');
    await runner.run('vm.save', { id: 'vm1', name: 'one' }, {}, async () => undefined);
    release();
    await watching;
  });
});

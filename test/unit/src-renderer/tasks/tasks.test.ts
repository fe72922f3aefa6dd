import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskInfo } from '../../../../src-renderer/api/apiTypes.js';
import { mergeTask, mergeTaskLists, runningCount, sortTasks, taskDetail, taskLabel, taskStateColor, taskStateLabel, taskTitle } from '../../../../src-renderer/tasks/tasks.js';

const task = (id: string, minute: number, over: Partial<TaskInfo> = {}): TaskInfo => ({
  id,
  kind: 'vm.create',
  vm: 'web',
  state: 'succeeded',
  progress: 1,
  phase: null,
  message: null,
  error: null,
  startedAt: `2026-01-01T10:${String(minute).padStart(2, '0')}:00.000Z`,
  finishedAt: null,
  ...over,
});

describe('task list', () => {
  test('running first, then newest first', () => {
    const sorted = sortTasks([task('a', 1), task('b', 5), task('c', 2, { state: 'running' })]);
    assert.deepEqual(sorted.map((t) => t.id), ['c', 'b', 'a']);
  });

  test('a progress event replaces its task or adds it, within the limit', () => {
    let list = [task('a', 1), task('b', 2)];
    list = mergeTask(list, task('c', 3, { state: 'running', progress: 0.2 }));
    assert.deepEqual(list.map((t) => [t.id, t.progress]), [['c', 0.2], ['b', 1], ['a', 1]]);
    list = mergeTask(list, task('c', 3, { state: 'running', progress: 0.7 }));
    assert.deepEqual(list.map((t) => [t.id, t.progress]), [['c', 0.7], ['b', 1], ['a', 1]]);
    list = mergeTask(list, task('c', 3, { state: 'failed', error: 'disk full' }));
    assert.deepEqual(list.map((t) => t.id), ['c', 'b', 'a']);
    assert.equal(mergeTask(list, task('d', 4), 2).length, 2);
    assert.equal(runningCount(list), 0);
  });

  test('a listing that still says running does not undo an event that saw the end', () => {
    const fromEvents = [task('x', 5, { state: 'succeeded' })];
    const listing = [task('x', 5, { state: 'running', progress: 0.5 }), task('y', 1)];
    const merged = mergeTaskLists(fromEvents, listing);
    assert.deepEqual(merged.map((t) => [t.id, t.state]), [['x', 'succeeded'], ['y', 'succeeded']]);
    // ...but a listing that finished wins over an older running event.
    const merged2 = mergeTaskLists([task('x', 5, { state: 'running' })], [task('x', 5, { state: 'failed' })]);
    assert.equal(merged2[0]!.state, 'failed');
  });

  test('labels for people', () => {
    assert.equal(taskTitle('vm.create'), 'Create VM');
    assert.equal(taskTitle('vm.start'), 'Start');
    assert.equal(taskTitle('vm.clone.linked'), 'Linked clone');
    assert.equal(taskTitle('vm.clone.full'), 'Full clone');
    assert.equal(taskTitle('appliance.export'), 'Export appliance');
    assert.equal(taskTitle('something.new'), 'Something new', 'an unknown kind is made readable, not shown as an id');
    assert.deepEqual(['running', 'succeeded', 'failed', 'cancelled', 'interrupted'].map(taskStateLabel), ['Running', 'Done', 'Failed', 'Cancelled', 'Interrupted']);
    assert.deepEqual(['running', 'succeeded', 'failed', 'cancelled'].map(taskStateColor), ['info', 'success', 'error', 'warning']);
  });

  test('every kind the owner runs has a human title (no internal ids)', () => {
    for (const kind of ['vm.create', 'vm.modify', 'vm.start', 'vm.stop', 'vm.save', 'vm.import', 'vm.promote', 'vm.clone.full', 'vm.clone.linked', 'snapshot.take', 'snapshot.restore', 'snapshot.delete', 'appliance.export']) {
      const title = taskTitle(kind);
      assert.doesNotMatch(title, /\.|^[a-z]/, `${kind} → ${title}`);
    }
  });

  test('labels name the snapshot, the clone\'s source and the exported file', () => {
    assert.equal(taskLabel({ kind: 'vm.clone.full', vm: 'tg1-full', subject: 'tg1' }), 'Full clone of “tg1”: tg1-full');
    assert.equal(taskLabel({ kind: 'snapshot.take', vm: 'web', subject: 'C-branch' }), 'Take snapshot “C-branch”: web');
    assert.equal(taskLabel({ kind: 'appliance.export', vm: null, subject: 'web.ova' }), 'Export appliance “web.ova”');
    assert.equal(taskLabel({ kind: 'vm.start', vm: 'web', subject: null }), 'Start: web');
    assert.equal(taskLabel({ kind: 'vm.start', vm: 'web' }), 'Start: web', 'rows from before subjects existed');
  });

  test('a running task shows its step; a finished one its outcome, never its last step', () => {
    assert.equal(taskDetail(task('a', 1, { state: 'running', phase: 'converting', message: '40 %' })), 'converting: 40 %');
    assert.equal(taskDetail(task('a', 1, { state: 'running' })), '');
    const done = { phase: 'registering', message: 'copying disk0' };
    assert.equal(taskDetail(task('a', 1, { ...done, kind: 'vm.create' })), 'Created.');
    assert.equal(taskDetail(task('a', 1, { ...done, kind: 'vm.clone.full', vm: 'tg1-full', subject: 'tg1' })), 'Created “tg1-full” from “tg1”.');
    assert.equal(taskDetail(task('a', 1, { ...done, kind: 'snapshot.take', subject: 'C-branch' })), 'Snapshot “C-branch” taken.');
    assert.equal(taskDetail(task('a', 1, { ...done, kind: 'vm.stop', outcome: 'the guest shut down' })), 'The guest shut down.');
    assert.equal(taskDetail(task('a', 1, { ...done, state: 'failed', error: 'disk full' })), 'Disk full.');
    assert.equal(taskDetail(task('a', 1, { ...done, state: 'cancelled', error: 'vm.create was cancelled' })), 'Cancelled.');
    assert.equal(taskDetail(task('a', 1, { ...done, state: 'interrupted', error: null })), 'Interrupted.');
  });
});

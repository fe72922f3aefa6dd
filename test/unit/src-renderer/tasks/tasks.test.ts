import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskInfo } from '../../../../src-renderer/api/apiTypes.js';
import { mergeTask, mergeTaskLists, runningCount, sortTasks, taskDetail, taskStateColor, taskStateLabel, taskTitle } from '../../../../src-renderer/tasks/tasks.js';

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
    assert.equal(taskTitle('something.new'), 'something.new');
    assert.deepEqual(['running', 'succeeded', 'failed', 'cancelled', 'interrupted'].map(taskStateLabel), ['Running', 'Done', 'Failed', 'Cancelled', 'Interrupted']);
    assert.deepEqual(['running', 'succeeded', 'failed', 'cancelled'].map(taskStateColor), ['info', 'success', 'error', 'warning']);
    assert.equal(taskDetail(task('a', 1, { phase: 'converting', message: '40 %' })), 'converting: 40 %');
    assert.equal(taskDetail(task('a', 1, { phase: 'converting', error: 'disk full' })), 'disk full');
    assert.equal(taskDetail(task('a', 1)), '');
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TaskInfo, VmSummary } from '../../../../src-renderer/api/apiTypes.js';
import { nextStopCheck, unansweredStop, UNANSWERED_STOP_MS } from '../../../../src-renderer/vms/stopWatch.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const vm = (id: string, state: VmSummary['state']): VmSummary => ({ id, name: `vm-${id}`, state, osType: 'linux', accelerator: 'tcg', group: '/', tags: [], notes: '' });
const stopTask = (id: string, vmId: string, over: Partial<TaskInfo> = {}): TaskInfo => ({
  id,
  kind: 'vm.stop',
  vm: `vm-${vmId}`,
  vmId,
  state: 'running',
  progress: 0,
  phase: 'waiting for the guest to shut down',
  message: null,
  error: null,
  startedAt: new Date(T0).toISOString(),
  finishedAt: null,
  ...over,
});

test('a guest that has not acted on the power button for a while is asked about, once', () => {
  const vms = [vm('a', 'running')];
  const tasks = [stopTask('t1', 'a')];
  assert.equal(unansweredStop(tasks, vms, T0 + UNANSWERED_STOP_MS - 1, new Set()), null, 'not yet');
  const ask = unansweredStop(tasks, vms, T0 + UNANSWERED_STOP_MS + 2000, new Set());
  assert.deepEqual(ask && { task: ask.taskId, vm: ask.vm.id, seconds: ask.seconds }, { task: 't1', vm: 'a', seconds: 17 });
  assert.equal(unansweredStop(tasks, vms, T0 + 60_000, new Set(['t1'])), null, '"keep waiting" is not asked again');
});

test('nothing to ask when the guest went, the task ended, or it is another kind', () => {
  const late = T0 + 60_000;
  assert.equal(unansweredStop([stopTask('t1', 'a')], [vm('a', 'stopped')], late, new Set()), null);
  assert.equal(unansweredStop([stopTask('t1', 'a', { state: 'failed' })], [vm('a', 'running')], late, new Set()), null);
  assert.equal(unansweredStop([stopTask('t1', 'a', { kind: 'vm.save' })], [vm('a', 'running')], late, new Set()), null);
  // a task from before ids were given finds its VM by name
  assert.equal(unansweredStop([stopTask('t1', 'a', { vmId: undefined })], [vm('a', 'running')], late, new Set())?.vm.id, 'a');
});

test('when to look again', () => {
  const tasks = [stopTask('t1', 'a')];
  assert.equal(nextStopCheck(tasks, T0 + 5000, new Set()), UNANSWERED_STOP_MS - 5000);
  assert.equal(nextStopCheck(tasks, T0 + 99_000, new Set()), 0);
  assert.equal(nextStopCheck(tasks, T0, new Set(['t1'])), null);
  assert.equal(nextStopCheck([], T0, new Set()), null);
});

// The tasks panel's list: the server's recent tasks merged with `task.progress` events.
import type { TaskInfo } from '../api/apiTypes.js';
import type { ChipColor } from '../vms/vmState.js';

export const TASK_LIST_LIMIT = 50;

export function isRunning(t: TaskInfo): boolean {
  return t.state === 'running';
}

/** Running tasks first, then the most recent; ties keep their order. */
export function sortTasks(tasks: readonly TaskInfo[]): TaskInfo[] {
  return [...tasks].sort((a, b) => Number(isRunning(b)) - Number(isRunning(a)) || b.startedAt.localeCompare(a.startedAt));
}

/** Replaces the task with the same id (or adds it), keeping at most `limit` entries. */
export function mergeTask(tasks: readonly TaskInfo[], t: TaskInfo, limit = TASK_LIST_LIMIT): TaskInfo[] {
  const others = tasks.filter((x) => x.id !== t.id);
  return sortTasks([t, ...others]).slice(0, limit);
}

/** Merges a fresh `tasks.list` with what events have already told (a newer running state wins). */
export function mergeTaskLists(current: readonly TaskInfo[], fetched: readonly TaskInfo[], limit = TASK_LIST_LIMIT): TaskInfo[] {
  const byId = new Map<string, TaskInfo>();
  for (const t of fetched) byId.set(t.id, t);
  for (const t of current) {
    const f = byId.get(t.id);
    // an event that saw the end is newer than a listing that still says running
    if (!f || (isRunning(f) && !isRunning(t))) byId.set(t.id, t);
  }
  return sortTasks([...byId.values()]).slice(0, limit);
}

export function runningCount(tasks: readonly TaskInfo[]): number {
  return tasks.filter(isRunning).length;
}

const TITLES: Record<string, string> = {
  'vm.create': 'Create VM',
  'vm.modify': 'Change settings',
  'vm.start': 'Start',
  'vm.stop': 'Stop',
  'vm.save': 'Save state',
  'vm.delete': 'Delete VM',
  'vm.clone': 'Clone',
  'vm.import': 'Import appliance',
  'vm.export': 'Export appliance',
  'snapshot.take': 'Take snapshot',
  'snapshot.delete': 'Delete snapshot',
  'snapshot.restore': 'Restore snapshot',
  'vm.install': 'Unattended installation',
  'image.add': 'Add to the image library',
};

/** A task kind for people: 'vm.create' → 'Create VM'; unknown kinds are shown as they are. */
export function taskTitle(kind: string): string {
  return TITLES[kind] ?? kind;
}

export function taskStateLabel(state: string): string {
  switch (state) {
    case 'running':
      return 'Running';
    case 'succeeded':
      return 'Done';
    case 'failed':
      return 'Failed';
    case 'cancelled':
      return 'Cancelled';
    case 'interrupted':
      return 'Interrupted';
    default:
      return state;
  }
}

export function taskStateColor(state: string): ChipColor {
  switch (state) {
    case 'running':
      return 'info';
    case 'succeeded':
      return 'success';
    case 'failed':
    case 'interrupted':
      return 'error';
    case 'cancelled':
      return 'warning';
    default:
      return 'default';
  }
}

/** The line under a task's title: its phase and message, or its error. */
export function taskDetail(t: TaskInfo): string {
  if (t.error) return t.error;
  return [t.phase, t.message].filter((s): s is string => !!s).join(': ');
}

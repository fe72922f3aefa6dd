// The tasks panel's list: the server's recent tasks merged with `task.progress` events.
import type { TaskInfo } from '../api/apiTypes.js';
import type { ChipColor } from '../vms/vmState.js';
import { localizeTimestamps } from '../components/format.js';

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
  'vm.stop': 'Shut down',
  'vm.save': 'Save state',
  'vm.delete': 'Delete VM',
  // the kinds the owner's task runner records (src-main: tasks.run(kind, …))
  'vm.clone.full': 'Full clone',
  'vm.clone.linked': 'Linked clone',
  'vm.promote': 'Promote to full clone',
  'vm.import': 'Import appliance',
  'appliance.export': 'Export appliance',
  'snapshot.take': 'Take snapshot',
  'snapshot.delete': 'Delete snapshot',
  'snapshot.restore': 'Restore snapshot',
  'vm.install': 'Unattended installation',
  'image.add': 'Add to the image library',
  'vm.migrate': 'Migrate to',
};

/**
 * A task kind for people: 'vm.create' → 'Create VM'; a kind this version does not know is made
 * readable ('disk.trim' → 'Disk trim') rather than shown as an id.
 */
export function taskTitle(kind: string): string {
  const known = TITLES[kind];
  if (known) return known;
  const words = kind.replace(/^vm\./, '').split(/[._-]+/).filter(Boolean).join(' ');
  return words ? words[0]!.toUpperCase() + words.slice(1) : kind;
}

/**
 * The task's name in the panel: what it does and to which VM, with its subject where it has one:
 * 'Take snapshot “C-branch”: web1', 'Full clone of “tg1”: tg1-full', 'Export appliance “web.ova”'.
 */
export function taskLabel(t: Pick<TaskInfo, 'kind' | 'vm' | 'subject'>): string {
  const title = taskTitle(t.kind);
  const subject = t.subject ?? null;
  const what = subject === null ? title : t.kind.startsWith('vm.clone') ? `${title} of “${subject}”` : `${title} “${subject}”`;
  return t.vm ? `${what}: ${t.vm}` : what;
}

function sentence(text: string): string {
  const t = localizeTimestamps(text.trim());
  if (t === '') return t;
  return t[0]!.toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.');
}

/** What a finished task that succeeded achieved, in a sentence, when the owner did not say. */
function successText(t: Pick<TaskInfo, 'kind' | 'vm' | 'subject'>): string {
  const s = t.subject ? `“${t.subject}”` : '';
  switch (t.kind) {
    case 'vm.create':
      return 'Created.';
    case 'vm.modify':
      return 'Settings saved.';
    case 'vm.start':
      return 'Started.';
    case 'vm.stop':
      return 'Shut down.';
    case 'vm.save':
      return 'State saved.';
    case 'vm.import':
      return 'Imported.';
    case 'appliance.export':
    case 'vm.export':
      return 'Exported.';
    case 'vm.clone.full':
    case 'vm.clone.linked':
    case 'vm.clone':
      return t.vm ? `Created “${t.vm}”${s ? ` from ${s}` : ''}.` : 'Cloned.';
    case 'vm.promote':
      return 'Now a full clone.';
    case 'snapshot.take':
      return s ? `Snapshot ${s} taken.` : 'Snapshot taken.';
    case 'snapshot.restore':
      return s ? `Restored ${s}.` : 'Restored.';
    case 'snapshot.delete':
      return s ? `Deleted ${s}.` : 'Deleted.';
    default:
      return 'Done.';
  }
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

/**
 * The line under a task's title: while it runs, its phase and progress message; once it has ended,
 * its outcome (what it achieved, or why it failed), never the last step it was at.
 */
export function taskDetail(t: TaskInfo): string {
  switch (t.state) {
    case 'running':
      return [t.phase, t.message].filter((s): s is string => !!s).join(': ');
    case 'succeeded':
      return t.outcome ? sentence(t.outcome) : successText(t);
    case 'cancelled':
      return 'Cancelled.';
    case 'failed':
    case 'interrupted':
      return t.error ? sentence(t.error) : t.state === 'failed' ? 'Failed.' : 'Interrupted.';
    default:
      return t.error ?? '';
  }
}

// A shutdown the guest does not answer (pure): the interface asks whether to power the VM off once
// the ACPI power button was pressed a while ago and the guest is still there. Derived from the
// owner's 'vm.stop' tasks, so it holds across page reloads and for shutdowns asked by the CLI.
import type { TaskInfo, VmSummary } from '../api/apiTypes.js';

/** How long a guest gets to act on the power button before the interface asks. */
export const UNANSWERED_STOP_MS = 15_000;

export interface UnansweredStop {
  taskId: string;
  vm: VmSummary;
  /** seconds since the button was pressed */
  seconds: number;
}

/**
 * The first shutdown to ask about: a running 'vm.stop' task older than UNANSWERED_STOP_MS whose VM
 * still runs, and that the user has not already chosen to keep waiting for.
 */
export function unansweredStop(tasks: readonly TaskInfo[], vms: readonly VmSummary[], now: number, dismissed: ReadonlySet<string>, afterMs = UNANSWERED_STOP_MS): UnansweredStop | null {
  for (const t of tasks) {
    if (t.kind !== 'vm.stop' || t.state !== 'running' || dismissed.has(t.id)) continue;
    const age = now - Date.parse(t.startedAt);
    if (!(age >= afterMs)) continue;
    const vm = vms.find((v) => (t.vmId ? v.id === t.vmId : v.name === t.vm));
    if (!vm || (vm.state !== 'running' && vm.state !== 'paused')) continue;
    return { taskId: t.id, vm, seconds: Math.floor(age / 1000) };
  }
  return null;
}

/** When the next shutdown becomes one to ask about (ms from now), or null when none is pending. */
export function nextStopCheck(tasks: readonly TaskInfo[], now: number, dismissed: ReadonlySet<string>, afterMs = UNANSWERED_STOP_MS): number | null {
  let next: number | null = null;
  for (const t of tasks) {
    if (t.kind !== 'vm.stop' || t.state !== 'running' || dismissed.has(t.id)) continue;
    const due = Date.parse(t.startedAt) + afterMs - now;
    if (Number.isNaN(due)) continue;
    const wait = Math.max(0, due);
    if (next === null || wait < next) next = wait;
  }
  return next;
}

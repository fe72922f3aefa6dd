// Scheduled snapshots with retention, run by the owner while it runs: each VM's schedule takes a
// snapshot every period while the VM runs, through the snapshot service exactly as `snapshot take`
// (live, or disks-only and quiesced for a VM with shares), then prunes its own automatic snapshots
// beyond the number to keep with the same safe delete as `snapshot delete`. A VM busy with another task
// is skipped, and the skip is reported as a failed task saying why. The clock is injected (clock.ts).
import { HangarError, toHangarError } from '../../src-vmm/base/errors.js';
import { DisposableStore, type Disposable } from '../../src-vmm/base/disposable.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { SnapshotService } from '../snapshots/snapshotService.node.js';
import { busyMessage, type TaskRunner } from '../tasks/taskRunner.js';
import type { Clock } from './clock.js';
import type { Handlers } from '../../src-vmm/base/rpc.js';
import type { ScheduleInfo, scheduleApi } from './contract.js';
import { autoSnapshotName, formatDuration, isDue, keepProblem, nextRunAt, parseDuration, pruneList, type ScheduleRecord } from './schedule.js';

export interface SchedulerDeps {
  inventory: HangarInventory;
  snapshots: SnapshotService;
  tasks: TaskRunner;
  find: (ref: string) => VmRow;
  clock: Clock;
  log: (line: string) => void;
  changed: (vmId: string) => void;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class Scheduler implements Disposable {
  private timer: Disposable | undefined;
  private readonly running = new Map<string, Promise<void>>();
  private readonly store = new DisposableStore();
  private disposed = false;

  constructor(private readonly d: SchedulerDeps) {}

  /** Plans the first wake-up (an overdue schedule, after the owner was away, runs once at once). */
  start(): void {
    this.plan();
  }

  info(vmId: string): ScheduleInfo | null {
    const s = this.d.inventory.schedules.get(vmId);
    return s ? this.view(s) : null;
  }

  private view(s: ScheduleRecord): ScheduleInfo {
    return {
      every: formatDuration(s.everySeconds),
      everySeconds: s.everySeconds,
      keep: s.keep,
      setAt: iso(s.setAt),
      lastRunAt: s.lastRunAt === null ? null : iso(s.lastRunAt),
      lastResult: s.lastResult,
      nextRunAt: iso(nextRunAt(s)),
      automaticSnapshots: this.d.inventory.schedules.automatic(s.vmId).length,
    };
  }

  get(ref: string) {
    const vm = this.d.find(ref);
    return { id: vm.id, name: vm.name, schedule: this.info(vm.id) };
  }

  set(ref: string, every: string, keep: number) {
    const vm = this.d.find(ref);
    const d = parseDuration(every);
    if (!d.ok) throw invalid('every', d.message);
    const kp = keepProblem(keep);
    if (kp) throw invalid('keep', kp);
    this.d.inventory.schedules.put({ vmId: vm.id, everySeconds: d.seconds, keep, setAt: this.d.clock.now() });
    this.d.log(`vm=${vm.id} scheduled snapshots every ${formatDuration(d.seconds)}, keeping ${keep}`);
    this.d.changed(vm.id);
    this.plan();
    return this.get(vm.id);
  }

  off(ref: string) {
    const vm = this.d.find(ref);
    if (this.d.inventory.schedules.delete(vm.id)) this.d.log(`vm=${vm.id} scheduled snapshots off`);
    this.d.changed(vm.id);
    this.plan();
    return this.get(vm.id);
  }

  /** One timer, for the earliest schedule due (or none). */
  private plan(): void {
    this.timer?.dispose();
    this.timer = undefined;
    if (this.disposed) return;
    const pending = this.d.inventory.schedules.list().filter((s) => !this.running.has(s.vmId));
    if (pending.length === 0) return;
    const next = Math.min(...pending.map(nextRunAt));
    this.timer = this.d.clock.at(next, () => this.wake());
  }

  private wake(): void {
    const now = this.d.clock.now();
    for (const s of this.d.inventory.schedules.list()) {
      if (this.running.has(s.vmId) || !isDue(s, now)) continue;
      const run = this.runOnce(s, now)
        .catch((e: unknown) => this.d.log(`vm=${s.vmId} scheduled snapshot: ${toHangarError(e).message}`))
        .finally(() => {
          this.running.delete(s.vmId);
          this.plan();
        });
      this.running.set(s.vmId, run);
    }
    this.plan();
  }

  /** Resolves when the runs under way have ended (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  /** One due run: take, then prune; or skip, saying why. */
  private async runOnce(s: ScheduleRecord, now: number): Promise<void> {
    const vm = this.d.inventory.vms.get(s.vmId);
    if (!vm) return;
    const schedules = this.d.inventory.schedules;
    // The period counts from this run whatever happens, so a failing VM is not retried in a loop.
    if (!isActive(vm.state) || vm.state === 'starting' || vm.state === 'stopping') {
      schedules.recordRun(vm.id, now, `skipped at ${iso(now)}: the VM was ${vm.state} (automatic snapshots are taken while it runs)`);
      this.d.changed(vm.id);
      return;
    }
    schedules.recordRun(vm.id, now, `started at ${iso(now)}`);
    const name = autoSnapshotName(now, this.d.inventory.snapshots.listForVm(vm.id).map((x) => x.name));
    const how = `every ${formatDuration(s.everySeconds)}, keeping ${s.keep}`;
    try {
      await this.d.tasks.run('schedule.snapshot', vm, { exclusive: false, subject: name }, async (task) => {
        // Another task holds the VM (a snapshot, a clone, a save…): this period's snapshot is skipped.
        const other = this.d.tasks.busy(vm.id);
        if (other) throw new HangarError('STATE_CONFLICT', `scheduled snapshot skipped: ${busyMessage(vm.name, other)}`);
        task.phase('taking the snapshot');
        const snap = await this.d.snapshots.take(
          vm.id,
          { name, description: `Taken by the schedule (${how}).`, quiesce: 'auto' },
          { signal: task.signal, onProgress: (f, m) => task.progress(f * 0.5, m) },
        );
        schedules.markAutomatic(snap.id, vm.id, snap.name);
        const deleted: string[] = [];
        const failed: string[] = [];
        const prune = pruneList(schedules.automatic(vm.id), s.keep);
        for (const [i, old] of prune.entries()) {
          task.phase(`deleting '${old.name}' (keeping the last ${s.keep})`);
          try {
            await this.d.snapshots.delete(vm.id, old.id, { signal: task.signal, onProgress: (f, m) => task.progress(0.5 + ((i + f) / prune.length) * 0.5, m) });
            deleted.push(old.name);
          } catch (e) {
            if (task.signal.aborted) throw e;
            failed.push(`'${old.name}' (${toHangarError(e).message})`);
          }
        }
        const outcome = `took '${snap.name}'${deleted.length ? `; deleted ${deleted.map((n) => `'${n}'`).join(', ')}` : ''}${failed.length ? `; could not delete ${failed.join(', ')}` : ''}`;
        task.outcome(outcome);
        schedules.recordResult(vm.id, `${outcome} (${iso(now)})`);
      });
    } catch (e) {
      const message = toHangarError(e).message;
      schedules.recordResult(vm.id, `${message} (${iso(now)})`);
      this.d.log(`vm=${vm.id} ${message}`);
    } finally {
      this.d.changed(vm.id);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.timer?.dispose();
    this.store.dispose();
  }
}

function invalid(path: string, message: string): HangarError {
  return new HangarError('INVALID_INPUT', message, { details: { issues: [{ path, message }] } });
}

export function scheduleHandlers(s: Scheduler): Handlers<typeof scheduleApi> {
  return {
    'schedule.get': async ({ ref }) => s.get(ref),
    'schedule.set': async ({ ref, every, keep }) => s.set(ref, every, keep),
    'schedule.off': async ({ ref }) => s.off(ref),
  };
}

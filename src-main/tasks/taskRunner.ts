// Long operations as tasks: persisted with their phase and progress, cancellable, visible to every
// front end through `task.progress` events. One task per VM at a time (libvirt's job rule).
import { randomUUID } from 'node:crypto';
import { HangarError, toHangarError } from '../../src-vmm/base/errors.js';
import type { TaskInfo } from '../api/contract.js';

export interface TaskStore {
  create(t: { id: string; kind: string; vmId: string | null; vmName: string | null; startedAt: string; subject?: string | null }): void;
  update(id: string, patch: { progress?: number; phase?: string | null; message?: string | null }): void;
  finish(id: string, state: 'succeeded' | 'failed' | 'cancelled', error?: string | null, outcome?: string | null): void;
}

/** What a VM is doing while a task of each kind holds it, for the "VM 'x' is busy …" refusals. */
const ACTIVITIES: Record<string, string> = {
  'vm.create': 'being created',
  'vm.modify': 'being changed',
  'vm.start': 'starting',
  'vm.save': 'saving its state',
  'vm.import': 'being imported',
  'vm.promote': 'taking in the data of its base (promote)',
  'vm.clone.full': 'being created as a clone',
  'vm.clone.linked': 'being created as a clone',
  'snapshot.take': 'taking a snapshot',
  'snapshot.restore': 'restoring a snapshot',
  'snapshot.delete': 'deleting a snapshot',
  'appliance.export': 'being exported',
  'vm.stop': 'shutting down',
  'vm.install': 'installing its OS',
  'vm.migrate': 'migrating to another Hangar',
};

/**
 * The one line that refuses an operation on a VM while a task holds it: what the VM is busy with
 * and how far that is. A task may hold a VM other than its own (a clone holds its source).
 */
export function busyMessage(vmName: string, task: Pick<TaskInfo, 'kind' | 'vm' | 'progress'>): string {
  let what = ACTIVITIES[task.kind] ?? `with ${task.kind}`;
  if (task.kind.startsWith('vm.clone') && task.vm !== null && task.vm !== vmName) what = `being copied into its clone '${task.vm}'`;
  return `VM '${vmName}' is busy ${what} (${task.kind}, ${Math.round(task.progress * 100)}% done): try again when it has finished`;
}

export interface TaskContext {
  id: string;
  signal: AbortSignal;
  progress(fraction: number, message?: string): void;
  phase(name: string): void;
  /** how the task ended, in one sentence, when it succeeds (kept with the task for the Tasks panel) */
  outcome(text: string): void;
}

export class TaskRunner {
  private readonly running = new Map<string, { ac: AbortController; info: TaskInfo }>();
  private readonly busyVms = new Map<string, string>();

  constructor(
    private readonly store: TaskStore,
    private readonly emit: (info: TaskInfo) => void,
  ) {}

  list(): TaskInfo[] {
    return [...this.running.values()].map((r) => r.info);
  }

  cancel(id: string): void {
    const r = this.running.get(id);
    if (!r) throw new HangarError('NOT_FOUND', `no running task '${id}'`);
    r.ac.abort();
  }

  /** Whether a VM has a task running (its own, or one that holds it), and which. */
  busy(vmId: string): TaskInfo | undefined {
    const id = this.busyVms.get(vmId);
    return id ? this.running.get(id)?.info : undefined;
  }

  /** STATE_CONFLICT, saying with what, while a task holds the VM. */
  assertFree(vm: { id: string; name: string }): void {
    const other = this.busy(vm.id);
    if (other) throw new HangarError('STATE_CONFLICT', busyMessage(vm.name, other));
  }

  async run<T>(
    kind: string,
    vm: { id: string; name: string } | null,
    opts: {
      signal?: AbortSignal;
      onProgress?: (fraction: number, message?: string) => void;
      /** other VMs the task reads, held like its own so that nothing changes or deletes them meanwhile */
      holds?: { id: string; name: string }[];
      /** what the task is about besides its VM (a snapshot's name, a clone's source), shown with it */
      subject?: string;
      /**
       * false: the task only watches its VM (a shutdown waiting for the guest) and does not hold it,
       * so other operations (power off, pause, save) go ahead meanwhile. Default true.
       */
      exclusive?: boolean;
    },
    fn: (ctx: TaskContext) => Promise<T>,
  ): Promise<T> {
    const held = opts.exclusive === false ? [] : [...(vm ? [vm] : []), ...(opts.holds ?? [])];
    for (const v of held) this.assertFree(v);
    const id = randomUUID();
    const ac = new AbortController();
    const onOuterAbort = () => ac.abort();
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const info: TaskInfo = {
      id,
      kind,
      vm: vm?.name ?? null,
      vmId: vm?.id ?? null,
      state: 'running',
      progress: 0,
      phase: null,
      message: null,
      error: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      subject: opts.subject ?? null,
      outcome: null,
    };
    this.store.create({ id, kind, vmId: vm?.id ?? null, vmName: vm?.name ?? null, startedAt: info.startedAt, subject: opts.subject ?? null });
    this.running.set(id, { ac, info });
    for (const v of held) this.busyVms.set(v.id, id);
    this.emit({ ...info });
    let lastPersist = 0;
    let outcome: string | null = null;
    const ctx: TaskContext = {
      id,
      signal: ac.signal,
      progress: (fraction, message) => {
        info.progress = Math.max(0, Math.min(1, fraction));
        if (message !== undefined) info.message = message;
        opts.onProgress?.(info.progress, message);
        const now = Date.now();
        if (now - lastPersist > 250 || info.progress === 1) {
          lastPersist = now;
          persist(() => this.store.update(id, { progress: info.progress, message: info.message }));
          this.emit({ ...info });
        }
      },
      phase: (name) => {
        info.phase = name;
        persist(() => this.store.update(id, { phase: name }));
        this.emit({ ...info });
      },
      outcome: (text) => {
        outcome = text;
      },
    };
    try {
      const result = await fn(ctx);
      info.state = 'succeeded';
      info.progress = 1;
      info.outcome = outcome;
      persist(() => this.store.update(id, { progress: 1 }));
      persist(() => this.store.finish(id, 'succeeded', null, outcome));
      return result;
    } catch (e) {
      const he = ac.signal.aborted ? new HangarError('CANCELLED', `${kind} was cancelled`, { cause: e }) : toHangarError(e);
      info.state = he.code === 'CANCELLED' ? 'cancelled' : 'failed';
      info.error = he.message;
      persist(() => this.store.finish(id, info.state as 'failed' | 'cancelled', he.message));
      throw he;
    } finally {
      info.finishedAt = new Date().toISOString();
      opts.signal?.removeEventListener('abort', onOuterAbort);
      this.running.delete(id);
      for (const v of held) if (this.busyVms.get(v.id) === id) this.busyVms.delete(v.id);
      this.emit({ ...info });
    }
  }
}

/**
 * The task history is bookkeeping: when it cannot be written (a full disk), the operation's own
 * outcome stands and is what the caller hears. A row left 'running' is marked interrupted at the
 * next owner start.
 */
function persist(write: () => void): void {
  try {
    write();
  } catch {
    /* see above */
  }
}

// Long operations as tasks: persisted with their phase and progress, cancellable, visible to every
// front end through `task.progress` events. One task per VM at a time (libvirt's job rule).
import { randomUUID } from 'node:crypto';
import { HangarError, toHangarError } from '../../src-vmm/base/errors.js';
import type { TaskInfo } from '../api/contract.js';

export interface TaskStore {
  create(t: { id: string; kind: string; vmId: string | null; vmName: string | null; startedAt: string }): void;
  update(id: string, patch: { progress?: number; phase?: string | null; message?: string | null }): void;
  finish(id: string, state: 'succeeded' | 'failed' | 'cancelled', error?: string | null): void;
}

export interface TaskContext {
  id: string;
  signal: AbortSignal;
  progress(fraction: number, message?: string): void;
  phase(name: string): void;
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

  /** Whether a VM has a task running, and which. */
  busy(vmId: string): TaskInfo | undefined {
    const id = this.busyVms.get(vmId);
    return id ? this.running.get(id)?.info : undefined;
  }

  async run<T>(
    kind: string,
    vm: { id: string; name: string } | null,
    opts: { signal?: AbortSignal; onProgress?: (fraction: number, message?: string) => void },
    fn: (ctx: TaskContext) => Promise<T>,
  ): Promise<T> {
    if (vm) {
      const other = this.busy(vm.id);
      if (other) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is busy with another operation (${other.kind}); try again when it ends`);
    }
    const id = randomUUID();
    const ac = new AbortController();
    const onOuterAbort = () => ac.abort();
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const info: TaskInfo = {
      id,
      kind,
      vm: vm?.name ?? null,
      state: 'running',
      progress: 0,
      phase: null,
      message: null,
      error: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
    };
    this.store.create({ id, kind, vmId: vm?.id ?? null, vmName: vm?.name ?? null, startedAt: info.startedAt });
    this.running.set(id, { ac, info });
    if (vm) this.busyVms.set(vm.id, id);
    this.emit({ ...info });
    let lastPersist = 0;
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
          this.store.update(id, { progress: info.progress, message: info.message });
          this.emit({ ...info });
        }
      },
      phase: (name) => {
        info.phase = name;
        this.store.update(id, { phase: name });
        this.emit({ ...info });
      },
    };
    try {
      const result = await fn(ctx);
      info.state = 'succeeded';
      info.progress = 1;
      this.store.update(id, { progress: 1 });
      this.store.finish(id, 'succeeded');
      return result;
    } catch (e) {
      const he = ac.signal.aborted ? new HangarError('CANCELLED', `${kind} was cancelled`, { cause: e }) : toHangarError(e);
      info.state = he.code === 'CANCELLED' ? 'cancelled' : 'failed';
      info.error = he.message;
      this.store.finish(id, info.state as 'failed' | 'cancelled', he.message);
      throw he;
    } finally {
      info.finishedAt = new Date().toISOString();
      opts.signal?.removeEventListener('abort', onOuterAbort);
      this.running.delete(id);
      if (vm && this.busyVms.get(vm.id) === id) this.busyVms.delete(vm.id);
      this.emit({ ...info });
    }
  }
}

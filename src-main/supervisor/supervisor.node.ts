// The supervisor: one VMM host per running VM. It launches hosts through a fork adapter, connects to
// their sockets (also after an owner restart: re-attach), relays their events and cleans up after hosts
// that died.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DisposableStore, type Disposable } from '../../src-vmm/base/disposable.js';
import { HangarError } from '../../src-vmm/base/errors.js';
import { orAfter } from '../../src-vmm/base/events.js';
import { createClient, type Client, type CallOptions } from '../../src-vmm/base/rpc.js';
import { connectUnix } from '../../src-vmm/base/socketTransport.node.js';
import {
  hostApi,
  HostStatusFile,
  HostStateEvent,
  HostConsoleEvent,
  HostGuestEvent,
  HostSampleEvent,
  type GuestInfo,
  type HostApi,
  type HostSpec,
  type HostStatus,
} from '../../src-vmm/protocol/contract.js';
import type { VmState } from '../../src-vmm/protocol/states.js';
import { isProcessAlive } from '../owner/lock.node.js';
import { fileSize } from '../files/fileSize.node.js';
import type { VmPaths } from '../home.js';
import type { HostForker } from './fork.node.js';
import type { z } from 'zod';

export interface HostHandle {
  vmId: string;
  client: Client<HostApi>;
  status: HostStatus;
}

export interface SupervisorEvents {
  onState(vmId: string, state: VmState, reason: string | undefined, qemuPid: number | undefined): void;
  onConsole(vmId: string, data: string): void;
  /** the guest agent came, went, or said something new */
  onGuest?(vmId: string, info: GuestInfo): void;
  /** a performance sample (one a second while QEMU runs) */
  onSample?(vmId: string, sample: z.infer<typeof HostSampleEvent>): void;
}

/**
 * How long a start waits for the VM's previous host to be done: it stops its helpers (virtiofsd, swtpm),
 * frees its socket and closes its connections once its last replies went out (VmmHost.finish).
 */
const ENDING_HOST_WAIT_MS = 5_000;

export class Supervisor implements Disposable {
  private readonly hosts = new Map<string, HostHandle & { store: DisposableStore; terminal: boolean }>();
  /**
   * Hosts that reported their VM's end and are not done yet (stopping helpers, sending their last
   * replies): the promise settles when the host closes its connection, i.e. when it is done.
   */
  private readonly ending = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: {
      forker: HostForker;
      events: SupervisorEvents;
      log: (line: string) => void;
    },
  ) {}

  get(vmId: string): HostHandle | undefined {
    return this.hosts.get(vmId);
  }

  runningIds(): string[] {
    return [...this.hosts.keys()];
  }

  async call<K extends keyof HostApi & string>(
    vmId: string,
    m: K,
    input: z.input<HostApi[K]['input']>,
    opts?: CallOptions,
  ): Promise<z.output<HostApi[K]['output']>> {
    const h = this.hosts.get(vmId);
    if (!h) throw new HangarError('STATE_CONFLICT', 'the VM is not running');
    return h.client.call(m, input, opts);
  }

  /** Starts a VMM host for the VM and connects to it. */
  async launch(spec: HostSpec, paths: VmPaths): Promise<HostHandle> {
    if (this.hosts.has(spec.vmId)) throw new HangarError('STATE_CONFLICT', 'the VM already has a VMM host');
    // The VM's last host may still be finishing (a start right after a save or a stop): the new one
    // would find it on the VM's socket and give up. Wait for it to go, a few seconds at most.
    const previous = this.ending.get(spec.vmId);
    if (previous) {
      const gone = await orAfter(previous.then(() => true), ENDING_HOST_WAIT_MS, false);
      if (!gone) this.deps.log(`vm=${spec.vmId} the last VMM host had not exited after ${ENDING_HOST_WAIT_MS} ms; starting anyway`);
    }
    writeFileSync(paths.hostSpec, JSON.stringify(spec), { mode: 0o600 });
    // A fresh status file, so a stale one from the last run is never mistaken for this one.
    writeFileSync(paths.statusFile, JSON.stringify({ state: 'starting', hostPid: 0, updatedAt: new Date().toISOString() }));
    const logStart = fileSize(paths.hostLog);
    try {
      await this.deps.forker.fork(paths.hostSpec, paths.hostLog);
    } catch (e) {
      // The host says why in its log before it exits: the error carries that line.
      const why = hostFatalLine(paths.hostLog, logStart);
      if (why && e instanceof HangarError) throw new HangarError(e.code, `${e.message}: ${why}`, { cause: e });
      throw e;
    }
    const handle = await this.connect(spec.vmId, paths);
    if (!handle) throw new HangarError('QEMU_FAILED', `the VMM host did not answer; see ${paths.hostLog}`);
    return handle;
  }

  /** Connects to a host that is (perhaps) already running. Returns null when nobody answers. */
  async attach(vmId: string, paths: VmPaths): Promise<HostHandle | null> {
    if (!existsSync(paths.hostSocket)) return null;
    return this.connect(vmId, paths, 2_000);
  }

  private async connect(vmId: string, paths: VmPaths, timeoutMs = 10_000): Promise<HostHandle | null> {
    let transport;
    try {
      transport = await connectUnix(paths.hostSocket, { timeoutMs, retryUntilMs: timeoutMs });
    } catch {
      return null;
    }
    const client = createClient(transport, hostApi);
    const store = new DisposableStore();
    const entry = { vmId, client, status: undefined as unknown as HostStatus, store, terminal: false };
    let closed!: () => void;
    const gone = new Promise<void>((r) => (closed = r));
    store.add(
      client.onEvent((name, payload) => {
        if (name === 'host.state') {
          const ev = HostStateEvent.safeParse(payload);
          if (!ev.success) return;
          entry.status = { ...entry.status, state: ev.data.state, reason: ev.data.reason };
          if (['stopped', 'saved', 'aborted'].includes(ev.data.state)) {
            // The host is done: forget it now, so the VM can start again at once.
            // (The connection itself closes when the host exits, after its last replies.)
            entry.terminal = true;
            if (this.hosts.get(vmId) === entry) this.hosts.delete(vmId);
            if (!this.ending.has(vmId)) {
              this.ending.set(vmId, gone);
              void gone.then(() => this.ending.get(vmId) === gone && this.ending.delete(vmId));
            }
          }
          this.deps.events.onState(vmId, ev.data.state, ev.data.reason, ev.data.qemuPid);
        } else if (name === 'host.console') {
          const ev = HostConsoleEvent.safeParse(payload);
          if (ev.success) this.deps.events.onConsole(vmId, ev.data.data);
        } else if (name === 'host.sample') {
          const ev = HostSampleEvent.safeParse(payload);
          if (ev.success) this.deps.events.onSample?.(vmId, ev.data);
        } else if (name === 'host.guest') {
          const ev = HostGuestEvent.safeParse(payload);
          if (ev.success) this.deps.events.onGuest?.(vmId, ev.data);
        }
      }),
    );
    store.add(
      client.onClose(() => {
        closed();
        this.onHostGone(entry, paths);
      }),
    );
    try {
      entry.status = await client.call('host.status', {}, { timeoutMs: 10_000 });
    } catch {
      store.dispose();
      client.dispose();
      return null;
    }
    this.hosts.set(vmId, entry);
    // What the agent said before this owner connected (a re-attach).
    client.call('host.guestInfo', {}, { timeoutMs: 5_000 }).then(
      (info) => this.deps.events.onGuest?.(vmId, info),
      () => undefined,
    );
    return entry;
  }

  /** The host's connection closed: learn how the VM ended, and clean up after a dead host. */
  private onHostGone(entry: HostHandle & { store: DisposableStore; terminal: boolean }, paths: VmPaths): void {
    const { vmId } = entry;
    entry.store.dispose();
    entry.client.dispose();
    if (entry.terminal || this.hosts.get(vmId) !== entry) return;
    this.hosts.delete(vmId);
    const last = readStatusFile(paths.statusFile);
    if (last && ['stopped', 'saved', 'aborted'].includes(last.state)) {
      this.deps.events.onState(vmId, last.state, last.reason, undefined);
      return;
    }
    const reason = this.cleanUpOrphan(paths, last?.hostPid);
    this.deps.events.onState(vmId, 'aborted', reason, undefined);
  }

  /** After a host died: stop its QEMU (its only supervisor is gone) and say what happened. */
  cleanUpOrphan(paths: VmPaths, hostPid?: number): string {
    const qemuPid = readPid(paths.pidFile);
    let what = hostPid ? `the VMM host process (pid ${hostPid}) ended without reporting` : 'the VMM host process was gone';
    if (qemuPid && isQemu(qemuPid)) {
      try {
        process.kill(qemuPid, 'SIGKILL');
        what += `; its QEMU (pid ${qemuPid}) was stopped`;
      } catch {
        /* already gone */
      }
    }
    // Its helpers (virtiofsd, swtpm) end when QEMU does; any still there are stopped too.
    for (const pid of readStatusFile(paths.statusFile)?.helperPids ?? []) {
      if (!isHelper(pid)) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.deps.log(`vm=${paths.dir} ${what}`);
    return what;
  }

  /** Drops every connection without stopping any VM (the hosts live on). */
  dispose(): void {
    for (const [, h] of this.hosts) {
      h.terminal = true;
      h.store.dispose();
      h.client.dispose();
    }
    this.hosts.clear();
  }
}

/** The last `fatal:` line a VMM host wrote to its log from byte `from` on (without the stack), if any. */
export function hostFatalLine(logFile: string, from = 0): string | undefined {
  try {
    const text = readFileSync(logFile).subarray(from).toString('utf8');
    const tail = text.slice(-64 * 1024);
    const at = tail.lastIndexOf(' fatal: ');
    if (at < 0) return undefined;
    const line = tail.slice(at + ' fatal: '.length).split('\n')[0]!.trim();
    return line.replace(/^HangarError: /, '').slice(0, 500) || undefined;
  } catch {
    return undefined;
  }
}

export function readStatusFile(file: string): z.infer<typeof HostStatusFile> | null {
  try {
    const r = HostStatusFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

function readPid(file: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** Only ever signal a helper that really is one of Hangar's kinds (the pid may have been reused). */
function isHelper(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    return /virtiofsd|swtpm/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/** Only ever signal a process that really is a QEMU (the pid file may be stale and the pid reused). */
function isQemu(pid: number): boolean {
  if (!isProcessAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('qemu-system');
  } catch {
    return false;
  }
}

// The guest agent as the VM's host sees it: whether one answers (it follows QEMU's VSERPORT_CHANGE
// events for the agent's port, and asks QEMU whether the port is open when it starts or restores),
// what it says about the guest (host name, OS, addresses, refreshed while it answers), and what the
// host asks of it: run a command, shut down, freeze and thaw file systems, set the clock.
import { HangarError, isHangarError } from '../base/errors.js';
import { Emitter } from '../base/events.js';
import { QgaClient } from '../qga/client.node.js';
import { guestAddresses, osNameOf, shellStatus, type GuestFacts, type QgaExecStatus, type QgaInterface, type QgaOsInfo } from '../qga/protocol.js';
import type { QmpClient } from '../qmp/client.node.js';
import { AGENT_CHARDEV_ID, AGENT_PORT_ID } from '../qemu/devices.js';

export type AgentState = 'connected' | 'absent';
export interface GuestInfo extends GuestFacts {
  agent: AgentState;
}

/** How often the facts are asked again while an agent answers (addresses change: DHCP, new links). */
const REFRESH_MS = 10_000;
/** An agent that has just opened its port may need a moment before it answers. */
const CONNECT_ATTEMPTS = 8;
const CONNECT_SYNC_MS = 2_000;
const EXEC_POLL_MS = 100;

export class GuestAgent {
  private state: AgentState = 'absent';
  private facts: GuestFacts = { hostname: null, osName: null, ipAddresses: [] };
  private linux = true;
  private refreshTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<boolean> | undefined;
  private disposed = false;
  readonly changed = new Emitter<GuestInfo>();
  private readonly qga: QgaClient;

  constructor(
    socketPath: string,
    private readonly qmp: QmpClient,
    private readonly log: (line: string) => void,
  ) {
    this.qga = new QgaClient(socketPath, (l) => this.log(l));
    qmp.onEvent('VSERPORT_CHANGE', (d) => {
      if (d.id !== AGENT_PORT_ID) return;
      if (d.open) void this.connect();
      else this.setAbsent('the guest closed the agent port');
    });
  }

  info(): GuestInfo {
    return { agent: this.state, ...this.facts, ipAddresses: [...this.facts.ipAddresses] };
  }

  /** Looks whether the guest has the agent's port open (after a start or a restored state) and connects if so. */
  async probe(): Promise<void> {
    if (await this.portOpen()) await this.connect();
  }

  /**
   * Whether the guest has the agent's port open, as QEMU knows at once (virtio-serial tells it when a
   * program in the guest opens or closes the port); undefined when QEMU cannot be asked.
   */
  private async portOpen(): Promise<boolean | undefined> {
    try {
      const chardevs = await this.qmp.execute('query-chardev');
      return chardevs.find((c) => c.label === AGENT_CHARDEV_ID)?.['frontend-open'] === true;
    } catch (e) {
      this.log(`agent: cannot ask QEMU about the agent's port: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Connects (syncs) to an agent that has opened its port: a few tries, as it may still be starting. */
  private connect(): Promise<boolean> {
    this.connecting ??= (async () => {
      for (let i = 0; i < CONNECT_ATTEMPTS && !this.disposed; i++) {
        if (await this.qga.sync(CONNECT_SYNC_MS)) {
          const was = this.state;
          this.state = 'connected';
          if (was !== 'connected') this.log('agent: connected');
          await this.refresh();
          this.scheduleRefresh();
          return true;
        }
      }
      this.setAbsent('the agent did not answer');
      return false;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private setAbsent(why: string): void {
    clearTimeout(this.refreshTimer);
    if (this.state === 'absent') return;
    this.state = 'absent';
    this.log(`agent: absent (${why})`);
    this.changed.fire(this.info());
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    if (this.disposed || this.state !== 'connected') return;
    this.refreshTimer = setTimeout(() => void this.refresh().finally(() => this.scheduleRefresh()), REFRESH_MS);
    this.refreshTimer.unref();
  }

  /** Asks the guest for its facts; fires `changed` when anything differs. */
  async refresh(): Promise<void> {
    if (this.state !== 'connected') return;
    try {
      const host = await this.qga.execute<{ 'host-name': string }>('guest-get-host-name');
      const os = await this.qga.execute<QgaOsInfo>('guest-get-osinfo').catch(() => null);
      const ifs = await this.qga.execute<QgaInterface[]>('guest-network-get-interfaces').catch(() => []);
      this.linux = !(os?.id ?? '').startsWith('mswindows');
      const next: GuestFacts = { hostname: host['host-name'] ?? null, osName: osNameOf(os), ipAddresses: guestAddresses(ifs) };
      const was = JSON.stringify(this.facts);
      this.facts = next;
      if (JSON.stringify(next) !== was) this.changed.fire(this.info());
    } catch (e) {
      if (isHangarError(e) && (e.code === 'UNSUPPORTED' || e.code === 'TIMEOUT')) this.setAbsent(e.message);
      else this.log(`agent: asking for the guest's facts failed: ${(e as Error).message}`);
    }
  }

  /** Whether an agent answers right now (a sync round trip), connecting when it does. */
  async answers(timeoutMs = 3_000): Promise<boolean> {
    // Nothing in the guest has the port open (no agent installed or running): nothing can answer, and a
    // sync would only wait out its timeout (3 s on every live snapshot of such a guest, measured).
    if ((await this.portOpen()) === false) {
      this.setAbsent('the guest has not opened the agent port');
      return false;
    }
    if (await this.qga.sync(timeoutMs)) {
      if (this.state !== 'connected') await this.connect();
      return true;
    }
    this.setAbsent('the agent did not answer');
    return false;
  }

  private assertConnected(what: string): void {
    if (this.state !== 'connected') throw new HangarError('UNSUPPORTED', `no guest agent answers, so the guest cannot ${what}`, { details: { agent: 'absent' } });
  }

  /**
   * Runs a program in the guest (guest-exec with captured output) and waits for it to end. On a timeout or
   * a cancel the program is asked to stop (a kill through the agent, on Linux guests) and TIMEOUT or
   * CANCELLED says so; its pid is in the message.
   */
  async exec(
    o: { path: string; args: string[]; input?: string; timeoutMs: number },
    signal: AbortSignal,
  ): Promise<{ exitCode: number; signal: number | null; stdout: string; stderr: string; truncated: boolean }> {
    this.assertConnected('run a command');
    const { pid } = await this.qga.execute<{ pid: number }>('guest-exec', {
      path: o.path,
      arg: o.args,
      'capture-output': true,
      ...(o.input !== undefined ? { 'input-data': Buffer.from(o.input).toString('base64') } : {}),
    });
    const deadline = Date.now() + o.timeoutMs;
    for (;;) {
      const st = await this.qga.execute<QgaExecStatus>('guest-exec-status', { pid }, { timeoutMs: 30_000 });
      if (st.exited) {
        return {
          exitCode: shellStatus(st),
          signal: st.signal ?? null,
          stdout: st['out-data'] ?? '',
          stderr: st['err-data'] ?? '',
          truncated: Boolean(st['out-truncated'] || st['err-truncated']),
        };
      }
      if (signal.aborted || Date.now() > deadline) {
        await this.stopProcess(pid);
        if (signal.aborted) throw new HangarError('CANCELLED', `stopped waiting for the command (guest pid ${pid}); it was asked to end`);
        throw new HangarError('TIMEOUT', `the command did not finish within ${Math.round(o.timeoutMs / 1000)} s (guest pid ${pid}); it was asked to end`);
      }
      await new Promise((r) => setTimeout(r, EXEC_POLL_MS));
    }
  }

  /** The agent has no command to end a process: on a Linux guest, it runs kill. */
  private async stopProcess(pid: number): Promise<void> {
    if (!this.linux) return;
    try {
      await this.qga.execute('guest-exec', { path: 'kill', arg: ['-KILL', String(pid)] });
    } catch (e) {
      this.log(`agent: could not end guest process ${pid}: ${(e as Error).message}`);
    }
  }

  /** Asks the guest to power off (guest-shutdown, which answers nothing when it works). */
  async shutdown(): Promise<void> {
    this.assertConnected('be asked to shut down');
    await this.qga.execute('guest-shutdown', { mode: 'powerdown' }, { noReply: true });
    this.log('agent: asked the guest to power off');
  }

  /** Freezes the guest's file systems; returns how many. The guest must be running (the agent runs in it). */
  async freeze(timeoutMs: number): Promise<number> {
    this.assertConnected('freeze its file systems');
    return this.qga.execute<number>('guest-fsfreeze-freeze', undefined, { timeoutMs });
  }

  /** Thaws the guest's file systems (also after restoring a state taken while they were frozen). */
  async thaw(): Promise<number> {
    return this.qga.execute<number>('guest-fsfreeze-thaw', undefined, { timeoutMs: 30_000 });
  }

  /** After a restored state, the file systems are as frozen as when it was taken: thaw them if so. */
  async thawIfFrozen(): Promise<boolean> {
    const status = await this.qga.execute<'thawed' | 'frozen'>('guest-fsfreeze-status', undefined, { timeoutMs: 10_000 });
    if (status !== 'frozen') return false;
    await this.thaw();
    this.log('agent: thawed file systems frozen in a restored state');
    return true;
  }

  /** Sets the guest's clock to this host's time (after a pause, a restore or a resume it is behind). */
  async setTime(): Promise<void> {
    const ns = BigInt(Date.now()) * 1_000_000n;
    // The agent's time argument is an int64 of nanoseconds: written as a bare number, not a string.
    await this.qga.execute('guest-set-time', { time: Number(ns) }, { timeoutMs: 10_000 });
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.refreshTimer);
    this.qga.dispose();
  }
}

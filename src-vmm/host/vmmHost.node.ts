// The VMM host: one process per running VM. It spawns QEMU, owns its QMP connection and serial
// console, runs the lifecycle state machine and serves the host contract on <vm>/run/host.sock.
// It outlives the owner that started it, so a new owner can re-attach.
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync, fsyncSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DisposableStore, toDisposable } from '../base/disposable.js';
import { HangarError, toHangarError } from '../base/errors.js';
import { Emitter, waitForEvent } from '../base/events.js';
import { serve, type ConnectionContext, type Handlers } from '../base/rpc.js';
import { listenUnix } from '../base/socketTransport.node.js';
import { QmpClient } from '../qmp/client.node.js';
import { localMigrationParameters, snapshotTransaction, topNodeOf } from '../qmp/block.js';
import { freeNicPort, hostfwdAddCommand, hostfwdRemoveCommand, netdevId, netdevProps, nicDeviceProps } from '../qemu/devices.js';
import { hostApi, type HostSpec, type HostStatus, type HostStatusFile } from '../protocol/contract.js';
import type { VmState } from '../protocol/states.js';
import { BlockJobs } from './blockJobs.node.js';
import { checkAction, finalState, type HostAction } from './lifecycle.js';
import { SerialLog } from './serialLog.node.js';

const QMP_CONNECT_TIMEOUT_MS = 60_000;
/** How long a guest may take to release an unplugged card (ACPI or PCIe hot-plug, a few seconds under TCG). */
const NIC_UNPLUG_TIMEOUT_MS = 30_000;
const POWERDOWN_REVERT_MS = 120_000;
const STDERR_TAIL_LINES = 20;

export class VmmHost {
  private readonly store = new DisposableStore();
  private state: VmState = 'starting';
  private reason: string | undefined;
  private qemu: ChildProcess | undefined;
  private readonly qmp: QmpClient;
  private readonly blockJobs: BlockJobs;
  private serialSocket: Socket | undefined;
  private serialLog: SerialLog | undefined;
  private readonly clients = new Set<ConnectionContext>();
  private readonly stateChanged = new Emitter<VmState>();
  /** resolved by host.boot: QEMU waits in prelaunch until the owner has subscribed to the console */
  private readonly bootGate: Promise<void>;
  private openBootGate!: () => void;
  private readonly startedAt = new Date().toISOString();
  private shutdownEvent: { guest: boolean; reason: string } | null = null;
  private saveCompleted = false;
  private powerOffRequested = false;
  private qmpReady = false;
  private powerdownTimer: NodeJS.Timeout | undefined;
  private exited = false;
  /** q35: the root port each card sits on (cards plugged in later take free ones) */
  private readonly nicPorts: { used: Record<string, string>; count: number } | undefined;
  /** cards were plugged in or out since the launch: a saved state would not match the next launch's devices */
  private cardsChanged = false;
  private readonly exitPromise: Promise<void>;
  private resolveExit!: () => void;

  constructor(
    private readonly spec: HostSpec,
    private readonly log: (line: string) => void,
  ) {
    this.qmp = new QmpClient({ log: (l) => this.log(`qmp: ${l}`) });
    this.blockJobs = new BlockJobs(this.qmp, (l) => this.log(`block jobs: ${l}`));
    this.exitPromise = new Promise((r) => (this.resolveExit = r));
    this.bootGate = new Promise((r) => (this.openBootGate = r));
    this.nicPorts = spec.nicPorts ? { used: { ...spec.nicPorts.used }, count: spec.nicPorts.count } : undefined;
  }

  /** Resolves when QEMU has exited and the final state is recorded. */
  get exited$(): Promise<void> {
    return this.exitPromise;
  }

  status(): HostStatus {
    return {
      vmId: this.spec.vmId,
      state: this.state,
      ...(this.reason ? { reason: this.reason } : {}),
      hostPid: process.pid,
      ...(this.qemu?.pid ? { qemuPid: this.qemu.pid } : {}),
      accelerator: this.spec.accelerator,
      startedAt: this.startedAt,
    };
  }

  async run(onListening: () => void): Promise<void> {
    const server = await listenUnix(this.spec.hostSocket, (transport) => {
      this.store.add(
        serve(hostApi, this.handlers(), transport, {
          onConnection: (conn) => {
            this.clients.add(conn);
            conn.resources.add(toDisposable(() => this.clients.delete(conn)));
          },
          log: this.log,
        }),
      );
    });
    this.store.add(server);
    this.writeStatusFile();
    onListening();
    try {
      await this.launch();
    } catch (e) {
      this.log(`launch failed: ${(e as Error).message}`);
      this.killQemu();
    }
    await this.exitPromise;
  }

  private async launch(): Promise<void> {
    const { spec } = this;
    for (const s of [spec.qmpSocket, spec.serialSocket, spec.pidFile]) if (s) rmSync(s, { force: true });
    const logFd = openSync(spec.qemuLog, 'a', 0o600);
    // QEMU's output goes to a file, not a pipe: if this host dies, QEMU must not die of a broken pipe.
    // QEMU inherits the mask at fork: 0177 makes its sockets (QMP, serial, VNC), pid file and the
    // overlays it creates 0600, readable and writable by the user alone.
    const previousMask = process.umask(0o177);
    let child: ChildProcess;
    try {
      child = spawn(spec.qemu.binary, spec.qemu.argv, { env: spec.qemu.env, stdio: ['ignore', logFd, logFd] });
    } finally {
      process.umask(previousMask);
      closeSync(logFd);
    }
    this.qemu = child;
    child.on('error', (e) => {
      this.log(`cannot run ${spec.qemu.binary}: ${e.message}`);
      this.onQemuExit(null, null, `cannot run ${spec.qemu.binary}: ${e.message}`);
    });
    child.on('exit', (code, signal) => this.onQemuExit(code, signal));
    this.log(`qemu pid=${child.pid} started`);

    this.qmp.onEvent('STOP', () => {
      if (this.state === 'running') this.setState('paused');
    });
    this.qmp.onEvent('RESUME', () => {
      if (this.state === 'paused' || this.state === 'starting') this.setState('running');
    });
    this.qmp.onEvent('SHUTDOWN', (d) => {
      this.shutdownEvent = { guest: d.guest, reason: d.reason };
      if (this.state === 'running' || this.state === 'paused') this.setState('stopping');
    });
    this.qmp.onEvent('RESET', () => this.log('guest reset'));

    const qemuGone = new Promise<never>((_, reject) => {
      child.once('exit', () => reject(new HangarError('QEMU_FAILED', 'QEMU exited during start-up')));
      child.once('error', (e) => reject(new HangarError('QEMU_FAILED', e.message)));
    });
    qemuGone.catch(() => undefined);
    await Promise.race([this.qmp.connect(spec.qmpSocket, { timeoutMs: QMP_CONNECT_TIMEOUT_MS, retryUntilMs: QMP_CONNECT_TIMEOUT_MS }), qemuGone]);
    this.qmpReady = true;
    if (spec.serialSocket) await Promise.race([this.connectSerial(spec.serialSocket), qemuGone]);
    if (spec.incomingStateFile) await Promise.race([this.restoreState(spec.incomingStateFile), qemuGone]);
    // Unplugged cables, before the guest runs (QEMU has no launch option for a card's link).
    for (const nicId of spec.linkDown ?? []) await Promise.race([this.qmp.execute('set_link', { name: nicId, up: false }), qemuGone]);
    if (spec.waitForBoot) await Promise.race([this.bootGate, qemuGone]);
    if (this.exited) return;
    await this.qmp.execute('cont');
    if (this.state === 'starting') this.setState('running');
    if (spec.incomingStateFile) rmSync(spec.incomingStateFile, { force: true });
  }

  private connectSerial(path: string): Promise<void> {
    this.serialLog = new SerialLog(this.spec.serialLog, this.spec.serialLogMaxBytes);
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      sock.once('connect', () => {
        this.serialSocket = sock;
        resolve();
      });
      sock.once('error', (e) => reject(new HangarError('QEMU_FAILED', `cannot connect to the serial console: ${e.message}`)));
      sock.on('data', (chunk: Buffer) => {
        try {
          this.serialLog?.append(chunk);
        } catch (e) {
          this.log(`serial log write failed: ${(e as Error).message}`);
        }
        const data = chunk.toString('base64');
        for (const c of this.clients) c.emit('host.console', { data });
      });
      sock.on('close', () => (this.serialSocket = undefined));
    });
  }

  /** Feeds a saved state file into a QEMU that waits with -incoming defer. */
  private async restoreState(file: string): Promise<void> {
    if (!existsSync(file)) throw new HangarError('NOT_FOUND', `the saved state ${file} is missing`);
    const uri = `${this.spec.runDir}/incoming.sock`;
    rmSync(uri, { force: true });
    await this.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
    const done = this.qmp.waitForEvent('MIGRATION', (d) => d.status === 'completed' || d.status === 'failed', { timeoutMs: 600_000 });
    await this.qmp.execute('migrate-incoming', { uri: `unix:${uri}` });
    const sock = await connectWithRetry(uri, 10_000);
    createReadStream(file).pipe(sock);
    const ev = await done;
    if (ev.status !== 'completed') throw new HangarError('QEMU_FAILED', 'QEMU could not load the saved state');
    this.log('saved state restored');
  }

  private handlers(): Handlers<typeof hostApi> {
    const guard = (a: HostAction) => checkAction(this.state, a);
    return {
      'host.status': async () => this.status(),
      'host.boot': async () => {
        guard('boot');
        this.openBootGate();
        if (this.state === 'starting') {
          await waitForEvent(this.stateChanged.event, (s) => s !== 'starting', { timeoutMs: 600_000, what: 'the VM to run' });
        }
        return this.status();
      },
      'host.powerdown': async () => {
        guard('powerdown');
        await this.qmp.execute('system_powerdown');
        this.setState('stopping', 'ACPI power button pressed');
        clearTimeout(this.powerdownTimer);
        this.powerdownTimer = setTimeout(() => {
          if (this.state === 'stopping' && !this.exited && !this.powerOffRequested && !this.shutdownEvent) {
            this.setState('running', 'the guest ignored the ACPI power button');
          }
        }, POWERDOWN_REVERT_MS);
        return null;
      },
      'host.powerOff': async () => {
        guard('powerOff');
        this.powerOffRequested = true;
        if (this.qmpReady) {
          try {
            await this.qmp.execute('quit', undefined, { timeoutMs: 5_000 });
          } catch {
            this.killQemu();
          }
        } else this.killQemu();
        const t = setTimeout(() => this.killQemu(), 10_000);
        await this.exitPromise;
        clearTimeout(t);
        return null;
      },
      'host.pause': async () => {
        guard('pause');
        await this.qmp.execute('stop');
        this.setState('paused');
        return null;
      },
      'host.resume': async () => {
        guard('resume');
        await this.qmp.execute('cont');
        this.setState('running');
        return null;
      },
      'host.reset': async () => {
        guard('reset');
        await this.qmp.execute('system_reset');
        return null;
      },
      'host.save': async (_input, ctx) => {
        guard('save');
        this.assertSavable();
        await this.save(ctx.signal, (f) => ctx.progress({ fraction: f, message: 'saving the machine state' }));
        return null;
      },
      'host.snapshotLive': async (input, ctx) => {
        guard('snapshotLive');
        this.assertSavable();
        const r = await this.snapshotLive(input, ctx.signal, (f) => ctx.progress({ fraction: f, message: 'saving the running state' }));
        return { ...r, pauseMs: Math.round(this.lastPauseMs) };
      },
      'host.switchBack': async ({ disks }) => {
        guard('switchBack');
        return this.blockJobs.switchBack(disks);
      },
      'host.blockStream': async ({ image, base }, ctx) => {
        guard('blockStream');
        return this.blockJobs.stream(image, base, { signal: ctx.signal, progress: (f) => ctx.progress({ fraction: f, message: 'merging' }) });
      },
      'host.openImages': async () => {
        guard('openImages');
        return { images: await this.blockJobs.openImages() };
      },
      'host.screendump': async ({ file }) => {
        guard('screendump');
        await this.qmp.execute('screendump', { filename: file, format: 'png' });
        return null;
      },
      'host.nicAdd': async ({ nic, attachment }) => {
        guard('nicAdd');
        const bus = this.nicPorts ? freeNicPort(Object.values(this.nicPorts.used), this.nicPorts.count) : undefined;
        if (this.nicPorts && !bus) throw new HangarError('STATE_CONFLICT', 'every PCIe port for network cards is taken');
        await this.qmp.execute('netdev_add', netdevProps(nic, attachment));
        try {
          await this.qmp.execute('device_add', nicDeviceProps(nic, { pxe: false, ...(bus ? { bus } : {}) }));
        } catch (e) {
          await this.qmp.execute('netdev_del', { id: netdevId(nic.id) }).catch(() => undefined);
          throw e;
        }
        if (bus && this.nicPorts) this.nicPorts.used[nic.id] = bus;
        this.cardsChanged = true;
        if (nic.linkUp === false) await this.qmp.execute('set_link', { name: nic.id, up: false });
        this.log(`network card ${nic.id} plugged in${bus ? ` on ${bus}` : ''}`);
        return null;
      },
      'host.nicRemove': async ({ nicId }) => {
        guard('nicRemove');
        // Listen first: the guest may release the card before device_del's reply arrives.
        const gone = this.qmp.waitForEvent('DEVICE_DELETED', (d) => d.device === nicId, { timeoutMs: NIC_UNPLUG_TIMEOUT_MS });
        gone.catch(() => undefined);
        await this.qmp.execute('device_del', { id: nicId });
        try {
          await gone;
        } catch {
          throw new HangarError('TIMEOUT', `the guest did not release network card ${nicId} within ${NIC_UNPLUG_TIMEOUT_MS / 1000} s (it goes when the guest lets it go, or at the next stop)`);
        }
        this.cardsChanged = true;
        if (this.nicPorts) delete this.nicPorts.used[nicId];
        await this.qmp.execute('netdev_del', { id: netdevId(nicId) });
        this.log(`network card ${nicId} unplugged`);
        return null;
      },
      'host.nicLink': async ({ nicId, up }) => {
        guard('nicLink');
        await this.qmp.execute('set_link', { name: nicId, up });
        return null;
      },
      'host.nicForwards': async ({ nicId, add, remove }) => {
        guard('nicForwards');
        // HMP reports as text: hostfwd_add says nothing unless it failed; hostfwd_remove always says
        // whether the rule was 'removed' (a rule already gone is no failure).
        const hmp = async (command: string, fine: (said: string) => boolean) => {
          const said = (await this.qmp.execute('human-monitor-command', { 'command-line': command })).trim();
          if (!fine(said)) throw new HangarError('QEMU_FAILED', `${command}: ${said}`);
          if (said) this.log(`${command}: ${said}`);
        };
        for (const f of remove) await hmp(hostfwdRemoveCommand(nicId, f), (said) => /removed|not found/.test(said));
        for (const f of add) await hmp(hostfwdAddCommand(nicId, f), (said) => said === '');
        return null;
      },
      'host.consoleWrite': async ({ data }) => {
        guard('consoleWrite');
        const sock = this.serialSocket;
        if (!sock) throw new HangarError('STATE_CONFLICT', 'this VM has no serial console');
        await new Promise<void>((resolve, reject) => sock.write(data, (e) => (e ? reject(e) : resolve())));
        return null;
      },
    };
  }

  private assertSavable(): void {
    if (this.cardsChanged) {
      throw new HangarError('STATE_CONFLICT', 'network cards were plugged in or out while this VM runs, so a saved state would not fit its next start: shut it down and start it again first');
    }
  }

  /** Saves the state and quits QEMU: the VM ends 'saved'. */
  private async save(signal: AbortSignal, progress: (f: number) => void): Promise<void> {
    const wasRunning = this.state === 'running';
    this.setState('stopping', 'saving the machine state');
    try {
      if (wasRunning) await this.qmp.execute('stop');
      await this.migrateToFile(this.spec.saveStateFile, signal, progress);
      this.saveCompleted = true;
      progress(1);
      await this.qmp.execute('quit').catch(() => undefined);
      await this.exitPromise;
    } catch (e) {
      if (!this.exited) {
        if (wasRunning) await this.qmp.execute('cont').catch(() => undefined);
        this.setState(wasRunning ? 'running' : 'paused');
      }
      throw toHangarError(e);
    }
  }

  /**
   * A live snapshot: the guest pauses, every disk switches to its new overlay in one transaction (so the
   * frozen images hold one point in time), the RAM and device state go to a file, and the guest resumes.
   */
  private async snapshotLive(
    input: { disks: { diskId: string; overlay: string }[]; stateFile: string; thumbnail?: string },
    signal: AbortSignal,
    progress: (f: number) => void,
  ): Promise<{ pauseMs: number; stateSaved: boolean; stateError?: string; thumbnail: boolean }> {
    let thumbnail = false;
    if (input.thumbnail) {
      try {
        await this.qmp.execute('screendump', { filename: input.thumbnail, format: 'png' });
        thumbnail = true;
      } catch {
        /* no display: no thumbnail */
      }
    }
    const blocks = await this.qmp.execute('query-block');
    const switches = input.disks.map((d) => {
      const node = topNodeOf(blocks, d.diskId);
      if (!node) throw new HangarError('QEMU_FAILED', `QEMU has no block device for disk ${d.diskId}`);
      return { node, overlay: d.overlay, overlayNode: `s${randomBytes(6).toString('hex')}` };
    });
    const wasRunning = this.state === 'running';
    const t0 = performance.now();
    if (wasRunning) await this.qmp.execute('stop');
    try {
      await this.qmp.execute('transaction', snapshotTransaction(switches));
      let stateError: string | undefined;
      try {
        await this.migrateToFile(input.stateFile, signal, progress);
      } catch (e) {
        // The disks already switched: the snapshot stands, without its running state. Say so.
        stateError = toHangarError(e).message;
      }
      return { pauseMs: 0, stateSaved: stateError === undefined, ...(stateError ? { stateError } : {}), thumbnail };
    } finally {
      if (wasRunning && !this.exited) await this.qmp.execute('cont').catch(() => undefined);
      const pauseMs = performance.now() - t0;
      this.lastPauseMs = pauseMs;
      if (wasRunning) this.setState('running');
    }
  }

  private lastPauseMs = 0;

  /** Migrates the (paused) VM's state into a file: written as .partial, fsynced, renamed. */
  private async migrateToFile(target: string, signal: AbortSignal, progress: (f: number) => void): Promise<void> {
    const partial = `${target}.partial`;
    const sockPath = `${this.spec.runDir}/migrate.sock`;
    rmSync(sockPath, { force: true });
    rmSync(partial, { force: true });
    let server: Server | undefined;
    // A failed write (a full disk) must end the migration at once: QEMU would otherwise block on
    // the stalled socket with the guest paused until the call timed out.
    let writeError: Error | undefined;
    try {
      const written = new Promise<void>((resolve, reject) => {
        const fail = (e: Error) => {
          writeError ??= e;
          reject(e);
        };
        server = createServer((sock) => {
          const out = createWriteStream(partial, { mode: 0o600 });
          sock.pipe(out);
          out.on('finish', () => resolve());
          out.on('error', (e) => {
            fail(e);
            sock.destroy();
          });
          sock.on('error', fail);
        });
        server.on('error', fail);
      });
      written.catch(() => undefined);
      await new Promise<void>((resolve, reject) => {
        server!.listen(sockPath, () => resolve());
        server!.once('error', reject);
      });
      // QEMU limits migration to 128 MiB/s by default (meant for networks); into a local file that
      // only lengthens the guest's pause. Measured: the limit made live snapshots 2.6-4.7x slower than savevm.
      await this.qmp.execute('migrate-set-parameters', localMigrationParameters());
      await this.qmp.execute('migrate', { uri: `unix:${sockPath}` });
      for (;;) {
        if (signal.aborted) {
          await this.qmp.execute('migrate_cancel').catch(() => undefined);
          throw new HangarError('CANCELLED', 'saving the state was cancelled');
        }
        if (writeError) {
          await this.qmp.execute('migrate_cancel').catch(() => undefined);
          throw toHangarError(writeError);
        }
        const info = await this.qmp.execute('query-migrate');
        if (info.status === 'completed') break;
        if (info.status === 'failed' || info.status === 'cancelled') {
          throw new HangarError('QEMU_FAILED', `saving the state failed: ${info['error-desc'] ?? info.status}`);
        }
        const total = info.ram?.total ?? 0;
        if (total > 0) progress(Math.min(0.99, (info.ram?.transferred ?? 0) / total));
        await new Promise((r) => setTimeout(r, 50));
      }
      await written;
      const fd = openSync(partial, 'r+');
      fsyncSync(fd);
      closeSync(fd);
      renameSync(partial, target);
    } catch (e) {
      rmSync(partial, { force: true });
      throw e;
    } finally {
      server?.close();
      rmSync(sockPath, { force: true });
    }
  }

  private setState(state: VmState, reason?: string): void {
    if (this.exited && !['stopped', 'saved', 'aborted'].includes(state)) return;
    this.state = state;
    this.reason = reason;
    this.log(`state ${state}${reason ? ` (${reason})` : ''}`);
    this.writeStatusFile();
    for (const c of this.clients) c.emit('host.state', { state, ...(reason ? { reason } : {}), ...(this.qemu?.pid ? { qemuPid: this.qemu.pid } : {}) });
    this.stateChanged.fire(state);
  }

  private writeStatusFile(): void {
    const body: HostStatusFile = {
      state: this.state,
      ...(this.reason ? { reason: this.reason } : {}),
      hostPid: process.pid,
      ...(this.qemu?.pid ? { qemuPid: this.qemu.pid } : {}),
      updatedAt: new Date().toISOString(),
    };
    const tmp = `${this.spec.statusFile}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(body));
      renameSync(tmp, this.spec.statusFile);
    } catch (e) {
      // A full disk must not stop the state machine: connected owners get the event regardless.
      this.log(`cannot write the status file: ${(e as Error).message}`);
      rmSync(tmp, { force: true });
    }
  }

  private killQemu(): void {
    if (this.qemu && this.qemu.exitCode === null && this.qemu.signalCode === null) this.qemu.kill('SIGKILL');
  }

  private onQemuExit(code: number | null, signal: NodeJS.Signals | null, launchError?: string): void {
    if (this.exited) return;
    this.exited = true;
    clearTimeout(this.powerdownTimer);
    const stderrTail = launchError ? [launchError] : readTail(this.spec.qemuLog, STDERR_TAIL_LINES);
    const end = finalState({
      code,
      signal,
      shutdown: this.shutdownEvent,
      saveCompleted: this.saveCompleted,
      powerOffRequested: this.powerOffRequested,
      launchFailed: !this.qmpReady,
      stderrTail,
    });
    this.log(`qemu exited code=${code} signal=${signal}`);
    this.serialSocket?.destroy();
    this.serialLog?.close();
    this.qmp.disconnect().catch(() => undefined);
    this.setState(end.state, end.reason);
    for (const f of [this.spec.qmpSocket, this.spec.serialSocket, this.spec.pidFile]) if (f) rmSync(f, { force: true });
    this.resolveExit();
  }

  dispose(): void {
    this.store.dispose();
  }
}

function readTail(file: string, lines: number): string[] {
  try {
    const text = readFileSync(file, 'utf8');
    return text.split('\n').filter((l) => l.trim() !== '').slice(-lines);
  } catch {
    return [];
  }
}

function connectWithRetry(path: string, timeoutMs: number): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', (e) => {
        if (Date.now() > deadline) reject(e);
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export const HostArgs = z.tuple([z.string()]);

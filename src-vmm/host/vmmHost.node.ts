// The VMM host: one process per running VM. It spawns QEMU, owns its QMP connection and serial
// console, runs the lifecycle state machine and serves the host contract on <vm>/run/host.sock.
// It outlives the owner that started it, so a new owner can re-attach.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, createReadStream, createWriteStream, existsSync, openSync, closeSync, ftruncateSync, readFileSync, renameSync, rmSync, writeFileSync, fsyncSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DisposableStore, toDisposable } from '../base/disposable.js';
import { HangarError, toHangarError } from '../base/errors.js';
import { Emitter, orAfter, waitForEvent } from '../base/events.js';
import { serve, type ConnectionContext, type Handlers } from '../base/rpc.js';
import { listenUnix, type UnixServer } from '../base/socketTransport.node.js';
import { QmpClient } from '../qmp/client.node.js';
import { localMigrationParameters, snapshotTransaction, topNodeOf } from '../qmp/block.js';
import { blockNodeNames, freeNicPort, hostfwdAddCommand, hostfwdRemoveCommand, netdevId, netdevProps, nicDeviceProps, usbDeviceProps, usbStorageBlockdevs } from '../qemu/devices.js';
import { hostApi, type GuestInfo, type HostSpec, type HostStatus, type HostStatusFile, type QuiesceMode } from '../protocol/contract.js';
import type { VmState } from '../protocol/states.js';
import { BlockJobs } from './blockJobs.node.js';
import { HelperProcesses } from './helpers.node.js';
import { GuestAgent } from './guestAgent.node.js';
import { checkAction, finalState, type HostAction } from './lifecycle.js';
import { SerialLog } from './serialLog.node.js';
import { StatsSampler, qemuSources } from './statsSampler.node.js';
import { cancelMigration, continueAfterMigration, exportDisks, migrateIn, migrateOut } from './migration.node.js';
import { permissionHint, qemuCommand, type QemuPrivileges } from '../qemu/privileges.js';
import { detectQemuPrivileges } from '../qemu/privileges.node.js';

const QMP_CONNECT_TIMEOUT_MS = 60_000;
/** How long a guest may take to release an unplugged card (ACPI or PCIe hot-plug, a few seconds under TCG). */
const NIC_UNPLUG_TIMEOUT_MS = 30_000;
const STDERR_TAIL_LINES = 20;

export class VmmHost {
  private readonly store = new DisposableStore();
  private state: VmState = 'starting';
  private reason: string | undefined;
  private qemu: ChildProcess | undefined;
  /** who QEMU runs as (privileges.ts), once it was started */
  private privileges: QemuPrivileges | undefined;
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
  private exited = false;
  private readonly helpers: HelperProcesses;
  /** the guest agent, when the launch has its channel */
  private readonly agent: GuestAgent | undefined;
  /** why a helper (virtiofsd, swtpm) ended the VM, when one did */
  private helperFailure: string | undefined;
  /** q35: the root port each card sits on (cards plugged in later take free ones) */
  private readonly nicPorts: { used: Record<string, string>; count: number } | undefined;
  /** a migration target's NBD exports of its disks (stopped before the guest runs) */
  private stopExports: (() => Promise<void>) | undefined;
  /** cards were plugged in or out since the launch: a saved state would not match the next launch's devices */
  private cardsChanged = false;
  /** USB devices were plugged in or out since the launch: their ports would not match the next launch's */
  private usbChanged = false;
  private readonly exitPromise: Promise<void>;
  private resolveExit!: () => void;
  /** performance samples of the last hour, from when QMP answers until QEMU exits */
  private sampler: StatsSampler | undefined;
  /** the host socket's server, once run() listens */
  private server: UnixServer | undefined;

  constructor(
    private readonly spec: HostSpec,
    private readonly log: (line: string) => void,
  ) {
    this.qmp = new QmpClient({ log: (l) => this.log(`qmp: ${l}`) });
    this.blockJobs = new BlockJobs(this.qmp, (l) => this.log(`block jobs: ${l}`));
    this.exitPromise = new Promise((r) => (this.resolveExit = r));
    this.bootGate = new Promise((r) => (this.openBootGate = r));
    if (spec.agentSocket) {
      this.agent = new GuestAgent(spec.agentSocket, this.qmp, (l) => this.log(l));
      this.store.add(this.agent.changed.event((info) => this.emitGuest(info)));
    }
    this.helpers = new HelperProcesses(spec.helpers ?? [], {
      logFile: spec.helpersLog ?? spec.qemuLog,
      log: (l) => this.log(`helpers: ${l}`),
      onUnexpectedExit: (helper, how) => {
        if (this.exited) return;
        // A VM whose shared folder (or TPM) went away cannot go on safely: end it, and say why.
        this.helperFailure ??= `${helper.label} exited unexpectedly (${how})`;
        this.log(`${this.helperFailure}; stopping QEMU`);
        this.killQemu();
      },
    });
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
    this.server = server;
    this.writeStatusFile();
    onListening();
    try {
      await this.launch();
    } catch (e) {
      this.log(`launch failed: ${(e as Error).message}`);
      this.killQemu();
    }
    await this.exitPromise;
    await this.helpers.stopAll();
  }

  private async launch(): Promise<void> {
    const { spec } = this;
    for (const s of [spec.qmpSocket, spec.serialSocket, spec.pidFile, spec.incomingMigration?.socket, ...(spec.helpers ?? []).map((h) => h.socket)]) if (s) rmSync(s, { force: true });
    // Helpers first: QEMU connects to their sockets as it starts.
    try {
      await this.helpers.startAll();
    } catch (e) {
      this.helperFailure = toHangarError(e).message;
      this.onQemuExit(null, null, this.helperFailure);
      return;
    }
    this.writeStatusFile();
    const logFd = openSync(spec.qemuLog, 'a', 0o600);
    // QEMU's output goes to a file, not a pipe: if this host dies, QEMU must not die of a broken pipe.
    // QEMU inherits the mask at fork: 0177 makes its sockets (QMP, serial, VNC), pid file and the
    // overlays it creates 0600, readable and writable by the user alone.
    const previousMask = process.umask(0o177);
    // As root, QEMU starts with every capability dropped (privileges.ts); as a user, as that user.
    const privileges = spec.qemuPrivileges ?? detectQemuPrivileges(spec.qemu.binary);
    this.privileges = privileges;
    const command = qemuCommand(spec.qemu.binary, spec.qemu.argv, privileges);
    this.log(privileges.summary);
    let child: ChildProcess;
    try {
      child = spawn(command.binary, command.argv, { env: spec.qemu.env, stdio: ['ignore', logFd, logFd] });
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
    if (child.pid) this.startSampler(child.pid);
    if (spec.serialSocket) await Promise.race([this.connectSerial(spec.serialSocket), qemuGone]);
    if (spec.incomingStateFile) await Promise.race([this.restoreState(spec.incomingStateFile), qemuGone]);
    // A live migration arrives: the machine stays stopped until the owner boots it (the source then has let go).
    if (spec.incomingMigration) await Promise.race([migrateIn(this.qmp, spec.incomingMigration.socket, (l) => this.log(l)), qemuGone]);
    // Unplugged cables, before the guest runs (QEMU has no launch option for a card's link).
    for (const nicId of spec.linkDown ?? []) await Promise.race([this.qmp.execute('set_link', { name: nicId, up: false }), qemuGone]);
    if (spec.waitForBoot) await Promise.race([this.bootGate, qemuGone]);
    if (this.exited) return;
    // A migration's disk exports end before the guest writes to its disks itself.
    if (this.stopExports) await this.stopExports();
    this.stopExports = undefined;
    await this.qmp.execute('cont');
    if (this.state === 'starting') this.setState('running');
    if (spec.incomingStateFile) rmSync(spec.incomingStateFile, { force: true });
    // A restored guest may have had an agent (its port is open again at once): thaw what a quiesced
    // snapshot left frozen, and bring its clock to now.
    void this.afterRun(spec.incomingStateFile ? 'restored' : 'started');
  }

  /**
   * After the guest ran on from a pause, a restored state or a start: find the agent, and once it answers,
   * thaw file systems a restored state left frozen and set the clock (a paused guest's clock stands still).
   */
  private async afterRun(why: 'started' | 'restored' | 'resumed' | 'snapshot'): Promise<void> {
    const agent = this.agent;
    if (!agent) return;
    try {
      if (why === 'started') {
        await agent.probe();
        return;
      }
      if (!(await agent.answers())) return;
      if (why === 'restored') await agent.thawIfFrozen();
      await agent.setTime();
      this.log(`agent: guest clock set (${why})`);
    } catch (e) {
      this.log(`agent: after ${why}: ${(e as Error).message}`);
    }
  }

  private startSampler(pid: number): void {
    const sampler = new StatsSampler(qemuSources(pid, this.qmp));
    sampler.sampled.event((sample) => {
      for (const c of this.clients) c.emit('host.sample', sample);
    });
    sampler.start();
    this.sampler = sampler;
  }

  private emitGuest(info: GuestInfo): void {
    for (const c of this.clients) c.emit('host.guest', info);
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
        // Only a press: the guest decides. The state stays what it is until the guest acts on it
        // (QEMU's SHUTDOWN event, then 'stopping'); the owner watches for that and says how it went.
        await this.qmp.execute('system_powerdown');
        this.log('ACPI power button pressed');
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
        void this.afterRun('resumed');
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
      'host.migrate': async (input, ctx) => {
        guard('migrate');
        this.assertSavable();
        return migrateOut(this.qmp, input, { signal: ctx.signal, progress: (fraction, message) => ctx.progress({ fraction, message }), log: (l) => this.log(`migrate: ${l}`) });
      },
      'host.nbdExport': async ({ socket, disks }) => {
        guard('nbdExport');
        if (!this.spec.incomingMigration) throw new HangarError('STATE_CONFLICT', 'only a VM that waits for a migration exports its disks');
        if (this.stopExports) throw new HangarError('STATE_CONFLICT', 'the disks are already exported');
        this.stopExports = await exportDisks(this.qmp, socket, disks);
        this.log(`exporting ${disks.length} disk(s) over NBD on ${socket}`);
        return null;
      },
      'host.switchBack': async ({ disks }) => {
        guard('switchBack');
        return this.blockJobs.switchBack(disks);
      },
      'host.blockStream': async ({ image, base }, ctx) => {
        guard('blockStream');
        return this.blockJobs.stream(image, base, { signal: ctx.signal, progress: (f) => ctx.progress({ fraction: f, message: 'merging' }) });
      },
      'host.blockCommit': async ({ diskId, image, into }, ctx) => {
        guard('blockCommit');
        return this.blockJobs.commitDown(diskId, image, into, { progress: (f) => ctx.progress({ fraction: f, message: 'merging' }) });
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
      'host.guestInfo': async ({ refresh }) => {
        guard('guestInfo');
        if (!this.agent) return { agent: 'absent', hostname: null, osName: null, ipAddresses: [] };
        if (refresh && this.state === 'running') {
          if (await this.agent.answers()) await this.agent.refresh();
        }
        return this.agent.info();
      },
      'host.guestExec': async ({ path, args, input, timeoutMs }, ctx) => {
        guard('guestExec');
        if (!this.agent || !(await this.agent.answers())) throw agentAbsent('run a command');
        return this.agent.exec({ path, args, timeoutMs, ...(input !== undefined ? { input: Buffer.from(input, 'base64').toString() } : {}) }, ctx.signal);
      },
      'host.guestShutdown': async () => {
        guard('guestShutdown');
        if (!this.agent || !(await this.agent.answers())) throw agentAbsent('be asked to shut down');
        await this.agent.shutdown();
        this.setState('stopping', 'the guest agent was asked to shut the guest down');
        return null;
      },
      'host.nicAdd': async ({ nic, attachment }) => {
        guard('nicAdd');
        // QEMU would spawn qemu-bridge-helper, which its seccomp sandbox answers by killing it.
        if (attachment?.kind === 'bridge') throw new HangarError('UNSUPPORTED', 'a card that joins its bridge through qemu-bridge-helper cannot be plugged into a running VM');
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
        this.sampler?.rescanTaps();
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
        this.sampler?.rescanTaps();
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
      'host.diskResize': async ({ diskId, sizeBytes }) => {
        guard('diskResize');
        const node = topNodeOf(await this.qmp.execute('query-block'), diskId);
        if (!node) throw new HangarError('NOT_FOUND', `QEMU has no disk '${diskId}' open`);
        await this.qmp.execute('block_resize', { 'node-name': node, size: sizeBytes });
        this.log(`disk ${diskId} (node ${node}) resized to ${sizeBytes} bytes`);
        return null;
      },
      'host.usbAttach': async ({ device }) => {
        guard('usbAttach');
        const nodes = device.kind === 'storage' ? usbStorageBlockdevs(device) : [];
        const added: string[] = [];
        try {
          for (const n of nodes) {
            await this.qmp.execute('blockdev-add', n);
            added.unshift(n['node-name']);
          }
          await this.qmp.execute('device_add', usbDeviceProps(device));
        } catch (e) {
          for (const n of added) await this.qmp.execute('blockdev-del', { 'node-name': n }).catch(() => undefined);
          throw e;
        }
        this.usbChanged = true;
        this.log(`USB device ${device.id} plugged in`);
        return null;
      },
      'host.usbDetach': async ({ id, storage }) => {
        guard('usbDetach');
        // Listen first: a USB device goes at once, before device_del's reply arrives.
        const gone = this.qmp.waitForEvent('DEVICE_DELETED', (d) => d.device === id, { timeoutMs: NIC_UNPLUG_TIMEOUT_MS });
        gone.catch(() => undefined);
        await this.qmp.execute('device_del', { id });
        try {
          await gone;
        } catch {
          throw new HangarError('TIMEOUT', `USB device ${id} did not go within ${NIC_UNPLUG_TIMEOUT_MS / 1000} s`);
        }
        this.usbChanged = true;
        if (storage) {
          const nodes = blockNodeNames(id);
          await this.qmp.execute('blockdev-del', { 'node-name': nodes.format });
          await this.qmp.execute('blockdev-del', { 'node-name': nodes.file });
        }
        this.log(`USB device ${id} unplugged`);
        return null;
      },
      'host.stats': async ({ sinceMs }) => {
        guard('stats');
        return { samples: this.sampler?.samples(sinceMs) ?? [], taps: this.sampler?.tapNames() ?? [] };
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
    if (this.usbChanged) {
      throw new HangarError('STATE_CONFLICT', 'USB devices were plugged in or out while this VM runs, so a saved state would not fit its next start: shut it down and start it again first');
    }
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
        let running = false;
        if (wasRunning) {
          try {
            await continueAfterMigration(this.qmp);
            running = true;
          } catch (r) {
            this.log(`after a failed save: ${toHangarError(r).message}`);
          }
        }
        this.setState(running ? 'running' : 'paused');
      }
      throw toHangarError(e);
    }
  }

  /**
   * A live snapshot: the guest pauses, every disk switches to its new overlay in one transaction (so the
   * frozen images hold one point in time), the RAM and device state go to a file, and the guest resumes.
   */
  private async snapshotLive(
    input: { disks: { diskId: string; overlay: string }[]; stateFile: string; thumbnail?: string; stateBytes: number; quiesce?: QuiesceMode; saveState?: boolean },
    signal: AbortSignal,
    progress: (f: number) => void,
  ): Promise<{ pauseMs: number; stateSaved: boolean; stateError?: string; thumbnail: boolean; method: 'background' | 'paused'; quiesced: boolean; frozenMs?: number }> {
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
    // The room the state may take is reserved before anything switches: a background snapshot must not
    // fail half-way (QEMU 7.2 leaves a guest whose background snapshot failed or was cancelled with
    // its memory write-protected and nobody serving the faults: it hangs).
    const saveState = input.saveState !== false;
    if (saveState) await reserveFile(`${input.stateFile}.partial`, input.stateBytes);
    // Quiescing: the agent (which runs in the guest, so before the pause) freezes the file systems, so
    // the frozen images hold them clean; they thaw once the guest runs again. A RAM state taken meanwhile
    // holds them frozen: restoring it thaws them (afterRun).
    const mode = input.quiesce ?? 'no';
    let frozenAt: number | undefined;
    if (mode !== 'no') {
      const agentOk = wasRunning && this.agent !== undefined && (await this.agent.answers());
      if (agentOk) {
        try {
          const t = performance.now();
          const n = await this.agent!.freeze(60_000);
          frozenAt = t;
          this.log(`agent: froze ${n} file system(s) for a snapshot`);
        } catch (e) {
          if (mode === 'required') throw new HangarError('QEMU_FAILED', `the guest agent could not freeze the file systems: ${toHangarError(e).message}`);
          this.log(`agent: freezing failed, the snapshot goes on unquiesced: ${(e as Error).message}`);
        }
      } else if (mode === 'required') {
        throw agentAbsent(wasRunning ? 'freeze its file systems' : 'freeze its file systems while it is paused');
      }
    }
    // A background snapshot (QEMU's userfaultfd write protection) lets the guest run while its RAM is
    // written: the pause is only the disk switch and the device state. Where the kernel or the
    // privileges do not allow it, the guest stays paused until the state is written, as before.
    const background = saveState && wasRunning && (await this.enableBackgroundSnapshot());
    let thawed = false;
    const thaw = async () => {
      if (frozenAt === undefined || thawed) return undefined;
      thawed = true;
      try {
        await this.agent!.thaw();
      } catch (e) {
        this.log(`agent: thawing after a snapshot failed: ${(e as Error).message}`);
      }
      return performance.now() - frozenAt;
    };
    const t0 = performance.now();
    let paused = false;
    let resumedAt: number | undefined;
    const resume = async () => {
      if (!paused) return;
      paused = false;
      // a background snapshot has let the guest run again already (resumedAt); QEMU's own run state decides
      let stuck: string | undefined;
      if (!this.exited) await continueAfterMigration(this.qmp).catch((e: unknown) => (stuck = toHangarError(e).message));
      this.lastPauseMs = (resumedAt ?? performance.now()) - t0;
      if (stuck === undefined) this.setState('running');
      else {
        this.log(`after a snapshot: ${stuck}`);
        this.setState('paused', 'the guest did not run again after the snapshot: resume it');
      }
    };
    try {
      if (wasRunning) {
        await this.qmp.execute('stop');
        paused = true;
      }
      await this.qmp.execute('transaction', snapshotTransaction(switches));
      let stateError: string | undefined;
      if (saveState) {
        try {
          // Paused: the guest runs again once QEMU has handed over the whole state; the file's last
          // writes and its fsync are no longer part of the guest's pause.
          await this.migrateToFile(input.stateFile, signal, progress, { reserved: true, ...(background ? { background: { onGuestRunning: () => (resumedAt ??= performance.now()) } } : { afterStreamed: resume }) });
        } catch (e) {
          // The disks already switched: the snapshot stands, without its running state. Say so.
          stateError = toHangarError(e).message;
        }
      }
      const stateSaved = saveState && stateError === undefined;
      await resume();
      const frozenMs = await thaw();
      void this.afterRun('snapshot');
      return {
        pauseMs: 0,
        stateSaved,
        ...(stateError ? { stateError } : {}),
        thumbnail,
        method: background ? 'background' : 'paused',
        quiesced: frozenMs !== undefined,
        ...(frozenMs !== undefined ? { frozenMs: Math.round(frozenMs) } : {}),
      };
    } finally {
      if (background) await this.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'background-snapshot', state: false }] }).catch(() => undefined);
      // On a failure: the guest runs again, and its file systems thaw (the agent needs it running).
      await resume();
      await thaw();
      if (!wasRunning) this.lastPauseMs = performance.now() - t0;
    }
  }

  /** Turns QEMU's background-snapshot capability on; false where the host does not allow it. */
  private async enableBackgroundSnapshot(): Promise<boolean> {
    // Test-only: the fallback, as on a host whose kernel or privileges refuse userfaultfd.
    if (process.env.HANGAR_TEST === '1' && process.env.HANGAR_TEST_NO_BACKGROUND_SNAPSHOT === '1') return false;
    try {
      await this.qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'background-snapshot', state: true }] });
      return true;
    } catch (e) {
      this.log(`background snapshot unavailable, the guest pauses while its state is written: ${(e as Error).message}`);
      return false;
    }
  }

  private lastPauseMs = 0;

  /**
   * Migrates the (paused) VM's state into a file: written as .partial, fsynced, renamed; `afterStreamed`
   * runs once QEMU has sent the whole state, before the file is made durable. With
   * `background` (the capability already on), QEMU saves the device state, write-protects the RAM and
   * resumes the guest itself; the RAM then streams while the guest runs. Should a QEMU leave the guest
   * paused, it is resumed here once the RAM streams (write protection is on by then).
   */
  private async migrateToFile(
    target: string,
    signal: AbortSignal,
    progress: (f: number) => void,
    o: { background?: { onGuestRunning: () => void }; reserved?: boolean; afterStreamed?: () => Promise<void> } = {},
  ): Promise<void> {
    const { background } = o;
    const partial = `${target}.partial`;
    const sockPath = `${this.spec.runDir}/migrate.sock`;
    rmSync(sockPath, { force: true });
    if (!o.reserved) rmSync(partial, { force: true });
    let bytesWritten = 0;
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
          // A reserved file is written over from its start (r+ keeps its blocks); it is cut to size at the end.
          const out = createWriteStream(partial, { mode: 0o600, flags: o.reserved ? 'r+' : 'w' });
          sock.on('data', (chunk: Buffer) => (bytesWritten += chunk.length));
          sock.pipe(out);
          out.on('finish', () => resolve());
          out.on('error', (e) => {
            fail(e);
            // Keep reading (and dropping) what QEMU sends while it cancels: a connection cut under
            // it fails the migration instead, and a background snapshot that fails leaves the guest's
            // memory write-protected with nobody to serve the faults.
            sock.unpipe(out);
            sock.on('data', () => undefined);
            sock.resume();
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
      const resumed = background ? this.qmp.onEvent('RESUME', () => background.onGuestRunning()) : undefined;
      try {
        await this.qmp.execute('migrate', { uri: `unix:${sockPath}` });
        await this.streamUntilDone(signal, progress, () => writeError, background);
        if (background && signal.aborted) throw new HangarError('CANCELLED', 'saving the state was cancelled');
      } finally {
        resumed?.dispose();
      }
      // QEMU has sent everything: what remains (the last writes, the fsync) no longer needs the guest as it was.
      await o.afterStreamed?.();
      await written;
      const fd = openSync(partial, 'r+');
      if (o.reserved) ftruncateSync(fd, bytesWritten);
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

  /** Follows a migration to the end (or cancels it on abort or a failed write), reporting progress. */
  private async streamUntilDone(signal: AbortSignal, progress: (f: number) => void, writeError: () => Error | undefined, background?: { onGuestRunning: () => void }): Promise<void> {
      for (;;) {
        // A background snapshot is never cut short (a failed one leaves the guest hung, see
        // snapshotLive): a cancel or a failed write waits for its end, and the state is dropped then.
        if (signal.aborted && !background) {
          await cancelMigration(this.qmp);
          throw new HangarError('CANCELLED', 'saving the state was cancelled');
        }
        const failed = writeError();
        if (failed && !background) {
          await cancelMigration(this.qmp);
          throw toHangarError(failed);
        }
        const info = await this.qmp.execute('query-migrate');
        if (info.status === 'completed') {
          if (failed) throw toHangarError(failed);
          break;
        }
        if (info.status === 'failed' || info.status === 'cancelled') {
          // A failed write is the cause (QEMU only saw its end of the stream go away).
          const cause = writeError();
          if (cause) throw toHangarError(cause);
          throw new HangarError('QEMU_FAILED', `saving the state failed: ${info['error-desc'] ?? info.status}`);
        }
        // RAM pages flowing means the write protection is on: a guest still paused may run now.
        if (background && info.status === 'active' && (info.ram?.transferred ?? 0) > 0 && this.state === 'paused') {
          await this.qmp.execute('cont');
          background.onGuestRunning();
        }
        const total = info.ram?.total ?? 0;
        if (total > 0) progress(Math.min(0.99, (info.ram?.transferred ?? 0) / total));
        await new Promise((r) => setTimeout(r, background ? 10 : 50));
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
      ...(this.helpers.pids().length ? { helperPids: this.helpers.pids() } : {}),
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
    const stderrTail = launchError ? [launchError] : readTail(this.spec.qemuLog, STDERR_TAIL_LINES);
    const end = finalState({
      code,
      signal,
      shutdown: this.shutdownEvent,
      saveCompleted: this.saveCompleted,
      powerOffRequested: this.powerOffRequested,
      launchFailed: !this.qmpReady,
      stderrTail,
      ...(this.helperFailure ? { helperFailure: this.helperFailure } : {}),
    });
    const hint = end.state === 'aborted' && this.privileges ? permissionHint(this.privileges, stderrTail) : null;
    if (hint) end.reason = `${end.reason}; ${hint}`;
    this.helpers.markStopping();
    this.log(`qemu exited code=${code} signal=${signal}`);
    this.agent?.dispose();
    this.sampler?.dispose();
    this.serialSocket?.destroy();
    this.serialLog?.close();
    this.qmp.disconnect().catch(() => undefined);
    this.setState(end.state, end.reason);
    for (const f of [this.spec.qmpSocket, this.spec.serialSocket, this.spec.pidFile]) if (f) rmSync(f, { force: true });
    this.resolveExit();
  }

  /**
   * After run(): once every request in progress has been answered, frees the VM's host socket (a new
   * start of the VM may bind it) and ends each connection after what was written to it, waiting at
   * most `timeoutMs` in all for both.
   */
  async finish(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Requests still being answered (a save or a power-off replies once QEMU has exited) finish first.
    await orAfter(Promise.all([...this.clients].map((c) => c.idle())), timeoutMs, []);
    await this.server?.drain(Math.max(0, deadline - Date.now()));
    this.dispose();
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

/**
 * Reserves `bytes` for a file on its filesystem (fallocate), so that writing it later cannot run out of
 * space; DISK_FULL, with nothing left behind, when there is not that much room.
 */
async function reserveFile(path: string, bytes: number): Promise<void> {
  rmSync(path, { force: true });
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn('fallocate', ['--length', String(bytes), path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => resolve({ code: -1, stderr: e.message }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  if (r.code === 0) {
    chmodSync(path, 0o600);
    return;
  }
  rmSync(path, { force: true });
  if (/No space left|ENOSPC/i.test(r.stderr)) throw new HangarError('DISK_FULL', `not enough space on ${dirname(path)} to save the running state`, { details: { dir: dirname(path), neededBytes: bytes } });
  throw new HangarError('IO_ERROR', `cannot reserve room for the running state in ${path}: ${r.stderr.trim() || `fallocate exited ${r.code}`}`);
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

function agentAbsent(what: string): HangarError {
  return new HangarError('UNSUPPORTED', `no guest agent answers, so the guest cannot ${what}`, { details: { agent: 'absent' } });
}

export const HostArgs = z.tuple([z.string()]);


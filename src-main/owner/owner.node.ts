// The owner of a Hangar home: the composition root that wires the inventory, host facts, supervisor,
// task runner and API, and serves the API on <home>/owner.sock. The headless daemon, `hangar serve`
// and the Electron main process all run this same graph.
import { mkdirSync, appendFileSync, existsSync } from 'node:fs';
import { DisposableStore, toDisposable } from '../../src-vmm/base/disposable.js';
import { HangarError } from '../../src-vmm/base/errors.js';
import { Emitter } from '../../src-vmm/base/events.js';
import { serve, type ConnectionContext, type Transport } from '../../src-vmm/base/rpc.js';
import { listenUnix } from '../../src-vmm/base/socketTransport.node.js';
import { detectHost } from '../../src-vmm/qemu/probe.node.js';
import type { HostFactsReport } from '../../src-vmm/qemu/hostFacts.js';
import { createQemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { isActive, type VmState } from '../../src-vmm/protocol/states.js';
import { hangarApi } from '../api/contract.js';
import { VMS_RUNNING } from '../api/issueCodes.js';
import { createHandlers } from '../api/handlers.node.js';
import { VmService } from '../vms/vmService.node.js';
import { SnapshotService } from '../snapshots/snapshotService.node.js';
import { CloneService } from '../clones/cloneService.node.js';
import { ImportService } from '../appliances/importService.node.js';
import { ExportService } from '../appliances/exportService.node.js';
import { LibraryService } from '../library/libraryService.node.js';
import { QuickCreateService } from '../quickcreate/quickCreate.node.js';
import { detectOs } from '../quickcreate/detect.node.js';
import { PathGuard } from '../files/pathGuard.node.js';
import { homePaths, vmPaths } from '../home.js';
import { openHangarInventory } from '../inventory/hangarInventory.node.js';
import { nodeHostForker, type HostForker } from '../supervisor/fork.node.js';
import { Supervisor, readStatusFile } from '../supervisor/supervisor.node.js';
import { TaskRunner } from '../tasks/taskRunner.js';
import { acquireOwnerLock } from './lock.node.js';
import { makePrivate, usePrivateUmask } from '../files/modes.node.js';
import { CrashRestarts } from './crashRestarts.js';
import { recoveryOf } from '../../src-vmm/model/recovery.js';
import { NetworkManager } from '../networks/networkManager.node.js';
import { MediaService } from '../media/mediaService.node.js';
import { UsbService } from '../usb/usbService.node.js';
import { RemoteService } from '../remotes/remoteService.node.js';
import { RemoteTransfer } from '../remotes/transfer.node.js';
import { RemoteMigration } from '../remotes/migrateRemote.node.js';
import { RemoteDisplays } from '../remotes/display.node.js';
import type { VncTarget } from '../web/server.node.js';
import { StatsService } from '../stats/statsService.node.js';
import { Scheduler } from '../schedules/scheduler.node.js';
import { systemClock, type Clock } from '../schedules/clock.js';
import { testClockFromEnv } from '../schedules/clock.node.js';
import { MigrationService } from '../migration/migrationService.node.js';

export type OwnerKind = 'headless owner' | 'hangar serve' | 'the desktop app';

export interface Owner {
  readonly home: string;
  readonly socketPath: string;
  /** serve the API over another transport (web mode, Electron IPC, in-process tests) */
  connect(transport: Transport): void;
  /** resolves when someone asked the owner to shut down */
  readonly shutdownRequested: Promise<void>;
  /** the VNC unix socket of a running VM, a remote domain's display ticket, or null */
  vncSocketFor(vmId: string): VncTarget | null;
  /** stops serving and releases the home; running VMs keep running */
  dispose(): void;
}

/**
 * A standby VMM host is forked this long after the owner starts and after each start took one: not at
 * once, where it would compete for the CPU with the owner's own start or with the VM just started.
 */
const STANDBY_HOST_DELAY_MS = 2_000;

export async function startOwner(opts: { home: string; kind: OwnerKind; forker?: HostForker; log?: (line: string) => void; /** the scheduler's time (tests) */ clock?: Clock }): Promise<Owner> {
  const paths = homePaths(opts.home);
  // Private whoever made the home and whatever the umask: from here on every file the owner and its
  // children (VMM hosts, QEMU, qemu-img) create is the user's alone, and what exists is made so.
  usePrivateUmask();
  mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  const homeWas = makePrivate(paths.home, { followLink: true });
  mkdirSync(paths.vmsDir, { recursive: true, mode: 0o700 });
  mkdirSync(paths.cacheDir, { recursive: true, mode: 0o700 });
  const madePrivate = [paths.vmsDir, paths.cacheDir, paths.ownerLog].filter((p) => makePrivate(p) !== null);
  const log =
    opts.log ??
    ((line: string) => {
      try {
        appendFileSync(paths.ownerLog, `${new Date().toISOString()} owner pid=${process.pid} ${line}\n`, { mode: 0o600 });
      } catch {
        /* logging must never take the owner down */
      }
    });
  if (homeWas !== null) log(`the home ${paths.home} was mode ${homeWas.toString(8).padStart(4, '0')}; it is now 0700 (private to this user)`);
  if (madePrivate.length) log(`made private (no group or other access): ${madePrivate.join(', ')}`);
  const store = new DisposableStore();
  const lock = acquireOwnerLock(paths.ownerLock, opts.kind);
  store.add(lock);
  try {
    const inventory = openHangarInventory(paths.inventory, log);
    store.add(toDisposable(() => inventory.close()));
    const interrupted = inventory.tasks.markInterrupted();
    if (interrupted) log(`${interrupted} task(s) of a previous owner were interrupted`);

    let host: HostFactsReport = withoutFirmwareInTests(await detectHost({ cacheDir: paths.cacheDir, log }));
    log(`accelerator ${host.accelerator}: ${host.accelReason}`);

    const connections = new Set<ConnectionContext>();
    const consoleSubs = new Map<ConnectionContext, Set<string>>();
    const broadcast = (name: string, payload: unknown) => {
      for (const c of connections) c.emit(name, payload);
    };
    const consoleBytes = new Emitter<{ id: string; data: string }>();
    store.add(
      consoleBytes.event((e) => {
        for (const [conn, ids] of consoleSubs) if (ids.has(e.id)) conn.emit('vm.console', e);
      }),
    );

    const tasks = new TaskRunner(
      {
        create: (t) => inventory.tasks.create(t),
        update: (id, p) => inventory.tasks.update(id, p),
        finish: (id, s, e, o) => inventory.tasks.finish(id, s, e ?? null, o ?? null),
      },
      (info) => broadcast('task.progress', info),
    );

    const networks = new NetworkManager({ home: paths.home, inventory, log, leasesChanged: (ids) => ids.forEach((id) => broadcast('inventory.changed', { id })) });
    store.add(toDisposable(() => networks.dispose()));
    log(`networks: ${networks.privileged ? 'CAP_NET_ADMIN held: bridges, taps and nftables rules can be made' : 'no CAP_NET_ADMIN: internal networks without DHCP run on QEMU multicast sockets; other networks cannot start'}`);

    // eslint-disable-next-line prefer-const
    let vms: VmService;
    // eslint-disable-next-line prefer-const
    let stats: StatsService | undefined;
    const recordState = (vmId: string, state: VmState, reason?: string, accelerator?: 'kvm' | 'tcg') => {
      const row = inventory.vms.get(vmId);
      if (!row) return;
      if (!isActive(state) && vms?.setGuest(vmId, null)) broadcast('vm.guestChanged', { id: vmId, guest: { agent: 'absent', hostname: null, osName: null, ipAddresses: [] } });
      inventory.vms.setState(vmId, state, reason, accelerator);
      // A VM that ended gives back its taps (and its port forwards on nat networks).
      if (state === 'stopped' || state === 'saved' || state === 'aborted') {
        networks.vmEnded(vmId).catch((e: unknown) => log(`vm=${vmId} network clean-up failed: ${(e as Error).message}`));
      }
      broadcast('vm.stateChanged', { id: vmId, name: row.name, state, ...(reason ? { reason } : {}) });
      vms?.vmStates.fire({ id: vmId, state, ...(reason ? { reason } : {}) });
    };
    // A crash (the host reports 'aborted', or the host itself died) may restart the VM, per its policy.
    const crashRestarts = new CrashRestarts();
    let disposed = false;
    store.add(toDisposable(() => (disposed = true)));
    const onCrash = (vmId: string, reason: string | undefined, before: VmState | undefined) => {
      const row = inventory.vms.get(vmId);
      // Only a machine that was up crashes; one that failed to start would fail the same way again.
      if (!row || (before !== 'running' && before !== 'paused')) return;
      const decision = crashRestarts.onCrash(vmId, recoveryOf(row.config), Date.now());
      if (!decision.note) return;
      log(`vm=${vmId} crashed (${reason ?? 'no reason given'}); ${decision.note}`);
      if (!decision.restart) {
        recordState(vmId, 'aborted', `${reason ?? 'crashed'}; ${decision.note}`);
        return;
      }
      // A moment's pause lets the dead host's connection and files settle before the new start.
      setTimeout(() => {
        if (disposed) return;
        const now = inventory.vms.get(vmId);
        if (!now || now.state !== 'aborted') return; // deleted, or started by someone else meanwhile
        vms.start(vmId, { timeoutS: 300, signal: new AbortController().signal, onProgress: () => undefined }).catch((e: unknown) => {
          log(`vm=${vmId} restart after a crash failed: ${(e as Error).message}`);
          recordState(vmId, 'aborted', `${reason ?? 'crashed'}; the restart failed: ${(e as Error).message}`);
        });
      }, 500);
    };
    const supervisor = new Supervisor({
      forker: opts.forker ?? store.add(nodeHostForker({ standby: { logPath: paths.ownerLog, delayMs: STANDBY_HOST_DELAY_MS, log } })),
      log,
      events: {
        onState: (vmId, state, reason) => {
          const before = inventory.vms.get(vmId)?.state;
          recordState(vmId, state, reason);
          if (state === 'aborted') onCrash(vmId, reason, before);
        },
        onConsole: (vmId, data) => consoleBytes.fire({ id: vmId, data }),
        onGuest: (vmId, guest) => {
          if (vms?.setGuest(vmId, guest)) broadcast('vm.guestChanged', { id: vmId, guest });
        },
        onSample: (vmId, sample) => stats?.publish(vmId, sample),
      },
    });
    store.add(supervisor);

    const qemuImg = createQemuImg({ log });
    vms = new VmService({
      home: paths.home,
      inventory,
      qemuImg,
      host: () => host,
      supervisor,
      tasks,
      log,
      emitState: (vm, state, reason) => {
        broadcast('vm.stateChanged', { id: vm.id, name: vm.name, state, ...(reason ? { reason } : {}) });
        vms.vmStates.fire({ id: vm.id, state, ...(reason ? { reason } : {}) });
      },
      console: consoleBytes,
      networks,
    });

    // Reconcile: VMs that were active when the last owner stopped are re-attached, or their end recorded.
    for (const row of inventory.vms.list()) {
      const vp = vmPaths(paths.home, row.id);
      if (!isActive(row.state)) {
        // A host or QEMU from this home that the inventory does not know to be running (an owner died
        // between launching it and recording the state): re-attach to a live host, stop a lone QEMU.
        if (!existsSync(vp.hostSocket) && !existsSync(vp.pidFile)) continue;
        const stray = await supervisor.attach(row.id, vp);
        if (stray) {
          log(`vm=${row.id} found running although recorded ${row.state}; re-attached`);
          recordState(row.id, stray.status.state, stray.status.reason);
        } else if (existsSync(vp.pidFile)) {
          log(`vm=${row.id} ${supervisor.cleanUpOrphan(vp)}`);
        }
        continue;
      }
      const handle = await supervisor.attach(row.id, vp);
      if (handle) {
        log(`vm=${row.id} re-attached (${handle.status.state})`);
        if (handle.status.state !== row.state) recordState(row.id, handle.status.state, handle.status.reason);
        continue;
      }
      const last = readStatusFile(vp.statusFile);
      if (last && ['stopped', 'saved', 'aborted'].includes(last.state)) {
        recordState(row.id, last.state, last.reason);
      } else {
        recordState(row.id, 'aborted', supervisor.cleanUpOrphan(vp, last?.hostPid));
      }
    }

    // Networks of the VMs that run are brought up again (adopted, never made twice); leftovers go.
    await networks.reconcile().catch((e: unknown) => log(`networks: reconcile failed: ${(e as Error).message}`));

    const snapshots = new SnapshotService({
      home: paths.home,
      inventory,
      qemuImg,
      supervisor,
      tasks,
      find: (ref) => vms.find(ref),
      log,
      changed: (id) => {
        broadcast('inventory.changed', { id });
        if (vms.problems.has(id)) void vms.reconcile(id);
      },
      fault: faultPoint(log),
    });

    const clones = new CloneService({
      home: paths.home,
      inventory,
      qemuImg,
      supervisor,
      tasks,
      snapshots,
      find: (ref) => vms.find(ref),
      provision: vms.provisionDeps(),
      changed: (id) => broadcast('inventory.changed', { id }),
    });
    const imports = new ImportService({ home: paths.home, inventory, qemuImg, tasks, ovmfVars: (secureBoot) => (secureBoot ? (host.ovmfSecureBoot?.vars ?? null) : (host.ovmf?.vars ?? null)), log, networks });
    const exports = new ExportService({ inventory, qemuImg, tasks, snapshots, imports, find: (ref) => vms.find(ref), log });
    vms.relations = (row) => ({ linkedTo: clones.linkedTo(row), dependents: clones.dependents(row) });
    const library = new LibraryService({
      home: paths.home,
      inventory,
      qemuImg,
      tasks,
      guard: () => new PathGuard(paths.home, inventory),
      detect: (file, kind, signal) => detectOs(file, kind, { qemuImg, signal, log }),
      log,
      changed: () => broadcast('inventory.changed', {}),
    });
    const quick = new QuickCreateService({
      home: paths.home,
      inventory,
      qemuImg,
      tasks,
      vms,
      library,
      console: consoleBytes,
      log,
      changed: (id) => broadcast('inventory.changed', { id }),
    });
    store.add(vms.vmStates.event((e) => quick.onState(e.id, e.state)));

    await vms.reconcile();
    const migration = new MigrationService({ home: paths.home, inventory, qemuImg, supervisor, tasks, vms, clones, log, changed: (id) => broadcast('inventory.changed', id ? { id } : {}), fault: faultPoint(log) });
    await migration.cleanUpInterrupted();

    stats = new StatsService({
      supervisor,
      find: (ref) => vms.find(ref),
      transportOf: (id) => {
        const n = inventory.networks.get(id);
        return n ? networks.transportOf(n) : undefined;
      },
    });
    const testClock = opts.clock ? undefined : testClockFromEnv(log);
    if (testClock) store.add(testClock);
    const scheduler = new Scheduler({
      inventory,
      snapshots,
      tasks,
      find: (ref) => vms.find(ref),
      clock: opts.clock ?? testClock ?? systemClock,
      log,
      changed: (id) => broadcast('inventory.changed', { id }),
    });
    store.add(scheduler);
    vms.scheduleOf = (id) => scheduler.info(id);
    scheduler.start();

    let requestShutdown!: () => void;
    const shutdownRequested = new Promise<void>((r) => (requestShutdown = r));
    const media = new MediaService({ home: paths.home, inventory, qemuImg, supervisor, tasks, find: (ref) => vms.find(ref), log });
    const usb = new UsbService({ inventory, supervisor, tasks, qemuImg, guard: () => vms.guard, find: (ref) => vms.find(ref), log });
    // libvirt hosts: one `virsh event` child per remote, started now, ended with the owner
    const remotes = new RemoteService({
      repo: inventory.remotes,
      log,
      changed: (remote, domain) => broadcast('remote.changed', { remote, ...(domain ? { domain } : {}) }),
      consoleData: (remote, domain, data) => broadcast('remote.console', { remote, domain, data: data.toString('base64') }),
    });
    store.add(toDisposable(() => remotes.dispose()));
    const remoteDisplays = new RemoteDisplays(remotes, log);
    store.add(toDisposable(() => remoteDisplays.dispose()));
    const remoteTransfer = new RemoteTransfer({
      home: paths.home,
      inventory,
      remotes,
      qemuImg,
      tasks,
      provision: vms.provisionDeps(),
      find: (ref) => vms.find(ref),
      usedMacs: () => vms.usedMacs(),
      newMac: (used) => vms.newMac(used),
      log,
    });
    const handlers = createHandlers({
      vms,
      media,
      usb,
      networks,
      remotes: { service: remotes, transfer: remoteTransfer, migration: new RemoteMigration({ remotes, tasks, log }), displays: remoteDisplays },
      snapshots,
      clones,
      imports,
      exports,
      library,
      quick,
      stats,
      scheduler,
      migration,
      tasks,
      inventory,
      host: () => host,
      refreshHost: async () => {
        host = withoutFirmwareInTests(await detectHost({ cacheDir: paths.cacheDir, log }));
        return host;
      },
      owner: { pid: process.pid, kind: opts.kind, home: paths.home },
      subscribeConsole: (conn, vmId) => {
        let set = consoleSubs.get(conn);
        if (!set) {
          set = new Set();
          consoleSubs.set(conn, set);
          conn.resources.add(toDisposable(() => consoleSubs.delete(conn)));
        }
        set.add(vmId);
      },
      unsubscribeConsole: (conn, vmId) => consoleSubs.get(conn)?.delete(vmId),
      inventoryChanged: (id) => broadcast('inventory.changed', id ? { id } : {}),
      handover: async (to) => {
        if (opts.kind !== 'headless owner') {
          throw new HangarError('OWNER_CONFLICT', `this home is owned by ${opts.kind} (pid ${process.pid}), which does not hand it over; stop it first`);
        }
        log(`handing the home over to ${to}; VMs keep running`);
        setTimeout(requestShutdown, 50);
        return { pid: process.pid };
      },
      shutdown: async (force) => {
        const running = inventory.vms.list().filter((r) => isActive(r.state));
        if (running.length && !force) {
          throw new HangarError(
            'STATE_CONFLICT',
            `${running.length} VM(s) still running (${running.map((r) => r.name).join(', ')}): stop them first`,
            { details: { issues: [{ path: '', message: 'VMs still run', code: VMS_RUNNING, data: { vms: running.map((r) => r.name) } }] } },
          );
        }
        for (const r of running) {
          try {
            await vms.stop(r.id, { force: true, timeoutS: 30, signal: new AbortController().signal, evenIfBusy: true });
          } catch (e) {
            log(`vm=${r.id} power-off at shutdown failed: ${(e as Error).message}`);
          }
        }
        setTimeout(requestShutdown, 50);
        return { stoppedVms: running.map((r) => r.name) };
      },
    });

    const connect = (transport: Transport) => {
      store.add(
        serve(hangarApi, handlers, transport, {
          log,
          onConnection: (conn) => {
            connections.add(conn);
            conn.resources.add(toDisposable(() => connections.delete(conn)));
          },
        }),
      );
    };
    const server = await listenUnix(paths.ownerSocket, connect);
    store.add(server);
    log(`owner ready (${opts.kind}) on ${paths.ownerSocket}`);

    return {
      home: paths.home,
      socketPath: paths.ownerSocket,
      connect,
      shutdownRequested,
      vncSocketFor: (vmId) => {
        const row = inventory.vms.get(vmId);
        if (!row) return remoteDisplays.take(vmId);
        if (!isActive(row.state) || !row.config.display.vnc) return null;
        return vmPaths(paths.home, vmId).vncSocket;
      },
      dispose: () => store.dispose(),
    };
  } catch (e) {
    store.dispose();
    throw e;
  }
}

/** Test-only (HANGAR_TEST=1 HANGAR_TEST_NO_OVMF=1): a host without UEFI firmware, as one without the ovmf package. */
function withoutFirmwareInTests(h: HostFactsReport): HostFactsReport {
  if (process.env.HANGAR_TEST !== '1' || process.env.HANGAR_TEST_NO_OVMF !== '1') return h;
  return { ...h, ovmf: null, ovmfSecureBoot: null };
}

/**
 * Test-only fault injection: with HANGAR_TEST=1 and HANGAR_FAULT=<point>, the owner kills itself with
 * SIGKILL when it reaches that point, so crash safety can be tested at each step of an operation.
 */
export function faultPoint(log: (line: string) => void): ((name: string) => void) | undefined {
  const wanted = process.env.HANGAR_FAULT;
  if (!wanted || process.env.HANGAR_TEST !== '1') return undefined;
  return (name) => {
    if (name !== wanted) return;
    log(`fault injected at ${name}: SIGKILL`);
    process.kill(process.pid, 'SIGKILL');
  };
}

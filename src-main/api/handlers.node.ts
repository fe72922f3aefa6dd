// The owner's API handlers: one per contract method (a missing one does not compile).
import { detectLiveSnapshotMethod, detectQemuPrivileges } from '../../src-vmm/qemu/privileges.node.js';
import type { ConnectionContext, Handlers } from '../../src-vmm/base/rpc.js';
import type { HostFactsReport } from '../../src-vmm/qemu/hostFacts.js';
import { OS_TYPES, defaultsFor } from '../../src-vmm/model/index.js';
import { availableParallelism, totalmem } from 'node:os';
import { listFolder } from '../files/listFolder.node.js';
import { organize } from '../groups/placement.js';
import { userFolders } from '../files/userFolders.node.js';
import { PathGuard } from '../files/pathGuard.node.js';
import type { HangarInventory } from '../inventory/hangarInventory.node.js';
import type { LibraryImageRow } from '../inventory/types.js';
import type { TaskRunner } from '../tasks/taskRunner.js';
import type { hangarApi } from './contract.js';
import type { VmService } from '../vms/vmService.node.js';
import type { SnapshotService } from '../snapshots/snapshotService.node.js';
import type { CloneService } from '../clones/cloneService.node.js';
import type { ImportService } from '../appliances/importService.node.js';
import type { ExportService } from '../appliances/exportService.node.js';
import type { NetworkManager } from '../networks/networkManager.node.js';
import type { LibraryService } from '../library/libraryService.node.js';
import type { QuickCreateService } from '../quickcreate/quickCreate.node.js';
import type { MediaService } from '../media/mediaService.node.js';
import type { UsbService } from '../usb/usbService.node.js';
import { createRemoteHandlers, type RemoteDeps } from '../remotes/handlers.node.js';
import { statsHandlers, type StatsService } from '../stats/statsService.node.js';
import { scheduleHandlers, type Scheduler } from '../schedules/scheduler.node.js';
import type { MigrationService } from '../migration/migrationService.node.js';
import { migrationHandlers } from '../migration/handlers.node.js';

export interface HandlerDeps {
  vms: VmService;
  networks: NetworkManager;
  snapshots: SnapshotService;
  clones: CloneService;
  imports: ImportService;
  exports: ExportService;
  library: LibraryService;
  quick: QuickCreateService;
  media: MediaService;
  usb: UsbService;
  remotes: RemoteDeps;
  stats: StatsService;
  scheduler: Scheduler;
  migration: MigrationService;
  tasks: TaskRunner;
  inventory: HangarInventory;
  host: () => HostFactsReport;
  refreshHost: () => Promise<HostFactsReport>;
  owner: { pid: number; kind: string; home: string };
  subscribeConsole: (conn: ConnectionContext, vmId: string) => void;
  unsubscribeConsole: (conn: ConnectionContext, vmId: string) => void;
  shutdown: (force: boolean) => Promise<{ stoppedVms: string[] }>;
  handover: (to: string) => Promise<{ pid: number }>;
  /** tells every front end that the inventory changed */
  inventoryChanged: (id?: string) => void;
}

export function createHandlers(d: HandlerDeps): Handlers<typeof hangarApi> {
  const progressOf = (ctx: { progress: (p: { fraction: number; message?: string }) => void }) => (fraction: number, message?: string) =>
    ctx.progress(message === undefined ? { fraction } : { fraction, message });
  return {
    ...migrationHandlers(d.migration),
    'host.info': async () => {
      const h = d.host();
      return {
        qemuVersion: h.qemuVersion,
        qemuBinary: h.qemuBinary,
        accelerator: h.accelerator,
        accelReason: h.accelReason,
        kvm: h.kvm,
        ovmf: h.ovmf,
        qemuPrivileges: (({ kind, summary }) => ({ kind, summary }))(detectQemuPrivileges(h.qemuBinary)),
        liveSnapshots: detectLiveSnapshotMethod(h.qemuBinary),
        ...(h.ovmfSecureBoot !== undefined ? { ovmfSecureBoot: h.ovmfSecureBoot } : {}),
        ...(h.swtpm ? { swtpm: h.swtpm.binary !== null ? { available: true, binary: h.swtpm.binary } : { available: false, reason: h.swtpm.reason } } : {}),
        ...(h.virtiofsd ? { virtiofs: h.virtiofsd.binary !== null ? { available: true, binary: h.virtiofsd.binary } : { available: false, reason: h.virtiofsd.reason } } : {}),
        ownerPid: d.owner.pid,
        ownerKind: d.owner.kind,
        home: d.owner.home,
        hostCpus: availableParallelism(),
        hostMemoryMiB: Math.floor(totalmem() / (1024 * 1024)),
        userFolders: userFolders(),
      };
    },
    'os.list': async () => ({
      osTypes: OS_TYPES.map((os) => {
        const def = defaultsFor(os.id);
        return {
          id: os.id,
          label: os.label,
          family: os.family,
          defaults: {
            cpus: def.cpus,
            memoryMiB: def.memoryMiB,
            diskGiB: def.diskGiB,
            firmware: def.firmware,
            chipset: def.chipset,
            diskBus: def.diskBus,
            nicModel: def.nicModel,
            tpm: def.tpm,
            secureBoot: def.secureBoot,
          },
        };
      }),
    }),
    'vm.list': async (filter) => ({ vms: d.vms.list(filter) }),
    'vm.organize': async ({ refs, ...change }) => {
      const rows = organize(d.inventory, refs, change);
      d.inventoryChanged();
      return { vms: rows.map((r) => d.vms.summary(r)) };
    },
    'vm.show': async ({ ref }) => d.vms.details(d.vms.find(ref)),
    'vm.create': async (input, ctx) => {
      const p = { signal: ctx.signal, onProgress: progressOf(ctx) };
      const quick = input.image !== undefined || input.cloudInit !== undefined || input.unattended !== undefined;
      const row = quick ? await d.quick.create(input, p) : await d.vms.create(input, p);
      d.inventoryChanged(row.id);
      return d.vms.details(row);
    },
    'vm.modify': async (input, ctx) => {
      const row = await d.vms.modify(input, { signal: ctx.signal, onProgress: progressOf(ctx) });
      d.inventoryChanged(row.id);
      return d.vms.details(row);
    },
    'vm.delete': async ({ ref, keepFiles, keepShared }) => {
      const r = d.vms.delete(ref, keepFiles, keepShared);
      d.vms.collectOrphanImages();
      d.inventoryChanged(r.id);
      return r;
    },
    'vm.start': async ({ ref, waitSerial, timeoutS }, ctx) =>
      d.vms.start(ref, { ...(waitSerial ? { waitSerial } : {}), timeoutS, signal: ctx.signal, onProgress: progressOf(ctx) }),
    'vm.stop': async ({ ref, force, timeoutS, wait }, ctx) => d.vms.stop(ref, { force, timeoutS, wait, signal: ctx.signal }),
    'vm.pause': async ({ ref }) => d.vms.simple(ref, 'pause'),
    'vm.resume': async ({ ref }) => d.vms.simple(ref, 'resume'),
    'vm.reset': async ({ ref }) => d.vms.simple(ref, 'reset'),
    'vm.save': async ({ ref }, ctx) => d.vms.save(ref, { signal: ctx.signal, onProgress: progressOf(ctx) }),
    'vm.serial': async ({ ref, maxBytes }) => ({ data: d.vms.serial(ref, maxBytes).toString('base64') }),
    'vm.screenshot': async ({ ref, file }) => d.vms.screenshot(ref, file),
    'vm.exec': async ({ ref, command, args, input, timeoutS }, ctx) => d.vms.exec(ref, { command, args, timeoutS, signal: ctx.signal, ...(input !== undefined ? { input } : {}) }),
    'vm.send': async ({ ref, text, enter }) => {
      await d.vms.send(ref, text, enter);
      return null;
    },
    'vm.consoleAttach': async ({ ref, backlogBytes }, ctx) => {
      const row = d.vms.find(ref);
      d.subscribeConsole(ctx.connection, row.id);
      const backlog = backlogBytes > 0 ? d.vms.serial(row.id, backlogBytes).toString('base64') : '';
      return { id: row.id, backlog };
    },
    'vm.consoleDetach': async ({ ref }, ctx) => {
      d.unsubscribeConsole(ctx.connection, d.vms.find(ref).id);
      return null;
    },
    'vm.display': async ({ ref }) => {
      const row = d.vms.find(ref);
      return { id: row.id, path: `/vnc/${row.id}` };
    },
    'fs.list': async ({ path, filter }) => listFolder(path, filter),
    'vm.clone': async ({ ref, name, linked, snapshot, mac, mode }, ctx) => {
      const p = { signal: ctx.signal, onProgress: progressOf(ctx) };
      const row =
        mode === 'all'
          ? await d.clones.cloneWithSnapshots({ ref, name, linked, ...(snapshot ? { snapshot } : {}), mac }, p)
          : await d.clones.clone({ ref, name, linked, ...(snapshot ? { snapshot } : {}), mac }, p);
      d.inventoryChanged(row.id);
      return d.vms.details(row);
    },
    'appliance.review': async ({ path }) => d.imports.review(path),
    'appliance.import': async ({ path, machines, networks }, ctx) => {
      const rows = await d.imports.import(path, machines, { signal: ctx.signal, onProgress: progressOf(ctx) }, networks);
      for (const row of rows) d.inventoryChanged(row.id);
      return { vms: await Promise.all(rows.map((row) => d.vms.details(row))) };
    },
    'appliance.export': async (req, ctx) => {
      new PathGuard(d.owner.home, d.inventory).assertWritable(req.file, 'export file');
      return d.exports.export(
        {
          refs: req.refs,
          file: req.file,
          ovfVersion: req.ovfVersion,
          profile: req.profile,
          manifest: req.manifest,
          ...(req.snapshot ? { snapshot: req.snapshot } : {}),
          ...(req.product ? { product: req.product } : {}),
          ...(req.eula ? { eula: req.eula } : {}),
        },
        { signal: ctx.signal, onProgress: progressOf(ctx) },
      );
    },
    'vm.removeDisk': async ({ ref, diskId, deleteImage }) => {
      const r = d.vms.removeDisk(ref, diskId, deleteImage);
      d.vms.collectOrphanImages();
      d.inventoryChanged(r.id);
      return r;
    },
    'vm.promote': async ({ ref }, ctx) => {
      const row = await d.clones.promote(ref, { signal: ctx.signal, onProgress: progressOf(ctx) });
      d.vms.collectOrphanImages();
      return d.vms.details(row);
    },
    'snapshot.list': async ({ ref }) => d.snapshots.list(ref),
    'snapshot.take': async ({ ref, name, description, quiesce }, ctx) => d.snapshots.take(ref, { name, description, quiesce }, { signal: ctx.signal, onProgress: progressOf(ctx) }),
    'snapshot.restore': async ({ ref, snapshot }, ctx) => d.snapshots.restore(ref, snapshot, { signal: ctx.signal, onProgress: progressOf(ctx) }),
    'snapshot.delete': async ({ ref, snapshot }, ctx) => {
      await d.snapshots.delete(ref, snapshot, { signal: ctx.signal, onProgress: progressOf(ctx) });
      return null;
    },
    'snapshot.deletePlan': async ({ ref, snapshot }) => d.snapshots.deletePlan(ref, snapshot),
    'snapshot.edit': async ({ ref, snapshot, name, description }) =>
      d.snapshots.edit(ref, snapshot, { ...(name !== undefined ? { name } : {}), ...(description !== undefined ? { description } : {}) }),
    'snapshot.thumbnail': async ({ ref, snapshot }) => d.snapshots.thumbnail(ref, snapshot),
    'tasks.list': async ({ limit }) => ({ tasks: d.inventory.tasks.list({ limit }) }),
    'task.cancel': async ({ id }) => {
      d.tasks.cancel(id);
      return null;
    },
    'owner.shutdown': async ({ force }) => d.shutdown(force),
    'network.list': async () => ({
      networks: d.networks.list().map((n) => ({ id: n.id, name: n.name, mode: n.mode, subnet: n.subnet, dhcp: n.dhcp, bridge: n.bridge, vms: d.networks.usersOf(n.id).map((r) => r.name) })),
      privileged: d.networks.privileged,
    }),
    'network.show': async ({ ref }) => d.networks.details(d.networks.find(ref)),
    'network.create': async (input) => {
      const n = await d.networks.create(input);
      d.inventoryChanged();
      return d.networks.details(n);
    },
    'network.delete': async ({ ref }) => {
      const r = await d.networks.delete(ref);
      d.inventoryChanged();
      return r;
    },
    'image.add': async ({ path, name, flatten }, ctx) => {
      const row = await d.library.add({ path, ...(name !== undefined ? { name } : {}), flatten }, { signal: ctx.signal, onProgress: progressOf(ctx) });
      return libraryImageView(row, d.library.usedBy(row));
    },
    'image.list': async () => ({ images: d.library.list().map((r) => libraryImageView(r, r.vms)) }),
    'image.remove': async ({ ref }) => d.library.remove(ref),
    'os.detect': async ({ path }, ctx) => d.quick.detect(path, ctx.signal),
    'vm.sshInfo': async ({ ref }) => d.quick.sshInfo(ref),
    'ssh.keys': async () => d.quick.sshKeys(),
    'owner.handover': async ({ to }) => d.handover(to),
    'media.list': async ({ unused }) => ({ media: await d.media.list({ unused }) }),
    'disk.resize': async ({ ref, disk, sizeBytes, addBytes }, ctx) => {
      const r = await d.media.resize(ref, disk, sizeBytes !== undefined ? { sizeBytes } : { addBytes: addBytes! }, { signal: ctx.signal, onProgress: progressOf(ctx) });
      d.inventoryChanged(d.vms.find(ref).id);
      return r;
    },
    'disk.compact': async ({ ref, disk }, ctx) => {
      const r = await d.media.compact(ref, disk, { signal: ctx.signal, onProgress: progressOf(ctx) });
      d.inventoryChanged(d.vms.find(ref).id);
      return r;
    },
    'usb.list': async () => ({
      devices: d.usb.hostDevices().map(({ access, ...x }) => ({ ...x, accessible: access.ok, ...(access.ok ? {} : { accessProblem: access.reason }) })),
    }),
    'usb.attach': async ({ ref, image, device }) => {
      const r = await d.usb.attach(ref, image !== undefined ? { image } : { vendorId: device!.vendorId, productId: device!.productId });
      d.inventoryChanged(r.id);
      return r;
    },
    'usb.detach': async ({ ref, id }) => {
      const r = await d.usb.detach(ref, id);
      d.inventoryChanged(r.id);
      return r;
    },
    ...createRemoteHandlers(d.remotes, () => d.inventoryChanged()),
    ...statsHandlers(d.stats),
    ...scheduleHandlers(d.scheduler),
  };
}

function libraryImageView(r: LibraryImageRow, vms: string[]) {
  return {
    id: r.id,
    name: r.name,
    path: r.path,
    kind: r.kind,
    format: r.format,
    virtualSizeBytes: r.virtualSize,
    sizeBytes: r.sizeBytes,
    osType: r.osType,
    osinfoId: r.osinfoId,
    osName: r.osName,
    osVersion: r.osVersion,
    source: r.source,
    createdAt: r.createdAt,
    vms,
  };
}

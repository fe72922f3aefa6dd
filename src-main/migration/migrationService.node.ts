// Live migration between owners. The source owner drives: it checks the VM can move, opens a line to
// the target owner (link.node.ts), asks it to prepare an incoming QEMU from the same config, has the
// VM's host migrate (mirroring the disks first with --copy-storage), then asks the target to finish
// (register the VM and run it) and only then ends the VM here. The target's side is prepare / finish /
// abort: it provisions the VM's folder as any new VM (provision.node.ts) but registers it only at
// finish; until then a marker file says the folder is an arriving VM's, so an owner that died meanwhile
// is cleaned up after at its next start. Any failure or cancel leaves the VM running on the source and
// nothing on the target.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { HangarError, isHangarError, toHangarError } from '../../src-vmm/base/errors.js';
import type { ConnectionContext } from '../../src-vmm/base/rpc.js';
import { toDisposable } from '../../src-vmm/base/disposable.js';
import { hasTpm, sharesOf, type VmConfig } from '../../src-vmm/model/index.js';
import { assertFreeSpace, type QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { homePaths, vmPaths } from '../home.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { Supervisor } from '../supervisor/supervisor.node.js';
import type { TaskRunner } from '../tasks/taskRunner.js';
import { provisionVm, removeAllBut, type NewImage } from '../vms/provision.node.js';
import type { VmService } from '../vms/vmService.node.js';
import type { CloneService } from '../clones/cloneService.node.js';
import type { MigrateInput, MigrateResult, MigrationPrepareInput } from './contract.js';
import { receiveFiles, sendFiles } from './files.node.js';
import { openLink } from './link.node.js';
import { describeTarget, parseTarget } from './target.js';
import { filesToCopy, remapTree, treeImages, treeProblems, type MovingTree } from './tree.js';

/** The file in an arriving VM's folder that says so (removed when the VM is registered). */
export const ARRIVING_MARKER = 'migrating-in';
/** The note a VM that left with shared storage leaves in its folder, beside the disks it still uses. */
export const MIGRATED_NOTE = 'MIGRATED';

export interface MigrationDeps {
  home: string;
  inventory: HangarInventory;
  qemuImg: QemuImg;
  supervisor: Supervisor;
  tasks: TaskRunner;
  vms: VmService;
  clones: CloneService;
  log: (line: string) => void;
  changed: (id?: string) => void;
  fault?: ((point: string) => void) | undefined;
}

type Launched = { socket: string; nbd?: { socket: string; exports: { diskId: string; export: string }[] } };

interface Arriving {
  id: string;
  name: string;
  /** resolves the waiting provision (finish) or rejects it (abort) */
  go: (ok: boolean) => void;
  /** the files have come: launch the incoming QEMU */
  launch: () => void;
  launched: Promise<Launched>;
  registered: Promise<VmRow>;
}

function refuse(code: 'STATE_CONFLICT' | 'INVALID_INPUT' | 'UNSUPPORTED' | 'ALREADY_EXISTS' | 'NOT_FOUND', message: string, path = ''): HangarError {
  return new HangarError(code, message, { details: { issues: [{ path, message }] } });
}

export class MigrationService {
  private readonly arriving = new Map<string, Arriving>();

  constructor(private readonly d: MigrationDeps) {}

  // ------------------------------------------------------------- source

  /** Why this VM cannot move, or nothing: checked before anything is asked of the target (what it is first, then whether it runs). */
  private checkMovable(row: VmRow, copyStorage: boolean): void {
    const vm = row.name;
    const tags = sharesOf(row.config).map((s) => s.tag);
    if (tags.length) throw refuse('STATE_CONFLICT', `VM '${vm}' shares host folders (${tags.map((t) => `'${t}'`).join(', ')}), which cannot move with it: QEMU cannot migrate a VM with shared folders`);
    if (row.config.display.clipboard === true) throw refuse('STATE_CONFLICT', `VM '${vm}' shares its clipboard with the display, and QEMU cannot migrate a VM that does`);
    const networked = row.config.nics.filter((n) => n.network);
    if (networked.length) throw refuse('UNSUPPORTED', `VM '${vm}' has cards on Hangar networks (${networked.map((n) => `'${n.network}'`).join(', ')}), which stay on this machine: only user-mode NAT cards migrate`);
    const dependents = this.d.clones.dependents(row);
    if (dependents.length) throw refuse('STATE_CONFLICT', `VM '${vm}' cannot move: the linked clone(s) ${dependents.map((x) => `'${x.vmName}'`).join(', ')} depend on its disks`);
    const base = this.d.clones.linkedTo(row);
    if (base) throw refuse('STATE_CONFLICT', `VM '${vm}' is a linked clone of '${base.vmName}', whose disks cannot move with it: promote it first`);
    const images = this.d.inventory.images.listForVm(row.id);
    if (images.some((i) => i.backingPath && this.d.inventory.images.get(i.backingPath)?.role === 'library')) {
      throw refuse('STATE_CONFLICT', `VM '${vm}' is based on an image of this home's library, which cannot move with it: promote it first`);
    }
    if (copyStorage && row.config.disks.some((disk) => disk.format !== 'qcow2')) throw refuse('UNSUPPORTED', `VM '${vm}' has a disk that is not qcow2, which --copy-storage does not copy`);
    if (row.state !== 'running') throw refuse('STATE_CONFLICT', `VM '${vm}' is ${row.state}: only a running VM migrates live (a stopped one moves with export and import)`);
    if (!this.d.supervisor.get(row.id)) throw refuse('STATE_CONFLICT', `VM '${vm}' is running but its VMM host does not answer`);
    this.d.tasks.assertFree(row);
  }

  /** The VM's snapshot tree as it moves (tree.ts), or nothing when it has no snapshots. */
  private treeOf(row: VmRow): MovingTree | undefined {
    const snaps = this.d.inventory.snapshots.listForVm(row.id);
    if (!snaps.length) return undefined;
    const images = this.d.inventory.images;
    const tops = new Set(row.config.disks.map((x) => x.path));
    const order = treeImages([...tops, ...snaps.flatMap((x) => x.disks.map((dd) => dd.path))], (p) => images.get(p));
    return {
      images: order.map((path) => {
        const r = images.get(path);
        return { path, format: r?.format ?? 'qcow2', virtualSize: r?.virtualSize ?? 0, backingPath: r?.backingPath ?? null, role: tops.has(path) ? ('disk' as const) : ('frozen' as const) };
      }),
      snapshots: snaps.map((x) => ({
        id: x.id,
        parentId: x.parentId,
        name: x.name,
        description: x.description,
        createdAt: x.createdAt,
        config: x.config,
        live: x.live,
        stateFile: x.stateFile,
        disks: x.disks,
        facts: x.facts,
        quiesced: x.quiesced,
      })),
      currentSnapshotId: this.d.inventory.snapshots.current(row.id)?.id ?? null,
    };
  }

  async migrate(input: MigrateInput, opts: { signal: AbortSignal; onProgress: (f: number, m?: string) => void }): Promise<MigrateResult> {
    const row = this.d.vms.find(input.ref);
    const target = parseTarget(input.target);
    if (target.kind === 'home' && resolvePath(target.home) === resolvePath(this.d.home)) throw refuse('INVALID_INPUT', 'the target is this home', 'target');
    const copyStorage = input.copyStorage === true;
    this.checkMovable(row, copyStorage);
    const where = describeTarget(target);
    return this.d.tasks.run('vm.migrate', row, { signal: opts.signal, onProgress: opts.onProgress, subject: where }, async (task) => {
      const paths = vmPaths(this.d.home, row.id);
      const c = row.config;
      task.phase(`connecting to ${where}`);
      const link = await openLink(target, { signal: task.signal, log: (l) => this.d.log(`vm=${row.id} migrate link: ${l}`) });
      try {
        const disks = copyStorage ? await Promise.all(c.disks.map(async (disk) => ({ diskId: disk.id, virtualSizeBytes: (await this.d.qemuImg.info(disk.path))[0]!.virtualSizeBytes }))) : undefined;
        // The snapshot tree goes with the VM: its files first (all of them with --copy-storage, else
        // only the small ones a VM's folder holds by name), while the guest runs.
        const tree = this.treeOf(row);
        const files = tree
          ? filesToCopy(tree, { sourceDir: paths.dir, copyStorage, smallFiles: snapshotSmallFiles(paths.snapshots, tree) }).map((f) => ({ ...f, size: statSync(f.from).size }))
          : [];
        const filesShare = files.length && copyStorage ? 0.3 : 0;
        task.phase('preparing the target');
        const prepared = await link.api.call(
          'migration.prepare',
          {
            config: c,
            accelerator: row.accelerator ?? this.d.vms.accelFor(c).accelerator,
            ...(c.firmware.type === 'uefi' && existsSync(paths.nvram) ? { nvram: readFileSync(paths.nvram).toString('base64') } : {}),
            ...(hasTpm(c) && existsSync(paths.tpmState) ? { tpm: listFiles(paths.tpmState).map((f) => ({ path: f, data: readFileSync(join(paths.tpmState, f)).toString('base64') })) } : {}),
            ...(disks ? { copyStorage: disks } : {}),
            ...(tree ? { tree } : {}),
            ...(files.length ? { files } : {}),
          },
          { signal: task.signal, timeoutMs: 300_000 },
        );
        let result: { downtimeMs: number; totalMs: number; transferredBytes: number; mirroredBytes: number };
        try {
          if (prepared.files) {
            task.phase('copying the snapshots');
            const total = files.reduce((a, f) => a + f.size, 0);
            await sendFiles(await link.forward(prepared.files, join(paths.run, 'mig-files.sock')), files, {
              signal: task.signal,
              bandwidthBytes: input.bandwidthMiBs ? input.bandwidthMiBs * 1048576 : undefined,
              onProgress: (sent) => task.progress(filesShare * (sent / total), `copying the snapshots: ${(sent / 1048576).toFixed(1)} of ${(total / 1048576).toFixed(1)} MiB`),
            });
          }
          task.phase('starting QEMU on the target');
          const launched = await link.api.call('migration.launch', { id: row.id }, { signal: task.signal, timeoutMs: 300_000 });
          const socket = await link.forward(launched.socket, join(paths.run, 'mig-out.sock'));
          // The exports share the target's one NBD server socket: one forward serves them all.
          const nbdSocket = launched.nbd ? await link.forward(launched.nbd.socket, join(paths.run, 'mig-nbd.sock')) : undefined;
          // A disk whose image is based on frozen ones: only its own data goes; the target's is based on their copies.
          const topOnly = (diskId: string) => !!tree?.images.find((i) => i.path === c.disks.find((x) => x.id === diskId)?.path)?.backingPath;
          const mirrors = launched.nbd && nbdSocket ? launched.nbd.exports.map((x) => ({ diskId: x.diskId, export: x.export, socket: nbdSocket, sync: topOnly(x.diskId) ? ('top' as const) : ('full' as const) })) : undefined;
          task.phase(copyStorage ? 'copying the disks and the memory' : 'copying the memory');
          // A line that ends (the target's owner died, ssh dropped) cancels the migration: nobody would finish it.
          const stop = new AbortController();
          const onCancel = () => stop.abort();
          task.signal.addEventListener('abort', onCancel, { once: true });
          let lost = false;
          void link.closed.then(() => {
            lost = true;
            stop.abort();
          });
          try {
            result = await this.d.supervisor.call(
              row.id,
              'host.migrate',
              {
                socket,
                ...(input.maxDowntimeMs ? { maxDowntimeMs: input.maxDowntimeMs } : {}),
                ...(input.bandwidthMiBs ? { bandwidthBytes: Math.round(input.bandwidthMiBs * 1048576) } : {}),
                ...(mirrors ? { mirrors } : {}),
              },
              { signal: stop.signal, onProgress: (p) => task.progress(filesShare + p.fraction * (0.95 - filesShare), p.message), timeoutMs: 7 * 86_400_000 },
            );
          } catch (e) {
            if (lost && !task.signal.aborted) throw new HangarError('IO_ERROR', `the target went away during the migration${link.why() ? ` (${link.why()})` : ''}`, { cause: e });
            throw e;
          } finally {
            task.signal.removeEventListener('abort', onCancel);
          }
          this.d.fault?.('migrate.beforeFinish');
          task.phase('starting the VM on the target');
          try {
            await link.api.call('migration.finish', { id: row.id }, { timeoutMs: 120_000 });
          } catch (e) {
            // The target did not take over: the guest runs on here, where it stopped.
            await this.d.supervisor.call(row.id, 'host.resume', {}).catch((r: unknown) => this.d.log(`vm=${row.id} resuming after a failed finish: ${toHangarError(r).message}`));
            throw e;
          }
        } catch (e) {
          await link.api.call('migration.abort', { id: row.id }, { timeoutMs: 60_000 }).catch(() => undefined);
          const why = link.why();
          if (isHangarError(e) && (e.code === 'CANCELLED' || e.code === 'QEMU_FAILED')) throw e;
          throw new HangarError(isHangarError(e) ? e.code : 'IO_ERROR', `${toHangarError(e).message}${why ? ` (${why})` : ''}; the VM runs on here`, { cause: e });
        }
        // The VM runs on the target: it ends here, and its folder goes (with shared storage its disks stay, now the target's).
        await this.d.supervisor.call(row.id, 'host.powerOff', {}, { timeoutMs: 30_000 }).catch((e: unknown) => this.d.log(`vm=${row.id} power-off after migrating: ${toHangarError(e).message}`));
        this.d.inventory.transaction(() => this.d.inventory.vms.delete(row.id));
        if (copyStorage) rmSync(paths.dir, { recursive: true, force: true });
        else {
          // What the target uses in place: the images and the snapshots' RAM states.
          const used = tree ? [...tree.images.map((i) => i.path), ...tree.snapshots.flatMap((x) => (x.stateFile ? [x.stateFile] : []))] : c.disks.map((disk) => disk.path);
          const keep = new Set(used.filter((p) => p.startsWith(`${paths.dir}/`)));
          if (keep.size) writeFileSync(join(paths.dir, MIGRATED_NOTE), `This VM migrated to ${where} on ${new Date().toISOString()}; its disks stay here, used there in place.\n`, { mode: 0o600 });
          removeAllBut(paths.dir, new Set([...keep, join(paths.dir, MIGRATED_NOTE)]));
          if (!keep.size) rmSync(paths.dir, { recursive: true, force: true });
        }
        this.d.changed(row.id);
        task.outcome(`migrated to ${where} (downtime ${result.downtimeMs} ms)`);
        return { vm: row.name, target: where, id: row.id, ...result };
      } finally {
        link.dispose();
      }
    });
  }

  // ------------------------------------------------------------- target

  /** Cleans up after arrivals an owner did not see through (it died): their QEMU ends, their folder goes. */
  async cleanUpInterrupted(): Promise<void> {
    const dir = homePaths(this.d.home).vmsDir;
    let ids: string[] = [];
    try {
      ids = readdirSync(dir);
    } catch {
      return;
    }
    for (const id of ids) {
      const vp = vmPaths(this.d.home, id);
      if (!existsSync(join(vp.dir, ARRIVING_MARKER))) continue;
      if (this.d.inventory.vms.get(id)) {
        rmSync(join(vp.dir, ARRIVING_MARKER), { force: true });
        continue;
      }
      const handle = await this.d.supervisor.attach(id, vp);
      if (handle) await this.d.supervisor.call(id, 'host.powerOff', {}, { timeoutMs: 30_000 }).catch(() => undefined);
      else if (existsSync(vp.pidFile)) this.d.supervisor.cleanUpOrphan(vp);
      dropArrival(vp.dir);
      this.d.log(`vm=${id} removed what an interrupted incoming migration left`);
    }
  }

  async prepare(input: MigrationPrepareInput, conn: ConnectionContext, signal: AbortSignal): Promise<{ files?: string }> {
    const given = input.config as VmConfig;
    const { id, name } = given;
    if (this.d.inventory.vms.findByName(name)) throw refuse('ALREADY_EXISTS', `a VM named '${name}' already exists on the target`, 'name');
    const paths = vmPaths(this.d.home, id);
    // A VM that lived here before and left its disks behind (shared storage) comes back to its folder.
    const returning = existsSync(join(paths.dir, MIGRATED_NOTE)) && !input.copyStorage;
    if (this.d.inventory.vms.get(id) || this.arriving.has(id) || (existsSync(paths.dir) && !returning)) throw refuse('ALREADY_EXISTS', `the target already has a VM with the id ${id}`, 'id');
    const accel = this.d.vms.accelFor(given).accelerator;
    if (accel !== input.accelerator) throw refuse('UNSUPPORTED', `VM '${name}' runs under ${input.accelerator.toUpperCase()}, and the target would run it under ${accel.toUpperCase()}: QEMU cannot migrate between the two`);
    const copy = input.copyStorage;
    const tree = input.tree as MovingTree | undefined;
    const files = input.files ?? [];
    if (tree) {
      const problems = treeProblems(tree, given.disks.map((x) => x.path));
      if (problems.length) throw refuse('INVALID_INPUT', `the snapshot tree of VM '${name}' is not whole: ${problems[0]}`, 'tree');
    }
    const badFile = files.find((f) => !/^(disks|snapshots)\//.test(f.to));
    if (badFile) throw refuse('INVALID_INPUT', `a file the source sends must go into the VM's disks or snapshots folder, not ${badFile.to}`, 'files');
    // Shared storage: what the tree uses in place must be here too (at the same paths).
    const copied = new Set(files.map((f) => f.from));
    const inPlace = tree ? [...tree.images.filter((i) => !(copy && i.role === 'disk')).map((i) => i.path), ...tree.snapshots.flatMap((x) => (x.stateFile ? [x.stateFile] : []))].filter((p) => !copied.has(p)) : [];
    const missing = inPlace.find((p) => !existsSync(p));
    if (missing) throw refuse('NOT_FOUND', `VM '${name}' uses ${missing}, which the target does not see: without copying the storage both ends need the same files`);
    if (files.length) assertFreeSpace(homePaths(this.d.home).vmsDir, files.reduce((a, f) => a + f.size, 0));
    let go!: (ok: boolean) => void;
    const decided = new Promise<boolean>((r) => (go = r));
    let askLaunch!: () => void;
    const launchAsked = new Promise<void>((r) => (askLaunch = r));
    let ready!: (v: { files?: string }) => void;
    let launched!: (v: Launched) => void;
    let failed!: (e: unknown) => void;
    let failedLaunch!: (e: unknown) => void;
    const preparedP = new Promise<{ files?: string }>((res, rej) => {
      ready = res;
      failed = rej;
    });
    const launchedP = new Promise<Launched>((res, rej) => {
      launched = res;
      failedLaunch = rej;
    });
    launchedP.catch(() => undefined);
    const gaveUp = () => new HangarError('CANCELLED', 'the source gave up the migration');
    const registered = provisionVm(this.d.vms.provisionDeps(), {
      id,
      name,
      ...(returning ? { returning: { keep: [join(paths.dir, MIGRATED_NOTE), ...given.disks.map((x) => x.path), ...inPlace] } } : {}),
      fill: async (p) => {
        writeFileSync(join(p.dir, ARRIVING_MARKER), `an incoming migration (owner pid ${process.pid})\n`, { mode: 0o600 });
        if (input.nvram) writeFileSync(p.nvram, Buffer.from(input.nvram, 'base64'), { mode: 0o600 });
        for (const f of input.tpm ?? []) {
          const to = join(p.tpmState, f.path);
          if (relative(p.tpmState, to).startsWith('..')) throw refuse('INVALID_INPUT', 'a TPM state file outside its folder', 'tpm');
          mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
          writeFileSync(to, Buffer.from(f.data, 'base64'), { mode: 0o600 });
        }
        // The files come first (the frozen images the new disks are based on), then the launch.
        const receiver = files.length ? receiveFiles(join(p.run, 'files.sock'), p.dir, files.map((f) => ({ path: f.to, size: f.size }))) : undefined;
        try {
          ready(receiver ? { files: join(p.run, 'files.sock') } : {});
          const abandoned = decided.then((ok) => {
            if (!ok) throw gaveUp();
          });
          abandoned.catch(() => undefined);
          await Promise.race([launchAsked, abandoned]);
          if (receiver) await Promise.race([receiver.done, abandoned]);
        } finally {
          receiver?.dispose();
        }
        const map = new Map(files.map((f) => [f.from, join(p.dir, f.to)]));
        const taken = new Set(map.values());
        const config: VmConfig = copy
          ? {
              ...given,
              disks: given.disks.map((disk) => {
                let to = join(p.disks, `${disk.id}.qcow2`);
                for (let i = 1; taken.has(to) || existsSync(to); i++) to = join(p.disks, `${disk.id}-m${i}.qcow2`);
                taken.add(to);
                map.set(disk.path, to);
                return { ...disk, path: to, format: 'qcow2' as const };
              }),
            }
          : given;
        const moved = tree ? remapTree(tree, map) : undefined;
        const tops: NewImage[] = [];
        if (moved) {
          // Copied frozen images name their bases by the source's paths: now by their copies', and read-only.
          for (const img of moved.images) {
            if (img.role !== 'frozen' || !img.path.startsWith(`${p.dir}/`)) continue;
            const base = img.backingPath ? moved.images.find((i) => i.path === img.backingPath) : undefined;
            if (base) await this.d.qemuImg.rebase(img.path, { backing: base.path, backingFormat: base.format, unsafe: true });
            chmodSync(img.path, 0o400);
          }
        }
        for (const disk of config.disks) {
          const want = copy?.find((x) => x.diskId === disk.id);
          const top = moved?.images.find((i) => i.path === disk.path);
          const base = top?.backingPath ? moved!.images.find((i) => i.path === top.backingPath) : undefined;
          if (want) await this.d.qemuImg.create(disk.path, { format: 'qcow2', sizeBytes: want.virtualSizeBytes, ...(base ? { backing: { path: base.path, format: base.format } } : {}) });
          // Shared storage: the disks are used where they are (the source's, or a shared folder's), never deleted with the VM here.
          const size = want?.virtualSizeBytes ?? top?.virtualSize ?? (existsSync(disk.path) ? ((await this.d.qemuImg.info(disk.path).catch(() => []))[0]?.virtualSizeBytes ?? 0) : 0);
          tops.push({ path: disk.path, format: disk.format, virtualSize: size, backingPath: base?.path ?? null, owned: !!want || disk.path.startsWith(`${p.dir}/`), role: 'disk' });
        }
        // Recorded parents first (an image's row names its base's).
        const images: NewImage[] = moved
          ? moved.images.map((img) => tops.find((t) => t.path === img.path) ?? { path: img.path, format: img.format, virtualSize: img.virtualSize, backingPath: img.backingPath, owned: img.path.startsWith(`${p.dir}/`), role: img.role })
          : tops;
        const plan = this.d.vms.planLaunch({ id, name, config, state: 'stopped', stateReason: null, accelerator: accel, createdAt: '', updatedAt: '' } as VmRow, 'migration');
        const socket = plan.spec.incomingMigration!.socket;
        let started = false;
        try {
          await this.d.supervisor.launch(plan.spec, plan.paths);
          started = true;
          // QEMU listens once migrate-incoming has been sent: its socket file says so.
          for (let i = 0; !existsSync(socket); i++) {
            if (!this.d.supervisor.get(id) || i > 1200) throw new HangarError('QEMU_FAILED', `the incoming QEMU did not start listening: ${readTail(plan.paths.hostLog)}`);
            await new Promise((r) => setTimeout(r, 50));
          }
          let nbd: Launched['nbd'];
          if (copy) {
            nbd = { socket: join(p.run, 'nbd.sock'), exports: copy.map((x) => ({ diskId: x.diskId, export: x.diskId })) };
            await this.d.supervisor.call(id, 'host.nbdExport', { socket: nbd.socket, disks: nbd.exports.map((x) => ({ diskId: x.diskId, export: x.export })) });
          }
          launched({ socket, ...(nbd ? { nbd } : {}) });
          if (!(await decided)) throw gaveUp();
          return { config, images, ...(moved ? { record: (inventory: HangarInventory) => recordTree(inventory, id, moved) } : {}) };
        } catch (e) {
          if (started) await this.d.supervisor.call(id, 'host.powerOff', {}, { timeoutMs: 30_000 }).catch(() => undefined);
          throw e;
        }
      },
    });
    registered.catch((e: unknown) => {
      failed(e);
      failedLaunch(e);
      this.arriving.delete(id);
    });
    const entry: Arriving = { id, name, go, launch: askLaunch, launched: launchedP, registered };
    this.arriving.set(id, entry);
    // The source's line ends (it was cancelled, it died): the arrival ends with it.
    conn.resources.add(toDisposable(() => this.arriving.get(id) === entry && go(false)));
    return this.whileNotAborted(signal, go, preparedP);
  }

  /** Target side: the files have come; launches the incoming QEMU and says where it listens. */
  async launch(id: string, signal: AbortSignal): Promise<Launched> {
    const a = this.arriving.get(id);
    if (!a) throw new HangarError('NOT_FOUND', `no migration of a VM with the id ${id} is arriving here`);
    a.launch();
    return this.whileNotAborted(signal, a.go, a.launched);
  }

  private async whileNotAborted<T>(signal: AbortSignal, go: (ok: boolean) => void, p: Promise<T>): Promise<T> {
    const onAbort = () => go(false);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await p;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async finish(id: string): Promise<{ id: string; name: string }> {
    const a = this.arriving.get(id);
    if (!a) throw new HangarError('NOT_FOUND', `no migration of a VM with the id ${id} is arriving here`);
    a.go(true);
    try {
      const row = await a.registered;
      this.d.inventory.vms.setState(id, 'starting', undefined, this.d.vms.accelFor(row.config).accelerator);
      this.d.fault?.('migrate.targetRegistered');
      const status = await this.d.supervisor.call(id, 'host.boot', {}, { timeoutMs: 120_000 });
      this.d.inventory.vms.setState(id, status.state, status.reason);
      for (const f of [ARRIVING_MARKER, MIGRATED_NOTE]) rmSync(join(vmPaths(this.d.home, id).dir, f), { force: true });
      this.d.changed(id);
      return { id, name: row.name };
    } catch (e) {
      // Registered but it did not run: the source keeps the VM, so nothing of it stays here.
      const row = this.d.inventory.vms.get(id);
      if (row) {
        await this.d.supervisor.call(id, 'host.powerOff', {}, { timeoutMs: 30_000 }).catch(() => undefined);
        this.d.inventory.transaction(() => this.d.inventory.vms.delete(id));
        dropArrival(vmPaths(this.d.home, id).dir);
      }
      throw e;
    } finally {
      this.arriving.delete(id);
    }
  }

  async abort(id: string): Promise<null> {
    const a = this.arriving.get(id);
    if (!a) return null;
    a.go(false);
    await a.registered.catch(() => undefined);
    return null;
  }
}

/** Records the tree that came with the VM, in the transaction that registers it: the same snapshots, ids, names and current one. */
function recordTree(inventory: HangarInventory, vmId: string, tree: MovingTree): void {
  for (const x of tree.snapshots) inventory.snapshots.insert({ ...x, vmId });
  if (tree.currentSnapshotId) inventory.snapshots.setCurrent(vmId, tree.currentSnapshotId);
}

/** The files of the snapshots that a VM's folder holds by name: thumbnails, UEFI variables, TPM state. */
function snapshotSmallFiles(dir: string, tree: MovingTree): string[] {
  const out: string[] = [];
  for (const x of tree.snapshots) {
    for (const f of [`${x.id}.png`, `${x.id}.nvram.fd`]) if (existsSync(join(dir, f))) out.push(join(dir, f));
    const tpm = join(dir, `${x.id}.tpm`);
    if (existsSync(tpm)) out.push(...listFiles(tpm).map((f) => join(tpm, f)));
  }
  return out;
}

/** What an arrival that did not happen leaves: nothing, or, in a folder the VM had left, its note and the disks it still uses elsewhere. */
function dropArrival(dir: string): void {
  if (existsSync(join(dir, MIGRATED_NOTE))) {
    rmSync(join(dir, ARRIVING_MARKER), { force: true });
    // The disks and RAM states it left here for the target to use in place stay.
    const states = existsSync(join(dir, 'snapshots')) ? readdirSync(join(dir, 'snapshots')).filter((f) => f.endsWith('.vmstate')).map((f) => join(dir, 'snapshots', f)) : [];
    removeAllBut(dir, new Set([join(dir, MIGRATED_NOTE), join(dir, 'disks'), ...states]));
  } else rmSync(dir, { recursive: true, force: true });
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-2).join(' | ');
  } catch {
    return 'no log';
  }
}

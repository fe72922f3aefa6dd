// Clones: linked (new overlays on a snapshot's frozen images, constant time) and full (each disk's chain
// flattened into a new standalone qcow2, with progress and cancel); promoting a linked clone to a full one.
import { randomUUID, randomInt } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HangarError, invalidInput } from '../../src-vmm/base/errors.js';
import { provisionVm, type ProvisionDeps } from '../vms/provision.node.js';
import { configInvalid } from '../vms/requestIssues.js';
import { newVmNameProblems, randomMac, validateConfig, type VmConfig } from '../../src-vmm/model/index.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import { findSnapshot } from '../../src-vmm/snapshots/tree.js';
import { OVERLAY_ROOM_BYTES, asNoSpace, assertFreeSpace, freeSpace, testFillPoint, type QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { readChainNatively } from '../../src-vmm/storage/qcow2Header.node.js';
import { qcow2MaxBytes } from '../../src-vmm/storage/size.js';
import { vmPaths } from '../home.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { Supervisor } from '../supervisor/supervisor.node.js';
import type { TaskRunner } from '../tasks/taskRunner.js';
import { copyTpmState, type SnapshotService } from '../snapshots/snapshotService.node.js';
import { copyPrivate } from '../files/modes.node.js';
import { freeSshPort } from '../quickcreate/cloudInit.node.js';
import { cloudInitCopies, cloudInitForClone } from './cloneCloudInit.js';

export interface CloneServiceDeps {
  home: string;
  inventory: HangarInventory;
  qemuImg: QemuImg;
  supervisor: Supervisor;
  tasks: TaskRunner;
  snapshots: SnapshotService;
  find: (ref: string) => VmRow;
  /** how a new VM is put on disk and in the inventory */
  provision: ProvisionDeps;
  changed: (vmId: string) => void;
}

export interface CloneRequest {
  ref: string;
  name: string;
  linked: boolean;
  snapshot?: string;
  mac: 'new' | 'keep';
}

interface Progress {
  signal: AbortSignal;
  onProgress: (f: number, m?: string) => void;
}

export interface Dependency {
  vmId: string;
  vmName: string;
  snapshotId: string | null;
  snapshotName: string | null;
}

export class CloneService {
  constructor(private readonly d: CloneServiceDeps) {}

  /** Linked clones based on the images of a VM (its snapshots' frozen images). */
  dependents(vm: VmRow): Dependency[] {
    const out: Dependency[] = [];
    const snaps = this.d.inventory.snapshots.listForVm(vm.id);
    for (const img of this.d.inventory.images.listForVm(vm.id)) {
      for (const dep of this.d.inventory.images.dependents(img.path)) {
        if (!dep.vmId || dep.vmId === vm.id || out.some((o) => o.vmId === dep.vmId)) continue;
        const snap = snaps.find((s) => s.disks.some((x) => x.path === img.path));
        out.push({ vmId: dep.vmId, vmName: this.d.inventory.vms.get(dep.vmId)?.name ?? dep.vmId, snapshotId: snap?.id ?? null, snapshotName: snap?.name ?? null });
      }
    }
    return out;
  }

  /** For a linked clone: the VM and snapshot its disks are based on. */
  linkedTo(vm: VmRow): Dependency | null {
    for (const img of this.d.inventory.images.listForVm(vm.id)) {
      if (!img.backingPath) continue;
      const base = this.d.inventory.images.get(img.backingPath);
      // A library image is not a clone's source (details say baseImage instead).
      if (!base || base.vmId === vm.id || base.role === 'library') continue;
      // vmId null: the source was deleted with --keep-shared; its images stay for this clone.
      const src = base.vmId ? this.d.inventory.vms.get(base.vmId) : undefined;
      const snap = base.vmId ? this.d.inventory.snapshots.listForVm(base.vmId).find((s) => s.disks.some((x) => x.path === base.path)) : undefined;
      return { vmId: base.vmId ?? '', vmName: src?.name ?? '(deleted VM)', snapshotId: snap?.id ?? null, snapshotName: snap?.name ?? null };
    }
    return null;
  }

  async clone(req: CloneRequest, p: Progress): Promise<VmRow> {
    const source = this.d.find(req.ref);
    if (source.state === 'starting' || source.state === 'stopping') throw new HangarError('STATE_CONFLICT', `VM '${source.name}' is ${source.state}: wait until it has settled`);
    this.d.tasks.assertFree(source);
    const id = randomUUID();
    // Validate the name (and the rest) before anything is written.
    this.checkNewName(source, id, req.name);
    let snap = req.snapshot ? findSnapshot(this.d.inventory.snapshots.listForVm(source.id), req.snapshot) : undefined;
    if (req.snapshot && !snap) {
      const message = `VM '${source.name}' has no snapshot named or with id '${req.snapshot}'`;
      throw new HangarError('NOT_FOUND', message, { details: { issues: [{ path: 'snapshot', message }] } });
    }

    let temporary: string | null = null;
    if (!snap && (req.linked || isActive(source.state))) {
      // A linked clone needs frozen images, and a full clone of a running VM a consistent point in
      // time: both come from a snapshot of the current state, named so the user sees why it is there.
      const item = await this.d.snapshots.take(
        source.id,
        { name: req.linked ? `Linked base for ${req.name}` : `Temporary, for cloning ${req.name}`, description: '', crashConsistentOk: true },
        { signal: p.signal, onProgress: (f) => p.onProgress(f * 0.1, 'taking a snapshot of the current state') },
      );
      snap = this.d.inventory.snapshots.get(item.id);
      if (!req.linked) temporary = item.id;
    }
    // Room for the copies (or the new overlays), measured before anything is written.
    const vmsDir = join(this.d.home, 'VMs');
    let neededBytes: number | undefined;
    try {
      const disksToCopy = snap ? snap.disks.map((x) => ({ path: x.path, format: x.format })) : source.config.disks.map((x) => ({ path: x.path, format: x.format }));
      const deleted = () => new HangarError('NOT_FOUND', `VM '${source.name}' was deleted while the clone was being prepared`);
      const room = await this.roomFor(req.linked, disksToCopy, (snap ? snap.config : source.config).firmware.type === 'uefi' ? vmPaths(this.d.home, source.id).nvram : null, vmsDir).catch((e: unknown) => {
        // a delete that ran meanwhile took the files being measured: say that, not what qemu-img saw
        throw this.d.inventory.vms.get(source.id) ? e : deleted();
      });
      // An upper bound explains no failure: a folder that fills up meanwhile is said to be full, without figures.
      neededBytes = room.exact ? room.bytes : undefined;
      assertFreeSpace(vmsDir, room.bytes);
      // The source is held too: nothing may delete, restore or change it while its images are read.
      // (Measuring took a moment, so first make sure that nothing did so meanwhile.)
      const now = this.d.inventory.vms.get(source.id);
      if (!now) throw deleted();
      if (!snap && JSON.stringify(now.config.disks) !== JSON.stringify(source.config.disks)) {
        throw new HangarError('STATE_CONFLICT', `VM '${source.name}' changed while the clone was being prepared: clone it again`);
      }
      const holds = [{ id: source.id, name: source.name }];
      return await this.d.tasks.run(req.linked ? 'vm.clone.linked' : 'vm.clone.full', { id, name: req.name }, { signal: p.signal, onProgress: p.onProgress, holds, subject: source.name }, (task) =>
        provisionVm(this.d.provision, {
          id,
          name: req.name,
          placement: { group: source.group, tags: source.tags },
          // A UEFI machine takes the variables of the state it is cloned from.
          nvramFrom: snap && existsSync(join(vmPaths(this.d.home, source.id).snapshots, `${snap.id}.nvram.fd`)) ? join(vmPaths(this.d.home, source.id).snapshots, `${snap.id}.nvram.fd`) : vmPaths(this.d.home, source.id).nvram,
          // And its TPM's state: a copy of its own, linked or not (a TPM is never shared with the source).
          tpmFrom: snap ? this.d.snapshots.tpmStatePath(source.id, snap.id) : vmPaths(this.d.home, source.id).tpmState,
          fill: async (paths) => {
            const cfg: VmConfig = snap ? snap.config : source.config;
            const sourceDisks = snap ? snap.disks.map((x) => ({ id: x.diskId, path: x.path, format: x.format })) : cfg.disks.map((x) => ({ id: x.id, path: x.path, format: x.format }));
            const newDisks: { id: string; path: string; backing: string | null; format: string }[] = [];
            for (const [i, disk] of sourceDisks.entries()) {
              const target = join(paths.disks, `${disk.id}.qcow2`);
              if (req.linked) {
                task.phase('creating the linked disks');
                await this.d.qemuImg.create(target, { format: 'qcow2', backing: { path: disk.path, format: disk.format } });
                newDisks.push({ id: disk.id, path: target, backing: disk.path, format: disk.format });
              } else {
                task.phase(`copying disk ${disk.id}`);
                await this.d.qemuImg.convert(disk.path, target, {
                  srcFormat: disk.format,
                  dstFormat: 'qcow2',
                  sparse: true,
                  aroundCache: true,
                  signal: task.signal,
                  onProgress: (f) => task.progress(0.1 + (0.9 * (i + f)) / sourceDisks.length, `copying disk ${disk.id}`),
                });
                newDisks.push({ id: disk.id, path: target, backing: null, format: disk.format });
              }
            }
            const used = this.usedMacs();
            const cloud = await this.cloudInitCopy([cfg], source.id, paths.dir);
            const config: VmConfig = cloud({
              ...cfg,
              id,
              name: req.name,
              disks: cfg.disks.map((disk) => ({ ...disk, path: newDisks.find((n) => n.id === disk.id)!.path, format: 'qcow2' })),
              nics: cfg.nics.map((n) => ({ ...n, mac: req.mac === 'keep' ? n.mac : freshMac(used) })),
            });
            const checked = validateConfig(config);
            if (!checked.ok) throw configInvalid(checked.issues);
            testFillPoint('clone-before-register');
            task.phase('registering');
            return {
              config: checked.value,
              images: newDisks.map((n) => ({ path: n.path, format: 'qcow2', virtualSize: 0, backingPath: n.backing, owned: true, role: 'disk' as const })),
            };
          },
        }).catch((e: unknown) => {
          throw asNoSpace(e, vmsDir, { neededBytes });
        }),
      );
    } catch (e) {
      // A full inventory (SQLite) fails outside the task too: the same words either way.
      throw asNoSpace(e, vmsDir, { neededBytes });
    } finally {
      if (temporary) {
        await this.d.snapshots.delete(source.id, temporary, { signal: new AbortController().signal, onProgress: () => undefined }).catch(() => undefined);
      }
      this.d.changed(source.id);
    }
  }

  /**
   * A full clone of the current state and every snapshot: each image of the VM's tree is copied
   * (sparse) and re-pointed at its copied parent, and the snapshot tree is recorded again for the new
   * VM, so the clone can restore any of the source's snapshots.
   */
  async cloneWithSnapshots(req: CloneRequest, p: Progress): Promise<VmRow> {
    const source = this.d.find(req.ref);
    if (req.linked) throw invalidInput([{ path: 'linked', message: 'a linked clone cannot copy every snapshot: make a full clone of them, or a linked clone of one' }]);
    if (req.snapshot) throw invalidInput([{ path: 'snapshot', message: 'a clone of every snapshot copies the whole tree: it starts from no one snapshot' }]);
    if (isActive(source.state)) throw new HangarError('STATE_CONFLICT', `VM '${source.name}' is ${source.state}: power it off (or save it) to clone it with all its snapshots`);
    const id = randomUUID();
    this.checkNewName(source, id, req.name);
    const snaps = this.d.inventory.snapshots.listForVm(source.id);
    // Every image the tree uses, with its ancestors, parents before children.
    const wanted = new Set<string>([...source.config.disks.map((x) => x.path), ...snaps.flatMap((x) => x.disks.map((dd) => dd.path))]);
    const order: string[] = [];
    const visit = (path: string) => {
      if (order.includes(path)) return;
      const parent = this.d.inventory.images.get(path)?.backingPath ?? null;
      if (parent) visit(parent);
      order.push(path);
    };
    for (const path of wanted) visit(path);
    const srcPaths = vmPaths(this.d.home, source.id);
    // Room for every image (copied sparse: what each holds) and the snapshots' state files.
    const vmsDir = join(this.d.home, 'VMs');
    const stateFiles = snaps.flatMap((x) => [x.stateFile, join(srcPaths.snapshots, `${x.id}.png`), join(srcPaths.snapshots, `${x.id}.nvram.fd`)]);
    const neededBytes = [...order, ...stateFiles, srcPaths.nvram].reduce((sum, f) => sum + (f ? allocatedSize(f) : 0), 0);
    assertFreeSpace(vmsDir, neededBytes);
    const holds = [{ id: source.id, name: source.name }];
    return this.d.tasks
      .run('vm.clone.full', { id, name: req.name }, { signal: p.signal, onProgress: p.onProgress, holds, subject: source.name }, (task) =>
        provisionVm(this.d.provision, {
          id,
          name: req.name,
          placement: { group: source.group, tags: source.tags },
          nvramFrom: srcPaths.nvram,
          tpmFrom: srcPaths.tpmState,
          fill: async (paths) => {
            const map = new Map<string, string>();
            for (const [i, from] of order.entries()) {
              task.phase(`copying image ${i + 1} of ${order.length}`);
              const to = join(paths.disks, `img${i}-${basename(from)}`);
              await copySparse(from, to, task.signal);
              const row = this.d.inventory.images.get(from);
              const parent = row?.backingPath ? map.get(row.backingPath) : undefined;
              if (parent) await this.d.qemuImg.rebase(to, { backing: parent, backingFormat: this.d.inventory.images.get(row!.backingPath!)?.format ?? 'qcow2', unsafe: true });
              map.set(from, to);
              task.progress((i + 1) / order.length, 'copying images');
            }
            const used = this.usedMacs();
            const macs = new Map(source.config.nics.map((n) => [n.mac, req.mac === 'keep' ? n.mac : freshMac(used)]));
            const cloud = await this.cloudInitCopy([source.config, ...snaps.map((x) => x.config)], source.id, paths.dir);
            const remap = (cfg: VmConfig): VmConfig =>
              cloud({
                ...cfg,
                id,
                name: req.name,
                disks: cfg.disks.map((disk) => ({ ...disk, path: map.get(disk.path) ?? disk.path })),
                nics: cfg.nics.map((n) => ({ ...n, mac: macs.get(n.mac) ?? freshMac(used) })),
              });
            const snapIds = new Map(snaps.map((x) => [x.id, randomUUID()]));
            for (const x of snaps) {
              for (const [suffix, from] of [['.vmstate', x.stateFile], ['.png', join(srcPaths.snapshots, `${x.id}.png`)], ['.nvram.fd', join(srcPaths.snapshots, `${x.id}.nvram.fd`)]] as const) {
                if (from && existsSync(from)) copyPrivate(from, join(paths.snapshots, `${snapIds.get(x.id)}${suffix}`));
              }
              const tpm = this.d.snapshots.tpmStatePath(source.id, x.id);
              if (existsSync(tpm)) copyTpmState(tpm, join(paths.snapshots, `${snapIds.get(x.id)}.tpm`));
            }
            const config = remap(source.config);
            const checked = validateConfig(config);
            if (!checked.ok) throw configInvalid(checked.issues);
            task.phase('registering');
            return {
              config: checked.value,
              images: order.map((from) => {
                const src = this.d.inventory.images.get(from);
                const isTop = config.disks.some((dd) => dd.path === map.get(from));
                return {
                  path: map.get(from)!,
                  format: src?.format ?? 'qcow2',
                  virtualSize: src?.virtualSize ?? 0,
                  backingPath: src?.backingPath ? (map.get(src.backingPath) ?? null) : null,
                  owned: true,
                  role: isTop ? ('disk' as const) : ('frozen' as const),
                };
              }),
              // The snapshot tree, recorded again for the clone in the same transaction.
              record: (inventory) => {
                for (const x of snaps) {
                  const newId = snapIds.get(x.id)!;
                  inventory.snapshots.insert({
                    id: newId,
                    vmId: id,
                    parentId: x.parentId ? snapIds.get(x.parentId)! : null,
                    name: x.name,
                    description: x.description,
                    createdAt: x.createdAt,
                    config: remap(x.config),
                    live: x.live,
                    quiesced: x.quiesced,
                    stateFile: x.stateFile ? join(paths.snapshots, `${newId}.vmstate`) : null,
                    disks: x.disks.map((dd) => ({ ...dd, path: map.get(dd.path)! })),
                    facts: x.facts,
                  });
                }
                const current = inventory.snapshots.current(source.id);
                if (current) inventory.snapshots.setCurrent(id, snapIds.get(current.id)!);
              },
            };
          },
        }),
      )
      .catch((e: unknown) => {
        // A full inventory (SQLite) fails outside the task too: the same words either way.
        throw asNoSpace(e, vmsDir, { neededBytes });
      });
  }

  /** The rules for a new VM's name (new-name rules, free in the inventory), as issues at 'name'. */
  private checkNewName(source: VmRow, id: string, name: string): void {
    const probe = validateConfig({ ...source.config, id, name });
    const nameIssues = probe.ok ? [] : probe.issues.filter((i) => i.path === 'name');
    const problems = [...nameIssues.map((i) => i.message), ...newVmNameProblems(name)];
    if (problems.length) throw invalidInput([...new Set(problems)].map((message) => ({ path: 'name', message })));
    const other = this.d.inventory.vms.findByName(name);
    if (other) {
      const message = `a VM named '${other.name}' already exists`;
      throw new HangarError('ALREADY_EXISTS', message, { details: { issues: [{ path: 'name', message }] } });
    }
  }

  /**
   * For a VM made from a cloud image: copies the files quick create keeps in its folder into the
   * clone's (private), and returns how each of the clone's configs points at them, with a new
   * loopback SSH port. A VM without cloud-init: configs unchanged.
   */
  private async cloudInitCopy(configs: readonly VmConfig[], sourceId: string, cloneDir: string): Promise<(c: VmConfig) => VmConfig> {
    if (!configs.some((c) => c.cloudInit)) return (c) => c;
    const sourceDir = vmPaths(this.d.home, sourceId).dir;
    for (const cfg of configs) {
      for (const [from, to] of cloudInitCopies(cfg, sourceDir, cloneDir)) {
        if (existsSync(to) || !existsSync(from)) continue;
        mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
        copyPrivate(from, to);
      }
    }
    const port = await freeSshPort(this.d.inventory.vms.list());
    return (c) => cloudInitForClone(c, sourceDir, cloneDir, port);
  }

  private usedMacs(): Set<string> {
    const used = new Set<string>();
    for (const r of this.d.inventory.vms.list()) for (const n of r.config.nics) used.add(n.mac);
    return used;
  }

  /**
   * Bytes a clone writes into the VMs folder: each disk's flattened copy or a new overlay, and the UEFI
   * variables. Where `dir` has room for the most the copies can take (each disk's virtual size and its
   * metadata, read from the qcow2 headers), that bound is enough and no qemu-img runs (its measure
   * cost a process per disk); otherwise each copy is measured (exact).
   */
  private async roomFor(linked: boolean, disks: { path: string; format: string }[], nvram: string | null, dir: string): Promise<{ bytes: number; exact: boolean }> {
    const fixed = nvram ? allocatedSize(nvram) : 0;
    if (linked) return { bytes: fixed + disks.length * OVERLAY_ROOM_BYTES, exact: true };
    const bounds = await Promise.all(disks.map(async (disk) => (disk.format === 'qcow2' ? ((await readChainNatively(disk.path, { topOnly: true }))?.[0]?.virtualSizeBytes ?? null) : null)));
    const free = freeSpace(dir);
    if (free !== null && bounds.every((b) => b !== null)) {
      const most = bounds.reduce((sum: number, b) => sum + qcow2MaxBytes(b!), fixed);
      if (most <= free) return { bytes: most, exact: false };
    }
    let bytes = fixed;
    for (const disk of disks) bytes += await this.d.qemuImg.measure({ src: disk.path, srcFormat: disk.format });
    return { bytes, exact: true };
  }

  /** A linked clone takes in all the data its disks are based on, so its base may go. */
  async promote(ref: string, p: Progress): Promise<VmRow> {
    const vm = this.d.find(ref);
    const link = this.linkedTo(vm);
    // A VM made from a library image is promoted the same way: its disks take in the image's data.
    const onLibrary = this.d.inventory.images.listForVm(vm.id).some((img) => img.backingPath !== null && this.d.inventory.images.get(img.backingPath)?.role === 'library');
    if (!link && !onLibrary) throw new HangarError('INVALID_INPUT', `VM '${vm.name}' is not a linked clone`);
    if (isActive(vm.state) && !this.d.supervisor.get(vm.id)) throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state} but its VMM host does not answer`);
    return this.d.tasks.run('vm.promote', vm, { signal: p.signal, onProgress: p.onProgress }, async (task) => {
      const foreign = this.d.inventory.images.listForVm(vm.id).filter((img) => {
        const base = img.backingPath ? this.d.inventory.images.get(img.backingPath) : undefined;
        return base !== undefined && base.vmId !== vm.id;
      });
      for (const [i, img] of foreign.entries()) {
        task.phase(`copying the base data into ${img.path}`);
        const onProgress = (f: number) => task.progress((i + f) / foreign.length, 'copying the base data');
        if (isActive(vm.state)) {
          await this.d.supervisor.call(vm.id, 'host.blockStream', { image: img.path, base: null }, { signal: task.signal, onProgress: (pr) => onProgress(pr.fraction), timeoutMs: 24 * 3600_000 });
        } else {
          await this.d.qemuImg.rebase(img.path, { backing: null, signal: task.signal, onProgress });
        }
      }
      this.d.inventory.transaction(() => {
        for (const img of foreign) this.d.inventory.images.setBacking(img.path, null);
      });
      this.d.changed(vm.id);
      return this.d.find(vm.id);
    });
  }
}

/** A sparse copy (holes stay holes) that a cancel stops, leaving nothing half-copied behind. */
function copySparse(from: string, to: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cp = spawn('cp', ['--sparse=always', '--', from, to], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    cp.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const onAbort = () => cp.kill('SIGKILL');
    signal.addEventListener('abort', onAbort, { once: true });
    cp.on('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) {
        rmSync(to, { force: true });
        reject(new HangarError('CANCELLED', 'cloning was cancelled'));
      } else if (code === 0) resolve();
      else {
        rmSync(to, { force: true });
        const full = /No space left/.test(err);
        reject(new HangarError(full ? 'DISK_FULL' : 'IO_ERROR', full ? `not enough space on ${dirname(to)} to copy ${from}` : `cannot copy ${from}: ${err.trim()}`));
      }
    });
  });
}

/** Bytes a file holds on disk (a sparse copy writes no more); 0 for a missing file. */
function allocatedSize(path: string): number {
  try {
    const st = statSync(path);
    return Math.min(st.size, st.blocks * 512);
  } catch {
    return 0;
  }
}

function freshMac(used: Set<string>): string {
  for (;;) {
    const mac = randomMac(() => randomInt(0, 2 ** 32) / 2 ** 32);
    if (!used.has(mac)) {
      used.add(mac);
      return mac;
    }
  }
}

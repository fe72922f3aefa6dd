// The media manager (owner side): lists every disk image and ISO the home knows, grows disks (offline
// with qemu-img, online through the VM's host with QMP block_resize) and compacts them (a stopped VM's
// disk rewritten by qemu-img convert on its own backing file, then put in place by one rename).
import { readdirSync, renameSync, rmSync, statSync, chmodSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import { findDisk, planResize, type SizeRequest } from '../../src-vmm/storage/resize.js';
import { assertFreeSpace, asNoSpace, type QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { readChainNatively } from '../../src-vmm/storage/qcow2Header.node.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { Supervisor } from '../supervisor/supervisor.node.js';
import type { TaskRunner } from '../tasks/taskRunner.js';
import { homePaths } from '../home.js';
import { buildMediaList, type FileFacts, type MediaItem, type MediaRef } from './mediaList.js';

export interface MediaServiceDeps {
  home: string;
  inventory: HangarInventory;
  qemuImg: QemuImg;
  supervisor: Supervisor;
  tasks: TaskRunner;
  find: (ref: string) => VmRow;
  log: (line: string) => void;
}

const IMAGE_FILE = /\.(qcow2|img|raw|iso|vmdk|vdi|vhdx)$/i;

export interface ResizeResult {
  vm: string;
  disk: string;
  path: string;
  fromBytes: number;
  toBytes: number;
  online: boolean;
  notes: string[];
}

export interface CompactResult {
  vm: string;
  disk: string;
  path: string;
  beforeBytes: number;
  afterBytes: number;
  beforeAllocatedBytes: number;
  afterAllocatedBytes: number;
}

export class MediaService {
  constructor(private readonly d: MediaServiceDeps) {}

  /** Image files in the home: each VM folder's disks and snapshots (and seeds beside them), and the library. */
  private homeFiles(): string[] {
    const out: string[] = [];
    const scan = (dir: string) => {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return;
      }
      for (const n of names) {
        const p = join(dir, n);
        if (IMAGE_FILE.test(n) && !n.startsWith('.') && statSync(p, { throwIfNoEntry: false })?.isFile()) out.push(p);
      }
    };
    const vmsDir = homePaths(this.d.home).vmsDir;
    let vms: string[] = [];
    try {
      vms = readdirSync(vmsDir);
    } catch {
      /* none yet */
    }
    for (const id of vms) for (const sub of ['', 'disks', 'snapshots']) scan(join(vmsDir, id, sub));
    scan(join(this.d.home, 'library'));
    return out;
  }

  private refs(): MediaRef[] {
    const refs: MediaRef[] = [];
    for (const vm of this.d.inventory.vms.list()) {
      const at = (snapshot: string | null) => ({ vm: vm.name, vmId: vm.id, snapshot });
      for (const d of vm.config.disks) refs.push({ path: d.path, kind: 'disk', use: { ...at(null), as: `disk ${d.id}` } });
      for (const o of vm.config.opticals) if (o.path) refs.push({ path: o.path, kind: 'iso', use: { ...at(null), as: `drive ${o.id}` } });
      for (const u of vm.config.usb?.devices ?? []) if (u.kind === 'storage') refs.push({ path: u.path, kind: 'disk', use: { ...at(null), as: `usb ${u.id}` } });
      for (const s of this.d.inventory.snapshots.listForVm(vm.id)) {
        for (const d of s.disks) refs.push({ path: d.path, kind: 'disk', use: { ...at(s.name), as: `disk ${d.diskId}` } });
        for (const o of s.config.opticals) if (o.path) refs.push({ path: o.path, kind: 'iso', use: { ...at(s.name), as: `drive ${o.id}` } });
        for (const u of s.config.usb?.devices ?? []) if (u.kind === 'storage') refs.push({ path: u.path, kind: 'disk', use: { ...at(s.name), as: `usb ${u.id}` } });
      }
    }
    return refs;
  }

  private async facts(path: string, kind: 'disk' | 'iso'): Promise<FileFacts | { problem: string }> {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return { problem: 'the file is missing' };
    const onDisk = { sizeBytes: st.size, allocatedBytes: st.blocks * 512 };
    if (kind === 'iso') return { format: 'raw', virtualSizeBytes: st.size, backingPath: null, ...onDisk };
    try {
      const [i] = (await readChainNatively(path, { topOnly: true })) ?? (await this.d.qemuImg.info(path));
      if (!i) return { problem: 'qemu-img said nothing about it' };
      return { format: i.format, virtualSizeBytes: i.virtualSizeBytes, backingPath: i.backingPath ?? null, ...onDisk };
    } catch (e) {
      return { problem: (e as Error).message };
    }
  }

  async list(o: { unused?: boolean } = {}): Promise<MediaItem[]> {
    const refs = this.refs();
    const images = this.d.inventory.images.list().map((i) => ({ path: i.path, backingPath: i.backingPath, role: i.role, owned: i.owned }));
    const library = this.d.inventory.library.list().map((l) => ({ path: l.path, name: l.name, kind: l.kind }));
    const homeFiles = this.homeFiles();
    const kinds = new Map<string, 'disk' | 'iso'>();
    for (const r of refs) kinds.set(r.path, r.kind);
    for (const l of library) kinds.set(l.path, l.kind);
    const files = new Map<string, FileFacts | { problem: string }>();
    const todo = [...new Set([...refs.map((r) => r.path), ...images.map((i) => i.path), ...library.map((l) => l.path), ...homeFiles])];
    // Backing files found in headers join the list: read until no new name turns up.
    while (todo.length) {
      const batch = todo.splice(0, todo.length);
      await Promise.all(
        batch.map(async (p) => {
          const f = await this.facts(p, kinds.get(p) ?? (/\.iso$/i.test(p) ? 'iso' : 'disk'));
          files.set(p, f);
          if ('format' in f && f.backingPath && !files.has(f.backingPath) && !todo.includes(f.backingPath)) todo.push(f.backingPath);
        }),
      );
    }
    const home = this.d.home.endsWith(sep) ? this.d.home : this.d.home + sep;
    const items = buildMediaList({ refs, images, library, homeFiles, files, inHome: (p) => p.startsWith(home) });
    return o.unused ? items.filter((i) => i.unused) : items;
  }

  private disk(row: VmRow, diskRef: string) {
    return findDisk(row.config.disks, diskRef, row.name);
  }

  async resize(ref: string, diskRef: string, request: SizeRequest, opts: { signal: AbortSignal; onProgress: (f: number, m?: string) => void }): Promise<ResizeResult> {
    const row = this.d.find(ref);
    this.d.tasks.assertFree(row);
    const disk = this.disk(row, diskRef);
    if (row.state === 'saved') {
      throw new HangarError('STATE_CONFLICT', `VM '${row.name}' has a saved state, which holds the disk's old size: start it (then resize it while it runs) or shut it down first`);
    }
    if (row.state === 'starting' || row.state === 'stopping') throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is ${row.state}: wait until it runs or has stopped`);
    if (disk.readOnly) throw new HangarError('INVALID_INPUT', `disk '${disk.id}' of VM '${row.name}' is read-only: it cannot grow`);
    const online = isActive(row.state);
    if (online && !this.d.supervisor.get(row.id)) throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is ${row.state}, but its VMM host does not answer`);
    const [info] = await this.d.qemuImg.info(disk.path);
    if (!info) throw new HangarError('QEMU_FAILED', `qemu-img said nothing about ${disk.path}`);
    const snapshots = this.d.inventory.snapshots
      .listForVm(row.id)
      .filter((s) => s.disks.some((x) => x.diskId === disk.id))
      .map((s) => s.name);
    const plan = planResize({ disk: disk.id, vm: row.name, currentBytes: info.virtualSizeBytes, request, running: online, bus: disk.bus, snapshots });
    await this.d.tasks.run('disk.resize', { id: row.id, name: row.name }, { signal: opts.signal, onProgress: opts.onProgress, subject: disk.id }, async (task) => {
      task.phase(online ? 'growing the disk the VM has open' : 'growing the image');
      if (online) await this.d.supervisor.call(row.id, 'host.diskResize', { diskId: disk.id, sizeBytes: plan.toBytes }, { timeoutMs: 60_000 });
      else await this.d.qemuImg.resize(disk.path, plan.toBytes, { format: info.format });
      // The inventory's record of the image follows (a clone or a migration copies it); a disk used in
      // place that Hangar never recorded has no row to follow.
      if (this.d.inventory.images.get(disk.path)) this.d.inventory.images.setVirtualSize(disk.path, plan.toBytes);
      task.outcome(`disk ${disk.id} is now ${plan.toBytes} bytes`);
    });
    this.d.log(`vm=${row.id} disk ${disk.id} grown from ${plan.fromBytes} to ${plan.toBytes} bytes${online ? ' while running' : ''}`);
    return { vm: row.name, disk: disk.id, path: disk.path, fromBytes: plan.fromBytes, toBytes: plan.toBytes, online, notes: plan.notes };
  }

  async compact(ref: string, diskRef: string, opts: { signal: AbortSignal; onProgress: (f: number, m?: string) => void }): Promise<CompactResult> {
    const row = this.d.find(ref);
    this.d.tasks.assertFree(row);
    const disk = this.disk(row, diskRef);
    if (isActive(row.state)) {
      throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is ${row.state}: compacting rewrites the disk's image, which QEMU has open; shut the VM down first`);
    }
    const image = this.d.inventory.images.get(disk.path);
    if (!image?.owned) throw new HangarError('INVALID_INPUT', `disk '${disk.id}' of VM '${row.name}' is your own image used in place (${disk.path}): Hangar does not rewrite it`);
    const deps = this.d.inventory.images.dependents(disk.path);
    if (deps.length) throw new HangarError('STATE_CONFLICT', `disk '${disk.id}' of VM '${row.name}' is the base of other images (${deps.map((x) => x.path).join(', ')}): it cannot be rewritten`);
    const [info] = await this.d.qemuImg.info(disk.path);
    if (!info) throw new HangarError('QEMU_FAILED', `qemu-img said nothing about ${disk.path}`);
    if (info.format !== 'qcow2' && info.format !== 'raw') throw new HangarError('INVALID_INPUT', `disk '${disk.id}' is ${info.format}: only qcow2 and raw images are compacted`);
    const before = statSync(disk.path);
    const dir = dirname(disk.path);
    const tmp = join(dir, `.${basename(disk.path)}.compact`);
    const neededBytes = await this.d.qemuImg.measure({ src: disk.path, srcFormat: info.format });
    assertFreeSpace(dir, Math.min(neededBytes, before.blocks * 512 + (1 << 20)));
    await this.d.tasks.run('disk.compact', { id: row.id, name: row.name }, { signal: opts.signal, onProgress: opts.onProgress, subject: disk.id }, async (task) => {
      rmSync(tmp, { force: true });
      rmSync(`${tmp}.partial`, { recursive: true, force: true });
      try {
        task.phase('rewriting the image without the blocks the guest freed');
        await this.d.qemuImg
          .convert(disk.path, tmp, {
            srcFormat: info.format,
            dstFormat: info.format as 'qcow2' | 'raw',
            sparse: true,
            ...(info.format === 'qcow2' && info.clusterSizeBytes ? { dstOptions: [`cluster_size=${info.clusterSizeBytes}`] } : {}),
            // Only what the image itself holds is written; its backing chain stays where it is.
            ...(info.backingPath ? { backing: { path: info.backingPath, format: info.backingFormat ?? 'qcow2' } } : {}),
            signal: task.signal,
            onProgress: (f) => task.progress(f * 0.95, 'rewriting the image'),
          })
          .catch((e: unknown) => {
            throw asNoSpace(e, dir, { neededBytes });
          });
        task.phase('checking the new image');
        const check = await this.d.qemuImg.check(tmp);
        if (!check.ok) throw new HangarError('QEMU_FAILED', `the rewritten image of disk '${disk.id}' did not pass qemu-img check (${check.status}); the disk is unchanged`);
        if (task.signal.aborted) throw new HangarError('CANCELLED', 'cancelled');
        chmodSync(tmp, before.mode & 0o777);
        // One rename puts it in place: the disk is the old image or the new one, never half of either.
        renameSync(tmp, disk.path);
        fsyncDir(dir);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
      task.outcome(`disk ${disk.id} compacted`);
    });
    const after = statSync(disk.path);
    this.d.log(`vm=${row.id} disk ${disk.id} compacted: ${before.blocks * 512} → ${after.blocks * 512} bytes allocated`);
    return { vm: row.name, disk: disk.id, path: disk.path, beforeBytes: before.size, afterBytes: after.size, beforeAllocatedBytes: before.blocks * 512, afterAllocatedBytes: after.blocks * 512 };
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* not every file system syncs folders */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }

}

// Exporting VMs as an OVF appliance: each disk flattened into a streamOptimized VMDK (qemu-img), a
// descriptor in the chosen profile and OVF version, a manifest, then an .ova (descriptor, manifest,
// disks, in that order) or an .ovf folder. A running VM is exported from a temporary snapshot, so
// its disks are a consistent point in time. Nothing appears under the target name until the output
// is complete and has passed its own check through the importer; a failure or cancel leaves nothing.
import { createHash, randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { userFileMode } from '../files/modes.node.js';
import { basename, dirname, extname, join } from 'node:path';
import { HangarError, cancelledError, throwIfAborted } from '../../src-vmm/base/errors.js';
import { hasSecureBoot, hasTpm, sharesOf, type VmConfig } from '../../src-vmm/model/index.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import { findSnapshot } from '../../src-vmm/snapshots/tree.js';
import type { QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { streamOptimizedVmdkMaxBytes } from '../../src-vmm/storage/size.js';
import type { SnapshotService } from '../snapshots/snapshotService.node.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { TaskContext, TaskRunner } from '../tasks/taskRunner.js';
import type { ImportService } from './importService.node.js';
import { formatManifestLine } from './manifest.js';
import { TarWriter } from './tarWriter.node.js';
import { writeDescriptor, type ExportDisk, type ExportMachine, type ExportProduct, type ExportProfile } from './writer.js';

export type ManifestChoice = 'sha256' | 'sha1' | 'none';

export interface ExportRequest {
  refs: string[];
  /** absolute; ends in .ova (one archive) or .ovf (the descriptor, with the other files beside it) */
  file: string;
  ovfVersion: '1.0' | '2.0';
  profile: ExportProfile;
  manifest: ManifestChoice;
  /** export this snapshot of the (single) VM instead of its current state */
  snapshot?: string;
  product?: ExportProduct;
  eula?: string;
}

export interface ExportResult {
  file: string;
  sizeBytes: number;
  manifest: ManifestChoice;
  machines: string[];
  /** the files written: the .ova, or the .ovf and its companions */
  files: string[];
  warnings: string[];
}

export interface ExportServiceDeps {
  inventory: HangarInventory;
  qemuImg: QemuImg;
  tasks: TaskRunner;
  snapshots: SnapshotService;
  imports: ImportService;
  find: (ref: string) => VmRow;
  log: (line: string) => void;
}

interface Progress {
  signal: AbortSignal;
  onProgress: (f: number, m?: string) => void;
}

interface Source {
  vm: VmRow;
  config: VmConfig;
  /** each disk's image (top of its chain) and format, in config order */
  disks: { id: string; path: string; format: string }[];
  temporarySnapshot: string | null;
}

/** A file name without characters other tools choke on. */
function fileStem(name: string): string {
  const s = name.normalize('NFKD').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|_+$/g, '');
  return (s || 'vm').slice(0, 64);
}

/**
 * A file's digest (or of `range` in it), computed by a worker thread: the export goes on beside it
 * (the next disk's conversion, the archive's flush; a 516 MiB disk: SHA-256 0.37 s here). Reads the
 * file on its own; what it reads does not change once written.
 */
function digestFile(path: string, algorithm: 'sha1' | 'sha256', signal: AbortSignal, range?: { start: number; length: number }): Promise<string> {
  if (signal.aborted) return Promise.reject(cancelledError());
  return new Promise((resolve, reject) => {
    const worker = new Worker(DIGEST_WORKER, { eval: true, workerData: { path, algorithm, start: range?.start ?? 0, length: range?.length ?? -1 } });
    let digest: string | undefined;
    const onAbort = () => void worker.terminate();
    signal.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (hex: string) => (digest = hex));
    worker.once('error', (e) => reject(new HangarError('IO_ERROR', `cannot read ${path}: ${e.message}`, { cause: e })));
    worker.once('exit', () => {
      signal.removeEventListener('abort', onAbort);
      if (digest !== undefined) resolve(digest);
      else reject(signal.aborted ? cancelledError() : new HangarError('INTERNAL', `the digest of ${path} was not computed`));
    });
  });
}

/** The worker of digestFile (CommonJS, evaluated: nothing to find on the disk beside the bundle). */
const DIGEST_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { closeSync, openSync, readSync } = require('node:fs');
const hash = createHash(workerData.algorithm);
const fd = openSync(workerData.path, 'r');
try {
  const buf = Buffer.allocUnsafe(1 << 20);
  let at = workerData.start;
  let left = workerData.length < 0 ? Infinity : workerData.length;
  for (let n; left > 0 && (n = readSync(fd, buf, 0, Math.min(buf.length, left), at)) > 0; at += n, left -= n) hash.update(buf.subarray(0, n));
  if (left > 0 && left !== Infinity) throw new Error('the file ended ' + left + ' bytes early');
} finally {
  closeSync(fd);
}
parentPort.postMessage(hash.digest('hex'));
`;

/**
 * Puts the empty image at `imagePath` into `file` at `offset`, the file ending where the image ends:
 * the image's zero blocks are left as holes (a large disk's empty grain tables take hundreds of MiB).
 */
async function placeImage(imagePath: string, file: string, offset: number): Promise<void> {
  const source = await open(imagePath, 'r');
  const target = await open(file, 'r+');
  try {
    const { size } = await source.stat();
    await target.truncate(offset + size);
    const buf = Buffer.alloc(1 << 20);
    const zeroes = Buffer.alloc(4096);
    for (let at = 0; at < size; ) {
      const { bytesRead } = await source.read(buf, 0, Math.min(buf.length, size - at), at);
      if (bytesRead === 0) throw new HangarError('IO_ERROR', `${imagePath} ended early`);
      for (let b = 0; b < bytesRead; b += zeroes.length) {
        const block = buf.subarray(b, Math.min(b + zeroes.length, bytesRead));
        if (!block.equals(zeroes.subarray(0, block.length))) await target.write(block, 0, block.length, offset + at + b);
      }
      at += bytesRead;
    }
  } finally {
    await source.close();
    await target.close();
  }
}

interface ArchiveJob {
  req: ExportRequest;
  sources: Source[];
  vmdkName: (s: Source, i: number) => string;
  stem: string;
  ovfName: string;
  staging: string;
  /** the archive being written, in the staging folder */
  partial: string;
  describe: (machines: ExportMachine[]) => { xml: string; warnings: string[] };
  warnings: string[];
  totalDisks: number;
}

export class ExportService {
  constructor(private readonly d: ExportServiceDeps) {}

  async export(req: ExportRequest, p: Progress): Promise<ExportResult> {
    const ext = extname(req.file).toLowerCase();
    if (ext !== '.ova' && ext !== '.ovf') throw new HangarError('INVALID_INPUT', `the export file must end in .ova (one archive) or .ovf (a folder of files), not '${basename(req.file)}'`);
    if (!existsSync(dirname(req.file))) throw new HangarError('NOT_FOUND', `folder ${dirname(req.file)} does not exist`);
    if (!statSync(dirname(req.file)).isDirectory()) throw new HangarError('INVALID_INPUT', `${dirname(req.file)} is not a folder`);
    if (existsSync(req.file)) throw new HangarError('ALREADY_EXISTS', `${req.file} already exists: choose another name or remove it first`);
    if (req.refs.length === 0) throw new HangarError('INVALID_INPUT', 'name at least one VM to export');
    if (req.snapshot && req.refs.length > 1) throw new HangarError('INVALID_INPUT', 'a snapshot is exported from one VM: name only that VM');
    const vms = req.refs.map((r) => this.d.find(r));
    if (new Set(vms.map((v) => v.id)).size !== vms.length) throw new HangarError('INVALID_INPUT', 'a VM is named more than once');
    for (const vm of vms) {
      if (vm.state === 'starting' || vm.state === 'stopping') throw new HangarError('STATE_CONFLICT', `VM '${vm.name}' is ${vm.state}: wait until it has settled`);
      if (vm.config.disks.length === 0) throw new HangarError('INVALID_INPUT', `VM '${vm.name}' has no disks: there is nothing to export`);
      this.d.tasks.assertFree(vm);
    }

    // Names of every file, decided now: the descriptor's stem, then one VMDK per disk.
    const stem = fileStem(basename(req.file, extname(req.file)));
    const folder = dirname(req.file);
    const staging = join(folder, `.${stem}.hangar-export-${randomBytes(4).toString('hex')}`);
    const sources: Source[] = [];
    const warnings: string[] = [];
    const written: string[] = [];
    let weightDone = 0;
    try {
      // Consistent disks: a snapshot's frozen images, or for a running VM a temporary snapshot.
      for (const vm of vms) sources.push(await this.source(vm, req, p, warnings));
      for (const src of sources) warnings.push(...guestIntegrationWarnings(src.vm.name, src.config));
      const totalDisks = sources.reduce((n, s) => n + s.disks.length, 0);
      const diskNames = new Set<string>();
      const vmdkName = (s: Source, i: number) => {
        let name = `${fileStem(s.config.name)}-disk${i + 1}.vmdk`;
        for (let n = 2; diskNames.has(name); n++) name = `${fileStem(s.config.name)}-${n}-disk${i + 1}.vmdk`;
        diskNames.add(name);
        return name;
      };
      mkdirSync(staging, { mode: 0o700 });

      // The VMs are held while their disks are read: nothing deletes, restores or changes them meanwhile.
      const holds = vms.map((vm) => ({ id: vm.id, name: vm.name }));
      const result = await this.d.tasks.run('appliance.export', null, { signal: p.signal, onProgress: p.onProgress, holds, subject: basename(req.file) }, async (task) => {
        for (const s of sources) {
          // Taking another VM's temporary snapshot took a while: one that changed meanwhile is not exported as it was.
          const now = this.d.inventory.vms.get(s.vm.id);
          if (!now) throw new HangarError('NOT_FOUND', `VM '${s.vm.name}' was deleted while the export was being prepared`);
          if (!s.temporarySnapshot && !req.snapshot && JSON.stringify(now.config.disks) !== JSON.stringify(s.vm.config.disks)) {
            throw new HangarError('STATE_CONFLICT', `VM '${s.vm.name}' changed while the export was being prepared: export it again`);
          }
        }
        const networks = Object.fromEntries(this.d.inventory.networks.list().map((n) => [n.id, { name: n.name, mode: n.mode }]));
        const describe = (machines: ExportMachine[]) => writeDescriptor({ ovfVersion: req.ovfVersion, profile: req.profile, machines, networks, ...(machines.length > 1 ? { collectionName: stem } : {}) });
        const ovfName = `${stem}.ovf`;
        const ova = req.file.toLowerCase().endsWith('.ova');
        const outputs: string[] = [];
        if (ova) {
          const partial = join(staging, basename(req.file));
          const machines = await this.writeArchive({ req, sources, vmdkName, stem, ovfName, staging, partial, describe, warnings, totalDisks }, task);
          // Checked before it takes its name: the importer reads it back like anyone's appliance.
          await this.selfCheck(partial, machines.length, task.signal);
          // The appliance is the user's file, not Hangar's: the mode their umask gives (the owner's is 077).
          chmodSync(partial, userFileMode());
          renameSync(partial, req.file);
          outputs.push(req.file);
          task.progress(1, 'exported');
          return {
            file: req.file,
            sizeBytes: statSync(req.file).size,
            manifest: req.manifest,
            machines: machines.map((m) => m.config.name),
            files: outputs,
            warnings,
          };
        }

        const machines: ExportMachine[] = [];
        const files: { name: string; path: string; size: number; digest: string | null }[] = [];
        for (const s of sources) {
          const disks: ExportDisk[] = [];
          for (const [i, disk] of s.disks.entries()) {
            const name = vmdkName(s, i);
            const out = join(staging, name);
            task.phase(`converting ${s.config.name}'s disk ${i + 1}`);
            const [info] = await this.d.qemuImg.info(disk.path);
            await this.d.qemuImg.convert(disk.path, out, {
              srcFormat: disk.format,
              dstFormat: 'vmdk',
              dstOptions: ['subformat=streamOptimized'],
              // A .ovf folder keeps the VMDK itself, so it is synced.
              durable: true,
              signal: task.signal,
              onProgress: (f) => task.progress((0.75 * (weightDone + f)) / totalDisks, `converting ${s.config.name}: disk ${i + 1}`),
            });
            weightDone++;
            const size = statSync(out).size;
            const populatedBytes = (await this.d.qemuImg.dataExtents(disk.path, disk.format)).reduce((n, e) => n + e.length, 0);
            disks.push({ diskId: disk.id, href: name, sizeBytes: size, capacityBytes: info?.virtualSizeBytes ?? 0, populatedBytes });
            files.push({ name, path: out, size, digest: null });
          }
          machines.push({ config: s.config, disks, product: req.product ?? null, eula: req.eula ?? null });
        }

        const descriptor = describe(machines);
        warnings.push(...descriptor.warnings);
        const ovfBytes = Buffer.from(descriptor.xml, 'utf8');

        // The manifest is written from the staged files.
        let mf: Buffer | null = null;
        if (req.manifest !== 'none') {
          task.phase('computing the manifest');
          const alg = req.manifest;
          const lines = [formatManifestLine(alg, ovfName, createHash(alg).update(ovfBytes).digest('hex'))];
          for (const [i, f] of files.entries()) {
            f.digest = await digestFile(f.path, alg, task.signal);
            lines.push(formatManifestLine(alg, f.name, f.digest));
            task.progress(0.75 + (0.1 * (i + 1)) / files.length, 'computing the manifest');
          }
          mf = Buffer.from(lines.join(''), 'utf8');
        }
        throwIfAborted(task.signal);

        task.phase('writing the files');
        const { writeFileSync } = await import('node:fs');
        writeFileSync(join(staging, ovfName), ovfBytes);
        if (mf) writeFileSync(join(staging, `${stem}.mf`), mf);
        await this.selfCheck(join(staging, ovfName), machines.length, task.signal);
        const finalNames = [...files.map((f) => f.name), ...(mf ? [`${stem}.mf`] : []), basename(req.file)];
        for (const name of finalNames) {
          if (name !== basename(req.file) && existsSync(join(folder, name))) throw new HangarError('ALREADY_EXISTS', `${join(folder, name)} already exists: export into an empty folder or choose another name`);
        }
        // The descriptor moves last: until it is in place, the folder holds no appliance.
        for (const name of finalNames) {
          const src = name === basename(req.file) ? join(staging, ovfName) : join(staging, name);
          chmodSync(src, userFileMode());
          renameSync(src, join(folder, name));
          written.push(join(folder, name));
          outputs.push(join(folder, name));
        }
        task.progress(1, 'exported');
        return {
          file: req.file,
          sizeBytes: outputs.reduce((a, f) => a + statSync(f).size, 0),
          manifest: req.manifest,
          machines: machines.map((m) => m.config.name),
          files: outputs,
          warnings,
        };
      });
      return result;
    } catch (e) {
      for (const f of written) rmSync(f, { force: true });
      throw e;
    } finally {
      rmSync(staging, { recursive: true, force: true });
      for (const s of sources) {
        if (s.temporarySnapshot) {
          await this.d.snapshots.delete(s.vm.id, s.temporarySnapshot, { signal: new AbortController().signal, onProgress: () => undefined }).catch((err: unknown) => {
            this.d.log(`vm=${s.vm.id} could not remove the temporary export snapshot: ${(err as Error).message}`);
          });
        }
      }
    }
  }

  private async source(vm: VmRow, req: ExportRequest, p: Progress, warnings: string[]): Promise<Source> {
    const snaps = this.d.inventory.snapshots.listForVm(vm.id);
    if (req.snapshot) {
      const snap = findSnapshot(snaps, req.snapshot);
      if (!snap) throw new HangarError('NOT_FOUND', `VM '${vm.name}' has no snapshot named or with id '${req.snapshot}'`);
      return { vm, config: snap.config as VmConfig, disks: snap.disks.map((x) => ({ id: x.diskId, path: x.path, format: x.format })), temporarySnapshot: null };
    }
    if (isActive(vm.state)) {
      const item = await this.d.snapshots.take(vm.id, { name: `Temporary, for exporting to ${basename(req.file)}`, description: '', crashConsistentOk: true }, { signal: p.signal, onProgress: () => undefined });
      const snap = this.d.inventory.snapshots.get(item.id)!;
      warnings.push(`${vm.name} was ${vm.state}: its disks were exported as they were at ${new Date().toISOString()} (a temporary snapshot, removed afterwards); the running memory is not part of an appliance.`);
      return { vm, config: snap.config as VmConfig, disks: snap.disks.map((x) => ({ id: x.diskId, path: x.path, format: x.format })), temporarySnapshot: item.id };
    }
    return { vm, config: vm.config, disks: vm.config.disks.map((x) => ({ id: x.id, path: x.path, format: x.format })), temporarySnapshot: null };
  }

  /** The importer's review of the output, and each disk's header: any problem fails the export. */
  /**
   * Writes the .ova: the descriptor, the manifest, then each disk converted by qemu-img straight into
   * the archive, behind a header written once its size is known (no staged VMDK, no copy: the copy was
   * the only work the bare convert + tar did not also do). The descriptor and manifest come first, as
   * OVF orders them, so their members are reserved: the manifest at its exact length, the descriptor
   * at its length with every disk at its largest possible size, and filled in at the end (a shorter
   * descriptor ends in newlines). Each disk's digest is computed while the next one converts.
   */
  private async writeArchive(job: ArchiveJob, task: TaskContext): Promise<ExportMachine[]> {
    const { req, partial, ovfName } = job;
    const alg = req.manifest === 'none' ? null : req.manifest;
    // Each disk's size, what it holds and the room its VMDK can take, before anything is written.
    const planned: { source: Source; disk: Source['disks'][number]; index: number; name: string; capacityBytes: number; populatedBytes: number; emptyImage: string; maxBytes: number; sizeBytes: number }[] = [];
    for (const s of job.sources) {
      for (const [index, disk] of s.disks.entries()) {
        const name = job.vmdkName(s, index);
        const [info] = await this.d.qemuImg.info(disk.path);
        if (!info) throw new HangarError('INTERNAL', `qemu-img described no image at ${disk.path}`);
        const extents = await this.d.qemuImg.dataExtents(disk.path, disk.format);
        // An empty VMDK of the disk's size, under the member's name (a VMDK's descriptor names its file).
        const emptyImage = join(job.staging, name);
        await this.d.qemuImg.createStreamOptimizedVmdk(emptyImage, info.virtualSizeBytes);
        const maxBytes = streamOptimizedVmdkMaxBytes(statSync(emptyImage).size, extents);
        planned.push({ source: s, disk, index, name, capacityBytes: info.virtualSizeBytes, populatedBytes: extents.reduce((n, e) => n + e.length, 0), emptyImage, maxBytes, sizeBytes: 0 });
      }
    }
    const machinesWith = (sizeOf: (p: (typeof planned)[number]) => number): ExportMachine[] =>
      job.sources.map((s) => ({
        config: s.config,
        disks: planned.filter((p) => p.source === s).map((p) => ({ diskId: p.disk.id, href: p.name, sizeBytes: sizeOf(p), capacityBytes: p.capacityBytes, populatedBytes: p.populatedBytes })),
        product: req.product ?? null,
        eula: req.eula ?? null,
      }));
    const ovfRoom = Buffer.byteLength(job.describe(machinesWith((p) => p.maxBytes)).xml, 'utf8');
    /** The manifest, with each planned disk's digest in plan order. */
    const manifestText = (ovfBytes: Buffer, digests: readonly string[]) =>
      Buffer.from([formatManifestLine(alg!, ovfName, createHash(alg!).update(ovfBytes).digest('hex')), ...planned.map((p, i) => formatManifestLine(alg!, p.name, digests[i]!))].join(''), 'utf8');
    const mfLength = alg ? manifestText(Buffer.alloc(0), planned.map(() => '0'.repeat(createHash(alg).digest('hex').length))).length : 0;

    task.phase('writing the archive');
    const tar = await TarWriter.create(partial, { signal: task.signal });
    const digests: Promise<string>[] = [];
    const stopDigests = new AbortController();
    const digestSignal = AbortSignal.any([task.signal, stopDigests.signal]);
    try {
      const fillOvf = await tar.reserve(ovfName, ovfRoom);
      const fillManifest = alg ? await tar.reserve(`${job.stem}.mf`, mfLength) : null;
      for (const [k, p] of planned.entries()) {
        task.phase(`converting ${p.source.config.name}'s disk ${p.index + 1}`);
        let dataOffset = -1;
        p.sizeBytes = await tar.addWrittenInPlace(p.name, p.maxBytes, async (at) => {
          dataOffset = at;
          await placeImage(p.emptyImage, partial, at);
          await this.d.qemuImg.convertInPlace(p.disk.path, { file: partial, offset: at, format: 'vmdk' }, {
            srcFormat: p.disk.format,
            signal: task.signal,
            onProgress: (f) => task.progress((0.95 * (k + f)) / job.totalDisks, `converting ${p.source.config.name}: disk ${p.index + 1}`),
          });
        });
        rmSync(p.emptyImage, { force: true });
        if (alg) {
          const digest = digestFile(partial, alg, digestSignal, { start: dataOffset, length: p.sizeBytes });
          digest.catch(() => undefined); // awaited below; a failure on the way stops it unawaited
          digests.push(digest);
        }
      }
      task.phase('finishing the archive');
      const machines = machinesWith((p) => p.sizeBytes);
      const descriptor = job.describe(machines);
      job.warnings.push(...descriptor.warnings);
      const xml = Buffer.from(descriptor.xml, 'utf8');
      if (xml.length > ovfRoom) throw new HangarError('INTERNAL', `the descriptor takes ${xml.length} bytes, more than the ${ovfRoom} reserved for it`);
      const ovfBytes = Buffer.concat([xml, Buffer.alloc(ovfRoom - xml.length, '\n')]);
      // The archive's data goes to the disk while the last digests are computed.
      const [, ...hexes] = await Promise.all([tar.flush(), ...digests]);
      await fillOvf(ovfBytes);
      if (fillManifest) await fillManifest(manifestText(ovfBytes, hexes));
      await tar.finish();
      task.progress(0.98, 'checking the archive');
      return machines;
    } catch (e) {
      stopDigests.abort();
      await tar.abort();
      throw e;
    }
  }

  private async selfCheck(file: string, machines: number, signal: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    let review;
    try {
      review = await this.d.imports.review(file);
      await this.d.imports.checkDisks(file);
    } catch (e) {
      throw new HangarError('INTERNAL', `the export failed its own check, so it was not kept: ${(e as Error).message}`, { cause: e });
    }
    if (review.machines.length !== machines) {
      throw new HangarError('INTERNAL', `the export failed its own check, so it was not kept: it reads back as ${review.machines.length} machines instead of ${machines}`);
    }
  }
}

/**
 * What an appliance cannot carry of a VM's guest integration: its TPM's state (the keys BitLocker or a
 * measured boot sealed there), its Secure Boot variables, its shared folders (host paths).
 */
export function guestIntegrationWarnings(name: string, c: VmConfig): string[] {
  const out: string[] = [];
  if (hasTpm(c)) out.push(`${name} has a TPM 2.0: its state (keys, such as those BitLocker sealed in it) is not part of an appliance; the imported VM gets a new, empty TPM, so a disk encrypted with the TPM asks for its recovery key.`);
  if (hasSecureBoot(c)) out.push(`${name} boots with Secure Boot: OVF has no setting for it, so switch it on again after importing (Hangar turns it on by itself for Windows 11).`);
  const shares = sharesOf(c);
  if (shares.length) out.push(`${name} shares host folders (${shares.map((s) => s.tag).join(', ')}): host paths are not part of an appliance; share them again after importing.`);
  return out;
}

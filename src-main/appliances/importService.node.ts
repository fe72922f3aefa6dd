// Importing an appliance: review (read, verify the descriptor, map, show) and import (convert every
// disk with qemu-img straight out of the .ova, checking each file against the manifest in the same
// pass, then register the machines). All or nothing: a failure or cancel removes every machine of
// the import and every file written for it.
import { randomInt, randomUUID } from 'node:crypto';
import { renameSync, rmSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HangarError, cancelledError, isHangarError } from '../../src-vmm/base/errors.js';
import { isValidMac, randomMac, type VmConfig } from '../../src-vmm/model/index.js';
import { asNoSpace, assertFreeSpace, type QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { imageReferences } from '../../src-vmm/storage/imageSafety.js';
import { vmPaths } from '../home.js';
import { provisionVm, type NewImage } from '../vms/provision.node.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { TaskContext, TaskRunner } from '../tasks/taskRunner.js';
import { inspectCertificate, type CertificateReport } from './certificate.node.js';
import { parseManifest } from './manifest.js';
import { planAppliance } from './mapping.js';
import { isMachineFile, openMachinePackage } from './machinePackage.node.js';
import { chainRoom, convertChain } from './machineDisks.node.js';
import { openPackage, readAt, type AppliancePackage, type Region } from './package.node.js';
import { PAYLOAD_HEAD_BYTES, chunkName, claimedFormat, contentMatchesClaim, detectPayload, qemuDriverFor, resolveHref } from './payload.js';
import type { AppliancePlan, MachinePlan, PlannedDisk, SourceFile } from './plan.js';
import { applyEdits, configFromPlan, uniqueName, type MachineEdits } from './review.js';
import { describeTarget, resolveMappings, sourceNetworks, type NetworkMapping, type SourceNetwork } from './networkMap.js';
import type { NetworkManager } from '../networks/networkManager.node.js';
import { invalidInput } from '../../src-vmm/base/errors.js';
import { algorithmLabel, stageParts, verifyRegion, type DigestAlgorithm, type ExpectedDigest, type StagePart } from './transfer.node.js';

export interface ImportServiceDeps {
  home: string;
  inventory: HangarInventory;
  qemuImg: QemuImg;
  tasks: TaskRunner;
  ovmfVars: (secureBoot: boolean) => string | null;
  log: (line: string) => void;
  /** makes the networks an import creates (without it, an import can only choose existing ones) */
  networks?: NetworkManager;
}

export interface ImportReview {
  /** the .ova, .ovf, .vbox or .vmx, absolute */
  file: string;
  kind: AppliancePackage['kind'];
  descriptor: string;
  ovfVersion: AppliancePlan['ovfVersion'];
  manifest: { file: string; algorithms: string[]; entries: number } | null;
  certificate: (CertificateReport & { file: string }) | null;
  machines: MachinePlan[];
  /** about the package: manifest coverage, signature, things left out */
  warnings: string[];
  /** where the machines' folders will be made */
  targetFolder: string;
  /** the networks the cards name, each with the Hangar network it maps to unless the import says otherwise */
  networks: SourceNetwork[];
}

interface Progress {
  signal: AbortSignal;
  onProgress: (f: number, m?: string) => void;
}

interface Manifest {
  file: string;
  entries: Map<string, ExpectedDigest>;
}

/** Inflated output may exceed the disk's capacity by format overhead; beyond this it is a bomb. */
const STAGING_SLACK_BYTES = 1 << 30;
const MAX_STAGED_WITHOUT_CAPACITY = 2 ** 41;

export class ImportService {
  /**
   * `qemu-img measure` of each source read in place, asked once per import (per package read): the
   * room check before the first byte and the disk's own check before its convert need the same figure.
   */
  private readonly measured = new WeakMap<AppliancePackage, Map<string, Promise<number | null>>>();

  constructor(private readonly d: ImportServiceDeps) {}

  private measureSource(pkg: AppliancePackage, src: { src: string; srcFormat: string; srcOffset?: number; srcLength?: number }): Promise<number | null> {
    let memo = this.measured.get(pkg);
    if (!memo) this.measured.set(pkg, (memo = new Map()));
    const key = JSON.stringify([src.src, src.srcFormat, src.srcOffset, src.srcLength]);
    let answer = memo.get(key);
    if (!answer) memo.set(key, (answer = this.d.qemuImg.measure(src).catch(() => null)));
    return answer;
  }

  async review(file: string): Promise<ImportReview> {
    const { review } = await this.read(file);
    return review;
  }

  /**
   * Imports every machine of the appliance, with the user's edits (by machine index) and where its
   * networks go (by source name; the others as the review suggests). Networks the import is to create
   * are made after every check and removed again when the import fails.
   */
  async import(file: string, edits: MachineEdits[], p: Progress, mappings: NetworkMapping[] = []): Promise<VmRow[]> {
    const { pkg, review, manifest } = await this.read(file);
    if (edits.length > review.machines.length) throw new HangarError('INVALID_INPUT', `the appliance has ${review.machines.length} machines, the edits name ${edits.length}`);
    const machines = review.machines.map((m, i) => applyEdits(m, edits[i]));

    // Where each source network goes, as network ids (new ones get their ids now, and are made below).
    const { targets, problems } = resolveMappings(review.networks, mappings);
    if (problems.length) throw invalidInput(problems.map((pr) => ({ path: `networks[${pr.index}].source`, message: pr.message })));
    const networkIds = new Map<string, string | undefined>();
    const toCreate: { id: string; target: Extract<NetworkMapping['target'], { kind: 'create' }> }[] = [];
    for (const [source, target] of targets) {
      if (target.kind === 'nat') networkIds.set(source, undefined);
      else if (target.kind === 'network') {
        const n = this.d.inventory.networks.findByRef(target.network);
        const index = mappings.findIndex((m) => m.source === source);
        if (!n) throw invalidInput([{ path: index >= 0 ? `networks[${index}].target.network` : 'networks', message: `no network named or with id '${target.network}' for the appliance's network '${source}'` }]);
        networkIds.set(source, n.id);
      } else {
        const same = toCreate.find((c) => c.target.name.toLowerCase() === target.name.toLowerCase());
        if (same) networkIds.set(source, same.id);
        else {
          if (!this.d.networks) throw new HangarError('UNSUPPORTED', 'this import cannot create networks');
          const id = randomUUID();
          toCreate.push({ id, target });
          networkIds.set(source, id);
        }
      }
    }

    // Everything that can be checked without writing is checked before the first byte is written.
    const names = new Set<string>();
    const planned = machines.map((m) => {
      const id = randomUUID();
      const paths = vmPaths(this.d.home, id);
      const diskPaths = m.disks.filter((d) => d.include).map((_, i) => join(paths.disks, `disk${i}.qcow2`));
      const isoPaths = m.opticals.map((o, i) => (o.file ? join(paths.disks, `cd${i}.iso`) : null));
      const config = configFromPlan(m, { id, diskPaths, isoPaths, macs: this.macsFor(m, edits[machines.indexOf(m)]?.macPolicy ?? 'new'), networks: m.nics.map((n) => networkIds.get(n.network)) });
      if (names.has(config.name)) throw new HangarError('INVALID_INPUT', `two machines of the appliance would both be named '${config.name}'`);
      names.add(config.name);
      const other = this.d.inventory.vms.findByName(config.name);
      if (other) throw new HangarError('ALREADY_EXISTS', `a VM named '${other.name}' already exists`);
      if (config.firmware.type === 'uefi' && !this.d.ovmfVars(config.firmware.secureBoot === true)) {
        throw new HangarError('UNSUPPORTED', `${config.name} needs UEFI firmware (OVMF${config.firmware.secureBoot ? ' with Secure Boot' : ''}), which is not installed: install the ovmf package`);
      }
      return { plan: m, config, paths };
    });
    for (const { plan } of planned) for (const d of plan.disks) if (d.include && d.file) resolveHref(d.file.href, pkg.base);

    // Room for every machine, before the first byte is written (each disk is checked again, exactly,
    // just before it is converted).
    const vmsDir = join(this.d.home, 'VMs');
    const room = await this.roomFor(pkg, planned.map(({ plan }) => plan));
    assertFreeSpace(vmsDir, room.bytes, { atLeast: room.atLeast });

    // Progress is shared by bytes: each disk weighs what is read for it.
    const weights = planned.map(({ plan }) => plan.disks.filter((d) => d.include).map((d) => Math.max(1, d.file?.sizeBytes ?? d.capacityBytes / 64)));
    const total = weights.flat().reduce((a, b) => a + b, 0) || 1;
    let before = 0;

    const imported: VmRow[] = [];
    const created: string[] = [];
    try {
      for (const c of toCreate) {
        const n = await this.d.networks!.create({ name: c.target.name, mode: c.target.mode, ...(c.target.subnet ? { subnet: c.target.subnet } : {}), ...(c.target.bridge ? { bridge: c.target.bridge } : {}) }, { id: c.id });
        created.push(n.id);
        this.d.log(`import of ${file}: made ${describeTarget(c.target)}`);
      }
      for (const [mi, { plan, config, paths }] of planned.entries()) {
        const row = await this.d.tasks.run('vm.import', { id: config.id, name: config.name }, { signal: p.signal, onProgress: () => {} }, async (task) => {
          const report = (f: number, message: string) => {
            task.progress(f, message);
            p.onProgress(Math.min(1, before / total + f * ((weights[mi]!.reduce((a, b) => a + b, 0) || 0) / total)), message);
          };
          return this.importMachine(pkg, manifest, plan, config, paths, weights[mi]!, task, report);
        });
        before += weights[mi]!.reduce((a, b) => a + b, 0);
        imported.push(row);
      }
    } catch (e) {
      // All or nothing: machines already registered by this import go too.
      for (const row of imported) {
        try {
          this.d.inventory.transaction(() => {
            for (const img of this.d.inventory.images.listForVm(row.id)) this.d.inventory.images.delete(img.path);
            this.d.inventory.vms.delete(row.id);
          });
          rmSync(vmPaths(this.d.home, row.id).dir, { recursive: true, force: true });
        } catch (undo) {
          // (a full inventory cannot record the removal either: the machine stays, whole, and says so)
          this.d.log(`import of ${file}: could not remove the imported machine ${row.name} (${row.id}): ${(undo as Error).message}`);
        }
      }
      for (const id of created) await this.d.networks!.delete(id).catch((undo: unknown) => this.d.log(`import of ${file}: could not remove the network it made: ${(undo as Error).message}`));
      throw asNoSpace(e, vmsDir, { neededBytes: room.bytes, atLeast: room.atLeast });
    }
    p.onProgress(1, 'imported');
    return imported;
  }

  /**
   * Opens every disk of the appliance as qemu-img would for an import (format from its header,
   * read in place) and compares its virtual size with the descriptor's capacity; writes nothing.
   * The exporter's self-check.
   */
  async checkDisks(file: string): Promise<void> {
    const { pkg, review } = await this.read(file);
    for (const m of review.machines) {
      for (const d of m.disks) {
        if (!d.file) continue;
        const parts = await this.parts(pkg, d.file);
        if (parts.length !== 1 || d.file.compression !== 'none') continue;
        const region = parts[0]!;
        const format = detectPayload(await readAt(region, 0, PAYLOAD_HEAD_BYTES), await readAt(region, Math.max(0, region.length - 512), 512));
        const driver = qemuDriverFor(format);
        const window = await this.windowFor(pkg, region);
        if (!driver || window === undefined) throw new HangarError('INVALID_INPUT', `${d.file.href} is not a disk image Hangar can read in place (${format})`);
        let description;
        try {
          description = await this.d.qemuImg.describeSource(region.path, { srcFormat: driver, ...window });
        } catch (e) {
          throw unreadable(d.file.href, e);
        }
        if (d.capacityBytes > 0 && description.virtualSizeBytes !== d.capacityBytes) {
          throw new HangarError('INVALID_INPUT', `${d.file.href} holds ${description.virtualSizeBytes} bytes but the descriptor says ${d.capacityBytes}`);
        }
      }
    }
  }

  // ------------------------------------------------------------------------------------------------

  private async read(file: string): Promise<{ pkg: AppliancePackage; review: ImportReview; manifest: Manifest | null }> {
    // A VirtualBox or VMware machine is read in place, mapped by the same rules (machinePackage.node.ts).
    const machineFile = isMachineFile(file) ? await openMachinePackage(file) : null;
    const pkg = machineFile?.pkg ?? (await openPackage(file));
    const warnings: string[] = [];

    let manifest: Manifest | null = null;
    if (machineFile) {
      // a machine's own files: nothing to verify them against
    } else if (pkg.manifest) {
      const entries = parseManifest(pkg.manifest.bytes.toString('utf8'), pkg.manifest.name);
      manifest = { file: pkg.manifest.name, entries: new Map() };
      for (const e of entries) {
        const name = resolveHref(e.file, pkg.base);
        manifest.entries.set(name, { name, algorithm: e.algorithm as DigestAlgorithm, digest: e.digest });
      }
      // The descriptor is small: checked now, before anything is read from it.
      const own = manifest.entries.get(pkg.descriptorName);
      if (own) {
        const { createHash } = await import('node:crypto');
        const actual = createHash(own.algorithm).update(pkg.descriptor).digest('hex');
        if (actual !== own.digest) {
          throw new HangarError('INVALID_INPUT', `${pkg.descriptorName} does not match its ${algorithmLabel(own.algorithm)} digest in the manifest: the descriptor was changed or damaged`);
        }
      } else warnings.push(`The manifest ${pkg.manifest.name} does not list the descriptor ${pkg.descriptorName}: the descriptor is not verified.`);
      if (manifest.entries.size && [...manifest.entries.values()].every((e) => e.algorithm === 'md5')) {
        warnings.push('The manifest uses MD5 digests only, which no longer protect against deliberate changes.');
      }
    } else {
      warnings.push('The appliance has no manifest: its files cannot be checked for damage.');
    }

    let certificate: ImportReview['certificate'] = null;
    if (pkg.certificate) {
      const report = inspectCertificate(pkg.certificate.bytes.toString('utf8'), pkg.manifest?.bytes ?? Buffer.alloc(0));
      certificate = { ...report, file: pkg.certificate.name };
      if (report.problem) warnings.push(`The certificate ${pkg.certificate.name} could not be checked: ${report.problem}.`);
      else if (!report.signatureValid) warnings.push(`The signature in ${pkg.certificate.name} does not match the manifest: the appliance was changed after ${report.subject} signed it.`);
      else if (report.expired) warnings.push(`The appliance is signed by ${report.subject}, but the certificate expired on ${report.validTo}.`);
      else if (!report.trustedBySystem) warnings.push(`The appliance is signed by ${report.subject}, whose certificate this system does not trust${report.selfSigned ? ' (self-signed)' : ''}.`);
    }

    const plan = machineFile?.plan ?? planAppliance(pkg.descriptor, pkg.descriptorName);
    warnings.push(...plan.warnings);

    // Every file a machine needs must be in the package (chunks included) and not shorter than declared.
    const listed = new Set<string>();
    for (const m of plan.machines) {
      for (const f of [...m.disks.map((d) => d.file), ...m.opticals.map((o) => o.file)]) {
        if (!f) continue;
        const parts = await this.parts(pkg, f);
        for (const part of parts) listed.add(part.name);
        listed.add(resolveHref(f.href, pkg.base));
        const size = parts.reduce((a, r) => a + r.length, 0);
        if (f.sizeBytes !== null && size < f.sizeBytes) {
          throw new HangarError('INVALID_INPUT', `${f.href} is truncated: the package holds ${size} bytes of the ${f.sizeBytes} the descriptor declares`);
        }
        if (manifest && !parts.every((r) => manifest.entries.has(r.name)) && !manifest.entries.has(resolveHref(f.href, pkg.base))) {
          warnings.push(`${f.href} is not listed in the manifest: it is not verified.`);
        }
      }
    }
    if (manifest) {
      for (const name of manifest.entries.keys()) {
        if (name !== pkg.descriptorName && !(await pkg.member(name))) warnings.push(`The manifest lists ${name}, which is not in the package.`);
      }
    }

    // Names must be free: a taken one gets a number, as a second import of one appliance would.
    const taken = new Set<string>();
    const machines = plan.machines.map((m) => {
      const name = uniqueName(m.name, (n) => taken.has(n) || this.d.inventory.vms.findByName(n) !== undefined);
      taken.add(name);
      return name === m.name ? m : { ...m, name, warnings: [...m.warnings, `A VM named '${m.name}' exists already: this one will be '${name}'.`] };
    });

    const review: ImportReview = {
      file: pkg.path,
      kind: pkg.kind,
      descriptor: pkg.descriptorName,
      ovfVersion: plan.ovfVersion,
      manifest: manifest ? { file: manifest.file, algorithms: [...new Set([...manifest.entries.values()].map((e) => algorithmLabel(e.algorithm)))], entries: manifest.entries.size } : null,
      certificate,
      machines,
      warnings,
      targetFolder: join(this.d.home, 'VMs'),
      networks: sourceNetworks(machines, this.d.inventory.networks.list()),
    };
    return { pkg, review, manifest };
  }

  /**
   * What an import writes into the VMs folder: each disk as qcow2 (measured where qemu-img can read it
   * in place; otherwise at least its packed size), the CD images and the UEFI variables.
   */
  private async roomFor(pkg: AppliancePackage, machines: MachinePlan[]): Promise<{ bytes: number; atLeast: boolean }> {
    let bytes = 0;
    let atLeast = false;
    for (const m of machines) {
      for (const disk of m.disks.filter((d) => d.include)) {
        if (!disk.file) {
          if (disk.capacityBytes > 0) bytes += await this.d.qemuImg.measure({ sizeBytes: Math.ceil(disk.capacityBytes / 512) * 512 });
          continue;
        }
        const chain = pkg.chain?.(disk.file.href);
        if (chain) {
          bytes += await chainRoom(chain, this.d.qemuImg);
          atLeast = true;
          continue;
        }
        const parts = await this.parts(pkg, disk.file);
        const packed = parts.reduce((a, r) => a + r.length, 0);
        const only = parts.length === 1 && disk.file.compression === 'none' ? parts[0]! : null;
        const window = only ? await this.windowFor(pkg, only) : undefined;
        const driver = only ? qemuDriverFor(detectPayload(await readAt(only, 0, PAYLOAD_HEAD_BYTES), await readAt(only, Math.max(0, only.length - 512), 512))) : null;
        let measured: number | null = null;
        if (only && window !== undefined && driver) {
          measured = await this.measureSource(pkg, { src: only.path, srcFormat: driver, ...window });
        }
        if (measured === null) {
          // Unpacked first (joined or inflated), then converted: both copies exist for a while.
          atLeast = true;
          bytes += 2 * packed;
        } else bytes += measured;
      }
      for (const optical of m.opticals) {
        if (!optical.file) continue;
        bytes += (await this.parts(pkg, optical.file)).reduce((a, r) => a + r.length, 0);
        if (optical.file.compression !== 'none') atLeast = true;
      }
      const vars = m.firmware === 'uefi' ? this.d.ovmfVars(false) : null;
      if (vars) bytes += statSync(vars).size;
    }
    return { bytes, atLeast };
  }

  /** The regions holding a file: its chunks in order, or the file itself. */
  private async parts(pkg: AppliancePackage, f: SourceFile): Promise<Region[]> {
    const name = resolveHref(f.href, pkg.base);
    if (f.chunkSize !== null) {
      const chunks: Region[] = [];
      for (let i = 0; ; i++) {
        const r = await pkg.member(chunkName(name, i));
        if (!r) break;
        chunks.push(r);
      }
      if (chunks.length) return chunks;
    }
    const whole = await pkg.member(name);
    if (!whole) {
      throw new HangarError('INVALID_INPUT', `the descriptor references ${f.href}${f.chunkSize !== null ? ` (in chunks ${chunkName(f.href, 0)}, …)` : ''}, which is not in the package`);
    }
    return [whole];
  }

  private macsFor(m: MachinePlan, policy: 'new' | 'keep'): string[] {
    const used = new Set<string>();
    for (const r of this.d.inventory.vms.list()) for (const n of r.config.nics) used.add(n.mac);
    return m.nics.map((n) => {
      if (policy === 'keep' && n.mac && isValidMac(n.mac) && !used.has(n.mac)) {
        used.add(n.mac);
        return n.mac;
      }
      for (;;) {
        const mac = randomMac(() => randomInt(0, 2 ** 32) / 2 ** 32);
        if (!used.has(mac)) {
          used.add(mac);
          return mac;
        }
      }
    });
  }

  private async importMachine(
    pkg: AppliancePackage,
    manifest: Manifest | null,
    plan: MachinePlan,
    config: VmConfig,
    paths: ReturnType<typeof vmPaths>,
    weights: number[],
    task: TaskContext,
    report: (f: number, message: string) => void,
  ): Promise<VmRow> {
    if (paths.dir !== vmPaths(this.d.home, config.id).dir) throw new HangarError('INTERNAL', 'an imported machine lives in its own folder');
    return provisionVm(
      { home: this.d.home, inventory: this.d.inventory, ovmfVars: this.d.ovmfVars },
      {
        id: config.id,
        name: config.name,
        fill: async () => {
          const images: NewImage[] = [];
          const total = weights.reduce((a, b) => a + b, 0) || 1;
          let done = 0;
          const included = plan.disks.filter((d) => d.include);
          for (const [i, disk] of included.entries()) {
            const label = `disk ${i + 1} of ${included.length}${disk.file ? ` (${disk.file.href})` : ''}`;
            task.phase(`importing ${label}`);
            const target = config.disks[i]!.path;
            const virtualSize = await this.importDisk(pkg, manifest, disk, target, task.signal, (f) => report((done + f * weights[i]!) / total, `importing ${label}`));
            images.push({ path: target, format: 'qcow2', virtualSize, backingPath: null, owned: true, role: 'disk' });
            done += weights[i]!;
          }
          for (const [i, optical] of plan.opticals.entries()) {
            const dst = config.opticals[i]?.path;
            if (!optical.file || !dst) continue;
            task.phase(`copying ${optical.file.href}`);
            const parts = await this.parts(pkg, optical.file);
            const partial = `${dst}.partial`;
            await stageParts(this.expectations(manifest, parts), {
              dst: partial,
              gunzip: optical.file.compression === 'gzip',
              whole: parts.length > 1 ? (manifest?.entries.get(resolveHref(optical.file.href, pkg.base)) ?? null) : null,
              maxBytes: MAX_STAGED_WITHOUT_CAPACITY,
              signal: task.signal,
            });
            renameSync(partial, dst);
          }
          task.phase('registering');
          return { config, images };
        },
      },
    );
  }

  /** How qemu-img should open a region in place: {} for a whole file, a window, or undefined when it cannot. */
  private async windowFor(pkg: AppliancePackage, r: Region): Promise<{ srcOffset?: number; srcLength?: number } | undefined> {
    const fileSize = (await stat(r.path)).size;
    if (r.offset === 0 && r.length === fileSize) return {};
    const padded = Math.ceil(r.length / 512) * 512;
    if (pkg.kind !== 'ova' || r.offset + padded > fileSize) return undefined;
    return { srcOffset: r.offset, srcLength: padded };
  }

  private expectations(manifest: Manifest | null, parts: Region[]): StagePart[] {
    return parts.map((region) => ({ region, expected: manifest?.entries.get(region.name) ?? null }));
  }

  /** One disk into a new qcow2 at `target`; returns its virtual size. */
  private async importDisk(
    pkg: AppliancePackage,
    manifest: Manifest | null,
    disk: PlannedDisk,
    target: string,
    signal: AbortSignal,
    onProgress: (f: number) => void,
  ): Promise<number> {
    if (!disk.file) {
      if (!(disk.capacityBytes > 0)) throw new HangarError('INVALID_INPUT', `disk ${disk.diskId} has no file and no capacity: there is nothing to create`);
      await this.d.qemuImg.create(target, { format: 'qcow2', sizeBytes: Math.ceil(disk.capacityBytes / 512) * 512 });
      onProgress(1);
      return disk.capacityBytes;
    }
    const file = disk.file;
    const chain = pkg.chain?.(file.href);
    if (chain) {
      const virtualSize = await convertChain(chain, target, this.d.qemuImg, `${pkg.descriptorName}: the disk ${file.href}`, signal, onProgress);
      onProgress(1);
      return virtualSize;
    }
    const name = resolveHref(file.href, pkg.base);
    const parts = await this.parts(pkg, file);
    // qemu-img reads a member in place through a byte window whose length must be a multiple of 512;
    // tar pads every member to 512 bytes, so the window may take in the padding. Where the padding is
    // missing (a cut archive) or the file is a whole one, see windowFor.
    const only = parts.length === 1 ? parts[0]! : null;
    const direct = only !== null && file.compression === 'none' && (await this.windowFor(pkg, only)) !== undefined;
    let source: Region = parts[0]!;
    let staged: string | null = null;
    // Staging (inflating gzip, joining chunks) is the first half of the work, converting the second.
    const stageShare = direct ? 0 : 0.5;
    // A disk read in place is checked against the manifest from the start: the digest runs beside the
    // checks below and then beside qemu-img reading the same bytes (the page cache serves both). Its
    // verdict is awaited on every path, and always before the machine is registered.
    const convertAbort = new AbortController();
    const onOuter = () => convertAbort.abort();
    signal.addEventListener('abort', onOuter, { once: true });
    const expected = direct ? (manifest?.entries.get(name) ?? null) : null;
    const verifying =
      expected && only
        ? verifyRegion(only, expected, { signal: convertAbort.signal }).catch((e: unknown) => {
            convertAbort.abort();
            throw e;
          })
        : Promise.resolve();
    verifying.catch(() => undefined);
    try {
      if (!direct) {
        staged = `${target}.staging`;
        const totalIn = parts.reduce((a, r) => a + r.length, 0) || 1;
        let read = 0;
        const size = await stageParts(this.expectations(manifest, parts), {
          dst: staged,
          gunzip: file.compression === 'gzip',
          whole: parts.length > 1 ? (manifest?.entries.get(name) ?? null) : null,
          maxBytes: disk.capacityBytes > 0 ? disk.capacityBytes + STAGING_SLACK_BYTES : MAX_STAGED_WITHOUT_CAPACITY,
          signal,
          onBytes: (n) => {
            read += n;
            onProgress((stageShare * read) / totalIn);
          },
        });
        source = { name, path: staged, offset: 0, length: size };
      }

      const format = detectPayload(await readAt(source, 0, PAYLOAD_HEAD_BYTES), await readAt(source, Math.max(0, source.length - 512), 512));
      if (format === 'vmdk-descriptor') {
        throw new HangarError('UNSUPPORTED', `${file.href} is a VMDK descriptor whose data sits in separate extent files (monolithicFlat or split): Hangar imports VMDKs that hold their data (streamOptimized, monolithicSparse)`);
      }
      if (!contentMatchesClaim(format, claimedFormat(disk.formatUri))) {
        throw new HangarError('INVALID_INPUT', `${file.href} should be a ${claimedFormat(disk.formatUri)?.toUpperCase()} image (the descriptor says ${disk.formatUri}) but has no such header: it is damaged or not a disk image`);
      }
      const driver = qemuDriverFor(format) ?? 'raw';
      const window = staged === null ? ((await this.windowFor(pkg, source)) ?? {}) : {};
      let description;
      try {
        description = await this.d.qemuImg.describeSource(source.path, { srcFormat: driver, ...window });
      } catch (e) {
        throw unreadable(file.href, e);
      }
      // An image that names other files would pull them into the VM: a disk must hold its own data.
      // (The same rule as for any image a user gives: see imageSafety.ts.) A VMDK inside an .ova
      // names its own extent by the json: window it was opened through.
      const ownWindow = (name: string) => name.startsWith('json:') && name.includes(JSON.stringify(source.path).slice(1, -1));
      const foreign = imageReferences(description, [source.path]).filter((r) => !(r.kind === 'extent' && ownWindow(r.target)));
      const first = foreign[0];
      if (first) {
        const why =
          first.kind === 'backing file'
            ? `is based on another image (${first.target})`
            : first.kind === 'external data file'
              ? `keeps its data in another file (${first.target})`
              : `reads data from another file (${first.target})`;
        throw new HangarError('UNSAFE_ARCHIVE', `${file.href} ${why}: an appliance's disks must hold their own data`, { details: { references: foreign } });
      }

      // The exact size of this disk's qcow2, checked against what is free now (earlier disks took theirs).
      const vmsDir = join(this.d.home, 'VMs');
      const neededBytes = (await this.measureSource(pkg, { src: source.path, srcFormat: driver, ...window })) ?? undefined;
      if (neededBytes !== undefined) assertFreeSpace(vmsDir, neededBytes);

      try {
        const converting = this.d.qemuImg
          .convert(source.path, target, {
            srcFormat: driver,
            ...window,
            dstFormat: 'qcow2',
            sparse: true,
            signal: convertAbort.signal,
            onProgress: (f) => onProgress(stageShare + (1 - stageShare) * f),
          })
          .catch((e: unknown) => {
            throw isHangarError(e, 'QEMU_FAILED') ? unreadable(file.href, e) : e;
          });
        const [c, v] = await Promise.allSettled([converting, verifying]);
        if (signal.aborted) throw cancelledError();
        if (v.status === 'rejected') throw v.reason;
        if (c.status === 'rejected') throw c.reason;
      } catch (e) {
        rmSync(target, { force: true });
        throw asNoSpace(e, vmsDir, { ...(neededBytes !== undefined ? { neededBytes } : {}) });
      }
      onProgress(1);
      return description.virtualSizeBytes;
    } finally {
      // A check that failed before the convert ends the digest as well; nothing reads on after this.
      convertAbort.abort();
      await verifying.catch(() => undefined);
      signal.removeEventListener('abort', onOuter);
      if (staged) rmSync(staged, { force: true });
    }
  }
}

function unreadable(href: string, e: unknown): HangarError {
  const he = e as HangarError;
  const words = String(he.message ?? e).replace(/^qemu-img could not \w+ \S+: /, '');
  return new HangarError('INVALID_INPUT', `${href} cannot be read as a disk image: ${words}`, { cause: e, details: he.details });
}

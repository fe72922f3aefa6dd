// VM operations of the owner: create, modify, delete, show, and the lifecycle through the supervisor.
// Rule for every change: disk files change first, the inventory commits last; a failure undoes the files.
import { randomUUID, randomInt } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, openSync, readSync, closeSync, rmSync, statSync, accessSync, readFileSync, readdirSync, fchmodSync, fstatSync, ftruncateSync, writeSync, constants as fsc } from 'node:fs';
import { dirname, join } from 'node:path';
import { HangarError, isHangarError } from '../../src-vmm/base/errors.js';
import { waitForEvent, Emitter } from '../../src-vmm/base/events.js';
import {
  validateConfig,
  applyPatch,
  formatIssues,
  defaultsFor,
  getOsType,
  randomMac,
  CURRENT_SCHEMA_VERSION,
  newVmNameProblems,
  DEFAULT_RECOVERY,
  recoveryOf,
  type VmConfig,
  type VmConfigPatch,
} from '../../src-vmm/model/index.js';
import { buildQemuLaunch, type HostFacts } from '../../src-vmm/qemu/argv.js';
import type { HostFactsReport } from '../../src-vmm/qemu/hostFacts.js';
import { asNoSpace, assertFreeSpace, noSpaceOn, type QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { isActive, type VmState } from '../../src-vmm/protocol/states.js';
import type { HostSpec } from '../../src-vmm/protocol/contract.js';
import { readLogTail } from '../../src-vmm/host/serialLog.node.js';
import { vmPaths, type VmPaths } from '../home.js';
import type { Supervisor } from '../supervisor/supervisor.node.js';
import type { TaskRunner, TaskContext } from '../tasks/taskRunner.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { VmCreateInput, VmDetails, VmModifyInput, VmSummary } from '../api/contract.js';
import { PathGuard, refusalFor } from '../files/pathGuard.node.js';
import { userFileMode } from '../files/modes.node.js';

const SERIAL_LOG_MAX_BYTES = 2 << 20;
/** Formats QEMU runs in place; anything else is converted to qcow2 in the VM's folder. */
const IN_PLACE_FORMATS = new Set(['qcow2', 'raw']);

export interface VmServiceDeps {
  home: string;
  inventory: HangarInventory;
  qemuImg: QemuImg;
  host: () => HostFactsReport;
  supervisor: Supervisor;
  tasks: TaskRunner;
  log: (line: string) => void;
  emitState: (vm: { id: string; name: string }, state: VmState, reason?: string) => void;
  /** console bytes of every VM (base64), for subscribers and serial waits */
  console: Emitter<{ id: string; data: string }>;
}

export class VmService {
  /** per VM: what the start-up reconciliation found wrong */
  readonly problems = new Map<string, string[]>();
  /** clone relations, filled in by the owner once the clone service exists */
  relations: ((row: VmRow) => Pick<VmDetails, 'linkedTo' | 'dependents'>) | undefined;

  constructor(private readonly d: VmServiceDeps) {}

  /** Checks the files people name against the home: no VM uses another's, nothing is written into Hangar's. */
  get guard(): PathGuard {
    return new PathGuard(this.d.home, this.d.inventory);
  }

  /**
   * Compares the inventory with the files: every image the inventory knows exists and has the backing
   * file the inventory records; every disk of every config exists. Disagreements are recorded and
   * shown (hangar show, the interface), never "fixed" by deleting anything.
   */
  async reconcile(onlyVmId?: string): Promise<void> {
    for (const vm of this.d.inventory.vms.list()) {
      if (onlyVmId && vm.id !== onlyVmId) continue;
      const found: string[] = [];
      for (const img of this.d.inventory.images.listForVm(vm.id)) {
        if (!existsSync(img.path)) {
          found.push(`image ${img.path} is missing`);
          continue;
        }
        try {
          const [info] = await this.d.qemuImg.info(img.path);
          const onDisk = info?.backingPath ?? null;
          // A user's own image used in place may have a backing file of its own that Hangar does not track.
          const untracked = img.backingPath === null && !img.owned;
          if (onDisk !== img.backingPath && !untracked) {
            found.push(`image ${img.path} is based on ${onDisk ?? 'nothing'} on disk, but on ${img.backingPath ?? 'nothing'} in the inventory`);
          }
        } catch (e) {
          found.push(`image ${img.path} cannot be read: ${(e as Error).message}`);
        }
      }
      for (const disk of vm.config.disks) if (!existsSync(disk.path)) found.push(`disk ${disk.id} (${disk.path}) is missing`);
      for (const s of this.d.inventory.snapshots.listForVm(vm.id)) {
        for (const disk of s.disks) if (!existsSync(disk.path)) found.push(`snapshot '${s.name}': image ${disk.path} is missing`);
      }
      if (found.length) {
        this.problems.set(vm.id, found);
        this.d.log(`vm=${vm.id} reconcile: ${found.join('; ')}`);
      } else this.problems.delete(vm.id);
    }
  }

  find(ref: string): VmRow {
    const row = this.d.inventory.vms.findByRef(ref);
    if (!row) throw new HangarError('NOT_FOUND', `no VM named or with id '${ref}'`);
    return row;
  }

  accelFor(config: VmConfig): { accelerator: 'kvm' | 'tcg'; reason: string } {
    const h = this.d.host();
    if (config.system.accel === 'auto') return { accelerator: h.accelerator, reason: h.accelReason };
    if (config.system.accel === 'tcg') return { accelerator: 'tcg', reason: 'TCG chosen in the VM settings' };
    return { accelerator: 'kvm', reason: 'KVM chosen in the VM settings' };
  }

  summary(row: VmRow): VmSummary {
    const { accelerator } = row.accelerator && isActive(row.state) ? { accelerator: row.accelerator } : this.accelFor(row.config);
    return { id: row.id, name: row.name, state: row.state, osType: row.config.osType, accelerator };
  }

  list(): VmSummary[] {
    return this.d.inventory.vms.list().map((r) => this.summary(r));
  }

  async details(row: VmRow): Promise<VmDetails> {
    const c = row.config;
    const active = isActive(row.state);
    const accel = active && row.accelerator ? { accelerator: row.accelerator, reason: this.accelFor(c).reason } : this.accelFor(c);
    const disks = await Promise.all(
      c.disks.map(async (disk) => {
        try {
          const chain = await this.d.qemuImg.info(disk.path, { backingChain: true });
          return {
            id: disk.id,
            bus: disk.bus,
            path: disk.path,
            format: chain[0]?.format ?? disk.format,
            virtualSizeBytes: chain[0]?.virtualSizeBytes ?? 0,
            actualSizeBytes: chain[0]?.actualSizeBytes,
            chain: chain.map((i) => i.path),
          };
        } catch {
          return { id: disk.id, bus: disk.bus, path: disk.path, format: disk.format, virtualSizeBytes: 0, chain: [disk.path] };
        }
      }),
    );
    const status = this.d.supervisor.get(row.id)?.status;
    const os = getOsType(c.osType);
    return {
      id: row.id,
      name: row.name,
      state: row.state,
      ...(row.stateReason ? { stateReason: row.stateReason } : {}),
      osType: c.osType,
      osLabel: os?.label ?? c.osType,
      description: c.description,
      cpus: c.system.cpus,
      memoryMiB: c.system.memoryMiB,
      firmware: c.firmware.type,
      chipset: c.system.chipset,
      accelerator: accel.accelerator,
      accelReason: accel.reason,
      accelSetting: c.system.accel,
      nested: c.features.nested,
      restartOnCrash: recoveryOf(c).restartOnCrash,
      maxRestartsPerMinute: recoveryOf(c).maxRestartsPerMinute,
      ...(active && status?.qemuPid ? { qemuPid: status.qemuPid } : {}),
      disks,
      opticals: c.opticals.map((o) => ({ id: o.id, bus: o.bus, path: o.path })),
      nics: c.nics.map((n) => ({ id: n.id, model: n.model, mac: n.mac, forwards: n.forwards })),
      boot: {
        order: c.boot.order,
        ...(c.boot.kernel ? { kernel: c.boot.kernel } : {}),
        ...(c.boot.initrd ? { initrd: c.boot.initrd } : {}),
        ...(c.boot.append !== undefined ? { append: c.boot.append } : {}),
      },
      display: { vga: c.display.vga, vnc: c.display.vnc },
      serial: c.serial.enabled,
      folder: vmPaths(this.d.home, row.id).dir,
      createdAt: row.createdAt,
      snapshots: this.d.inventory.snapshots.listForVm(row.id).map((s) => ({
        id: s.id,
        name: s.name,
        parentId: s.parentId,
        createdAt: s.createdAt,
        live: s.live,
        description: s.description,
      })),
      currentSnapshotId: this.d.inventory.snapshots.current(row.id)?.id ?? null,
      ...(this.problems.get(row.id)?.length ? { problems: this.problems.get(row.id) } : {}),
      ...(this.relations ? this.relations(row) : {}),
    };
  }

  // ---------------------------------------------------------------- create

  async create(input: VmCreateInput, opts: { signal: AbortSignal; onProgress: (f: number, m?: string) => void }): Promise<VmRow> {
    const osType = input.osType ?? 'linux';
    if (!getOsType(osType)) throw new HangarError('INVALID_INPUT', `unknown OS type '${osType}': see 'hangar ostypes'`);
    const def = defaultsFor(osType);
    const id = randomUUID();
    const paths = vmPaths(this.d.home, id);
    const firmware = input.firmware ?? def.firmware;
    const nicModel = input.nic ?? def.nicModel;
    const macs = this.usedMacs();
    const chipset = firmware === 'uefi' ? 'q35' : def.chipset;
    // q35 has no IDE controller: its built-in AHCI takes what would have been IDE.
    const onChipset = <B extends string>(bus: B) => (chipset === 'q35' && bus === 'ide' ? 'sata' : bus);
    const diskBus = onChipset(def.diskBus);
    const config = {
      schemaVersion: CURRENT_SCHEMA_VERSION,
      id,
      name: input.name,
      osType,
      description: input.description ?? '',
      system: {
        chipset,
        cpus: input.cpus ?? def.cpus,
        memoryMiB: input.memoryMiB ?? def.memoryMiB,
        accel: input.accel ?? 'auto',
      },
      firmware: { type: firmware },
      disks: [] as VmConfig['disks'],
      opticals: input.iso ? [{ id: 'cd0', bus: onChipset(def.opticalBus), path: input.iso }] : [],
      nics:
        nicModel === 'none'
          ? []
          : [{ id: 'net0', model: nicModel, mac: this.newMac(macs), forwards: (input.forwards ?? []).map((f) => ({ ...f, hostAddress: f.hostAddress ?? '127.0.0.1' })) }],
      display: { vga: def.vga, vnc: true },
      serial: { enabled: true },
      features: { nested: false },
      ...(input.restartOnCrash !== undefined || input.maxRestartsPerMinute !== undefined
        ? {
            recovery: {
              restartOnCrash: input.restartOnCrash ?? DEFAULT_RECOVERY.restartOnCrash,
              maxRestartsPerMinute: input.maxRestartsPerMinute ?? DEFAULT_RECOVERY.maxRestartsPerMinute,
            },
          }
        : {}),
      boot: {
        order: ['disk', 'optical'],
        ...(input.kernel ? { kernel: input.kernel } : {}),
        ...(input.initrd ? { initrd: input.initrd } : {}),
        ...(input.append !== undefined ? { append: input.append } : {}),
      },
    };
    if (nicModel === 'none' && input.forwards?.length) throw new HangarError('INVALID_INPUT', 'port forwards need a network card (--nic is none)');
    // Validate everything that needs no files before touching the disk.
    const planned = input.disk
      ? { ...config, disks: [{ id: 'disk0', bus: diskBus, path: join(paths.disks, 'disk0.qcow2'), format: 'qcow2' as const, readOnly: false }] }
      : config;
    const pre = validateConfig(planned);
    if (!pre.ok) throw new HangarError('INVALID_INPUT', formatIssues(pre.issues));
    assertNewName(input.name);
    this.assertNameFree(input.name);
    if (input.iso) this.assertUsableFile(input.iso, 'ISO', assertIso);
    if (input.kernel) this.assertUsableFile(input.kernel, 'kernel', (p) => assertReadableFile(p, 'kernel'));
    if (input.initrd) this.assertUsableFile(input.initrd, 'initrd', (p) => assertReadableFile(p, 'initrd'));

    // Space runs out on the VMs folder: the new VM's own folder goes with a failure. Checked before the
    // task starts, so a full disk refuses the VM before anything (not even the task) is written.
    const vmsDir = join(this.d.home, 'VMs');
    const ovmfVars = firmware === 'uefi' ? this.d.host().ovmf?.vars : undefined;
    assertFreeSpace(vmsDir, (input.disk ? await this.diskRoom(input.disk) : 0) + (ovmfVars && existsSync(ovmfVars) ? statSync(ovmfVars).size : 0));
    return noSpaceOn(vmsDir, {}, () => this.d.tasks.run('vm.create', { id, name: input.name }, { signal: opts.signal, onProgress: opts.onProgress }, async (task) => {
      mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
      try {
        for (const dir of [paths.disks, paths.snapshots, paths.state, paths.logs, paths.run]) mkdirSync(dir, { recursive: true, mode: 0o700 });
        const images: { path: string; format: string; virtualSize: number; owned: boolean }[] = [];
        if (input.disk) {
          const disk = await this.prepareDisk(input.disk, join(paths.disks, 'disk0.qcow2'), task, vmsDir);
          config.disks = [{ id: 'disk0', bus: diskBus, path: disk.path, format: disk.format, readOnly: false }];
          images.push(disk);
        }
        if (firmware === 'uefi') this.createNvram(paths);
        const checked = validateConfig(config);
        if (!checked.ok) throw new HangarError('INVALID_INPUT', formatIssues(checked.issues));
        task.phase('registering');
        return this.d.inventory.transaction(() => {
          this.assertNameFree(input.name);
          const row = this.d.inventory.vms.insert({ config: checked.value, state: 'stopped' });
          for (const img of images) {
            this.d.inventory.images.add({ path: img.path, vmId: id, format: img.format, virtualSize: img.virtualSize, backingPath: null, owned: img.owned, role: 'disk' });
          }
          return row;
        });
      } catch (e) {
        rmSync(paths.dir, { recursive: true, force: true });
        throw asNoSpace(e, vmsDir);
      }
    }));
  }


  private createNvram(paths: VmPaths): void {
    const ovmf = this.d.host().ovmf;
    if (!ovmf) throw new HangarError('UNSUPPORTED', 'UEFI firmware (OVMF) is not installed: install the ovmf package');
    copyFileSync(ovmf.vars, paths.nvram);
  }

  /** Bytes a disk choice writes into the VM's folder: an empty qcow2's tables, a conversion's qcow2, nothing for an image used in place. */
  private async diskRoom(choice: NonNullable<VmCreateInput['disk']>, format?: string): Promise<number> {
    if ('sizeBytes' in choice) return this.d.qemuImg.measure({ sizeBytes: choice.sizeBytes });
    if (!format) this.guard.assertUsable(choice.image, 'disk image');
    const srcFormat = format ?? (await this.d.qemuImg.detectImage(choice.image)).format;
    return IN_PLACE_FORMATS.has(srcFormat) ? 0 : this.d.qemuImg.measure({ src: choice.image, srcFormat });
  }

  /** A new empty qcow2, or an existing image: used in place (qcow2, raw) or converted to qcow2. */
  private async prepareDisk(
    choice: NonNullable<VmCreateInput['disk']>,
    newPath: string,
    task: TaskContext,
    /** the folder a lack of space is reported on (one that outlives a failure) */
    roomDir = dirname(newPath),
  ): Promise<{ path: string; format: 'qcow2' | 'raw'; virtualSize: number; owned: boolean }> {
    if ('sizeBytes' in choice) {
      task.phase('creating the disk');
      const neededBytes = await this.diskRoom(choice);
      assertFreeSpace(roomDir, neededBytes);
      await this.d.qemuImg.create(newPath, { sizeBytes: choice.sizeBytes, format: 'qcow2' }).catch((e: unknown) => {
        throw asNoSpace(e, roomDir, { neededBytes });
      });
      return { path: newPath, format: 'qcow2', virtualSize: choice.sizeBytes, owned: true };
    }
    this.guard.assertUsable(choice.image, 'disk image');
    const detected = await this.d.qemuImg.detectImage(choice.image);
    if (IN_PLACE_FORMATS.has(detected.format)) {
      const user = this.d.inventory.images.get(choice.image);
      if (user) throw new HangarError('INVALID_INPUT', `${choice.image} is already a disk of another VM`);
      if (detected.backingPath) {
        // Used in place, its backing chain is read by this VM too: none of it may be another VM's.
        const chain = await this.d.qemuImg.info(choice.image, { backingChain: true });
        for (const img of chain.slice(1)) {
          const owner = this.guard.ownerOf(img.path);
          if (owner) throw new HangarError('INVALID_INPUT', `disk image ${choice.image} is based on ${img.path}, which ${owner}: ${refusalFor(owner)}`);
        }
      }
      try {
        accessSync(choice.image, fsc.R_OK | fsc.W_OK);
      } catch {
        throw new HangarError('INVALID_INPUT', `${choice.image} is not writable: a VM's disk must be`);
      }
      return { path: choice.image, format: detected.format as 'qcow2' | 'raw', virtualSize: detected.virtualSizeBytes, owned: false };
    }
    task.phase(`converting the ${detected.format} image to qcow2`);
    const neededBytes = await this.diskRoom(choice, detected.format);
    assertFreeSpace(roomDir, neededBytes);
    await this.d.qemuImg
      .convert(choice.image, newPath, {
        srcFormat: detected.format,
        dstFormat: 'qcow2',
        sparse: true,
        signal: task.signal,
        onProgress: (f) => task.progress(f, `converting ${choice.image}`),
      })
      .catch((e: unknown) => {
        throw asNoSpace(e, roomDir, { neededBytes });
      });
    return { path: newPath, format: 'qcow2', virtualSize: detected.virtualSizeBytes, owned: true };
  }

  /** A file the VM is to read: a user's own (not another VM's), and of the right kind. */
  private assertUsableFile(path: string, what: string, check: (path: string) => void): void {
    check(path);
    this.guard.assertUsable(path, what);
  }

  private assertNameFree(name: string, exceptId?: string): void {
    const other = this.d.inventory.vms.findByName(name);
    if (other && other.id !== exceptId) throw new HangarError('ALREADY_EXISTS', `a VM named '${other.name}' already exists`);
  }

  private usedMacs(): Set<string> {
    const macs = new Set<string>();
    for (const r of this.d.inventory.vms.list()) for (const n of r.config.nics) macs.add(n.mac);
    return macs;
  }

  private newMac(used: Set<string>): string {
    for (;;) {
      const mac = randomMac(() => randomInt(0, 2 ** 32) / 2 ** 32);
      if (!used.has(mac)) {
        used.add(mac);
        return mac;
      }
    }
  }

  // ---------------------------------------------------------------- modify

  async modify(input: VmModifyInput, opts: { signal: AbortSignal; onProgress: (f: number, m?: string) => void }): Promise<VmRow> {
    const row = this.find(input.ref);
    const c = row.config;
    const hardware = Object.entries(input).some(([k, v]) => v !== undefined && !['ref', 'name', 'description', 'restartOnCrash', 'maxRestartsPerMinute'].includes(k));
    if (hardware && (isActive(row.state) || row.state === 'saved')) {
      throw new HangarError(
        'STATE_CONFLICT',
        row.state === 'saved'
          ? `VM '${row.name}' has a saved state: start it and shut it down before changing its hardware`
          : `VM '${row.name}' is ${row.state}: stop it before changing its hardware`,
      );
    }
    if (input.osType !== undefined && !getOsType(input.osType)) throw new HangarError('INVALID_INPUT', `unknown OS type '${input.osType}': see 'hangar ostypes'`);
    const patch: VmConfigPatch = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.description !== undefined) patch.description = input.description;
    if (input.osType !== undefined) patch.osType = input.osType;
    const system: NonNullable<VmConfigPatch['system']> = {};
    if (input.cpus !== undefined) system.cpus = input.cpus;
    if (input.memoryMiB !== undefined) system.memoryMiB = input.memoryMiB;
    if (input.accel !== undefined) system.accel = input.accel;
    if (input.firmware !== undefined) {
      patch.firmware = { type: input.firmware };
      if (input.firmware === 'uefi' && c.system.chipset !== 'q35') {
        // UEFI runs on q35, which has no IDE: IDE devices move to its AHCI (SATA) ports.
        system.chipset = 'q35';
        patch.disks = c.disks.map((d) => (d.bus === 'ide' ? { ...d, bus: 'sata' } : d));
        patch.opticals = c.opticals.map((o) => (o.bus === 'ide' ? { ...o, bus: 'sata' } : o));
      }
    }
    if (Object.keys(system).length) patch.system = system;
    if (input.nested !== undefined) {
      const accelAfter = input.accel ?? c.system.accel;
      if (input.nested && accelAfter === 'auto' && this.d.host().accelerator !== 'kvm') {
        throw new HangarError('INVALID_INPUT', `nested virtualization needs KVM, and this host uses TCG (${this.d.host().accelReason})`);
      }
      patch.features = { nested: input.nested };
    }
    if (input.restartOnCrash !== undefined || input.maxRestartsPerMinute !== undefined) {
      patch.recovery = {
        ...(input.restartOnCrash !== undefined ? { restartOnCrash: input.restartOnCrash } : {}),
        ...(input.maxRestartsPerMinute !== undefined ? { maxRestartsPerMinute: input.maxRestartsPerMinute } : {}),
      };
    }
    if (input.nic !== undefined || input.forwards !== undefined) {
      const macs = this.usedMacs();
      if (input.nic === 'none') {
        if (input.forwards?.length) throw new HangarError('INVALID_INPUT', 'port forwards need a network card (--nic is none)');
        patch.nics = [];
      } else {
        const first = c.nics[0];
        const model = input.nic ?? first?.model ?? defaultsFor(c.osType).nicModel;
        const forwards = input.forwards ? input.forwards.map((f) => ({ ...f, hostAddress: f.hostAddress ?? '127.0.0.1' })) : (first?.forwards ?? []);
        patch.nics = [{ id: first?.id ?? 'net0', model, mac: first?.mac ?? this.newMac(macs), forwards }, ...c.nics.slice(1)];
      }
    }
    if (input.name !== undefined) assertNewName(input.name);
    if (input.iso !== undefined) {
      if (input.iso) this.assertUsableFile(input.iso, 'ISO', assertIso);
      const opticals = patch.opticals ?? c.opticals;
      const first = opticals[0];
      const bus = first?.bus ?? defaultsFor(c.osType).opticalBus;
      const chipsetAfter = system.chipset ?? c.system.chipset;
      if (input.iso === null) patch.opticals = first ? [{ ...first, path: null }, ...opticals.slice(1)] : [];
      else patch.opticals = [{ id: first?.id ?? 'cd0', bus: chipsetAfter === 'q35' && bus === 'ide' ? 'sata' : bus, path: input.iso }, ...opticals.slice(1)];
    }
    if (input.kernel !== undefined || input.initrd !== undefined || input.append !== undefined) {
      if (input.kernel) this.assertUsableFile(input.kernel, 'kernel', (p) => assertReadableFile(p, 'kernel'));
      if (input.initrd) this.assertUsableFile(input.initrd, 'initrd', (p) => assertReadableFile(p, 'initrd'));
      // In a patch, null removes a boot setting; without a kernel, initrd and append go too.
      const boot: NonNullable<VmConfigPatch['boot']> = {};
      for (const key of ['kernel', 'initrd', 'append'] as const) {
        const v = input[key];
        if (v !== undefined) boot[key] = v;
      }
      const kernelAfter = input.kernel === undefined ? c.boot.kernel : input.kernel;
      if (!kernelAfter) {
        boot.kernel = null;
        boot.initrd = null;
        boot.append = null;
      }
      patch.boot = boot;
    }
    if (input.name !== undefined) this.assertNameFree(input.name, row.id);
    const paths = vmPaths(this.d.home, row.id);
    const preview = applyPatch(c, patch);
    if (!preview.ok) throw new HangarError('INVALID_INPUT', formatIssues(preview.issues));

    return this.d.tasks.run('vm.modify', { id: row.id, name: row.name }, { signal: opts.signal, onProgress: opts.onProgress }, async (task) => {
      const created: string[] = [];
      try {
        let next = preview.value;
        let image: { path: string; format: string; virtualSize: number; owned: boolean } | undefined;
        if (input.disk) {
          const n = nextDiskIndex(next.disks.map((d) => d.id));
          image = await this.prepareDisk(input.disk, join(paths.disks, `disk${n}.qcow2`), task);
          if (image.owned) created.push(image.path);
          const defBus = defaultsFor(next.osType).diskBus;
          const bus = next.system.chipset === 'q35' && defBus === 'ide' ? 'sata' : defBus;
          const r = validateConfig({ ...next, disks: [...next.disks, { id: `disk${n}`, bus, path: image.path, format: image.format, readOnly: false }] });
          if (!r.ok) throw new HangarError('INVALID_INPUT', formatIssues(r.issues));
          next = r.value;
        }
        if (next.firmware.type === 'uefi' && !existsSync(paths.nvram)) {
          this.createNvram(paths);
          created.push(paths.nvram);
        }
        return this.d.inventory.transaction(() => {
          if (input.name !== undefined) this.assertNameFree(input.name, row.id);
          const updated = this.d.inventory.vms.updateConfig(row.id, next);
          if (image) this.d.inventory.images.add({ path: image.path, vmId: row.id, format: image.format, virtualSize: image.virtualSize, backingPath: null, owned: image.owned, role: 'disk' });
          return updated;
        });
      } catch (e) {
        for (const f of created) rmSync(f, { force: true });
        throw e;
      }
    });
  }

  // ---------------------------------------------------------------- delete

  delete(ref: string, keepFiles: boolean, keepShared = false): { id: string; keptFiles: string[] } {
    const row = this.find(ref);
    // A task first: a running VM taking a snapshot is busy with that, which says more than "running".
    this.d.tasks.assertFree(row);
    if (isActive(row.state)) throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is ${row.state}: stop it before deleting it`);
    // Images of this VM that other VMs' disks are based on (with their own bases).
    const own = this.d.inventory.images.listForVm(row.id);
    const shared = new Set<string>();
    const clones = new Set<string>();
    const keepWithBases = (path: string) => {
      for (let p: string | null = path; p && !shared.has(p); p = this.d.inventory.images.get(p)?.backingPath ?? null) {
        if (this.d.inventory.images.get(p)?.vmId !== row.id) break;
        shared.add(p);
      }
    };
    for (const img of own) {
      for (const dep of this.d.inventory.images.dependents(img.path)) {
        if (dep.vmId && dep.vmId !== row.id) {
          clones.add(this.d.inventory.vms.get(dep.vmId)?.name ?? dep.vmId);
          keepWithBases(img.path);
        }
      }
    }
    if (clones.size && !keepShared) {
      throw new HangarError(
        'STATE_CONFLICT',
        `VM '${row.name}' cannot be deleted: the linked clone(s) ${[...clones].map((n) => `'${n}'`).join(', ')} depend on its disks (delete or promote them first, or delete with --keep-shared to keep only the images they need)`,
      );
    }
    const paths = vmPaths(this.d.home, row.id);
    const external = own.filter((i) => !i.owned).map((i) => i.path);
    this.d.inventory.transaction(() => {
      for (const p of shared) this.d.inventory.images.setVm(p, null);
      this.d.inventory.vms.delete(row.id);
    });
    // The inventory has let go; now the files. External images (used in place) are never deleted,
    // and images kept for linked clones stay where their clones' backing pointers expect them.
    const kept = [...shared];
    if (!keepFiles) {
      if (kept.length === 0) rmSync(paths.dir, { recursive: true, force: true });
      else removeAllBut(paths.dir, new Set(kept));
    }
    return { id: row.id, keptFiles: keepFiles ? [paths.dir, ...external] : [...external, ...kept] };
  }

  /** Images kept for linked clones that no image depends on any more: removed with their files. */
  collectOrphanImages(): string[] {
    const removed: string[] = [];
    for (let again = true; again; ) {
      again = false;
      for (const img of this.d.inventory.images.list()) {
        if (img.vmId !== null || this.d.inventory.images.dependents(img.path).length > 0) continue;
        this.d.inventory.images.delete(img.path);
        if (img.owned) rmSync(img.path, { force: true });
        removed.push(img.path);
        again = true;
      }
    }
    if (removed.length) this.d.log(`removed images no VM needs any more: ${removed.join(', ')}`);
    return removed;
  }

  // ---------------------------------------------------------------- lifecycle

  async start(ref: string, opts: { waitSerial?: string; timeoutS: number; signal: AbortSignal; onProgress: (f: number, m?: string) => void }) {
    const row = this.find(ref);
    if (isActive(row.state)) throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is already ${row.state}`);
    this.d.tasks.assertFree(row);
    const c = row.config;
    for (const disk of c.disks) if (!existsSync(disk.path)) throw new HangarError('NOT_FOUND', `disk image ${disk.path} of VM '${row.name}' is missing`);
    for (const cd of c.opticals) if (cd.path && !existsSync(cd.path)) throw new HangarError('NOT_FOUND', `ISO ${cd.path} of VM '${row.name}' is missing: change it with 'hangar modify ${row.name} --iso FILE' (or none)`);
    for (const f of [c.boot.kernel, c.boot.initrd]) if (f && !existsSync(f)) throw new HangarError('NOT_FOUND', `${f} of VM '${row.name}' is missing`);
    const { accelerator } = this.accelFor(c);
    const hostReport = this.d.host();
    if (accelerator === 'kvm' && hostReport.kvm.device !== 'present') {
      throw new HangarError('UNSUPPORTED', `VM '${row.name}' is set to KVM, but this host has no usable /dev/kvm: use 'hangar modify ${row.name} --accel auto'`);
    }
    if (c.features.nested && accelerator !== 'kvm') {
      throw new HangarError('UNSUPPORTED', `VM '${row.name}' has nested virtualization on, which needs KVM; this host uses TCG (${hostReport.accelReason}). Turn it off with 'hangar modify ${row.name} --nested off'`);
    }
    if (c.firmware.type === 'uefi' && !hostReport.ovmf) throw new HangarError('UNSUPPORTED', 'UEFI firmware (OVMF) is not installed: install the ovmf package');
    const paths = vmPaths(this.d.home, row.id);
    for (const dir of [paths.run, paths.logs, paths.state]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (c.firmware.type === 'uefi' && !existsSync(paths.nvram)) this.createNvram(paths);
    const incoming = row.state === 'saved' && existsSync(paths.savedState);
    const facts: HostFacts = { qemuBinary: hostReport.qemuBinary, qemuVersion: hostReport.qemuVersion, accel: accelerator, ovmf: hostReport.ovmf };
    const launch = buildQemuLaunch(c, facts, {
      runDir: paths.run,
      qmpSocket: paths.qmpSocket,
      serialSocket: paths.serialSocket,
      vncSocket: paths.vncSocket,
      pidFile: paths.pidFile,
      nvramFile: paths.nvram,
      incoming,
    });
    const spec: HostSpec = {
      vmId: row.id,
      vmName: row.name,
      accelerator,
      qemu: { binary: launch.binary, argv: launch.argv, env: launch.env },
      runDir: paths.run,
      hostSocket: paths.hostSocket,
      qmpSocket: paths.qmpSocket,
      ...(c.serial.enabled ? { serialSocket: paths.serialSocket } : {}),
      pidFile: paths.pidFile,
      statusFile: paths.statusFile,
      qemuLog: paths.qemuLog,
      serialLog: paths.serialLog,
      serialLogMaxBytes: SERIAL_LOG_MAX_BYTES,
      ...(incoming ? { incomingStateFile: paths.savedState } : {}),
      saveStateFile: paths.savedState,
      waitForBoot: true,
    };
    return this.d.tasks.run('vm.start', { id: row.id, name: row.name }, { signal: opts.signal, onProgress: opts.onProgress }, async (task) => {
      this.d.inventory.vms.setState(row.id, 'starting', undefined, accelerator);
      this.d.emitState(row, 'starting');
      task.phase('starting QEMU');
      let matched: Promise<boolean> | undefined;
      let stopWatching = () => {};
      if (opts.waitSerial) {
        const w = watchSerial(this.d.console, row.id, opts.waitSerial);
        matched = w.matched;
        stopWatching = w.dispose;
      }
      try {
        await this.d.supervisor.launch(spec, paths);
        const status = await this.d.supervisor.call(row.id, 'host.boot', {}, { timeoutMs: 600_000 });
        if (status.state === 'aborted' || status.state === 'stopped') {
          throw new HangarError('QEMU_FAILED', `VM '${row.name}' did not start: ${status.reason ?? status.state}`);
        }
        if (!matched) return { id: row.id, state: status.state, accelerator };
        task.phase(`waiting for '${opts.waitSerial}' on the serial console`);
        const ended = waitForEvent(this.vmStates.event, (e) => e.id === row.id && ['stopped', 'aborted', 'saved'].includes(e.state));
        const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), opts.timeoutS * 1000).unref());
        const aborted = new Promise<'cancel'>((r) => task.signal.addEventListener('abort', () => r('cancel'), { once: true }));
        const outcome = await Promise.race([matched.then(() => 'matched' as const), ended.then((e) => e), deadline, aborted]);
        if (outcome === 'matched') return { id: row.id, state: this.find(row.id).state, accelerator, serialMatched: true };
        if (outcome === 'timeout') {
          throw new HangarError('TIMEOUT', `'${opts.waitSerial}' did not appear on the serial console of '${row.name}' within ${opts.timeoutS} s (the VM keeps running)`);
        }
        if (outcome === 'cancel') throw new HangarError('CANCELLED', 'stopped waiting (the VM keeps running)');
        throw new HangarError('QEMU_FAILED', `VM '${row.name}' ended (${outcome.state}${outcome.reason ? `: ${outcome.reason}` : ''}) before '${opts.waitSerial}' appeared on its serial console`);
      } catch (e) {
        const current = this.d.inventory.vms.get(row.id);
        if (current?.state === 'starting' && !this.d.supervisor.get(row.id)) {
          const reason = isHangarError(e) ? e.message : String(e);
          this.d.inventory.vms.setState(row.id, 'aborted', reason);
          this.d.emitState(row, 'aborted', reason);
        }
        throw e;
      } finally {
        stopWatching();
      }
    });
  }

  /** Fires on every VM state change the owner records. */
  readonly vmStates = new Emitter<{ id: string; state: VmState; reason?: string }>();

  /** `evenIfBusy`: the owner's own shutdown --force, which ends every task anyway. */
  async stop(ref: string, opts: { force: boolean; timeoutS: number; signal: AbortSignal; evenIfBusy?: boolean }) {
    const row = this.find(ref);
    if (!isActive(row.state) || !this.d.supervisor.get(row.id)) {
      throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is not running (it is ${row.state})`);
    }
    // A live snapshot or merge in flight would be cut off: cancel it first (hangar tasks), or wait.
    if (!opts.evenIfBusy) this.d.tasks.assertFree(row);
    const ended = waitForEvent(this.vmStates.event, (e) => e.id === row.id && ['stopped', 'aborted', 'saved'].includes(e.state), {
      timeoutMs: opts.timeoutS * 1000,
      signal: opts.signal,
      what: 'the VM to stop',
    });
    ended.catch(() => undefined);
    if (opts.force) {
      // The host may close its connection as QEMU ends: what counts is the VM's end, awaited below.
      await this.d.supervisor.call(row.id, 'host.powerOff', {}, { timeoutMs: 30_000 }).catch((e: unknown) => {
        if (!(isHangarError(e) && e.code === 'IO_ERROR')) throw e;
      });
    } else {
      await this.d.supervisor.call(row.id, 'host.powerdown', {});
    }
    try {
      const e = await ended;
      return { id: row.id, state: e.state };
    } catch (e) {
      if (opts.signal.aborted) throw new HangarError('CANCELLED', 'stopped waiting (the guest may still shut down)');
      throw new HangarError('TIMEOUT', `the guest of '${row.name}' did not shut down within ${opts.timeoutS} s of the ACPI power button: use 'hangar stop ${row.name} --force' to power it off`, { cause: e });
    }
  }

  async simple(ref: string, action: 'pause' | 'resume' | 'reset') {
    const row = this.find(ref);
    if (!isActive(row.state) || !this.d.supervisor.get(row.id)) {
      throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is not running (it is ${row.state})`);
    }
    // A live snapshot pauses and resumes the guest itself: a pause or reset meanwhile would be undone or torn.
    this.d.tasks.assertFree(row);
    await this.d.supervisor.call(row.id, `host.${action}`, {});
    return { id: row.id, state: this.find(row.id).state };
  }

  async save(ref: string, opts: { signal: AbortSignal; onProgress: (f: number, m?: string) => void }) {
    const row = this.find(ref);
    if (!isActive(row.state) || !this.d.supervisor.get(row.id)) {
      throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is not running (it is ${row.state})`);
    }
    return this.d.tasks.run('vm.save', { id: row.id, name: row.name }, { signal: opts.signal, onProgress: opts.onProgress }, async (task) => {
      const ended = waitForEvent(this.vmStates.event, (e) => e.id === row.id && ['stopped', 'aborted', 'saved'].includes(e.state), { timeoutMs: 600_000 });
      ended.catch(() => undefined);
      await this.d.supervisor.call(row.id, 'host.save', {}, { signal: task.signal, onProgress: (p) => task.progress(p.fraction, p.message), timeoutMs: 600_000 });
      const e = await ended;
      return { id: row.id, state: e.state };
    });
  }

  serial(ref: string, maxBytes: number): Buffer {
    const row = this.find(ref);
    return readLogTail(vmPaths(this.d.home, row.id).serialLog, maxBytes);
  }

  async screenshot(ref: string, file: string): Promise<{ file: string; sizeBytes: number }> {
    const row = this.find(ref);
    if (!isActive(row.state) || !this.d.supervisor.get(row.id)) {
      throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is not running (it is ${row.state})`);
    }
    if (row.config.display.vga === 'none') throw new HangarError('UNSUPPORTED', `VM '${row.name}' has no display`);
    this.guard.assertWritable(file, 'screenshot file');
    const paths = vmPaths(this.d.home, row.id);
    rmSync(paths.screenshot, { force: true });
    await this.d.supervisor.call(row.id, 'host.screendump', { file: paths.screenshot }, { timeoutMs: 30_000 });
    // QEMU writes into the VM's private run folder; the owner copies the picture where the user asked.
    let picture: Buffer;
    try {
      picture = readFileSync(paths.screenshot);
    } finally {
      rmSync(paths.screenshot, { force: true });
    }
    return { file, sizeBytes: writeUserFile(file, picture, 'screenshot file') };
  }

  async send(ref: string, text: string, enter: boolean): Promise<void> {
    const row = this.find(ref);
    if (!isActive(row.state) || !this.d.supervisor.get(row.id)) {
      throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is not running (it is ${row.state})`);
    }
    if (!row.config.serial.enabled) throw new HangarError('UNSUPPORTED', `VM '${row.name}' has no serial console`);
    await this.d.supervisor.call(row.id, 'host.consoleWrite', { data: enter ? `${text}\r` : text });
  }
}

/**
 * Writes a file of the user's at a path checked earlier (PathGuard.assertWritable), without trusting
 * that the path is still what was checked: a link or FIFO put there in between (in a shared folder,
 * by someone else) must not redirect or block the write. Opened without following a link and without
 * blocking, checked to be a regular file through the descriptor, truncated only then. A new file gets
 * the user's usual mode (the owner's own umask is 077). Returns the bytes written.
 */
function writeUserFile(file: string, data: Uint8Array, what: string): number {
  let fd: number;
  try {
    fd = openUserFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new HangarError('INVALID_INPUT', `${what} ${file} is a symbolic link: Hangar does not write through links; give the path of the file itself`, { cause: e });
    if (code === 'ENXIO') throw new HangarError('INVALID_INPUT', `${what} ${file} exists and is not a regular file`, { cause: e });
    throw new HangarError('IO_ERROR', `cannot write ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    if (!fstatSync(fd).isFile()) throw new HangarError('INVALID_INPUT', `${what} ${file} exists and is not a regular file`);
    ftruncateSync(fd, 0);
    let at = 0;
    while (at < data.length) at += writeSync(fd, data, at, data.length - at, at);
    return at;
  } catch (e) {
    if (e instanceof HangarError) throw e;
    throw new HangarError('IO_ERROR', `cannot write ${file}: ${(e as Error).message}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}

/** Opens a user's file for writing, creating it with the user's usual mode; never through a link, never blocking. */
function openUserFile(file: string): number {
  const flags = fsc.O_WRONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, flags | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      // Created here: the umask (the owner's is 077) does not apply to fchmod.
      fchmodSync(fd, userFileMode());
      return fd;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    try {
      return openSync(file, flags); // an existing file keeps its mode
    } catch (e) {
      // Removed between the two opens: try again, a few times.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw e;
    }
  }
}

/** The rules only new names meet (see newVmNameProblems); the basic ones are the config's. */
function assertNewName(name: string): void {
  const problems = newVmNameProblems(name);
  if (problems.length) throw new HangarError('INVALID_INPUT', problems.join('; '));
}

function nextDiskIndex(ids: string[]): number {
  let n = 0;
  while (ids.includes(`disk${n}`)) n++;
  return n;
}

/** Watches a VM's console stream for a text, across chunk boundaries. */
export function watchSerial(console: Emitter<{ id: string; data: string }>, vmId: string, text: string): { matched: Promise<boolean>; dispose: () => void } {
  let window = '';
  let resolve!: (v: boolean) => void;
  const matched = new Promise<boolean>((r) => (resolve = r));
  const sub = console.event((e) => {
    if (e.id !== vmId) return;
    window += Buffer.from(e.data, 'base64').toString('utf8');
    if (window.includes(text)) {
      sub.dispose();
      resolve(true);
      return;
    }
    const keep = Math.max(text.length * 2, 4096);
    if (window.length > keep) window = window.slice(-keep);
  });
  return { matched, dispose: () => sub.dispose() };
}

function assertReadableFile(path: string, what: string): void {
  let st;
  try {
    st = statSync(path);
    accessSync(path, fsc.R_OK);
  } catch {
    throw new HangarError('INVALID_INPUT', `${what} file ${path} does not exist or cannot be read`);
  }
  if (!st.isFile()) throw new HangarError('INVALID_INPUT', `${what} file ${path} is not a regular file`);
  if (st.size === 0) throw new HangarError('INVALID_INPUT', `${what} file ${path} is empty`);
}

/** An ISO 9660 (or UDF) image has its volume descriptors from byte 32768 on. */
export function assertIso(path: string): void {
  assertReadableFile(path, 'ISO');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(2048 * 4);
    const n = readSync(fd, buf, 0, buf.length, 32768);
    for (let off = 0; off + 6 <= n; off += 2048) {
      const id = buf.subarray(off + 1, off + 6).toString('latin1');
      if (id === 'CD001' || id === 'BEA01' || id === 'NSR02' || id === 'NSR03') return;
    }
  } finally {
    closeSync(fd);
  }
  throw new HangarError('INVALID_INPUT', `${path} is not an ISO image (no ISO 9660 or UDF volume descriptor)`);
}

/** Removes a folder's files except `keep` (and the folders that hold them). */
function removeAllBut(dir: string, keep: Set<string>): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (keep.has(p)) continue;
    if ([...keep].some((k) => k.startsWith(`${p}/`))) removeAllBut(p, keep);
    else rmSync(p, { recursive: true, force: true });
  }
}

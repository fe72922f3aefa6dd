// VM operations of the owner: create, modify, delete, show, and the lifecycle through the supervisor.
// Rule for every change: disk files change first, the inventory commits last; a failure undoes the files.
import { randomUUID, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readSync, closeSync, renameSync, rmSync, statSync, accessSync, readFileSync, fchmodSync, fstatSync, ftruncateSync, writeSync, writeFileSync, constants as fsc } from 'node:fs';
import { dirname, join } from 'node:path';
import { HangarError, errorIssues, invalidInput, isHangarError, type ErrorCode, type ErrorIssue } from '../../src-vmm/base/errors.js';
import { FILE_MISSING, GUEST_IGNORED_POWER_BUTTON, KVM_UNAVAILABLE, LINKED_CLONES_DEPEND, NESTED_NEEDS_KVM, NETWORK_NOT_FOUND, NIC_CHANGE_NEEDS_STOP, SHARES_BLOCK_SAVE, CLIPBOARD_BLOCKS_SAVE, VIRTIOFS_UNAVAILABLE } from '../api/issueCodes.js';
import { waitForEvent, Emitter } from '../../src-vmm/base/events.js';
import { applyChange, composeConfig, getOsType, hasSecureBoot, hasTpm, isLinkUp, MAX_NICS, newVmNameProblems, nextDeviceId, randomMac, recoveryOf, sharesOf, sshForward, validateConfig, type MachineChange, type Nic, type ShareMode, type VmConfig } from '../../src-vmm/model/index.js';
import { nicPorts } from '../../src-vmm/qemu/devices.js';
import type { NetworkManager } from '../networks/networkManager.node.js';
import { buildQemuLaunch, type HostFacts } from '../../src-vmm/qemu/argv.js';
import type { HostFactsReport } from '../../src-vmm/qemu/hostFacts.js';
import { asNoSpace, assertFreeSpace, noSpaceOn, type QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { readChainNatively } from '../../src-vmm/storage/qcow2Header.node.js';
import { isActive, type VmState } from '../../src-vmm/protocol/states.js';
import type { GuestInfo, HostSpec } from '../../src-vmm/protocol/contract.js';
import { detectQemuPrivileges } from '../../src-vmm/qemu/privileges.node.js';
import { readLogTail } from '../../src-vmm/host/serialLog.node.js';
import { activityOver } from '../../src-vmm/stats/samples.js';
import { formatSize } from '../../src-vmm/storage/size.js';
import { vmPaths, type VmPaths } from '../home.js';
import { readStatusFile, type Supervisor } from '../supervisor/supervisor.node.js';
import type { TaskRunner, TaskContext } from '../tasks/taskRunner.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import type { DiskChoice, ShareRequest, VmCreateInput, VmDetails, VmModifyInput, VmSummary } from '../api/contract.js';
import { provisionVm, removeAllBut, type ProvisionDeps } from './provision.node.js';
import { snapshotItem } from '../snapshots/items.js';
import { CREATE_PATHS, configInvalid, modifyPaths } from './requestIssues.js';
import { PathGuard } from '../files/pathGuard.node.js';
import { planUserImage, type UserImagePlan } from '../files/userImages.node.js';
import { userFileMode, copyPrivate } from '../files/modes.node.js';
import { assertShareableFolder } from '../files/sharedFolders.node.js';
import { agentAbsentError, isAgentAbsent } from './agentIssues.js';
import { filterList, hasPlacement, organize, placementAfter, PLACEMENT_KEYS, type ListFilter } from '../groups/placement.js';

const SERIAL_LOG_MAX_BYTES = 2 << 20;
/** A disk a create or modify adds: a new empty one, or a user's image and how it is used. */
type DiskPlan = { kind: 'new'; sizeBytes: number } | { kind: 'image'; plan: UserImagePlan };

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
  networks: NetworkManager;
}

export class VmService {
  /** per VM: what the start-up reconciliation found wrong */
  readonly problems = new Map<string, string[]>();
  /** what each running VM's guest agent last said (from its host's events) */
  private readonly guests = new Map<string, GuestInfo>();
  /** clone relations, filled in by the owner once the clone service exists */
  relations: ((row: VmRow) => Pick<VmDetails, 'linkedTo' | 'dependents'>) | undefined;
  /** the VM's snapshot schedule, filled in by the owner once the scheduler exists */
  scheduleOf: ((vmId: string) => VmDetails['schedule']) | undefined;

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
          // the header itself where it is plain qcow2 (an owner with many VMs starts without a process per image)
          const [info] = (await readChainNatively(img.path, { topOnly: true })) ?? (await this.d.qemuImg.info(img.path));
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
    const guest = isActive(row.state) ? this.guests.get(row.id) : undefined;
    const ipAddresses = Object.values(this.d.networks.addresses(row)).flat();
    return {
      id: row.id,
      name: row.name,
      state: row.state,
      osType: row.config.osType,
      accelerator,
      ...(guest ? { guest } : {}),
      ...(ipAddresses.length ? { ipAddresses } : {}),
      group: row.group,
      tags: row.tags,
      notes: row.config.description,
    };
  }

  /** Records what a VM's guest agent said; false when nothing changed. */
  setGuest(vmId: string, info: GuestInfo | null): boolean {
    const before = this.guests.get(vmId);
    if (info === null) return this.guests.delete(vmId);
    this.guests.set(vmId, info);
    return JSON.stringify(before) !== JSON.stringify(info);
  }

  /** The guest agent of a running VM, as its host knows it now (the cache when the host does not answer). */
  private async guestOf(row: VmRow): Promise<GuestInfo> {
    const absent: GuestInfo = { agent: 'absent', hostname: null, osName: null, ipAddresses: [] };
    if (!isActive(row.state) || !this.d.supervisor.get(row.id)) return absent;
    try {
      const info = await this.d.supervisor.call(row.id, 'host.guestInfo', {}, { timeoutMs: 3_000 });
      this.guests.set(row.id, info);
      return info;
    } catch {
      return this.guests.get(row.id) ?? absent;
    }
  }

  list(filter: ListFilter = {}): VmSummary[] {
    return filterList(
      this.d.inventory.vms.list().map((r) => this.summary(r)),
      filter,
      (o) => getOsType(o)?.label ?? o,
    );
  }

  async details(row: VmRow): Promise<VmDetails> {
    const c = row.config;
    const active = isActive(row.state);
    const accel = active && row.accelerator ? { accelerator: row.accelerator, reason: this.accelFor(c).reason } : this.accelFor(c);
    const diskFacts = (disk: { id: string; path: string }) => ({
      heldBySnapshots: this.snapshotsHolding(row.id, disk.id),
      inPlace: !(this.d.inventory.images.get(disk.path)?.owned ?? false),
    });
    const disks = await Promise.all(
      c.disks.map(async (disk) => {
        try {
          // Plain qcow2 chains are read from their headers (no process; `show` and a clone's reply wait
          // on this); qemu-img reads anything else.
          const chain = (await readChainNatively(disk.path)) ?? (await this.d.qemuImg.info(disk.path, { backingChain: true }));
          return {
            id: disk.id,
            bus: disk.bus,
            path: disk.path,
            format: chain[0]?.format ?? disk.format,
            virtualSizeBytes: chain[0]?.virtualSizeBytes ?? 0,
            actualSizeBytes: chain[0]?.actualSizeBytes,
            chain: chain.map((i) => i.path),
            ...diskFacts(disk),
          };
        } catch {
          return { id: disk.id, bus: disk.bus, path: disk.path, format: disk.format, virtualSizeBytes: 0, chain: [disk.path], ...diskFacts(disk) };
        }
      }),
    );
    const status = this.d.supervisor.get(row.id)?.status;
    const os = getOsType(c.osType);
    const addresses = this.d.networks.addresses(row);
    return {
      id: row.id,
      name: row.name,
      state: row.state,
      ...(row.stateReason ? { stateReason: row.stateReason } : {}),
      osType: c.osType,
      osLabel: os?.label ?? c.osType,
      description: c.description,
      group: row.group,
      tags: row.tags,
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
      nics: c.nics.map((n) => {
        const network = n.network === undefined ? undefined : this.d.inventory.networks.get(n.network);
        return {
          id: n.id,
          model: n.model,
          mac: n.mac,
          network: n.network === undefined ? null : (network?.name ?? `(deleted network ${n.network})`),
          networkId: n.network ?? null,
          linkUp: isLinkUp(n),
          forwards: n.forwards,
          ipAddresses: addresses[n.id] ?? [],
        };
      }),
      boot: {
        order: c.boot.order,
        ...(c.boot.kernel ? { kernel: c.boot.kernel } : {}),
        ...(c.boot.initrd ? { initrd: c.boot.initrd } : {}),
        ...(c.boot.append !== undefined ? { append: c.boot.append } : {}),
      },
      display: { vga: c.display.vga, vnc: c.display.vnc, clipboard: c.display.clipboard === true },
      serial: c.serial.enabled,
      tpm: hasTpm(c),
      secureBoot: hasSecureBoot(c),
      shares: sharesOf(c).map((x) => ({ tag: x.tag, hostPath: x.hostPath, readOnly: x.readOnly, mode: x.mode })),
      guest: await this.guestOf(row),
      folder: vmPaths(this.d.home, row.id).dir,
      createdAt: row.createdAt,
      snapshots: this.d.inventory.snapshots.listForVm(row.id).map((s) => snapshotItem(s)),
      currentSnapshotId: this.d.inventory.snapshots.current(row.id)?.id ?? null,
      ...(this.problems.get(row.id)?.length ? { problems: this.problems.get(row.id) } : {}),
      usb: c.usb?.devices ?? [],
      ...(this.relations ? this.relations(row) : {}),
      ...(this.scheduleOf ? { schedule: this.scheduleOf(row.id) } : {}),
      cloudInit: c.cloudInit ? { user: c.cloudInit.user, hostname: c.cloudInit.hostname, sshPort: sshForward(c.nics)?.hostPort ?? null, identityFile: c.cloudInit.identityFile } : null,
      baseImage: this.baseImageOf(row.id),
      install: c.install ? { osName: c.install.osName, media: c.install.media } : null,
    };
  }

  /** The library image a VM's disks are based on (through any chain), or null. */
  baseImageOf(vmId: string): { id: string; name: string } | null {
    for (const img of this.d.inventory.images.listForVm(vmId)) {
      const seen = new Set<string>();
      for (let p = img.backingPath; p && !seen.has(p); ) {
        seen.add(p);
        const base = this.d.inventory.images.get(p);
        if (!base) break;
        if (base.role === 'library') {
          const lib = this.d.inventory.library.findByPath(base.path);
          return lib ? { id: lib.id, name: lib.name } : null;
        }
        p = base.backingPath;
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- create

  /** A VM with an ISO of the image library in its drive (the library's file, which the path checks would refuse). */
  createWithLibraryIso(input: VmCreateInput, iso: string, opts: { signal: AbortSignal; onProgress: (f: number, m?: string) => void }): Promise<VmRow> {
    const { image: _image, cloudInit: _cloudInit, unattended: _unattended, ...rest } = input;
    return this.create({ ...rest, iso }, opts, { libraryIso: iso });
  }

  async create(input: VmCreateInput, opts: { signal: AbortSignal; onProgress: (f: number, m?: string) => void }, o: { libraryIso?: string } = {}): Promise<VmRow> {
    const id = randomUUID();
    const paths = vmPaths(this.d.home, id);
    const nics = this.cardsFor(input.nics ?? [{}]);
    const compose = (disk: { path: string; format: 'qcow2' | 'raw' } | null) =>
      composeConfig({
        id,
        name: input.name,
        ...(input.osType !== undefined ? { osType: input.osType } : {}),
        ...this.commonChoices(input),
        disks: disk ? [{ path: disk.path, format: disk.format }] : [],
        opticals: input.iso ? [{ path: input.iso }] : [],
        nics,
        boot: input.boot ?? {},
      });
    // Everything that needs no file is checked before anything is written.
    const planned = compose(input.disk ? { path: join(paths.disks, 'disk0.qcow2'), format: 'qcow2' } : null);
    if (!planned.ok) throw configInvalid(planned.issues, CREATE_PATHS);
    assertNewName(input.name);
    this.assertNameFree(input.name);
    if (input.iso && input.iso !== o.libraryIso) this.assertUsableFile(input.iso, 'ISO', assertIso, 'iso');
    if (input.boot?.kernel) this.assertUsableFile(input.boot.kernel, 'kernel', (p) => assertReadableFile(p, 'kernel'), 'boot.kernel');
    if (input.boot?.initrd) this.assertUsableFile(input.boot.initrd, 'initrd', (p) => assertReadableFile(p, 'initrd'), 'boot.initrd');
    this.checkShares(input.shares ?? [], 'shares');
    const uefi = planned.value.firmware.type === 'uefi';
    this.assertHostCanRun(planned.value);

    // Space runs out on the VMs folder: the new VM's own folder goes with a failure. Checked before the
    // task starts, so a full disk refuses the VM before anything (not even the task) is written.
    const vmsDir = join(this.d.home, 'VMs');
    const ovmfVars = uefi ? this.ovmfVarsFor(hasSecureBoot(planned.value)) ?? undefined : undefined;
    const diskPlan = input.disk ? await this.planDisk(input.disk) : undefined;
    assertFreeSpace(vmsDir, (diskPlan ? await this.diskRoom(diskPlan) : 0) + (ovmfVars && existsSync(ovmfVars) ? statSync(ovmfVars).size : 0));
    return noSpaceOn(vmsDir, {}, () =>
      this.d.tasks.run('vm.create', { id, name: input.name }, { signal: opts.signal, onProgress: opts.onProgress }, (task) =>
        provisionVm(this.provisionDeps(), {
          id,
          name: input.name,
          fill: async () => {
            const disk = diskPlan ? await this.prepareDisk(diskPlan, join(paths.disks, 'disk0.qcow2'), task, vmsDir) : null;
            const composed = compose(disk);
            if (!composed.ok) throw configInvalid(composed.issues, CREATE_PATHS);
            task.phase('registering');
            return { config: composed.value, images: disk ? [{ path: disk.path, format: disk.format, virtualSize: disk.virtualSize, backingPath: null, owned: disk.owned, role: 'disk' }] : [] };
          },
        }).catch((e: unknown) => {
          throw asNoSpace(e, vmsDir);
        }),
      ),
    );
  }

  /**
   * The network cards a new VM's request asks for, as every way of creating a VM makes them: each
   * card's network resolved by name or id, its MAC new or checked against the other VMs', the
   * networks' rules for cards applied. Throws the problems found, all at once.
   */
  cardsFor(requested: NonNullable<VmCreateInput['nics']>) {
    const macs = this.usedMacs();
    const cardProblems: ErrorIssue[] = [];
    const nics = requested.map((n, i) => {
      const network = n.network === undefined ? undefined : this.networkId(n.network, `nics[${i}].network`, cardProblems);
      if (n.mac !== undefined && macs.has(n.mac)) cardProblems.push({ path: `nics[${i}].mac`, message: `MAC address ${n.mac} is used by another VM` });
      const mac = n.mac ?? this.newMac(macs);
      macs.add(mac);
      return { ...(n.model ? { model: n.model } : {}), forwards: n.forwards ?? [], mac, ...(network ? { network } : {}), ...(n.linkUp === false ? { linkUp: false } : {}) };
    });
    cardProblems.push(...this.d.networks.cardIssues(nics));
    if (cardProblems.length) throw invalidInput(cardProblems);
    return nics;
  }

  /**
   * What a new VM's request says besides its media, cards and boot: description, system, firmware,
   * Secure Boot, TPM, clipboard, nested virtualization, recovery and shares. Every way of creating a
   * VM (from media, a cloud image, an unattended installation) composes these the same way (each checks
   * the shares once with checkShares).
   */
  commonChoices(input: VmCreateInput) {
    return {
      ...(input.description !== undefined ? { description: input.description } : {}),
      system: input.system ?? {},
      ...(input.firmware?.type ? { firmware: input.firmware.type } : {}),
      ...(input.firmware?.secureBoot !== undefined ? { secureBoot: input.firmware.secureBoot } : {}),
      ...(input.tpm !== undefined ? { tpm: input.tpm } : {}),
      ...(input.display?.clipboard !== undefined ? { display: { clipboard: input.display.clipboard } } : {}),
      ...(input.features?.nested !== undefined ? { nested: input.features.nested } : {}),
      ...(input.recovery ? { recovery: input.recovery } : {}),
      ...(input.shares?.length ? { shares: input.shares, shareMode: this.defaultShareMode() } : {}),
    };
  }

  private defaultShareMode(): ShareMode {
    return this.d.host().virtiofsd?.binary ? 'virtiofs' : '9p';
  }

  /** Shares a request adds: each folder can be shared, and virtio-fs is asked for only where it runs. `field`: 'shares' or 'addShares'. */
  checkShares(shares: readonly ShareRequest[], field: string): void {
    const virtiofsd = this.d.host().virtiofsd;
    shares.forEach((share, i) => {
      assertShareableFolder(share.hostPath, { home: this.d.home, readOnly: share.readOnly ?? false, field: `${field}[${i}].hostPath` });
      if (share.mode === 'virtiofs' && !virtiofsd?.binary) {
        const reason = virtiofsd && virtiofsd.binary === null ? virtiofsd.reason : 'virtiofsd was not found';
        const tag = share.tag ?? share.hostPath;
        throw invalidInput([{ path: `${field}[${i}].mode`, message: `virtio-fs cannot run on this host (${reason}); 9p can`, code: VIRTIOFS_UNAVAILABLE, data: { tag, reason } }]);
      }
    });
  }

  /** What provisioning a new VM needs of this owner. */
  provisionDeps(): ProvisionDeps {
    return { home: this.d.home, inventory: this.d.inventory, ovmfVars: (secureBoot) => this.ovmfVarsFor(secureBoot) };
  }

  /** The variable-store template a UEFI VM starts from: with Microsoft's keys enrolled for Secure Boot. */
  ovmfVarsFor(secureBoot: boolean): string | null {
    return secureBoot ? (this.d.host().ovmfSecureBoot?.vars ?? null) : (this.d.host().ovmf?.vars ?? null);
  }

  /** What a config needs of this host that it lacks: UEFI firmware, the Secure Boot firmware, swtpm. */
  private assertHostCanRun(c: VmConfig): void {
    const h = this.d.host();
    if (c.firmware.type === 'uefi' && !h.ovmf) throw new HangarError('UNSUPPORTED', 'UEFI firmware (OVMF) is not installed: install the ovmf package');
    if (hasSecureBoot(c) && !h.ovmfSecureBoot) throw new HangarError('UNSUPPORTED', "Secure Boot needs OVMF's Secure Boot firmware and its Microsoft-enrolled variables (OVMF_CODE_4M.ms.fd, OVMF_VARS_4M.ms.fd), which are not installed: install the ovmf package");
    if (hasTpm(c) && !h.swtpm?.binary) throw new HangarError('UNSUPPORTED', `the TPM needs swtpm, which is not installed: install the swtpm package`);
  }

  /** A fresh UEFI variable store for the VM: Microsoft-enrolled for Secure Boot, blank otherwise. */
  private createNvram(paths: VmPaths, secureBoot: boolean): void {
    const vars = this.ovmfVarsFor(secureBoot);
    if (!vars) throw new HangarError('UNSUPPORTED', secureBoot ? "Secure Boot's firmware (OVMF_VARS_4M.ms.fd) is not installed: install the ovmf package" : 'UEFI firmware (OVMF) is not installed: install the ovmf package');
    copyPrivate(vars, paths.nvram);
  }

  /**
   * What a disk choice will do, checked before anything is written: a new empty disk, or a user's
   * image (see planUserImage: used in place, converted, or flattened with the files it names).
   */
  private async planDisk(choice: DiskChoice, field = 'disk'): Promise<DiskPlan> {
    if ('sizeBytes' in choice) return { kind: 'new', sizeBytes: choice.sizeBytes };
    const plan = await planUserImage(choice.image, { flatten: choice.flatten ?? false, field: `${field}.image` }, { qemuImg: this.d.qemuImg, guard: this.guard });
    return { kind: 'image', plan };
  }

  /** Bytes a disk plan writes into the VM's folder: an empty qcow2's tables, a copy's qcow2, nothing for an image used in place. */
  private async diskRoom(plan: DiskPlan): Promise<number> {
    if (plan.kind === 'new') return this.d.qemuImg.measure({ sizeBytes: plan.sizeBytes });
    if (plan.plan.mode === 'in-place') return 0;
    // measure reads the whole chain, as the copy will.
    return this.d.qemuImg.measure({ src: plan.plan.image.path, srcFormat: plan.plan.image.format });
  }

  /** Carries out a disk plan: a new empty qcow2, a user's image in place, or a new qcow2 copied from it. */
  private async prepareDisk(
    disk: DiskPlan,
    newPath: string,
    task: TaskContext,
    /** the folder a lack of space is reported on (one that outlives a failure) */
    roomDir = dirname(newPath),
  ): Promise<{ path: string; format: 'qcow2' | 'raw'; virtualSize: number; owned: boolean }> {
    if (disk.kind === 'new') {
      task.phase('creating the disk');
      const neededBytes = await this.diskRoom(disk);
      assertFreeSpace(roomDir, neededBytes);
      await this.d.qemuImg.create(newPath, { sizeBytes: disk.sizeBytes, format: 'qcow2' }).catch((e: unknown) => {
        throw asNoSpace(e, roomDir, { neededBytes });
      });
      return { path: newPath, format: 'qcow2', virtualSize: disk.sizeBytes, owned: true };
    }
    const { plan } = disk;
    const { image } = plan;
    if (plan.mode === 'in-place') return { path: image.path, format: image.format as 'qcow2' | 'raw', virtualSize: image.virtualSizeBytes, owned: false };
    task.phase(plan.mode === 'flatten' ? `copying ${image.path}${plan.readsFrom.length ? ` with the ${plan.readsFrom.length} file(s) it reads` : ''} into one qcow2` : `converting the ${image.format} image to qcow2`);
    const neededBytes = await this.diskRoom(disk);
    assertFreeSpace(roomDir, neededBytes);
    await this.d.qemuImg
      .convert(image.path, newPath, {
        srcFormat: image.format,
        dstFormat: 'qcow2',
        sparse: true,
        signal: task.signal,
        onProgress: (f) => task.progress(f, `${plan.mode === 'flatten' ? 'copying' : 'converting'} ${image.path}`),
      })
      .catch((e: unknown) => {
        throw asNoSpace(e, roomDir, { neededBytes });
      });
    return { path: newPath, format: 'qcow2', virtualSize: image.virtualSizeBytes, owned: true };
  }

  /** A file the VM is to read: a user's own (not another VM's), and of the right kind; problems are issues at `field`. */
  private assertUsableFile(path: string, what: string, check: (path: string) => void, field: string): void {
    try {
      check(path);
      this.guard.assertUsable(path, what);
    } catch (e) {
      if (e instanceof HangarError && e.code === 'INVALID_INPUT' && errorIssues(e).length === 0) throw invalidInput([{ path: field, message: e.message }]);
      throw e;
    }
  }

  /** ALREADY_EXISTS (at 'name') when another VM has the name. */
  assertNameFree(name: string, exceptId?: string): void {
    const other = this.d.inventory.vms.findByName(name);
    if (other && other.id !== exceptId) {
      const message = `a VM named '${other.name}' already exists`;
      throw new HangarError('ALREADY_EXISTS', message, { details: { issues: [{ path: 'name', message }] } });
    }
  }

  /** A network named in a request, as its id; a problem at `path` when there is none of that name or id. */
  private networkId(ref: string, path: string, problems: ErrorIssue[]): string | undefined {
    const n = this.d.inventory.networks.findByRef(ref);
    if (!n) problems.push({ path, message: `no network named or with id '${ref}'`, code: NETWORK_NOT_FOUND, data: { network: ref } });
    return n?.id;
  }

  /** Every MAC address the inventory's VMs use. */
  usedMacs(): Set<string> {
    const macs = new Set<string>();
    for (const r of this.d.inventory.vms.list()) for (const n of r.config.nics) macs.add(n.mac);
    return macs;
  }

  /** A new locally administered MAC that is not in `used` (which then holds it). */
  newMac(used: Set<string>): string {
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
    // What may change while the VM runs or keeps a saved state: its name, description, crash policy, group and tags.
    const live = new Set(['ref', 'name', 'description', 'recovery', ...PLACEMENT_KEYS]);
    const placement = hasPlacement(input) ? placementAfter(row, input) : undefined;
    // Only its group or tags: no task (they are the list's, not the machine's), so also while it is busy.
    if (placement && Object.entries(input).every(([k, v]) => v === undefined || k === 'ref' || (PLACEMENT_KEYS as readonly string[]).includes(k))) {
      return organize(this.d.inventory, [row.id], input)[0]!;
    }
    const hardware = Object.entries(input).filter(([k, v]) => v !== undefined && !live.has(k)).map(([k]) => k);
    // Network cards may also change while it runs: plugged in and out, cables, port forwards.
    const cardsLive = isActive(row.state) && hardware.length > 0 && hardware.every((k) => k === 'nics');
    if (hardware.length && (isActive(row.state) || row.state === 'saved') && !cardsLive) {
      throw new HangarError(
        'STATE_CONFLICT',
        row.state === 'saved'
          ? `VM '${row.name}' has a saved state: start it and shut it down before changing its hardware`
          : `VM '${row.name}' is ${row.state}: stop it before changing its hardware`,
      );
    }
    if (input.features?.nested) {
      const accelAfter = input.system?.accel ?? c.system.accel;
      if (accelAfter === 'auto' && this.d.host().accelerator !== 'kvm') {
        throw invalidInput([{ path: 'features.nested', message: `nested virtualization needs KVM, which this host does not offer (${this.d.host().accelReason})`, code: NESTED_NEEDS_KVM }]);
      }
    }
    if (input.name !== undefined) assertNewName(input.name);
    if (input.iso) this.assertUsableFile(input.iso, 'ISO', assertIso, 'iso');
    if (input.boot?.kernel) this.assertUsableFile(input.boot.kernel, 'kernel', (p) => assertReadableFile(p, 'kernel'), 'boot.kernel');
    if (input.boot?.initrd) this.assertUsableFile(input.boot.initrd, 'initrd', (p) => assertReadableFile(p, 'initrd'), 'boot.initrd');
    if (input.name !== undefined) this.assertNameFree(input.name, row.id);
    this.checkShares(input.addShares ?? [], 'addShares');
    const macs = this.usedMacs();
    const othersMacs = new Set([...macs].filter((m) => !c.nics.some((n) => n.mac === m)));
    const cardProblems: ErrorIssue[] = [];
    const nics = input.nics?.map((n, i) => {
      const before = n.id ? c.nics.find((x) => x.id === n.id) : undefined;
      if (n.id && !before) throw invalidInput([{ path: `nics[${i}].id`, message: `VM '${row.name}' has no network card '${n.id}'` }]);
      if (n.mac !== undefined && othersMacs.has(n.mac)) cardProblems.push({ path: `nics[${i}].mac`, message: `MAC address ${n.mac} is used by another VM` });
      const network = n.network === undefined ? undefined : n.network === null ? null : (this.networkId(n.network, `nics[${i}].network`, cardProblems) ?? null);
      const { network: _ref, ...rest } = n;
      return { ...rest, mac: n.mac ?? before?.mac ?? this.newMac(macs), ...(network !== undefined ? { network } : {}) };
    });
    if (cardProblems.length) throw invalidInput(cardProblems);
    const change = (addDisk: { path: string; format: 'qcow2' | 'raw' } | null): MachineChange => ({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.osType !== undefined ? { osType: input.osType } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.system ? { system: input.system } : {}),
      ...(input.firmware?.type ? { firmware: input.firmware.type } : {}),
      ...(input.firmware?.secureBoot !== undefined ? { secureBoot: input.firmware.secureBoot } : {}),
      ...(input.tpm !== undefined ? { tpm: input.tpm } : {}),
      ...(input.display?.clipboard !== undefined ? { clipboard: input.display.clipboard } : {}),
      ...(input.features?.nested !== undefined ? { nested: input.features.nested } : {}),
      ...(input.recovery ? { recovery: input.recovery } : {}),
      ...(input.iso !== undefined ? { iso: input.iso } : {}),
      ...(nics ? { nics } : {}),
      ...(addDisk ? { addDisks: [addDisk] } : {}),
      ...(input.boot ? { boot: input.boot } : {}),
      ...(input.addShares?.length ? { addShares: input.addShares, shareMode: this.defaultShareMode() } : {}),
      ...(input.removeShares?.length ? { removeShares: input.removeShares } : {}),
    });
    const paths = vmPaths(this.d.home, row.id);
    const newDiskPath = join(paths.disks, `${nextDeviceId('disk', c.disks.map((d) => d.id))}.qcow2`);
    const keptShares = sharesOf(c).filter((x) => !(input.removeShares ?? []).includes(x.tag)).length;
    const issuesAt = modifyPaths(input.addDisk ? c.disks.length : null, input.addShares?.length ? keptShares : null);
    const preview = applyChange(c, change(input.addDisk ? { path: newDiskPath, format: 'qcow2' } : null));
    if (!preview.ok) throw configInvalid(preview.issues, issuesAt);
    this.assertHostCanRun(preview.value);
    if (nics) {
      const problems = this.d.networks.cardIssues(preview.value.nics);
      if (problems.length) throw invalidInput(problems);
    }
    if (cardsLive) return this.modifyCardsLive(row, preview.value, opts);
    const diskPlan = input.addDisk ? await this.planDisk(input.addDisk, 'addDisk') : undefined;

    return this.d.tasks.run('vm.modify', { id: row.id, name: row.name }, { signal: opts.signal, onProgress: opts.onProgress }, async (task) => {
      const created: string[] = [];
      try {
        let next = preview.value;
        let image: { path: string; format: 'qcow2' | 'raw'; virtualSize: number; owned: boolean } | undefined;
        if (diskPlan) {
          image = await this.prepareDisk(diskPlan, newDiskPath, task);
          if (image.owned) created.push(image.path);
          const r = applyChange(c, change(image));
          if (!r.ok) throw configInvalid(r.issues, issuesAt);
          next = r.value;
        }
        // Secure Boot switched (on a UEFI VM): the variable store starts again from the matching
        // template (its boot entries go; OVMF finds the disk's boot loader by itself). The old one is kept
        // aside until the change is recorded.
        const keptNvram = `${paths.nvram}.before-change`;
        const sbChanged = next.firmware.type === 'uefi' && existsSync(paths.nvram) && hasSecureBoot(next) !== hasSecureBoot(c);
        if (sbChanged) renameSync(paths.nvram, keptNvram);
        if (next.firmware.type === 'uefi' && !existsSync(paths.nvram)) {
          this.createNvram(paths, hasSecureBoot(next));
          created.push(paths.nvram);
        }
        let updated;
        try {
          updated = this.d.inventory.transaction(() => {
            if (input.name !== undefined) this.assertNameFree(input.name, row.id);
            let u = this.d.inventory.vms.updateConfig(row.id, next);
            if (placement) {
              this.d.inventory.vms.setPlacement(row.id, placement);
              u = { ...u, ...placement };
            }
            if (image) this.d.inventory.images.add({ path: image.path, vmId: row.id, format: image.format, virtualSize: image.virtualSize, backingPath: null, owned: image.owned, role: 'disk' });
            return u;
          });
        } catch (e) {
          if (sbChanged) {
            rmSync(paths.nvram, { force: true });
            renameSync(keptNvram, paths.nvram);
            created.splice(created.indexOf(paths.nvram), 1);
          }
          throw e;
        }
        if (sbChanged) rmSync(keptNvram, { force: true });
        return updated;
      } catch (e) {
        for (const f of created) rmSync(f, { force: true });
        throw e;
      }
    });
  }

  // ---------------------------------------------------------------- remove a disk

  /**
   * Takes a disk out of a stopped VM. Refused while a snapshot holds the disk (restoring it needs
   * the disk: the refusal names the snapshots) or another image is based on it. An image Hangar
   * created is deleted with `deleteImage`, else kept where it is (reported in `keptFiles`); an image
   * used in place is the user's and is never deleted.
   */
  removeDisk(ref: string, diskId: string, deleteImage: boolean): { id: string; diskId: string; deletedFiles: string[]; keptFiles: string[] } {
    const row = this.find(ref);
    this.d.tasks.assertFree(row);
    if (row.state === 'saved') throw new HangarError('STATE_CONFLICT', `VM '${row.name}' has a saved state: start it and shut it down before removing a disk`);
    if (isActive(row.state)) throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is ${row.state}: stop it before removing a disk`);
    const disk = row.config.disks.find((d) => d.id === diskId);
    if (!disk) throw new HangarError('NOT_FOUND', `VM '${row.name}' has no disk '${diskId}'`);
    const holders = this.snapshotsHolding(row.id, diskId);
    if (holders.length) {
      const one = holders.length === 1;
      throw new HangarError(
        'STATE_CONFLICT',
        `disk '${diskId}' of VM '${row.name}' is part of ${one ? 'snapshot' : 'snapshots'} ${holders.map((n) => `'${n}'`).join(', ')}: restoring ${one ? 'it' : 'them'} needs the disk, so it stays while ${one ? 'that snapshot exists' : 'they exist'} (delete ${one ? 'the snapshot' : 'them'} first to remove it)`,
        { details: { vm: row.name, diskId, snapshots: holders } },
      );
    }
    const image = this.d.inventory.images.get(disk.path);
    const inPlace = !image || !image.owned;
    if (deleteImage && inPlace) {
      throw new HangarError('INVALID_INPUT', `${disk.path} is used in place (it is not Hangar's, so Hangar never deletes it): remove the disk without deleting its image`, {
        details: { vm: row.name, diskId, path: disk.path },
      });
    }
    if (image && this.d.inventory.images.dependents(image.path).length) {
      throw new HangarError('STATE_CONFLICT', `disk '${diskId}' of VM '${row.name}' is the base of other images (linked clones): it cannot be removed`, { details: { vm: row.name, diskId } });
    }
    const checked = validateConfig({ ...row.config, disks: row.config.disks.filter((d) => d.id !== diskId) });
    if (!checked.ok) throw configInvalid(checked.issues);
    this.d.inventory.transaction(() => {
      this.d.inventory.vms.updateConfig(row.id, checked.value);
      if (image) this.d.inventory.images.delete(image.path);
    });
    // The inventory has let go; now the file, when it is Hangar's and the caller asked.
    if (deleteImage) {
      rmSync(disk.path, { force: true });
      return { id: row.id, diskId, deletedFiles: [disk.path], keptFiles: [] };
    }
    return { id: row.id, diskId, deletedFiles: [], keptFiles: [disk.path] };
  }

  /** The names of the VM's snapshots that hold a disk (oldest first). */
  private snapshotsHolding(vmId: string, diskId: string): string[] {
    return this.d.inventory.snapshots
      .listForVm(vmId)
      .filter((s) => s.disks.some((d) => d.diskId === diskId))
      .map((s) => s.name);
  }

  /**
   * Card changes while the VM runs, each through the VMM host: cards plugged in (their tap or group
   * first), cables, the forwards of user-mode cards; cards unplugged last. A card's model, MAC or network
   * cannot change while it runs. A failure undoes what was done before it; the config is saved last.
   */
  private async modifyCardsLive(row: VmRow, next: VmConfig, opts: { signal: AbortSignal; onProgress: (f: number, m?: string) => void }): Promise<VmRow> {
    const before = new Map(row.config.nics.map((n) => [n.id, n]));
    const afterIds = new Set(next.nics.map((n) => n.id));
    const removed = row.config.nics.filter((n) => !afterIds.has(n.id));
    const added = next.nics.filter((n) => !before.has(n.id));
    const kept = next.nics.filter((n) => before.has(n.id));
    next.nics.forEach((n, i) => {
      const b = before.get(n.id);
      if (b && (b.model !== n.model || b.mac !== n.mac || b.network !== n.network)) {
        const what = b.model !== n.model ? 'model' : b.mac !== n.mac ? 'MAC address' : 'network';
        const message = `the ${what} of network card ${n.id} cannot change while VM '${row.name}' runs: stop it, or remove the card and add another`;
        throw new HangarError('STATE_CONFLICT', message, { details: { issues: [{ path: `nics[${i}]`, message, code: NIC_CHANGE_NEEDS_STOP, data: { vm: row.name, nic: n.id } }] } });
      }
    });
    if (!this.d.supervisor.get(row.id)) throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is ${row.state}, but its VMM host does not answer`);
    this.d.networks.assertForwardsFree(row, next.nics);
    const same = (a: Nic['forwards'], b: Nic['forwards']) => JSON.stringify(a) === JSON.stringify(b);
    const key = (f: Nic['forwards'][number]) => `${f.protocol}:${f.hostAddress}:${f.hostPort}:${f.guestPort}`;
    return this.d.tasks.run('vm.modify', { id: row.id, name: row.name }, { signal: opts.signal, onProgress: opts.onProgress }, async (task) => {
      const undo: (() => Promise<unknown>)[] = [];
      const call = this.d.supervisor.call.bind(this.d.supervisor, row.id);
      const natChanged = new Set<string>();
      try {
        for (const n of added) {
          task.phase(`plugging in network card ${n.id}`);
          const attachment = await this.d.networks.attachCard(row, n);
          undo.push(() => this.d.networks.detachCard(row, n.id));
          await call('host.nicAdd', { nic: n, ...(attachment ? { attachment } : {}) }, { timeoutMs: 60_000 });
          undo.push(() => call('host.nicRemove', { nicId: n.id }, { timeoutMs: 60_000 }));
          if (n.network !== undefined && n.forwards.length) natChanged.add(n.network);
        }
        for (const n of kept) {
          const b = before.get(n.id)!;
          if (isLinkUp(n) !== isLinkUp(b)) {
            task.phase(`${isLinkUp(n) ? 'connecting' : 'disconnecting'} the cable of ${n.id}`);
            await call('host.nicLink', { nicId: n.id, up: isLinkUp(n) });
            undo.push(() => call('host.nicLink', { nicId: n.id, up: isLinkUp(b) }));
          }
          if (!same(n.forwards, b.forwards)) {
            if (n.network !== undefined) {
              natChanged.add(n.network);
              continue;
            }
            const add = n.forwards.filter((f) => !b.forwards.some((g) => key(g) === key(f)));
            const remove = b.forwards.filter((f) => !n.forwards.some((g) => key(g) === key(f)));
            task.phase(`changing the port forwards of ${n.id}`);
            await call('host.nicForwards', { nicId: n.id, add, remove });
            undo.push(() => call('host.nicForwards', { nicId: n.id, add: remove, remove: add }));
          }
        }
        for (const n of removed) {
          task.phase(`unplugging network card ${n.id}`);
          await call('host.nicRemove', { nicId: n.id }, { timeoutMs: 60_000 });
          await this.d.networks.detachCard(row, n.id);
          if (n.network !== undefined && n.forwards.length) natChanged.add(n.network);
        }
      } catch (e) {
        for (const step of undo.reverse()) await step().catch((u: unknown) => this.d.log(`vm=${row.id} undoing a card change failed: ${(u as Error).message}`));
        throw e;
      }
      const updated = this.d.inventory.vms.updateConfig(row.id, next);
      if (natChanged.size) await this.d.networks.refreshForwards(updated, natChanged);
      return updated;
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
        `VM '${row.name}' cannot be deleted: the linked clone(s) ${[...clones].map((n) => `'${n}'`).join(', ')} depend on its disks`,
        { details: { issues: [{ path: '', message: 'linked clones depend on its disks', code: LINKED_CLONES_DEPEND, data: { vm: row.name, clones: [...clones] } }] } },
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
        if (img.vmId !== null || img.role === 'library' || this.d.inventory.images.dependents(img.path).length > 0) continue;
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

  /**
   * What a launch of the VM is: QEMU's argument array and the host's spec, after the checks that it can
   * run here (accelerator, firmware, helpers, every file it opens). A start uses it, with a saved state
   * to restore (`state`) or not; the target of a live migration uses it to wait for the stream (`migration`).
   */
  planLaunch(row: VmRow, from: 'none' | 'state' | 'migration') {
    const c = row.config;
    const { accelerator } = this.accelFor(c);
    const hostReport = this.d.host();
    const vm = row.name;
    if (accelerator === 'kvm' && hostReport.kvm.device !== 'present') {
      throw withIssue('UNSUPPORTED', `VM '${vm}' is set to KVM, but this host has no usable /dev/kvm`, { code: KVM_UNAVAILABLE, data: { vm } });
    }
    if (c.features.nested && accelerator !== 'kvm') {
      throw withIssue('UNSUPPORTED', `VM '${vm}' has nested virtualization on, which needs KVM, and this host does not offer it (${hostReport.accelReason})`, { code: NESTED_NEEDS_KVM, data: { vm } });
    }
    this.assertHostCanRun(c);
    const paths = vmPaths(this.d.home, row.id);
    const incoming = from === 'state';
    // How each card reaches its network: checked now (privileges, networks that exist), made in the task.
    const attachments = this.d.networks.planAttachments(row);
    const virtiofsd = hostReport.virtiofsd ?? { binary: null, reason: 'virtiofsd was not looked for' };
    for (const share of sharesOf(c)) {
      if (share.mode === 'virtiofs' && virtiofsd.binary === null) {
        throw withIssue('UNSUPPORTED', `VM '${vm}' shares '${share.tag}' with virtio-fs, which cannot run on this host: ${virtiofsd.reason}`, { code: VIRTIOFS_UNAVAILABLE, data: { vm, tag: share.tag, reason: virtiofsd.reason } });
      }
    }
    const facts: HostFacts = {
      qemuBinary: hostReport.qemuBinary,
      qemuVersion: hostReport.qemuVersion,
      accel: accelerator,
      ovmf: hostReport.ovmf,
      virtiofsd,
      ovmfSecureBoot: hostReport.ovmfSecureBoot ?? null,
      swtpm: hostReport.swtpm ?? { binary: null, reason: 'swtpm was not looked for' },
      ...(Object.keys(attachments).length ? { nics: attachments } : {}),
    };
    const launch = buildQemuLaunch(c, facts, {
      runDir: paths.run,
      qmpSocket: paths.qmpSocket,
      serialSocket: paths.serialSocket,
      vncSocket: paths.vncSocket,
      agentSocket: paths.agentSocket,
      pidFile: paths.pidFile,
      nvramFile: paths.nvram,
      tpmStateDir: paths.tpmState,
      tpmLog: paths.tpmLog,
      incoming: from !== 'none',
    });
    // Every file QEMU opens that Hangar does not make at start must be there: the launch lists them.
    for (const f of launch.files) {
      const role = missingRole(f.role);
      if (role && !existsSync(f.path)) {
        const what = role === 'iso' ? 'ISO' : role === 'disk' ? 'disk image' : role === 'share' ? `shared folder '${f.role.slice('share:'.length)}'` : role;
        const tag = role === 'share' ? { tag: f.role.slice('share:'.length) } : {};
        throw withIssue('NOT_FOUND', `${what} ${f.path} of VM '${vm}' is missing`, { code: FILE_MISSING, data: { vm, role, path: f.path, ...tag } });
      }
    }
    for (const dir of [paths.run, paths.logs, paths.state]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (c.firmware.type === 'uefi' && !existsSync(paths.nvram)) this.createNvram(paths, hasSecureBoot(c));
    if (hasTpm(c)) mkdirSync(paths.tpmState, { recursive: true, mode: 0o700 });
    const spec: HostSpec = {
      vmId: row.id,
      vmName: row.name,
      accelerator,
      qemu: { binary: launch.binary, argv: launch.argv, env: launch.env },
      runDir: paths.run,
      hostSocket: paths.hostSocket,
      qmpSocket: paths.qmpSocket,
      ...(c.serial.enabled ? { serialSocket: paths.serialSocket } : {}),
      agentSocket: paths.agentSocket,
      pidFile: paths.pidFile,
      statusFile: paths.statusFile,
      qemuLog: paths.qemuLog,
      serialLog: paths.serialLog,
      serialLogMaxBytes: SERIAL_LOG_MAX_BYTES,
      ...(incoming ? { incomingStateFile: paths.savedState } : {}),
      ...(from === 'migration' ? { incomingMigration: { socket: join(paths.run, 'migrate-in.sock') } } : {}),
      saveStateFile: paths.savedState,
      waitForBoot: true,
      ...(launch.helpers.length ? { helpers: launch.helpers, helpersLog: paths.helpersLog } : {}),
      ...(c.nics.some((n) => !isLinkUp(n)) ? { linkDown: c.nics.filter((n) => !isLinkUp(n)).map((n) => n.id) } : {}),
      ...(c.system.chipset === 'q35' ? { nicPorts: { used: nicPorts(c), count: MAX_NICS } } : {}),
      qemuPrivileges: detectQemuPrivileges(launch.binary),
    };
    return { spec, paths, accelerator, attachments, incoming };
  }

  async start(ref: string, opts: { waitSerial?: string; timeoutS: number; signal: AbortSignal; onProgress: (f: number, m?: string) => void }) {
    // A bridged network whose host bridge is gone refuses the start before it begins (the VM stays as it was).
    await this.d.networks.assertHostBridges(this.find(ref));
    const row = this.find(ref);
    if (isActive(row.state)) throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is already ${row.state}`);
    this.d.tasks.assertFree(row);
    const c = row.config;
    const { spec, paths, accelerator, attachments, incoming } = this.planLaunch(row, row.state === 'saved' && existsSync(vmPaths(this.d.home, row.id).savedState) ? 'state' : 'none');
    return this.d.tasks.run('vm.start', { id: row.id, name: row.name }, { signal: opts.signal, onProgress: opts.onProgress }, async (task) => {
      this.d.inventory.vms.setState(row.id, 'starting', undefined, accelerator);
      this.d.emitState(row, 'starting');
      if (c.serial.enabled) this.markBoot(row.id, paths.serialLog, incoming);
      task.phase('starting QEMU');
      let matched: Promise<boolean> | undefined;
      let stopWatching = () => {};
      if (opts.waitSerial) {
        const w = watchSerial(this.d.console, row.id, opts.waitSerial);
        matched = w.matched;
        stopWatching = w.dispose;
      }
      let releaseCards: (() => Promise<void>) | undefined;
      try {
        if (Object.keys(attachments).length) {
          task.phase('bringing up its networks');
          releaseCards = (await this.d.networks.prepareLaunch(row)).release;
          task.phase('starting QEMU');
        }
        await this.d.supervisor.launch(spec, paths);
        const status = await this.d.supervisor.call(row.id, 'host.boot', {}, { timeoutMs: 600_000 }).catch((e: unknown) => {
          // QEMU can fail so soon (a file it cannot open) that its host has ended before the boot request
          // is answered: the host's last status says why.
          const last = readStatusFile(paths.statusFile);
          if (last && (last.state === 'aborted' || last.state === 'stopped')) return last;
          throw e;
        });
        if (status.state === 'aborted' || status.state === 'stopped') {
          throw new HangarError('QEMU_FAILED', `VM '${row.name}' did not start: ${status.reason ?? status.state}`);
        }
        if (!matched) return { id: row.id, state: status.state, accelerator };
        task.phase(`waiting for '${opts.waitSerial}' on the serial console`);
        const waitStartedAt = Date.now();
        const ended = waitForEvent(this.vmStates.event, (e) => e.id === row.id && ['stopped', 'aborted', 'saved'].includes(e.state));
        const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), opts.timeoutS * 1000).unref());
        const aborted = new Promise<'cancel'>((r) => task.signal.addEventListener('abort', () => r('cancel'), { once: true }));
        const outcome = await Promise.race([matched.then(() => 'matched' as const), ended.then((e) => e), deadline, aborted]);
        if (outcome === 'matched') return { id: row.id, state: this.find(row.id).state, accelerator, serialMatched: true };
        if (outcome === 'timeout') {
          // The host writes every console byte to the log before it relays it: a text there that no
          // relayed chunk carried still appeared (and the owner's log says the relay missed it).
          if (opts.waitSerial && consoleSinceStart(paths.serialLog, SERIAL_RECHECK_BYTES)?.includes(opts.waitSerial)) {
            this.d.log(`vm=${row.id} '${opts.waitSerial}' is in the serial log but no console event carried it`);
            return { id: row.id, state: this.find(row.id).state, accelerator, serialMatched: true };
          }
          const last = lastConsoleLine(paths.serialLog);
          // What QEMU did meanwhile tells a guest that stands still from a slow one or one the host starves.
          const activity = await this.d.supervisor
            .call(row.id, 'host.stats', { sinceMs: waitStartedAt }, { timeoutMs: 10_000 })
            .then((r) => activityOver(r.samples), () => null);
          const meanwhile = activity ? ` Meanwhile QEMU used ${activity.meanCpuPercent}% of a core on average and read ${formatSize(activity.diskReadBytes)} from its disks.` : '';
          throw new HangarError('TIMEOUT', `'${opts.waitSerial}' did not appear on the serial console of '${row.name}' within ${opts.timeoutS} s (the VM keeps running; ${last ? `its last line there: '${last}'` : 'nothing there since it started'}).${meanwhile}`);
        }
        if (outcome === 'cancel') throw new HangarError('CANCELLED', 'stopped waiting (the VM keeps running)');
        throw new HangarError('QEMU_FAILED', `VM '${row.name}' ended (${outcome.state}${outcome.reason ? `: ${outcome.reason}` : ''}) before '${opts.waitSerial}' appeared on its serial console`);
      } catch (e) {
        const current = this.d.inventory.vms.get(row.id);
        if (current?.state === 'starting' && !this.d.supervisor.get(row.id)) {
          const reason = isHangarError(e) ? e.message : String(e);
          this.d.inventory.vms.setState(row.id, 'aborted', reason);
          this.d.emitState(row, 'aborted', reason);
          await releaseCards?.().catch(() => undefined);
        }
        throw e;
      } finally {
        stopWatching();
      }
    });
  }

  /**
   * A separator line in the serial log (and to whoever watches the console) at each start, so that
   * one boot's output is not run together with the last one's.
   */
  private markBoot(vmId: string, serialLog: string, resumed: boolean): void {
    const line = Buffer.from(`\r\n${bootSeparator(new Date(), resumed)}\r\n`);
    try {
      writeFileSync(serialLog, line, { flag: 'a', mode: 0o600 });
    } catch (e) {
      this.d.log(`vm=${vmId} cannot mark the start in the serial log: ${(e as Error).message}`);
    }
    this.d.console.fire({ id: vmId, data: line.toString('base64') });
  }

  /** Fires on every VM state change the owner records. */
  readonly vmStates = new Emitter<{ id: string; state: VmState; reason?: string }>();

  /** per VM: the ACPI shutdown waiting for its guest (a 'vm.stop' task), so a second Stop joins it */
  private readonly shutdowns = new Map<string, Promise<{ id: string; state: VmState }>>();

  /**
   * Power off (`force`), or press the ACPI power button and watch for the guest to go, as a 'vm.stop'
   * task that does not hold the VM (power off, pause and save stay possible meanwhile). `wait: false`
   * returns once the button is pressed, with the VM's state as it is (still running: the guest has
   * not gone yet); the task says how it ends. `evenIfBusy`: the owner's own shutdown --force, which
   * ends every task anyway.
   */
  async stop(ref: string, opts: { force: boolean; timeoutS: number; signal: AbortSignal; wait?: boolean; evenIfBusy?: boolean }) {
    const row = this.find(ref);
    if (!isActive(row.state) || !this.d.supervisor.get(row.id)) {
      throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is not running (it is ${row.state})`);
    }
    // A live snapshot or merge in flight would be cut off: cancel it first (hangar tasks), or wait.
    if (!opts.evenIfBusy) this.d.tasks.assertFree(row);
    const isEnd = (e: { id: string; state: VmState }) => e.id === row.id && ['stopped', 'aborted', 'saved'].includes(e.state);
    if (opts.force) {
      const ended = waitForEvent(this.vmStates.event, isEnd, { timeoutMs: opts.timeoutS * 1000, signal: opts.signal, what: 'the VM to stop' });
      ended.catch(() => undefined);
      // The host may close its connection as QEMU ends: what counts is the VM's end, awaited below.
      await this.d.supervisor.call(row.id, 'host.powerOff', {}, { timeoutMs: 30_000 }).catch((e: unknown) => {
        if (!(isHangarError(e) && e.code === 'IO_ERROR')) throw e;
      });
      try {
        const e = await ended;
        return { id: row.id, state: e.state };
      } catch (e) {
        if (opts.signal.aborted) throw new HangarError('CANCELLED', 'stopped waiting (the VM may still be powering off)');
        throw new HangarError('TIMEOUT', `VM '${row.name}' did not power off within ${opts.timeoutS} s`, { cause: e });
      }
    }

    let shutdown = this.shutdowns.get(row.id);
    if (shutdown) {
      // Pressed again while the guest is being waited for: the same wait goes on.
      if (row.state === 'running') await this.d.supervisor.call(row.id, 'host.powerdown', {});
    } else {
      // Listen before pressing, so that a guest that goes at once is not missed.
      const watch = new AbortController();
      const ended = waitForEvent(this.vmStates.event, isEnd, { signal: watch.signal });
      ended.catch(() => undefined);
      try {
        await this.d.supervisor.call(row.id, 'host.powerdown', {});
      } catch (e) {
        watch.abort();
        throw e;
      }
      const timeoutS = opts.timeoutS;
      shutdown = this.d.tasks.run('vm.stop', { id: row.id, name: row.name }, { exclusive: false }, async (task) => {
        task.phase('waiting for the guest to shut down');
        const onAbort = () => watch.abort();
        task.signal.addEventListener('abort', onAbort, { once: true });
        const timer = setTimeout(() => watch.abort(new Error('timeout')), timeoutS * 1000);
        try {
          await this.askAgentIfIgnored(row, ended, timeoutS, task.signal);
          const e = await ended;
          task.outcome(shutdownOutcome(e));
          return { id: row.id, state: e.state };
        } catch (e) {
          if (task.signal.aborted) throw new HangarError('CANCELLED', 'stopped waiting (the guest may still shut down)', { cause: e });
          throw new HangarError('TIMEOUT', `the guest did not shut down within ${timeoutS} s of the ACPI power button; it is still running`, {
            cause: e,
            details: { vm: row.name, timeoutS },
          });
        } finally {
          clearTimeout(timer);
          task.signal.removeEventListener('abort', onAbort);
        }
      });
      const settled = shutdown.finally(() => this.shutdowns.delete(row.id));
      settled.catch(() => undefined);
      this.shutdowns.set(row.id, shutdown);
    }
    if (opts.wait === false) return { id: row.id, state: this.find(row.id).state };

    // The caller waits for the guest (hangar stop): its Ctrl-C ends its own wait, not the task.
    const stopped = new Promise<never>((_, reject) => {
      if (opts.signal.aborted) reject(new HangarError('CANCELLED', 'stopped waiting (the guest may still shut down)'));
      opts.signal.addEventListener('abort', () => reject(new HangarError('CANCELLED', 'stopped waiting (the guest may still shut down)')), { once: true });
    });
    stopped.catch(() => undefined);
    try {
      return await Promise.race([shutdown, stopped]);
    } catch (e) {
      if (isHangarError(e) && e.code === 'TIMEOUT') {
        throw withIssue('TIMEOUT', `the guest of '${row.name}' did not shut down within ${opts.timeoutS} s of the ACPI power button`, { code: GUEST_IGNORED_POWER_BUTTON, data: { vm: row.name } }, e);
      }
      throw e;
    }
  }

  /**
   * A guest that ignores the ACPI button (no acpid, a hung desktop) but runs an agent is asked through
   * it once a grace period has passed; one that is already shutting down has stopped its agent by
   * then, or takes the second request as the first.
   */
  private async askAgentIfIgnored(row: { id: string }, ended: Promise<unknown>, timeoutS: number, signal: AbortSignal): Promise<void> {
    const graceMs = Math.min(AGENT_SHUTDOWN_GRACE_MS, (timeoutS * 1000) / 3);
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([ended.then(() => true, () => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
    clearTimeout(timer);
    if (settled || signal.aborted || !this.d.supervisor.get(row.id)) return;
    try {
      await this.d.supervisor.call(row.id, 'host.guestShutdown', {}, { timeoutMs: 15_000 });
      this.d.log(`vm=${row.id} the guest did not react to the ACPI power button; asked its agent to shut down`);
    } catch (e) {
      this.d.log(`vm=${row.id} the guest did not react to the ACPI power button, and its agent could not be asked: ${(e as Error).message}`);
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
    // QEMU cannot migrate (so cannot save) a machine with virtio-fs or a mounted 9p share: refused
    // up front, so the VM runs on untouched rather than failing half-way.
    const tags = sharesOf(row.config).map((x) => x.tag);
    if (tags.length) {
      throw withIssue('STATE_CONFLICT', `VM '${row.name}' shares host folders (${tags.map((t) => `'${t}'`).join(', ')}), and QEMU cannot save the running state of a VM with shared folders`, { code: SHARES_BLOCK_SAVE, data: { vm: row.name, tags } });
    }
    if (row.config.display.clipboard === true) {
      throw withIssue('STATE_CONFLICT', `VM '${row.name}' shares its clipboard with the display, and QEMU cannot save the running state of a VM that does`, { code: CLIPBOARD_BLOCKS_SAVE, data: { vm: row.name } });
    }
    return this.d.tasks.run('vm.save', { id: row.id, name: row.name }, { signal: opts.signal, onProgress: opts.onProgress }, async (task) => {
      const ended = waitForEvent(this.vmStates.event, (e) => e.id === row.id && ['stopped', 'aborted', 'saved'].includes(e.state), { timeoutMs: 600_000 });
      ended.catch(() => undefined);
      await this.d.supervisor.call(row.id, 'host.save', {}, { signal: task.signal, onProgress: (p) => task.progress(p.fraction, p.message), timeoutMs: 600_000 });
      const e = await ended;
      return { id: row.id, state: e.state };
    });
  }

  /** Runs a program in the guest through its agent; the guest's exit status and output. */
  async exec(ref: string, o: { command: string; args: string[]; input?: string; timeoutS: number; signal: AbortSignal }) {
    const row = this.find(ref);
    if (row.state !== 'running' || !this.d.supervisor.get(row.id)) {
      throw new HangarError('STATE_CONFLICT', `VM '${row.name}' is not running (it is ${row.state})`);
    }
    try {
      return await this.d.supervisor.call(
        row.id,
        'host.guestExec',
        { path: o.command, args: o.args, timeoutMs: Math.round(o.timeoutS * 1000), ...(o.input !== undefined ? { input: o.input } : {}) },
        { signal: o.signal, timeoutMs: Math.round(o.timeoutS * 1000) + 60_000 },
      );
    } catch (e) {
      if (isAgentAbsent(e)) throw agentAbsentError(row.name, 'so the command cannot run');
      throw e;
    }
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

/** The role of a file QEMU opens that must exist before start ('disk', 'iso', …); null for what QEMU or Hangar makes. */
function missingRole(role: string): 'disk' | 'iso' | 'kernel' | 'initrd' | 'firmware' | 'share' | null {
  if (role.startsWith('disk:')) return 'disk';
  if (role.startsWith('share:')) return 'share';
  if (role.startsWith('optical:')) return 'iso';
  if (role === 'kernel' || role === 'initrd') return role;
  if (role === 'firmware-code') return 'firmware';
  return null;
}

/** How long a guest may take to react to the ACPI power button before its agent is asked to shut down. */
const AGENT_SHUTDOWN_GRACE_MS = 15_000;

/** An error about the request as a whole that carries one coded issue, for each surface's own advice. */
function withIssue(code: ErrorCode, message: string, issue: { code: string; data: Record<string, unknown> }, cause?: unknown): HangarError {
  return new HangarError(code, message, { details: { issues: [{ path: '', message, ...issue }] }, ...(cause !== undefined ? { cause } : {}) });
}

/** How each start's separator line in the serial log begins (`bootSeparator`). */
const BOOT_SEPARATOR_PREFIX = '──── Hangar: ';

/** How much of the serial log's end a timed-out wait reads again for its text. */
const SERIAL_RECHECK_BYTES = 1 << 20;

/**
 * What a VM printed on its serial console since its last start (after the start's separator line),
 * from the last `maxBytes` of its log; everything in that window when the separator is older. Null
 * when the log cannot be read.
 */
export function consoleSinceStart(serialLog: string, maxBytes = 16 * 1024): string | null {
  let text: string;
  try {
    if (!existsSync(serialLog)) return null;
    text = readLogTail(serialLog, maxBytes).toString('utf8');
  } catch {
    return null;
  }
  const at = text.lastIndexOf(BOOT_SEPARATOR_PREFIX);
  if (at < 0) return text;
  const lineEnd = text.indexOf('\n', at);
  return lineEnd < 0 ? '' : text.slice(lineEnd + 1);
}

/**
 * The last non-empty line a VM printed on its serial console since its last start, from the end of
 * its log; at most 200 characters. Null when it printed nothing.
 */
export function lastConsoleLine(serialLog: string): string | null {
  const lines = (consoleSinceStart(serialLog) ?? '').split(/\r?\n|\r/).map((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]) return lines[i]!.slice(-200);
  }
  return null;
}

/** The line written to the serial log at each start: `──── Hangar: started 2026-03-06 12:04:31 +01:00 ────`. */
export function bootSeparator(at: Date, resumed: boolean): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const off = -at.getTimezoneOffset();
  const zone = `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const when = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())} ${zone}`;
  return `${BOOT_SEPARATOR_PREFIX}${resumed ? 'resumed from its saved state' : 'started'} ${when} ────`;
}

/** How a shutdown the owner waited for ended, in one sentence for the Tasks panel. */
export function shutdownOutcome(e: { state: VmState; reason?: string }): string {
  if (e.state === 'saved') return 'its state was saved instead';
  if (e.state === 'aborted') return `it ended unexpectedly${e.reason ? ` (${e.reason})` : ''}`;
  if (e.reason === 'powered off') return 'it was powered off';
  return 'the guest shut down';
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
export function assertNewName(name: string): void {
  const problems = newVmNameProblems(name);
  if (problems.length) throw invalidInput(problems.map((message) => ({ path: 'name', message })));
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

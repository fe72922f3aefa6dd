// One place that composes a VM's configuration from an OS type and a person's choices, and fits it to
// its chipset. Create, import (through its review) and modify all come here, so the rules live once:
//   - the OS type gives every default (buses, NIC model, display, firmware, chipset; see defaultsFor);
//   - UEFI needs the q35 chipset;
//   - q35 has no IDE controller: IDE disks and drives move to its built-in AHCI (SATA) ports, unless
//     the person chose IDE for a BIOS machine, which then gets the pc chipset instead.
import { fail, ok, type Result } from '../base/result.js';
import { CURRENT_SCHEMA_VERSION } from './migrations.js';
import { validateConfig, type ConfigIssue, type VmConfig, type VmConfigInput } from './config.js';
import { defaultsFor, getOsType } from './osCatalogue.js';
import type { Chipset } from './system.js';
import type { FirmwareType } from './firmware.js';
import type { DiskBus, DiskFormat, OpticalBus } from './disks.js';
import type { NicModel, PortForward } from './nics.js';
import type { BootDevice } from './boot.js';
import type { VgaType } from './display.js';
import type { RecoverySection } from './recovery.js';
import { defaultShareTag, type ShareMode } from './shares.js';
import type { CloudInitSection, InstallSection } from './guestAccess.js';
import type { UsbDevice } from './usb.js';

/** IDE is not on q35: the bus an IDE device takes there instead. */
export function busOnChipset<B extends string>(bus: B, chipset: Chipset): B | 'sata' {
  return chipset === 'q35' && bus === 'ide' ? 'sata' : bus;
}

/**
 * The chipset a machine gets: q35 for UEFI; otherwise the preferred one, except that a device that
 * must stay on IDE (a disk installed there; a drive of a guest without AHCI) needs pc.
 */
export function chipsetFor(o: { firmware: FirmwareType; preferred: Chipset; ideNeeded: boolean }): Chipset {
  if (o.firmware === 'uefi') return 'q35';
  return o.ideNeeded ? 'pc' : o.preferred;
}

interface Fittable {
  system: { chipset: Chipset };
  firmware: { type: FirmwareType };
  disks: readonly { bus: DiskBus }[];
  opticals: readonly { bus: OpticalBus }[];
}

/**
 * The machine with its chipset and buses agreeing. `ideWins`: a BIOS machine with IDE devices goes to
 * pc (the person chose IDE); otherwise its IDE devices move to SATA on q35. UEFI always means q35.
 * Returns a new value; `moved` lists the devices that left IDE, for notes to the person.
 */
export function fitToChipset<C extends Fittable>(c: C, o: { ideWins?: boolean } = {}): { config: C; moved: { kind: 'disk' | 'optical'; index: number }[] } {
  const hasIde = c.disks.some((d) => d.bus === 'ide') || c.opticals.some((d) => d.bus === 'ide');
  const chipset = chipsetFor({ firmware: c.firmware.type, preferred: c.system.chipset, ideNeeded: Boolean(o.ideWins) && hasIde && c.firmware.type !== 'uefi' });
  const moved: { kind: 'disk' | 'optical'; index: number }[] = [];
  const disks = c.disks.map((d, index) => {
    const bus = busOnChipset(d.bus, chipset);
    if (bus !== d.bus) moved.push({ kind: 'disk', index });
    return bus === d.bus ? d : { ...d, bus };
  });
  const opticals = c.opticals.map((d, index) => {
    const bus = busOnChipset(d.bus, chipset);
    if (bus !== d.bus) moved.push({ kind: 'optical', index });
    return bus === d.bus ? d : { ...d, bus };
  });
  return { config: { ...c, system: { ...c.system, chipset }, disks, opticals }, moved };
}

/** A shared folder as a person gives it: the folder, and optionally its tag, read-only flag and mode. */
export interface ShareChoice {
  hostPath: string;
  tag?: string;
  readOnly?: boolean;
  mode?: ShareMode;
}

/** The shares as the config holds them: tags, flags and modes filled in. */
export function sharesFrom(choices: readonly ShareChoice[], defaultMode: ShareMode = 'virtiofs'): { tag: string; hostPath: string; readOnly: boolean; mode: ShareMode }[] {
  return choices.map((s) => ({ tag: s.tag ?? defaultShareTag(s.hostPath), hostPath: s.hostPath, readOnly: s.readOnly ?? false, mode: s.mode ?? defaultMode }));
}

/** A new machine as a person (or an appliance) describes it; what is left out follows from the OS type. */
export interface MachineChoices {
  id: string;
  name: string;
  /** absent: 'linux' */
  osType?: string;
  description?: string;
  system?: { chipset?: Chipset; cpus?: number; memoryMiB?: number; accel?: 'auto' | 'kvm' | 'tcg' };
  firmware?: FirmwareType;
  /** images already in place; a disk without a bus gets the OS type's */
  disks?: { id?: string; bus?: DiskBus; path: string; format: DiskFormat; readOnly?: boolean }[];
  /** drives, with an ISO or empty (null); a drive without a bus gets the OS type's */
  opticals?: { id?: string; bus?: OpticalBus; path: string | null }[];
  /** MACs are the caller's (unique in its inventory); a NIC without a model gets the OS type's; without a network, user-mode NAT */
  nics?: { id?: string; model?: NicModel; mac: string; forwards?: PortForward[]; network?: string; linkUp?: boolean }[];
  boot?: { order?: BootDevice[]; kernel?: string; initrd?: string; append?: string };
  display?: { vga?: VgaType; vnc?: boolean; clipboard?: boolean };
  nested?: boolean;
  recovery?: Partial<RecoverySection>;
  /** host folders the guest mounts; a share without a tag gets its folder's name, without a mode `shareMode` */
  shares?: ShareChoice[];
  /** the mode of shares that name none (the caller knows whether virtio-fs can run on its host); absent: virtiofs */
  shareMode?: ShareMode;
  /** a TPM 2.0; absent: the OS type's default (on for Windows 11) */
  tpm?: boolean;
  /** Secure Boot (UEFI only); absent: the OS type's default when the firmware is UEFI (on for Windows 11) */
  secureBoot?: boolean;
  /** a VM made from a cloud image: its account, keys and seed (the seed is one of `opticals`) */
  cloudInit?: CloudInitSection;
  /** an unattended installation to run (the media is one of `opticals`) */
  install?: InstallSection;
  /** USB devices (images as mass storage, host devices); the machine gets an xHCI controller either way */
  usb?: UsbDevice[];
  /**
   * 'chipset' (default): IDE devices move to SATA on q35; 'buses': chosen IDE devices make a BIOS
   * machine pc; 'none': the buses were fitted already (an import's review) and a bus the person
   * chose against the chipset is reported, not changed behind their back.
   */
  fit?: 'chipset' | 'buses' | 'none';
}

/**
 * The validated configuration of a new machine: defaults from its OS type, the person's choices over
 * them, fitted to the chipset. Issues name the config's paths ('system.cpus', 'disks[0].bus').
 */
export function composeConfig(m: MachineChoices): Result<VmConfig, ConfigIssue[]> {
  const osType = m.osType ?? 'linux';
  if (!getOsType(osType)) return fail([{ path: 'osType', message: `unknown OS type '${osType}'` }]);
  const def = defaultsFor(osType);
  const firmware = m.firmware ?? def.firmware;
  const recovery = m.recovery && (m.recovery.restartOnCrash !== undefined || m.recovery.maxRestartsPerMinute !== undefined) ? m.recovery : undefined;
  const draft: VmConfigInput = {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    id: m.id,
    name: m.name,
    osType,
    description: m.description ?? '',
    system: {
      chipset: m.system?.chipset ?? def.chipset,
      cpus: m.system?.cpus ?? def.cpus,
      memoryMiB: m.system?.memoryMiB ?? def.memoryMiB,
      accel: m.system?.accel ?? 'auto',
    },
    firmware: { type: firmware, ...((m.secureBoot ?? (firmware === 'uefi' && def.secureBoot)) ? { secureBoot: true } : {}) },
    disks: (m.disks ?? []).map((d, i) => ({ id: d.id ?? `disk${i}`, bus: d.bus ?? def.diskBus, path: d.path, format: d.format, readOnly: d.readOnly ?? false })),
    opticals: (m.opticals ?? []).map((o, i) => ({ id: o.id ?? `cd${i}`, bus: o.bus ?? def.opticalBus, path: o.path })),
    nics: (m.nics ?? []).map((n, i) => nicOf({ id: n.id ?? `net${i}`, model: n.model ?? def.nicModel, mac: n.mac, forwards: n.forwards ?? [], network: n.network, linkUp: n.linkUp })),
    // The clipboard is asked for: QEMU 7.2's qemu-vdagent blocks migration, so a VM that shares its clipboard
    // cannot have its running state saved (save, live snapshots with RAM).
    display: { vga: m.display?.vga ?? def.vga, vnc: m.display?.vnc ?? true, ...(m.display?.clipboard ? { clipboard: true } : {}) },
    serial: { enabled: true },
    features: { nested: m.nested ?? false },
    boot: {
      order: m.boot?.order ?? ['disk', 'optical'],
      ...(m.boot?.kernel !== undefined ? { kernel: m.boot.kernel } : {}),
      ...(m.boot?.initrd !== undefined ? { initrd: m.boot.initrd } : {}),
      ...(m.boot?.append !== undefined ? { append: m.boot.append } : {}),
    },
    ...(recovery ? { recovery: { restartOnCrash: recovery.restartOnCrash ?? false, maxRestartsPerMinute: recovery.maxRestartsPerMinute ?? 3 } } : {}),
    ...(m.shares?.length ? { shares: sharesFrom(m.shares, m.shareMode) } : {}),
    ...((m.tpm ?? def.tpm) ? { tpm: { version: '2.0' as const } } : {}),
    ...(m.cloudInit ? { cloudInit: m.cloudInit } : {}),
    ...(m.install ? { install: m.install } : {}),
    // Every new machine has an xHCI controller, so USB devices can be plugged in while it runs.
    usb: { devices: m.usb ?? [] },
  };
  // Even unfitted, UEFI means q35: the buses are what is left as chosen.
  const fitted =
    m.fit === 'none'
      ? { ...draft, system: { ...draft.system, chipset: chipsetFor({ firmware, preferred: draft.system.chipset, ideNeeded: false }) } }
      : fitToChipset(draft as VmConfigInput & Fittable, { ideWins: m.fit === 'buses' }).config;
  const r = validateConfig(fitted);
  return r.ok ? ok(r.value) : fail(r.issues);
}

/** A new device id of a kind ('disk', 'cd', 'net') that the config does not use yet. */
export function nextDeviceId(prefix: 'disk' | 'cd' | 'net', used: readonly string[]): string {
  for (let n = 0; ; n++) if (!used.includes(`${prefix}${n}`)) return `${prefix}${n}`;
}

/**
 * Changes a person makes to an existing machine. Lists are given whole (`nics`: the cards as they are
 * to be, MACs the caller's); `addDisks` appends; `iso` sets the first drive (adding one); `boot` entries
 * set to null go (and without a kernel, its initrd and command line go too).
 */
export interface MachineChange {
  name?: string;
  osType?: string;
  description?: string;
  system?: { cpus?: number; memoryMiB?: number; accel?: 'auto' | 'kvm' | 'tcg' };
  firmware?: FirmwareType;
  nested?: boolean;
  recovery?: Partial<RecoverySection>;
  iso?: string | null;
  /** `network`: a network id, null for user-mode NAT, absent to keep the card's; `linkUp` absent keeps the cable's state */
  nics?: { id?: string; model?: NicModel; mac: string; forwards?: PortForward[]; network?: string | null; linkUp?: boolean }[];
  addDisks?: { path: string; format: DiskFormat; bus?: DiskBus }[];
  boot?: { kernel?: string | null; initrd?: string | null; append?: string | null };
  /** shared folders to add (after the existing ones) */
  addShares?: ShareChoice[];
  /** tags of shared folders to remove (before any are added) */
  removeShares?: string[];
  /** the mode of added shares that name none; absent: virtiofs */
  shareMode?: ShareMode;
  tpm?: boolean;
  /** Secure Boot; a switch to BIOS turns it off unless this says on */
  secureBoot?: boolean;
  /** null: the unattended installation has finished (its section goes; eject the media with `iso`) */
  install?: null;
  /** the display's clipboard shared with the guest */
  clipboard?: boolean;
  /** the USB devices as they are to be (the machine gets an xHCI controller if it had none) */
  usb?: UsbDevice[];
}

/** The config with the change applied, fitted to its chipset and validated; the given config is left as it was. */
export function applyChange(c: VmConfig, ch: MachineChange): Result<VmConfig, ConfigIssue[]> {
  const osType = ch.osType ?? c.osType;
  if (!getOsType(osType)) return fail([{ path: 'osType', message: `unknown OS type '${osType}'` }]);
  const def = defaultsFor(osType);
  const firmware = ch.firmware ?? c.firmware.type;
  const usedIds = [...c.disks.map((d) => d.id), ...c.opticals.map((o) => o.id), ...c.nics.map((n) => n.id)];
  const newId = (prefix: 'disk' | 'cd' | 'net') => {
    const id = nextDeviceId(prefix, usedIds);
    usedIds.push(id);
    return id;
  };
  let opticals = c.opticals.map((o) => ({ ...o }));
  if (ch.iso !== undefined) {
    if (opticals[0]) opticals[0] = { ...opticals[0], path: ch.iso };
    else if (ch.iso !== null) opticals = [{ id: newId('cd'), bus: def.opticalBus, path: ch.iso }];
  }
  const disks = [...c.disks.map((d) => ({ ...d })), ...(ch.addDisks ?? []).map((d) => ({ id: newId('disk'), bus: d.bus ?? def.diskBus, path: d.path, format: d.format, readOnly: false }))];
  const nics = ch.nics
    ? ch.nics.map((n) => {
        const before = n.id ? c.nics.find((x) => x.id === n.id) : undefined;
        return nicOf({
          id: before?.id ?? n.id ?? newId('net'),
          model: n.model ?? before?.model ?? def.nicModel,
          mac: n.mac,
          forwards: n.forwards ?? before?.forwards ?? [],
          network: n.network === undefined ? before?.network : (n.network ?? undefined),
          linkUp: n.linkUp ?? before?.linkUp,
        });
      })
    : c.nics;
  const boot: Record<string, unknown> = { ...c.boot };
  for (const [key, value] of Object.entries(ch.boot ?? {})) {
    if (value === null) delete boot[key];
    else if (value !== undefined) boot[key] = value;
  }
  if (boot.kernel === undefined) {
    delete boot.initrd;
    delete boot.append;
  }
  const recovery = ch.recovery ? { ...(c.recovery ?? { restartOnCrash: false, maxRestartsPerMinute: 3 }), ...dropUndefined(ch.recovery) } : c.recovery;
  const before = c.shares ?? [];
  const unknown = (ch.removeShares ?? []).flatMap((tag, i) => (before.some((s) => s.tag === tag) ? [] : [{ path: `removeShares[${i}]`, message: `there is no shared folder tagged '${tag}'` }]));
  if (unknown.length) return fail(unknown);
  const shares = [...before.filter((s) => !(ch.removeShares ?? []).includes(s.tag)), ...sharesFrom(ch.addShares ?? [], ch.shareMode)];
  // Secure Boot stays as it was unless changed; it goes with UEFI (a switch to BIOS takes it along).
  const secureBoot = ch.secureBoot ?? (firmware === 'uefi' && c.firmware.secureBoot === true);
  const tpm = ch.tpm ?? c.tpm !== undefined;
  const { tpm: _oldTpm, install: _finished, ...rest } = c;
  const next = {
    ...rest,
    // an unattended installation's section stays until it has finished (null)
    ...(ch.install !== null && c.install ? { install: c.install } : {}),
    ...dropUndefined({ name: ch.name, osType: ch.osType, description: ch.description }),
    system: { ...c.system, ...dropUndefined(ch.system ?? {}) },
    firmware: { type: firmware, ...(secureBoot ? { secureBoot: true } : {}) },
    ...(tpm ? { tpm: c.tpm ?? { version: '2.0' as const } } : {}),
    display: ch.clipboard === undefined ? c.display : { vga: c.display.vga, vnc: c.display.vnc, ...(ch.clipboard ? { clipboard: true } : {}) },
    disks,
    opticals,
    nics,
    features: { ...c.features, ...(ch.nested !== undefined ? { nested: ch.nested } : {}) },
    boot,
    ...(recovery ? { recovery } : {}),
    ...(shares.length || c.shares ? { shares } : {}),
    ...(ch.usb ? { usb: { devices: ch.usb } } : {}),
  };
  // A switch to UEFI takes q35 along, and q35's AHCI takes the IDE devices.
  const fitted = fitToChipset(next as typeof next & Fittable).config;
  return validateConfig(fitted);
}

/** A card as the config stores it: no network means user-mode NAT, no linkUp means connected (neither is written). */
function nicOf(n: { id: string; model: NicModel; mac: string; forwards: PortForward[]; network?: string | undefined; linkUp?: boolean | undefined }) {
  return {
    id: n.id,
    model: n.model,
    mac: n.mac,
    forwards: n.forwards,
    ...(n.network !== undefined ? { network: n.network } : {}),
    ...(n.linkUp === false ? { linkUp: false } : {}),
  };
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

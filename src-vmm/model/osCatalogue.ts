// The OS-type catalogue: what each kind of guest supports, and the machine defaults derived from it.
// Defaults are data: new entries list facts, and `defaultsFor` turns facts into buses and models.
import { z } from 'zod';
import { HangarError } from '../base/errors.js';
import type { Chipset } from './system.js';
import type { FirmwareType } from './firmware.js';
import type { DiskBus, OpticalBus } from './disks.js';
import type { NicModel } from './nics.js';
import type { VgaType } from './display.js';

export type OsFamily = 'linux' | 'windows' | 'bsd' | 'other';
/** required: boots only with UEFI; preferred: installs best on q35 but BIOS works; unsupported: BIOS only */
export type UefiSupport = 'required' | 'preferred' | 'supported' | 'unsupported';

export interface OsFacts {
  /** has a virtio-blk driver out of the box */
  virtioBlk: boolean;
  /** has a virtio-net driver out of the box */
  virtioNet: boolean;
  uefi: UefiSupport;
  /** its only NIC driver among Hangar's models is e1000 (no e1000e, rtl8139, vmxnet3, pcnet) */
  e1000Only: boolean;
  /** has an AHCI (SATA) driver out of the box; without one, disks go on IDE */
  ahci: boolean;
  /** has a virtio-gpu display driver out of the box */
  virtioGpu: boolean;
  /** its installer checks for a TPM 2.0 and Secure Boot (Windows 11) */
  tpm2SecureBoot?: boolean;
}

export interface OsDefaults {
  cpus: number;
  memoryMiB: number;
  diskGiB: number;
}

export interface OsType {
  id: string;
  label: string;
  family: OsFamily;
  facts: OsFacts;
  defaults: OsDefaults;
  /**
   * The DMTF CIM_OperatingSystem OsType used for OVF's OperatingSystemSection ovf:id. CIM (as read
   * by VirtualBox, 0–120) has no Windows 11 entry, so Windows 11 shares Windows 10 64-bit's.
   */
  cimOsId: number;
}

export const OS_TYPES = [
  {
    id: 'linux',
    label: 'Linux (modern, 64-bit)',
    family: 'linux',
    facts: { virtioBlk: true, virtioNet: true, uefi: 'supported', e1000Only: false, ahci: true, virtioGpu: true },
    defaults: { cpus: 2, memoryMiB: 2048, diskGiB: 20 },
    cimOsId: 101, // Linux 64-Bit
  },
  {
    id: 'linux-legacy',
    label: 'Linux (older, without virtio)',
    family: 'linux',
    facts: { virtioBlk: false, virtioNet: false, uefi: 'unsupported', e1000Only: false, ahci: true, virtioGpu: false },
    defaults: { cpus: 1, memoryMiB: 1024, diskGiB: 10 },
    cimOsId: 36, // LINUX
  },
  {
    id: 'windows11',
    label: 'Windows 11',
    family: 'windows',
    facts: { virtioBlk: false, virtioNet: false, uefi: 'required', e1000Only: false, ahci: true, virtioGpu: false, tpm2SecureBoot: true },
    defaults: { cpus: 2, memoryMiB: 4096, diskGiB: 64 },
    cimOsId: 120, // Windows 10 64-Bit (CIM has no Windows 11 id)
  },
  {
    id: 'windows10',
    label: 'Windows 10',
    family: 'windows',
    facts: { virtioBlk: false, virtioNet: false, uefi: 'preferred', e1000Only: false, ahci: true, virtioGpu: false },
    defaults: { cpus: 2, memoryMiB: 4096, diskGiB: 50 },
    cimOsId: 120, // Windows 10 64-Bit
  },
  {
    id: 'windows7',
    label: 'Windows 7',
    family: 'windows',
    facts: { virtioBlk: false, virtioNet: false, uefi: 'unsupported', e1000Only: true, ahci: true, virtioGpu: false },
    defaults: { cpus: 1, memoryMiB: 2048, diskGiB: 32 },
    cimOsId: 105, // Microsoft Windows 7
  },
  {
    id: 'freebsd',
    label: 'FreeBSD',
    family: 'bsd',
    facts: { virtioBlk: true, virtioNet: true, uefi: 'supported', e1000Only: false, ahci: true, virtioGpu: false },
    defaults: { cpus: 2, memoryMiB: 2048, diskGiB: 20 },
    cimOsId: 78, // FreeBSD 64-Bit
  },
  {
    id: 'openbsd',
    label: 'OpenBSD',
    family: 'bsd',
    facts: { virtioBlk: true, virtioNet: true, uefi: 'supported', e1000Only: false, ahci: true, virtioGpu: false },
    defaults: { cpus: 1, memoryMiB: 1024, diskGiB: 16 },
    cimOsId: 65, // OpenBSD
  },
  {
    id: 'other',
    label: 'Other',
    family: 'other',
    facts: { virtioBlk: false, virtioNet: false, uefi: 'unsupported', e1000Only: true, ahci: false, virtioGpu: false },
    defaults: { cpus: 1, memoryMiB: 512, diskGiB: 8 },
    cimOsId: 1, // Other
  },
] as const satisfies readonly OsType[];

export type OsTypeId = (typeof OS_TYPES)[number]['id'];
export const OS_TYPE_IDS = OS_TYPES.map((os) => os.id) as [OsTypeId, ...OsTypeId[]];

export const OsTypeId = z
  .string({ error: 'OS type must be a string' })
  .max(64, { error: 'OS type must be at most 64 characters', abort: true })
  .refine((id) => getOsType(id) !== undefined, {
    error: (issue) => `unknown OS type '${String(issue.input)}'`,
  });

export function getOsType(id: string): OsType | undefined {
  return (OS_TYPES as readonly OsType[]).find((os) => os.id === id);
}

export interface MachineDefaults extends OsDefaults {
  chipset: Chipset;
  firmware: FirmwareType;
  diskBus: DiskBus;
  opticalBus: OpticalBus;
  nicModel: NicModel;
  vga: VgaType;
  /** a TPM 2.0 (swtpm) */
  tpm: boolean;
  /** Secure Boot, when the firmware is UEFI */
  secureBoot: boolean;
}

/**
 * The machine a new VM of this OS type gets. Paravirtual devices where the guest has drivers, SATA
 * and e1000 where it does not, IDE where it lacks even AHCI. UEFI only where the OS requires it
 * (firmware files are an optional host package); q35 where UEFI is required or preferred.
 * Throws on an unknown id: callers check with getOsType first.
 */
export function defaultsFor(osType: string): MachineDefaults {
  const os = getOsType(osType);
  if (!os) throw new HangarError('INVALID_INPUT', `unknown OS type '${osType}'`);
  const { facts } = os;
  const chipset: Chipset = facts.uefi === 'required' || facts.uefi === 'preferred' ? 'q35' : 'pc';
  const firmware: FirmwareType = facts.uefi === 'required' ? 'uefi' : 'bios';
  const sataOrIde = facts.ahci ? 'sata' : chipset === 'pc' ? 'ide' : 'sata';
  return {
    ...os.defaults,
    chipset,
    firmware,
    diskBus: facts.virtioBlk ? 'virtio' : sataOrIde,
    // Every OS reads an IDE CD on pc; q35 has no IDE, and its AHCI is built in.
    opticalBus: chipset === 'q35' ? 'sata' : 'ide',
    nicModel: facts.virtioNet ? 'virtio' : 'e1000',
    vga: facts.virtioGpu ? 'virtio' : 'std',
    // Windows 11's installer refuses a machine without a TPM 2.0 and Secure Boot.
    tpm: facts.tpm2SecureBoot === true,
    secureBoot: facts.tpm2SecureBoot === true,
  };
}

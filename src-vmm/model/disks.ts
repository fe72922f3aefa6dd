// Hard disks and optical drives. A disk's path is the current top image of its qcow2 chain.
import { z } from 'zod';
import { choiceValues, describeChoices } from './choice.js';
import { MAX_DISKS, MAX_OPTICALS } from './limits.js';
import { AbsPath, DeviceId } from './names.js';

export const DISK_BUSES = [
  { value: 'virtio', label: 'VirtIO (paravirtual)' },
  { value: 'sata', label: 'SATA (AHCI)' },
  { value: 'scsi', label: 'SCSI (VirtIO SCSI)' },
  { value: 'ide', label: 'IDE' },
  { value: 'nvme', label: 'NVMe' },
] as const;
export type DiskBus = (typeof DISK_BUSES)[number]['value'];

/** Image formats QEMU opens in place; the value is QEMU's block driver name. */
export const DISK_FORMATS = [
  { value: 'qcow2', label: 'QCOW2 (QEMU)' },
  { value: 'raw', label: 'Raw image' },
  { value: 'vmdk', label: 'VMDK (VMware)' },
  { value: 'vdi', label: 'VDI (VirtualBox)' },
  { value: 'vhdx', label: 'VHDX (Hyper-V)' },
  { value: 'vpc', label: 'VHD (Virtual PC)' },
] as const;
export type DiskFormat = (typeof DISK_FORMATS)[number]['value'];

export const OPTICAL_BUSES = [
  { value: 'ide', label: 'IDE' },
  { value: 'sata', label: 'SATA (AHCI)' },
  { value: 'scsi', label: 'SCSI (VirtIO SCSI)' },
] as const;
export type OpticalBus = (typeof OPTICAL_BUSES)[number]['value'];

export const Disk = z
  .object({
    id: DeviceId,
    bus: z.enum(choiceValues(DISK_BUSES), { error: `disk bus must be ${describeChoices(DISK_BUSES)}` }),
    path: AbsPath,
    format: z.enum(choiceValues(DISK_FORMATS), { error: `disk format must be ${describeChoices(DISK_FORMATS)}` }),
    readOnly: z.boolean({ error: 'readOnly must be true or false' }),
  })
  .strict();
export type Disk = z.infer<typeof Disk>;

export const Optical = z
  .object({
    id: DeviceId,
    bus: z.enum(choiceValues(OPTICAL_BUSES), { error: `optical drive bus must be ${describeChoices(OPTICAL_BUSES)}` }),
    /** the ISO in the drive, or null for an empty drive */
    path: AbsPath.nullable(),
  })
  .strict();
export type Optical = z.infer<typeof Optical>;

export const DisksSection = z.array(Disk).max(MAX_DISKS, `a VM can have at most ${MAX_DISKS} disks`);
export const OpticalsSection = z.array(Optical).max(MAX_OPTICALS, `a VM can have at most ${MAX_OPTICALS} optical drives`);

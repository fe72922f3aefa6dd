// What an appliance becomes before anything is written: one MachinePlan per virtual system, every
// value mapped to Hangar's machine model and every approximation explained in a warning. The review
// dialog shows it, `hangar import --dry-run --json` prints it, and the import service carries it out.
import { z } from 'zod';
import { CHIPSETS, DISK_BUSES, FIRMWARES, NIC_MODELS, OPTICAL_BUSES, choiceValues } from '../../src-vmm/model/index.js';

// Schemas (not only interfaces): the same shapes cross the API to the review dialog and are checked there.

export const SourceFile = z.object({
  /** ovf:id of the File element */
  fileId: z.string(),
  /** ovf:href: a relative path inside the package (a member of the .ova, or beside the .ovf) */
  href: z.string(),
  /** ovf:size when given (with gzip, the compressed size; with chunks, the whole file's size) */
  sizeBytes: z.number().nullable(),
  compression: z.enum(['none', 'gzip']),
  /** ovf:chunkSize: the file is stored as href.000000000, href.000000001, … of this many bytes each */
  chunkSize: z.number().nullable(),
});
export type SourceFile = z.infer<typeof SourceFile>;

export const PlannedDisk = z.object({
  /** ovf:diskId */
  diskId: z.string(),
  /** the file holding the disk's content; null for an empty disk to create with capacityBytes */
  file: SourceFile.nullable(),
  /** the disk's virtual size from ovf:capacity and its units (0 when the descriptor does not say) */
  capacityBytes: z.number(),
  /** ovf:format as written ('' when absent): a hint only, the content decides */
  formatUri: z.string(),
  /** where it goes in the new VM */
  bus: z.enum(choiceValues(DISK_BUSES)),
  /** where it sat in the appliance, for people: 'SCSI controller (lsilogic), unit 0', 'IDE 1 slave' */
  sourceController: z.string(),
  /** import this disk (the review can leave disks out) */
  include: z.boolean(),
});
export type PlannedDisk = z.infer<typeof PlannedDisk>;

export const PlannedOptical = z.object({
  bus: z.enum(choiceValues(OPTICAL_BUSES)),
  /** an ISO shipped in the package, or null for an empty drive */
  file: SourceFile.nullable(),
  sourceController: z.string(),
});
export type PlannedOptical = z.infer<typeof PlannedOptical>;

export const PlannedNic = z.object({
  model: z.enum(choiceValues(NIC_MODELS)),
  /** the adapter type as the appliance named it ('VmxNet3', 'E1000', 'PCNet32', '' when unnamed) */
  sourceModel: z.string(),
  /** the MAC address in the descriptor, lower case with colons, when it has one */
  mac: z.string().nullable(),
  /** the network or attachment the appliance connected it to ('NAT', 'VM Network', …) */
  network: z.string(),
});
export type PlannedNic = z.infer<typeof PlannedNic>;

export const ProductInfo = z.object({
  product: z.string(),
  vendor: z.string(),
  version: z.string(),
  fullVersion: z.string(),
  productUrl: z.string(),
  vendorUrl: z.string(),
});
export type ProductInfo = z.infer<typeof ProductInfo>;

export const MachinePlan = z.object({
  /** VirtualSystem ovf:id */
  systemId: z.string(),
  name: z.string(),
  description: z.string(),
  /** an id of the OS-type catalogue */
  osType: z.string(),
  /** what the OS type was read from, for people: "vmw:osType 'windows9_64Guest'", 'CIM id 101 (Linux 64-Bit)' */
  osSource: z.string(),
  cpus: z.number(),
  memoryMiB: z.number(),
  firmware: z.enum(choiceValues(FIRMWARES)),
  chipset: z.enum(choiceValues(CHIPSETS)),
  disks: z.array(PlannedDisk),
  opticals: z.array(PlannedOptical),
  nics: z.array(PlannedNic),
  /** everything mapped to a near equivalent or left out, one sentence each */
  warnings: z.array(z.string()),
  product: ProductInfo.nullable(),
  /** license texts the user should see before importing */
  eulas: z.array(z.string()),
});
export type MachinePlan = z.infer<typeof MachinePlan>;

export const AppliancePlan = z.object({
  ovfVersion: z.enum(['0.9', '1.x', '2.x']),
  /** the References section */
  files: z.array(SourceFile),
  machines: z.array(MachinePlan),
  /** about the package as a whole (not one machine) */
  warnings: z.array(z.string()),
});
export type AppliancePlan = z.infer<typeof AppliancePlan>;

// The media manager's and USB's API shapes (pure): what `hangar media list`, `disk resize`, `disk
// compact` and `usb …` send and receive. The contract (api/contract.ts) lists the methods.
import { z } from 'zod';
import { AbsPath, UsbDevice, UsbIdHex } from '../../src-vmm/model/index.js';

const Ref = z.string().min(1, 'a VM name or id is needed').max(4096);
/** A disk as `show` lists it: its id (disk0), its place in the list (0), or its image's path. */
const DiskRef = z.string().min(1, 'a disk is needed (its id, such as disk0, or its number in the list)').max(4096);

export const MediaUse = z.object({ vm: z.string(), vmId: z.string(), snapshot: z.string().nullable(), as: z.string(), direct: z.boolean() });

export const MediaItem = z.object({
  path: z.string(),
  kind: z.enum(['disk', 'iso']),
  format: z.string(),
  virtualSizeBytes: z.number(),
  /** the file's length */
  sizeBytes: z.number(),
  /** the space it takes on the host's disk */
  allocatedBytes: z.number(),
  /** this image and the images below it, top first */
  chain: z.array(z.string()),
  role: z.enum(['disk', 'frozen', 'base', 'library', 'iso', 'usb', 'unknown']),
  inHome: z.boolean(),
  library: z.string().nullable(),
  usedBy: z.array(MediaUse),
  vms: z.array(z.string()),
  /** "VM/snapshot" */
  snapshots: z.array(z.string()),
  dependents: z.array(z.string()),
  unused: z.boolean(),
  problem: z.string().optional(),
});
export type MediaItem = z.infer<typeof MediaItem>;

export const MediaListInput = z.object({ unused: z.boolean().default(false) }).strict();
export const MediaListOutput = z.object({ media: z.array(MediaItem) });

export const DiskResizeInput = z
  .object({
    ref: Ref,
    disk: DiskRef,
    /** the new size; or addBytes: how much to add */
    sizeBytes: z.number().int().positive().optional(),
    addBytes: z.number().int().positive().optional(),
  })
  .strict()
  .refine((v) => (v.sizeBytes === undefined) !== (v.addBytes === undefined), { message: 'give either the new size (sizeBytes) or how much to add (addBytes)', path: ['sizeBytes'] });
export const DiskResizeOutput = z.object({
  vm: z.string(),
  disk: z.string(),
  path: z.string(),
  fromBytes: z.number(),
  toBytes: z.number(),
  /** grown while the VM ran */
  online: z.boolean(),
  /** what a person should know: snapshots keep their size; the guest's partitions do not grow by themselves */
  notes: z.array(z.string()),
});

export const DiskCompactInput = z.object({ ref: Ref, disk: DiskRef }).strict();
export const DiskCompactOutput = z.object({
  vm: z.string(),
  disk: z.string(),
  path: z.string(),
  beforeBytes: z.number(),
  afterBytes: z.number(),
  beforeAllocatedBytes: z.number(),
  afterAllocatedBytes: z.number(),
});

export const HostUsbDeviceInfo = z.object({
  sysfsName: z.string(),
  vendorId: z.string(),
  productId: z.string(),
  manufacturer: z.string().nullable(),
  product: z.string().nullable(),
  bus: z.number(),
  device: z.number(),
  port: z.string(),
  node: z.string(),
  /** this user can open its node read-write, as passthrough needs */
  accessible: z.boolean(),
  /** why not */
  accessProblem: z.string().optional(),
  hub: z.boolean(),
});
export const UsbListOutput = z.object({ devices: z.array(HostUsbDeviceInfo) });

export const UsbAttachInput = z
  .object({
    ref: Ref,
    /** a disk image (qcow2 or raw), used in place as USB mass storage */
    image: AbsPath.optional(),
    /** a host device by vendor and product */
    device: z.object({ vendorId: UsbIdHex, productId: UsbIdHex }).strict().optional(),
  })
  .strict()
  .refine((v) => (v.image === undefined) !== (v.device === undefined), { message: 'give either an image or a host device', path: ['image'] });
export const UsbChangeOutput = z.object({ id: z.string(), vm: z.string(), device: UsbDevice, live: z.boolean() });
export const UsbDetachInput = z.object({ ref: Ref, id: z.string().min(1, 'a USB device id is needed (such as usb0)').max(64) }).strict();

// The one API contract of the owner process: used by the CLI, the web mode and the Electron renderer.
// Every input is validated against these schemas in the owner before a handler runs.
import { z } from 'zod';
import { method, type Contract } from '../../src-vmm/base/rpc.js';
import { remoteApi, remoteEvents } from '../remotes/contract.js';
import { VmState } from '../../src-vmm/protocol/states.js';
import { GuestInfo } from '../../src-vmm/protocol/contract.js';
import {
  AbsPath,
  BootSection,
  DeviceId,
  DisplaySection,
  FeaturesSection,
  FirmwareSection,
  Hostname,
  LinuxUser,
  MacAddress,
  MAX_DESCRIPTION_LENGTH,
  MAX_NICS,
  Nic,
  OsTypeId,
  PortForward,
  MAX_SHARES,
  RecoverySection,
  Share,
  ShareTag,
  SystemSection,
} from '../../src-vmm/model/index.js';
import { MachinePlan } from '../appliances/plan.js';
import { MAX_USER_DATA_BYTES } from '../quickcreate/cloudConfig.js';
import { MachineEdits } from '../appliances/review.js';
import { migrationApi } from '../migration/contract.js';
import { NetworkMapping, SourceNetwork } from '../appliances/networkMap.js';
import { NETWORK_MODES, NetworkCreateInput } from '../networks/model.js';
import { choiceValues } from '../../src-vmm/model/index.js';
import { DiskCompactInput, DiskCompactOutput, DiskResizeInput, DiskResizeOutput, MediaListInput, MediaListOutput, UsbAttachInput, UsbChangeOutput, UsbDetachInput, UsbListOutput } from '../media/schemas.js';
import { UsbDevice } from '../../src-vmm/model/index.js';
import { statsApi, statsEvents } from '../stats/contract.js';
import { ScheduleInfo, scheduleApi } from '../schedules/contract.js';
import { GroupPath, MAX_TAGS, Tag } from '../groups/rules.js';

const Ref = z.string().min(1, 'a VM name or id is needed').max(4096);
const Accel = SystemSection.shape.accel;
const Firmware = FirmwareSection.shape.type;
const Description = z.string().max(MAX_DESCRIPTION_LENGTH, `description must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
/** A name as typed: the rules for new names are checked by the owner (with the inventory's names). */
const NameInput = z.string().max(10_000);

export { PortForward };

/** A disk a create or modify adds: a new empty one of a size, or an image of the user's. */
export const DiskChoice = z.union([
  z.object({ sizeBytes: z.number().int().positive() }).strict(),
  z
    .object({
      image: AbsPath,
      /** copy the image into one new qcow2 in the VM's folder, with every file it reads (backing file, data file, extents) */
      flatten: z.boolean().optional(),
    })
    .strict(),
]);
export type DiskChoice = z.infer<typeof DiskChoice>;

/** A network by its name or id, as people and the interface name one. */
const NetworkRef = z.string().min(1, 'a network name or id is needed').max(4096);

/**
 * A network card of a new VM: its model (the OS type's when absent), the network it is on (none:
 * user-mode NAT of its own), its MAC (absent: a new one), its port forwards (NAT only) and its cable.
 */
export const NicRequest = z
  .object({
    model: Nic.shape.model.optional(),
    forwards: Nic.shape.forwards.optional(),
    network: NetworkRef.optional(),
    mac: MacAddress.optional(),
    linkUp: z.boolean().optional(),
  })
  .strict();

/**
 * A card in the list `vm.modify` sets: an existing card by its id (it keeps what is not given, its MAC
 * above all), or a new card (no id; it gets a new MAC unless one is given). Cards left out are removed.
 */
export const NicEdit = z
  .object({
    id: DeviceId.optional(),
    model: Nic.shape.model.optional(),
    mac: MacAddress.optional(),
    forwards: Nic.shape.forwards.optional(),
    /** a network's name or id; null: user-mode NAT; absent: as it is */
    network: NetworkRef.nullable().optional(),
    /** the cable; absent: as it is */
    linkUp: z.boolean().optional(),
  })
  .strict();

/** A shared folder as a request gives it: the folder, and optionally its tag (default: the folder's name), read-only flag and mode. */
export const ShareRequest = z
  .object({
    hostPath: AbsPath,
    tag: ShareTag.optional(),
    readOnly: z.boolean().optional(),
    /** absent: virtio-fs where it can run on this host, else 9p */
    mode: Share.shape.mode.optional(),
  })
  .strict();
export type ShareRequest = z.infer<typeof ShareRequest>;
const ShareRequests = z.array(ShareRequest).max(MAX_SHARES, `a VM can have at most ${MAX_SHARES} shared folders`);

const SystemChoices = SystemSection.pick({ cpus: true, memoryMiB: true, accel: true }).partial().strict();

/**
 * Quick create from a cloud image: the account cloud-init makes, how it is reached, and a person's own
 * cloud-config. Every part is optional: the account defaults to the person's login name, the key to a
 * new one Hangar makes for the VM, the hostname to the VM's name.
 */
export const CloudInitInput = z
  .object({
    user: LinuxUser.optional(),
    /** an OpenSSH public key file (id_ed25519.pub); `hangar ssh` uses the private key beside it */
    sshKeyFile: AbsPath.optional(),
    /** the account's password (also for the console); stored only as a hash in the seed */
    password: z.string().min(1, 'the password must not be empty').max(1024).optional(),
    hostname: Hostname.optional(),
    /** cloud-config (YAML whose first line is #cloud-config), merged with Hangar's */
    userData: z.string().max(MAX_USER_DATA_BYTES).optional(),
  })
  .strict();
export type CloudInitInput = z.infer<typeof CloudInitInput>;

/** An unattended installation from installer media whose install scripts libosinfo knows. */
export const UnattendedInput = z
  .object({
    user: LinuxUser,
    password: z.string().min(1, 'the password must not be empty').max(256),
    hostname: Hostname.optional(),
    /** a locale such as en_US (default en_US) */
    locale: z.string().regex(/^[a-z]{2,3}_[A-Z]{2}$/, 'locale must look like en_US').optional(),
    /** a time zone such as Europe/Paris (default UTC) */
    timezone: z.string().max(64).regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/, 'timezone must be a zone such as Europe/Paris or UTC').optional(),
  })
  .strict();
export type UnattendedInput = z.infer<typeof UnattendedInput>;

/**
 * A new VM, in the model's own sections (errors point at 'system.cpus', 'nics[0].forwards[1]', …);
 * whatever is left out follows from the OS type.
 */
export const VmCreateInput = z
  .object({
    name: NameInput,
    osType: OsTypeId.optional(),
    description: Description.optional(),
    system: SystemChoices.optional(),
    firmware: FirmwareSection.partial().strict().optional(),
    disk: DiskChoice.optional(),
    /** an ISO in the first optical drive */
    iso: AbsPath.optional(),
    /** absent: one card of the OS type's model; empty: none */
    nics: z.array(NicRequest).max(MAX_NICS, `a VM can have at most ${MAX_NICS} network cards`).optional(),
    boot: BootSection.pick({ kernel: true, initrd: true, append: true }).partial().strict().optional(),
    features: FeaturesSection.partial().strict().optional(),
    recovery: RecoverySection.partial().strict().optional(),
    /** host folders the guest can mount */
    shares: ShareRequests.optional(),
    /** a TPM 2.0 (swtpm); absent: the OS type's default (on for Windows 11) */
    tpm: z.boolean().optional(),
    /**
     * A library image (its name or id) or the absolute path of an image file, which is added to the
     * library first: the VM's disk is an overlay on it (a cloud image), or it is the VM's ISO.
     */
    image: z.string().min(1, 'an image name or file is needed').max(4096).optional(),
    /** with a cloud image: the cloud-init seed's contents */
    cloudInit: CloudInitInput.optional(),
    /** with an ISO (iso, or an ISO image): install it without a question */
    unattended: UnattendedInput.optional(),
    /** the display's clipboard shared with the guest (absent: on when the VM has a display) */
    display: DisplaySection.pick({ clipboard: true }).strict().optional(),
  })
  .strict();
export type VmCreateInput = z.infer<typeof VmCreateInput>;

const Tags = z.array(Tag).max(MAX_TAGS, `at most ${MAX_TAGS} tags at once`);

/** Changes to a VM: only what is given changes. Hardware changes need the VM stopped. */
export const VmModifyInput = z
  .object({
    ref: Ref,
    name: NameInput.optional(),
    osType: OsTypeId.optional(),
    description: Description.optional(),
    system: SystemChoices.optional(),
    firmware: FirmwareSection.partial().strict().optional(),
    /** adds a disk */
    addDisk: DiskChoice.optional(),
    /** an ISO in the first optical drive (one is added when there is none); null ejects */
    iso: AbsPath.nullable().optional(),
    /** the whole list of network cards, as it is to be */
    nics: z.array(NicEdit).max(MAX_NICS, `a VM can have at most ${MAX_NICS} network cards`).optional(),
    /** direct kernel boot; null removes a setting (without a kernel, initrd and append go too) */
    boot: z
      .object({ kernel: AbsPath.nullable().optional(), initrd: AbsPath.nullable().optional(), append: BootSection.shape.append.unwrap().nullable().optional() })
      .strict()
      .optional(),
    features: FeaturesSection.partial().strict().optional(),
    recovery: RecoverySection.partial().strict().optional(),
    /** shared folders to add (after those that stay) */
    addShares: ShareRequests.optional(),
    /** tags of shared folders to remove */
    removeShares: z.array(ShareTag).max(MAX_SHARES).optional(),
    /** a TPM 2.0 on or off (its state is kept while it is off) */
    tpm: z.boolean().optional(),
    /** the display's clipboard shared with the guest, or not */
    display: DisplaySection.pick({ clipboard: true }).strict().optional(),
    /** the group it goes to ('/': none); also while it runs */
    group: GroupPath.optional(),
    /** tags to add and to remove (without regard to case); also while it runs */
    addTags: Tags.optional(),
    removeTags: Tags.optional(),
  })
  .strict();
export type VmModifyInput = z.infer<typeof VmModifyInput>;

export { GuestInfo };

export const VmSummary = z.object({
  id: z.string(),
  name: z.string(),
  state: VmState,
  osType: z.string(),
  accelerator: z.enum(['kvm', 'tcg']),
  /** what the guest agent says (host name, OS, addresses), while the VM runs */
  guest: GuestInfo.optional(),
  /** the addresses its cards hold (DHCP leases of Hangar's networks), while it runs */
  ipAddresses: z.array(z.string()).optional(),
  /** its group ('/': none), such as '/lab/web' */
  group: z.string().default('/'),
  tags: z.array(z.string()).default([]),
  /** the VM's notes (its description) */
  notes: z.string().default(''),
});
export type VmSummary = z.infer<typeof VmSummary>;

export const DiskDetails = z.object({
  id: z.string(),
  bus: z.string(),
  path: z.string(),
  format: z.string(),
  virtualSizeBytes: z.number(),
  actualSizeBytes: z.number().optional(),
  chain: z.array(z.string()),
  /** the snapshots whose images include this disk (it cannot be removed while they exist) */
  heldBySnapshots: z.array(z.string()).optional(),
  /** the image is the user's, used in place: Hangar never deletes it */
  inPlace: z.boolean().optional(),
});

export const SnapshotItem = z.object({
  id: z.string(),
  name: z.string(),
  parentId: z.string().nullable(),
  createdAt: z.string(),
  /** taken while running: restoring it brings the VM back running at that moment */
  live: z.boolean(),
  description: z.string(),
  /** bytes of the snapshot's own images (what deleting it frees, before merging) */
  sizeBytes: z.number().optional(),
  /** a screen thumbnail exists (snapshots of a running VM) */
  hasThumbnail: z.boolean().optional(),
  /** a live snapshot's RAM was written while the guest ran ('background'), or with the guest paused */
  liveMethod: z.enum(['background', 'paused']).optional(),
  /** how long the guest was paused for it, in ms */
  pauseMs: z.number().optional(),
  /** the guest's file systems were frozen (by its agent) around the disk switch */
  quiesced: z.boolean().optional(),
});
export type SnapshotItem = z.infer<typeof SnapshotItem>;

const SnapshotName = z.string().max(10_000);
const SnapshotRef = z.string().min(1, 'a snapshot name or id is needed').max(4096);

export const SnapshotList = z.object({
  snapshots: z.array(SnapshotItem),
  currentSnapshotId: z.string().nullable(),
  /** the current state has changes that no snapshot holds (restoring would discard them) */
  currentStateChanged: z.boolean().optional(),
});

export const SnapshotDeletePlan = z.object({
  snapshot: SnapshotItem,
  /** images based on this snapshot's images, which receive its data */
  children: z.number(),
  bytesToMerge: z.number(),
  freeBytesNeeded: z.number(),
  freeBytesAvailable: z.number(),
  estimatedSeconds: z.number(),
  /** linked clones that depend on it: deleting is refused while there are any */
  blockedBy: z.array(z.string()),
});

export const CertificateReport = z.object({
  file: z.string(),
  subject: z.string(),
  issuer: z.string(),
  validFrom: z.string(),
  validTo: z.string(),
  expired: z.boolean(),
  notYetValid: z.boolean(),
  selfSigned: z.boolean(),
  signatureValid: z.boolean(),
  trustedBySystem: z.boolean(),
  problem: z.string().optional(),
});

export const ImportReview = z.object({
  file: z.string(),
  kind: z.enum(['ova', 'ovf', 'vbox', 'vmx']),
  descriptor: z.string(),
  ovfVersion: z.enum(['0.9', '1.x', '2.x']),
  manifest: z.object({ file: z.string(), algorithms: z.array(z.string()), entries: z.number() }).nullable(),
  certificate: CertificateReport.nullable(),
  machines: z.array(MachinePlan),
  warnings: z.array(z.string()),
  targetFolder: z.string(),
  /** the networks the appliance's cards name, and the Hangar network each maps to unless the import says otherwise */
  networks: z.array(SourceNetwork),
});
export type ImportReview = z.infer<typeof ImportReview>;

export const VmDetails = z.object({
  id: z.string(),
  name: z.string(),
  state: VmState,
  stateReason: z.string().optional(),
  osType: z.string(),
  osLabel: z.string(),
  description: z.string(),
  group: z.string().default('/'),
  tags: z.array(z.string()).default([]),
  cpus: z.number(),
  memoryMiB: z.number(),
  firmware: Firmware,
  chipset: z.string(),
  accelerator: z.enum(['kvm', 'tcg']),
  accelReason: z.string(),
  accelSetting: Accel,
  nested: z.boolean(),
  restartOnCrash: z.boolean(),
  maxRestartsPerMinute: z.number(),
  qemuPid: z.number().optional(),
  disks: z.array(DiskDetails),
  opticals: z.array(z.object({ id: z.string(), bus: z.string(), path: z.string().nullable() })),
  nics: z.array(
    z.object({
      id: z.string(),
      model: z.string(),
      mac: z.string(),
      /** the network's name; null: user-mode NAT */
      network: z.string().nullable(),
      networkId: z.string().nullable(),
      linkUp: z.boolean(),
      forwards: z.array(PortForward),
      /** what the card holds now (DHCP leases of Hangar's networks) */
      ipAddresses: z.array(z.string()),
    }),
  ),
  boot: z.object({ order: z.array(z.string()), kernel: z.string().optional(), initrd: z.string().optional(), append: z.string().optional() }),
  display: z.object({ vga: z.string(), vnc: z.boolean(), clipboard: z.boolean().optional() }),
  serial: z.boolean(),
  /** a TPM 2.0 (swtpm), its state in the VM's folder */
  tpm: z.boolean(),
  /** UEFI Secure Boot (Microsoft-enrolled variables) */
  secureBoot: z.boolean(),
  /** host folders the guest can mount, by tag */
  shares: z.array(z.object({ tag: z.string(), hostPath: z.string(), readOnly: z.boolean(), mode: z.enum(['virtiofs', '9p']) })),
  /** the guest agent: whether one answers, and what it says about the guest */
  guest: GuestInfo,
  folder: z.string(),
  createdAt: z.string(),
  snapshots: z.array(SnapshotItem),
  currentSnapshotId: z.string().nullable(),
  /** a linked clone: the VM and snapshot whose images its disks are based on */
  linkedTo: z.object({ vmId: z.string(), vmName: z.string(), snapshotId: z.string().nullable(), snapshotName: z.string().nullable() }).nullable().optional(),
  /** linked clones based on this VM's snapshots */
  dependents: z.array(z.object({ vmId: z.string(), vmName: z.string(), snapshotId: z.string().nullable(), snapshotName: z.string().nullable() })).optional(),
  /** disagreements between the inventory and the files on disk, found at start-up (never fixed silently) */
  problems: z.array(z.string()).optional(),
  /** USB devices: images as mass storage, host devices by vendor and product */
  usb: z.array(UsbDevice).optional(),
  /** made from a cloud image: the account and the forwarded SSH port (`hangar ssh`) */
  cloudInit: z.object({ user: z.string(), hostname: z.string(), sshPort: z.number().nullable(), identityFile: z.string().nullable() }).nullable().optional(),
  /** the library image the VM's disk is based on */
  baseImage: z.object({ id: z.string(), name: z.string() }).nullable().optional(),
  /** an unattended installation that has not finished: what is being installed */
  install: z.object({ osName: z.string(), media: z.string() }).nullable().optional(),
  /** scheduled snapshots: how often, how many are kept, when the next is due; null: none */
  schedule: ScheduleInfo.nullable().optional(),
});
export type VmDetails = z.infer<typeof VmDetails>;

export const LibraryImage = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  kind: z.enum(['disk', 'iso']),
  format: z.string(),
  virtualSizeBytes: z.number(),
  sizeBytes: z.number(),
  osType: z.string().nullable(),
  osinfoId: z.string().nullable(),
  osName: z.string().nullable(),
  osVersion: z.string().nullable(),
  source: z.string(),
  createdAt: z.string(),
  /** the VMs made from it */
  vms: z.array(z.string()),
});
export type LibraryImage = z.infer<typeof LibraryImage>;

/** What an ISO or disk image is, by libosinfo's database: `known` false for media it does not know. */
export const Detection = z.object({
  file: z.string(),
  kind: z.enum(['iso', 'disk']),
  known: z.boolean(),
  osType: z.string().nullable(),
  osinfoId: z.string().nullable(),
  name: z.string().nullable(),
  version: z.string().nullable(),
  /** Hangar can install it without a question */
  unattended: z.boolean(),
  /** why not, when it cannot (unknown media included) */
  unattendedUnavailable: z.string().nullable(),
  live: z.boolean(),
});
export type Detection = z.infer<typeof Detection>;

export const HostInfo = z.object({
  qemuVersion: z.string(),
  qemuBinary: z.string(),
  accelerator: z.enum(['kvm', 'tcg']),
  accelReason: z.string(),
  kvm: z.object({ device: z.string(), probe: z.string(), detail: z.string().optional() }),
  ovmf: z.object({ code: z.string(), vars: z.string() }).nullable(),
  /** who QEMU runs as, and with which capabilities (src-vmm/qemu/privileges.ts) */
  qemuPrivileges: z.object({ kind: z.enum(['user', 'root-without-capabilities', 'root-with-capabilities']), summary: z.string() }).optional(),
  /** whether a live snapshot keeps the guest running while its memory is saved here, and why */
  liveSnapshots: z.object({ method: z.enum(['background', 'paused']), why: z.string() }).optional(),
  /** Secure Boot: OVMF's Secure Boot firmware and Microsoft-enrolled variables, or null */
  ovmfSecureBoot: z.object({ code: z.string(), vars: z.string() }).nullable().optional(),
  /** TPMs: swtpm, or why there is none */
  swtpm: z.object({ available: z.boolean(), binary: z.string().optional(), reason: z.string().optional() }).optional(),
  /** virtio-fs shares: the virtiofsd used, or why virtio-fs cannot run here (9p shares still can) */
  virtiofs: z.object({ available: z.boolean(), binary: z.string().optional(), reason: z.string().optional() }).optional(),
  ownerPid: z.number(),
  ownerKind: z.string(),
  home: z.string(),
  /** the host's logical CPUs and memory: the limits the interface warns about */
  hostCpus: z.number().optional(),
  hostMemoryMiB: z.number().optional(),
  /** the user's own folders, for defaults such as where an export goes (not Hangar's home) */
  userFolders: z.object({ home: z.string(), documents: z.string().nullable() }).optional(),
});

export const OsTypeInfo = z.object({
  id: z.string(),
  label: z.string(),
  family: z.string(),
  defaults: z.object({
    cpus: z.number(),
    memoryMiB: z.number(),
    diskGiB: z.number(),
    firmware: z.string(),
    chipset: z.string(),
    diskBus: z.string(),
    nicModel: z.string(),
    tpm: z.boolean().optional(),
    secureBoot: z.boolean().optional(),
  }),
});

export const TaskInfo = z.object({
  id: z.string(),
  kind: z.string(),
  vm: z.string().nullable(),
  state: z.string(),
  progress: z.number(),
  phase: z.string().nullable(),
  message: z.string().nullable(),
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** the id of the task's VM (`vm` is its name when the task started) */
  vmId: z.string().nullable().optional(),
  /** what the task is about besides its VM: a snapshot's name, a clone's source VM, an export's file */
  subject: z.string().nullable().optional(),
  /** how a task that succeeded ended, in one sentence (e.g. "the guest shut down") */
  outcome: z.string().nullable().optional(),
});
export type TaskInfo = z.infer<typeof TaskInfo>;

const RefInput = z.object({ ref: Ref }).strict();

export const NetworkMode = z.enum(choiceValues(NETWORK_MODES));
export const NetworkItem = z.object({
  id: z.string(),
  name: z.string(),
  mode: NetworkMode,
  subnet: z.string().nullable(),
  dhcp: z.boolean(),
  bridge: z.string(),
  /** the VMs with a card on it */
  vms: z.array(z.string()),
});
export type NetworkItem = z.infer<typeof NetworkItem>;
export const NetworkDetails = NetworkItem.extend({
  gateway: z.string().nullable(),
  dhcpRange: z.object({ first: z.string(), last: z.string() }).nullable(),
  transport: z.enum(['bridge', 'multicast']),
  up: z.boolean(),
  reservations: z.array(z.object({ vm: z.string(), nic: z.string(), mac: z.string(), address: z.string(), hostname: z.string().nullable(), leased: z.boolean() })),
});
export type NetworkDetails = z.infer<typeof NetworkDetails>;
export { NetworkCreateInput };
const Ok = z.null();

export const hangarApi = {
  'host.info': method(z.object({}).strict(), HostInfo),
  'os.list': method(z.object({}).strict(), z.object({ osTypes: z.array(OsTypeInfo) })),
  'vm.list': method(
    z
      .object({
        /** VMs in this group or its subgroups */
        group: GroupPath.optional(),
        /** VMs with this tag (without regard to case) */
        tag: Tag.optional(),
        /** every word in the name, a tag, the OS or the notes (src-main/groups/search.ts) */
        search: z.string().max(1000).optional(),
      })
      .strict(),
    z.object({ vms: z.array(VmSummary) }),
  ),
  /** moves VMs to a group and adds or removes tags, all of them in one transaction (drag and drop, bulk tags) */
  'vm.organize': method(
    z
      .object({ refs: z.array(Ref).min(1, 'name at least one VM').max(100_000), group: GroupPath.optional(), addTags: Tags.optional(), removeTags: Tags.optional() })
      .strict(),
    z.object({ vms: z.array(VmSummary) }),
  ),
  'vm.show': method(RefInput, VmDetails),
  'vm.create': method(VmCreateInput, VmDetails, { long: true }),
  'vm.modify': method(VmModifyInput, VmDetails, { long: true }),
  'vm.delete': method(
    z.object({ ref: Ref, keepFiles: z.boolean().default(false), /** keep the images linked clones are based on, delete the rest */ keepShared: z.boolean().default(false) }).strict(),
    z.object({ id: z.string(), keptFiles: z.array(z.string()) }),
  ),
  'vm.start': method(
    z.object({ ref: Ref, waitSerial: z.string().min(1).max(4096).optional(), timeoutS: z.number().positive().max(86_400).default(300) }).strict(),
    z.object({ id: z.string(), state: VmState, accelerator: z.enum(['kvm', 'tcg']), serialMatched: z.boolean().optional() }),
    { long: true },
  ),
  'vm.stop': method(
    z
      .object({
        ref: Ref,
        force: z.boolean().default(false),
        timeoutS: z.number().positive().max(3600).default(120),
        /**
         * false: return once the ACPI power button is pressed (the VM is still running then); a
         * 'vm.stop' task watches for the guest to go, for timeoutS. Default true: wait for it.
         */
        wait: z.boolean().default(true),
      })
      .strict(),
    z.object({ id: z.string(), state: VmState }),
    { long: true },
  ),
  'vm.pause': method(RefInput, z.object({ id: z.string(), state: VmState })),
  'vm.resume': method(RefInput, z.object({ id: z.string(), state: VmState })),
  'vm.reset': method(RefInput, z.object({ id: z.string(), state: VmState })),
  'vm.save': method(RefInput, z.object({ id: z.string(), state: VmState }), { long: true }),
  'vm.serial': method(z.object({ ref: Ref, maxBytes: z.number().int().positive().max(64 << 20).default(1 << 20) }).strict(), z.object({ data: z.string() /* base64 */ })),
  'vm.screenshot': method(z.object({ ref: Ref, file: AbsPath }).strict(), z.object({ file: z.string(), sizeBytes: z.number() })),
  /** runs a program in the guest through its agent: its exit status and output (base64), as `VBoxManage guestcontrol run` */
  'vm.exec': method(
    z
      .object({
        ref: Ref,
        command: z.string().min(1, 'a command is needed').max(4096),
        args: z.array(z.string().max(1 << 16)).max(1024).default([]),
        /** base64 of what the command reads on stdin */
        input: z.string().max(1 << 24).optional(),
        timeoutS: z.number().positive().max(86_400).default(300),
      })
      .strict(),
    z.object({ exitCode: z.number().int(), signal: z.number().int().nullable(), stdout: z.string(), stderr: z.string(), truncated: z.boolean() }),
    { long: true },
  ),
  'vm.send': method(z.object({ ref: Ref, text: z.string().max(1 << 16), enter: z.boolean().default(true) }).strict(), Ok),
  /** subscribes this connection to `vm.console` events of one VM; returns the recent log as a backlog */
  'vm.consoleAttach': method(z.object({ ref: Ref, backlogBytes: z.number().int().min(0).max(1 << 20).default(16_384) }).strict(), z.object({ id: z.string(), backlog: z.string() })),
  'vm.consoleDetach': method(RefInput, Ok),
  /** the VM's display as a websocket path on the web server (noVNC speaks RFB over it); the token is added by the client */
  'vm.display': method(RefInput, z.object({ id: z.string(), path: z.string() })),
  /** server-side file browsing for the web mode's file fields (the Electron app uses native dialogs) */
  'fs.list': method(
    z.object({ path: AbsPath, filter: z.enum(['all', 'iso', 'disk', 'kernel', 'appliance']).default('all') }).strict(),
    z.object({
      path: z.string(),
      parent: z.string().nullable(),
      entries: z.array(z.object({ name: z.string(), path: z.string(), kind: z.enum(['file', 'dir']), sizeBytes: z.number() })),
    }),
  ),
  'vm.clone': method(
    z
      .object({
        ref: Ref,
        name: z.string().max(10_000),
        linked: z.boolean().default(false),
        /** a snapshot of the source; without it, the current state */
        snapshot: SnapshotRef.optional(),
        mac: z.enum(['new', 'keep']).default('new'),
        /** full clones only: 'all' copies every snapshot too, keeping the tree */
        mode: z.enum(['current', 'all']).default('current'),
      })
      .strict(),
    VmDetails,
    { long: true },
  ),
  /** reads an .ova/.ovf (or a VirtualBox .vbox / VMware .vmx machine), verifies it and maps it: what the review dialog shows; writes nothing */
  'appliance.review': method(z.object({ path: AbsPath }).strict(), ImportReview),
  /** imports every machine of the appliance with the review's edits (by machine index); all or nothing */
  'appliance.import': method(
    z
      .object({
        path: AbsPath,
        machines: z.array(MachineEdits).max(256).default([]),
        /** where the appliance's networks go (by source name); those not listed take the review's suggestion */
        networks: z.array(NetworkMapping).max(64).default([]),
      })
      .strict(),
    z.object({ vms: z.array(VmDetails) }),
    { long: true },
  ),
  /** writes VMs as an OVF appliance (.ova, or .ovf with its files); checked by the importer before it is kept */
  'appliance.export': method(
    z
      .object({
        refs: z.array(Ref).min(1, 'name at least one VM to export').max(64),
        file: AbsPath,
        ovfVersion: z.enum(['1.0', '2.0']).default('1.0'),
        profile: z.enum(['virtualbox', 'vmware', 'kvm']).default('kvm'),
        manifest: z.enum(['sha256', 'sha1', 'none']).default('sha256'),
        snapshot: SnapshotRef.optional(),
        product: z
          .object({
            product: z.string().max(256).default(''),
            vendor: z.string().max(256).default(''),
            version: z.string().max(256).default(''),
            productUrl: z.string().max(2048).default(''),
            vendorUrl: z.string().max(2048).default(''),
          })
          .strict()
          .optional(),
        eula: z.string().max(1 << 20).optional(),
      })
      .strict(),
    z.object({ file: z.string(), sizeBytes: z.number(), manifest: z.enum(['sha256', 'sha1', 'none']), machines: z.array(z.string()), files: z.array(z.string()), warnings: z.array(z.string()) }),
    { long: true },
  ),
  /** takes a disk out of a stopped VM; its image is deleted only when asked and only when Hangar made it */
  'vm.removeDisk': method(
    z.object({ ref: Ref, diskId: z.string().min(1).max(64), deleteImage: z.boolean().default(false) }).strict(),
    z.object({ id: z.string(), diskId: z.string(), deletedFiles: z.array(z.string()), keptFiles: z.array(z.string()) }),
  ),
  /** turns a linked clone into a full one: its disks take in all the data they were based on */
  'vm.promote': method(RefInput, VmDetails, { long: true }),
  'snapshot.list': method(RefInput, SnapshotList),
  'snapshot.take': method(
    z
      .object({
        ref: Ref,
        name: SnapshotName,
        description: z.string().max(4096).default(''),
        /** freeze the guest's file systems around the take: 'auto' when its agent answers, 'on' or refused, 'off' never */
        quiesce: z.enum(['auto', 'on', 'off']).default('auto'),
      })
      .strict(),
    SnapshotItem,
    { long: true },
  ),
  'snapshot.restore': method(z.object({ ref: Ref, snapshot: SnapshotRef }).strict(), z.object({ id: z.string(), state: VmState }), { long: true }),
  'snapshot.delete': method(z.object({ ref: Ref, snapshot: SnapshotRef }).strict(), z.null(), { long: true }),
  'snapshot.deletePlan': method(z.object({ ref: Ref, snapshot: SnapshotRef }).strict(), SnapshotDeletePlan),
  'snapshot.edit': method(z.object({ ref: Ref, snapshot: SnapshotRef, name: SnapshotName.optional(), description: z.string().max(4096).optional() }).strict(), SnapshotItem),
  /** the screen when a live snapshot was taken, as base64 PNG */
  'snapshot.thumbnail': method(z.object({ ref: Ref, snapshot: SnapshotRef }).strict(), z.object({ png: z.string() })),
  'tasks.list': method(z.object({ limit: z.number().int().positive().max(1000).default(50) }).strict(), z.object({ tasks: z.array(TaskInfo) })),
  'task.cancel': method(z.object({ id: z.string().min(1).max(100) }).strict(), Ok),
  /** a headless owner lets another owner (hangar serve, the desktop app) take the home; its VMs keep running */
  'owner.handover': method(z.object({ to: z.string().max(200) }).strict(), z.object({ pid: z.number() })),
  'owner.shutdown': method(z.object({ force: z.boolean().default(false) }).strict(), z.object({ stoppedVms: z.array(z.string()) })),
  'network.list': method(z.object({}).strict(), z.object({ networks: z.array(NetworkItem), privileged: z.boolean() })),
  'network.show': method(RefInput, NetworkDetails),
  /** a network in the inventory; its bridge, dnsmasq and rules are made when a VM first uses it */
  'network.create': method(NetworkCreateInput, NetworkDetails),
  /** refused while VMs have cards on it (naming them); what the host has of it goes too */
  'network.delete': method(RefInput, z.object({ id: z.string() })),
  /** adds an image (a cloud image, or an ISO) to the library: copied once into the home, read-only */
  'image.add': method(
    z.object({ path: AbsPath, name: z.string().max(10_000).optional(), /** copy a disk image with every file it reads */ flatten: z.boolean().default(false) }).strict(),
    LibraryImage,
    { long: true },
  ),
  'image.list': method(z.object({}).strict(), z.object({ images: z.array(LibraryImage) })),
  /** refused while VMs are made from it */
  'image.remove': method(z.object({ ref: z.string().min(1, 'an image name or id is needed').max(4096) }).strict(), z.object({ id: z.string() })),
  /** the OS of an ISO or disk image, with libosinfo's database */
  'os.detect': method(z.object({ path: AbsPath }).strict(), Detection),
  /** how `hangar ssh` reaches a VM made from a cloud image */
  'vm.sshInfo': method(
    RefInput,
    z.object({ id: z.string(), name: z.string(), state: VmState, host: z.string(), port: z.number(), user: z.string(), identityFile: z.string().nullable(), knownHostsFile: z.string(), hostKeyAlias: z.string() }),
  ),
  /** the person's public keys (~/.ssh/*.pub), for the New VM wizard's default */
  'ssh.keys': method(z.object({}).strict(), z.object({ keys: z.array(z.object({ path: z.string(), type: z.string(), comment: z.string() })) })),
  /** every disk image and ISO the home knows, with its chain and users; `unused`: those in the home nothing uses */
  'media.list': method(MediaListInput, MediaListOutput),
  /** grows a disk: offline with qemu-img, online (running) with QMP; never shrinks */
  'disk.resize': method(DiskResizeInput, DiskResizeOutput, { long: true }),
  /** rewrites a stopped VM's disk without the blocks its guest freed (a task: progress, cancel) */
  'disk.compact': method(DiskCompactInput, DiskCompactOutput, { long: true }),
  /** the host's USB devices, and whether this user may pass each through */
  'usb.list': method(z.object({}).strict(), UsbListOutput),
  /** an image as USB mass storage, or a host device; hot-plugged while the VM runs */
  'usb.attach': method(UsbAttachInput, UsbChangeOutput),
  'usb.detach': method(UsbDetachInput, UsbChangeOutput),
  ...remoteApi,
  ...statsApi,
  ...scheduleApi,
  ...migrationApi,
} satisfies Contract;
export type HangarApi = typeof hangarApi;

/** Events the owner emits. */
export const hangarEvents = {
  'vm.stateChanged': z.object({ id: z.string(), name: z.string(), state: VmState, reason: z.string().optional() }),
  'vm.console': z.object({ id: z.string(), data: z.string() /* base64 */ }),
  /** the guest agent of a running VM came, went, or said something new */
  'vm.guestChanged': z.object({ id: z.string(), guest: GuestInfo }),
  'task.progress': TaskInfo,
  'inventory.changed': z.object({ id: z.string().optional() }),
  /** desktop app: a .ova/.ovf was opened (command line, second instance, macOS open-file) */
  'app.openFile': z.object({ path: z.string() }),
  /** desktop app: a menu command for the page */
  'app.menu': z.object({ command: z.enum(['newVm', 'importAppliance']) }),
  ...remoteEvents,
  ...statsEvents,
};

// A VirtualBox (.vbox) or VMware (.vmx) machine, read into one shape and then written as the
// normalised OVF descriptor the appliance importer maps (pure). So a machine file gets exactly the
// OVF importer's rules and warnings (mapping.ts), the same MachinePlan, the same review dialog,
// `--dry-run` and provisioning: the machine file is, in effect, an appliance that was never exported.
// The controllers and devices become the items VirtualBox's and VMware's own OVF exports write.
import type { OvfConfigEntry, OvfDescriptor, OvfDisk, OvfFile, OvfItem, VBoxMachine } from './descriptor.js';

export type MachineFileKind = 'vbox' | 'vmx';

/** A storage controller as the product names it, as an OVF resource type and subtype. */
export interface MachineController {
  id: string;
  /** CIM resource type: 5 IDE, 6 SCSI, 20 other storage (SATA, NVMe, VirtIO SCSI) */
  resourceType: number;
  subtype: string;
  /** IDE channel (VirtualBox's port, VMware's ideN) */
  address: number | null;
  name: string;
}

export interface MachineDevice {
  controller: string;
  /** the position on the controller (port, unit, IDE master/slave) */
  unit: number | null;
  kind: 'disk' | 'cdrom' | 'floppy';
  /** for people: 'SATA port 0', 'scsi0:1' */
  name: string;
  /** a disk's file as the machine file names it (the current state's image); an image in a drive */
  file: string | null;
  /** VirtualBox: the image's chain as the media registry records it, base first, leaf last */
  chain?: { location: string; format: string }[];
}

export interface MachineNic {
  /** the adapter type as an OVF subtype ('E1000', 'VmxNet3', 'PCNet32', VirtualBox's type in vbox) */
  subtype: string;
  mac: string | null;
  connection: string;
}

export interface MachineSnapshots {
  /** every snapshot's name, in tree order */
  names: string[];
  /** the current snapshot's name (null: none, or not known) */
  current: string | null;
  /** whether the current state differs from the current snapshot (null: the file does not say) */
  currentStateModified: boolean | null;
}

export interface MachineFile {
  kind: MachineFileKind;
  name: string | null;
  description: string | null;
  /** VirtualBox's settings tree, as the OVF importer reads it from a vbox:Machine section */
  vbox: VBoxMachine | null;
  /** VMware's guestOS */
  vmwOsType: string | null;
  /** VMware: numvcpus and memsize as written (VirtualBox's are in `vbox`) */
  cpus: string | null;
  memoryMiB: string | null;
  /** VMware settings the mapping reads (firmware, nvram, Secure Boot, nested virtualization) */
  vmwConfig: OvfConfigEntry[];
  /** VMware's virtualHW.version */
  hardwareVersion: string | null;
  controllers: MachineController[];
  devices: MachineDevice[];
  nics: MachineNic[];
  /** everything else the machine has, as OVF items the mapping explains (USB, sound, serial, floppy) */
  others: { resourceType: number; subtype: string; name: string }[];
  snapshots: MachineSnapshots;
  /** facts about the file itself, one sentence each */
  warnings: string[];
}

/** A disk of the machine as found on disk: where its current state is (relative to the machine's folder) and its size. */
export interface ResolvedDisk {
  /** index into MachineFile.devices */
  device: number;
  href: string;
  capacityBytes: number;
  format: string;
}

function item(p: Partial<OvfItem> & { resourceType: number; instanceId: string; elementName: string }): OvfItem {
  return {
    element: 'Item',
    resourceSubType: '',
    otherResourceType: '',
    parent: null,
    address: null,
    addressOnParent: null,
    busNumber: null,
    hostResources: [],
    connections: [],
    virtualQuantity: null,
    reservation: null,
    allocationUnits: null,
    automaticAllocation: null,
    macAddress: null,
    caption: '',
    description: '',
    required: true,
    configurations: null,
    bound: null,
    coresPerSocket: null,
    ovirt: { type: '', device: '', numOfSockets: null, cpuPerSocket: null, threadsPerCpu: null, usbPolicy: '' },
    line: 0,
    ...p,
  };
}

const RT = { processor: 3, memory: 4, disk: 17, cd: 15, floppy: 14, ethernet: 10 } as const;

/**
 * The OVF descriptor the machine would have been exported as: its disks are the resolved ones (their
 * current state, inside the machine's folder); drives with an image name it only (it is not copied).
 */
export function machineToDescriptor(m: MachineFile, disks: ResolvedDisk[]): OvfDescriptor {
  const references: OvfFile[] = [];
  const ovfDisks: OvfDisk[] = [];
  const items: OvfItem[] = [];
  let n = 0;
  const id = () => String(++n);

  if (m.cpus !== null) items.push(item({ resourceType: RT.processor, instanceId: id(), elementName: 'virtual CPUs', virtualQuantity: m.cpus }));
  if (m.memoryMiB !== null) items.push(item({ resourceType: RT.memory, instanceId: id(), elementName: 'memory', virtualQuantity: m.memoryMiB, allocationUnits: 'byte * 2^20' }));
  const controllerIds = new Map<string, string>();
  for (const c of m.controllers) {
    const iid = id();
    controllerIds.set(c.id, iid);
    items.push(item({ resourceType: c.resourceType, resourceSubType: c.subtype, instanceId: iid, elementName: c.name, address: c.address === null ? null : String(c.address) }));
  }
  m.devices.forEach((d, i) => {
    const parent = controllerIds.get(d.controller) ?? null;
    const common = { instanceId: id(), elementName: d.name, parent, addressOnParent: d.unit === null ? null : String(d.unit) };
    if (d.kind === 'floppy') {
      items.push(item({ ...common, resourceType: RT.floppy }));
      return;
    }
    if (d.kind === 'cdrom') {
      // An image in a drive is the host's file, not the machine's: named (the mapping says it stays empty), not copied.
      items.push(item({ ...common, resourceType: RT.cd, hostResources: d.file ? [/^(ovf:)?\/*(disk|file)\//i.test(d.file) ? `./${d.file}` : d.file] : [] }));
      return;
    }
    const r = disks.find((x) => x.device === i);
    if (!r) return;
    // The disk is called by where it sits in the machine ('SATA, port 0', 'scsi0:0'): what the review shows.
    const diskId = m.devices.some((x, j) => j !== i && x.name === d.name) ? `${d.name} (${i})` : d.name;
    const fileId = `machine-file-${i}`;
    references.push({ id: fileId, href: r.href, size: null, compression: 'none', chunkSize: null, line: 0 });
    ovfDisks.push({ diskId, fileRef: fileId, capacity: String(r.capacityBytes), capacityUnits: null, sizeGiB: null, populatedSize: null, format: r.format, diskInterface: null, boot: false, vboxUuid: null, line: 0 });
    items.push(item({ ...common, resourceType: RT.disk, hostResources: [`ovf:/disk/${diskId}`] }));
  });
  for (const nic of m.nics) {
    items.push(item({ resourceType: RT.ethernet, instanceId: id(), elementName: `Ethernet adapter on '${nic.connection}'`, resourceSubType: nic.subtype, connections: nic.connection ? [nic.connection] : [], address: nic.mac }));
  }
  for (const o of m.others) items.push(item({ resourceType: o.resourceType, resourceSubType: o.subtype, instanceId: id(), elementName: o.name }));

  return {
    version: '1.x',
    namespace: 'http://schemas.dmtf.org/ovf/envelope/1',
    references,
    disks: ovfDisks,
    networks: [],
    configurations: [],
    collections: [],
    unknownSections: [],
    duplicateFileIds: [],
    duplicateDiskIds: [],
    systems: [
      {
        id: m.name ?? '',
        name: m.name,
        annotation: m.description,
        description: null,
        os: m.vmwOsType ? { id: null, version: null, description: null, vmwOsType: m.vmwOsType, vboxOsType: null, ovirtId: null, line: 0 } : null,
        hardware: [
          {
            systemTypes: m.kind === 'vbox' ? ['virtualbox-2.2'] : [`vmx-${m.hardwareVersion ?? '07'}`],
            systemIdentifier: m.name,
            items,
            vmwConfig: m.vmwConfig,
            xenConfig: [],
            line: 0,
          },
        ],
        products: [],
        eulas: [],
        vbox: m.vbox,
        ovirtBiosType: null,
        enclosing: [],
        unknownSections: [],
        line: 0,
      },
    ],
  };
}

/** What the import says about the source product's snapshots: they are flattened into the current state. */
export function snapshotWarning(m: MachineFile): string | null {
  const s = m.snapshots;
  if (s.names.length === 0) return null;
  const product = m.kind === 'vbox' ? 'VirtualBox' : 'VMware';
  const shown = s.names.slice(0, 5).map((x) => `'${x.length > 40 ? `${x.slice(0, 39)}…` : x}'`);
  const list = `${shown.join(', ')}${s.names.length > 5 ? ', …' : ''}`;
  const count = s.names.length === 1 ? 'a snapshot' : `${s.names.length} snapshots`;
  return `The machine has ${count} in ${product} (${list}); Hangar imports its current state${s.currentStateModified ? ' (changed since the last snapshot)' : ''}, with the snapshots flattened into it: they are not imported as snapshots.`;
}

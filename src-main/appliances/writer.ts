// The OVF descriptor of an export: one envelope for one or more Hangar VMs, written for a target
// profile, because each consumer refuses what the others write (VMware refuses VirtualBox's
// 'virtualbox-2.2' hardware family, VirtualBox knows only six controller subtypes, neither has a
// VirtIO block device). Each profile's choices are listed in PROFILE_NOTES, and everything the
// target cannot carry becomes a warning. Hangar's own importer (mapping.ts) reads every profile's
// output back to the same machine: CPUs, memory, firmware, OS type, disks and NICs.
//
// The layout follows DSP0243/DSP8023: References, DiskSection, NetworkSection, then one
// VirtualSystem (or a VirtualSystemCollection of them), each with OperatingSystemSection and
// VirtualHardwareSection (System, then Item, then OVF 2's EthernetPortItem and StorageItem).
// rasd/sasd/epasd children are in alphabetical order, as the CIM schemas' sequences (and VMware)
// require. Devices sit where QEMU puts them (src-vmm/qemu/devices.ts): disks first, then optical
// drives, each in config order. Pure.
import { HangarError } from '../../src-vmm/base/errors.js';
import { getOsType, type NicModel, type OpticalBus, type OsType, type OsTypeId, type VmConfig } from '../../src-vmm/model/index.js';

export type ExportProfile = 'virtualbox' | 'vmware' | 'kvm';

export interface ExportProduct {
  product: string;
  vendor: string;
  version: string;
  productUrl: string;
  vendorUrl: string;
}

export interface ExportDisk {
  /** the VmConfig disk id */
  diskId: string;
  /** the VMDK's name in the package, relative */
  href: string;
  /** the VMDK file's size */
  sizeBytes: number;
  /** the disk's virtual size */
  capacityBytes: number;
  /** bytes the guest has written (allocated in the source image) */
  populatedBytes: number;
}

export interface ExportMachine {
  config: VmConfig;
  /** one per config.disks entry, same order */
  disks: ExportDisk[];
  product: ExportProduct | null;
  eula: string | null;
}

export interface DescriptorOptions {
  ovfVersion: '1.0' | '2.0';
  profile: ExportProfile;
  machines: ExportMachine[];
  /** name of the VirtualSystemCollection when there are several machines */
  collectionName?: string;
  /** Hangar's networks by id (the cards' `network`), so each card's Connection names its network */
  networks?: Record<string, { name: string; mode: string }>;
}

/** The network a card is exported on: its Hangar network's name, or 'NAT' (user-mode NAT of its own). */
export function connectionOf(n: { network?: string | undefined }, networks: DescriptorOptions['networks']): string {
  return n.network === undefined ? 'NAT' : (networks?.[n.network]?.name ?? 'NAT');
}

const MODE_DESCRIPTIONS: Record<string, string> = {
  nat: 'A NAT network: the machines on it see each other and the host, and reach out through NAT',
  hostonly: 'A host-only network: the machines on it see each other and the host only',
  internal: 'An internal network: the machines on it see only each other',
  bridged: "A bridged network: the machines on it join the host's LAN",
};

export const STREAM_OPTIMIZED_VMDK = 'http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized';

/** The VMware hardware version written by the vmware profile: ESXi 6.7, Workstation 14, Fusion 10 and later. */
export const VMWARE_HARDWARE_VERSION = 'vmx-14';

/** Every profile, and both OVF versions. */
const COMMON_NOTES = [
  'Disks are streamOptimized VMDK files; References give each file size, the DiskSection each capacity and populated size.',
  "Each network card names its network: a Hangar network's name, or 'NAT' for a card with user-mode NAT of its own; MAC addresses are not exported (each import gets new ones) and port forwards are not part of an appliance.",
  'CD/DVD drives are exported empty: ISO images are not part of the appliance.',
  'Display, serial console and USB tablet are not described: every target adds its own.',
];

/** What each profile does, one line per choice, for the README and the export dialog. */
export const PROFILE_NOTES: Record<ExportProfile, string[]> = {
  virtualbox: [
    "Hardware family 'virtualbox-2.2', the type VirtualBox itself writes; VMware refuses it, so use the VMware profile for VMware.",
    'Operating system: the CIM id plus vbox:OSType (Linux_64, Linux24_64, Windows10_64, Windows11_64, FreeBSD_64 …).',
    "IDE: two PIIX3 controllers (Address 0 and 1), devices as master/slave; SATA: one 'AHCI' controller, AddressOnParent = port.",
    "VirtIO SCSI: resource type 20 'VirtioSCSI'; NVMe: resource type 20 'NVMe' (VirtualBox's own forms).",
    'VirtIO block disks move to the SATA controller: VirtualBox has no VirtIO block device.',
    "Network cards: e1000 → 'E1000', pcnet → 'PCNet32', virtio → 'virtio-net' (VirtualBox's virtio-net adapter); e1000e, rtl8139 and vmxnet3 become 'E1000' (VirtualBox has none of them).",
    'Memory in MegaBytes, disk capacity in bytes, as VirtualBox writes them.',
    "UEFI: recorded as vmw:Config firmware=efi (read by Hangar, Proxmox and virt-v2v), but VirtualBox reads firmware only from its own vbox:Machine settings block, which Hangar does not write: turn on EFI in the VM's System settings after importing.",
    ...COMMON_NOTES,
  ],
  vmware: [
    `Hardware family '${VMWARE_HARDWARE_VERSION}' (ESXi 6.7, Workstation 14, Fusion 10 and later), which has SATA, NVMe, e1000e, vmxnet3 and EFI.`,
    'Operating system: the CIM id plus vmw:osType (other3xLinux64Guest, windows9_64Guest, windows11_64Guest …); hosts older than vSphere 8 may not list windows11_64Guest (Windows 11).',
    'CPUs as one socket (vmw:CoresPerSocket), as Hangar runs them.',
    "IDE: two controllers (Address 0 and 1), devices as master/slave; SATA: 'vmware.sata.ahci'; NVMe: 'vmware.nvme.controller'.",
    "VirtIO SCSI becomes LSI Logic SCSI ('lsilogicsas' for Windows guests, 'lsilogic' for others): the guest needs that driver to boot from it; unit 7 is skipped (the controller's own).",
    'VirtIO block disks move to the SATA controller; CD/DVD drives on SCSI move to SATA (VMware CD drives are IDE or SATA).',
    "Network cards: e1000 → 'E1000', e1000e → 'E1000e', vmxnet3 → 'VmxNet3', pcnet → 'PCNet32'; virtio → 'VmxNet3' for Linux and BSD guests (in-kernel driver), 'E1000e' or 'E1000' for Windows and others; rtl8139 → 'E1000'.",
    "Firmware as vmw:Config firmware=bios|efi; nested virtualization as vmw:Config nestedHVEnabled. A manifest can be SHA-1 for vSphere before 6.5, whose clients refuse SHA-256.",
    'Several VMs become a VirtualSystemCollection (a vApp), which vCenter and Workstation import and standalone ESXi hosts refuse.',
    ...COMMON_NOTES,
  ],
  kvm: [
    "Hardware family 'qemu-pc' or 'qemu-q35' after the VM's chipset; every device keeps its model.",
    'Operating system: the CIM id plus vmw:osType (VMware guest ids, which Hangar reads back to the exact OS type).',
    "IDE: two PIIX3 controllers (Address 0 and 1), devices as master/slave; SATA: one 'AHCI' controller; NVMe: resource type 20 'NVMe'.",
    "VirtIO SCSI: resource type 6 'VirtioSCSI' (Proxmox maps type 6 to SCSI and type 20 to SATA).",
    "VirtIO block disks: the Disk carries oVirt's ovf:disk-interface=\"VirtIO\" (read by Hangar and oVirt); their items sit on the VirtIO SCSI controller, so importers without that attribute still give them a paravirtual disk.",
    "Network cards: 'virtio-net', 'E1000', 'E1000e', 'rtl8139', 'VmxNet3', 'PCNet32' (Proxmox keeps only e1000, e1000e and vmxnet3 and makes the others e1000).",
    'Firmware as vmw:Config firmware=bios|efi, which Proxmox and virt-v2v read.',
    'OVF 1.0 is the choice for this profile: virt-v2v and Proxmox do not read OVF 2.0 envelopes, and Proxmox reads only single-VM appliances.',
    ...COMMON_NOTES,
  ],
};

// ------------------------------------------------------------------------------------------------
// XML text

const NS = {
  ovf1: 'http://schemas.dmtf.org/ovf/envelope/1',
  ovf2: 'http://schemas.dmtf.org/ovf/envelope/2',
  rasd: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData',
  vssd: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData',
  sasd: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_StorageAllocationSettingData',
  epasd: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPortAllocationSettingData',
  cim: 'http://schemas.dmtf.org/wbem/wscim/1/common',
  vmw: 'http://www.vmware.com/schema/ovf',
  vbox: 'http://www.virtualbox.org/ovf/machine',
} as const;

// Characters XML 1.0 cannot carry (C0 controls but tab, LF and CR; lone surrogates; U+FFFE/U+FFFF)
// and the C1 controls and DEL, which nobody means in a name or a licence.
const NOT_XML = /[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

function clean(s: string): string {
  return s.replace(NOT_XML, '');
}

/** One line: tabs and line breaks become spaces, the rest cleaned. */
function oneLine(s: string): string {
  return clean(s)
    .replace(/[\t\n\r]+/g, ' ')
    .trim();
}

function escapeText(s: string): string {
  return clean(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

function escapeAttr(s: string): string {
  return clean(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

interface XNode {
  name: string;
  attrs: [string, string][];
  children: XNode[];
  /** character data; elements have either text or children */
  text: string | null;
}

type Attrs = Record<string, string | number | undefined>;

function attrList(a: Attrs): [string, string][] {
  return Object.entries(a)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => [k, String(v)]);
}

function el(name: string, attrs: Attrs = {}, children: (XNode | null)[] = []): XNode {
  return { name, attrs: attrList(attrs), children: children.filter((c): c is XNode => c !== null), text: null };
}

function txt(name: string, text: string | number, attrs: Attrs = {}): XNode {
  return { name, attrs: attrList(attrs), children: [], text: String(text) };
}

function render(n: XNode, indent: string, out: string[]): void {
  const attrs = n.attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
  if (n.text !== null) out.push(`${indent}<${n.name}${attrs}>${escapeText(n.text)}</${n.name}>`);
  else if (n.children.length === 0) out.push(`${indent}<${n.name}${attrs}/>`);
  else {
    out.push(`${indent}<${n.name}${attrs}>`);
    for (const c of n.children) render(c, `${indent}  `, out);
    out.push(`${indent}</${n.name}>`);
  }
}

/** A virtual hardware item: its CIM properties in alphabetical order, then extension elements. */
function item(element: 'Item' | 'StorageItem' | 'EthernetPortItem', fields: Record<string, string | number | undefined>, opts: { required?: false; extra?: XNode[] } = {}): XNode {
  const prefix = element === 'Item' ? 'rasd' : element === 'StorageItem' ? 'sasd' : 'epasd';
  const keys = Object.keys(fields)
    .filter((k) => fields[k] !== undefined)
    // Plain code-unit order, as the schemas list them ('AddressOnParent' before 'AllocationUnits').
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const children = keys.map((k) => txt(`${prefix}:${k}`, fields[k]!));
  return el(element, opts.required === false ? { 'ovf:required': 'false' } : {}, [...children, ...(opts.extra ?? [])]);
}

// ------------------------------------------------------------------------------------------------
// Profiles: buses, controllers and NIC models

type Group = 'ide' | 'sata' | 'scsi' | 'nvme';

/** A resource type and subtype for a controller; '' subtype writes none. */
interface ControllerKind {
  rt: number;
  subtype: string;
  label: string;
}

/** VirtualBox and VMware guest-type names for each Hangar OS type; the importer maps them back. */
const OS_HINTS: Record<OsTypeId, { vbox: string; vmw: string }> = {
  linux: { vbox: 'Linux_64', vmw: 'other3xLinux64Guest' },
  // Neither vocabulary has "Linux without VirtIO drivers"; their 2.4-era Linux is the closest
  // (no paravirtual devices), and Hangar reads it back as this type.
  'linux-legacy': { vbox: 'Linux24_64', vmw: 'other24xLinux64Guest' },
  windows11: { vbox: 'Windows11_64', vmw: 'windows11_64Guest' },
  windows10: { vbox: 'Windows10_64', vmw: 'windows9_64Guest' },
  windows7: { vbox: 'Windows7_64', vmw: 'windows7_64Guest' },
  freebsd: { vbox: 'FreeBSD_64', vmw: 'freebsd64Guest' },
  // VMware has no OpenBSD guest type; the CIM id (65) says OpenBSD.
  openbsd: { vbox: 'OpenBSD_64', vmw: 'otherGuest64' },
  other: { vbox: 'Other_64', vmw: 'otherGuest64' },
};

function controllerKind(profile: ExportProfile, group: Group, os: OsType): ControllerKind {
  switch (group) {
    case 'ide':
      return { rt: 5, subtype: profile === 'vmware' ? '' : 'PIIX3', label: 'IDE Controller' };
    case 'sata':
      return { rt: 20, subtype: profile === 'vmware' ? 'vmware.sata.ahci' : 'AHCI', label: 'SATA Controller' };
    case 'nvme':
      return { rt: 20, subtype: profile === 'vmware' ? 'vmware.nvme.controller' : 'NVMe', label: 'NVMe Controller' };
    case 'scsi':
      if (profile === 'virtualbox') return { rt: 20, subtype: 'VirtioSCSI', label: 'VirtIO SCSI Controller' };
      if (profile === 'kvm') return { rt: 6, subtype: 'VirtioSCSI', label: 'VirtIO SCSI Controller' };
      // Windows 8 and later ship the LSI SAS driver and not the parallel one; Linux and the BSDs both.
      return os.family === 'windows' ? { rt: 6, subtype: 'lsilogicsas', label: 'SCSI Controller' } : { rt: 6, subtype: 'lsilogic', label: 'SCSI Controller' };
  }
}

const NIC_LABEL: Record<NicModel, string> = { virtio: 'VirtIO', e1000: 'e1000', e1000e: 'e1000e', rtl8139: 'Realtek RTL8139', vmxnet3: 'vmxnet3', pcnet: 'PCnet' };

/** The adapter subtype a profile writes for a model, and a note when the model is not kept. */
function nicSubtype(profile: ExportProfile, model: NicModel, os: OsType): { subtype: string; note?: string } {
  if (profile === 'kvm') {
    const kvm: Record<NicModel, string> = { virtio: 'virtio-net', e1000: 'E1000', e1000e: 'E1000e', rtl8139: 'rtl8139', vmxnet3: 'VmxNet3', pcnet: 'PCNet32' };
    return { subtype: kvm[model] };
  }
  if (profile === 'virtualbox') {
    switch (model) {
      case 'virtio':
        return { subtype: 'virtio-net' };
      case 'e1000':
        return { subtype: 'E1000' };
      case 'pcnet':
        return { subtype: 'PCNet32' };
      default:
        return { subtype: 'E1000', note: `VirtualBox has no ${NIC_LABEL[model]} adapter, so it is written as an Intel PRO/1000 (E1000)` };
    }
  }
  switch (model) {
    case 'e1000':
      return { subtype: 'E1000' };
    case 'e1000e':
      return { subtype: 'E1000e' };
    case 'vmxnet3':
      return { subtype: 'VmxNet3' };
    case 'pcnet':
      return { subtype: 'PCNet32' };
    case 'rtl8139':
      return { subtype: 'E1000', note: 'VMware has no Realtek adapter, so it is written as an E1000' };
    case 'virtio':
      if (os.family === 'linux' || os.family === 'bsd') return { subtype: 'VmxNet3', note: 'VMware has no VirtIO network card, so it is written as a VMXNET3, whose driver Linux and the BSDs include' };
      if (os.family === 'windows' && !os.facts.e1000Only) return { subtype: 'E1000e', note: 'VMware has no VirtIO network card, so it is written as an E1000e, whose driver Windows includes' };
      return { subtype: 'E1000', note: 'VMware has no VirtIO network card, so it is written as an E1000' };
  }
}

// ------------------------------------------------------------------------------------------------
// One machine

interface Ids {
  file: number;
  disk: number;
}

interface Placed {
  kind: 'disk' | 'optical';
  /** index in config.disks or config.opticals */
  index: number;
  group: Group;
  /** AddressOnParent (IDE: master 0 / slave 1) */
  unit: number;
  /** IDE only: the channel, i.e. the controller's Address */
  channel: number;
}

interface MachineOut {
  diskRefs: XNode[];
  files: XNode[];
  system: XNode;
}

class MachineWriter {
  private readonly notes: string[] = [];
  private readonly os: OsType;
  private readonly name: string;

  constructor(
    private readonly o: DescriptorOptions,
    private readonly m: ExportMachine,
    private readonly systemId: string,
  ) {
    const c = m.config;
    this.name = oneLine(c.name) || 'VM';
    const os = getOsType(c.osType);
    if (!os) {
      this.os = getOsType('other')!;
      this.note(`its OS type '${oneLine(c.osType)}' is unknown, so the appliance says 'Other'`);
    } else this.os = os;
  }

  get warnings(): string[] {
    return this.notes;
  }

  private note(message: string): void {
    const line = `VM '${this.name}': ${message}.`;
    if (!this.notes.includes(line)) this.notes.push(line);
  }

  write(ids: Ids): MachineOut {
    const { o, m } = this;
    const c = m.config;
    this.checkDisks();

    // Disk files and descriptors, envelope-wide ids.
    const files: XNode[] = [];
    const diskRefs: XNode[] = [];
    const diskIds: string[] = [];
    m.disks.forEach((d, i) => {
      const fileId = `file${++ids.file}`;
      const diskId = `vmdisk${++ids.disk}`;
      diskIds.push(diskId);
      files.push(el('File', { 'ovf:href': d.href, 'ovf:id': fileId, 'ovf:size': d.sizeBytes }));
      const cap = capacity(d.capacityBytes, o.profile);
      const virtioBlk = o.profile === 'kvm' && c.disks[i]!.bus === 'virtio';
      diskRefs.push(
        el('Disk', {
          'ovf:capacity': cap.value,
          'ovf:capacityAllocationUnits': cap.units,
          'ovf:diskId': diskId,
          'ovf:fileRef': fileId,
          'ovf:format': STREAM_OPTIMIZED_VMDK,
          'ovf:populatedSize': d.populatedBytes,
          ...(virtioBlk ? { 'ovf:disk-interface': 'VirtIO' } : {}),
        }),
      );
    });

    const sections: XNode[] = [txt('Info', 'A virtual machine'), txt('Name', this.name)];
    const description = clean(c.description).trim();
    if (description !== '') sections.push(el('AnnotationSection', {}, [txt('Info', 'A human-readable annotation'), txt('Annotation', description)]));
    const product = this.product();
    if (product) sections.push(product);
    const eula = m.eula === null ? '' : clean(m.eula).trim();
    if (eula !== '') sections.push(el('EulaSection', {}, [txt('Info', 'License agreement for the virtual system'), txt('License', eula)]));
    sections.push(this.osSection());
    sections.push(this.hardware(diskIds));
    this.otherNotes();
    return { files, diskRefs, system: el('VirtualSystem', { 'ovf:id': this.systemId }, sections) };
  }

  private checkDisks(): void {
    const { m } = this;
    const c = m.config;
    if (m.disks.length !== c.disks.length || m.disks.some((d, i) => d.diskId !== c.disks[i]!.id)) {
      throw new HangarError('INVALID_INPUT', `VM '${this.name}': the exported disks (${m.disks.map((d) => d.diskId).join(', ') || 'none'}) do not match its disks (${c.disks.map((d) => d.id).join(', ') || 'none'})`);
    }
    for (const d of m.disks) {
      if (oneLine(d.href) === '' || d.href.includes('\0')) throw new HangarError('INVALID_INPUT', `VM '${this.name}': disk '${d.diskId}' has no file name`);
      for (const [what, n] of [
        ['file size', d.sizeBytes],
        ['capacity', d.capacityBytes],
        ['populated size', d.populatedBytes],
      ] as const) {
        if (!Number.isSafeInteger(n) || n < 0) throw new HangarError('INVALID_INPUT', `VM '${this.name}': disk '${d.diskId}' has an invalid ${what} (${String(n)})`);
      }
    }
  }

  private product(): XNode | null {
    const p = this.m.product;
    if (!p) return null;
    const fields: [string, string][] = [
      ['Product', p.product],
      ['Vendor', p.vendor],
      ['Version', p.version],
      ['ProductUrl', p.productUrl],
      ['VendorUrl', p.vendorUrl],
    ];
    const present = fields.map(([k, v]) => [k, oneLine(v)] as const).filter(([, v]) => v !== '');
    if (present.length === 0) return null;
    return el('ProductSection', {}, [txt('Info', 'Meta-information about the installed software'), ...present.map(([k, v]) => txt(k, v))]);
  }

  private osSection(): XNode {
    const { os } = this;
    const hints = OS_HINTS[os.id as OsTypeId] ?? OS_HINTS.other;
    const profile = this.o.profile;
    const attrs: Attrs = { 'ovf:id': os.cimOsId, ...(profile !== 'virtualbox' ? { 'vmw:osType': hints.vmw } : {}) };
    const children: XNode[] = [txt('Info', 'The kind of installed guest operating system'), txt('Description', os.label)];
    if (profile === 'virtualbox') children.push(txt('vbox:OSType', hints.vbox, { 'ovf:required': 'false' }));
    if (profile === 'vmware' && os.id === 'windows11') this.note("its guest type is written as VMware's windows11_64Guest, which hosts older than vSphere 8 may not list (windows9_64Guest is Windows 10)");
    return el('OperatingSystemSection', attrs, children);
  }

  // --- hardware ----------------------------------------------------------------------------------

  /** Where each disk and drive goes on this profile: its controller group, and notes for moves. */
  private groups(): { disks: Group[]; opticals: Group[] } {
    const { o, m } = this;
    const c = m.config;
    const disks = c.disks.map((d, i): Group => {
      const n = i + 1;
      switch (d.bus) {
        case 'virtio':
          if (o.profile === 'kvm') return 'scsi';
          this.note(`disk ${n} (VirtIO) is written on the SATA controller: ${o.profile === 'vmware' ? 'VMware' : 'VirtualBox'} has no VirtIO block device`);
          return 'sata';
        case 'scsi':
          if (o.profile === 'vmware') {
            const kind = controllerKind('vmware', 'scsi', this.os);
            this.note(`disk ${n} (VirtIO SCSI) is written on an LSI Logic SCSI controller ('${kind.subtype}'): VMware has no VirtIO SCSI, and the guest needs the LSI Logic driver to start from it`);
          }
          return 'scsi';
        default:
          return d.bus;
      }
    });
    const opticals = c.opticals.map((d, i): Group => {
      if (d.bus === 'scsi' && o.profile === 'vmware') {
        this.note(`CD/DVD drive ${i + 1} is written on the SATA controller: VMware's CD/DVD drives are IDE or SATA`);
        return 'sata';
      }
      return d.bus as OpticalBus;
    });
    return { disks, opticals };
  }

  /** Units on each controller, in QEMU's order: disks first, then drives, each in config order. */
  private place(groups: { disks: Group[]; opticals: Group[] }): Placed[] {
    const counters: Record<Group, number> = { ide: 0, sata: 0, scsi: 0, nvme: 0 };
    const vmwareScsi = this.o.profile === 'vmware';
    const out: Placed[] = [];
    const add = (kind: 'disk' | 'optical', index: number, group: Group) => {
      const n = counters[group]++;
      if (group === 'ide') {
        if (n >= 4) throw new HangarError('INVALID_INPUT', `VM '${this.name}' has more than 4 IDE devices; the pc chipset has room for 4`);
        out.push({ kind, index, group, channel: n >> 1, unit: n & 1 });
        return;
      }
      // VMware's SCSI controllers take unit 7 themselves.
      const unit = group === 'scsi' && vmwareScsi && n >= 7 ? n + 1 : n;
      if (group === 'scsi' && vmwareScsi && unit > 15) this.note(`${kind === 'disk' ? `disk ${index + 1}` : `CD/DVD drive ${index + 1}`} is unit ${unit} of the SCSI controller, beyond the 15 devices a VMware SCSI controller holds`);
      out.push({ kind, index, group, channel: 0, unit });
    };
    // Virtio-blk disks (kvm) follow the SCSI disks' numbering in config order, before the drives.
    groups.disks.forEach((g, i) => add('disk', i, g));
    groups.opticals.forEach((g, i) => add('optical', i, g));
    return out;
  }

  private hardware(diskIds: string[]): XNode {
    const { o, m, os } = this;
    const c = m.config;
    const v2 = o.ovfVersion === '2.0';
    let instance = 0;
    const next = () => String(++instance);
    const items: XNode[] = [];

    const cpus = c.system.cpus;
    items.push(
      item(
        'Item',
        {
          AllocationUnits: 'hertz * 10^6',
          Description: 'Number of virtual CPUs',
          ElementName: `${cpus} virtual CPU(s)`,
          InstanceID: next(),
          ResourceType: 3,
          VirtualQuantity: cpus,
        },
        // Hangar runs all vCPUs as cores of one socket; VMware would make them sockets otherwise.
        o.profile === 'vmware' ? { extra: [txt('vmw:CoresPerSocket', cpus, { 'ovf:required': 'false' })] } : {},
      ),
    );
    const mib = c.system.memoryMiB;
    items.push(
      item('Item', {
        AllocationUnits: o.profile === 'virtualbox' ? 'MegaBytes' : 'byte * 2^20',
        Description: 'Memory size',
        ElementName: `${mib} MB of memory`,
        InstanceID: next(),
        ResourceType: 4,
        VirtualQuantity: mib,
      }),
    );

    // Controllers in the order their first device appears (disks, then drives), so that an importer
    // that sorts by controller keeps the first disk first.
    const groups = this.groups();
    const placed = this.place(groups);
    const order: Group[] = [];
    for (const p of placed) if (!order.includes(p.group)) order.push(p.group);
    const controllerIds = new Map<string, string>();
    for (const g of order) {
      const kind = controllerKind(o.profile, g, os);
      const channels = g === 'ide' ? [0, 1] : [0];
      for (const ch of channels) {
        const id = next();
        controllerIds.set(`${g}:${ch}`, id);
        items.push(
          item('Item', {
            Address: ch,
            Description: kind.label,
            ElementName: g === 'ide' ? `${kind.label} ${ch}` : kind.label,
            InstanceID: id,
            ResourceSubType: kind.subtype || undefined,
            ResourceType: kind.rt,
          }),
        );
      }
    }

    // Devices are built once their InstanceID is known: OVF 2 lists ethernet ports before storage.
    type Pending = (instanceId: string) => XNode;
    const storage: Pending[] = [];
    const storageElement = v2 ? 'StorageItem' : 'Item';
    for (const p of placed.filter((x) => x.kind === 'disk')) {
      storage.push((instanceId) =>
        item(storageElement, {
          AddressOnParent: p.unit,
          Description: 'Hard disk',
          ElementName: `Hard disk ${p.index + 1}`,
          HostResource: `ovf:/disk/${diskIds[p.index]!}`,
          InstanceID: instanceId,
          Parent: controllerIds.get(`${p.group}:${p.channel}`)!,
          ResourceType: 17,
        }),
      );
    }
    for (const p of placed.filter((x) => x.kind === 'optical')) {
      const drive = c.opticals[p.index]!;
      if (drive.path !== null) this.note(`the ISO image in CD/DVD drive ${p.index + 1} (${baseName(drive.path)}) is not exported; the drive is empty in the appliance`);
      storage.push((instanceId) =>
        item(
          storageElement,
          {
            AddressOnParent: p.unit,
            AutomaticAllocation: 'false',
            Description: 'CD-ROM drive',
            ElementName: `CD/DVD drive ${p.index + 1}`,
            InstanceID: instanceId,
            Parent: controllerIds.get(`${p.group}:${p.channel}`)!,
            // VMware's empty drive: a client-device passthrough, as vSphere exports it.
            ResourceSubType: o.profile === 'vmware' ? 'vmware.cdrom.remotepassthrough' : undefined,
            ResourceType: 15,
          },
          { required: false },
        ),
      );
    }

    const nics: Pending[] = c.nics.map((n, i) => {
      const { subtype, note } = nicSubtype(o.profile, n.model, os);
      if (note) this.note(`network card ${i + 1} (${NIC_LABEL[n.model]}): ${note}`);
      if (n.forwards.length > 0) this.note(`the port forwards of network card ${i + 1} are not part of the appliance`);
      const connection = connectionOf(n, o.networks);
      return (instanceId) =>
        item(v2 ? 'EthernetPortItem' : 'Item', {
        AutomaticAllocation: 'true',
        Connection: connection,
        Description: `${subtype} ethernet adapter on "${connection}"`,
        ElementName: `Network adapter ${i + 1}`,
        InstanceID: instanceId,
        ResourceSubType: subtype,
        ResourceType: 10,
      });
    });

    const devices = v2 ? [...nics, ...storage] : [...storage, ...nics];
    for (const make of devices) items.push(make(next()));

    const systemType = o.profile === 'virtualbox' ? 'virtualbox-2.2' : o.profile === 'vmware' ? VMWARE_HARDWARE_VERSION : `qemu-${c.system.chipset}`;
    const config: XNode[] = [vmwConfig('firmware', c.firmware.type === 'uefi' ? 'efi' : 'bios')];
    if (c.features.nested && o.profile === 'vmware') config.push(vmwConfig('nestedHVEnabled', 'true'));
    if (c.firmware.type === 'uefi' && o.profile === 'virtualbox') {
      this.note("it uses UEFI, which VirtualBox reads only from its own settings block: turn on 'Enable EFI' in the VM's System settings after importing it into VirtualBox");
    }
    return el('VirtualHardwareSection', {}, [
      txt('Info', 'Virtual hardware requirements'),
      el('System', {}, [
        txt('vssd:ElementName', 'Virtual Hardware Family'),
        txt('vssd:InstanceID', '0'),
        txt('vssd:VirtualSystemIdentifier', this.name),
        txt('vssd:VirtualSystemType', systemType),
      ]),
      ...items,
      ...config,
    ]);
  }

  private otherNotes(): void {
    const { o, m } = this;
    const c = m.config;
    if (c.boot.kernel !== undefined) this.note('it starts a kernel directly (boot.kernel), which an appliance cannot carry: it must start from its own disk');
    if (c.features.nested && o.profile !== 'vmware') this.note('its nested virtualization setting is not part of the appliance');
  }
}

function vmwConfig(key: string, value: string): XNode {
  return el('vmw:Config', { 'ovf:required': 'false', 'vmw:key': key, 'vmw:value': value });
}

function baseName(path: string): string {
  return oneLine(path.split(/[\\/]/).pop() ?? path);
}

/** VirtualBox writes bytes without units; the others the largest whole binary unit, as VMware does. */
function capacity(bytes: number, profile: ExportProfile): { value: number; units?: string } {
  if (profile === 'virtualbox') return { value: bytes };
  if (bytes > 0 && bytes % 2 ** 30 === 0) return { value: bytes / 2 ** 30, units: 'byte * 2^30' };
  if (bytes > 0 && bytes % 2 ** 20 === 0) return { value: bytes / 2 ** 20, units: 'byte * 2^20' };
  return { value: bytes, units: 'byte' };
}

// ------------------------------------------------------------------------------------------------
// The envelope

/** Distinct ovf:id values for the machines (and the collection): names, numbered when repeated. */
function uniqueIds(names: string[], taken: Set<string>): string[] {
  return names.map((raw) => {
    const base = raw === '' ? 'VM' : raw;
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base} (${n})`;
    taken.add(id);
    return id;
  });
}

/**
 * The descriptor (an .ovf document) for these machines in this profile and OVF version, and the
 * warnings: one sentence per thing the target cannot carry. Throws INVALID_INPUT when there is no
 * machine, or a machine's exported disks do not match its configuration.
 */
/** One Network element per network a card names, in the order the cards name them. */
function networkElements(o: DescriptorOptions): XNode[] {
  const seen = new Map<string, string>();
  for (const m of o.machines) {
    for (const n of m.config.nics) {
      const name = connectionOf(n, o.networks);
      if (seen.has(name)) continue;
      const mode = n.network === undefined ? undefined : o.networks?.[n.network]?.mode;
      seen.set(name, mode ? (MODE_DESCRIPTIONS[mode] ?? `A ${mode} network`) : 'Network address translation: each network card gets its own NAT network');
    }
  }
  if (seen.size === 0) seen.set('NAT', 'Network address translation: each network card gets its own NAT network');
  return [...seen].map(([name, description]) => el('Network', { 'ovf:name': name }, [txt('Description', description)]));
}

export function writeDescriptor(o: DescriptorOptions): { xml: string; warnings: string[] } {
  if (o.machines.length === 0) throw new HangarError('INVALID_INPUT', 'an appliance needs at least one VM');
  const v2 = o.ovfVersion === '2.0';
  const several = o.machines.length > 1;
  const warnings: string[] = [];

  const taken = new Set<string>();
  const collectionName = oneLine(o.collectionName ?? '') || 'Appliance';
  const collectionId = several ? uniqueIds([collectionName], taken)[0]! : null;
  const systemIds = uniqueIds(
    o.machines.map((m) => oneLine(m.config.name)),
    taken,
  );

  const hrefs = new Set<string>();
  for (const m of o.machines) {
    for (const d of m.disks) {
      if (hrefs.has(d.href)) throw new HangarError('INVALID_INPUT', `two disks are exported to the same file, '${oneLine(d.href)}'`);
      hrefs.add(d.href);
    }
  }

  const ids: Ids = { file: 0, disk: 0 };
  const files: XNode[] = [];
  const disks: XNode[] = [];
  const systems: XNode[] = [];
  o.machines.forEach((m, i) => {
    const w = new MachineWriter(o, m, systemIds[i]!);
    const out = w.write(ids);
    files.push(...out.files);
    disks.push(...out.diskRefs);
    systems.push(out.system);
    warnings.push(...w.warnings);
  });

  if (several && o.profile === 'vmware') warnings.push('The VMs form a VirtualSystemCollection (a vApp): vCenter and VMware Workstation import it, standalone ESXi hosts refuse it.');
  if (several && o.profile === 'kvm') warnings.push('The VMs form a VirtualSystemCollection: Proxmox reads only single-VM appliances (export each VM on its own for it).');
  if (v2 && o.profile === 'kvm') warnings.push('OVF 2.0 is not read by virt-v2v or Proxmox; OVF 1.0 is the version they import.');

  const attrs: Attrs = {
    'ovf:version': o.ovfVersion,
    'xml:lang': 'en-US',
    xmlns: v2 ? NS.ovf2 : NS.ovf1,
    'xmlns:ovf': v2 ? NS.ovf2 : NS.ovf1,
    'xmlns:rasd': NS.rasd,
    'xmlns:vssd': NS.vssd,
    ...(v2 ? { 'xmlns:sasd': NS.sasd, 'xmlns:epasd': NS.epasd } : {}),
    'xmlns:vmw': NS.vmw,
    ...(o.profile === 'virtualbox' ? { 'xmlns:vbox': NS.vbox } : {}),
  };
  const content = several
    ? el('VirtualSystemCollection', { 'ovf:id': collectionId! }, [txt('Info', `A collection of ${o.machines.length} virtual machines`), txt('Name', collectionName), ...systems])
    : systems[0]!;
  const envelope = el('Envelope', attrs, [
    el('References', {}, files),
    el('DiskSection', {}, [txt('Info', 'List of the virtual disks'), ...disks]),
    el('NetworkSection', {}, [txt('Info', 'The list of logical networks'), ...networkElements(o)]),
    content,
  ]);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  render(envelope, '', out);
  return { xml: `${out.join('\n')}\n`, warnings };
}

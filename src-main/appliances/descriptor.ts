// An OVF descriptor as plain data: every producer's dialect (VirtualBox, VMware, XenServer, oVirt,
// hand-written; OVF 0.9, 1.x and 2.x) read into one normalised shape, without interpreting it yet.
// Elements are matched by local name (OVF 0.9, 1.x and 2.x use different namespaces, and producers
// declare rasd/vssd/sasd/epasd URIs inconsistently); attributes by namespace where two vocabularies
// share a local name (ovf:id and ovirt:id). 0.9-style `Section xsi:type="ovf:DiskSection_Type"` and
// `Content xsi:type="ovf:VirtualSystem_Type"` become the sections they name. Pure.
//
// Structural faults that make the package unreadable are refused here (INVALID_INPUT): a root that
// is not an Envelope, no virtual system, a disk whose file is missing from References, a file with
// an unknown compression. What the hardware means is decided in mapping.ts.
import { HangarError } from '../../src-vmm/base/errors.js';
import { parseQuantity } from './units.js';
import { attr, child, type XmlElement } from './xml.js';

export type OvfVersion = '0.9' | '1.x' | '2.x';

export const NS = {
  ovf09: 'http://www.vmware.com/schema/ovf/1/envelope',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  vmw: 'http://www.vmware.com/schema/ovf',
  vbox: 'http://www.virtualbox.org/ovf/machine',
  ovirt: 'http://www.ovirt.org/ovf',
  xenovf: 'http://schemas.citrix.com/ovf/envelope/1',
} as const;

/** A File of the References section. */
export interface OvfFile {
  id: string;
  href: string;
  /** ovf:size in bytes; null when absent or not a number */
  size: number | null;
  compression: 'none' | 'gzip';
  /** ovf:chunkSize; null when absent, zero or not a number */
  chunkSize: number | null;
  line: number;
}

/** A Disk of the DiskSection, attributes as written. */
export interface OvfDisk {
  diskId: string;
  fileRef: string | null;
  /** ovf:capacity as written: '53687091200', '32', '${disksize}'; null when absent */
  capacity: string | null;
  /** ovf:capacityAllocationUnits; null when absent (DSP0243: bytes) */
  capacityUnits: string | null;
  /** oVirt's engine-internal ovf:size (GiB), used when there is no ovf:capacity */
  sizeGiB: string | null;
  populatedSize: number | null;
  format: string;
  /** oVirt: ovf:disk-interface ('VirtIO', 'VirtIO_SCSI', 'IDE', 'SATA') */
  diskInterface: string | null;
  /** the boot disk: oVirt's ovf:boot, XenServer's xenovf:isBootable */
  boot: boolean;
  /** VirtualBox: vbox:uuid */
  vboxUuid: string | null;
  line: number;
}

export interface OvfNetwork {
  name: string;
  description: string;
}

/** A Configuration of the DeploymentOptionSection. */
export interface OvfConfiguration {
  id: string;
  label: string;
  isDefault: boolean;
}

export interface OvfProperty {
  key: string;
  /** class.key.instance as ${…} references name it ('' parts left out) */
  fullKey: string;
  /** ovf:value; null when absent */
  value: string | null;
  /** Value children that apply to named configurations */
  configurationValues: { configurations: string[]; value: string }[];
  userConfigurable: boolean;
}

export interface OvfProduct {
  product: string;
  vendor: string;
  version: string;
  fullVersion: string;
  productUrl: string;
  vendorUrl: string;
  properties: OvfProperty[];
}

/** An Item, StorageItem or EthernetPortItem, children read by local name. */
export interface OvfItem {
  /** the element's local name: 'Item', 'StorageItem', 'EthernetPortItem' */
  element: string;
  /** rasd:ResourceType as a number; null when absent or not a number */
  resourceType: number | null;
  resourceSubType: string;
  otherResourceType: string;
  /** InstanceID (or 0.9's InstanceId); '' when absent */
  instanceId: string;
  parent: string | null;
  address: string | null;
  addressOnParent: string | null;
  /** 0.9's BusNumber (what later versions write as Address on controllers) */
  busNumber: string | null;
  hostResources: string[];
  connections: string[];
  virtualQuantity: string | null;
  reservation: string | null;
  allocationUnits: string | null;
  automaticAllocation: boolean | null;
  /** rasd:MACAddress */
  macAddress: string | null;
  elementName: string;
  caption: string;
  description: string;
  /** ovf:required, default true */
  required: boolean;
  /** ovf:configuration as a list of configuration ids; null when the item applies to all */
  configurations: string[] | null;
  /** ovf:bound: 'min', 'max', 'normal'; null when absent */
  bound: string | null;
  /** vmw:CoresPerSocket (topology only) */
  coresPerSocket: number | null;
  /** oVirt's extra children */
  ovirt: { type: string; device: string; numOfSockets: number | null; cpuPerSocket: number | null; threadsPerCpu: number | null; usbPolicy: string };
  line: number;
}

export interface OvfConfigEntry {
  /** 'Config' (vmw:Config) or 'ExtraConfig' (vmw:ExtraConfig) */
  kind: 'Config' | 'ExtraConfig';
  key: string;
  value: string;
}

export interface OvfHardware {
  /** vssd:VirtualSystemType, split on commas and spaces ('vmx-13 vmx-11' → two) */
  systemTypes: string[];
  /** vssd:VirtualSystemIdentifier */
  systemIdentifier: string | null;
  items: OvfItem[];
  /** section-level vmw:Config and vmw:ExtraConfig */
  vmwConfig: OvfConfigEntry[];
  /** xenovf:VirtualSystemOtherConfigurationData: Name → Value */
  xenConfig: { name: string; value: string }[];
  line: number;
}

export interface VBoxAdapter {
  slot: number;
  enabled: boolean;
  /** 'Am79C973', '82540EM', 'virtio', … ('' when not written) */
  type: string;
  mac: string | null;
  /** 'NAT', 'BridgedInterface', … : the attachment element's name */
  attachment: string;
}

/** What Hangar reads from VirtualBox's own settings tree (vbox:Machine). */
export interface VBoxMachine {
  name: string | null;
  osType: string | null;
  description: string | null;
  cpus: number | null;
  memoryMiB: number | null;
  /** Firmware type as written: 'BIOS', 'EFI', 'EFI32', 'EFI64', 'EFIDUAL' */
  firmware: string | null;
  /** Chipset type: 'PIIX3', 'ICH9' */
  chipset: string | null;
  adapters: VBoxAdapter[];
  line: number;
}

export interface OvfOsSection {
  /** ovf:id as written: a CIM number, or (oVirt engine-internal) a VM UUID */
  id: string | null;
  version: string | null;
  description: string | null;
  /** vmw:osType */
  vmwOsType: string | null;
  /** vbox:OSType child */
  vboxOsType: string | null;
  /** ovirt:id */
  ovirtId: string | null;
  line: number;
}

export interface OvfCollection {
  id: string;
  name: string | null;
  products: OvfProduct[];
  eulas: string[];
  line: number;
}

export interface OvfVirtualSystem {
  id: string;
  name: string | null;
  /** AnnotationSection/Annotation */
  annotation: string | null;
  /** oVirt writes a Description child into the VirtualSystem */
  description: string | null;
  os: OvfOsSection | null;
  hardware: OvfHardware[];
  products: OvfProduct[];
  eulas: string[];
  vbox: VBoxMachine | null;
  /** oVirt's BiosType: 0 i440fx+SeaBIOS, 1 Q35+SeaBIOS, 2 Q35+UEFI, 3 Q35+UEFI+SecureBoot */
  ovirtBiosType: string | null;
  /** the VirtualSystemCollections it sits in, outermost first */
  enclosing: OvfCollection[];
  /** required sections Hangar does not read */
  unknownSections: string[];
  line: number;
}

export interface OvfDescriptor {
  version: OvfVersion;
  /** the envelope's namespace URI */
  namespace: string;
  references: OvfFile[];
  disks: OvfDisk[];
  networks: OvfNetwork[];
  configurations: OvfConfiguration[];
  systems: OvfVirtualSystem[];
  collections: OvfCollection[];
  /** required envelope-level sections Hangar does not read */
  unknownSections: string[];
  /** File ids written more than once (the first is used) */
  duplicateFileIds: string[];
  /** Disk ids written more than once (the first is used) */
  duplicateDiskIds: string[];
}

// ------------------------------------------------------------------------------------------------

const MAX_TEXT = 64 * 1024;

/** An OVF envelope namespace (0.9, 1.x with or without oVirt's trailing slash, 2.x), or none. */
export function isOvfNamespace(ns: string): boolean {
  return ns === '' || ns === NS.ovf09 || /^https?:\/\/schemas\.dmtf\.org\/ovf\/envelope\/\d+\/?$/.test(ns);
}

/** An OVF attribute (ovf:x, or unprefixed x), never a vendor's attribute of the same local name. */
export function ovfAttr(el: XmlElement, local: string): string | undefined {
  return el.attributes.find((a) => a.local === local && isOvfNamespace(a.ns))?.value;
}

function nsAttr(el: XmlElement, local: string, ns: string): string | undefined {
  return el.attributes.find((a) => a.local === local && (a.ns === ns || a.ns === `${ns}/`))?.value;
}

function text(el: XmlElement | undefined): string | null {
  if (!el) return null;
  const t = el.text.trim();
  return t.length > MAX_TEXT ? t.slice(0, MAX_TEXT) : t;
}

function childTextOf(el: XmlElement, local: string): string | null {
  return text(child(el, local));
}

function firstChildText(el: XmlElement, locals: readonly string[]): string | null {
  for (const c of el.children) if (locals.includes(c.local)) return text(c);
  return null;
}

function intOrNull(s: string | null | undefined): number | null {
  const q = parseQuantity(s);
  return q !== null && Number.isSafeInteger(q) ? q : null;
}

function isTrue(s: string | null | undefined): boolean {
  return s !== null && s !== undefined && /^\s*(true|1|yes)\s*$/i.test(s);
}

/**
 * What an element is: its local name, or for 0.9-style `Section`/`Content` elements the type its
 * xsi:type names ('ovf:DiskSection_Type' → 'DiskSection').
 */
export function kindOf(el: XmlElement): string {
  if (el.local === 'Section' || el.local === 'Content') {
    const t = attr(el, 'type', NS.xsi);
    if (t) {
      const local = t.slice(t.indexOf(':') + 1).trim();
      return local.endsWith('_Type') ? local.slice(0, -'_Type'.length) : local;
    }
  }
  return el.local;
}

function invalid(what: string, message: string): HangarError {
  return new HangarError('INVALID_INPUT', `${what}: ${message}`);
}

const ENVELOPE_SECTIONS = new Set(['References', 'DiskSection', 'NetworkSection', 'DeploymentOptionSection', 'VirtualSystem', 'VirtualSystemCollection', 'Info', 'Strings', 'Annotation', 'AnnotationSection', 'ProductSection', 'EulaSection', 'StartupSection', 'ResourceAllocationSection', 'EnvironmentFilesSection', 'StorageGroupSection', 'StorageSection', 'IpAssignmentSection', 'PropertySection']);
const SYSTEM_SECTIONS = new Set(['Info', 'Name', 'Description', 'OperatingSystemSection', 'VirtualHardwareSection', 'ProductSection', 'EulaSection', 'AnnotationSection', 'InstallSection', 'StartupSection', 'ResourceAllocationSection', 'DeploymentOptionSection', 'NetworkSection', 'DiskSection', 'EnvironmentFilesSection', 'BootOrderSection', 'IpAssignmentSection', 'CpuCompatibilitySection', 'StorageGroupSection', 'StorageSection', 'PropertySection', 'Machine']);

function unknownRequiredSections(el: XmlElement, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const c of el.children) {
    const k = kindOf(c);
    if (!k.endsWith('Section') || known.has(k)) continue;
    if (ovfAttr(c, 'required') !== undefined && !isTrue(ovfAttr(c, 'required'))) continue;
    out.push(k);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------

function versionOf(root: XmlElement): OvfVersion {
  if (root.ns === NS.ovf09) return '0.9';
  const m = /\/envelope\/(\d+)\/?$/.exec(root.ns);
  if (m) return m[1] === '1' ? '1.x' : '2.x';
  const declared = ovfAttr(root, 'version')?.trim() ?? '';
  if (declared.startsWith('0.')) return '0.9';
  if (/^[2-9]\./.test(declared)) return '2.x';
  return '1.x';
}

function readFile(el: XmlElement, what: string): OvfFile {
  const id = ovfAttr(el, 'id')?.trim() ?? '';
  const href = ovfAttr(el, 'href')?.trim() ?? '';
  if (id === '') throw invalid(what, `a File in the References section (line ${el.line}) has no ovf:id`);
  if (href === '') throw invalid(what, `file '${id}' in the References section has no ovf:href`);
  const compressionRaw = (ovfAttr(el, 'compression') ?? '').trim().toLowerCase();
  let compression: OvfFile['compression'];
  if (compressionRaw === '' || compressionRaw === 'identity' || compressionRaw === 'none') compression = 'none';
  else if (compressionRaw === 'gzip') compression = 'gzip';
  else throw invalid(what, `file '${href}' is compressed with '${compressionRaw.slice(0, 40)}'; Hangar reads gzip-compressed and uncompressed files only`);
  const chunk = intOrNull(ovfAttr(el, 'chunkSize'));
  return { id, href, size: intOrNull(ovfAttr(el, 'size')), compression, chunkSize: chunk !== null && chunk > 0 ? chunk : null, line: el.line };
}

function readDisk(el: XmlElement, what: string): OvfDisk {
  const diskId = ovfAttr(el, 'diskId')?.trim() ?? '';
  if (diskId === '') throw invalid(what, `a Disk in the DiskSection (line ${el.line}) has no ovf:diskId`);
  const fileRef = ovfAttr(el, 'fileRef')?.trim() || null;
  return {
    diskId,
    fileRef,
    capacity: ovfAttr(el, 'capacity')?.trim() ?? null,
    capacityUnits: ovfAttr(el, 'capacityAllocationUnits')?.trim() || null,
    sizeGiB: ovfAttr(el, 'size')?.trim() ?? null,
    populatedSize: intOrNull(ovfAttr(el, 'populatedSize')),
    format: ovfAttr(el, 'format')?.trim() ?? '',
    diskInterface: ovfAttr(el, 'disk-interface')?.trim() || null,
    boot: isTrue(ovfAttr(el, 'boot')) || isTrue(nsAttr(el, 'isBootable', NS.xenovf)),
    vboxUuid: nsAttr(el, 'uuid', NS.vbox)?.trim() || null,
    line: el.line,
  };
}

function readProduct(el: XmlElement): OvfProduct {
  const cls = ovfAttr(el, 'class')?.trim() ?? '';
  const instance = ovfAttr(el, 'instance')?.trim() ?? '';
  const properties: OvfProperty[] = [];
  const readProperty = (p: XmlElement) => {
    const key = ovfAttr(p, 'key')?.trim() ?? '';
    if (key === '') return;
    properties.push({
      key,
      fullKey: [cls, key, instance].filter((s) => s !== '').join('.'),
      value: ovfAttr(p, 'value') ?? null,
      configurationValues: p.children
        .filter((v) => v.local === 'Value')
        .map((v) => ({ configurations: (ovfAttr(v, 'configuration') ?? '').split(/\s+/).filter(Boolean), value: ovfAttr(v, 'value') ?? '' })),
      userConfigurable: isTrue(ovfAttr(p, 'userConfigurable')),
    });
  };
  for (const c of el.children) if (c.local === 'Property') readProperty(c);
  return {
    product: childTextOf(el, 'Product') ?? '',
    vendor: childTextOf(el, 'Vendor') ?? '',
    version: childTextOf(el, 'Version') ?? '',
    fullVersion: childTextOf(el, 'FullVersion') ?? childTextOf(el, 'Full-version') ?? '',
    productUrl: childTextOf(el, 'ProductUrl') ?? '',
    vendorUrl: childTextOf(el, 'VendorUrl') ?? '',
    properties,
  };
}

function readEula(el: XmlElement): string | null {
  const license = childTextOf(el, 'License');
  return license ? license : null;
}

const ITEM_ELEMENTS = new Set(['Item', 'StorageItem', 'EthernetPortItem']);

function readItem(el: XmlElement): OvfItem {
  const hostResources: string[] = [];
  const connections: string[] = [];
  let coresPerSocket: number | null = null;
  for (const c of el.children) {
    if (c.local === 'HostResource') hostResources.push(text(c) ?? '');
    else if (c.local === 'Connection') connections.push(text(c) ?? '');
    else if (c.local === 'CoresPerSocket') coresPerSocket = intOrNull(text(c));
  }
  const rt = firstChildText(el, ['ResourceType']);
  const configuration = ovfAttr(el, 'configuration');
  const auto = firstChildText(el, ['AutomaticAllocation']);
  const required = ovfAttr(el, 'required');
  return {
    element: el.local,
    resourceType: intOrNull(rt),
    resourceSubType: firstChildText(el, ['ResourceSubType']) ?? '',
    otherResourceType: firstChildText(el, ['OtherResourceType']) ?? '',
    instanceId: firstChildText(el, ['InstanceID', 'InstanceId']) ?? '',
    parent: firstChildText(el, ['Parent']) || null,
    address: firstChildText(el, ['Address']) || null,
    addressOnParent: firstChildText(el, ['AddressOnParent']) || null,
    busNumber: firstChildText(el, ['BusNumber']) || null,
    hostResources: hostResources.filter((h) => h !== ''),
    connections: connections.filter((c) => c !== ''),
    virtualQuantity: firstChildText(el, ['VirtualQuantity']),
    reservation: firstChildText(el, ['Reservation']),
    allocationUnits: firstChildText(el, ['AllocationUnits']) || null,
    automaticAllocation: auto === null ? null : isTrue(auto),
    macAddress: firstChildText(el, ['MACAddress']) || null,
    elementName: firstChildText(el, ['ElementName']) ?? '',
    caption: firstChildText(el, ['Caption']) ?? '',
    description: firstChildText(el, ['Description']) ?? '',
    required: required === undefined ? true : isTrue(required),
    configurations: configuration === undefined ? null : configuration.split(/\s+/).filter(Boolean),
    bound: ovfAttr(el, 'bound')?.trim().toLowerCase() || null,
    coresPerSocket,
    ovirt: {
      type: firstChildText(el, ['Type']) ?? '',
      device: firstChildText(el, ['Device']) ?? '',
      numOfSockets: intOrNull(firstChildText(el, ['num_of_sockets'])),
      cpuPerSocket: intOrNull(firstChildText(el, ['cpu_per_socket'])),
      threadsPerCpu: intOrNull(firstChildText(el, ['threads_per_cpu'])),
      usbPolicy: firstChildText(el, ['UsbPolicy']) ?? '',
    },
    line: el.line,
  };
}

function readHardware(el: XmlElement): OvfHardware {
  const items: OvfItem[] = [];
  const vmwConfig: OvfConfigEntry[] = [];
  const xenConfig: { name: string; value: string }[] = [];
  let systemTypes: string[] = [];
  let systemIdentifier: string | null = null;
  for (const c of el.children) {
    if (ITEM_ELEMENTS.has(c.local)) items.push(readItem(c));
    else if (c.local === 'System') {
      systemTypes = (childTextOf(c, 'VirtualSystemType') ?? '').split(/[\s,]+/).filter(Boolean);
      systemIdentifier = childTextOf(c, 'VirtualSystemIdentifier') || null;
    } else if (c.local === 'Config' || c.local === 'ExtraConfig') {
      const key = attr(c, 'key', NS.vmw)?.trim() ?? '';
      if (key) vmwConfig.push({ kind: c.local, key, value: attr(c, 'value', NS.vmw)?.trim() ?? '' });
    } else if (c.local === 'VirtualSystemOtherConfigurationData') {
      const name = attr(c, 'Name')?.trim() ?? attr(c, 'name')?.trim() ?? '';
      if (name) xenConfig.push({ name, value: childTextOf(c, 'Value') ?? text(c) ?? '' });
    }
  }
  return { systemTypes, systemIdentifier, items, vmwConfig, xenConfig, line: el.line };
}

function readOs(el: XmlElement): OvfOsSection {
  return {
    id: ovfAttr(el, 'id')?.trim() || null,
    version: ovfAttr(el, 'version')?.trim() || null,
    description: childTextOf(el, 'Description') || null,
    // Only VMware writes osType; hand-made descriptors bind its prefix loosely.
    vmwOsType: (nsAttr(el, 'osType', NS.vmw) ?? attr(el, 'osType'))?.trim() || null,
    vboxOsType: childTextOf(el, 'OSType') || null,
    ovirtId: nsAttr(el, 'id', NS.ovirt)?.trim() || null,
    line: el.line,
  };
}

/** The first descendant with this local name, searching breadth-first and at most `depth` levels deep. */
function find(el: XmlElement, local: string, depth = 4): XmlElement | undefined {
  let level = [el];
  for (let d = 0; d < depth && level.length; d++) {
    const next: XmlElement[] = [];
    for (const e of level) {
      for (const c of e.children) {
        if (c.local === local) return c;
        next.push(c);
      }
    }
    level = next;
  }
  return undefined;
}

function normaliseVBoxMac(mac: string | undefined): string | null {
  return mac && mac.trim() !== '' ? mac.trim() : null;
}

export function readVBoxMachine(el: XmlElement): VBoxMachine {
  // Only the machine's current hardware: snapshots carry their own Hardware elements.
  const hw = child(el, 'Hardware');
  const cpu = hw ? find(hw, 'CPU') : undefined;
  const memory = hw ? find(hw, 'Memory') : undefined;
  const firmware = hw ? find(hw, 'Firmware') : undefined;
  const chipset = hw ? find(hw, 'Chipset') : undefined;
  const network = hw ? find(hw, 'Network') : undefined;
  const adapters: VBoxAdapter[] = [];
  for (const a of network?.children ?? []) {
    if (a.local !== 'Adapter') continue;
    const attachment = a.children.find((c) => !['DisabledModes', 'Property'].includes(c.local))?.local ?? '';
    adapters.push({
      slot: intOrNull(attr(a, 'slot')) ?? adapters.length,
      enabled: isTrue(attr(a, 'enabled')),
      type: attr(a, 'type')?.trim() ?? '',
      mac: normaliseVBoxMac(attr(a, 'MACAddress')),
      attachment,
    });
  }
  adapters.sort((a, b) => a.slot - b.slot);
  return {
    name: attr(el, 'name')?.trim() || null,
    osType: attr(el, 'OSType')?.trim() || null,
    description: childTextOf(el, 'Description') || null,
    cpus: cpu ? intOrNull(attr(cpu, 'count')) : null,
    memoryMiB: memory ? intOrNull(attr(memory, 'RAMSize')) : null,
    firmware: firmware ? (attr(firmware, 'type')?.trim() ?? 'BIOS') : null,
    chipset: chipset ? (attr(chipset, 'type')?.trim() ?? null) : null,
    adapters,
    line: el.line,
  };
}

function readSystem(el: XmlElement, enclosing: OvfCollection[], onConfigurations: (section: XmlElement) => void): OvfVirtualSystem {
  const vs: OvfVirtualSystem = {
    id: ovfAttr(el, 'id')?.trim() ?? '',
    name: childTextOf(el, 'Name') || null,
    annotation: null,
    description: childTextOf(el, 'Description') || null,
    os: null,
    hardware: [],
    products: [],
    eulas: [],
    vbox: null,
    ovirtBiosType: childTextOf(el, 'BiosType') || null,
    enclosing,
    unknownSections: unknownRequiredSections(el, SYSTEM_SECTIONS),
    line: el.line,
  };
  for (const c of el.children) {
    switch (kindOf(c)) {
      case 'OperatingSystemSection':
        vs.os ??= readOs(c);
        break;
      case 'VirtualHardwareSection':
        vs.hardware.push(readHardware(c));
        break;
      case 'ProductSection':
        vs.products.push(readProduct(c));
        break;
      case 'EulaSection': {
        const eula = readEula(c);
        if (eula) vs.eulas.push(eula);
        break;
      }
      case 'AnnotationSection':
        vs.annotation ??= childTextOf(c, 'Annotation') || null;
        break;
      case 'Machine':
        vs.vbox ??= readVBoxMachine(c);
        break;
      case 'DeploymentOptionSection':
        onConfigurations(c);
        break;
    }
  }
  return vs;
}

/**
 * The normalised descriptor of a parsed document. `what` names it in messages ('appliance.ovf').
 * Throws INVALID_INPUT for a document that is not an OVF envelope or whose structure is broken.
 */
export function parseDescriptor(root: XmlElement, what = 'the descriptor'): OvfDescriptor {
  if (root.local !== 'Envelope') {
    const shown = (root.prefix ? `${root.prefix}:${root.local}` : root.local).slice(0, 80);
    throw new HangarError('INVALID_INPUT', `${what} is not an OVF descriptor (root element is <${shown}>)`);
  }
  const d: OvfDescriptor = {
    version: versionOf(root),
    namespace: root.ns,
    references: [],
    disks: [],
    networks: [],
    configurations: [],
    systems: [],
    collections: [],
    unknownSections: unknownRequiredSections(root, ENVELOPE_SECTIONS),
    duplicateFileIds: [],
    duplicateDiskIds: [],
  };
  const fileIds = new Set<string>();
  const diskIds = new Set<string>();

  const configurationIds = new Set<string>();
  const readConfigurations = (el: XmlElement) => {
    for (const c of el.children) {
      if (c.local !== 'Configuration') continue;
      const id = ovfAttr(c, 'id')?.trim() ?? '';
      if (id === '' || configurationIds.has(id)) continue;
      configurationIds.add(id);
      d.configurations.push({ id, label: childTextOf(c, 'Label') ?? '', isDefault: isTrue(ovfAttr(c, 'default')) });
    }
  };
  const walkContent = (el: XmlElement, enclosing: OvfCollection[]) => {
    const kind = kindOf(el);
    if (kind === 'VirtualSystem') {
      d.systems.push(readSystem(el, enclosing, readConfigurations));
    } else if (kind === 'VirtualSystemCollection') {
      const collection: OvfCollection = { id: ovfAttr(el, 'id')?.trim() ?? '', name: childTextOf(el, 'Name') || null, products: [], eulas: [], line: el.line };
      d.collections.push(collection);
      const inner = [...enclosing, collection];
      for (const c of el.children) {
        const k = kindOf(c);
        if (k === 'ProductSection') collection.products.push(readProduct(c));
        else if (k === 'EulaSection') {
          const eula = readEula(c);
          if (eula) collection.eulas.push(eula);
        } else if (k === 'VirtualSystem' || k === 'VirtualSystemCollection') walkContent(c, inner);
        else if (k === 'DeploymentOptionSection') readConfigurations(c);
      }
    }
  };

  for (const c of root.children) {
    switch (kindOf(c)) {
      case 'References':
        for (const f of c.children) {
          if (f.local !== 'File') continue;
          const file = readFile(f, what);
          if (fileIds.has(file.id)) d.duplicateFileIds.push(file.id);
          else {
            fileIds.add(file.id);
            d.references.push(file);
          }
        }
        break;
      case 'DiskSection':
        for (const k of c.children) {
          if (k.local !== 'Disk') continue;
          const disk = readDisk(k, what);
          if (diskIds.has(disk.diskId)) d.duplicateDiskIds.push(disk.diskId);
          else {
            diskIds.add(disk.diskId);
            d.disks.push(disk);
          }
        }
        break;
      case 'NetworkSection':
        for (const n of c.children) {
          if (n.local === 'Network') d.networks.push({ name: ovfAttr(n, 'name')?.trim() ?? '', description: childTextOf(n, 'Description') ?? '' });
        }
        break;
      case 'DeploymentOptionSection':
        readConfigurations(c);
        break;
      case 'VirtualSystem':
      case 'VirtualSystemCollection':
        walkContent(c, []);
        break;
    }
  }

  // oVirt's engine-internal OVF names the file by href ('imageGroup/image') in fileRef.
  const hrefs = new Set(d.references.map((f) => f.href));
  for (const disk of d.disks) {
    if (disk.fileRef !== null && !fileIds.has(disk.fileRef) && !hrefs.has(disk.fileRef)) {
      throw invalid(what, `disk '${disk.diskId}' refers to file '${disk.fileRef}', which the References section does not list`);
    }
  }
  if (d.systems.length === 0) throw invalid(what, 'the descriptor describes no virtual machine (it has no VirtualSystem)');
  return d;
}

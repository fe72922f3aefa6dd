// The OVF descriptor writer: for every profile, OVF version and a matrix of machines, the output is
// well-formed, has the DSP0243/DSP8023 structure (required elements, in order), and Hangar's own
// importer reads it back to the same machine.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isHangarError } from '../../../../src-vmm/base/errors.js';
import { OS_TYPES, getOsType, validateConfig, type DiskBus, type NicModel, type OpticalBus, type VmConfig } from '../../../../src-vmm/model/index.js';
import { planAppliance } from '../../../../src-main/appliances/mapping.js';
import type { MachinePlan } from '../../../../src-main/appliances/plan.js';
import { PROFILE_NOTES, connectionOf, STREAM_OPTIMIZED_VMDK, writeDescriptor, type DescriptorOptions, type ExportMachine, type ExportProfile } from '../../../../src-main/appliances/writer.js';
import { attr, children, parseXml, type XmlElement } from '../../../../src-main/appliances/xml.js';

const PROFILES: ExportProfile[] = ['virtualbox', 'vmware', 'kvm'];
const VERSIONS: ('1.0' | '2.0')[] = ['1.0', '2.0'];
const GiB = 2 ** 30;

// ---------------------------------------------------------------------------------------------
// Machines

interface Spec {
  name?: string;
  osType?: string;
  chipset?: 'pc' | 'q35';
  firmware?: 'bios' | 'uefi';
  cpus?: number;
  memoryMiB?: number;
  disks?: DiskBus[];
  opticals?: OpticalBus[];
  isos?: boolean;
  nics?: NicModel[];
  description?: string;
  nested?: boolean;
}

let uuidCounter = 0;
function makeConfig(s: Spec): VmConfig {
  const n = ++uuidCounter;
  const raw = {
    schemaVersion: 1,
    id: `3f6c1d2e-8a4b-4c5d-9e7f-${n.toString(16).padStart(12, '0')}`,
    name: s.name ?? `vm-${n}`,
    osType: s.osType ?? 'linux',
    description: s.description ?? '',
    system: { chipset: s.chipset ?? 'pc', cpus: s.cpus ?? 2, memoryMiB: s.memoryMiB ?? 1024, accel: 'auto' },
    firmware: { type: s.firmware ?? 'bios' },
    disks: (s.disks ?? ['virtio']).map((bus, i) => ({ id: `disk${i}`, bus, path: `/vms/${n}/disk${i}.qcow2`, format: 'qcow2', readOnly: false })),
    opticals: (s.opticals ?? []).map((bus, i) => ({ id: `cd${i}`, bus, path: s.isos ? `/isos/install-${i}.iso` : null })),
    nics: (s.nics ?? ['virtio']).map((model, i) => ({ id: `net${i}`, model, mac: `0a:48:47:00:${n.toString(16).padStart(2, '0').slice(-2)}:${i.toString(16).padStart(2, '0')}`, forwards: [] })),
    display: { vga: 'std', vnc: true },
    serial: { enabled: true },
    features: { nested: s.nested ?? false },
    boot: { order: ['disk', 'optical'] },
  };
  const r = validateConfig(raw);
  assert.ok(r.ok, `test config is invalid: ${JSON.stringify(r.ok ? null : r.issues)}`);
  return r.value;
}

let hrefCounter = 0;
function machine(config: VmConfig, extra: Partial<Pick<ExportMachine, 'product' | 'eula'>> = {}): ExportMachine {
  const disks = config.disks.map((d, i) => ({
    diskId: d.id,
    href: `m${++hrefCounter}-disk${i + 1}.vmdk`,
    sizeBytes: 1_000_000 + i,
    // whole GiB, whole MiB and an odd number of sectors, so every unit path is read back
    capacityBytes: [(i + 2) * GiB, (i + 1) * 1536 * 2 ** 20, 10 * GiB + 512 * (i + 1)][i % 3]!,
    populatedBytes: 4096 * (i + 1),
  }));
  return { config, disks, product: extra.product ?? null, eula: extra.eula ?? null };
}

// ---------------------------------------------------------------------------------------------
// Structure per DSP8023 (1.x) and DSP0243 2.x: required elements and their order

const ENV = { v1: 'http://schemas.dmtf.org/ovf/envelope/1', v2: 'http://schemas.dmtf.org/ovf/envelope/2' };
const RASD = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData';
const VSSD = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData';
const SASD = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_StorageAllocationSettingData';
const EPASD = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPortAllocationSettingData';

/** CIM_ResourceAllocationSettingData's sequence (DSP8023's rasd schema). */
const RASD_ORDER = [
  'Address',
  'AddressOnParent',
  'AllocationUnits',
  'AutomaticAllocation',
  'AutomaticDeallocation',
  'Caption',
  'ChangeableType',
  'ConfigurationName',
  'Connection',
  'ConsumerVisibility',
  'Description',
  'ElementName',
  'Generation',
  'HostResource',
  'InstanceID',
  'Limit',
  'MappingBehavior',
  'OtherResourceType',
  'Parent',
  'PoolID',
  'Reservation',
  'ResourceSubType',
  'ResourceType',
  'VirtualQuantity',
  'Weight',
];
/** CIM_VirtualSystemSettingData's sequence, the part a descriptor uses. */
const VSSD_ORDER = ['Caption', 'Description', 'ElementName', 'Generation', 'InstanceID', 'VirtualSystemIdentifier', 'VirtualSystemType'];
const PRODUCT_ORDER = ['Info', 'Product', 'Vendor', 'Version', 'FullVersion', 'ProductUrl', 'VendorUrl', 'AppUrl'];
const ENVELOPE_SECTIONS = new Set(['DiskSection', 'NetworkSection']);
const SYSTEM_SECTIONS = new Set(['AnnotationSection', 'ProductSection', 'EulaSection', 'OperatingSystemSection', 'VirtualHardwareSection']);

const ovfAttr = (e: XmlElement, name: string, ovfNs: string) => attr(e, name, ovfNs);

/** Every structural fault of a descriptor, as readable lines; [] when it is sound. */
function structureProblems(xml: string, version: '1.0' | '2.0'): string[] {
  const problems: string[] = [];
  const bad = (m: string) => problems.push(m);
  const root = parseXml(xml);
  const ns = version === '2.0' ? ENV.v2 : ENV.v1;
  if (root.local !== 'Envelope' || root.ns !== ns) bad(`root is {${root.ns}}${root.local}`);
  if (ovfAttr(root, 'version', ns) !== version) bad(`ovf:version is ${String(ovfAttr(root, 'version', ns))}`);
  const isOvf = (e: XmlElement) => e.ns === ns;
  const sectionInfo = (s: XmlElement) => {
    const first = s.children[0];
    if (!first || first.local !== 'Info' || !isOvf(first) || first.text.trim() === '') bad(`${s.local} (line ${s.line}) does not start with a non-empty Info`);
  };
  const int = (v: string | undefined, what: string) => {
    if (v === undefined || !/^\d+$/.test(v)) bad(`${what} is '${String(v)}', not a whole number`);
  };

  // Envelope: References, sections, one Content, nothing else.
  const kids = root.children;
  if (kids[0]?.local !== 'References') bad('References is not the first child of the Envelope');
  const content = kids.filter((k) => k.local === 'VirtualSystem' || k.local === 'VirtualSystemCollection');
  if (content.length !== 1 || kids.at(-1) !== content[0]) bad('the Envelope does not end with exactly one VirtualSystem or VirtualSystemCollection');
  for (const k of kids.slice(1, -1)) {
    if (!ENVELOPE_SECTIONS.has(k.local) || !isOvf(k)) bad(`unexpected envelope child ${k.local}`);
    else sectionInfo(k);
  }
  for (const needed of ['DiskSection', 'NetworkSection']) if (!kids.some((k) => k.local === needed)) bad(`no ${needed}`);

  const fileIds = new Set<string>();
  const hrefs = new Set<string>();
  for (const f of kids[0]?.children ?? []) {
    if (f.local !== 'File') bad(`References holds ${f.local}`);
    const id = ovfAttr(f, 'id', ns);
    const href = ovfAttr(f, 'href', ns);
    if (!id || !href) bad(`a File lacks ovf:id or ovf:href (line ${f.line})`);
    if (id && fileIds.has(id)) bad(`file id ${id} twice`);
    if (href && hrefs.has(href)) bad(`href ${href} twice`);
    if (id) fileIds.add(id);
    if (href) hrefs.add(href);
    int(ovfAttr(f, 'size', ns), `the size of ${String(href)}`);
  }
  const diskIds = new Set<string>();
  const usedFiles = new Set<string>();
  const disks = kids.find((k) => k.local === 'DiskSection');
  for (const d of disks?.children.slice(1) ?? []) {
    if (d.local !== 'Disk') bad(`DiskSection holds ${d.local}`);
    const id = ovfAttr(d, 'diskId', ns) ?? '';
    if (id === '' || diskIds.has(id)) bad(`disk id '${id}' missing or repeated`);
    diskIds.add(id);
    const fileRef = ovfAttr(d, 'fileRef', ns) ?? '';
    if (!fileIds.has(fileRef)) bad(`disk ${id} refers to file '${fileRef}', which References does not list`);
    usedFiles.add(fileRef);
    int(ovfAttr(d, 'capacity', ns), `the capacity of ${id}`);
    int(ovfAttr(d, 'populatedSize', ns), `the populated size of ${id}`);
    if (ovfAttr(d, 'format', ns) !== STREAM_OPTIMIZED_VMDK) bad(`disk ${id} has format ${String(ovfAttr(d, 'format', ns))}`);
  }
  for (const f of fileIds) if (!usedFiles.has(f)) bad(`file ${f} belongs to no disk`);
  const networks = kids.find((k) => k.local === 'NetworkSection');
  const networkNames = new Set((networks?.children.slice(1) ?? []).map((n) => ovfAttr(n, 'name', ns) ?? ''));
  if (networkNames.has('')) bad('a Network has no name');

  // Content.
  const contentIds = new Set<string>();
  const attachedDisks = new Set<string>();
  const checkContent = (c: XmlElement) => {
    const id = ovfAttr(c, 'id', ns) ?? '';
    if (id === '' || contentIds.has(id)) bad(`${c.local} ovf:id '${id}' missing or repeated`);
    contentIds.add(id);
    const ch = c.children;
    sectionInfo(c);
    let i = 1;
    if (ch[i]?.local === 'Name') i++;
    const rest = ch.slice(i);
    if (c.local === 'VirtualSystemCollection') {
      const firstSystem = rest.findIndex((x) => x.local === 'VirtualSystem' || x.local === 'VirtualSystemCollection');
      if (firstSystem < 0) bad('the VirtualSystemCollection holds no virtual system');
      for (const s of rest.slice(0, firstSystem)) if (!s.local.endsWith('Section')) bad(`collection child ${s.local} before its systems`);
      for (const s of rest.slice(firstSystem)) {
        if (s.local !== 'VirtualSystem' && s.local !== 'VirtualSystemCollection') bad(`collection child ${s.local} after its systems`);
        else checkContent(s);
      }
      return;
    }
    for (const s of rest) if (!SYSTEM_SECTIONS.has(s.local) || !isOvf(s)) bad(`VirtualSystem child ${s.local}`);
    for (const needed of ['OperatingSystemSection', 'VirtualHardwareSection']) {
      if (rest.filter((s) => s.local === needed).length !== 1) bad(`VirtualSystem ${id} lacks one ${needed}`);
    }
    for (const s of rest) {
      sectionInfo(s);
      if (s.local === 'OperatingSystemSection') {
        const osId = ovfAttr(s, 'id', ns);
        if (osId === undefined || !/^\d+$/.test(osId) || Number(osId) > 65535) bad(`OperatingSystemSection ovf:id '${String(osId)}' is not an unsignedShort`);
        const after = s.children.slice(1);
        const descIdx = after.findIndex((x) => x.local === 'Description' && isOvf(x));
        if (descIdx > 0) bad('the OS Description is not right after Info');
        for (const x of after) if (isOvf(x) && x.local !== 'Description') bad(`OperatingSystemSection holds ovf:${x.local}`);
      }
      if (s.local === 'ProductSection') {
        const names = s.children.map((x) => x.local);
        const positions = names.map((n) => PRODUCT_ORDER.indexOf(n));
        if (positions.some((p) => p < 0) || positions.some((p, k) => k > 0 && p <= positions[k - 1]!)) bad(`ProductSection children out of order: ${names.join(', ')}`);
      }
      if (s.local === 'EulaSection' && (s.children.length !== 2 || s.children[1]!.local !== 'License')) bad('EulaSection is not Info, License');
      if (s.local === 'AnnotationSection' && (s.children.length !== 2 || s.children[1]!.local !== 'Annotation')) bad('AnnotationSection is not Info, Annotation');
      if (s.local === 'VirtualHardwareSection') checkHardware(s);
    }
  };

  const checkHardware = (hw: XmlElement) => {
    const ch = hw.children.slice(1);
    if (ch[0]?.local !== 'System') bad('VirtualHardwareSection does not begin with System after Info');
    const sys = ch[0];
    if (sys) {
      const names = sys.children.map((x) => x.local);
      if (sys.children.some((x) => x.ns !== VSSD)) bad('a System child is not in the vssd namespace');
      const positions = names.map((n) => VSSD_ORDER.indexOf(n));
      if (positions.some((p) => p < 0) || positions.some((p, k) => k > 0 && p <= positions[k - 1]!)) bad(`System children out of order: ${names.join(', ')}`);
      for (const needed of ['ElementName', 'InstanceID', 'VirtualSystemType']) if (!names.includes(needed)) bad(`System lacks vssd:${needed}`);
    }
    // Item*, then (OVF 2) EthernetPortItem*, StorageItem*, then extension elements only.
    const rank = (e: XmlElement) => (e.local === 'Item' ? 1 : e.local === 'EthernetPortItem' ? 2 : e.local === 'StorageItem' ? 3 : isOvf(e) ? -1 : 4);
    let last = 0;
    const instanceIds = new Set<string>();
    const controllers = new Set<string>();
    const items: XmlElement[] = [];
    for (const e of ch.slice(1)) {
      const r = rank(e);
      if (r < 0) bad(`unexpected ovf:${e.local} in VirtualHardwareSection`);
      if (r < last) bad(`${e.local} after ${['', 'Item', 'EthernetPortItem', 'StorageItem', 'extension elements'][last]}`);
      last = Math.max(last, r);
      if (r === 4) continue;
      if (version === '1.0' && r !== 1) bad(`${e.local} in an OVF 1.0 descriptor`);
      items.push(e);
      const cimNs = e.local === 'Item' ? RASD : e.local === 'StorageItem' ? SASD : EPASD;
      const cim = e.children.filter((x) => x.ns === cimNs).map((x) => x.local);
      const firstExt = e.children.findIndex((x) => x.ns !== cimNs);
      if (firstExt >= 0 && e.children.slice(firstExt).some((x) => x.ns === cimNs)) bad(`item ${e.line}: a CIM property after an extension element`);
      if (e.children.some((x) => isOvf(x))) bad(`item ${e.line}: an ovf element inside an item`);
      if (e.local === 'Item') {
        const positions = cim.map((n) => RASD_ORDER.indexOf(n));
        if (positions.some((p) => p < 0)) bad(`item ${e.line}: unknown rasd property among ${cim.join(', ')}`);
      }
      for (let k = 1; k < cim.length; k++) {
        if (!(cim[k - 1]! < cim[k]! || (cim[k - 1] === cim[k] && ['HostResource', 'Connection'].includes(cim[k]!)))) bad(`item ${e.line}: ${cim[k - 1]} before ${cim[k]}, not alphabetical`);
      }
      for (const needed of ['ElementName', 'InstanceID', 'ResourceType']) if (!cim.includes(needed)) bad(`item ${e.line} lacks ${needed}`);
      const iid = e.children.find((x) => x.local === 'InstanceID')?.text.trim() ?? '';
      if (iid === '' || instanceIds.has(iid)) bad(`InstanceID '${iid}' missing or repeated`);
      instanceIds.add(iid);
      const rt = Number(e.children.find((x) => x.local === 'ResourceType')?.text.trim());
      if ([5, 6, 20].includes(rt)) controllers.add(iid);
    }
    for (const e of items) {
      const parent = e.children.find((x) => x.local === 'Parent')?.text.trim();
      if (parent !== undefined && !controllers.has(parent)) bad(`item ${e.line} has Parent ${parent}, which is no controller of this system`);
      const rt = Number(e.children.find((x) => x.local === 'ResourceType')?.text.trim());
      if ((rt === 17 || rt === 15) && parent === undefined) bad(`drive item ${e.line} has no Parent`);
      for (const h of e.children.filter((x) => x.local === 'HostResource')) {
        const m = /^ovf:\/disk\/(.+)$/.exec(h.text.trim());
        if (!m || !diskIds.has(m[1]!)) bad(`item ${e.line}: HostResource '${h.text}' names no disk`);
        else if (attachedDisks.has(m[1]!)) bad(`disk ${m[1]} is attached twice`);
        else attachedDisks.add(m[1]!);
      }
      const conn = e.children.find((x) => x.local === 'Connection')?.text.trim();
      if (conn !== undefined && !networkNames.has(conn)) bad(`item ${e.line} connects to '${conn}', which the NetworkSection does not list`);
    }
  };

  if (content[0]) checkContent(content[0]);
  for (const d of diskIds) if (!attachedDisks.has(d)) bad(`disk ${d} is attached to no item`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// What the importer should read back

/** The controller group a disk lands on in each profile (the writer's documented choices). */
function diskGroup(profile: ExportProfile, bus: DiskBus): string {
  if (bus === 'virtio') return profile === 'kvm' ? 'scsi' : 'sata';
  return bus;
}
function opticalGroup(profile: ExportProfile, bus: OpticalBus): string {
  return profile === 'vmware' && bus === 'scsi' ? 'sata' : bus;
}

/** Disk indices in the order an importer that sorts by controller (then unit) reads them. */
function expectedDiskOrder(profile: ExportProfile, c: VmConfig): number[] {
  const groups = [...c.disks.map((d) => diskGroup(profile, d.bus)), ...c.opticals.map((o) => opticalGroup(profile, o.bus))];
  const order: string[] = [];
  for (const g of groups) if (!order.includes(g)) order.push(g);
  return c.disks.map((_, i) => i).sort((a, b) => order.indexOf(groups[a]!) - order.indexOf(groups[b]!) || a - b);
}

function expectedDiskBus(profile: ExportProfile, c: VmConfig, bus: DiskBus): DiskBus {
  if (profile === 'kvm') return bus;
  if (bus === 'virtio') return 'sata';
  if (bus === 'scsi' && profile === 'vmware') return getOsType(c.osType)!.facts.virtioBlk ? 'scsi' : 'sata';
  return bus;
}

function expectedNic(profile: ExportProfile, c: VmConfig, model: NicModel): NicModel {
  if (profile === 'kvm') return model;
  if (profile === 'virtualbox') return model === 'virtio' || model === 'pcnet' ? model : 'e1000';
  if (model === 'rtl8139') return 'e1000';
  if (model === 'virtio') {
    const os = getOsType(c.osType)!;
    if (os.family === 'linux' || os.family === 'bsd') return 'vmxnet3';
    return os.family === 'windows' && !os.facts.e1000Only ? 'e1000e' : 'e1000';
  }
  return model;
}

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
/** A text as the writer carries it: control characters (but tab and line breaks) removed, trimmed. */
const carried = (s: string) => s.replace(CONTROLS, '').trim();

/** Import warnings a faithful export may cause; anything else means the writer lost something. */
function acceptableImportWarning(profile: ExportProfile, c: VmConfig, w: string): boolean {
  if (/moves from IDE to SATA: .* gets the q35 chipset/.test(w)) return true;
  // 'Other' is what the catalogue calls an unknown guest; the importer says so.
  if (c.osType === 'other' && /does not say which operating system it holds/.test(w)) return true;
  if (/^The appliance is a group of \d+ machines/.test(w)) return true;
  // A card on a Hangar network names it; the importer says how it maps such names.
  if (/^The appliance's networks? .* mapped at import to the Hangar network of the same name/.test(w)) return true;
  if (profile === 'vmware' && /^The appliance's SCSI controller \(lsilogic(sas)?\) .* has no exact equivalent in Hangar/.test(w)) return true;
  return false;
}

function checkRoundTrip(o: DescriptorOptions, xml: string): void {
  const plan = planAppliance(xml, 'the export');
  const label = `${o.profile} OVF ${o.ovfVersion}`;
  assert.equal(plan.ovfVersion, o.ovfVersion === '2.0' ? '2.x' : '1.x', label);
  assert.equal(plan.machines.length, o.machines.length, label);
  for (const w of plan.warnings) assert.ok(acceptableImportWarning(o.profile, o.machines[0]!.config, w), `${label}: appliance warning: ${w}`);
  o.machines.forEach((m, k) => {
    const c = m.config;
    const p: MachinePlan = plan.machines[k]!;
    const at = `${label}, machine ${c.name} (${JSON.stringify({ os: c.osType, disks: c.disks.map((d) => d.bus), opt: c.opticals.map((x) => x.bus), nics: c.nics.map((n) => n.model) })})`;
    assert.equal(p.name, c.name, at);
    assert.equal(p.osType, c.osType, `${at}: OS read from ${p.osSource}`);
    assert.equal(p.cpus, c.system.cpus, at);
    assert.equal(p.memoryMiB, c.system.memoryMiB, at);
    assert.equal(p.firmware, c.firmware.type, at);
    if (c.firmware.type === 'uefi') assert.equal(p.chipset, 'q35', at);
    assert.equal(p.description, carried(c.description), at);
    for (const w of p.warnings) assert.ok(acceptableImportWarning(o.profile, c, w), `${at}: import warning: ${w}`);

    const order = expectedDiskOrder(o.profile, c);
    assert.equal(p.disks.length, c.disks.length, at);
    p.disks.forEach((d, j) => {
      const i = order[j]!;
      assert.equal(d.file?.href, m.disks[i]!.href, `${at}: disk ${j} of the import`);
      assert.equal(d.file?.sizeBytes, m.disks[i]!.sizeBytes, at);
      assert.equal(d.capacityBytes, m.disks[i]!.capacityBytes, at);
      assert.equal(d.include, true, at);
      assert.equal(d.bus, expectedDiskBus(o.profile, c, c.disks[i]!.bus), `${at}: bus of disk ${i + 1}`);
    });
    if (c.disks.length > 0) assert.equal(p.disks[0]!.file?.href, m.disks[order[0]!]!.href, `${at}: first disk`);
    assert.equal(p.opticals.length, c.opticals.length, at);
    for (const d of p.opticals) assert.equal(d.file, null, at);
    assert.deepEqual(
      p.nics.map((n) => n.model),
      c.nics.map((n) => expectedNic(o.profile, c, n.model)),
      at,
    );
    p.nics.forEach((n, i) => {
      assert.equal(n.network, connectionOf(c.nics[i]!, o.networks), at);
      assert.equal(n.mac, null, `${at}: MAC addresses are not exported`);
    });
    const product = m.product && Object.values(m.product).some((v) => v.trim() !== '') ? m.product : null;
    if (product) {
      assert.deepEqual(p.product, { ...product, fullVersion: '' }, at);
    } else assert.equal(p.product, null, at);
    assert.deepEqual(p.eulas, m.eula && carried(m.eula) ? [carried(m.eula)] : [], at);
  });
}

function writeAndCheck(o: DescriptorOptions): { xml: string; warnings: string[] } {
  const out = writeDescriptor(o);
  assert.deepEqual(structureProblems(out.xml, o.ovfVersion), [], `${o.profile} OVF ${o.ovfVersion}`);
  checkRoundTrip(o, out.xml);
  for (const w of out.warnings) assert.ok(!/[\r\n]/.test(w) && w.endsWith('.'), `warning is not one sentence line: ${w}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The matrix

function matrix(): Spec[] {
  const specs: Spec[] = [];
  const nicModels: NicModel[] = ['virtio', 'e1000', 'e1000e', 'rtl8139', 'vmxnet3', 'pcnet'];
  // Each disk bus on its own, on both chipsets and firmwares where the bus exists.
  for (const bus of ['virtio', 'sata', 'scsi', 'ide', 'nvme'] as DiskBus[]) {
    for (const chipset of ['pc', 'q35'] as const) {
      if (bus === 'ide' && chipset === 'q35') continue;
      specs.push({ disks: [bus], chipset, firmware: chipset === 'q35' ? 'uefi' : 'bios' });
      if (chipset === 'q35') specs.push({ disks: [bus], chipset, firmware: 'bios', osType: 'windows10' });
    }
  }
  // Each NIC model on each OS type; 0 to 3 disks in rotating bus mixes; drives on every bus.
  const buses: DiskBus[] = ['virtio', 'sata', 'scsi', 'nvme', 'ide'];
  let k = 0;
  for (const os of OS_TYPES) {
    for (let nDisks = 0; nDisks <= 3; nDisks++) {
      k++;
      const uefi = os.facts.uefi === 'required' || (os.facts.uefi !== 'unsupported' && k % 2 === 0);
      const chipset = uefi || k % 3 === 0 ? 'q35' : 'pc';
      const pool = buses.filter((b) => chipset === 'pc' || b !== 'ide');
      const disks = Array.from({ length: nDisks }, (_, i) => pool[(k + i * 2) % pool.length]!);
      const opticalBuses: OpticalBus[] = chipset === 'pc' ? ['ide', 'sata', 'scsi'] : ['sata', 'scsi'];
      const opticals = Array.from({ length: k % 3 }, (_, i) => opticalBuses[(k + i) % opticalBuses.length]!);
      const ide = [...disks, ...opticals].filter((b) => b === 'ide').length;
      if (ide > 4) continue;
      specs.push({
        osType: os.id,
        chipset,
        firmware: uefi ? 'uefi' : 'bios',
        cpus: 1 + (k % 8),
        memoryMiB: 256 * (1 + (k % 16)),
        disks,
        opticals,
        isos: k % 2 === 1,
        nics: Array.from({ length: k % 4 }, (_, i) => nicModels[(k + i) % nicModels.length]!),
        description: k % 2 ? `Machine ${k}\nsecond line` : '',
      });
    }
    for (const model of nicModels) specs.push({ osType: os.id, nics: [model], disks: ['sata'] });
  }
  // Full IDE (2 disks + 2 drives), a full SATA controller, four NVMe disks.
  specs.push({ disks: ['ide', 'ide'], opticals: ['ide', 'ide'], osType: 'windows7' });
  specs.push({ disks: ['sata', 'sata', 'sata', 'sata'], opticals: ['sata', 'sata'], chipset: 'q35' });
  specs.push({ disks: ['nvme', 'nvme', 'nvme', 'nvme'], chipset: 'q35', firmware: 'uefi' });
  specs.push({ disks: ['scsi', 'virtio', 'scsi', 'virtio'], opticals: ['scsi'] });
  return specs;
}

/** SATA devices after the profile's (and the importer's) moves: the importer's own limit is 6 ports. */
function fitsSata(profile: ExportProfile, s: Spec): boolean {
  const virtioBlk = getOsType(s.osType ?? 'linux')!.facts.virtioBlk;
  const disks = (s.disks ?? ['virtio']).filter((b) => diskGroup(profile, b) === 'sata' || (profile === 'vmware' && b === 'scsi' && !virtioBlk)).length;
  const drives = (s.opticals ?? []).filter((b) => opticalGroup(profile, b) === 'sata').length;
  return disks + drives <= 6;
}

describe('writeDescriptor: every profile and version × a matrix of machines', () => {
  const specs = matrix();
  for (const profile of PROFILES) {
    for (const version of VERSIONS) {
      test(`${profile}, OVF ${version}: ${specs.length} machines are well-formed, structured, and read back the same`, () => {
        let checked = 0;
        for (const s of specs) {
          if (!fitsSata(profile, s)) continue;
          writeAndCheck({ ovfVersion: version, profile, machines: [machine(makeConfig(s))] });
          checked++;
        }
        assert.ok(checked > 80, `only ${checked} machines checked`);
      });
    }
  }

  test('several machines become a VirtualSystemCollection, each machine read back', () => {
    for (const profile of PROFILES) {
      for (const version of VERSIONS) {
        for (const count of [2, 3]) {
          const specs = matrix().slice(count * 3, count * 3 + count);
          const machines = specs.map((s, i) => machine(makeConfig({ ...s, name: `same name` + (i === 2 ? ' 3' : '') }), { product: { product: `P${i}`, vendor: 'V', version: '1.0', productUrl: 'https://example.com/p', vendorUrl: '' }, eula: i === 0 ? 'Licence' : null }));
          const out = writeAndCheck({ ovfVersion: version, profile, machines, collectionName: 'My appliance' });
          const root = parseXml(out.xml);
          const coll = root.children.find((c) => c.local === 'VirtualSystemCollection')!;
          assert.ok(coll, 'a VirtualSystemCollection');
          assert.equal(children(coll, 'Name')[0]?.text, 'My appliance');
          const ids = children(coll, 'VirtualSystem').map((v) => attr(v, 'id')!);
          assert.equal(new Set(ids).size, count, `distinct system ids: ${ids.join(', ')}`);
          assert.deepEqual(ids.slice(0, 2), ['same name', 'same name (2)']);
        }
      }
    }
  });

  test("each card names its network: a Hangar network's name, 'NAT' for user-mode NAT; the NetworkSection lists each once", () => {
    const lab = '5b0e4c4e-1f7a-4d0a-9a53-2f4b1f6a7c01';
    const ho = '7d1a2b3c-4d5e-4f60-8a71-92b3c4d5e6f7';
    const networks = { [lab]: { name: 'lab', mode: 'nat' }, [ho]: { name: 'back office', mode: 'hostonly' } };
    for (const profile of PROFILES) {
      for (const version of VERSIONS) {
        const c = makeConfig({ nics: ['virtio', 'e1000', 'e1000'] });
        const config = { ...c, nics: [{ ...c.nics[0]!, network: lab }, c.nics[1]!, { ...c.nics[2]!, network: ho }] };
        const other = makeConfig({ nics: ['e1000'] });
        const out = writeAndCheck({ ovfVersion: version, profile, networks, machines: [machine(config), machine({ ...other, nics: [{ ...other.nics[0]!, network: lab }] })] });
        const section = parseXml(out.xml).children.find((k) => k.local === 'NetworkSection')!;
        assert.deepEqual(children(section, 'Network').map((n) => attr(n, 'name')), ['lab', 'NAT', 'back office']);
        const plan = planAppliance(out.xml, 'the export');
        assert.deepEqual(plan.machines[0]!.nics.map((n) => n.network), ['lab', 'NAT', 'back office']);
      }
    }
  });

  test('names and texts with markup characters, quotes, Unicode and control characters', () => {
    const names = [`A & B <c> "d" 'e'`, 'Ünïcødé 名前 🚀', ']]> & &amp; <!-- -->', 'two  spaces  inside'];
    for (const profile of PROFILES) {
      for (const version of VERSIONS) {
        for (const name of names) {
          const config = makeConfig({ name, description: `desc ${name}\u0001\u0007 & <b>\u0085`, disks: ['sata', 'ide'], opticals: ['ide'] });
          const out = writeAndCheck({
            ovfVersion: version,
            profile,
            machines: [machine(config, { product: { product: `${name}™`, vendor: 'V & Co <ltd>', version: '1.0 "beta"', productUrl: 'https://example.com/?a=1&b=2', vendorUrl: "https://example.com/'q'" }, eula: `Terms & <conditions>\r\n\u0002Line two "quoted"\n\tindented` })],
          });
          assert.doesNotMatch(out.xml, new RegExp(CONTROLS.source), 'no control characters in the output');
          const plan = planAppliance(out.xml);
          assert.equal(plan.machines[0]!.description, `desc ${name} & <b>`);
          assert.equal(plan.machines[0]!.eulas[0], 'Terms & <conditions>\r\nLine two "quoted"\n\tindented');
        }
      }
    }
  });

  test('an empty EULA, an empty product, and no product write no section', () => {
    const out = writeAndCheck({ ovfVersion: '1.0', profile: 'kvm', machines: [machine(makeConfig({}), { eula: '  \n ', product: { product: '', vendor: ' ', version: '', productUrl: '', vendorUrl: '' } })] });
    assert.doesNotMatch(out.xml, /EulaSection|ProductSection/);
  });
});

// ---------------------------------------------------------------------------------------------
// Each profile's forms

function hardware(xml: string): { items: XmlElement[]; system: XmlElement; vs: XmlElement; root: XmlElement } {
  const root = parseXml(xml);
  const vs = root.children.find((c) => c.local === 'VirtualSystem')!;
  const hw = children(vs, 'VirtualHardwareSection')[0]!;
  return { items: hw.children.filter((c) => /Item$/.test(c.local)), system: children(hw, 'System')[0]!, vs, root };
}
const field = (e: XmlElement, name: string) => e.children.find((c) => c.local === name)?.text.trim();
const byType = (items: XmlElement[], rt: number) => items.filter((i) => field(i, 'ResourceType') === String(rt));

describe('profile forms', () => {
  test('virtualbox: its hardware family, vbox:OSType, MegaBytes, VirtualBox controller subtypes and adapters', () => {
    const config = makeConfig({ osType: 'windows10', disks: ['virtio', 'scsi', 'nvme', 'ide'], opticals: ['ide'], nics: ['e1000', 'pcnet', 'virtio', 'e1000e', 'rtl8139', 'vmxnet3'] });
    const out = writeDescriptor({ ovfVersion: '1.0', profile: 'virtualbox', machines: [machine(config)] });
    const { items, system, vs } = hardware(out.xml);
    assert.equal(field(system, 'VirtualSystemType'), 'virtualbox-2.2');
    const os = children(vs, 'OperatingSystemSection')[0]!;
    assert.equal(attr(os, 'id'), '120');
    assert.equal(children(os, 'OSType')[0]?.text, 'Windows10_64');
    assert.equal(field(byType(items, 4)[0]!, 'AllocationUnits'), 'MegaBytes');
    assert.deepEqual(byType(items, 20).map((i) => field(i, 'ResourceSubType')), ['AHCI', 'VirtioSCSI', 'NVMe']);
    assert.deepEqual(byType(items, 5).map((i) => [field(i, 'Address'), field(i, 'ResourceSubType')]), [['0', 'PIIX3'], ['1', 'PIIX3']]);
    assert.deepEqual(byType(items, 10).map((i) => field(i, 'ResourceSubType')), ['E1000', 'PCNet32', 'virtio-net', 'E1000', 'E1000', 'E1000']);
    const disk = parseXml(out.xml).children.find((c) => c.local === 'DiskSection')!.children[1]!;
    assert.equal(attr(disk, 'capacityAllocationUnits'), undefined, 'VirtualBox writes capacities in bytes');
    assert.match(out.warnings.join('\n'), /disk 1 \(VirtIO\) is written on the SATA controller: VirtualBox has no VirtIO block device/);
    assert.match(out.warnings.join('\n'), /network card 4 \(e1000e\): VirtualBox has no e1000e adapter/);
    assert.doesNotMatch(out.xml, /vmw:osType|vmx-/);
  });

  test('vmware: vmx hardware family, vmw:osType, one socket, VMware subtypes, LSI Logic for VirtIO SCSI', () => {
    const linux = makeConfig({ osType: 'linux', chipset: 'q35', firmware: 'uefi', cpus: 6, nested: true, disks: ['scsi', 'virtio', 'nvme'], opticals: ['scsi', 'sata'], nics: ['virtio', 'rtl8139', 'e1000e', 'vmxnet3', 'pcnet', 'e1000'] });
    const out = writeDescriptor({ ovfVersion: '1.0', profile: 'vmware', machines: [machine(linux)] });
    const { items, system, vs } = hardware(out.xml);
    assert.match(field(system, 'VirtualSystemType')!, /^vmx-\d+$/);
    const os = children(vs, 'OperatingSystemSection')[0]!;
    assert.equal(attr(os, 'osType'), 'other3xLinux64Guest');
    const cpu = byType(items, 3)[0]!;
    assert.equal(cpu.children.at(-1)?.local, 'CoresPerSocket');
    assert.equal(cpu.children.at(-1)?.text, '6');
    assert.deepEqual(byType(items, 6).map((i) => field(i, 'ResourceSubType')), ['lsilogic']);
    assert.deepEqual(byType(items, 20).map((i) => field(i, 'ResourceSubType')), ['vmware.sata.ahci', 'vmware.nvme.controller']);
    assert.deepEqual(byType(items, 10).map((i) => field(i, 'ResourceSubType')), ['VmxNet3', 'E1000', 'E1000e', 'VmxNet3', 'PCNet32', 'E1000']);
    assert.deepEqual(byType(items, 15).map((i) => [field(i, 'ResourceSubType'), field(i, 'Parent')]), [
      ['vmware.cdrom.remotepassthrough', field(byType(items, 20)[0]!, 'InstanceID')],
      ['vmware.cdrom.remotepassthrough', field(byType(items, 20)[0]!, 'InstanceID')],
    ]);
    assert.match(out.xml, /<vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"\/>/);
    assert.match(out.xml, /vmw:key="nestedHVEnabled" vmw:value="true"/);
    const text = out.warnings.join('\n');
    assert.match(text, /needs the LSI Logic driver/);
    assert.match(text, /CD\/DVD drive 1 is written on the SATA controller/);
    assert.match(text, /network card 1 \(VirtIO\): VMware has no VirtIO network card, so it is written as a VMXNET3/);

    const win = makeConfig({ osType: 'windows11', chipset: 'q35', firmware: 'uefi', disks: ['scsi'], nics: ['virtio'] });
    const w = writeDescriptor({ ovfVersion: '1.0', profile: 'vmware', machines: [machine(win)] });
    const wh = hardware(w.xml);
    assert.equal(attr(children(wh.vs, 'OperatingSystemSection')[0]!, 'osType'), 'windows11_64Guest');
    assert.deepEqual(byType(wh.items, 6).map((i) => field(i, 'ResourceSubType')), ['lsilogicsas']);
    assert.deepEqual(byType(wh.items, 10).map((i) => field(i, 'ResourceSubType')), ['E1000e']);
    assert.match(w.warnings.join('\n'), /windows11_64Guest/);
  });

  test('vmware: SCSI unit 7 belongs to the controller', () => {
    const m = machine(makeConfig({ disks: Array<DiskBus>(9).fill('scsi') }));
    const out = writeDescriptor({ ovfVersion: '1.0', profile: 'vmware', machines: [m] });
    assert.deepEqual(byType(hardware(out.xml).items, 17).map((i) => Number(field(i, 'AddressOnParent'))), [0, 1, 2, 3, 4, 5, 6, 8, 9]);
    checkRoundTrip({ ovfVersion: '1.0', profile: 'vmware', machines: [m] }, out.xml);
  });

  test("kvm: qemu hardware family, VirtIO SCSI as type 6, VirtIO block disks marked with oVirt's disk-interface", () => {
    const config = makeConfig({ chipset: 'q35', disks: ['sata', 'virtio', 'scsi', 'virtio'], opticals: ['scsi'], nics: ['virtio', 'rtl8139'] });
    const out = writeDescriptor({ ovfVersion: '1.0', profile: 'kvm', machines: [machine(config)] });
    const { items, system, root } = hardware(out.xml);
    assert.equal(field(system, 'VirtualSystemType'), 'qemu-q35');
    assert.deepEqual(byType(items, 6).map((i) => field(i, 'ResourceSubType')), ['VirtioSCSI']);
    const scsiId = field(byType(items, 6)[0]!, 'InstanceID');
    // disks 2-4 share the VirtIO SCSI controller in config order; the drive follows them
    assert.deepEqual(byType(items, 17).map((i) => [field(i, 'ElementName'), field(i, 'Parent') === scsiId, field(i, 'AddressOnParent')]), [
      ['Hard disk 1', false, '0'],
      ['Hard disk 2', true, '0'],
      ['Hard disk 3', true, '1'],
      ['Hard disk 4', true, '2'],
    ]);
    assert.equal(field(byType(items, 15)[0]!, 'AddressOnParent'), '3');
    const diskEls = root.children.find((c) => c.local === 'DiskSection')!.children.slice(1);
    assert.deepEqual(diskEls.map((d) => attr(d, 'disk-interface') ?? null), [null, 'VirtIO', null, 'VirtIO']);
    assert.deepEqual(byType(items, 10).map((i) => field(i, 'ResourceSubType')), ['virtio-net', 'rtl8139']);
    assert.deepEqual(out.warnings, []);
    assert.equal(field(hardware(writeDescriptor({ ovfVersion: '1.0', profile: 'kvm', machines: [machine(makeConfig({}))] }).xml).system, 'VirtualSystemType'), 'qemu-pc');
  });

  test('IDE devices sit where QEMU puts them: disks then drives, master then slave, channel 0 then 1', () => {
    for (const profile of PROFILES) {
      const config = makeConfig({ disks: ['sata', 'ide', 'ide'], opticals: ['ide', 'sata'] });
      const { items } = hardware(writeDescriptor({ ovfVersion: '1.0', profile, machines: [machine(config)] }).xml);
      const ide = new Map(byType(items, 5).map((c) => [field(c, 'InstanceID'), field(c, 'Address')]));
      const at = (i: XmlElement) => [field(i, 'ElementName'), ide.get(field(i, 'Parent')), field(i, 'AddressOnParent')];
      assert.deepEqual(
        [...byType(items, 17), ...byType(items, 15)].filter((i) => ide.has(field(i, 'Parent'))).map(at),
        [
          ['Hard disk 2', '0', '0'],
          ['Hard disk 3', '0', '1'],
          ['CD/DVD drive 1', '1', '0'],
        ],
        profile,
      );
      // SATA: the disk on port 0, the drive after it on port 1
      assert.deepEqual(byType(items, 17).concat(byType(items, 15)).filter((i) => !ide.has(field(i, 'Parent'))).map((i) => [field(i, 'ElementName'), field(i, 'AddressOnParent')]), [
        ['Hard disk 1', '0'],
        ['CD/DVD drive 2', '1'],
      ]);
    }
  });

  test('OVF 2.0: the version 2 namespace, EthernetPortItem (epasd) and StorageItem (sasd)', () => {
    const config = makeConfig({ disks: ['sata'], opticals: ['sata'], nics: ['e1000', 'virtio'] });
    const out = writeDescriptor({ ovfVersion: '2.0', profile: 'virtualbox', machines: [machine(config)] });
    const { items, root } = hardware(out.xml);
    assert.equal(root.ns, 'http://schemas.dmtf.org/ovf/envelope/2');
    assert.deepEqual(items.map((i) => i.local), ['Item', 'Item', 'Item', 'EthernetPortItem', 'EthernetPortItem', 'StorageItem', 'StorageItem']);
    for (const i of items.filter((x) => x.local === 'StorageItem')) assert.ok(i.children.every((c) => c.ns === SASD));
    for (const i of items.filter((x) => x.local === 'EthernetPortItem')) assert.ok(i.children.every((c) => c.ns === EPASD));
    assert.deepEqual(items.map((i) => field(i, 'InstanceID')), ['1', '2', '3', '4', '5', '6', '7']);
  });

  test('firmware is recorded for every profile, BIOS included', () => {
    for (const profile of PROFILES) {
      for (const fw of ['bios', 'uefi'] as const) {
        const config = makeConfig({ osType: 'windows11', chipset: 'q35', firmware: fw, disks: ['sata'] });
        const out = writeAndCheck({ ovfVersion: '1.0', profile, machines: [machine(config)] });
        assert.match(out.xml, new RegExp(`vmw:key="firmware" vmw:value="${fw === 'uefi' ? 'efi' : 'bios'}"`));
        assert.equal(/Enable EFI/.test(out.warnings.join(' ')), profile === 'virtualbox' && fw === 'uefi', `${profile} ${fw}`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Warnings and refusals

describe('warnings and refusals', () => {
  test('ISO images, port forwards, a direct kernel and nested virtualization are named', () => {
    const base = makeConfig({ opticals: ['ide'], isos: true, nested: true });
    const config: VmConfig = { ...base, nics: [{ ...base.nics[0]!, forwards: [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 }] }], boot: { order: ['disk'], kernel: '/boot/vmlinuz' } };
    const out = writeDescriptor({ ovfVersion: '1.0', profile: 'kvm', machines: [machine(config)] });
    const text = out.warnings.join('\n');
    assert.match(text, /the ISO image in CD\/DVD drive 1 \(install-0\.iso\) is not exported/);
    assert.match(text, /port forwards of network card 1/);
    assert.match(text, /starts a kernel directly/);
    assert.match(text, /nested virtualization/);
    assert.equal(new Set(out.warnings).size, out.warnings.length, 'each warning once');
  });

  test('collections warn where consumers refuse them; OVF 2.0 warns for kvm', () => {
    const two = () => [machine(makeConfig({})), machine(makeConfig({}))];
    assert.match(writeDescriptor({ ovfVersion: '1.0', profile: 'vmware', machines: two() }).warnings.join(' '), /standalone ESXi hosts refuse it/);
    assert.match(writeDescriptor({ ovfVersion: '1.0', profile: 'kvm', machines: two() }).warnings.join(' '), /Proxmox reads only single-VM appliances/);
    assert.match(writeDescriptor({ ovfVersion: '2.0', profile: 'kvm', machines: [machine(makeConfig({}))] }).warnings.join(' '), /virt-v2v/);
    assert.deepEqual(writeDescriptor({ ovfVersion: '1.0', profile: 'kvm', machines: [machine(makeConfig({}))] }).warnings, []);
  });

  test('refuses no machines, mismatched disks, a shared file name, bad sizes', () => {
    const refuses = (o: DescriptorOptions, re: RegExp) =>
      assert.throws(
        () => writeDescriptor(o),
        (e: unknown) => isHangarError(e, 'INVALID_INPUT') && re.test(e.message),
      );
    refuses({ ovfVersion: '1.0', profile: 'kvm', machines: [] }, /at least one VM/);
    const m = machine(makeConfig({ disks: ['sata', 'sata'] }));
    refuses({ ovfVersion: '1.0', profile: 'kvm', machines: [{ ...m, disks: m.disks.slice(0, 1) }] }, /do not match/);
    refuses({ ovfVersion: '1.0', profile: 'kvm', machines: [{ ...m, disks: [...m.disks].reverse() }] }, /do not match/);
    refuses({ ovfVersion: '1.0', profile: 'kvm', machines: [{ ...m, disks: m.disks.map((d) => ({ ...d, href: 'same.vmdk' })) }] }, /same file/);
    refuses({ ovfVersion: '1.0', profile: 'kvm', machines: [{ ...m, disks: m.disks.map((d) => ({ ...d, capacityBytes: -1 })) }] }, /invalid capacity/);
    refuses({ ovfVersion: '1.0', profile: 'kvm', machines: [{ ...m, disks: m.disks.map((d, i) => ({ ...d, href: i === 0 ? ' ' : d.href })) }] }, /no file name/);
  });

  test('the same input gives the same document', () => {
    const m = machine(makeConfig({ disks: ['sata', 'virtio'], opticals: ['ide'], nics: ['e1000'] }));
    for (const profile of PROFILES) assert.equal(writeDescriptor({ ovfVersion: '1.0', profile, machines: [m] }).xml, writeDescriptor({ ovfVersion: '1.0', profile, machines: [m] }).xml);
  });

  test('PROFILE_NOTES: one line per choice for each profile', () => {
    for (const profile of PROFILES) {
      const notes = PROFILE_NOTES[profile];
      assert.ok(notes.length >= 8, profile);
      for (const n of notes) assert.ok(n.length > 20 && !/[\r\n]/.test(n), `${profile}: ${n}`);
      assert.equal(new Set(notes).size, notes.length, `${profile}: no line twice`);
    }
    assert.match(PROFILE_NOTES.vmware.join(' '), /vmx-\d+/);
    assert.match(PROFILE_NOTES.virtualbox.join(' '), /virtualbox-2\.2/);
  });
});

describe('the kvm profile carries the board', () => {
  test('pc and q35 read back as they were written (a BIOS Linux VM could be either)', () => {
    for (const chipset of ['pc', 'q35'] as const) {
      const config = makeConfig({ chipset, disks: ['sata'], nics: ['virtio'] });
      const { xml } = writeDescriptor({ ovfVersion: '1.0', profile: 'kvm', machines: [machine(config)] });
      assert.match(xml, new RegExp(`qemu-${chipset}`));
      assert.equal(planAppliance(xml).machines[0]!.chipset, chipset);
    }
  });
});

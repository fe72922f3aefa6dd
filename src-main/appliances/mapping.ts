// An OVF descriptor mapped onto Hangar's machine model: one MachinePlan per virtual system. What
// Hangar can give exactly is taken as is; what it cannot is mapped to the nearest equivalent, and
// every approximation or omission becomes a warning the user reads in the review (one fact each).
// Nothing is dropped silently. Pure: the entry point takes the descriptor's text or bytes.
import { HangarError } from '../../src-vmm/base/errors.js';
import {
  DISK_BUSES,
  MAX_CPUS,
  MAX_DESCRIPTION_LENGTH,
  MAX_DISKS,
  MAX_IDE_DEVICES_PC,
  MAX_MEMORY_MIB,
  MAX_NAME_LENGTH,
  MAX_NICS,
  MAX_OPTICALS,
  MAX_SATA_DEVICES,
  MIN_MEMORY_MIB,
  NIC_MODELS,
  busOnChipset,
  chipsetFor,
  defaultsFor,
  getOsType,
  type DiskBus,
  type FirmwareType,
  type MachineDefaults,
  type NicModel,
  type OpticalBus,
  type OsType,
} from '../../src-vmm/model/index.js';
import type { Chipset } from '../../src-vmm/model/system.js';
import { parseDescriptor, type OvfDescriptor, type OvfDisk, type OvfHardware, type OvfItem, type OvfProduct, type OvfVirtualSystem, type VBoxAdapter } from './descriptor.js';
import { osFromCimId, osFromOvirt, osFromText, osFromVirtualBox, osFromVmware, type OsGuess } from './osTypes.js';
import type { AppliancePlan, MachinePlan, PlannedDisk, PlannedNic, PlannedOptical, ProductInfo, SourceFile } from './plan.js';
import { MIB, byteMultiplier, parseQuantity } from './units.js';
import { parseXml } from './xml.js';

// CIM ResourceType values (DSP1041/CIM_ResourceAllocationSettingData) and the vendor ones seen.
const RT = {
  other: 1,
  processor: 3,
  memory: 4,
  ide: 5,
  scsi: 6,
  fibreChannel: 7,
  iscsi: 8,
  infiniband: 9,
  ethernet: 10,
  otherNetwork: 11,
  floppy: 14,
  cd: 15,
  dvd: 16,
  disk: 17,
  storageExtent: 19,
  otherStorage: 20,
  serial: 21,
  parallel: 22,
  usb: 23,
  graphics: 24,
  firewire: 25,
  ovirtGraphics: 26,
  logicalDisk: 31,
  storageVolume: 32,
  /** not CIM: VirtualBox's sound card */
  vboxSound: 35,
  /** vendor range: VirtualBox's NVRAM file, oVirt's monitor */
  vendor: 32768,
} as const;

const RT_LABELS: Readonly<Record<number, string>> = {
  2: 'computer system',
  9: 'InfiniBand adapter',
  12: 'I/O slot',
  13: 'I/O device',
  18: 'tape drive',
  25: 'IEEE 1394 (FireWire) controller',
  26: 'partitionable unit',
  27: 'base partitionable unit',
  28: 'power supply',
  29: 'cooling unit',
  30: 'Ethernet switch port',
  33: 'Ethernet connection',
};

// ------------------------------------------------------------------------------------------------
// Small helpers

/** Warnings in order, each once; a hostile descriptor cannot make the list endless. */
class Notes {
  private readonly items: string[] = [];
  private readonly seen = new Set<string>();
  private suppressed = 0;
  add(message: string): void {
    if (this.seen.has(message)) return;
    if (this.items.length >= MAX_NOTES) {
      this.suppressed++;
      return;
    }
    this.seen.add(message);
    this.items.push(message);
  }
  get list(): string[] {
    return this.suppressed ? [...this.items, `${plural(this.suppressed, 'further warning')} ${this.suppressed === 1 ? 'is' : 'are'} not shown.`] : [...this.items];
  }
}

const MAX_NOTES = 100;

const clip = (s: string, n = 80) => {
  const chars = [...s.slice(0, n * 2)];
  return chars.length > n ? `${chars.slice(0, n - 1).join('')}…` : chars.join('');
};

function itemName(item: OvfItem): string {
  const n = item.elementName || item.caption || item.description;
  if (n) return `"${clip(n)}"`;
  return item.instanceId ? `#${clip(item.instanceId, 40)}` : `on line ${item.line}`;
}

const busLabel = (bus: DiskBus | OpticalBus) => DISK_BUSES.find((b) => b.value === bus)?.label ?? bus;
const nicLabel = (model: NicModel) => NIC_MODELS.find((m) => m.value === model)?.label ?? model;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function formatSize(bytes: number): string {
  const gib = bytes / 2 ** 30;
  if (gib >= 1) return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
  return `${Math.round(bytes / MIB)} MiB`;
}

/** Tokens of a subtype that may be a list: 'buslogic lsilogic', 'buslogic,lsilogic'. */
const tokens = (s: string) =>
  s
    .toLowerCase()
    .split(/[\s,;]+/)
    .filter(Boolean)
    .slice(0, 8);

function numberOrNull(s: string | null): number | null {
  const q = parseQuantity(s);
  return q !== null && Number.isSafeInteger(q) ? q : null;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/gu;

/** A valid VM name from what the appliance calls the machine ('' when nothing usable is left). */
export function toVmName(raw: string): string {
  let s = raw.slice(0, MAX_NAME_LENGTH * 8);
  s = s.replace(/\s*[\r\n\t\f\v]+\s*/g, ' ').replace(CONTROL_CHARS, '').replace(/[/\\]/g, '-').trim();
  const chars = [...s];
  if (chars.length > MAX_NAME_LENGTH) s = chars.slice(0, MAX_NAME_LENGTH).join('').trim();
  if (s === '.' || s === '..') s = '';
  // Names people can act on safely: no bidi controls, nothing read as an option or taken for an id.
  s = s.replace(/[\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/gu, '').replace(/^[-\s]+/u, '');
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s)) s = `Appliance ${s}`;
  return s;
}

/** A MAC address as Hangar stores it (lower case, colons), or null when it is not one. */
export function normaliseMac(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const s = raw.trim().toLowerCase();
  if (s.length > 32) return null;
  if (/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/.test(s)) return s.replace(/-/g, ':');
  if (/^[0-9a-f]{12}$/.test(s)) return s.match(/../g)!.join(':');
  if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/.test(s)) return s.replace(/\./g, '').match(/../g)!.join(':');
  return null;
}

// ------------------------------------------------------------------------------------------------
// Appliance-wide context

interface PropertyValue {
  value: string | null;
  userConfigurable: boolean;
}

interface Ctx {
  d: OvfDescriptor;
  what: string;
  files: Map<string, SourceFile>;
  filesByHref: Map<string, SourceFile>;
  disks: Map<string, OvfDisk>;
  disksByFileRef: Map<string, OvfDisk>;
  configuration: string | null;
  properties: Map<string, PropertyValue>;
  /** disks some machine attaches */
  usedDisks: Set<string>;
}

function invalid(ctx: Ctx, message: string): HangarError {
  return new HangarError('INVALID_INPUT', `${ctx.what}: ${message}`);
}

function chooseConfiguration(d: OvfDescriptor, notes: Notes): string | null {
  if (d.configurations.length === 0) return null;
  const chosen = d.configurations.find((c) => c.isDefault) ?? d.configurations[0]!;
  if (d.configurations.length > 1) {
    const ids = d.configurations.slice(0, 8).map((c) => clip(c.id, 40));
    const more = d.configurations.length > 8 ? ', …' : '';
    notes.add(
      `The appliance offers ${d.configurations.length} deployment configurations (${ids.join(', ')}${more}); Hangar imports the default one, '${clip(chosen.id, 40)}'${chosen.label ? ` (${clip(chosen.label)})` : ''}.`,
    );
  }
  return chosen.id;
}

function collectProperties(d: OvfDescriptor, configuration: string | null): Map<string, PropertyValue> {
  const out = new Map<string, PropertyValue>();
  const products: OvfProduct[] = [...d.collections.flatMap((c) => c.products), ...d.systems.flatMap((s) => s.products)];
  for (const p of products) {
    for (const prop of p.properties) {
      const forConfig = configuration === null ? undefined : prop.configurationValues.find((v) => v.configurations.includes(configuration));
      const value = { value: forConfig?.value ?? prop.value, userConfigurable: prop.userConfigurable };
      if (!out.has(prop.fullKey)) out.set(prop.fullKey, value);
      if (!out.has(prop.key)) out.set(prop.key, value);
    }
  }
  return out;
}

function sourceFileFor(ctx: Ctx, disk: OvfDisk): SourceFile | null {
  if (disk.fileRef === null) return null;
  return ctx.files.get(disk.fileRef) ?? ctx.filesByHref.get(disk.fileRef) ?? null;
}

const ISO_FORMAT = /ecma-119|iso9660|iso-9660/i;

function isIsoDisk(disk: OvfDisk, file: SourceFile | null): boolean {
  if (ISO_FORMAT.test(disk.format)) return true;
  return file !== null && /\.iso(\.gz)?$/i.test(file.href);
}

// ------------------------------------------------------------------------------------------------
// OS type

interface OsChoice {
  os: OsType;
  source: string;
}

function chooseOs(vs: OvfVirtualSystem, notes: Notes): OsChoice {
  const hints: { guess: OsGuess | null; source: string }[] = [];
  const quote = (s: string) => `'${clip(s, 60)}'`;
  if (vs.vbox?.osType) hints.push({ guess: osFromVirtualBox(vs.vbox.osType), source: `vbox:Machine OSType ${quote(vs.vbox.osType)}` });
  const os = vs.os;
  if (os?.vboxOsType) hints.push({ guess: osFromVirtualBox(os.vboxOsType), source: `vbox:OSType ${quote(os.vboxOsType)}` });
  if (os?.vmwOsType) hints.push({ guess: osFromVmware(os.vmwOsType), source: `vmw:osType ${quote(os.vmwOsType)}` });
  if (os?.ovirtId) hints.push({ guess: osFromOvirt(os.ovirtId), source: `ovirt:id ${quote(os.ovirtId)}` });
  if (os?.id && /^\d{1,6}$/.test(os.id)) hints.push({ guess: osFromCimId(Number(os.id)), source: `CIM id ${Number(os.id)}` });
  if (os?.description) hints.push({ guess: osFromText(os.description) ?? osFromOvirt(os.description), source: `OS description ${quote(os.description)}` });

  const known = hints.filter((h): h is { guess: OsGuess; source: string } => h.guess !== null);
  const chosen = known.find((h) => h.guess.specific) ?? known[0];
  if (!chosen) {
    const what = hints.length ? `names an operating system Hangar does not recognise (${hints[0]!.source})` : 'does not say which operating system it holds';
    notes.add(`The appliance ${what}; Hangar uses the 'Other' type, and choosing the right type in the review gives better defaults.`);
    return { os: getOsType('other')!, source: hints[0]?.source ?? 'not stated in the appliance' };
  }
  const g = chosen.guess;
  const osType = getOsType(g.osType)!;
  if (g.osType === 'other' && g.specific) {
    notes.add(`The guest is ${g.label}, which Hangar's OS catalogue has no entry for; it gets the 'Other' type (BIOS, SATA or IDE disks, e1000 network).`);
  } else if (g.osType === 'other') {
    notes.add(`The appliance does not say which operating system it holds (${chosen.source}); Hangar uses the 'Other' type, and choosing the right type in the review gives better defaults.`);
  }
  if (g.foreignArch) notes.add(`The appliance was made for ${g.foreignArch} processors (${chosen.source}); Hangar runs x86-64 guests, so it will not start.`);
  return { os: osType, source: `${chosen.source} (${g.label})` };
}

// ------------------------------------------------------------------------------------------------
// Hardware section and items

function pickHardware(vs: OvfVirtualSystem, notes: Notes): OvfHardware | null {
  const all = vs.hardware;
  if (all.length === 0) {
    notes.add('The appliance describes no virtual hardware for this machine; it gets the defaults of its OS type and no disks.');
    return null;
  }
  if (all.length === 1) return all[0]!;
  const rank = (h: OvfHardware) => {
    const t = h.systemTypes.join(' ').toLowerCase();
    return /hvm/.test(t) ? 0 : /vmx/.test(t) ? 1 : /virtualbox/.test(t) ? 2 : /xen/.test(t) ? 4 : 3;
  };
  let best = all[0]!;
  for (const h of all) if (rank(h) < rank(best)) best = h;
  const name = (h: OvfHardware) => (h.systemTypes.length ? h.systemTypes.join(' ') : 'untyped');
  notes.add(`The appliance describes this machine's hardware in ${all.length} variants (${all.slice(0, 6).map((h) => clip(name(h), 40)).join(', ')}); Hangar uses the '${clip(name(best), 40)}' one.`);
  return best;
}

function activeItems(hw: OvfHardware | null, configuration: string | null): OvfItem[] {
  if (!hw) return [];
  return hw.items.filter((i) => (i.bound === null || i.bound === 'normal') && (i.configurations === null || configuration === null || i.configurations.includes(configuration)));
}

// ------------------------------------------------------------------------------------------------
// Storage

type ControllerKind = 'ide' | 'sata' | 'scsi' | 'nvme' | 'approx' | 'nvdimm' | 'unknown';

interface Controller {
  item: OvfItem;
  kind: ControllerKind;
  /** the subtype as the appliance named it ('lsilogic', 'PIIX4', 'vmware.sata.ahci'; '' when none) */
  variant: string;
  /** for people: 'SCSI controller (lsilogic)' */
  label: string;
  /** sort rank: document position; IDE controllers share the first one's */
  rank: number;
  /** IDE: the channel (Address, 0.9's BusNumber) */
  channel: number;
  warned: boolean;
}

const SCSI_NAMES: Readonly<Record<string, string>> = {
  lsilogic: 'LSI Logic',
  buslogic: 'BusLogic',
  lsilogicsas: 'LSI Logic SAS',
  virtualscsi: 'VMware Paravirtual (PVSCSI)',
  pvscsi: 'VMware Paravirtual (PVSCSI)',
};
const VIRTIO_SCSI = new Set(['virtioscsi', 'virtio-scsi', 'virtio_scsi']);
const AHCI = new Set(['ahci', 'vmware.sata.ahci', 'sata']);
const NVME = new Set(['nvme', 'vmware.nvme.controller']);

function classifyController(item: OvfItem, attached: boolean): Omit<Controller, 'rank' | 'channel' | 'warned' | 'item'> | null {
  const sub = item.resourceSubType;
  const toks = tokens(sub);
  const shown = clip(sub, 40);
  switch (item.resourceType) {
    case RT.ide:
      return { kind: 'ide', variant: sub, label: `IDE controller${sub ? ` (${shown})` : ''}` };
    case RT.scsi: {
      if (toks.some((t) => VIRTIO_SCSI.has(t))) return { kind: 'scsi', variant: sub, label: 'VirtIO SCSI controller' };
      const known = toks.find((t) => SCSI_NAMES[t] !== undefined);
      if (known) return { kind: 'approx', variant: known, label: `SCSI controller (${known})` };
      return { kind: 'approx', variant: sub, label: sub ? `SCSI controller (${shown})` : 'SCSI controller (no type given)' };
    }
    case RT.otherStorage: {
      if (toks.some((t) => AHCI.has(t))) return { kind: 'sata', variant: sub, label: 'SATA (AHCI) controller' };
      if (toks.some((t) => NVME.has(t))) return { kind: 'nvme', variant: sub, label: 'NVMe controller' };
      if (toks.some((t) => VIRTIO_SCSI.has(t))) return { kind: 'scsi', variant: sub, label: 'VirtIO SCSI controller' };
      if (toks.some((t) => t.startsWith('vmware.nvdimm'))) return { kind: 'nvdimm', variant: sub, label: 'NVDIMM controller' };
      // oVirt's engine-internal OVF writes its monitor as resource type 20: a controller only if used.
      return attached ? { kind: 'unknown', variant: sub, label: `storage controller ${itemName(item)}${sub ? ` (${shown})` : ''}` } : null;
    }
    case RT.fibreChannel:
      return { kind: 'approx', variant: sub || 'Fibre Channel', label: 'Fibre Channel adapter' };
    case RT.iscsi:
      return { kind: 'approx', variant: sub || 'iSCSI', label: 'iSCSI adapter' };
    case RT.infiniband:
      return attached ? { kind: 'approx', variant: sub || 'InfiniBand', label: 'InfiniBand adapter' } : null;
    default:
      return null;
  }
}

interface HostRef {
  kind: 'disk' | 'file' | 'other';
  id: string;
}

function parseHostResource(raw: string): HostRef {
  const s = raw.trim();
  const m = /^(?:ovf:)?\/*(disk|file)\/(.+)$/i.exec(s);
  if (m) return { kind: m[1]!.toLowerCase() as 'disk' | 'file', id: m[2]!.trim() };
  return { kind: 'other', id: s };
}

interface Device {
  kind: 'disk' | 'optical';
  item: OvfItem | null;
  name: string;
  controller: Controller | null;
  /** null: an optical drive without a controller, placed once the chipset is known */
  bus: DiskBus | null;
  sourceController: string;
  sort: [number, number, number];
  // disk
  diskId: string;
  file: SourceFile | null;
  capacityBytes: number;
  formatUri: string;
  include: boolean;
}

function ideLabel(flat: number | null): string {
  if (flat === null) return 'IDE';
  if (flat > 3) return `IDE position ${flat}`;
  return `IDE ${flat >> 1} ${flat & 1 ? 'slave' : 'master'}`;
}

interface StoragePlan {
  disks: Device[];
  opticals: Device[];
}

class MachineMapper {
  readonly notes = new Notes();
  private os!: OsType;
  private def!: MachineDefaults;
  private items: OvfItem[] = [];
  private readonly consumed = new Set<OvfItem>();

  constructor(
    private readonly ctx: Ctx,
    private readonly vs: OvfVirtualSystem,
  ) {}

  map(): MachinePlan {
    const { vs, ctx, notes } = this;
    const hw = pickHardware(vs, notes);
    this.items = activeItems(hw, ctx.configuration);

    const os = chooseOs(vs, notes);
    this.os = os.os;
    this.def = defaultsFor(os.os.id);

    const name = this.name(hw);
    const description = this.description();
    const cpus = this.cpus();
    const memoryMiB = this.memory();
    const firmware = this.firmware(hw);
    this.platformNotes(hw, firmware);

    const storage = this.storage();
    const nics = this.nics();
    const chipset = this.placeStorage(storage, firmware);
    this.leftovers(firmware);

    const disks: PlannedDisk[] = storage.disks.map((d) => ({
      diskId: d.diskId,
      file: d.file,
      capacityBytes: d.capacityBytes,
      formatUri: d.formatUri,
      bus: d.bus ?? this.def.diskBus,
      sourceController: d.sourceController,
      include: d.include,
    }));
    const opticals: PlannedOptical[] = storage.opticals.map((o) => ({ bus: (o.bus ?? 'sata') as OpticalBus, file: o.file, sourceController: o.sourceController }));

    return {
      systemId: vs.id,
      name,
      description,
      osType: os.os.id,
      osSource: os.source,
      cpus,
      memoryMiB,
      firmware,
      chipset,
      disks,
      opticals,
      nics,
      warnings: notes.list,
      product: this.product(),
      eulas: [...new Set([...vs.enclosing.flatMap((c) => c.eulas), ...vs.eulas])],
    };
  }

  // --- identity ------------------------------------------------------------------------------

  private name(hw: OvfHardware | null): string {
    const candidates = [this.vs.name, this.vs.id, hw?.systemIdentifier ?? null];
    for (const raw of candidates) {
      if (raw === null) continue;
      const trimmed = raw.trim();
      if (trimmed === '') continue;
      const name = toVmName(trimmed);
      if (name === '') continue;
      if (name !== trimmed) this.notes.add(`The machine's name '${clip(trimmed)}' is not a valid VM name; it becomes '${clip(name)}'.`);
      return name;
    }
    this.notes.add("The appliance gives this machine no usable name; it is called 'Imported VM'.");
    return 'Imported VM';
  }

  private description(): string {
    const raw = this.vs.annotation ?? this.vs.description ?? this.vs.vbox?.description ?? '';
    if ([...raw].length <= MAX_DESCRIPTION_LENGTH) return raw;
    this.notes.add(`The machine's description is cut to ${MAX_DESCRIPTION_LENGTH} characters.`);
    return [...raw].slice(0, MAX_DESCRIPTION_LENGTH).join('');
  }

  private product(): ProductInfo | null {
    const products = [...this.vs.products, ...[...this.vs.enclosing].reverse().flatMap((c) => c.products)];
    const p = products.find((x) => x.product || x.vendor || x.version) ?? null;
    if (!p) return null;
    return { product: p.product, vendor: p.vendor, version: p.version, fullVersion: p.fullVersion, productUrl: p.productUrl, vendorUrl: p.vendorUrl };
  }

  // --- CPU and memory ------------------------------------------------------------------------

  private cpus(): number {
    const { notes, def, os } = this;
    const cpuItems = this.items.filter((i) => i.resourceType === RT.processor);
    for (const i of cpuItems) this.consumed.add(i);
    if (cpuItems.length > 1) notes.add(`The appliance lists ${cpuItems.length} processor items; Hangar reads the first.`);
    const item = cpuItems[0];
    let count: number | null = null;
    const vbox = this.vs.vbox?.cpus ?? null;
    if (vbox !== null && vbox >= 1) count = vbox;
    else if (item) {
      const q = numberOrNull(item.virtualQuantity);
      if (q !== null && q >= 1) count = q;
      else if (item.virtualQuantity === null && item.ovirt.numOfSockets !== null) {
        const o = item.ovirt;
        const n = (o.numOfSockets ?? 1) * (o.cpuPerSocket ?? 1) * (o.threadsPerCpu ?? 1);
        if (n >= 1 && Number.isSafeInteger(n)) count = n;
      } else if (item.virtualQuantity !== null) {
        notes.add(`The processor item says '${clip(item.virtualQuantity, 40)}' virtual CPUs, which is not a count; Hangar uses ${def.cpus}, the default for ${os.label}.`);
      }
    }
    if (count === null) {
      if (!item || item.virtualQuantity === null) notes.add(`The appliance does not say how many virtual CPUs the machine has; Hangar uses ${def.cpus}, the default for ${os.label}.`);
      count = def.cpus;
    }
    if (count > MAX_CPUS) {
      notes.add(`The appliance asks for ${count} virtual CPUs; Hangar gives a VM at most ${MAX_CPUS}.`);
      count = MAX_CPUS;
    }
    const cps = item?.coresPerSocket ?? null;
    if (cps !== null && cps >= 1 && cps < count) {
      notes.add(`The appliance arranges its ${count} virtual CPUs as ${cps} cores per socket; Hangar gives the VM one socket with ${count} cores.`);
    }
    return count;
  }

  private memory(): number {
    const { notes, def, os } = this;
    const memItems = this.items.filter((i) => i.resourceType === RT.memory);
    for (const i of memItems) this.consumed.add(i);
    if (memItems.length > 1) notes.add(`The appliance lists ${memItems.length} memory items; Hangar reads the first.`);
    let mib: number | null = null;
    const vbox = this.vs.vbox?.memoryMiB ?? null;
    const item = memItems[0];
    if (vbox !== null && vbox > 0) mib = vbox;
    else if (item) {
      const q = parseQuantity(item.virtualQuantity);
      if (q === null) {
        notes.add(
          item.virtualQuantity === null
            ? `The appliance does not say how much memory the machine has; Hangar uses ${def.memoryMiB} MiB, the default for ${os.label}.`
            : `The memory item says '${clip(item.virtualQuantity, 40)}', which is not an amount; Hangar uses ${def.memoryMiB} MiB, the default for ${os.label}.`,
        );
      } else if (item.allocationUnits === null) {
        // MiB is what every producer means; a number this large can only be bytes.
        const bytes = q >= 2 ** 24;
        mib = bytes ? q / MIB : q;
        notes.add(`The memory item gives no units; Hangar reads ${q} as ${bytes ? 'bytes' : 'MiB'}.`);
      } else {
        const m = byteMultiplier(item.allocationUnits);
        if (m === null) notes.add(`The memory item uses units Hangar does not know ('${clip(item.allocationUnits, 40)}'); Hangar uses ${def.memoryMiB} MiB, the default for ${os.label}.`);
        else mib = (q * m) / MIB;
      }
    } else {
      notes.add(`The appliance does not say how much memory the machine has; Hangar uses ${def.memoryMiB} MiB, the default for ${os.label}.`);
    }
    if (mib === null || !Number.isFinite(mib)) return def.memoryMiB;
    let whole = Math.round(mib);
    if (whole < MIN_MEMORY_MIB) {
      notes.add(`The appliance gives the machine ${mib < 1 ? 'less than 1' : whole} MiB of memory; Hangar gives a VM at least ${MIN_MEMORY_MIB} MiB.`);
      whole = MIN_MEMORY_MIB;
    } else if (whole > MAX_MEMORY_MIB) {
      notes.add(`The appliance gives the machine ${whole} MiB of memory; Hangar gives a VM at most ${MAX_MEMORY_MIB} MiB.`);
      whole = MAX_MEMORY_MIB;
    }
    return whole;
  }

  // --- firmware ------------------------------------------------------------------------------

  private firmware(hw: OvfHardware | null): FirmwareType {
    const { notes, vs, def, os } = this;
    const vmw = (key: string) => hw?.vmwConfig.find((c) => c.kind === 'Config' && c.key === key)?.value ?? hw?.vmwConfig.find((c) => c.kind === 'ExtraConfig' && c.key === key)?.value;
    const xen = (name: string) => hw?.xenConfig.find((c) => c.name === name)?.value;

    const vboxFw = vs.vbox?.firmware?.toUpperCase() ?? null;
    if (vboxFw !== null) {
      if (vboxFw.startsWith('EFI')) {
        if (vboxFw === 'EFI32') notes.add("The appliance used VirtualBox's 32-bit UEFI; Hangar's UEFI is 64-bit and may not start a guest that only has a 32-bit boot loader.");
        return 'uefi';
      }
      return 'bios';
    }
    const vmwFw = vmw('firmware')?.toLowerCase();
    if (vmwFw === 'efi' || vmwFw === 'uefi') return 'uefi';
    if (vmwFw === 'bios') return 'bios';
    if (vmwFw) notes.add(`The appliance names a firmware Hangar does not know ('${clip(vmwFw, 40)}'); Hangar uses ${def.firmware === 'uefi' ? 'UEFI' : 'BIOS'}.`);
    const bootParams = xen('HVM_boot_params')?.toLowerCase();
    if (bootParams !== undefined) {
      const m = /(?:^|[;,\s])firmware\s*[=:]\s*(\w+)/.exec(bootParams);
      if (m?.[1] === 'uefi' || m?.[1] === 'efi') return 'uefi';
      if (m?.[1] === 'bios') return 'bios';
    }
    const biosType = vs.ovirtBiosType;
    if (biosType !== null) {
      if (biosType === '2' || biosType === '3') return 'uefi';
      if (biosType === '0' || biosType === '1') return 'bios';
    }
    if (def.firmware === 'uefi') notes.add(`The appliance does not say which firmware it uses; ${os.label} needs UEFI, so Hangar uses UEFI.`);
    return def.firmware;
  }

  /** Secure Boot, NVRAM, nested virtualization, Xen PV: facts that change how the guest starts. */
  private platformNotes(hw: OvfHardware | null, firmware: FirmwareType): void {
    const { notes, vs } = this;
    const vmwValue = (key: string) => hw?.vmwConfig.find((c) => c.key.toLowerCase() === key.toLowerCase())?.value.toLowerCase();
    const xenValue = (name: string) => hw?.xenConfig.find((c) => c.name.toLowerCase() === name.toLowerCase())?.value.toLowerCase();
    const secureBoot =
      vmwValue('bootOptions.efiSecureBootEnabled') === 'true' ||
      vmwValue('uefi.secureBoot.enabled') === 'true' ||
      vs.ovirtBiosType === '3' ||
      /(^|[;,\s])secureboot\s*[=:]\s*(true|1|auto)/.test(xenValue('platform') ?? '');
    if (secureBoot && firmware === 'uefi') notes.add('The appliance had UEFI Secure Boot on; the imported VM starts with fresh UEFI settings, in which Secure Boot may be off.');

    const nvramFile = vmwValue('nvram');
    const xenNvram = xenValue('NVRAM');
    if (nvramFile !== undefined || (xenNvram !== undefined && xenNvram !== '')) notes.add(nvramNote(firmware));
    if (vmwValue('nestedHVEnabled') === 'true') notes.add("Nested virtualization was on in the appliance; turn it on in the VM's settings if the guest runs VMs of its own.");
    const types = hw?.systemTypes.join(' ').toLowerCase() ?? '';
    // 'vmx-04 xen-3.0' runs on either; only a Xen-only type is a paravirtualized guest.
    if (hw && hw.systemTypes.length > 0 && hw.systemTypes.every((t) => /^xen-/i.test(t))) {
      notes.add('The appliance is a Xen paravirtualized (PV) guest; it starts in Hangar only if its kernel also supports ordinary PC hardware.');
    }
    if (/aarch64|arm64|ppc64|s390x/.test(types)) notes.add(`The appliance's hardware is for another processor architecture ('${clip(types, 40)}'); Hangar runs x86-64 guests, so it will not start.`);
  }

  // --- storage -------------------------------------------------------------------------------

  private storage(): StoragePlan {
    const { ctx, items } = this;
    const byInstance = new Map<string, OvfItem>();
    for (const i of items) if (i.instanceId && !byInstance.has(i.instanceId)) byInstance.set(i.instanceId, i);
    const parents = new Set<string>();
    for (const i of items) if (i.parent) parents.add(i.parent);

    const controllers = new Map<OvfItem, Controller>();
    let firstIdeRank: number | null = null;
    items.forEach((item, index) => {
      const c = classifyController(item, item.instanceId !== '' && parents.has(item.instanceId));
      if (!c) return;
      this.consumed.add(item);
      let rank = index;
      if (c.kind === 'ide') {
        firstIdeRank ??= index;
        rank = firstIdeRank;
      }
      const channel = numberOrNull(item.address) ?? numberOrNull(item.busNumber) ?? 0;
      controllers.set(item, { ...c, item, rank, channel, warned: false });
    });
    const controllerOf = (item: OvfItem): Controller | null => {
      if (!item.parent) return null;
      const p = byInstance.get(item.parent);
      return p ? (controllers.get(p) ?? null) : null;
    };

    const disks: Device[] = [];
    const opticals: Device[] = [];
    const attached = new Set<string>();
    const isDiskRt = (rt: number | null) => rt === RT.disk || rt === RT.storageExtent || rt === RT.logicalDisk || rt === RT.storageVolume;
    const isCdRt = (rt: number | null) => rt === RT.cd || rt === RT.dvd;

    items.forEach((item, index) => {
      const rt = item.resourceType;
      if (!isDiskRt(rt) && !isCdRt(rt)) return;
      this.consumed.add(item);
      const controller = controllerOf(item);
      const raw = item.hostResources[0];
      const ref = raw === undefined ? null : parseHostResource(raw);

      let disk: OvfDisk | null = null;
      let file: SourceFile | null = null;
      if (ref?.kind === 'disk') {
        disk = ctx.disks.get(ref.id) ?? null;
        if (!disk) throw invalid(ctx, `the ${isCdRt(rt) ? 'CD/DVD drive' : 'disk'} ${itemName(item)} refers to disk '${clip(ref.id)}', which the DiskSection does not list`);
      } else if (ref?.kind === 'file') {
        file = ctx.files.get(ref.id) ?? null;
        if (!file) throw invalid(ctx, `the ${isCdRt(rt) ? 'CD/DVD drive' : 'disk'} ${itemName(item)} refers to file '${clip(ref.id)}', which the References section does not list`);
      } else if (ref?.kind === 'other' && ref.id !== '') {
        // oVirt's engine-internal OVF: 'imageGroup/image', which is the disk's fileRef.
        const last = ref.id.split('/').pop() ?? ref.id;
        disk = ctx.disksByFileRef.get(ref.id) ?? ctx.disks.get(ref.id) ?? ctx.disks.get(last) ?? null;
        if (!disk) file = ctx.filesByHref.get(ref.id) ?? null;
        if (!disk && !file && isDiskRt(rt)) throw invalid(ctx, `the disk ${itemName(item)} refers to '${clip(ref.id)}', which is neither a disk of the DiskSection nor a file of the References section`);
        if (!disk && !file) this.notes.add(`The CD/DVD drive ${itemName(item)} refers to '${clip(ref.id)}', which is not a file of the appliance; it becomes an empty drive.`);
      }
      if (disk) file = sourceFileFor(ctx, disk);

      const iso = disk ? isIsoDisk(disk, file) : file !== null && /\.iso(\.gz)?$/i.test(file.href);
      const asOptical = isCdRt(rt) || (iso && isDiskRt(rt));
      const position = this.position(item, controller);
      const sort: [number, number, number] = [controller ? controller.rank : 1e9, position.key, index];

      if (asOptical) {
        if (isCdRt(rt) && (disk || file) && !iso) {
          this.notes.add(`The CD/DVD drive ${itemName(item)} holds '${clip(file?.href ?? disk?.diskId ?? '')}', which is not an ISO image; it becomes an empty drive.`);
          file = null;
        }
        if (!isCdRt(rt)) this.notes.add(`The disk ${itemName(item)} is an ISO image; it becomes a CD/DVD drive.`);
        if (disk) {
          ctx.usedDisks.add(disk.diskId);
          attached.add(disk.diskId);
        }
        opticals.push({ ...this.baseDevice('optical', item, controller, position.label, sort), file });
        return;
      }

      if (!disk && !file) {
        // OVF 2's example: a StorageItem that only says how much storage to allocate.
        const size = this.allocation(item);
        if (size === null) {
          this.notes.add(`The disk drive ${itemName(item)} has no disk image; it is left out.`);
          return;
        }
        this.notes.add(`The disk drive ${itemName(item)} has no disk image; Hangar creates an empty ${formatSize(size)} disk for it.`);
        const dev = this.baseDevice('disk', item, controller, position.label, sort);
        dev.diskId = item.instanceId || `item-${index}`;
        dev.capacityBytes = size;
        this.diskBus(dev, null, item);
        disks.push(dev);
        return;
      }
      if (disk) {
        // An image attached twice is imported once; a Disk without a file is a template for empty
        // disks (vCenter attaches 'disk10GB' several times), and each attachment gets its own.
        if (file && attached.has(disk.diskId)) {
          this.notes.add(`Disk '${clip(disk.diskId)}' is attached twice (${itemName(item)}); Hangar imports it once.`);
          return;
        }
        attached.add(disk.diskId);
        ctx.usedDisks.add(disk.diskId);
      }
      const dev = this.baseDevice('disk', item, controller, position.label, disk?.boot ? [-1, 0, index] : sort);
      dev.diskId = disk?.diskId ?? file!.fileId;
      dev.file = file;
      dev.formatUri = disk?.format ?? '';
      dev.capacityBytes = disk ? this.capacity(disk, file) : 0;
      this.diskBus(dev, disk, item);
      disks.push(dev);
    });

    disks.sort((a, b) => a.sort[0] - b.sort[0] || a.sort[1] - b.sort[1] || a.sort[2] - b.sort[2]);
    opticals.sort((a, b) => a.sort[0] - b.sort[0] || a.sort[1] - b.sort[1] || a.sort[2] - b.sort[2]);
    for (const o of opticals) this.opticalBus(o);
    return { disks, opticals };
  }

  /** The size a disk item without an image asks for: VirtualQuantity or Reservation in its units. */
  private allocation(item: OvfItem): number | null {
    if (!item.allocationUnits) return null;
    const m = byteMultiplier(item.allocationUnits);
    if (m === null) return null;
    const q = Math.max(parseQuantity(item.virtualQuantity) ?? 0, parseQuantity(item.reservation) ?? 0);
    const bytes = Math.round(q * m);
    return bytes >= MIB && Number.isSafeInteger(bytes) ? bytes : null;
  }

  private baseDevice(kind: 'disk' | 'optical', item: OvfItem, controller: Controller | null, sourceController: string, sort: [number, number, number]): Device {
    return {
      kind,
      item,
      name: itemName(item),
      controller,
      bus: null,
      sourceController,
      sort,
      diskId: '',
      file: null,
      capacityBytes: 0,
      formatUri: '',
      include: true,
    };
  }

  /** Where a device sat, as a sort key and for people. */
  private position(item: OvfItem, controller: Controller | null): { key: number; label: string } {
    const aop = numberOrNull(item.addressOnParent);
    if (controller?.kind === 'ide') {
      // Flat index = 2 × channel + master/slave; pre-3.2 VirtualBox wrote one controller with 0–3.
      const flat = aop === null ? null : 2 * controller.channel + aop;
      return { key: flat ?? 1e6, label: ideLabel(flat) };
    }
    const unit = aop === null ? '' : `, unit ${aop}`;
    if (controller) {
      const label = controller.kind === 'sata' ? `SATA (AHCI) controller${aop === null ? '' : `, port ${aop}`}` : `${controller.label}${unit}`;
      return { key: aop ?? 1e6, label };
    }
    if (item.resourceType === RT.storageExtent) return { key: aop ?? 1e6, label: `XenServer device${aop === null ? '' : ` ${aop}`} (no controller)` };
    return { key: aop ?? 1e6, label: 'no controller' };
  }

  private capacity(disk: OvfDisk, file: SourceFile | null): number {
    const { ctx, notes, def } = this;
    const fallback = (why: string): number => {
      if (file) {
        notes.add(`Disk '${clip(disk.diskId)}' ${why}; its size comes from the image file.`);
        return 0;
      }
      notes.add(`Disk '${clip(disk.diskId)}' ${why}; the new empty disk gets ${def.diskGiB} GiB, the default for ${this.os.label}.`);
      return def.diskGiB * 2 ** 30;
    };
    let raw = disk.capacity;
    let units = disk.capacityUnits ?? 'byte';
    if (raw === null || raw === '') {
      if (disk.sizeGiB !== null && disk.sizeGiB !== '') {
        raw = disk.sizeGiB;
        units = 'byte * 2^30';
      } else return fallback('has no capacity');
    }
    const ref = /^\$\{\s*([^}]+?)\s*\}$/.exec(raw);
    if (ref) {
      const key = ref[1]!;
      const prop = ctx.properties.get(key);
      if (!prop) throw invalid(ctx, `disk '${clip(disk.diskId)}' takes its capacity from the property '${clip(key, 60)}', which the descriptor does not define`);
      if (prop.value === null || prop.value.trim() === '') throw invalid(ctx, `disk '${clip(disk.diskId)}' takes its capacity from the property '${clip(key, 60)}', which has no default value`);
      if (parseQuantity(prop.value) === null) throw invalid(ctx, `disk '${clip(disk.diskId)}' takes its capacity from the property '${clip(key, 60)}', whose default '${clip(prop.value, 40)}' is not a number`);
      if (prop.userConfigurable) notes.add(`Disk '${clip(disk.diskId)}' gets its size from the appliance setting '${clip(key, 60)}'; Hangar uses its default, ${clip(prop.value, 40)}.`);
      raw = prop.value;
    }
    const q = parseQuantity(raw);
    if (q === null) return fallback(`has a capacity Hangar cannot read ('${clip(raw, 40)}')`);
    const m = byteMultiplier(units);
    if (m === null) return fallback(`gives its capacity in units Hangar does not know ('${clip(units, 40)}')`);
    const bytes = Math.round(q * m);
    if (!Number.isSafeInteger(bytes)) return fallback('declares a capacity too large to be real');
    return bytes;
  }

  private controllerNote(c: Controller, bus: DiskBus | OpticalBus): void {
    if (c.warned) return;
    c.warned = true;
    const where = `${clip(c.label, 60)} ${itemName(c.item)}`;
    if (c.kind === 'approx') {
      const why = bus === 'scsi' ? `which ${this.os.label} supports` : `since ${this.os.label} has no VirtIO drivers out of the box`;
      this.notes.add(`The appliance's ${where} has no exact equivalent in Hangar: its devices go on ${busLabel(bus)}, ${why}.`);
    } else if (c.kind === 'unknown') {
      this.notes.add(`The appliance's ${where} is not a controller type Hangar knows: its devices go on ${busLabel(bus)}.`);
    } else if (c.kind === 'nvdimm') {
      this.notes.add(`The appliance's ${where} (persistent memory) has no equivalent in Hangar: its disks are not imported unless you include them.`);
    }
  }

  private approxBus(): DiskBus {
    return this.os.facts.virtioBlk ? 'scsi' : 'sata';
  }

  private diskBus(dev: Device, disk: OvfDisk | null, item: OvfItem): void {
    const iface = disk?.diskInterface?.toLowerCase().replace(/-/g, '_') ?? null;
    if (iface !== null) {
      const exact: Readonly<Record<string, DiskBus>> = { virtio: 'virtio', virtio_scsi: 'scsi', ide: 'ide', sata: 'sata', nvme: 'nvme' };
      const bus = exact[iface];
      dev.sourceController = `oVirt ${clip(disk!.diskInterface!, 30)} disk`;
      if (bus) {
        dev.bus = bus;
      } else {
        dev.bus = this.def.diskBus;
        this.notes.add(`Disk ${dev.name} used oVirt's '${clip(disk!.diskInterface!, 30)}' interface, which Hangar does not have; it goes on ${busLabel(dev.bus)}, the default for ${this.os.label}.`);
      }
      return;
    }
    const c = dev.controller;
    if (c) {
      switch (c.kind) {
        case 'ide':
          dev.bus = 'ide';
          return;
        case 'sata':
        case 'scsi':
        case 'nvme':
          dev.bus = c.kind;
          return;
        case 'approx':
          dev.bus = this.approxBus();
          this.controllerNote(c, dev.bus);
          return;
        case 'nvdimm':
          dev.bus = this.def.diskBus;
          dev.include = false;
          this.controllerNote(c, dev.bus);
          return;
        case 'unknown':
          dev.bus = this.def.diskBus;
          this.controllerNote(c, dev.bus);
          return;
      }
    }
    if (item.resourceType === RT.storageExtent) {
      dev.bus = 'ide';
      this.notes.add("The appliance's disks have no controller (XenServer): they go on IDE, which every guest can start from, instead of Xen's paravirtual disks.");
      return;
    }
    dev.bus = this.def.diskBus;
    this.notes.add(`Disk ${dev.name} has no controller in the appliance; it goes on ${busLabel(dev.bus)}, the default for ${this.os.label}.`);
  }

  private opticalBus(o: Device): void {
    const c = o.controller;
    if (!c) return;
    switch (c.kind) {
      case 'ide':
        o.bus = 'ide';
        return;
      case 'sata':
      case 'scsi':
        o.bus = c.kind;
        return;
      case 'approx':
        o.bus = this.approxBus();
        this.controllerNote(c, o.bus);
        return;
      default:
        // NVMe, NVDIMM or unknown controllers hold no CD drives Hangar can model: placed later.
        o.bus = null;
        this.notes.add(`The CD/DVD drive ${o.name} sat on the ${clip(c.label, 60)}, which cannot hold one in Hangar; it gets a drive of its own.`);
    }
  }

  /** Chipset, and the moves the chipset and the bus limits force. */
  private placeStorage(s: StoragePlan, firmware: FirmwareType): Chipset {
    const { notes, vs } = this;
    // Too many disks or drives: keep the first ones (boot disk first).
    let included = 0;
    for (const d of s.disks) {
      if (!d.include) continue;
      if (included >= MAX_DISKS) {
        d.include = false;
        notes.add(`Disk ${d.name} is not imported: a VM has at most ${MAX_DISKS} disks (you can swap it for another in the review).`);
      } else included++;
    }
    if (s.opticals.length > MAX_OPTICALS) {
      for (const o of s.opticals.slice(MAX_OPTICALS)) notes.add(`The CD/DVD drive ${o.name} is left out: a VM has at most ${MAX_OPTICALS} optical drives.`);
      s.opticals.splice(MAX_OPTICALS);
    }

    const all = [...s.disks.filter((d) => d.include), ...s.opticals];
    // A disk on IDE stays there (an installed guest may boot only from the controller it was
    // installed on); a CD drive can move to SATA when the guest has an AHCI driver.
    const ideNeeded = all.some((d) => d.bus === 'ide' && (d.kind === 'disk' || !this.os.facts.ahci));
    const vboxQ35 = /ich9/i.test(vs.vbox?.chipset ?? '');
    const ovirtQ35 = vs.ovirtBiosType === '1' || vs.ovirtBiosType === '2' || vs.ovirtBiosType === '3';
    // Hangar's own kvm profile names the board: qemu-pc or qemu-q35.
    const qemuBoard = vs.hardware.flatMap((h) => h.systemTypes).find((t) => /^qemu-(pc|q35)$/i.test(t));
    const prefersQ35 = qemuBoard ? /q35$/i.test(qemuBoard) : this.def.chipset === 'q35' || vboxQ35 || ovirtQ35;
    const chipset: Chipset = chipsetFor({ firmware, preferred: prefersQ35 ? 'q35' : 'pc', ideNeeded });

    if (chipset === 'q35') {
      const why = firmware === 'uefi' ? 'UEFI needs the q35 chipset, which has no IDE controller' : `${this.os.label} gets the q35 chipset, which has no IDE controller`;
      for (const d of all) {
        if (d.bus === null || busOnChipset(d.bus, chipset) === d.bus) continue;
        d.bus = busOnChipset(d.bus, chipset);
        notes.add(`${d.kind === 'disk' ? 'Disk' : 'The CD/DVD drive'} ${d.name} (${d.sourceController}) moves from IDE to SATA: ${why}.`);
      }
    }
    // Drives without a controller: IDE on pc while it has room, SATA otherwise.
    for (const o of s.opticals) {
      if (o.bus !== null) continue;
      const ide = all.filter((d) => d.bus === 'ide').length;
      o.bus = chipset === 'pc' && ide < MAX_IDE_DEVICES_PC ? 'ide' : 'sata';
    }
    if (chipset === 'pc') {
      let ide = 0;
      for (const d of all) {
        if (d.bus !== 'ide') continue;
        if (ide < MAX_IDE_DEVICES_PC) {
          ide++;
          continue;
        }
        d.bus = 'sata';
        notes.add(`${d.kind === 'disk' ? 'Disk' : 'The CD/DVD drive'} ${d.name} moves from IDE to SATA: the pc chipset has room for ${MAX_IDE_DEVICES_PC} IDE devices.`);
      }
    }
    if (chipset === 'pc') {
      for (const d of all) {
        const c = d.controller;
        if (d.bus !== 'ide' || c?.kind !== 'ide' || c.warned || !/ich6/i.test(c.variant)) continue;
        c.warned = true;
        notes.add("The appliance's ICH6 IDE controller becomes the PIIX3 IDE controller of Hangar's pc chipset; the guest sees a different IDE chip.");
      }
    }
    let sata = 0;
    for (const d of all) {
      if (d.bus !== 'sata') continue;
      if (sata < MAX_SATA_DEVICES) {
        sata++;
        continue;
      }
      if (this.os.facts.virtioBlk) {
        d.bus = 'scsi';
        notes.add(`${d.kind === 'disk' ? 'Disk' : 'The CD/DVD drive'} ${d.name} moves to VirtIO SCSI: the SATA controller has ${MAX_SATA_DEVICES} ports.`);
      } else if (d.kind === 'disk') {
        d.include = false;
        notes.add(`Disk ${d.name} is not imported: the SATA controller has ${MAX_SATA_DEVICES} ports and ${this.os.label} has no VirtIO drivers out of the box.`);
      } else {
        const i = s.opticals.indexOf(d);
        if (i >= 0) s.opticals.splice(i, 1);
        notes.add(`The CD/DVD drive ${d.name} is left out: the SATA controller has ${MAX_SATA_DEVICES} ports.`);
      }
    }
    return chipset;
  }

  // --- network -------------------------------------------------------------------------------

  private nics(): PlannedNic[] {
    const { notes, def, os } = this;
    const nicItems = this.items.filter((i) => i.resourceType === RT.ethernet || i.resourceType === RT.otherNetwork);
    for (const i of nicItems) this.consumed.add(i);
    const adapters = (this.vs.vbox?.adapters ?? []).filter((a) => a.enabled);
    const count = Math.max(nicItems.length, nicItems.length === 0 ? adapters.length : 0);
    const out: PlannedNic[] = [];
    const networks = new Set<string>();
    for (let i = 0; i < count; i++) {
      const item = nicItems[i];
      const adapter: VBoxAdapter | undefined = adapters[i];
      const n = i + 1;
      if (n > MAX_NICS) {
        notes.add(`NIC ${n}${item ? ` (${itemName(item)})` : ''} is left out: a VM has at most ${MAX_NICS} network cards.`);
        continue;
      }
      const label = item ? ` (${itemName(item)})` : '';
      let model: NicModel;
      let sourceModel: string;
      if (adapter && adapter.type) {
        sourceModel = adapter.type;
        const m = VBOX_NIC[adapter.type.toLowerCase()];
        if (m) model = m;
        else {
          model = def.nicModel;
          notes.add(`NIC ${n}${label}: VirtualBox's ${clip(adapter.type, 30)} adapter has no equivalent in Hangar; it becomes ${nicLabel(model)}, the default for ${os.label}.`);
        }
      } else {
        sourceModel = item?.resourceSubType ?? '';
        const mapped = nicModelFor(sourceModel);
        if (mapped.model) {
          model = mapped.model;
          if (mapped.note) notes.add(`NIC ${n}${label}: ${mapped.note}.`);
        } else {
          model = def.nicModel;
          notes.add(
            sourceModel === ''
              ? `NIC ${n}${label} does not say which adapter it is; it becomes ${nicLabel(model)}, the default for ${os.label}.`
              : `NIC ${n}${label}: the ${clip(sourceModel, 30)} adapter has no equivalent in Hangar; it becomes ${nicLabel(model)}, the default for ${os.label}.`,
          );
        }
      }
      // rasd:MACAddress (oVirt), rasd:Address (XenServer) or epasd:Address (OVF 2), else VirtualBox's own.
      const mac = normaliseMac(item?.macAddress) ?? normaliseMac(item?.address) ?? normaliseMac(adapter?.mac);
      const network = item?.connections[0] ?? (adapter ? VBOX_ATTACHMENTS[adapter.attachment] ?? adapter.attachment : '');
      if (network) networks.add(network);
      out.push({ model, sourceModel, mac, network: clip(network, 120) });
    }
    const named = [...networks].filter((n) => !/^nat$/i.test(n));
    if (named.length) {
      notes.add(
        `The appliance's network${named.length > 1 ? 's' : ''} ${named
          .slice(0, 4)
          .map((x) => `'${clip(x, 40)}'`)
          .join(', ')}${named.length > 4 ? ', …' : ''} ${named.length > 1 ? 'are' : 'is'} mapped at import to the Hangar network of the same name, or else to user-mode NAT; the review can choose another or create one.`,
      );
    }
    return out;
  }

  // --- everything else -----------------------------------------------------------------------

  private leftovers(firmware: FirmwareType): void {
    const { notes } = this;
    for (const item of this.items) {
      if (this.consumed.has(item)) continue;
      const rt = item.resourceType;
      const name = itemName(item);
      const sub = item.resourceSubType;
      const subShown = sub ? ` (${clip(sub, 40)})` : '';
      const subLower = sub.toLowerCase();
      switch (rt) {
        case RT.floppy:
          notes.add(`The floppy drive ${name} is left out: Hangar has no floppy drive model yet.`);
          break;
        case RT.serial:
          notes.add(`The serial port ${name} is left out: Hangar gives every VM one serial console of its own.`);
          break;
        case RT.parallel:
          notes.add(`The parallel port ${name} is left out: Hangar has no parallel port model.`);
          break;
        case RT.usb:
          if (/^disabled$/i.test(item.ovirt.usbPolicy)) break;
          notes.add(`The USB controller ${name}${subShown} is left out: Hangar has no USB device model yet.`);
          break;
        case RT.graphics:
        case RT.ovirtGraphics:
          notes.add(`The video card ${name}${subShown} is left out: the VM gets Hangar's own display adapter.`);
          break;
        case RT.vboxSound:
          notes.add(`The sound card ${name}${subShown} is left out: Hangar has no sound device model yet.`);
          break;
        case RT.processor:
        case RT.memory:
          break;
        case RT.otherStorage:
          // oVirt's engine-internal OVF writes its monitor as type 20.
          notes.add(
            /monitor|graphic|video|qxl|vga/i.test(`${item.caption} ${item.ovirt.type} ${item.ovirt.device}`)
              ? `The video card ${name} is left out: the VM gets Hangar's own display adapter.`
              : `The storage device ${name}${subShown} holds no disk and is left out.`,
          );
          break;
        case RT.other:
          notes.add(otherDeviceNote(name, subLower, subShown));
          break;
        case RT.vendor:
          if (item.hostResources.some((h) => /file\//i.test(h) || /\.nvram$/i.test(h))) notes.add(nvramNote(firmware));
          else if (/monitor|graphic|video|qxl|vga/i.test(`${item.caption} ${item.elementName} ${item.ovirt.type} ${item.ovirt.device}`)) {
            notes.add(`The video card ${name} is left out: the VM gets Hangar's own display adapter.`);
          } else notes.add(unknownNote(name, rt, item.required));
          break;
        case 0:
          notes.add(ovirtDeviceNote(item, name));
          break;
        case RT.ide:
        case RT.scsi:
        case RT.fibreChannel:
        case RT.iscsi:
          break;
        default:
          if (rt !== null && RT_LABELS[rt]) notes.add(`The ${RT_LABELS[rt]} ${name} is left out: Hangar has no equivalent.`);
          else notes.add(unknownNote(name, rt, item.required));
      }
    }
  }
}

function nvramNote(firmware: FirmwareType): string {
  return firmware === 'uefi'
    ? "The appliance's saved UEFI variables (NVRAM) are not imported: the VM starts with fresh ones, so its boot entry may have to be picked again in the firmware menu."
    : "The appliance's saved BIOS settings (NVRAM) are not imported: the VM starts with default BIOS settings.";
}

function unknownNote(name: string, rt: number | null, required: boolean): string {
  const type = rt === null ? 'no resource type' : `resource type ${rt}`;
  return `The device ${name} has ${type}, which Hangar does not know; it is left out${required ? ' although the appliance marks it as required' : ''}.`;
}

function otherDeviceNote(name: string, sub: string, subShown: string): string {
  if (sub.includes('vmci')) return `The VMware VMCI device ${name} is left out: Hangar has no equivalent.`;
  if (sub.includes('soundcard') || sub.includes('sound')) return `The sound card ${name}${subShown} is left out: Hangar has no sound device model yet.`;
  if (sub.includes('vtpm') || sub.includes('tpm')) return `The virtual TPM ${name} is left out: Hangar has no TPM device yet, so Windows features that need one (BitLocker, Windows Hello) will not find it.`;
  if (sub.includes('passthrough')) return `The PCI passthrough device ${name} is left out: Hangar does not pass host devices through.`;
  if (sub.includes('nvdimm')) return `The persistent memory device ${name} is left out: Hangar has no NVDIMM model.`;
  if (sub.includes('precisionclock')) return `The precision clock ${name} is left out: Hangar has no equivalent.`;
  if (sub.includes('watchdog')) return `The watchdog ${name} is left out: Hangar has no watchdog device.`;
  return `The device ${name}${subShown} is left out: Hangar has no equivalent.`;
}

function ovirtDeviceNote(item: OvfItem, name: string): string {
  const kind = `${item.ovirt.device} ${item.ovirt.type}`.toLowerCase();
  const what = item.ovirt.device || item.ovirt.type;
  if (/balloon/.test(kind)) return `oVirt's memory balloon ${name} is left out: Hangar has no balloon device.`;
  if (/rng/.test(kind)) return `oVirt's random number generator ${name} is left out: Hangar has no virtio-rng device yet.`;
  if (/watchdog/.test(kind)) return `oVirt's watchdog ${name} is left out: Hangar has no watchdog device.`;
  if (/sound|ich6|ac97|audio/.test(kind)) return `The sound card ${name} is left out: Hangar has no sound device model yet.`;
  if (/tpm/.test(kind)) return `oVirt's virtual TPM ${name} is left out: Hangar has no TPM device yet.`;
  return `oVirt's device ${name}${what ? ` (${clip(what, 40)})` : ''} is left out: Hangar adds the devices it needs itself.`;
}

// NIC models ------------------------------------------------------------------------------------

const VBOX_NIC: Readonly<Record<string, NicModel>> = {
  am79c970a: 'pcnet',
  am79c973: 'pcnet',
  am79c960: 'pcnet',
  '82540em': 'e1000',
  '82543gc': 'e1000',
  '82545em': 'e1000',
  virtio: 'virtio',
  virtio_1_0: 'virtio',
};

const VBOX_ATTACHMENTS: Readonly<Record<string, string>> = {
  NAT: 'NAT',
  BridgedInterface: 'Bridged',
  HostOnlyInterface: 'HostOnly',
  InternalNetwork: 'Internal',
  NATNetwork: 'NATNetwork',
  GenericInterface: 'Generic',
  CloudNetwork: 'Cloud',
};

/** The NIC model for an adapter subtype (VMware, VirtualBox, oVirt's numbers), with a note when not exact. */
export function nicModelFor(subtype: string): { model: NicModel | null; note?: string } {
  for (const t of tokens(subtype)) {
    switch (t) {
      case 'e1000':
      case 'e10000':
      case '82540em':
      case '82543gc':
      case '82545em':
      case '2':
        return { model: 'e1000' };
      case 'e1000e':
        return { model: 'e1000e' };
      case 'vmxnet3':
        return { model: 'vmxnet3' };
      case 'vmxnet3vrdma':
        return { model: 'vmxnet3', note: "VMware's vmxnet3 RDMA adapter becomes a plain vmxnet3 adapter, without RDMA" };
      case 'pcnet32':
      case 'pcnet':
      case 'am79c970a':
      case 'am79c973':
        return { model: 'pcnet' };
      case 'virtio':
      case 'virtionet':
      case 'virtio-net':
      case 'virtio_net':
      case 'pv':
      case '3':
        return { model: 'virtio' };
      case 'rtl8139':
      case '1':
        return { model: 'rtl8139' };
      case '0':
      case 'rtl8139_pv':
        return { model: 'rtl8139', note: "oVirt's dual-mode rtl8139/VirtIO adapter becomes a plain Realtek RTL8139" };
    }
  }
  return { model: null };
}

/** Disks some item of any machine, hardware variant or configuration refers to. */
function referencedDisks(ctx: Ctx): Set<string> {
  const out = new Set<string>();
  for (const vs of ctx.d.systems) {
    for (const hw of vs.hardware) {
      for (const item of hw.items) {
        for (const raw of item.hostResources) {
          const ref = parseHostResource(raw);
          if (ref.kind === 'file') continue;
          const disk = ref.kind === 'disk' ? ctx.disks.get(ref.id) : (ctx.disksByFileRef.get(ref.id) ?? ctx.disks.get(ref.id) ?? ctx.disks.get(ref.id.split('/').pop() ?? ''));
          if (disk) out.add(disk.diskId);
        }
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Entry points

/** The plan for a normalised descriptor. Throws INVALID_INPUT for references that lead nowhere. */
export function mapDescriptor(d: OvfDescriptor, what = 'the descriptor'): AppliancePlan {
  const notes = new Notes();
  const files = d.references.map(
    (f): SourceFile => ({ fileId: f.id, href: f.href, sizeBytes: f.size, compression: f.compression, chunkSize: f.chunkSize }),
  );
  const ctx: Ctx = {
    d,
    what,
    files: new Map(files.map((f) => [f.fileId, f])),
    filesByHref: new Map(files.map((f) => [f.href, f])),
    disks: new Map(d.disks.map((k) => [k.diskId, k])),
    disksByFileRef: new Map(d.disks.filter((k) => k.fileRef !== null).map((k) => [k.fileRef!, k])),
    configuration: chooseConfiguration(d, notes),
    properties: new Map(),
    usedDisks: new Set(),
  };
  ctx.properties = collectProperties(d, ctx.configuration);
  for (const id of d.duplicateFileIds.slice(0, 8)) notes.add(`The References section lists file '${clip(id, 60)}' more than once; Hangar uses the first.`);
  for (const id of d.duplicateDiskIds.slice(0, 8)) notes.add(`The DiskSection lists disk '${clip(id, 60)}' more than once; Hangar uses the first.`);
  for (const s of d.unknownSections.slice(0, 8)) notes.add(`The appliance has a section Hangar does not read ('${clip(s, 60)}'); its settings are not imported.`);

  const machines = d.systems.map((vs) => {
    const mapper = new MachineMapper(ctx, vs);
    for (const s of vs.unknownSections.slice(0, 8)) mapper.notes.add(`The appliance has a section Hangar does not read ('${clip(s, 60)}'); its settings are not imported.`);
    return mapper.map();
  });

  if (d.collections.length > 0) {
    const top = d.collections[0]!;
    const name = top.name ?? top.id;
    notes.add(`The appliance is a group of ${plural(machines.length, 'machine')}${name ? ` ('${clip(name, 60)}')` : ''}; Hangar imports each as a VM of its own, without the group's start order.`);
  }
  const referenced = referencedDisks(ctx);
  const orphans = d.disks.filter((k) => !ctx.usedDisks.has(k.diskId) && !referenced.has(k.diskId));
  for (const k of orphans.slice(0, 8)) notes.add(`Disk '${clip(k.diskId, 60)}' is not attached to any machine of the appliance; it is not imported.`);
  if (orphans.length > 8) notes.add(`${orphans.length - 8} more disks are not attached to any machine; they are not imported.`);

  return { ovfVersion: d.version, files, machines, warnings: notes.list };
}

/**
 * Reads an OVF descriptor (any producer, OVF 0.9 to 2.x) and maps it onto Hangar's machine model.
 * `what` names the descriptor in messages. Throws HangarError only: INVALID_INPUT for anything that
 * is not a readable OVF descriptor or whose references lead nowhere.
 */
export function planAppliance(input: string | Uint8Array, what = 'the descriptor'): AppliancePlan {
  try {
    return mapDescriptor(parseDescriptor(parseXml(input, what), what), what);
  } catch (e) {
    // Messages quote the descriptor; a quoted line break must not make them two lines.
    // eslint-disable-next-line no-control-regex
    const oneLine = (m: string) => m.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
    if (e instanceof HangarError) throw e.message === oneLine(e.message) ? e : new HangarError(e.code, oneLine(e.message), { cause: e.cause, details: e.details });
    throw new HangarError('INTERNAL', `${what} could not be mapped: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

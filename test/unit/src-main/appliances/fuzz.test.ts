// Fuzzing the OVF importer with mutations of the corpus (test/fixtures/ovf): byte flips,
// truncation, elements and attributes deleted, duplicated and swapped, hostile numbers, units,
// names and choices, deep nesting and thousands of copies. Whatever comes in, planAppliance either
// returns a plan the machine model accepts or throws a HangarError, and answers within a bound.
//
// Seeded and reproducible: every case derives its own generator from (seed, fixture, case).
//   HANGAR_FUZZ_SEED=<n>        another seed (printed at the start and with every failure)
//   HANGAR_FUZZ_CASES=<n>       cases per fixture (default 200)
//   HANGAR_FUZZ_ONLY=<file>#<i> one case, e.g. HANGAR_FUZZ_ONLY=vmware-lists.ovf#17
// A failing case's input is saved under test-output/ovf-fuzz/.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planAppliance } from '../../../../src-main/appliances/mapping.js';
import { AppliancePlan } from '../../../../src-main/appliances/plan.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import {
  CHIPSETS,
  DISK_BUSES,
  FIRMWARES,
  MAX_CPUS,
  MAX_DESCRIPTION_LENGTH,
  MAX_DISKS,
  MAX_IDE_DEVICES_PC,
  MAX_MEMORY_MIB,
  MAX_NICS,
  MAX_OPTICALS,
  MAX_SATA_DEVICES,
  MIN_MEMORY_MIB,
  NIC_MODELS,
  OPTICAL_BUSES,
  OS_TYPE_IDS,
  choiceValues,
  vmNameProblems,
} from '../../../../src-vmm/model/index.js';
import { repoRoot, testOutputDir } from '../../../helpers/paths.js';
import { countWork } from '../../../helpers/workCounter.js';

const DEFAULT_SEED = 0x0f5eed17;
const SEED = process.env.HANGAR_FUZZ_SEED ? Number(process.env.HANGAR_FUZZ_SEED) >>> 0 : DEFAULT_SEED;
const CASES_PER_FIXTURE = process.env.HANGAR_FUZZ_CASES ? Number(process.env.HANGAR_FUZZ_CASES) : 200;
const ONLY = process.env.HANGAR_FUZZ_ONLY;
/**
 * Work allowed per byte of descriptor for the stress shapes (collection operations and elements
 * visited, counted by countWork): the shapes measure 0.1 to 2 per byte; a quadratic step on thousands
 * of items would take hundreds.
 */
const WORK_PER_BYTE_LIMIT = 20;

// --- a small seeded generator (mulberry32), and a mixer to derive per-case seeds ---

function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) | 0;
    let t = Math.imul(this.a ^ (this.a >>> 15), 1 | this.a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** 0 <= n < max */
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

// --- a forgiving scan of the text for elements and attributes (mutations may break the XML) ---

interface Span {
  name: string;
  start: number;
  /** end of the start tag */
  openEnd: number;
  /** start of the end tag (= openEnd for an empty-element tag) */
  closeStart: number;
  end: number;
}

const TAG = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[[\s\S]*?\]\]>|<(\/?)([A-Za-z_][\w.:-]*)((?:[^<>"']|"[^"<]*"|'[^'<]*')*)>/g;

function elementSpans(text: string): Span[] {
  const stack: Array<{ name: string; start: number; openEnd: number }> = [];
  const spans: Span[] = [];
  for (const m of text.matchAll(TAG)) {
    const name = m[2];
    if (name === undefined) continue;
    const start = m.index;
    const end = start + m[0].length;
    if (m[1]) {
      for (let i = stack.length - 1; i >= 0; i--) {
        if (stack[i]!.name === name) {
          const o = stack[i]!;
          stack.length = i;
          spans.push({ name, start: o.start, openEnd: o.openEnd, closeStart: start, end });
          break;
        }
      }
    } else if (m[0].endsWith('/>')) {
      spans.push({ name, start, openEnd: end, closeStart: end, end });
    } else {
      stack.push({ name, start, openEnd: end });
    }
  }
  return spans;
}

const localName = (qname: string) => qname.slice(qname.indexOf(':') + 1);

function leafSpans(text: string, names?: readonly string[]): Span[] {
  return elementSpans(text).filter(
    (s) => s.closeStart > s.openEnd && !text.slice(s.openEnd, s.closeStart).includes('<') && (!names || names.includes(localName(s.name))),
  );
}

interface Attr {
  name: string;
  /** where the value starts and ends, without quotes */
  valueStart: number;
  valueEnd: number;
  /** where the whole ` name="value"` starts and ends */
  start: number;
  end: number;
}

function attributes(text: string, names?: readonly string[]): Attr[] {
  const out: Attr[] = [];
  for (const s of elementSpans(text)) {
    const tag = text.slice(s.start, s.openEnd);
    for (const m of tag.matchAll(/\s([A-Za-z_][\w.:-]*)\s*=\s*("[^"]*"|'[^']*')/g)) {
      if (names && !names.includes(localName(m[1]!))) continue;
      const start = s.start + m.index;
      const end = start + m[0].length;
      out.push({ name: m[1]!, start, end, valueStart: end - m[2]!.length + 1, valueEnd: end - 1 });
    }
  }
  return out;
}

const splice = (text: string, start: number, end: number, insert: string) => text.slice(0, start) + insert + text.slice(end);
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// --- hostile values ---

const NUMBERS = [
  '-1', '0', '-0', '1e309', '1e3', '1e-7', '0x10', '1.5', '1,5', '1_000', 'NaN', 'Infinity', '-Infinity', '', ' ', '  12  ', '+7', '12abc', 'abc',
  '٣', '00000000000000000008', '99999999999999999999999999', '18446744073709551616', '9007199254740993', '4294967296', '2147483648', '65', '64',
  '1048577', '1048576', '15', '16', '17', '9', '${x}', '${disksize}', '${}', '%iid%',
];
const UNITS = [
  'byte * 2^1000', 'byte * 10^400', 'byte * 2^-20', 'byte*2^', 'byte * 2 ^ 2 ^ 2', 'byte * 1024', 'byte * 2^20 * 2^20', 'bit', 'percent', 'hertz * 10^6',
  'MegaBytes * 2^40', 'KiloBytes', 'TeraBytes', 'kilobyte', 'GB', 'MB', 'GigaBytes', 'byte', '', ' ', '${units}', 'byte * 2^64',
];
const CHOICES: Record<string, readonly string[]> = {
  ResourceType: ['0', '1', '3', '4', '5', '6', '10', '14', '15', '16', '17', '19', '20', '23', '24', '31', '35', '32768', '65535', '-3', '', 'disk'],
  ResourceSubType: [
    '', 'VirtualSCSI', 'lsilogic', 'lsilogicsas', 'buslogic', 'AHCI', 'ahci', 'vmware.sata.ahci', 'NVMe', 'vmware.nvme.controller', 'VirtioSCSI',
    'virtio-scsi', 'PIIX3', 'PIIX4', 'ICH6', 'E1000', 'E1000e', 'E1000E', 'VmxNet3', 'VMXNET3', 'Vmxnet', 'vmxnet2', 'PCNet32', 'SriovEthernetCard',
    'E10000', 'VirtioNet', 'virtio-net', '0', '1', '2', '3', '4', 'buslogic lsilogic', 'buslogic,lsilogic', 'vmware.nvdimm.controller',
    'vmware.soundcard.hdaudio', 'ensoniq1371', 'vmware.vtpm', 'vmware.cdrom.iso',
  ],
  HostResource: [
    'ovf:/disk/', 'ovf:/disk/vmdisk1', '/disk/vmdisk1', 'ovf://disk/vmdisk1', 'ovf:/file/file1', 'ovf:/file/file2', 'imageGroup/image',
    'ovf:/disk/../../etc/passwd', 'file:///etc/passwd', '', 'ovf:/disk/%iid%', 'ovf:/file/', 'http://example.invalid/x.vmdk',
  ],
  Parent: ['0', '1', '3', '4', '5', '99', '-1', '', '%iid%', '00000000-0000-0000-0000-000000000000'],
  InstanceID: ['0', '1', '3', '4', '5', '', '%iid%'],
  InstanceId: ['0', '1', '3', '4', '5', '', '%iid%'],
  Address: ['0', '1', '2', '-1', '', '{type=drive, bus=0, controller=0, target=0, unit=0}', 'DE:AD:BE:EF:00:01', '00-16-8B-DB-00-5E', 'zz:zz:zz:zz:zz:zz'],
  MACAddress: ['', '00:50:56:00:00:01', 'ff:ff:ff:ff:ff:ff', '0050560000', 'not a mac', '01:00:5e:00:00:01'],
  AddressOnParent: ['0', '1', '2', '3', '4', '7', '15', '16', '30', '-1', '', '999999'],
  BiosType: ['0', '1', '2', '3', '4', '-1', 'x'],
  VirtualSystemType: ['vmx-13 vmx-11', 'vmx-04 xen-3', 'virtualbox-2.2', 'hvm-3.0-unknown', 'ENGINE 4.5', '', 'vmx-99'],
  // attributes
  value: ['efi', 'bios', 'EFI', 'uefi', '', 'junk', 'ovf:/file/file9', 'true', 'false'],
  'disk-interface': ['VirtIO', 'VirtIO_SCSI', 'IDE', 'SATA', 'SPAPR_VSCSI', ''],
  compression: ['gzip', 'identity', 'bzip2', 'xz', ''],
  format: ['', 'http://www.gnome.org/~markmc/qcow-image-format.html', 'http://go.microsoft.com/fwlink/?LinkId=137171', 'junk', 'http://www.vmware.com/interfaces/interfaces/specifications/vmdk.html#streamOptimized'],
  configuration: ['small', 'large', 'small large', 'nosuch', ''],
  default: ['true', 'false', 'TRUE', ''],
  required: ['true', 'false', ''],
  type: ['EFI', 'EFI64', 'BIOS', 'EFIDUAL', 'virtio', '82540EM', '', 'ovf:DiskSection_Type', 'ovf:VirtualSystem_Type'],
};
const NUMERIC_ATTRS = ['capacity', 'size', 'chunkSize', 'populatedSize', 'RAMSize', 'count', 'order', 'id', 'version'];
const NAME_LEAVES = ['Name', 'ElementName', 'Caption', 'Description', 'Annotation', 'VirtualSystemIdentifier', 'OSType', 'Connection', 'Product', 'Vendor', 'License'];
const NAME_ATTRS = ['id', 'name', 'href', 'diskId', 'fileRef', 'key'];
const NAME_PIECES = [
  'a', 'Z', '7', ' ', '/', '\\', '.', '..', '\t', '\n', '\r', '\u00a0', '\u2028', '\u202e', '\u200b', '\u0085', '\u009f', '\u007f', '\u0001', '\u001f',
  '\u0000', '\ufffe', '\uffff', '\ud800', '😀', '🇺🇳', 'é', 'e\u0301', 'Ω', '漢', '&', '<', '>', '"', "'", ']]>', '%', '${x}', 'CON', 'nul',
];
const JUNK = ['<', '>', '&', '&#0;', '&#x1F;', '&#xD800;', '&bogus;', ']]>', '<![CDATA[', '<!DOCTYPE x>', '<?pi?>', '<!--', '"', "'", '\u0000', '\u0007', '\ufeff', '</Item>', '<Item>', '\r\n'];

function randomName(rng: Rng): string {
  const shape = rng.int(10);
  if (shape === 0) return '';
  if (shape === 1) return rng.pick(['.', '..', ' ', ' x', 'x ', '\u00a0']);
  if (shape === 2) return 'n'.repeat(rng.range(120, 400));
  let s = '';
  const n = rng.range(1, 40);
  for (let i = 0; i < n; i++) s += rng.pick(NAME_PIECES);
  return s;
}

// --- mutations: each returns the new text and a short note for the failure report ---

type Mutation = (text: string, rng: Rng) => { text: string; note: string } | null;

const setLeaf = (text: string, s: Span, value: string) => splice(text, s.openEnd, s.closeStart, value);
const setAttr = (text: string, a: Attr, value: string) => splice(text, a.valueStart, a.valueEnd, value);

const MUTATIONS: Array<[weight: number, name: string, fn: Mutation]> = [
  [1, 'truncate', (t, r) => {
    const at = r.int(t.length);
    return { text: t.slice(0, at), note: `truncate@${at}` };
  }],
  [3, 'delete-element', (t, r) => {
    const spans = elementSpans(t);
    if (!spans.length) return null;
    const s = r.pick(spans);
    return { text: splice(t, s.start, s.end, ''), note: `delete <${s.name}>@${s.start}` };
  }],
  [3, 'duplicate-element', (t, r) => {
    const spans = elementSpans(t);
    if (!spans.length) return null;
    const s = r.pick(spans);
    return { text: splice(t, s.end, s.end, t.slice(s.start, s.end)), note: `duplicate <${s.name}>@${s.start}` };
  }],
  [3, 'delete-attribute', (t, r) => {
    const attrs = attributes(t);
    if (!attrs.length) return null;
    const a = r.pick(attrs);
    return { text: splice(t, a.start, a.end, ''), note: `delete @${a.name}@${a.start}` };
  }],
  [1, 'duplicate-attribute', (t, r) => {
    const attrs = attributes(t);
    if (!attrs.length) return null;
    const a = r.pick(attrs);
    return { text: splice(t, a.end, a.end, t.slice(a.start, a.end)), note: `duplicate @${a.name}@${a.start}` };
  }],
  [3, 'swap-attribute-values', (t, r) => {
    const attrs = attributes(t);
    if (attrs.length < 2) return null;
    let a = r.pick(attrs);
    let b = r.pick(attrs);
    if (a.valueStart === b.valueStart) return null;
    if (a.valueStart > b.valueStart) [a, b] = [b, a];
    const va = t.slice(a.valueStart, a.valueEnd);
    const vb = t.slice(b.valueStart, b.valueEnd);
    return { text: setAttr(setAttr(t, b, va), a, vb), note: `swap @${a.name}=${JSON.stringify(va)} <-> @${b.name}=${JSON.stringify(vb)}` };
  }],
  [3, 'swap-leaf-texts', (t, r) => {
    const leaves = leafSpans(t);
    if (leaves.length < 2) return null;
    let a = r.pick(leaves);
    let b = r.pick(leaves);
    if (a.start === b.start) return null;
    if (a.start > b.start) [a, b] = [b, a];
    const va = t.slice(a.openEnd, a.closeStart);
    const vb = t.slice(b.openEnd, b.closeStart);
    return { text: setLeaf(setLeaf(t, b, va), a, vb), note: `swap <${a.name}> <-> <${b.name}>` };
  }],
  [5, 'hostile-number', (t, r) => {
    const v = r.pick(NUMBERS);
    if (r.chance(0.5)) {
      const leaves = leafSpans(t).filter((s) => /^\s*-?\d+\s*$/.test(t.slice(s.openEnd, s.closeStart)));
      if (!leaves.length) return null;
      const s = r.pick(leaves);
      return { text: setLeaf(t, s, v), note: `<${s.name}>=${JSON.stringify(v)}` };
    }
    const attrs = attributes(t, NUMERIC_ATTRS);
    if (!attrs.length) return null;
    const a = r.pick(attrs);
    return { text: setAttr(t, a, v), note: `@${a.name}=${JSON.stringify(v)}` };
  }],
  [2, 'hostile-units', (t, r) => {
    const v = r.pick(UNITS);
    const leaves = leafSpans(t, ['AllocationUnits']);
    const attrs = attributes(t, ['capacityAllocationUnits']);
    if (!leaves.length && !attrs.length) return null;
    if (leaves.length && (!attrs.length || r.chance(0.5))) {
      const s = r.pick(leaves);
      return { text: setLeaf(t, s, v), note: `<${s.name}>=${JSON.stringify(v)}` };
    }
    const a = r.pick(attrs);
    return { text: setAttr(t, a, v), note: `@${a.name}=${JSON.stringify(v)}` };
  }],
  [4, 'hostile-name', (t, r) => {
    const raw = randomName(r);
    const v = r.chance(0.9) ? escapeXml(raw) : raw;
    if (r.chance(0.6)) {
      const leaves = leafSpans(t, NAME_LEAVES);
      if (!leaves.length) return null;
      const s = r.pick(leaves);
      return { text: setLeaf(t, s, v), note: `<${s.name}>=${JSON.stringify(raw)}` };
    }
    const attrs = attributes(t, NAME_ATTRS);
    if (!attrs.length) return null;
    const a = r.pick(attrs);
    return { text: setAttr(t, a, v), note: `@${a.name}=${JSON.stringify(raw)}` };
  }],
  [4, 'hostile-choice', (t, r) => {
    const keys = Object.keys(CHOICES);
    const leaves = leafSpans(t, keys);
    const attrs = attributes(t, keys);
    if (!leaves.length && !attrs.length) return null;
    if (leaves.length && (!attrs.length || r.chance(0.7))) {
      const s = r.pick(leaves);
      const v = r.pick(CHOICES[localName(s.name)]!);
      return { text: setLeaf(t, s, v), note: `<${s.name}>=${JSON.stringify(v)}` };
    }
    const a = r.pick(attrs);
    const v = r.pick(CHOICES[localName(a.name)]!);
    return { text: setAttr(t, a, v), note: `@${a.name}=${JSON.stringify(v)}` };
  }],
  [1, 'insert-junk', (t, r) => {
    const at = r.int(t.length + 1);
    const v = r.pick(JUNK);
    return { text: splice(t, at, at, v), note: `insert ${JSON.stringify(v)}@${at}` };
  }],
  [1, 'nest-deep', (t, r) => {
    const spans = elementSpans(t);
    if (!spans.length) return null;
    const s = r.pick(spans);
    const depth = r.range(1, 100);
    const inner = t.slice(s.start, s.end);
    return { text: splice(t, s.start, s.end, '<Wrap>'.repeat(depth) + inner + '</Wrap>'.repeat(depth)), note: `nest <${s.name}> ${depth} deep` };
  }],
  [1, 'many-copies', (t, r) => {
    const spans = elementSpans(t);
    const items = spans.filter((s) => /Item$/.test(s.name));
    const pool = items.length && r.chance(0.8) ? items : spans;
    if (!pool.length) return null;
    const s = r.pick(pool);
    const copies = r.range(2, 400);
    return { text: splice(t, s.end, s.end, t.slice(s.start, s.end).repeat(copies)), note: `copy <${s.name}> x${copies}` };
  }],
  [1, 'many-machines', (t, r) => {
    const systems = elementSpans(t).filter((s) => /(^|:)(VirtualSystem|Content)$/.test(s.name));
    if (!systems.length) return null;
    const s = r.pick(systems);
    const copies = r.range(2, 40);
    return { text: splice(t, s.end, s.end, t.slice(s.start, s.end).repeat(copies)), note: `copy <${s.name}> x${copies}` };
  }],
  [1, 'drop-namespace', (t, r) => {
    const decls = attributes(t).filter((a) => a.name.startsWith('xmlns'));
    if (!decls.length) return null;
    const a = r.pick(decls);
    return { text: splice(t, a.start, a.end, ''), note: `drop ${a.name}` };
  }],
];
const TOTAL_WEIGHT = MUTATIONS.reduce((n, [w]) => n + w, 0);

function pickMutation(rng: Rng): [string, Mutation] {
  let x = rng.int(TOTAL_WEIGHT);
  for (const [w, name, fn] of MUTATIONS) {
    if (x < w) return [name, fn];
    x -= w;
  }
  throw new Error('unreachable');
}

interface Case {
  input: string | Uint8Array;
  notes: string[];
}

function makeCase(base: string, rng: Rng): Case {
  let text = base;
  const notes: string[] = [];
  const count = rng.range(1, 4);
  for (let tries = 0; notes.length < count && tries < 20; tries++) {
    const [, fn] = pickMutation(rng);
    const out = fn(text, rng);
    if (!out) continue;
    text = out.text;
    notes.push(out.note);
  }
  if (rng.chance(0.08)) {
    const bytes = new TextEncoder().encode(text);
    const flips = rng.range(1, 8);
    for (let i = 0; i < flips && bytes.length; i++) {
      const at = rng.int(bytes.length);
      bytes[at] = bytes[at]! ^ (1 << rng.int(8));
    }
    notes.push(`flip ${flips} bit(s)`);
    return { input: bytes, notes };
  }
  return { input: rng.chance(0.5) ? new TextEncoder().encode(text) : text, notes };
}

// --- what every outcome must be ---

const inList = (list: readonly string[], v: string) => list.includes(v);
const DISK_BUS_VALUES = choiceValues(DISK_BUSES) as readonly string[];
const OPTICAL_BUS_VALUES = choiceValues(OPTICAL_BUSES) as readonly string[];
const NIC_MODEL_VALUES = choiceValues(NIC_MODELS) as readonly string[];
const FIRMWARE_VALUES = choiceValues(FIRMWARES) as readonly string[];
const CHIPSET_VALUES = choiceValues(CHIPSETS) as readonly string[];

/** Problems with a plan, against the schema and the machine model; empty when it is fine. */
function planProblems(plan: unknown): string[] {
  const parsed = AppliancePlan.safeParse(plan);
  if (!parsed.success) return [`the plan does not match the AppliancePlan schema: ${parsed.error.message.slice(0, 500)}`];
  const p: string[] = [];
  const show = (v: unknown) => JSON.stringify(v);
  for (const [i, m] of parsed.data.machines.entries()) {
    const at = `machine ${i} (${show(m.name)})`;
    if (!Number.isInteger(m.cpus) || m.cpus < 1 || m.cpus > MAX_CPUS) p.push(`${at}: cpus ${m.cpus} outside 1..${MAX_CPUS}`);
    if (!Number.isInteger(m.memoryMiB) || m.memoryMiB < MIN_MEMORY_MIB || m.memoryMiB > MAX_MEMORY_MIB) p.push(`${at}: memoryMiB ${m.memoryMiB} outside ${MIN_MEMORY_MIB}..${MAX_MEMORY_MIB}`);
    for (const problem of vmNameProblems(m.name)) p.push(`${at}: ${problem}`);
    if (m.description.length > MAX_DESCRIPTION_LENGTH) p.push(`${at}: description of ${m.description.length} characters`);
    if (!inList(OS_TYPE_IDS, m.osType)) p.push(`${at}: osType ${show(m.osType)} not in the catalogue`);
    if (!inList(FIRMWARE_VALUES, m.firmware)) p.push(`${at}: firmware ${show(m.firmware)}`);
    if (!inList(CHIPSET_VALUES, m.chipset)) p.push(`${at}: chipset ${show(m.chipset)}`);
    // the plan may list more disks than fit, left out (include: false) for the review to swap in
    const included = m.disks.filter((d) => d.include).length;
    if (included > MAX_DISKS) p.push(`${at}: ${included} disks to import`);
    if (m.nics.length > MAX_NICS) p.push(`${at}: ${m.nics.length} NICs`);
    if (m.opticals.length > MAX_OPTICALS) p.push(`${at}: ${m.opticals.length} optical drives`);
    for (const d of m.disks) {
      if (!inList(DISK_BUS_VALUES, d.bus)) p.push(`${at}: disk bus ${show(d.bus)}`);
      if (!Number.isSafeInteger(d.capacityBytes) || d.capacityBytes < 0) p.push(`${at}: disk ${show(d.diskId)} capacity ${d.capacityBytes}`);
      const f = d.file;
      if (f && f.sizeBytes !== null && (!Number.isSafeInteger(f.sizeBytes) || f.sizeBytes < 0)) p.push(`${at}: file ${show(f.href)} size ${f.sizeBytes}`);
      if (f && f.chunkSize !== null && (!Number.isSafeInteger(f.chunkSize) || f.chunkSize <= 0)) p.push(`${at}: file ${show(f.href)} chunk size ${f.chunkSize}`);
    }
    for (const o of m.opticals) if (!inList(OPTICAL_BUS_VALUES, o.bus)) p.push(`${at}: optical bus ${show(o.bus)}`);
    for (const n of m.nics) {
      if (!inList(NIC_MODEL_VALUES, n.model)) p.push(`${at}: NIC model ${show(n.model)}`);
      if (n.mac !== null && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(n.mac)) p.push(`${at}: MAC ${show(n.mac)}`);
    }
    if (m.firmware === 'uefi' && m.chipset !== 'q35') p.push(`${at}: UEFI on ${m.chipset}`);
    const buses = [...m.disks.filter((d) => d.include).map((d) => d.bus as string), ...m.opticals.map((o) => o.bus as string)];
    const ide = buses.filter((b) => b === 'ide').length;
    if (m.chipset === 'q35' && ide > 0) p.push(`${at}: ${ide} IDE device(s) on q35`);
    if (m.chipset === 'pc' && ide > MAX_IDE_DEVICES_PC) p.push(`${at}: ${ide} IDE devices on pc`);
    const sata = buses.filter((b) => b === 'sata').length;
    if (sata > MAX_SATA_DEVICES) p.push(`${at}: ${sata} SATA devices`);
  }
  return p;
}

interface Outcome {
  problems: string[];
  plan?: unknown;
}

function run(input: string | Uint8Array, what: string): Outcome {
  let plan: unknown;
  let error: unknown;
  try {
    plan = planAppliance(input, what);
  } catch (e) {
    error = e;
  }
  const problems: string[] = [];
  if (error !== undefined) {
    if (!(error instanceof HangarError)) {
      problems.push(`threw ${error instanceof Error ? `${error.name}: ${error.message} (${(error.stack ?? '').split('\n').slice(1, 4).map((l) => l.trim()).join(' ')})` : String(error)} instead of a HangarError`);
    } else {
      if (error.code === 'INTERNAL') problems.push(`threw INTERNAL (a bug, not a verdict on the input): ${error.message}`);
      if (error.message.trim() === '') problems.push(`threw ${error.code} with an empty message`);
      if (/[\r\n]/.test(error.message)) problems.push(`threw ${error.code} with a message of several lines: ${JSON.stringify(error.message.slice(0, 300))}`);
    }
    return { problems };
  }
  problems.push(...planProblems(plan));
  return { problems, plan };
}

// --- the corpus ---

const fixturesDir = join(repoRoot, 'test', 'fixtures', 'ovf');
const corpus = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.ovf'))
  .sort()
  .map((file) => ({ file, text: readFileSync(join(fixturesDir, file), 'utf8') }));

function save(name: string, input: string | Uint8Array): string {
  const dir = join(testOutputDir, 'ovf-fuzz');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, input);
  return path;
}

describe(`OVF importer fuzzing (seed ${SEED}, ${CASES_PER_FIXTURE} cases per fixture)`, () => {
  test('the seed', (t) => {
    t.diagnostic(`HANGAR_FUZZ_SEED=${SEED}`);
    assert.ok(corpus.length >= 10, 'the corpus is in test/fixtures/ovf');
  });

  corpus.forEach(({ file, text }, fixtureIndex) => {
    test(`mutations of ${file}`, (t) => {
      const failures: string[] = [];
      let refused = 0;
      for (let i = 0; i < CASES_PER_FIXTURE; i++) {
        if (ONLY && ONLY !== `${file}#${i}`) continue;
        const rng = new Rng(mix(SEED, fixtureIndex, i));
        const c = makeCase(text, rng);
        const out = run(c.input, file);
        if (!out.plan) refused++;
        // the same input plans the same way (pure, no hidden state)
        if (out.plan && out.problems.length === 0 && i % 10 === 0) {
          const again = run(c.input, file);
          if (JSON.stringify(again.plan) !== JSON.stringify(out.plan)) out.problems.push('a second call on the same input gave a different plan');
        }
        if (out.problems.length) {
          const saved = save(`${SEED}-${file}-${i}.ovf`, c.input);
          failures.push(
            `case ${file}#${i} [${c.notes.join('; ')}]: ${out.problems.join('; ')}\n` +
              `    reproduce: HANGAR_FUZZ_SEED=${SEED} HANGAR_FUZZ_ONLY='${file}#${i}' node test/run-tests.mjs unit ovf/fuzz; input saved to ${saved}`,
          );
        }
      }
      t.diagnostic(`${CASES_PER_FIXTURE - refused} planned, ${refused} refused`);
      assert.ok(
        failures.length === 0,
        `seed ${SEED}: ${failures.length} of ${CASES_PER_FIXTURE} mutations of ${file} broke the contract (${refused} were refused):\n  ${failures.slice(0, 12).join('\n  ')}`,
      );
    });
  });
});

// --- stress: shapes no mutation reaches by chance ---

function stressDoc(hardware: string, extra: { systems?: number; disks?: string; references?: string; name?: string; annotation?: string } = {}): string {
  const system = (i: number) => `<VirtualSystem ovf:id="stress-${i}">
    <Info>stress</Info><Name>${extra.name ?? `stress-${i}`}</Name>
    ${extra.annotation ? `<AnnotationSection><Info>notes</Info><Annotation>${extra.annotation}</Annotation></AnnotationSection>` : ''}
    <OperatingSystemSection ovf:id="101"><Info>OS</Info></OperatingSystemSection>
    <VirtualHardwareSection><Info>hw</Info>
      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:ResourceType>6</rasd:ResourceType></Item>
      ${hardware}
    </VirtualHardwareSection></VirtualSystem>`;
  const systems = extra.systems ?? 1;
  const body = systems === 1 ? system(0) : `<VirtualSystemCollection ovf:id="many"><Info>many</Info>${Array.from({ length: systems }, (_, i) => system(i)).join('')}</VirtualSystemCollection>`;
  return `<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References>${extra.references ?? '<File ovf:id="file1" ovf:href="d.vmdk"/>'}</References>
  <DiskSection><Info>disks</Info>${extra.disks ?? '<Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="1073741824"/>'}</DiskSection>
  ${body}
</Envelope>`;
}

const diskItem = (id: number, disk = 'vmdisk1', unit = 0) =>
  `<Item><rasd:AddressOnParent>${unit}</rasd:AddressOnParent><rasd:HostResource>ovf:/disk/${disk}</rasd:HostResource><rasd:InstanceID>${id}</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>`;
const nicItem = (id: number) =>
  `<Item><rasd:Connection>net</rasd:Connection><rasd:InstanceID>${id}</rasd:InstanceID><rasd:ResourceSubType>E1000</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType></Item>`;

const STRESS: Array<[string, () => string]> = [
  ['5000 copies of one disk item', () => stressDoc(Array.from({ length: 5000 }, (_, i) => diskItem(100 + i)).join(''))],
  ['100 distinct disks on one controller', () =>
    stressDoc(Array.from({ length: 100 }, (_, i) => diskItem(100 + i, `d${i}`, i)).join(''), {
      references: Array.from({ length: 100 }, (_, i) => `<File ovf:id="f${i}" ovf:href="d${i}.vmdk"/>`).join(''),
      disks: Array.from({ length: 100 }, (_, i) => `<Disk ovf:diskId="d${i}" ovf:fileRef="f${i}" ovf:capacity="1073741824"/>`).join(''),
    })],
  ['200 NICs', () => stressDoc(diskItem(4) + Array.from({ length: 200 }, (_, i) => nicItem(100 + i)).join(''))],
  ['500 machines in a collection', () => stressDoc(diskItem(4), { systems: 500 })],
  ['unknown elements nested 60 deep inside the hardware section', () => stressDoc(diskItem(4) + '<x:Deep xmlns:x="urn:x">'.repeat(60) + '</x:Deep>'.repeat(60))],
  ['a 10 000-character name', () => stressDoc(diskItem(4), { name: 'n'.repeat(10_000) })],
  ['a name of separators, dots and control characters', () => stressDoc(diskItem(4), { name: '../..\\/&#x85;&#x9F;&#x7F;\u202e\u00a0' })],
  ['a name of white space only', () => stressDoc(diskItem(4), { name: ' \t\u00a0 ' })],
  ['an empty name', () => stressDoc(diskItem(4), { name: '' })],
  ['a 4 MiB annotation', () => stressDoc(diskItem(4), { annotation: 'a'.repeat(4 << 20) })],
  ['20 000 empty unknown items', () => stressDoc(diskItem(4) + '<Item><rasd:ResourceType>1</rasd:ResourceType></Item>'.repeat(20_000))],
];

describe('OVF importer stress shapes', () => {
  for (const [name, make] of STRESS) {
    test(name, () => {
      const doc = make();
      let out: Outcome | undefined;
      const work = countWork(() => (out = run(doc, 'stress.ovf')));
      const perByte = work / doc.length;
      if (perByte > WORK_PER_BYTE_LIMIT) out!.problems.push(`took ${work} operations for ${doc.length} bytes (${perByte.toFixed(1)} per byte, limit ${WORK_PER_BYTE_LIMIT})`);
      if (out!.problems.length) save(`stress-${name.replace(/[^a-z0-9]+/gi, '-')}.ovf`, doc);
      assert.ok(out!.problems.length === 0, `${name}: ${out!.problems.join('; ')}`);
    });
  }
});

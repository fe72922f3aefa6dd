// Tar headers, read and written without touching member data. An .ova is a tar whose disks are read
// in place: the reader needs only each member's name, type, size and where its data starts, so the
// parser here is fed header blocks (and the small records of pax and GNU long-name headers) and
// tells its caller where to read next. It understands POSIX ustar, pax extended headers, GNU long
// names, GNU base-256 sizes (VirtualBox writes them for members >= 8 GiB, even in ustar mode), old
// GNU and plain v7 headers. The writer half builds ustar headers, with a pax header when a name or
// size does not fit. See DIALECTS.md sections 1 and 5 for who writes what.
import { HangarError } from '../../src-vmm/base/errors.js';

export const TAR_BLOCK = 512;
/** Most members an archive may hold; an appliance has a handful. */
export const DEFAULT_MAX_MEMBERS = 10_000;
/** Longest member name accepted, in characters (Linux's PATH_MAX). */
export const MAX_NAME_LENGTH = 4096;
/** Largest pax or GNU long-name record read: they carry names, never data. */
export const MAX_META_RECORD = 1024 * 1024;
/** Largest size an 11-digit octal size field holds: 8 GiB - 1. */
export const MAX_OCTAL_SIZE = 0o77777777777;

export type TarMemberType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

export interface TarMember {
  /** The name as stored: pax `path`, else GNU long name, else ustar prefix + name. */
  name: string;
  /** The name normalised for look-ups: no leading `./`, no empty or `.` segments, no trailing `/`. */
  path: string;
  type: TarMemberType;
  /** The raw type flag (`'0'`, `'5'`, `'S'`…), for messages about unusual members. */
  typeflag: string;
  /** Bytes of data (0 for links, devices, fifos and directories). */
  size: number;
  /** Where the data starts in the archive. */
  dataOffset: number;
  /** Where the member's own header starts (after any pax or long-name headers before it). */
  headerOffset: number;
  linkName?: string;
  mode: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  /** macOS AppleDouble files, `.DS_Store`, pax headers extracted as files: no part of an appliance. */
  ignorable: boolean;
  /** A GNU sparse file: its data is not stored as one contiguous run. */
  sparse?: boolean;
}

/** A read the parser asks for: `length` bytes at `offset`. */
export interface TarRead {
  offset: number;
  length: number;
}

// ---------------------------------------------------------------------------------------------
// What the file is, when it is not a tar

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean => sig.every((v, i) => b[at + i] === v);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/**
 * Throws INVALID_INPUT when the first bytes of a file show it is a compressed file, a zip archive
 * or something else that people name `.ova` by mistake. Returns quietly for anything else.
 */
export function refuseNonTarContainer(head: Uint8Array, label: string): void {
  const refuse = (what: string, todo: string): never => {
    throw new HangarError('INVALID_INPUT', `${label} is ${what}, not a tar: ${todo}`);
  };
  if (startsWith(head, [0x1f, 0x8b])) refuse('a gzip-compressed file', 'decompress it first (gunzip) and import the .ova inside');
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) refuse('an xz-compressed file', 'decompress it first (unxz) and import the .ova inside');
  if (startsWith(head, ascii('BZh')) && head[3] !== undefined && head[3] >= 0x31 && head[3] <= 0x39) {
    refuse('a bzip2-compressed file', 'decompress it first (bunzip2) and import the .ova inside');
  }
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) refuse('a zstd-compressed file', 'decompress it first (unzstd) and import the .ova inside');
  if (startsWith(head, ascii('PK')) && (startsWith(head, [3, 4], 2) || startsWith(head, [5, 6], 2) || startsWith(head, [7, 8], 2))) {
    refuse('a zip archive', 'extract it first and import the .ova or .ovf inside');
  }
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) refuse('a 7-Zip archive', 'extract it first and import the .ova or .ovf inside');
  if (startsWith(head, ascii('QFI\xfb'))) refuse('a QCOW2 disk image', 'an OVA is a tar holding a descriptor (.ovf) and disks');
  if (startsWith(head, ascii('KDMV'))) refuse('a VMDK disk image', 'an OVA is a tar holding a descriptor (.ovf) and disks');
}

// ---------------------------------------------------------------------------------------------
// Header fields

const TYPES: Record<string, TarMemberType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
  D: 'directory', // GNU dumpdir: a directory with a listing as data
};

/** Types that never have data blocks, whatever their size field says (as Go's archive/tar reads them). */
const HEADER_ONLY = new Set(['1', '2', '3', '4', '5', '6']);

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Bytes of a name: UTF-8 when they are valid UTF-8, else Latin-1 (old archives). */
function decodeName(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    return latin1.decode(b);
  }
}

function cString(h: Uint8Array, off: number, len: number): Uint8Array {
  const field = h.subarray(off, off + len);
  const nul = field.indexOf(0);
  return nul < 0 ? field : field.subarray(0, nul);
}

/** An octal field: optional leading spaces, digits, then NUL or space. Null when malformed. */
function parseOctal(h: Uint8Array, off: number, len: number): number | null {
  let i = off;
  const end = off + len;
  while (i < end && h[i] === 0x20) i++;
  let v = 0;
  let digits = 0;
  for (; i < end; i++) {
    const c = h[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return null;
    v = v * 8 + (c - 0x30);
    digits++;
  }
  for (; i < end; i++) if (h[i] !== 0 && h[i] !== 0x20) return null;
  if (v > Number.MAX_SAFE_INTEGER) return null;
  return digits === 0 ? 0 : v;
}

/** A numeric field: octal, or GNU base-256 (high bit of the first byte set). Null when malformed. */
export function parseNumericField(h: Uint8Array, off: number, len: number): number | null {
  const first = h[off]!;
  if (first & 0x80) {
    if (first & 0x40) return null; // negative
    let v = first & 0x3f;
    for (let i = off + 1; i < off + len; i++) {
      v = v * 256 + h[i]!;
      if (v > Number.MAX_SAFE_INTEGER) return null;
    }
    return v;
  }
  return parseOctal(h, off, len);
}

/** Header checksum: the byte sum with the checksum field read as spaces; signed sums (old Sun tar) pass too. */
export function headerChecksumOk(h: Uint8Array): boolean {
  const stored = parseOctal(h, 148, 8);
  if (stored === null) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

const isZeroBlock = (h: Uint8Array): boolean => h.every((b) => b === 0);
const padded = (size: number): number => Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;

type Flavour = 'ustar' | 'gnu' | 'v7';
function flavourOf(h: Uint8Array): Flavour {
  if (startsWith(h, ascii('ustar  \0'), 257)) return 'gnu';
  if (startsWith(h, ascii('ustar\0'), 257) || startsWith(h, ascii('ustar '), 257)) return 'ustar';
  return 'v7';
}

/** Normalised member name: no leading `./`, no empty or `.` segments, no trailing `/`. */
export function normaliseMemberName(name: string): string {
  return name
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

/** Members the importer skips rather than refuses: macOS clutter and pax headers extracted as files. */
export function isIgnorableMemberName(name: string): boolean {
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  const base = segments[segments.length - 1] ?? '';
  return (
    base.startsWith('._') ||
    base === '.DS_Store' ||
    segments.some((s) => s === '__MACOSX' || /^PaxHeaders?(\.\d+)?$/.test(s) || s === 'GlobalHead.0' || /^GlobalHead\.\d+\.\d+$/.test(s))
  );
}

// ---------------------------------------------------------------------------------------------
// The incremental parser

interface Pending {
  path?: string;
  linkpath?: string;
  size?: number;
  longName?: string;
  longLink?: string;
  sparse?: boolean;
}

type ParserState =
  | { kind: 'header'; offset: number }
  | { kind: 'meta'; flag: 'x' | 'L' | 'K'; headerOffset: number; size: number }
  | { kind: 'done' };

export interface TarParserOptions {
  /** How the archive is named in messages, usually its path. */
  label: string;
  maxMembers?: number;
}

/**
 * Reads a tar's headers one request at a time. The caller loops:
 * `for (let r = p.next(); r; r = p.next()) p.feed(await readAt(r.offset, r.length))`,
 * handing over fewer bytes than asked when the file ends. Member data is never requested; the
 * parser jumps over it by offset. The archive ends at the first zero block (as GNU tar stops) or
 * at the end of the file.
 */
export class TarHeaderParser {
  readonly members: TarMember[] = [];
  /** How the archive ended: an end-of-archive zero block, or the end of the file. */
  endedBy: 'zero-block' | 'end-of-file' | null = null;
  private state: ParserState = { kind: 'header', offset: 0 };
  private pending: Pending = {};
  private metaRecords = 0;
  private readonly label: string;
  private readonly maxMembers: number;

  constructor(opts: TarParserOptions) {
    this.label = opts.label;
    this.maxMembers = opts.maxMembers ?? DEFAULT_MAX_MEMBERS;
  }

  next(): TarRead | null {
    switch (this.state.kind) {
      case 'header':
        return { offset: this.state.offset, length: TAR_BLOCK };
      case 'meta':
        return { offset: this.state.headerOffset + TAR_BLOCK, length: this.state.size };
      case 'done':
        return null;
    }
  }

  feed(bytes: Uint8Array): void {
    switch (this.state.kind) {
      case 'header':
        this.feedHeader(bytes, this.state.offset);
        return;
      case 'meta':
        this.feedMeta(bytes, this.state.flag, this.state.headerOffset, this.state.size);
        return;
      case 'done':
        throw new HangarError('INTERNAL', 'TarHeaderParser: fed after the end of the archive');
    }
  }

  private hasPending(): boolean {
    return Object.keys(this.pending).length > 0;
  }

  private feedHeader(h: Uint8Array, offset: number): void {
    const label = this.label;
    if (offset === 0) refuseNonTarContainer(h, label);
    if (h.length < TAR_BLOCK) {
      if (offset === 0) throw new HangarError('INVALID_INPUT', h.length === 0 ? `${label} is empty` : `${label} is not an OVA: it is too short to hold a tar header`);
      if (h.length === 0 && !this.hasPending()) {
        this.endedBy = 'end-of-file';
        this.state = { kind: 'done' };
        return;
      }
      throw new HangarError('UNSAFE_ARCHIVE', `${label} is truncated: it ends inside the tar header at byte ${offset}`, { details: { offset } });
    }
    if (isZeroBlock(h)) {
      if (this.hasPending()) throw new HangarError('INVALID_INPUT', `${label} is damaged: an extended header at byte ${offset - TAR_BLOCK} is followed by the end of the archive`, { details: { offset } });
      this.endedBy = 'zero-block';
      this.state = { kind: 'done' };
      return;
    }
    if (!headerChecksumOk(h)) {
      if (offset === 0) throw new HangarError('INVALID_INPUT', `${label} is not an OVA: no tar header at the start`);
      throw new HangarError('INVALID_INPUT', `${label} is damaged: the tar header at byte ${offset} has a bad checksum`, { details: { offset } });
    }
    const flag = String.fromCharCode(h[156]!);
    const rawSize = parseNumericField(h, 124, 12);
    if (rawSize === null) throw new HangarError('INVALID_INPUT', `${label} is damaged: the tar header at byte ${offset} has an unreadable size`, { details: { offset } });

    if (flag === 'x' || flag === 'L' || flag === 'K' || flag === 'g') {
      if (++this.metaRecords > 2 * this.maxMembers + 16) this.tooMany();
      if (flag === 'g') {
        // Global pax headers set defaults for the archive; nothing in them matters here.
        this.state = { kind: 'header', offset: offset + TAR_BLOCK + padded(rawSize) };
        return;
      }
      if (rawSize > MAX_META_RECORD) {
        throw new HangarError('UNSAFE_ARCHIVE', `${label}: the ${flag === 'x' ? 'pax extended' : 'GNU long-name'} header at byte ${offset} declares ${rawSize} bytes, far more than any name needs`, { details: { offset } });
      }
      this.state = { kind: 'meta', flag, headerOffset: offset, size: rawSize };
      return;
    }

    if (this.members.length >= this.maxMembers) this.tooMany();
    const flavour = flavourOf(h);
    let headerName = decodeName(cString(h, 0, 100));
    if (flavour === 'ustar') {
      const prefix = cString(h, 345, 155);
      if (prefix.length > 0) headerName = `${decodeName(prefix)}/${headerName}`;
    }
    const p = this.pending;
    const name = p.path ?? p.longName ?? headerName;
    const link = p.linkpath ?? p.longLink ?? decodeName(cString(h, 157, 100));
    let type: TarMemberType = TYPES[flag] ?? 'other';
    // Old (v7) archives mark directories only by a trailing slash.
    if (type === 'file' && (flag === '0' || flag === '\0') && name.endsWith('/')) type = 'directory';
    const headerOnly = HEADER_ONLY.has(flag) || (type === 'directory' && flag !== 'D');
    const declared = p.size ?? rawSize;
    const size = headerOnly ? 0 : declared;
    const sparse = flag === 'S' || p.sparse === true;
    const member: TarMember = {
      name,
      path: normaliseMemberName(name),
      type: sparse ? 'other' : type,
      typeflag: flag,
      size,
      dataOffset: offset + TAR_BLOCK,
      headerOffset: offset,
      mode: parseOctal(h, 100, 8) ?? 0,
      mtime: parseNumericField(h, 136, 12) ?? 0,
      ignorable: isIgnorableMemberName(name),
    };
    if (type === 'symlink' || type === 'hardlink') member.linkName = link;
    if (sparse) member.sparse = true;
    this.members.push(member);
    this.pending = {};
    this.state = { kind: 'header', offset: offset + TAR_BLOCK + padded(size) };
  }

  private feedMeta(data: Uint8Array, flag: 'x' | 'L' | 'K', headerOffset: number, size: number): void {
    if (data.length < size) {
      throw new HangarError('UNSAFE_ARCHIVE', `${this.label} is truncated: it ends inside the extended header at byte ${headerOffset}`, { details: { offset: headerOffset } });
    }
    if (flag === 'L') this.pending.longName = decodeName(cString(data, 0, size));
    else if (flag === 'K') this.pending.longLink = decodeName(cString(data, 0, size));
    else this.applyPax(parsePaxRecords(data.subarray(0, size), this.label, headerOffset), headerOffset);
    this.state = { kind: 'header', offset: headerOffset + TAR_BLOCK + padded(size) };
  }

  private applyPax(records: Map<string, string>, headerOffset: number): void {
    const path = records.get('path');
    if (path !== undefined) this.pending.path = path;
    const linkpath = records.get('linkpath');
    if (linkpath !== undefined) this.pending.linkpath = linkpath;
    const size = records.get('size');
    if (size !== undefined) {
      if (!/^\d+$/.test(size) || Number(size) > Number.MAX_SAFE_INTEGER) {
        throw new HangarError('INVALID_INPUT', `${this.label} is damaged: the pax header at byte ${headerOffset} has an unreadable size "${size.slice(0, 40)}"`, { details: { offset: headerOffset } });
      }
      this.pending.size = Number(size);
    }
    if ([...records.keys()].some((k) => k.startsWith('GNU.sparse.'))) this.pending.sparse = true;
  }

  private tooMany(): never {
    throw new HangarError('UNSAFE_ARCHIVE', `${this.label} has more than ${this.maxMembers} members, far more than an appliance holds`);
  }
}

/** Pax records: `"<length> <key>=<value>\n"`, the length counting the whole record. */
export function parsePaxRecords(data: Uint8Array, label: string, headerOffset: number): Map<string, string> {
  const out = new Map<string, string>();
  const bad = (): never => {
    throw new HangarError('INVALID_INPUT', `${label} is damaged: the pax header at byte ${headerOffset} is malformed`, { details: { offset: headerOffset } });
  };
  let i = 0;
  while (i < data.length) {
    if (data[i] === 0) break; // some writers pad the record area with NULs
    let len = 0;
    let j = i;
    while (j < data.length && data[j]! >= 0x30 && data[j]! <= 0x39 && j - i < 10) len = len * 10 + (data[j++]! - 0x30);
    if (j === i || data[j] !== 0x20 || len <= j - i + 1 || i + len > data.length || data[i + len - 1] !== 0x0a) bad();
    const record = data.subarray(j + 1, i + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) bad();
    const key = latin1.decode(record.subarray(0, eq));
    // Values are UTF-8 by the standard; fall back to Latin-1 for writers that ignore it.
    out.set(key, decodeName(record.subarray(eq + 1)));
    i += len;
  }
  return out;
}

/** Parses a whole archive held in memory (small archives, tests). */
export function parseTarBuffer(buf: Uint8Array, opts: TarParserOptions): TarMember[] {
  const p = new TarHeaderParser(opts);
  for (let r = p.next(); r; r = p.next()) p.feed(buf.subarray(Math.min(r.offset, buf.length), Math.min(r.offset + r.length, buf.length)));
  return p.members;
}

// ---------------------------------------------------------------------------------------------
// Safety checks

export interface CheckMembersOptions {
  /** The archive's real length in bytes. */
  fileSize: number;
  label: string;
  maxMembers?: number;
  maxNameLength?: number;
}

/** A name for messages: quoted, control characters visible, long names shortened. */
export function displayMemberName(name: string): string {
  const short = name.length > 120 ? `${name.slice(0, 80)}…${name.slice(-30)}` : name;
  return JSON.stringify(short);
}

/**
 * Why a member name is unsafe to use as a relative path, or null when it is fine. Used both to
 * refuse archives and to refuse names given to the writer.
 */
export function memberNameProblem(name: string, maxNameLength = MAX_NAME_LENGTH): string | null {
  if (name.length > maxNameLength) return `has a name ${name.length} characters long (the limit is ${maxNameLength})`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'has control characters in its name';
  if (name.includes('\\')) return 'uses backslashes as path separators';
  if (/^[A-Za-z]:/.test(name)) return 'has a drive letter in its name';
  if (name.startsWith('/')) return 'has an absolute path';
  if (name.split('/').includes('..')) return 'has ".." in its path, which points outside the appliance';
  return null;
}

/**
 * Refuses (UNSAFE_ARCHIVE, one line naming the member) an archive with anything an appliance never
 * needs and an extractor could be tricked by: unsafe paths, links, devices, duplicates, members
 * running past the end of the file, too many members. Directories pass (callers skip them), and so
 * do ignorable members (`._*`, PaxHeader leftovers), which callers skip too.
 */
export function checkMembers(members: readonly TarMember[], opts: CheckMembersOptions): void {
  const { label, fileSize } = opts;
  const maxMembers = opts.maxMembers ?? DEFAULT_MAX_MEMBERS;
  const refuse = (m: TarMember | null, why: string): never => {
    throw new HangarError('UNSAFE_ARCHIVE', m ? `${label}: member ${displayMemberName(m.name)} ${why}` : `${label} ${why}`, {
      details: m ? { member: m.name, headerOffset: m.headerOffset } : undefined,
    });
  };
  if (members.length > maxMembers) refuse(null, `has ${members.length} members, more than the ${maxMembers} an appliance could need`);
  const seen = new Set<string>();
  for (const m of members) {
    const problem = memberNameProblem(m.name, opts.maxNameLength ?? MAX_NAME_LENGTH);
    if (problem) refuse(m, problem);
    switch (m.type) {
      case 'symlink':
        refuse(m, `is a symbolic link (to ${displayMemberName(m.linkName ?? '')}); an appliance holds only plain files`);
        break;
      case 'hardlink':
        refuse(m, `is a hard link (to ${displayMemberName(m.linkName ?? '')}); an appliance holds only plain files`);
        break;
      case 'char':
      case 'block':
        refuse(m, `is a ${m.type === 'char' ? 'character' : 'block'} device; an appliance holds only plain files`);
        break;
      case 'fifo':
        refuse(m, 'is a named pipe; an appliance holds only plain files');
        break;
      case 'other':
        if (m.sparse) refuse(m, 'is stored in GNU tar\'s sparse format, which cannot be read in place: re-create the archive without --sparse');
        if (m.typeflag === 'V') continue; // GNU volume label: a header with nothing in it
        refuse(m, `has tar member type ${JSON.stringify(m.typeflag)}, which an appliance never uses`);
        break;
      case 'directory':
        continue;
      case 'file':
        break;
    }
    if (m.dataOffset + m.size > fileSize) {
      refuse(m, `declares ${m.size} bytes, but the file ends ${Math.max(0, fileSize - m.dataOffset)} bytes into it: the archive is truncated`);
    }
    if (m.path === '') refuse(m, 'has an empty name');
    if (m.ignorable) continue;
    if (seen.has(m.path)) refuse(m, 'appears twice in the archive; which copy is meant is ambiguous');
    seen.add(m.path);
  }
}

// ---------------------------------------------------------------------------------------------
// Writing headers

export interface TarEntryHeader {
  name: string;
  size: number;
  /** Default 0o644. */
  mode?: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** User and group name written in the header; default "hangar". Numeric ids are always 0. */
  owner?: string;
}

/** Zero bytes written after a member's data to fill its last block. */
export function tarPadding(size: number): number {
  return padded(size) - size;
}

/** The end-of-archive marker: two zero blocks. */
export const TAR_END_LENGTH = 2 * TAR_BLOCK;

function writeOctal(h: Buffer, off: number, len: number, v: number): void {
  h.write(v.toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

function writeString(h: Buffer, off: number, len: number, s: string): void {
  const b = Buffer.from(s, 'utf8');
  b.copy(h, off, 0, Math.min(len, b.length));
}

function ustarHeader(name: string, prefix: string, size: number, typeflag: string, e: TarEntryHeader): Buffer {
  const h = Buffer.alloc(TAR_BLOCK);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, e.mode ?? 0o644);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  if (size <= MAX_OCTAL_SIZE) writeOctal(h, 124, 12, size);
  else {
    // GNU base-256: high bit set, big-endian value in the rest of the field.
    let v = size;
    for (let i = 135; i > 124; i--) {
      h[i] = v % 256;
      v = Math.floor(v / 256);
    }
    h[124] = 0x80;
  }
  writeOctal(h, 136, 12, Math.max(0, Math.min(Math.floor(e.mtime), MAX_OCTAL_SIZE)));
  h.fill(0x20, 148, 156);
  h.write(typeflag, 156, 1, 'latin1');
  h.write('ustar\0', 257, 6, 'latin1');
  h.write('00', 263, 2, 'latin1');
  const owner = (e.owner ?? 'hangar').replace(/[^\x20-\x7e]/g, '_').slice(0, 31);
  writeString(h, 265, 32, owner);
  writeString(h, 297, 32, owner);
  writeOctal(h, 329, 8, 0);
  writeOctal(h, 337, 8, 0);
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return h;
}

/** `"<length> <key>=<value>\n"`, where the length counts its own digits. */
export function paxRecord(key: string, value: string): Buffer {
  const body = Buffer.from(` ${key}=${value}\n`, 'utf8');
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'latin1'), body]);
}

/** Splits a name into ustar `prefix` and `name` fields, or null when it cannot fit. ASCII names only. */
function splitUstarName(name: string): { prefix: string; name: string } | null {
  if (name.length <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length > 155) break;
    if (rest.length > 0 && rest.length <= 100) return { prefix, name: rest };
  }
  return null;
}

/**
 * The header block(s) for a regular file: one ustar header, preceded by a pax extended header
 * (its own header plus records) when the name is not ASCII, does not fit the ustar name and prefix
 * fields, or the size is 8 GiB or more (which also gets a GNU base-256 size field, as VirtualBox
 * writes, for readers that skip pax headers).
 *
 * With `length`, the blocks take exactly that many bytes: a member whose data was written before its
 * size was known (a disk converted straight into the archive) has room for the header its largest
 * possible size needs; a smaller size fills that room with a pax `comment` record, which readers
 * ignore. INTERNAL when the header needs more than `length`.
 */
export function tarHeaderBlocks(e: TarEntryHeader, opts: { length?: number } = {}): Buffer {
  const problem = memberNameProblem(e.name);
  if (problem) throw new HangarError('INVALID_INPUT', `cannot write a tar member ${displayMemberName(e.name)}: it ${problem}`);
  if (e.name === '' || e.name.endsWith('/')) throw new HangarError('INVALID_INPUT', `cannot write a tar member ${displayMemberName(e.name)}: a file needs a name`);
  if (!Number.isSafeInteger(e.size) || e.size < 0) throw new HangarError('INVALID_INPUT', `cannot write a tar member ${displayMemberName(e.name)}: bad size ${e.size}`);
  const isAscii = /^[\x20-\x7e]*$/.test(e.name);
  const split = isAscii ? splitUstarName(e.name) : null;
  const records: Buffer[] = [];
  if (!split) records.push(paxRecord('path', e.name));
  if (e.size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(e.size)));
  const fields = split ?? { prefix: '', name: e.name.replace(/[^\x20-\x7e]/g, '_').slice(-100).replace(/^\/+/, '') };
  const header = ustarHeader(fields.name, fields.prefix, e.size, '0', e);
  const want = opts.length;
  if (want !== undefined && (!Number.isSafeInteger(want) || want % TAR_BLOCK !== 0)) throw new HangarError('INTERNAL', `a tar header cannot take ${want} bytes`);
  if (records.length === 0 && (want === undefined || want === TAR_BLOCK)) return header;
  if (want !== undefined) {
    // The pax data fills the room left between the pax header and the member's header.
    const room = want - 2 * TAR_BLOCK;
    const used = records.reduce((n, r) => n + r.length, 0);
    if (room < used || room <= 0) throw new HangarError('INTERNAL', `the header of tar member ${displayMemberName(e.name)} needs more than the ${want} bytes reserved for it`);
    if (used <= room - TAR_BLOCK) records.push(commentRecord(room - used));
  }
  const data = Buffer.concat(records);
  const base = e.name.split('/').pop()!.replace(/[^\x20-\x7e]/g, '_').slice(0, 80);
  const pax = ustarHeader(`PaxHeaders/${base}`, '', data.length, 'x', { ...e, mode: 0o644 });
  return Buffer.concat([pax, data, Buffer.alloc(tarPadding(data.length)), header]);
}

/** A pax `comment` record of exactly `bytes` bytes (at least 12). */
function commentRecord(bytes: number): Buffer {
  const digits = String(bytes).length;
  return Buffer.from(`${bytes} comment=${'-'.repeat(bytes - digits - 10)}\n`, 'latin1');
}

// A VM's disk chain read from the qcow2 headers themselves, the way libvirt does it, instead of a
// `qemu-img info --output=json -U --backing-chain` process per disk (~25 ms each).
//
// It answers only the simple, common case, and then exactly what parseImageInfo (chain.ts) makes of
// qemu-img 7.2's output: a qcow2 v2/v3 top whose backings are qcow2 or raw regular files, each named
// by a plain (relative or absolute) file name with its format recorded in the header. For anything
// else it answers null and the caller asks qemu-img: a file that is not regular (a FIFO, a device),
// not qcow2, or cut short; qcow2 version 1 or 4+; encryption; an incompatible feature other than
// dirty/corrupt (external data file, zstd compression, extended L2); an external data file, crypto
// or bitmaps header extension; a backing name with a protocol (`json:`, `nbd:`, `file:`), or without
// a format (qemu-img would probe it), or with a format other than qcow2/raw; a missing backing; a
// loop or a chain deeper than 64; any header field qemu would refuse (out of range, past the first
// cluster, unaligned tables); a snapshot table qemu would refuse or that lies past what we read.
// It never throws and never blocks: files are opened O_NONBLOCK (libuv adds O_CLOEXEC), checked
// with fstat, and only the first 64 KiB (and, when there are internal snapshots, 64 KiB of the
// snapshot table) are read.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isAbsolute, normalize } from 'node:path';
import type { ImageInfo } from './chain.js';
import { readAt } from '../base/readAt.node.js';
import { isPseudoName } from './pseudoName.js';

const MAX_CHAIN = 64;
const READ_LIMIT = 64 * 1024;
const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"
const EXT_END = 0x00000000;
const EXT_BACKING_FORMAT = 0xe2792aca;
const EXT_CRYPTO = 0x0537be77;
const EXT_BITMAPS = 0x23852875;
const EXT_DATA_FILE = 0x44415441;
const INCOMPAT_DIRTY = 1n;
const INCOMPAT_CORRUPT = 2n;
const AUTOCLEAR_DATA_FILE_RAW = 2n;
const INT64_MAX = (1n << 63n) - 1n;
/** qemu keeps file names in PATH_MAX buffers; longer ones would be cut. */
const MAX_NAME_BYTES = 4095;

interface Qcow2Header {
  version: number;
  sizeBytes: bigint;
  clusterBytes: number;
  incompatible: bigint;
  backing?: { name: string; format: string | undefined };
  snapshots: { offset: bigint; count: number };
}

/** qemu's path_has_protocol: a colon before any slash (`nbd:…`, `json:{…}`, `file:…`). */
const hasProtocol = (name: string) => /^[^/:]*:/.test(name);
/** Names qemu's JSON writer would not print as they are (lone surrogates, noncharacters, NUL). */
const unprintable = (name: string) => /[\p{Cs}\p{Noncharacter_Code_Point}\0]/u.test(name);

function plainFileName(name: string): boolean {
  return name !== '' && !hasProtocol(name) && !unprintable(name) && Buffer.byteLength(name) <= MAX_NAME_BYTES;
}

/** qemu's path_combine(image, name) for a protocol-less image: the image's folder, as written, + name. */
function backingFileName(imagePath: string, name: string): string {
  return isAbsolute(name) ? name : imagePath.slice(0, imagePath.lastIndexOf('/') + 1) + name;
}

/** qcow2_validate_table: not too many entries, no int64 overflow, cluster-aligned. */
function validTable(offset: bigint, entries: number, entryBytes: number, maxBytes: number, clusterBytes: number): boolean {
  return entries <= Math.floor(maxBytes / entryBytes) && INT64_MAX - BigInt(entries * entryBytes) >= offset && offset % BigInt(clusterBytes) === 0n;
}

/** The header as qcow2_do_open checks it (read-only, no I/O), or null where qemu would refuse or we would guess. */
function parseQcow2Header(buf: Buffer): Qcow2Header | null {
  if (buf.length < 72 || buf.readUInt32BE(0) !== QCOW2_MAGIC) return null;
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) return null;
  const backingOffset = buf.readBigUInt64BE(8);
  const backingNameBytes = buf.readUInt32BE(16);
  const clusterBits = buf.readUInt32BE(20);
  const sizeBytes = buf.readBigUInt64BE(24);
  const cryptMethod = buf.readUInt32BE(32);
  const l1Size = buf.readUInt32BE(36);
  const l1Offset = buf.readBigUInt64BE(40);
  const refcountTableOffset = buf.readBigUInt64BE(48);
  const refcountTableClusters = buf.readUInt32BE(56);
  const snapshotCount = buf.readUInt32BE(60);
  const snapshotsOffset = buf.readBigUInt64BE(64);
  if (clusterBits < 9 || clusterBits > 21) return null;
  const clusterBytes = 2 ** clusterBits;

  let incompatible = 0n;
  let autoclear = 0n;
  let refcountOrder = 4;
  let headerLength = 72;
  if (version === 3) {
    if (buf.length < 104) return null;
    incompatible = buf.readBigUInt64BE(72);
    autoclear = buf.readBigUInt64BE(88);
    refcountOrder = buf.readUInt32BE(96);
    headerLength = buf.readUInt32BE(100);
    if (headerLength < 104) return null;
  }
  if (headerLength > clusterBytes || backingOffset > BigInt(clusterBytes)) return null;
  // A compression type other than zlib (a header byte at 104, when the header has it) needs bit 3.
  if (headerLength > 104 && (buf.length <= 104 || buf[104] !== 0)) return null;
  if ((incompatible & ~(INCOMPAT_DIRTY | INCOMPAT_CORRUPT)) !== 0n || (autoclear & AUTOCLEAR_DATA_FILE_RAW) !== 0n) return null;
  if (refcountOrder > 6 || cryptMethod !== 0 || refcountTableClusters === 0) return null;
  if (!validTable(refcountTableOffset, refcountTableClusters, clusterBytes, 8 * 1024 ** 2, clusterBytes)) return null;
  if (!validTable(snapshotsOffset, snapshotCount, 40, 40 * 65536, clusterBytes)) return null;
  if (!validTable(l1Offset, l1Size, 8, 32 * 1024 ** 2, clusterBytes)) return null;
  if (sizeBytes > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  // The L1 table must cover the virtual size (each entry maps cluster * cluster/8 bytes).
  const l1Span = 1n << BigInt(2 * clusterBits - 3);
  const l1Needed = (sizeBytes + l1Span - 1n) / l1Span;
  if (l1Needed > 0x7fffffffn || BigInt(l1Size) < l1Needed) return null;

  // Header extensions, from the end of the header to the backing name (or the end of the cluster).
  const extEnd = backingOffset !== 0n ? Number(backingOffset) : clusterBytes;
  let backingFormat: string | undefined;
  for (let at = headerLength; at < extEnd; ) {
    if (at + 8 > extEnd || at + 8 > buf.length) return null;
    const type = buf.readUInt32BE(at);
    const length = buf.readUInt32BE(at + 4);
    at += 8;
    if (length > extEnd - at) return null;
    if (type === EXT_END) break;
    if (type === EXT_DATA_FILE || type === EXT_CRYPTO || type === EXT_BITMAPS) return null;
    if (type === EXT_BACKING_FORMAT) {
      if (length >= 16 || at + length > buf.length) return null;
      backingFormat = buf.toString('latin1', at, at + length);
      if (backingFormat.includes('\0')) return null;
    }
    at += Math.ceil(length / 8) * 8;
  }

  const header: Qcow2Header = { version, sizeBytes, clusterBytes, incompatible, snapshots: { offset: snapshotsOffset, count: snapshotCount } };
  if (backingOffset !== 0n) {
    const at = Number(backingOffset);
    if (backingNameBytes > Math.min(1023, clusterBytes - at) || at + backingNameBytes > buf.length) return null;
    const raw = buf.subarray(at, at + backingNameBytes);
    const name = new TextDecoder('utf-8', { fatal: true }).decode(raw); // throws (→ null) on bytes that are not UTF-8
    if (!plainFileName(name)) return null;
    header.backing = { name, format: backingFormat };
  }
  return header;
}

/** qcow2_do_read_snapshots refuses an entry with more than 1 KiB of extra data; the rest it reads as it comes. */
async function snapshotTableAcceptable(fh: FileHandle, fileBytes: number, snapshots: Qcow2Header['snapshots']): Promise<boolean> {
  if (snapshots.count === 0) return true;
  if (snapshots.offset >= BigInt(fileBytes)) return false;
  const offset = Number(snapshots.offset);
  const table = await readAt(fh, offset, Math.min(READ_LIMIT, fileBytes - offset));
  let at = 0;
  for (let i = 0; i < snapshots.count; i++) {
    at = Math.ceil(at / 8) * 8;
    if (at + 40 > table.length) return false;
    const extraBytes = table.readUInt32BE(at + 36);
    if (extraBytes > 1024) return false;
    at += 40 + extraBytes + table.readUInt16BE(at + 12) + table.readUInt16BE(at + 14);
    if (at > table.length) return false;
  }
  return true;
}

interface Layer {
  id: string;
  virtualSizeBytes: number;
  actualSizeBytes: number;
  qcow2?: Qcow2Header;
}

/** One image of the chain, opened without blocking; null for anything but a regular file we can read. */
async function readLayer(path: string, format: 'qcow2' | 'raw'): Promise<Layer | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return null;
  }
  try {
    const st = await fh.stat({ bigint: true });
    if (!st.isFile()) return null;
    const fileBytes = Number(st.size);
    const layer = { id: `${st.dev}:${st.ino}`, actualSizeBytes: Number(st.blocks) * 512 };
    // raw: qemu rounds the length up to whole 512-byte sectors.
    if (format === 'raw') return { ...layer, virtualSizeBytes: Math.ceil(fileBytes / 512) * 512 };
    const header = parseQcow2Header(await readAt(fh, 0, Math.min(READ_LIMIT, fileBytes)));
    if (!header || !(await snapshotTableAcceptable(fh, fileBytes, header.snapshots))) return null;
    // qcow2: qemu counts whole sectors of the header's size (rounding down).
    return { ...layer, virtualSizeBytes: Number(header.sizeBytes / 512n) * 512, qcow2: header };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * What `parseImageInfo(qemu-img info --output=json -U --backing-chain topPath)` returns, top first,
 * read from the headers; null when this is not the simple case (see the top of the file). With
 * `topOnly`, what `qemu-img info` without `--backing-chain` returns (which does not open the backing
 * files either): the top image alone, where only its backing's name is needed.
 */
export async function readChainNatively(topPath: string, opts: { topOnly?: boolean } = {}): Promise<ImageInfo[] | null> {
  try {
    if (typeof topPath !== 'string' || !plainFileName(topPath)) return null;
    const chain: ImageInfo[] = [];
    const seen = new Set<string>();
    let file = topPath;
    let format: 'qcow2' | 'raw' = 'qcow2';
    while (chain.length < MAX_CHAIN) {
      const path = normalize(file);
      if (isPseudoName(path) || Buffer.byteLength(file) > MAX_NAME_BYTES) return null;
      const layer = await readLayer(file, format);
      if (!layer || seen.has(layer.id)) return null;
      seen.add(layer.id);
      const info: ImageInfo = { path, format, virtualSizeBytes: layer.virtualSizeBytes, actualSizeBytes: layer.actualSizeBytes, dirty: false };
      chain.push(info);
      const header = layer.qcow2;
      if (!header) return chain; // raw: the end of the chain
      info.clusterSizeBytes = header.clusterBytes;
      if (header.version === 3) {
        info.dirty = (header.incompatible & INCOMPAT_DIRTY) !== 0n;
        info.corrupt = (header.incompatible & INCOMPAT_CORRUPT) !== 0n;
      }
      if (!header.backing) return chain;
      const { name, format: backingFormat } = header.backing;
      if (backingFormat !== 'qcow2' && backingFormat !== 'raw') return null;
      file = backingFileName(file, name);
      if (isPseudoName(normalize(file)) || Buffer.byteLength(file) > MAX_NAME_BYTES) return null;
      // chain.ts's resolveBackingPath for a path that is not pseudo: the same file, normalised.
      info.backingPath = normalize(file);
      info.backingFormat = backingFormat;
      if (opts.topOnly) return chain;
      format = backingFormat;
    }
    return null;
  } catch {
    return null;
  }
}

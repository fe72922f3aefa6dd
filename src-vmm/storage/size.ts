// Disk sizes as people type and read them (pure, no Node imports: the interface uses it too).
// Units K, M, G, T are powers of 1024 (as in qemu-img), with an optional 'B' or 'iB'; the result is
// rounded up to whole 512-byte sectors and must lie between 1 MiB and 64 TiB.

export const SECTOR_BYTES = 512;
export const MIN_DISK_BYTES = 1024 ** 2;
export const MAX_DISK_BYTES = 64 * 1024 ** 4;

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
const SIZE_RE = /^(\d+(?:\.\d+)?|\.\d+)\s*(?:([KMGT])(?:I?B)?|B)?$/;

export type SizeCheck = { ok: true; bytes: number } | { ok: false; message: string };

/** `20G`, `512M`, `10GiB`, `1.5T`, `2048` (bytes): the bytes, or a message for a person. */
export function checkSize(text: string): SizeCheck {
  const m = SIZE_RE.exec(text.trim().toUpperCase());
  if (!m) return { ok: false, message: 'size must be a number with an optional unit K, M, G or T, such as 20G' };
  const bytes = Number(m[1]) * SIZE_UNITS[m[2] ?? '']!;
  const rounded = Math.ceil(bytes / SECTOR_BYTES) * SECTOR_BYTES;
  if (rounded < MIN_DISK_BYTES) return { ok: false, message: 'size must be at least 1M' };
  if (rounded > MAX_DISK_BYTES) return { ok: false, message: 'size must be at most 64T' };
  return { ok: true, bytes: rounded };
}

/** Bytes for people: `20 GiB`, `1.5 TiB`, `512 B`. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || Number.isInteger(v) ? 0 : v < 10 ? 2 : 1;
  return `${Number(v.toFixed(digits))} ${units[u]}`;
}

/**
 * The most a qcow2 image of `virtualBytes` takes on the disk as `qemu-img convert -O qcow2` writes it
 * (64 KiB clusters, 16-bit refcounts), every cluster allocated: the data, its L2 tables (8 bytes a
 * cluster) and refcounts (2 bytes a cluster) within virtualBytes/4096, and 4 MiB for the header, the
 * L1 and refcount tables. `qemu-img measure`'s "fully-allocated" stays below it (qemu-img.test.ts).
 */
export function qcow2MaxBytes(virtualBytes: number): number {
  return virtualBytes + Math.ceil(virtualBytes / 4096) + 4 * 1024 ** 2;
}

/** A streamOptimized VMDK's grain: 64 KiB of the disk, compressed on its own. */
export const VMDK_GRAIN_BYTES = 64 * 1024;

/**
 * The most a streamOptimized VMDK takes as qemu-img writes it: its empty image (`metadataBytes`: the
 * header, descriptor and grain tables qemu-img creates), then one compressed grain for every 64 KiB
 * of the disk that `dataExtents` touch (a 12-byte marker, the data at zlib's compressBound, rounded
 * up to 512-byte sectors: 66048 bytes), and 1 MiB for the tables and footer written at the end.
 */
export function streamOptimizedVmdkMaxBytes(metadataBytes: number, dataExtents: readonly { start: number; length: number }[]): number {
  let grains = 0;
  let last = -1; // the last grain counted: extents come in order, and two may share a grain
  for (const e of dataExtents) {
    if (e.length <= 0) continue;
    const first = Math.max(Math.floor(e.start / VMDK_GRAIN_BYTES), last + 1);
    const end = Math.floor((e.start + e.length - 1) / VMDK_GRAIN_BYTES);
    if (end >= first) grains += end - first + 1;
    last = Math.max(last, end);
  }
  const compressBound = VMDK_GRAIN_BYTES + (VMDK_GRAIN_BYTES >> 12) + (VMDK_GRAIN_BYTES >> 14) + 13;
  const grainBytes = Math.ceil((12 + compressBound) / SECTOR_BYTES) * SECTOR_BYTES;
  return metadataBytes + grains * grainBytes + Math.ceil(grains / 512) * 5 * SECTOR_BYTES + 1024 ** 2;
}

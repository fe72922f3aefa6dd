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

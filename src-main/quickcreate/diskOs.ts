// What OS a disk image holds (pure parts): the partitions worth looking into (MBR or GPT), the
// os-release file of the Linux found there, and its entry in libosinfo's database. libosinfo itself
// recognises media, not installed systems; an installed Linux names itself in /etc/os-release.
import type { OsinfoOs } from './osinfoDb.js';

export interface Partition {
  /** bytes from the start of the disk */
  offset: number;
  size: number;
}

const GPT_LINUX_TYPES = new Set([
  '0fc63daf-8483-4772-8e79-3d69d8477de4', // Linux filesystem
  '4f68bce3-e8cd-4db1-96e7-fbcaf984b709', // Linux root (x86-64)
]);

function guid(b: Buffer): string {
  const hex = (x: Buffer) => x.toString('hex');
  const le = (x: Buffer) => hex(Buffer.from(x).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${hex(b.subarray(8, 10))}-${hex(b.subarray(10, 16))}`;
}

/**
 * The Linux partitions of a disk from its first 34 sectors (MBR and, behind a protective MBR, GPT),
 * biggest first. A disk without a partition table may hold a file system directly: offset 0.
 */
export function linuxPartitions(head: Buffer, diskSize: number): Partition[] {
  if (head.length < 512 || head[510] !== 0x55 || head[511] !== 0xaa) {
    // no partition table: an ext2/3/4 file system from the first byte (its magic at 1080), or nothing to read
    return head.length >= 1082 && head.readUInt16LE(1080) === 0xef53 ? [{ offset: 0, size: diskSize }] : [];
  }
  const entries = [0, 1, 2, 3].map((i) => head.subarray(446 + i * 16, 446 + (i + 1) * 16));
  const out: Partition[] = [];
  if (entries.some((e) => e[4] === 0xee)) {
    const hdr = head.subarray(512, 1024);
    if (hdr.subarray(0, 8).toString('latin1') !== 'EFI PART') return [];
    const entryLba = Number(hdr.readBigUInt64LE(72));
    const count = hdr.readUInt32LE(80);
    const size = hdr.readUInt32LE(84);
    for (let i = 0; i < Math.min(count, 128); i++) {
      const at = entryLba * 512 + i * size;
      if (at + size > head.length) break;
      const e = head.subarray(at, at + size);
      const first = Number(e.readBigUInt64LE(32));
      const last = Number(e.readBigUInt64LE(40));
      if (first === 0 || !GPT_LINUX_TYPES.has(guid(e.subarray(0, 16)))) continue;
      out.push({ offset: first * 512, size: (last - first + 1) * 512 });
    }
  } else {
    for (const e of entries) {
      const type = e[4];
      const start = e.readUInt32LE(8);
      const sectors = e.readUInt32LE(12);
      if (type === 0x83 && start > 0 && sectors > 0) out.push({ offset: start * 512, size: sectors * 512 });
    }
  }
  return out.filter((p) => p.offset + p.size <= diskSize).sort((a, b) => b.size - a.size);
}

/** os-release's variables (a shell-like KEY=value file; quotes removed). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    out[m[1]!] = v;
  }
  return out;
}

/** The database's entry for the OS an os-release describes (its short id is ID and VERSION_ID: debian12, ubuntu22.04, fedora37). */
export function osinfoForRelease(release: Record<string, string>, db: readonly OsinfoOs[]): OsinfoOs | null {
  const id = (release.ID ?? '').toLowerCase();
  const version = release.VERSION_ID ?? '';
  if (!id) return null;
  const candidates = [`${id}${version}`, `${id}${version.split('.')[0]}`, id === 'rhel' ? `rhel${version}` : ''].filter(Boolean);
  for (const c of candidates) {
    const os = db.find((o) => o.shortIds.includes(c));
    if (os) return os;
  }
  return null;
}

// VMware's disk descriptor (VMDK), as far as an import needs it (pure): which files a VMDK reads.
// A VMDK is a text descriptor (a file of its own, or embedded in a sparse extent's header) naming
// its extents: one file (monolithicSparse, streamOptimized), a -flat file (monolithicFlat), 2 GB
// pieces (twoGbMaxExtentSparse: -s001.vmdk…, twoGbMaxExtentFlat: -f001.vmdk…); a snapshot's delta
// names its parent in parentFileNameHint. QEMU follows all of these names itself, so each must be
// known and checked before QEMU opens the disk.

export interface VmdkExtent {
  access: string;
  sectors: number;
  /** SPARSE, FLAT, ZERO, VMFS, VMFSSPARSE, … */
  type: string;
  /** the file as written (relative to the descriptor's folder, or absolute); null for ZERO */
  file: string | null;
}

export interface VmdkDescriptor {
  createType: string;
  parentFileNameHint: string | null;
  /** parentCID as written ('ffffffff': no parent) */
  parentCid: string | null;
  extents: VmdkExtent[];
  /** the disk's size: the extents' sectors × 512 */
  capacityBytes: number;
}

/** The sparse extent header (KDMV) fields an import needs, or null when the bytes are no sparse extent. */
export function parseSparseHeader(b: Uint8Array): { capacityBytes: number; descriptorOffset: number; descriptorBytes: number } | null {
  if (b.length < 72 || Buffer.from(b.buffer, b.byteOffset, 4).toString('latin1') !== 'KDMV') return null;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const u64 = (at: number) => v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32;
  return { capacityBytes: u64(12) * 512, descriptorOffset: u64(28) * 512, descriptorBytes: u64(36) * 512 };
}

const EXTENT = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?\s*$/;

/** A descriptor's text read, or a one-line reason it is not a VMDK descriptor. */
export function parseVmdkDescriptor(text: string, what: string): VmdkDescriptor | string {
  const lines = text.replace(/\0+$/, '').split(/\r?\n/);
  if (!lines.some((l) => /^#\s*Disk DescriptorFile/i.test(l.trim()))) return `${what} is not a VMDK descriptor`;
  let createType = '';
  let parentFileNameHint: string | null = null;
  let parentCid: string | null = null;
  const extents: VmdkExtent[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const e = EXTENT.exec(line);
    if (e) {
      const type = e[3]!.toUpperCase();
      if (type !== 'ZERO' && e[4] === undefined) return `${what} has an extent without a file name: '${line.slice(0, 80)}'`;
      extents.push({ access: e[1]!, sectors: Number(e[2]), type, file: type === 'ZERO' ? null : e[4]! });
      continue;
    }
    const kv = /^([A-Za-z0-9_.]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (!kv) continue;
    const key = kv[1]!.toLowerCase();
    if (key === 'createtype') createType = kv[2]!;
    else if (key === 'parentfilenamehint') parentFileNameHint = kv[2]!;
    else if (key === 'parentcid') parentCid = kv[2]!.toLowerCase();
  }
  if (extents.length === 0) return `${what} names no extents`;
  const sectors = extents.reduce((a, x) => a + x.sectors, 0);
  // QEMU follows parentFileNameHint whatever parentCID says, so it counts whenever it is written.
  return { createType, parentFileNameHint: parentFileNameHint === '' ? null : parentFileNameHint, parentCid, extents, capacityBytes: sectors * 512 };
}

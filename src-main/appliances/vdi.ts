// VirtualBox's disk image (VDI), as far as an import needs it (pure): the header (VirtualBox's
// VDIHEADER1PLUS, the layout every VDI since VirtualBox 1.4 has: a 64-byte text line, the signature
// 0xBEDA107F, version 1.1) and the block map. QEMU reads normal (dynamic) and fixed VDIs itself; a
// differencing VDI, which VirtualBox makes for every snapshot, QEMU refuses, so its blocks are laid
// over its parent's here. Numbers are little-endian. UUIDs are kept as the 16 bytes of the file and
// shown as VirtualBox shows them (RTUUID: the first three fields little-endian).

export const VDI_SIGNATURE = 0xbeda107f;
/** What a VDI's header takes, from the file's start, with the fields this module reads. */
export const VDI_HEADER_BYTES = 0x1d8;
export const VDI_TYPE = { normal: 1, fixed: 2, undo: 3, diff: 4 } as const;
/** A block map entry: the block is not in this image (in a differencing image: read the parent). */
export const VDI_BLOCK_FREE = 0xffffffff;
/** A block map entry: the block reads as zeroes. */
export const VDI_BLOCK_ZERO = 0xfffffffe;

export interface VdiHeader {
  version: number;
  /** 1 normal (dynamic), 2 fixed, 3 undo, 4 differencing */
  type: number;
  /** where the block map starts, and where block data starts */
  offBlocks: number;
  offData: number;
  /** the disk's virtual size */
  diskBytes: number;
  blockBytes: number;
  /** bytes of metadata before each block's data (0 in every VDI seen) */
  blockExtraBytes: number;
  blocks: number;
  blocksAllocated: number;
  /** this image's UUID (what the .vbox calls it) and its parent's (all zero without one), 16 bytes each */
  uuid: Uint8Array;
  parentUuid: Uint8Array;
}

/** The header of a VDI from its first VDI_HEADER_BYTES, or a one-line reason it is not one Hangar reads. */
export function parseVdiHeader(b: Uint8Array, what: string): VdiHeader | string {
  if (b.length < VDI_HEADER_BYTES) return `${what} is too short to be a VDI image`;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  if (v.getUint32(0x40, true) !== VDI_SIGNATURE) return `${what} is not a VDI image (no VDI signature)`;
  const version = v.getUint32(0x44, true);
  if (version >>> 16 !== 1) return `${what} is a VDI image of version ${version >>> 16}.${version & 0xffff}, which Hangar does not read (it reads 1.1)`;
  const u64 = (at: number) => v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32;
  const h: VdiHeader = {
    version,
    type: v.getUint32(0x4c, true),
    offBlocks: v.getUint32(0x154, true),
    offData: v.getUint32(0x158, true),
    diskBytes: u64(0x170),
    blockBytes: v.getUint32(0x178, true),
    blockExtraBytes: v.getUint32(0x17c, true),
    blocks: v.getUint32(0x180, true),
    blocksAllocated: v.getUint32(0x184, true),
    uuid: b.slice(0x188, 0x198),
    parentUuid: b.slice(0x1a8, 0x1b8),
  };
  if (![1, 2, 4].includes(h.type)) return `${what} is a VDI image of type ${h.type}${h.type === 3 ? ' (undo)' : ''}, which Hangar does not read`;
  if (h.blockBytes < 512 || h.blockBytes % 512 !== 0 || h.blockBytes > 256 << 20) return `${what} has a VDI block size of ${h.blockBytes} bytes, which is not one VirtualBox writes`;
  if (!Number.isSafeInteger(h.diskBytes) || h.diskBytes <= 0) return `${what} declares no disk size`;
  if (h.blocks !== Math.ceil(h.diskBytes / h.blockBytes)) return `${what} has ${h.blocks} blocks for ${h.diskBytes} bytes of ${h.blockBytes}-byte blocks: its header is damaged`;
  if (h.offBlocks < VDI_HEADER_BYTES || h.offData < h.offBlocks + 4 * h.blocks) return `${what} has its block map or data where its header is: it is damaged`;
  if (h.blockExtraBytes !== 0) return `${what} keeps extra data with each block, which Hangar does not read`;
  return h;
}

/** The block map (one entry per block) from the bytes at offBlocks. */
export function parseVdiBlockMap(b: Uint8Array, blocks: number): Uint32Array {
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const out = new Uint32Array(blocks);
  for (let i = 0; i < blocks; i++) out[i] = v.getUint32(4 * i, true);
  return out;
}

/** Where block `index` of the image's data starts, for an allocated entry. */
export function vdiBlockOffset(h: VdiHeader, entry: number): number {
  return h.offData + entry * (h.blockBytes + h.blockExtraBytes) + h.blockExtraBytes;
}

export const isZeroUuid = (u: Uint8Array) => u.every((x) => x === 0);
export const sameUuid = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** A VDI UUID as VirtualBox writes it in a .vbox, lower case without braces. */
export function formatVBoxUuid(u: Uint8Array): string {
  const hex = (bytes: number[]) => bytes.map((x) => x.toString(16).padStart(2, '0')).join('');
  const b = [...u];
  return `${hex(b.slice(0, 4).reverse())}-${hex(b.slice(4, 6).reverse())}-${hex(b.slice(6, 8).reverse())}-${hex(b.slice(8, 10))}-${hex(b.slice(10, 16))}`;
}

// The disks of a VirtualBox or VMware machine, found and checked before anything is read, then
// converted. A disk is a chain: the image the machine uses now (the leaf) and, after snapshots, the
// images it is based on (VirtualBox's differencing VDIs, VMware's delta VMDKs naming their parent in
// parentFileNameHint), and a VMDK may keep its data in extents (-flat, -s001 …). Every file of every
// chain must be a regular file inside the machine's folder, reached without symbolic links; nothing
// outside it is read, whatever the machine file, a descriptor or a hint says (the OVA importer's
// rule for hrefs). The CURRENT state is converted into one qcow2: VMDK chains by qemu-img itself
// (it follows the hints, which were checked, and what it would open is compared with them again),
// VirtualBox differencing VDIs (which QEMU does not read) by laying their blocks over the base.
import { lstat, open, realpath, stat } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { HangarError, cancelledError } from '../../src-vmm/base/errors.js';
import { assertFreeSpace, type QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { imageReferences } from '../../src-vmm/storage/imageSafety.js';
import { PAYLOAD_HEAD_BYTES, detectPayload, qemuDriverFor } from './payload.js';
import { VDI_BLOCK_FREE, VDI_BLOCK_ZERO, VDI_HEADER_BYTES, VDI_TYPE, isZeroUuid, parseVdiBlockMap, parseVdiHeader, sameUuid, vdiBlockOffset, type VdiHeader } from './vdi.js';
import { parseSparseHeader, parseVmdkDescriptor } from './vmdk.js';

export interface ChainLayer {
  /** the real path */
  path: string;
  /** qemu-img's driver for it */
  format: string;
  vdi?: VdiHeader;
}

export interface DiskChain {
  /** the leaf, relative to the machine's folder */
  href: string;
  /** base first, leaf last */
  layers: ChainLayer[];
  capacityBytes: number;
  /** 'qemu': qemu-img converts the leaf (reading its chain); 'vdi-overlay': differencing VDIs over the base */
  method: 'qemu' | 'vdi-overlay';
  /** every file qemu-img may open for this disk (layers and their extents), real paths */
  files: Set<string>;
}

const MAX_DESCRIPTOR_BYTES = 1 << 20;
const MAX_CHAIN = 64;

async function readHead(path: string, length: number, at = 0): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, at);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Where a file a machine names really is: inside `folder` (a real path), a regular file, no link; else one line why not. */
export async function resolveInFolder(folder: string, baseDir: string, written: string, what: string): Promise<{ path: string; rel: string }> {
  const w = written.trim();
  // eslint-disable-next-line no-control-regex
  if (w === '' || /[\u0000-\u001f]/.test(w)) throw new HangarError('INVALID_INPUT', `${what} is named '${w.slice(0, 80)}', which is not a file name`);
  if (/^[a-z][a-z0-9+.-]+:/i.test(w) && !/^[A-Za-z]:[\\/]/.test(w)) throw new HangarError('UNSAFE_ARCHIVE', `${what} is '${w.slice(0, 120)}', not a local file: Hangar imports only disks in the machine's folder`);
  if (/^[A-Za-z]:[\\/]|^\\\\/.test(w)) throw new HangarError('UNSAFE_ARCHIVE', `${what} is '${w.slice(0, 120)}', a Windows path outside the machine's folder: Hangar imports only disks in the machine's folder`);
  const abs = isAbsolute(w) ? resolve(w) : resolve(baseDir, w);
  let l;
  try {
    l = await lstat(abs);
  } catch {
    throw new HangarError('INVALID_INPUT', `${what} is '${w.slice(0, 120)}', which does not exist${isAbsolute(w) ? '' : ` in ${baseDir}`}`);
  }
  if (l.isSymbolicLink()) throw new HangarError('UNSAFE_ARCHIVE', `${what} '${w.slice(0, 120)}' is a symbolic link: Hangar imports only files that sit in the machine's folder`);
  const real = await realpath(abs);
  const rel = relative(folder, real);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new HangarError('UNSAFE_ARCHIVE', `${what} is '${w.slice(0, 120)}', outside the machine's folder ${folder}: Hangar imports only disks in the machine's folder`);
  }
  if (!(await stat(real)).isFile()) throw new HangarError('UNSAFE_ARCHIVE', `${what} '${w.slice(0, 120)}' is not a regular file`);
  return { path: real, rel: rel.split(sep).join('/') };
}

/** The VMDK descriptor of a file: its own text, or the one embedded in a sparse extent; null for a sparse extent without one. */
async function vmdkDescriptorOf(path: string, what: string) {
  const head = await readHead(path, 4096);
  const sparse = parseSparseHeader(head);
  let text: string | null = null;
  if (sparse) {
    if (sparse.descriptorOffset === 0 || sparse.descriptorBytes === 0) return { descriptor: null, sparseCapacity: sparse.capacityBytes };
    if (sparse.descriptorBytes > MAX_DESCRIPTOR_BYTES) throw new HangarError('INVALID_INPUT', `${what} has an embedded descriptor of ${sparse.descriptorBytes} bytes, more than any real one`);
    text = (await readHead(path, sparse.descriptorBytes, sparse.descriptorOffset)).toString('utf8');
  } else {
    const s = await stat(path);
    if (s.size > MAX_DESCRIPTOR_BYTES) throw new HangarError('INVALID_INPUT', `${what} is neither a VMDK descriptor nor a sparse VMDK`);
    text = (await readHead(path, s.size)).toString('utf8');
  }
  const d = parseVmdkDescriptor(text, what);
  if (typeof d === 'string') throw new HangarError('INVALID_INPUT', d);
  return { descriptor: d, sparseCapacity: sparse?.capacityBytes ?? null };
}

/** One VMDK (descriptor or sparse file): its extents checked; returns its capacity and parent hint. */
async function checkVmdk(folder: string, path: string, what: string, files: Set<string>): Promise<{ capacityBytes: number; parent: string | null }> {
  const { descriptor, sparseCapacity } = await vmdkDescriptorOf(path, what);
  files.add(path);
  if (!descriptor) return { capacityBytes: sparseCapacity ?? 0, parent: null };
  for (const e of descriptor.extents) {
    if (e.file === null) continue;
    const r = await resolveInFolder(folder, dirname(path), e.file, `${what}: its extent`);
    files.add(r.path);
  }
  return { capacityBytes: descriptor.capacityBytes, parent: descriptor.parentFileNameHint };
}

/** A VMware disk's chain from the file the .vmx names, following parentFileNameHint. */
export async function vmdkChain(folder: string, written: string, what: string): Promise<DiskChain> {
  const leaf = await resolveInFolder(folder, folder, written, what);
  const files = new Set<string>();
  const layers: ChainLayer[] = [];
  let at: string | null = leaf.path;
  let capacityBytes = 0;
  while (at !== null) {
    if (layers.some((l) => l.path === at)) throw new HangarError('INVALID_INPUT', `${what}: its snapshot chain loops back to ${relative(folder, at)}`);
    if (layers.length >= MAX_CHAIN) throw new HangarError('INVALID_INPUT', `${what}: its snapshot chain is more than ${MAX_CHAIN} images long`);
    const label: string = layers.length === 0 ? what : `${what} (snapshot parent ${relative(folder, at)})`;
    const format = detectPayload(await readHead(at, PAYLOAD_HEAD_BYTES), Buffer.alloc(0));
    if (format !== 'vmdk' && format !== 'vmdk-descriptor') throw new HangarError('INVALID_INPUT', `${label} is not a VMDK disk (${format})`);
    const v = await checkVmdk(folder, at, label, files);
    if (layers.length === 0) capacityBytes = v.capacityBytes;
    layers.unshift({ path: at, format: 'vmdk' });
    at = v.parent === null ? null : (await resolveInFolder(folder, dirname(at), v.parent, `${label}: its parent (parentFileNameHint)`)).path;
  }
  return { href: leaf.rel, layers, capacityBytes, method: 'qemu', files };
}

/** A VirtualBox disk's chain from the media registry (base first): VDI differencing layers over any base. */
export async function vboxChain(folder: string, chain: { location: string }[], what: string): Promise<DiskChain> {
  const files = new Set<string>();
  const layers: ChainLayer[] = [];
  let href = '';
  let capacityBytes = 0;
  for (const [i, m] of chain.entries()) {
    const label = i === chain.length - 1 ? what : `${what} (snapshot parent ${m.location.slice(0, 80)})`;
    const r = await resolveInFolder(folder, folder, m.location, label);
    href = r.rel;
    const format = detectPayload(await readHead(r.path, PAYLOAD_HEAD_BYTES), Buffer.alloc(0));
    if (format === 'vdi') {
      const h = parseVdiHeader(await readHead(r.path, VDI_HEADER_BYTES), label);
      if (typeof h === 'string') throw new HangarError('INVALID_INPUT', h);
      if (i === 0 && h.type === VDI_TYPE.diff) throw new HangarError('INVALID_INPUT', `${label} is a differencing image, but the .vbox lists no parent for it`);
      if (i > 0) {
        if (h.type !== VDI_TYPE.diff) throw new HangarError('INVALID_INPUT', `${label} is listed as a snapshot's differencing image but is a ${h.type === VDI_TYPE.fixed ? 'fixed' : 'normal'} VDI`);
        const below = layers[i - 1]!;
        if (below.vdi && !isZeroUuid(h.parentUuid) && !sameUuid(h.parentUuid, below.vdi.uuid)) throw new HangarError('INVALID_INPUT', `${label} is not based on the image the .vbox says it is (the VDI's parent UUID differs): the chain is damaged`);
      }
      layers.push({ path: r.path, format: 'vdi', vdi: h });
      files.add(r.path);
      capacityBytes = h.diskBytes;
      continue;
    }
    if (i > 0) throw new HangarError('UNSUPPORTED', `${label} is a ${format.toUpperCase()} differencing image: Hangar flattens VirtualBox snapshots of VDI disks only`);
    if (format === 'vmdk' || format === 'vmdk-descriptor') {
      const v = await checkVmdk(folder, r.path, label, files);
      if (v.parent !== null) throw new HangarError('UNSUPPORTED', `${label} is a VMDK delta image: Hangar flattens VirtualBox snapshots of VDI disks only`);
      layers.push({ path: r.path, format: 'vmdk' });
      capacityBytes = v.capacityBytes;
      continue;
    }
    const driver = qemuDriverFor(format);
    if (!driver || driver === 'raw' || driver === 'qcow2') throw new HangarError('INVALID_INPUT', `${label} is not a VirtualBox disk image (VDI, VMDK, VHD or VHDX)`);
    layers.push({ path: r.path, format: driver });
    files.add(r.path);
  }
  const method = layers.length > 1 ? 'vdi-overlay' : 'qemu';
  return { href, layers, capacityBytes, method, files };
}

/** Checks with qemu-img that each layer names only the chain's own files (what it would really open). */
async function confirmReferences(chain: DiskChain, qemuImg: QemuImg, what: string): Promise<void> {
  const upTo = chain.method === 'vdi-overlay' ? chain.layers.slice(0, 1) : chain.layers;
  for (const layer of upTo) {
    let d;
    try {
      d = await qemuImg.describeSource(layer.path, { srcFormat: layer.format });
    } catch (e) {
      throw new HangarError('INVALID_INPUT', `${what} cannot be read as a disk image: ${String((e as Error).message).replace(/^qemu-img could not \w+ \S+: /, '')}`, { cause: e });
    }
    for (const r of imageReferences(d, [layer.path])) {
      if (!chain.files.has(r.target)) throw new HangarError('UNSAFE_ARCHIVE', `${what} would read ${r.target} (its ${r.kind}), which is not one of the machine's files`);
    }
  }
}

/** Bytes the conversion may write: the qcow2, and for VDI chains the raw image it stages first. */
export async function chainRoom(chain: DiskChain, qemuImg: QemuImg): Promise<number> {
  const sizes = await Promise.all(chain.layers.map(async (l) => (await stat(l.path)).size));
  const packed = sizes.reduce((a, b) => a + b, 0);
  if (chain.method === 'qemu') {
    const top = chain.layers.at(-1)!;
    return qemuImg.measure({ src: top.path, srcFormat: top.format }).catch(() => packed);
  }
  return 2 * packed;
}

/**
 * Converts a machine's disk (its current state) into a new qcow2 at `target`; returns its virtual size.
 * Cancel and failure leave nothing at `target` nor beside it.
 */
export async function convertChain(chain: DiskChain, target: string, qemuImg: QemuImg, what: string, signal: AbortSignal, onProgress: (f: number) => void): Promise<number> {
  await confirmReferences(chain, qemuImg, what);
  const vmsDir = dirname(dirname(target));
  const top = chain.layers.at(-1)!;
  if (chain.method === 'qemu') {
    const d = await qemuImg.describeSource(top.path, { srcFormat: top.format });
    const needed = await qemuImg.measure({ src: top.path, srcFormat: top.format }).catch(() => undefined);
    if (needed !== undefined) assertFreeSpace(vmsDir, needed);
    try {
      await qemuImg.convert(top.path, target, { srcFormat: top.format, dstFormat: 'qcow2', sparse: true, signal, onProgress });
    } catch (e) {
      rmSync(target, { force: true });
      throw signal.aborted ? cancelledError() : e;
    }
    return d.virtualSizeBytes;
  }

  // Differencing VDIs: the base as raw (sparse), each layer's blocks written over it, then qcow2.
  const staged = `${target}.staging`;
  try {
    const base = chain.layers[0]!;
    await qemuImg.convert(base.path, staged, { srcFormat: base.format, dstFormat: 'raw', sparse: true, signal, onProgress: (f) => onProgress(0.4 * f) });
    const size = top.vdi!.diskBytes;
    const out = await open(staged, 'r+');
    try {
      await out.truncate(size);
      const overlays = chain.layers.slice(1);
      for (const [li, layer] of overlays.entries()) {
        const h = layer.vdi!;
        const src = await open(layer.path, 'r');
        try {
          const mapBytes = Buffer.alloc(4 * h.blocks);
          await src.read(mapBytes, 0, mapBytes.length, h.offBlocks);
          const map = parseVdiBlockMap(mapBytes, h.blocks);
          const block = Buffer.alloc(h.blockBytes);
          for (let b = 0; b < h.blocks; b++) {
            if (signal.aborted) throw cancelledError();
            const entry = map[b]!;
            if (entry === VDI_BLOCK_FREE) continue;
            const at = b * h.blockBytes;
            const length = Math.min(h.blockBytes, size - at);
            if (length <= 0) continue;
            if (entry === VDI_BLOCK_ZERO) block.fill(0);
            else {
              if (entry >= h.blocks) throw new HangarError('INVALID_INPUT', `${what}: a differencing image's block map points past its blocks: it is damaged`);
              const { bytesRead } = await src.read(block, 0, length, vdiBlockOffset(h, entry));
              if (bytesRead < length) throw new HangarError('INVALID_INPUT', `${what}: a differencing image is truncated`);
            }
            await out.write(block, 0, length, at);
            if (b % 64 === 0) onProgress(0.4 + 0.1 * ((li + b / h.blocks) / overlays.length));
          }
        } finally {
          await src.close();
        }
      }
      await out.sync();
    } finally {
      await out.close();
    }
    const needed = await qemuImg.measure({ src: staged, srcFormat: 'raw' }).catch(() => undefined);
    if (needed !== undefined) assertFreeSpace(vmsDir, needed);
    await qemuImg.convert(staged, target, { srcFormat: 'raw', dstFormat: 'qcow2', sparse: true, signal, onProgress: (f) => onProgress(0.5 + 0.5 * f) });
    return size;
  } catch (e) {
    rmSync(target, { force: true });
    throw signal.aborted ? cancelledError() : e;
  } finally {
    rmSync(staged, { force: true });
    rmSync(`${staged}.partial`, { recursive: true, force: true });
  }
}

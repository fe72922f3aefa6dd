// An appliance on disk: an .ova (a tar whose members are read in place, through byte offsets) or an
// .ovf with its files beside it. Either way the importer sees the same thing: the descriptor's bytes,
// the manifest and certificate if any, and a region of some file for every other member.
import { open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, posix, sep } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import { indexTar } from './tarIndex.node.js';
import type { DiskChain } from './machineDisks.node.js';

/** A member's bytes: `length` bytes of `path` from `offset`. */
export interface Region {
  /** the member's name inside the package */
  name: string;
  path: string;
  offset: number;
  length: number;
}

export interface AppliancePackage {
  /** an OVF appliance, or a VirtualBox/VMware machine opened in place (machinePackage.node.ts) */
  kind: 'ova' | 'ovf' | 'vbox' | 'vmx';
  /** the .ova or .ovf the user chose, absolute */
  path: string;
  /** the descriptor's name inside the package */
  descriptorName: string;
  /** the descriptor's folder inside the package ('' at the top), which hrefs are relative to */
  base: string;
  descriptor: Buffer;
  manifest: { name: string; bytes: Buffer } | null;
  certificate: { name: string; bytes: Buffer } | null;
  /** a member by its package-relative name; undefined when the package has no such file */
  member(name: string): Promise<Region | undefined>;
  /** every member's name, for messages and checks */
  names(): string[];
  /** a machine's disk (by href) as its checked chain of images, converted by convertChain */
  chain?: (href: string) => DiskChain | undefined;
}

/** Descriptors and manifests are small; anything bigger is not one. */
const MAX_DESCRIPTOR_BYTES = 16 << 20;
const MAX_MANIFEST_BYTES = 4 << 20;

async function readRegion(r: Region, limit: number, what: string): Promise<Buffer> {
  if (r.length > limit) throw new HangarError('INVALID_INPUT', `${what} ${r.name} is ${r.length} bytes, more than any real one (${limit} bytes)`);
  const fh = await open(r.path, 'r');
  try {
    const buf = Buffer.alloc(r.length);
    let done = 0;
    while (done < r.length) {
      const { bytesRead } = await fh.read(buf, done, r.length - done, r.offset + done);
      if (bytesRead === 0) throw new HangarError('INVALID_INPUT', `${what} ${r.name} is truncated`);
      done += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/** Reads `length` bytes at `offset` of a region (fewer at its end). */
export async function readAt(r: Region, offset: number, length: number): Promise<Buffer> {
  const n = Math.max(0, Math.min(length, r.length - offset));
  const buf = Buffer.alloc(n);
  if (n === 0) return buf;
  const fh = await open(r.path, 'r');
  try {
    let done = 0;
    while (done < n) {
      const { bytesRead } = await fh.read(buf, done, n - done, r.offset + offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  } finally {
    await fh.close();
  }
}

/** macOS resource forks and the like: members that are no part of the appliance. */
function isClutter(name: string): boolean {
  const b = posix.basename(name);
  return b.startsWith('._') || b === '.DS_Store' || name.includes('PaxHeader');
}

async function looksLikeXml(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    const s = buf.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    return s.startsWith('<') || (buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff);
  } finally {
    await fh.close();
  }
}

function pickCompanion(names: string[], descriptorName: string, ext: string): string | null {
  const stem = descriptorName.replace(/\.ovf$/i, '');
  const exact = names.find((n) => n === `${stem}${ext}`);
  if (exact) return exact;
  const any = names.filter((n) => n.toLowerCase().endsWith(ext));
  return any.length === 1 ? any[0]! : null;
}

/** The file the user chose, which must be a non-empty regular file; one line why not. */
export async function statChosenFile(file: string): Promise<{ size: number }> {
  let st;
  try {
    st = await stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HangarError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(e as Error).message}`);
  }
  if (!st.isFile()) throw new HangarError('INVALID_INPUT', `${file} is not a file`);
  if (st.size === 0) throw new HangarError('INVALID_INPUT', `${file} is empty`);
  return st;
}

export async function openPackage(file: string): Promise<AppliancePackage> {
  const st = await statChosenFile(file);
  const path = await realpath(file);
  return (await looksLikeXml(path)) ? openOvf(path, st.size) : openOva(path);
}

async function openOva(path: string): Promise<AppliancePackage> {
  const members = (await indexTar(path)).filter((m) => m.type === 'file' && !m.ignorable && !isClutter(m.path));
  const byName = new Map(members.map((m) => [m.path, m]));
  const names = [...byName.keys()];
  const descriptors = names.filter((n) => n.toLowerCase().endsWith('.ovf'));
  if (descriptors.length === 0) throw new HangarError('INVALID_INPUT', `${path} holds no .ovf descriptor: it is not an OVF appliance`);
  // The standard puts the descriptor first; take the first one, as other readers do.
  const descriptorName = descriptors[0]!;
  const region = (name: string): Region | undefined => {
    const m = byName.get(name);
    return m ? { name, path, offset: m.dataOffset, length: m.size } : undefined;
  };
  const descriptor = await readRegion(region(descriptorName)!, MAX_DESCRIPTOR_BYTES, 'the descriptor');
  const mfName = pickCompanion(names, descriptorName, '.mf');
  const certName = pickCompanion(names, descriptorName, '.cert');
  return {
    kind: 'ova',
    path,
    descriptorName,
    base: posix.dirname(descriptorName) === '.' ? '' : posix.dirname(descriptorName),
    descriptor,
    manifest: mfName ? { name: mfName, bytes: await readRegion(region(mfName)!, MAX_MANIFEST_BYTES, 'the manifest') } : null,
    certificate: certName ? { name: certName, bytes: await readRegion(region(certName)!, MAX_MANIFEST_BYTES, 'the certificate') } : null,
    member: async (name) => region(name),
    names: () => names,
  };
}

async function openOvf(path: string, size: number): Promise<AppliancePackage> {
  const dir = dirname(path);
  const descriptorName = basename(path);
  const descriptor = await readRegion({ name: descriptorName, path, offset: 0, length: size }, MAX_DESCRIPTOR_BYTES, 'the descriptor');
  const member = async (name: string): Promise<Region | undefined> => {
    const candidate = join(dir, ...name.split('/'));
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      return undefined;
    }
    // A symbolic link beside the descriptor may not lead out of the appliance's folder.
    if (!real.startsWith(dir + sep)) throw new HangarError('UNSAFE_ARCHIVE', `${name} beside the descriptor is a link to ${real}, outside the appliance's folder`);
    const s = await stat(real);
    if (!s.isFile()) throw new HangarError('UNSAFE_ARCHIVE', `${name} beside the descriptor is not a regular file`);
    return { name, path: real, offset: 0, length: s.size };
  };
  const companion = async (ext: string) => {
    const name = descriptorName.replace(/\.ovf$/i, '') + ext;
    const r = await member(name);
    return r ? { name, bytes: await readRegion(r, MAX_MANIFEST_BYTES, ext === '.mf' ? 'the manifest' : 'the certificate') } : null;
  };
  return {
    kind: 'ovf',
    path,
    descriptorName,
    base: '',
    descriptor,
    manifest: await companion('.mf'),
    certificate: await companion('.cert'),
    member,
    names: () => [descriptorName],
  };
}

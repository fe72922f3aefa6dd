// What a file of an appliance holds, told from its bytes: the descriptor's ovf:format is only a hint
// (oVirt's qcow2 members say "vmdk", old VirtualBox says "#sparse"), and letting qemu-img guess is
// unsafe. Also the rules for hrefs, which come from strangers and must stay inside the package.
import { HangarError } from '../../src-vmm/base/errors.js';

export type PayloadFormat = 'qcow2' | 'vmdk' | 'vmdk-descriptor' | 'vpc' | 'vhdx' | 'vdi' | 'iso' | 'raw';

/** How many bytes of the start detectPayload wants (the ISO 9660 volume descriptor sits at 32 KiB). */
export const PAYLOAD_HEAD_BYTES = 0x8006;

const ascii = (b: Uint8Array, at: number, s: string) => b.length >= at + s.length && Buffer.from(b.buffer, b.byteOffset + at, s.length).toString('latin1') === s;

/** The format of a payload from its first bytes and its last 512 bytes (VHD keeps its footer there). */
export function detectPayload(head: Uint8Array, tail: Uint8Array): PayloadFormat {
  if (ascii(head, 0, 'QFI\xfb')) return 'qcow2';
  if (ascii(head, 0, 'KDMV') || ascii(head, 0, 'COWD')) return 'vmdk';
  if (ascii(head, 0, '# Disk DescriptorFile')) return 'vmdk-descriptor';
  if (ascii(head, 0, 'vhdxfile')) return 'vhdx';
  if (ascii(head, 0, 'conectix')) return 'vpc';
  if (head.length >= 0x44 && head[0x40] === 0x7f && head[0x41] === 0x10 && head[0x42] === 0xda && head[0x43] === 0xbe) return 'vdi';
  if (ascii(head, 0x8001, 'CD001')) return 'iso';
  if (tail.length >= 8 && ascii(tail, tail.length - 512 >= 0 ? tail.length - 512 : 0, 'conectix')) return 'vpc';
  return 'raw';
}

/** qemu-img's driver name for a disk payload; null for what is not a disk image Hangar converts. */
export function qemuDriverFor(format: PayloadFormat): string | null {
  switch (format) {
    case 'qcow2':
    case 'vmdk':
    case 'vpc':
    case 'vhdx':
    case 'vdi':
    case 'raw':
      return format;
    default:
      return null;
  }
}

/** What ovf:format claims, in the words of PayloadFormat; null when it names nothing specific. */
export function claimedFormat(formatUri: string): PayloadFormat | null {
  const u = formatUri.toLowerCase();
  if (u === '') return null;
  if (u.includes('vmdk')) return 'vmdk';
  if (u.includes('qcow')) return 'qcow2';
  if (u.includes('vhdx')) return 'vhdx';
  if (u.includes('vhd') || u.includes('137171') || u.includes('virtualserver')) return 'vpc';
  if (u.includes('ecma-119') || u.includes('iso9660')) return 'iso';
  if (u.includes('raw')) return 'raw';
  return null;
}

/**
 * Whether content of `actual` may stand for a file the descriptor calls `claimed`. Producers mislabel
 * freely (oVirt writes qcow2 under a VMDK URI), so any real image format passes; what does not pass
 * is content without any image header where the descriptor promised one: a corrupt or foreign file.
 */
export function contentMatchesClaim(actual: PayloadFormat, claimed: PayloadFormat | null): boolean {
  if (actual !== 'raw') return true;
  return claimed === null || claimed === 'raw';
}

/**
 * A package-relative path from an href, or INVALID_INPUT/UNSAFE_ARCHIVE saying why not. `base` is the
 * descriptor's folder inside the package ('' at the top).
 */
export function resolveHref(href: string, base: string): string {
  const h = href.trim();
  if (h === '') throw new HangarError('INVALID_INPUT', 'a file reference in the descriptor has an empty ovf:href');
  // A scheme has two letters or more: "C:" is a drive letter (refused below as not relative).
  if (/^[a-z][a-z0-9+.-]+:/i.test(h) && !/^file:/i.test(h)) {
    throw new HangarError('UNSUPPORTED', `the descriptor references ${h}, a remote file: only files inside the package are imported`);
  }
  let rel = h.replace(/^file:(\/\/)?/i, '');
  try {
    rel = decodeURIComponent(rel);
  } catch {
    // not percent-encoded after all: keep it as written
  }
  // eslint-disable-next-line no-control-regex
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel) || rel.includes('\\') || /[\u0000-\u001f]/.test(rel)) {
    throw new HangarError('UNSAFE_ARCHIVE', `the descriptor references '${href}', which is not a plain relative path inside the package`);
  }
  const parts: string[] = base ? base.split('/').filter(Boolean) : [];
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') throw new HangarError('UNSAFE_ARCHIVE', `the descriptor references '${href}', which points outside the package ('..')`);
    parts.push(seg);
  }
  if (parts.length === 0) throw new HangarError('INVALID_INPUT', `the descriptor references '${href}', which names no file`);
  return parts.join('/');
}

/** The names of a chunked file's parts: href.000000000, href.000000001, … */
export function chunkName(href: string, index: number): string {
  return `${href}.${String(index).padStart(9, '0')}`;
}

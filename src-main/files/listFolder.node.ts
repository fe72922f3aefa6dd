// Server-side file browsing for the web mode's file fields.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';

const FILTERS: Record<string, RegExp | null> = {
  all: null,
  iso: /\.(iso|img)$/i,
  disk: /\.(qcow2|img|raw|vmdk|vdi|vhdx|vhd|qcow)$/i,
  appliance: /\.(ova|ovf|vbox|vmx)$/i,
  kernel: /(vmlinuz|bzimage|\.efi|initr|\.img|\.gz|\.cpio)/i,
};

export function listFolder(path: string, filter: string) {
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new HangarError('NOT_FOUND', `no folder ${path}`);
    if (code === 'ENOTDIR') throw new HangarError('INVALID_INPUT', `${path} is not a folder`);
    throw new HangarError('IO_ERROR', `cannot read ${path}: ${(e as Error).message}`);
  }
  const re = FILTERS[filter] ?? null;
  const entries: { name: string; path: string; kind: 'file' | 'dir'; sizeBytes: number }[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const full = join(path, name);
    let st;
    try {
      st = statSync(full);
    } catch {
      continue; // a dangling link or a file that went away
    }
    if (st.isDirectory()) entries.push({ name, path: full, kind: 'dir', sizeBytes: 0 });
    else if (st.isFile() && (!re || re.test(name))) entries.push({ name, path: full, kind: 'file', sizeBytes: st.size });
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  return { path, parent: path === '/' ? null : dirname(path), entries: entries.slice(0, 5000) };
}

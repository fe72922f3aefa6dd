// The web mode's file dialog: paths, filters and the order of entries.
import type { FileFilter, FsEntry } from '../api/apiTypes.js';

export const FILE_FILTERS: readonly { value: FileFilter; label: string }[] = [
  { value: 'iso', label: 'ISO images' },
  { value: 'disk', label: 'Disk images' },
  { value: 'kernel', label: 'Kernels and initrds' },
  { value: 'appliance', label: 'Appliances and machines (OVA, OVF, VBOX, VMX)' },
  { value: 'all', label: 'All files' },
];

export function filterLabel(f: FileFilter): string {
  return FILE_FILTERS.find((x) => x.value === f)?.label ?? f;
}

/** The folder of a path: '/a/b/c.iso' → '/a/b'; '/a' → '/'. */
export function dirOf(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const i = trimmed.lastIndexOf('/');
  return i <= 0 ? '/' : trimmed.slice(0, i);
}

/** The last part of a path. */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || '/';
}

/** Folders first, then files, each by name as people sort (numbers in order, case ignored). */
export function sortEntries(entries: readonly FsEntry[]): FsEntry[] {
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  return [...entries].sort((a, b) => (a.kind === b.kind ? collator.compare(a.name, b.name) : a.kind === 'dir' ? -1 : 1));
}

/** The folders from the root to `path`, for a breadcrumb: '/a/b' → ['/', '/a', '/a/b']. */
export function pathCrumbs(path: string): { name: string; path: string }[] {
  const parts = path.split('/').filter(Boolean);
  const crumbs = [{ name: '/', path: '/' }];
  let acc = '';
  for (const p of parts) {
    acc += `/${p}`;
    crumbs.push({ name: p, path: acc });
  }
  return crumbs;
}

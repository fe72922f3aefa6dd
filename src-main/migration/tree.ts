// A VM's snapshot tree as it moves with a live migration (pure). The source describes the tree (every
// image its current disks and its snapshots use, parents first; the snapshots with their names,
// descriptions, configs and state files; which snapshot is current) and which files go to the target
// before the VM's memory does: with --copy-storage the frozen images and the RAM state files (read-only,
// so a plain copy is safe while the guest runs), and always the snapshots' small files that a VM's
// folder holds by name (thumbnail, UEFI variables, TPM state). The target maps every source path to its
// own and records the same tree.
import { basename } from 'node:path';
import type { VmConfig } from '../../src-vmm/model/index.js';

export interface TreeImage {
  path: string;
  format: string;
  virtualSize: number;
  backingPath: string | null;
  /** disk: a current top image; frozen: a snapshot's read-only image */
  role: 'disk' | 'frozen';
}

export interface TreeSnapshot {
  id: string;
  parentId: string | null;
  name: string;
  description: string;
  createdAt: string;
  config: VmConfig;
  live: boolean;
  stateFile: string | null;
  disks: { diskId: string; path: string; format: string }[];
  facts: { liveMethod?: 'background' | 'paused' | undefined; pauseMs?: number | undefined };
  quiesced: boolean;
}

export interface MovingTree {
  images: TreeImage[];
  snapshots: TreeSnapshot[];
  currentSnapshotId: string | null;
}

/** A file the source sends before the VM: its path here and where it lands in the target's VM folder. */
export interface FileCopy {
  from: string;
  to: string;
}

/**
 * Every image the VM's current disks and its snapshots use, with the images they are based on,
 * parents before children. `lookup` gives an image's inventory row (its backing image and format).
 */
export function treeImages(roots: readonly string[], lookup: (path: string) => { backingPath: string | null } | undefined): string[] {
  const order: string[] = [];
  const visit = (path: string) => {
    if (order.includes(path)) return;
    const parent = lookup(path)?.backingPath ?? null;
    if (parent) visit(parent);
    order.push(path);
  };
  for (const path of roots) visit(path);
  return order;
}

/**
 * The files that go before the VM. `sourceDir` is the VM's folder here; `smallFiles` are the snapshots'
 * files found by name in its `snapshots/` folder. With copyStorage, every frozen image and every state
 * file too (the current top images are mirrored instead); without, those are used where they are.
 */
export function filesToCopy(tree: MovingTree, o: { sourceDir: string; copyStorage: boolean; smallFiles: readonly string[] }): FileCopy[] {
  const out: FileCopy[] = [];
  const taken = new Set<string>();
  const place = (from: string, folder: 'disks' | 'snapshots') => {
    // Files of the VM's folder keep their names; others (an image used in place) get a unique one.
    const inside = from.startsWith(`${o.sourceDir}/${folder}/`) && !from.slice(o.sourceDir.length + folder.length + 2).includes('/');
    let to = `${folder}/${inside ? basename(from) : `ext-${basename(from)}`}`;
    for (let i = 1; taken.has(to); i++) to = `${folder}/ext${i}-${basename(from)}`;
    taken.add(to);
    out.push({ from, to });
  };
  const inFolder = (f: string) => f.startsWith(`${o.sourceDir}/snapshots/`) && f.length > o.sourceDir.length + 11;
  for (const f of o.smallFiles) {
    if (!inFolder(f)) throw new Error(`a snapshot file outside the VM's folder: ${f}`);
    out.push({ from: f, to: f.slice(o.sourceDir.length + 1) });
    taken.add(f.slice(o.sourceDir.length + 1));
  }
  if (!o.copyStorage) return out;
  for (const img of tree.images) if (img.role === 'frozen') place(img.path, 'disks');
  for (const s of tree.snapshots) if (s.stateFile) place(s.stateFile, 'snapshots');
  return out;
}

/** The tree with every path `map` knows replaced (the target's own copies); others stay (shared storage). */
export function remapTree(tree: MovingTree, map: ReadonlyMap<string, string>): MovingTree {
  const m = (p: string) => map.get(p) ?? p;
  const config = (c: VmConfig): VmConfig => ({ ...c, disks: c.disks.map((d) => ({ ...d, path: m(d.path) })) });
  return {
    currentSnapshotId: tree.currentSnapshotId,
    images: tree.images.map((i) => ({ ...i, path: m(i.path), backingPath: i.backingPath === null ? null : m(i.backingPath) })),
    snapshots: tree.snapshots.map((s) => ({ ...s, config: config(s.config), stateFile: s.stateFile === null ? null : m(s.stateFile), disks: s.disks.map((d) => ({ ...d, path: m(d.path) })) })),
  };
}

/** Problems with a tree a source sent (the target checks it as any input): one name per line of the tree, parents known, one current. */
export function treeProblems(tree: MovingTree, diskPaths: readonly string[]): string[] {
  const problems: string[] = [];
  const ids = new Set(tree.snapshots.map((s) => s.id));
  if (ids.size !== tree.snapshots.length) problems.push('two snapshots with the same id');
  for (const s of tree.snapshots) if (s.parentId !== null && !ids.has(s.parentId)) problems.push(`snapshot '${s.name}' has a parent that is not in the tree`);
  if (tree.currentSnapshotId !== null && !ids.has(tree.currentSnapshotId)) problems.push('the current snapshot is not in the tree');
  const paths = new Set(tree.images.map((i) => i.path));
  for (const i of tree.images) if (i.backingPath !== null && !paths.has(i.backingPath)) problems.push(`image ${i.path} is based on an image that is not in the tree`);
  for (const p of diskPaths) if (!paths.has(p)) problems.push(`disk ${p} is not in the tree`);
  for (const s of tree.snapshots) for (const d of s.disks) if (!paths.has(d.path)) problems.push(`snapshot '${s.name}' names an image that is not in the tree`);
  return problems;
}

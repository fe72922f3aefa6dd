// What deleting a snapshot does to the images (pure). The owner gathers the facts (inventory rows,
// file sizes, the running disk's chain) and carries the plan out; the plan it shows before a delete
// comes from this same function, so what is shown is what is done.
//
// Two directions, as VirtualBox merges forward or backward. Forward (rebase): an image based on the
// node's image (a child snapshot's image, or the current overlay) takes in the node's data and is then
// based on the node's own base; it costs the node's data once per child. Backward (commit down): one
// child's data goes down into the node's image (QEMU's commit), which then takes the child's place; it
// costs the child's data. Offline the node's image is renamed over the child's file, so every header
// and record that names the child still does; while the VM runs QEMU keeps both files open under their
// names, so the image above the child in the running chain is re-based on the node's image (QEMU writes
// its header) and the records name the node's image instead of the child's. The node's image may take the data only because the delete frees it: it must be Hangar's, no
// other snapshot may record it and nothing else may be based on it (the node's base is the parent
// snapshot's state and is never written). So each disk's plan: the children that are not committed are
// rebased first, while the node's image is intact; then at most one child, the one whose data is the
// least, is committed down when that costs less than rebasing it. Each rebase leaves its image complete
// (the backing pointer changes last), and the commit only starts after the inventory has let go of the
// node, with the child whole above it until the rename: a crash or a cancel at any step loses no state
// a snapshot or the current state holds.

/** One rebase: `image` takes in the node's data and is then based on `newBacking` (null: it stands alone). */
export interface DeleteStep {
  image: string;
  newBacking: string | null;
}

/** The rebases that take the node's data into each image based on it. */
export function deleteSteps(nodeImage: string, nodeBacking: string | null, dependents: readonly string[]): DeleteStep[] {
  return dependents.filter((d) => d !== nodeImage).map((image) => ({ image, newBacking: nodeBacking }));
}

/** An image based on the node's image, as the inventory records it. */
export interface DependentImage {
  path: string;
  /** the VM it belongs to; null for an image kept for others (`delete --keep-shared`) */
  vmId: string | null;
  /** that VM's name, to say who is in the way */
  vmName?: string;
  /** Hangar made the file; unknown counts as no (never committed into) */
  owned?: boolean;
  /** bytes it holds on disk: what committing it down copies; unknown: it is only rebased */
  allocatedBytes?: number;
  /** how many images are based on it; unknown: it is not committed while the VM runs */
  dependentCount?: number;
}

/** The facts about one disk of the node being deleted. */
export interface NodeDiskFacts {
  diskId: string;
  /** the node's frozen image of this disk */
  image: string;
  /** the image it is based on; null when it stands alone */
  backing: string | null;
  /** Hangar made the file (a user's own image is never removed) */
  owned: boolean;
  /** bytes the node's image holds on disk: what each merge copies */
  allocatedBytes: number;
  dependents: readonly DependentImage[];
  /** another snapshot records this same image, so it stays */
  heldByAnotherSnapshot: boolean;
  /** while the VM runs: this disk's chain as QEMU has it open, top first; null when the VM does not run */
  runningChain: readonly string[] | null;
}

export interface DeleteFacts {
  vmId: string;
  disks: readonly NodeDiskFacts[];
}

/**
 * One merge. Forward, the node's data goes into an image based on it: in the running chain QEMU has the
 * image open and only QEMU may write it, so QEMU streams the data in (block-stream); every other image
 * is rebased by qemu-img. Backward (`commit`), the child `image`'s data goes down into the node's image
 * `into` (based on `base`): by qemu-img (`above: null`), then `into` is renamed over `image`; or, when
 * both are in the running chain below its active layer, by QEMU's block-commit, after which `above`
 * (the running image based on `image`, its only dependent) is based on `into`, records name `into`
 * where they named `image`, and `image` goes.
 */
export type MergeStep =
  | { kind: 'stream'; diskId: string; image: string; base: string | null }
  | { kind: 'rebase'; diskId: string; image: string; newBacking: string | null }
  | { kind: 'commit'; diskId: string; image: string; into: string; base: string | null; above: string | null };

export interface DeletePlan {
  /** in the order they run: every disk's stream and rebases first, then the commits (after the inventory has let go of the node) */
  merges: MergeStep[];
  /** inventory rows dropped in the commit: the node's images no other snapshot records */
  forget: string[];
  /** files removed after the commit: those of `forget` that Hangar made, and a child committed down while the VM ran */
  remove: string[];
  /** names of other VMs whose linked clones are based on the node: then the delete is refused */
  blockedBy: string[];
  /** the most images one disk's data is merged into */
  children: number;
  /** bytes all merges copy */
  bytesToMerge: number;
  /** what rebasing every child would have copied (bytesToMerge is less when a commit was chosen) */
  bytesToRebaseAll: number;
  /** room the merges need: each copies its data into an image that grows by as much */
  freeBytesNeeded: number;
  estimatedSeconds: number;
}

/** Time estimate for merging, from the rate measured for safe rebases on this kind of machine. */
export const MERGE_BYTES_PER_SECOND = 250e6;

export function estimateMergeSeconds(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / MERGE_BYTES_PER_SECOND));
}

export function planDelete(f: DeleteFacts): DeletePlan {
  const forward: MergeStep[] = [];
  const commits: MergeStep[] = [];
  const forget: string[] = [];
  const remove: string[] = [];
  const blockedBy = new Set<string>();
  let bytesToMerge = 0;
  let bytesToRebaseAll = 0;
  let children = 0;
  for (const disk of f.disks) {
    // A linked clone of another VM is based on the node: merging into it would change that VM.
    for (const dep of disk.dependents) if (dep.vmId !== null && dep.vmId !== f.vmId) blockedBy.add(dep.vmName ?? dep.vmId);
    const targets = disk.dependents.filter((dep) => (dep.vmId === null || dep.vmId === f.vmId) && dep.path !== disk.image);
    const at = disk.runningChain ? disk.runningChain.indexOf(disk.image) : -1;
    const streamed = at > 0 ? disk.runningChain![at - 1]! : null;
    const committed = commitChoice(f.vmId, disk, targets, at, streamed);
    const mine: MergeStep[] = [];
    if (streamed !== null && committed?.path !== streamed) mine.push({ kind: 'stream', diskId: disk.diskId, image: streamed, base: disk.backing });
    for (const step of deleteSteps(disk.image, disk.backing, targets.map((t) => t.path))) {
      if (step.image !== streamed && step.image !== committed?.path) mine.push({ kind: 'rebase', diskId: disk.diskId, ...step });
    }
    forward.push(...mine);
    bytesToMerge += disk.allocatedBytes * mine.length;
    if (committed) {
      const above = committed.path === streamed ? disk.runningChain![at - 2]! : null;
      commits.push({ kind: 'commit', diskId: disk.diskId, image: committed.path, into: disk.image, base: disk.backing, above });
      if (above !== null && committed.owned) remove.push(committed.path);
      bytesToMerge += committed.allocatedBytes!;
    }
    const merged = mine.length + (committed ? 1 : 0);
    children = Math.max(children, merged);
    bytesToRebaseAll += disk.allocatedBytes * merged;
    // A committed node's image is not forgotten: it becomes the child's image, under the child's name.
    if (!disk.heldByAnotherSnapshot && !committed) {
      forget.push(disk.image);
      if (disk.owned) remove.push(disk.image);
    }
  }
  return {
    merges: [...forward, ...commits],
    forget,
    remove,
    blockedBy: [...blockedBy],
    children,
    bytesToMerge,
    bytesToRebaseAll,
    freeBytesNeeded: bytesToMerge,
    estimatedSeconds: estimateMergeSeconds(bytesToMerge),
  };
}

/**
 * The child whose data goes down into the node's image, or none. The node's image may take it when the
 * delete frees it (Hangar's file, recorded by no other snapshot, and every image based on it is one this
 * plan merges); the child must be this VM's own file (it is replaced) with a known size. While the VM
 * runs, the active layer is never committed (an active commit's pivot cannot be made crash-safe with the
 * inventory; it is streamed), an image of the running chain only by QEMU and only when the running image
 * above it is all that is based on it, and an image outside it only when the node is outside it too. Of those, the one with the least data, if it costs less than a rebase.
 */
export function commitChoice(vmId: string, disk: NodeDiskFacts, targets: readonly DependentImage[], at: number, streamed: string | null): DependentImage | null {
  if (!disk.owned || disk.heldByAnotherSnapshot) return null;
  if (targets.length !== disk.dependents.filter((d) => d.path !== disk.image).length) return null;
  let best: DependentImage | null = null;
  for (const t of targets) {
    if (t.vmId !== vmId || t.owned !== true || t.allocatedBytes === undefined) continue;
    if (disk.runningChain !== null) {
      if (disk.runningChain[0] === t.path) continue;
      if (at >= 0 && (t.path !== streamed || t.dependentCount !== 1)) continue;
    }
    if (best === null || t.allocatedBytes < best.allocatedBytes!) best = t;
  }
  return best !== null && best.allocatedBytes! < disk.allocatedBytes ? best : null;
}

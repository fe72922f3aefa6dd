// What deleting a snapshot does to the images (pure). The owner gathers the facts (inventory rows,
// file sizes, the running disk's chain) and carries the plan out; the plan it shows before a delete
// comes from this same function, so what is shown is what is done.
//
// The rule: every image based on the node's image (its child snapshots' images and, on the current
// branch, the current overlay) is rebased onto the node's own base, which copies the node's data into
// each of them; then the node's image goes. The rule is the same for one child or several, so a node
// with two branches costs its data twice, and nothing is ever lost. Each step leaves its image
// complete (the backing pointer changes last), so a crash or a cancel between steps loses nothing.

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
 * One merge of the node's data into an image. In the running chain QEMU has the image open and only
 * QEMU may write it, so QEMU streams the data in (block-stream); every other image is rebased by qemu-img.
 */
export type MergeStep =
  | { kind: 'stream'; diskId: string; image: string; base: string | null }
  | { kind: 'rebase'; diskId: string; image: string; newBacking: string | null };

export interface DeletePlan {
  /** in the order they run: disk by disk, QEMU's stream first, then the rebases */
  merges: MergeStep[];
  /** inventory rows dropped in the commit: the node's images no other snapshot records */
  forget: string[];
  /** files removed after the commit: those of `forget` that Hangar made */
  remove: string[];
  /** names of other VMs whose linked clones are based on the node: then the delete is refused */
  blockedBy: string[];
  /** the most images one disk's data is merged into */
  children: number;
  /** bytes all merges copy */
  bytesToMerge: number;
  /** room the merges need: each copies the node's data into an image that grows by as much */
  freeBytesNeeded: number;
  estimatedSeconds: number;
}

/** Time estimate for merging, from the rate measured for safe rebases on this kind of machine. */
export const MERGE_BYTES_PER_SECOND = 250e6;

export function estimateMergeSeconds(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / MERGE_BYTES_PER_SECOND));
}

export function planDelete(f: DeleteFacts): DeletePlan {
  const merges: MergeStep[] = [];
  const forget: string[] = [];
  const remove: string[] = [];
  const blockedBy = new Set<string>();
  let bytesToMerge = 0;
  let children = 0;
  for (const disk of f.disks) {
    // A linked clone of another VM is based on the node: merging into it would change that VM.
    for (const dep of disk.dependents) if (dep.vmId !== null && dep.vmId !== f.vmId) blockedBy.add(dep.vmName ?? dep.vmId);
    const targets = disk.dependents.filter((dep) => dep.vmId === null || dep.vmId === f.vmId).map((dep) => dep.path);
    const at = disk.runningChain ? disk.runningChain.indexOf(disk.image) : -1;
    const streamed = at > 0 ? disk.runningChain![at - 1]! : null;
    const mine: MergeStep[] = [];
    if (streamed !== null) mine.push({ kind: 'stream', diskId: disk.diskId, image: streamed, base: disk.backing });
    for (const step of deleteSteps(disk.image, disk.backing, targets)) {
      if (step.image !== streamed) mine.push({ kind: 'rebase', diskId: disk.diskId, ...step });
    }
    merges.push(...mine);
    children = Math.max(children, mine.length);
    bytesToMerge += disk.allocatedBytes * mine.length;
    if (!disk.heldByAnotherSnapshot) {
      forget.push(disk.image);
      if (disk.owned) remove.push(disk.image);
    }
  }
  return {
    merges,
    forget,
    remove,
    blockedBy: [...blockedBy],
    children,
    bytesToMerge,
    freeBytesNeeded: bytesToMerge,
    estimatedSeconds: estimateMergeSeconds(bytesToMerge),
  };
}

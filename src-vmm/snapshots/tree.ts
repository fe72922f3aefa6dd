// Snapshot-tree algebra (pure): naming rules, references, and what deleting a node does to the images.

export interface SnapshotNode {
  id: string;
  parentId: string | null;
  name: string;
}

export const MAX_SNAPSHOT_NAME_LENGTH = 256;

/** Problems with a snapshot name, as sentences for people (empty when the name is fine). */
export function snapshotNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.trim() === '') problems.push('snapshot name must not be empty');
  if ([...name].length > MAX_SNAPSHOT_NAME_LENGTH) problems.push(`snapshot name must be at most ${MAX_SNAPSHOT_NAME_LENGTH} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) problems.push('snapshot name must not contain control characters');
  return problems;
}

/** An exact id, else a name compared without case. */
export function findSnapshot<T extends SnapshotNode>(nodes: readonly T[], ref: string): T | undefined {
  return nodes.find((n) => n.id === ref) ?? nodes.find((n) => n.name.toLowerCase() === ref.toLowerCase());
}

export function childrenOf<T extends SnapshotNode>(nodes: readonly T[], id: string | null): T[] {
  return nodes.filter((n) => n.parentId === id);
}

/** The node and its ancestors, the node first. */
export function pathToRoot<T extends SnapshotNode>(nodes: readonly T[], id: string): T[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const path: T[] = [];
  const seen = new Set<string>();
  let cur = byId.get(id);
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    path.push(cur);
    cur = cur.parentId ? byId.get(cur.parentId) : undefined;
  }
  return path;
}

/** The next free default name: "Snapshot 1", "Snapshot 2", … */
export function defaultSnapshotName(nodes: readonly SnapshotNode[]): string {
  const used = new Set(nodes.map((n) => n.name.toLowerCase()));
  for (let i = 1; ; i++) if (!used.has(`snapshot ${i}`)) return `Snapshot ${i}`;
}

/**
 * Deleting a node: every image based on the node's image (child snapshots' images and the current
 * overlay alike) is rebased onto the node's own backing image, which copies the node's data into each
 * of them; then the node's image goes. The rule is the same for one child or several, and each step
 * leaves every image complete, so a crash or a cancel loses nothing.
 */
export interface DeleteStep {
  /** the image to rebase */
  image: string;
  /** its new backing image (null: it becomes standalone) */
  newBacking: string | null;
}

export function deleteSteps(nodeImage: string, nodeBacking: string | null, dependents: readonly string[]): DeleteStep[] {
  return dependents.filter((d) => d !== nodeImage).map((image) => ({ image, newBacking: nodeBacking }));
}

/** Time estimate for merging, from the rate measured for safe rebases on this kind of machine. */
export const MERGE_BYTES_PER_SECOND = 250e6;

export function estimateMergeSeconds(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / MERGE_BYTES_PER_SECOND));
}

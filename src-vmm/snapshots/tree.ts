// Snapshot-tree algebra (pure): naming rules, references, navigation. What deleting a node does to the
// images is in deletePlan.ts, the room a snapshot needs in space.ts.

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

// The Clone wizard as pure step logic (after VirtualBox's clone wizard): the draft, one validator per
// step built from the API's own rules, the source states to choose from, the `vm.clone` input, what
// the summary says and where a server error belongs.
import type { VmState } from '../../src-vmm/protocol/states.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import type { ApiInput, ApiOutput } from '../api/apiTypes.js';
import { issuesToFields, nameIssues, type FieldIssue } from '../components/fields.js';
import { placeServerError } from '../api/serverIssues.js';
import { buildSnapshotTree, CURRENT_STATE_ID, flattenSnapshotTree } from '../snapshots/snapshotTree.js';

export type SnapshotList = ApiOutput<'snapshot.list'>;
export type CloneInput = ApiInput<'vm.clone'>;

export const CLONE_STEPS = [
  { key: 'name', label: 'Name and MAC addresses' },
  { key: 'type', label: 'Clone type' },
  { key: 'source', label: 'Source state' },
  { key: 'summary', label: 'Summary' },
] as const;
export type CloneStepKey = (typeof CLONE_STEPS)[number]['key'];

export type CloneType = 'full' | 'linked';
export type MacPolicy = 'new' | 'keep';

export interface CloneDraft {
  name: string;
  mac: MacPolicy;
  type: CloneType;
  /** the snapshot the clone is made from; null for the current state */
  snapshotId: string | null;
}

export interface CloneSource {
  id: string;
  name: string;
  state: VmState;
}

export interface CloneContext {
  source: CloneSource;
  existingNames: readonly string[];
  /** the source's snapshots; null while they load */
  snapshots: SnapshotList | null;
}

export const CURRENT_STATE_LABEL = 'Current state';

export const TYPE_SENTENCES: Record<CloneType, string> = {
  full: 'Copies every disk into new, independent images. Takes as long as copying the data; the clone has no tie to the source afterwards.',
  linked: 'Shares the disks of a snapshot; instant; the source cannot be deleted while the clone exists.',
};

export const MAC_SENTENCES: Record<MacPolicy, string> = {
  new: 'Give every network card of the clone a new MAC address (the usual choice).',
  keep: 'Keep the MAC addresses of the source: the clone and the source must not run on one network at the same time.',
};

/** "<source> Clone", or "<source> Clone 2", 3… when that name is taken (names compare as the inventory does). */
export function defaultCloneName(sourceName: string, existingNames: readonly string[]): string {
  const base = `${sourceName} Clone`;
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base} ${n}`;
    if (nameIssues(name, existingNames).length === 0 || n > 9999) return name;
  }
}

export function initialCloneDraft(source: CloneSource, existingNames: readonly string[], snapshotId: string | null = null): CloneDraft {
  return { name: defaultCloneName(source.name, existingNames), mac: 'new', type: 'full', snapshotId };
}

/** Why the source cannot be cloned now, in the API's words; null when it can. */
export function sourceBlock(source: CloneSource): string | null {
  return source.state === 'starting' || source.state === 'stopping' ? `VM '${source.name}' is ${source.state}: wait until it has settled` : null;
}

/** The problems of one step (0-based); an invalid step cannot advance. */
export function validateCloneStep(step: number, draft: CloneDraft, ctx: CloneContext): FieldIssue[] {
  switch (CLONE_STEPS[step]?.key) {
    case 'name':
      return issuesToFields('name', nameIssues(draft.name, ctx.existingNames));
    case 'type':
      return [];
    case 'source':
      if (draft.snapshotId === null || ctx.snapshots === null) return [];
      return ctx.snapshots.snapshots.some((s) => s.id === draft.snapshotId)
        ? []
        : [{ field: 'source', message: `VM '${ctx.source.name}' no longer has the chosen snapshot: choose another` }];
    case 'summary': {
      const block = sourceBlock(ctx.source);
      return block ? [{ field: '', message: block }] : [];
    }
    default:
      return [{ field: '', message: `no step ${step}` }];
  }
}

/** The first step with a problem, or -1 when the whole draft is valid. */
export function firstInvalidCloneStep(draft: CloneDraft, ctx: CloneContext): number {
  for (let i = 0; i < CLONE_STEPS.length; i++) if (validateCloneStep(i, draft, ctx).length) return i;
  return -1;
}

/** The `vm.clone` input for a valid draft. */
export function toCloneInput(draft: CloneDraft, sourceId: string): CloneInput {
  const input: CloneInput = { ref: sourceId, name: draft.name, linked: draft.type === 'linked', mac: draft.mac };
  if (draft.snapshotId !== null) input.snapshot = draft.snapshotId;
  return input;
}

/** The name of the snapshot the owner takes first for a linked clone of the current state. */
export function linkedBaseName(cloneName: string): string {
  return `Linked base for ${cloneName}`;
}

/**
 * What happens to the source before the copy, or null when nothing does: a linked clone of the
 * current state is based on a snapshot taken first; a full clone of a running VM copies a temporary
 * snapshot, deleted afterwards.
 */
export function sourceNote(draft: CloneDraft, source: CloneSource): string | null {
  if (draft.snapshotId !== null) return null;
  if (draft.type === 'linked') return `A snapshot “${linkedBaseName(draft.name)}” of the current state will be taken first; the clone is based on it.`;
  if (isActive(source.state)) return `The VM is ${source.state}: a temporary snapshot is taken for a consistent copy and deleted afterwards.`;
  return null;
}

/** One choice of the source step: the current state or a snapshot, with its depth in the tree (1 for roots). */
export interface SourceChoice {
  /** null for the current state */
  snapshotId: string | null;
  label: string;
  level: number;
  /** the snapshot the current state is based on */
  current: boolean;
}

/** The source states in the order and depth of the Snapshots tab, "Current state" under its snapshot. */
export function sourceChoices(list: SnapshotList | null): SourceChoice[] {
  if (list === null) return [{ snapshotId: null, label: CURRENT_STATE_LABEL, level: 1, current: false }];
  const tree = buildSnapshotTree(list);
  return flattenSnapshotTree(tree).map((r) =>
    r.id === CURRENT_STATE_ID
      ? { snapshotId: null, label: CURRENT_STATE_LABEL, level: r.level, current: false }
      : { snapshotId: r.id, label: r.name, level: r.level, current: r.id === tree.currentSnapshotId },
  );
}

/** The label of the chosen source ("Current state" or "Snapshot 'x'"). */
export function sourceLabel(draft: CloneDraft, ctx: CloneContext): string {
  if (draft.snapshotId === null) return CURRENT_STATE_LABEL;
  const s = ctx.snapshots?.snapshots.find((x) => x.id === draft.snapshotId);
  return s ? `Snapshot “${s.name}”` : 'A snapshot that no longer exists';
}

/** The step of a `vm.clone` request path: the name to the first step, snapshots and the kind of clone to theirs. */
function stepOfClonePath(path: string): number | undefined {
  if (path === 'name') return 0;
  if (path === 'linked' || path === 'mode') return 1;
  if (path === 'snapshot') return 2;
  return undefined;
}

/**
 * Where a `vm.clone` error belongs, from the problems it carries (never its wording): the step that
 * holds its first problem, and the message to show there; anything else stays on the summary.
 */
export function placeCloneError(e: { message: string; details?: unknown }): { step: number; message: string } {
  const placed = placeServerError(e, (p) => (stepOfClonePath(p) === undefined ? undefined : p));
  const first = placed.fields[0];
  if (first) return { step: stepOfClonePath(first.field)!, message: first.message };
  return { step: CLONE_STEPS.length - 1, message: placed.general.join(' ') };
}

export interface SummaryRow {
  label: string;
  value: string;
}

export function cloneSummaryRows(draft: CloneDraft, ctx: CloneContext): SummaryRow[] {
  const note = sourceNote(draft, ctx.source);
  return [
    { label: 'Source', value: ctx.source.name },
    { label: 'Name', value: draft.name },
    { label: 'Type', value: draft.type === 'linked' ? 'Linked clone' : 'Full clone' },
    { label: 'Source state', value: note ? `${sourceLabel(draft, ctx)} (${note})` : sourceLabel(draft, ctx) },
    { label: 'MAC addresses', value: draft.mac === 'new' ? 'New addresses' : 'Kept from the source' },
  ];
}

// Remote domains in the interface, pure: libvirt's states as the local views know them, which actions
// a state allows (and why not), and the check of a snapshot name before it goes to the owner.
import type { VmState } from '../../src-vmm/protocol/states.js';
import { domainNameProblems } from '../../src-main/remotes/model.js';
import type { ApiOutput } from '../api/apiTypes.js';
import type { SnapshotList } from '../snapshots/snapshotTree.js';

export type RemoteAction = 'start' | 'shutdown' | 'destroy' | 'suspend' | 'resume' | 'reboot';

/** libvirt's domain state → the local state the Console and Display views understand */
export function vmStateOf(state: string): VmState {
  if (state === 'running' || state === 'idle' || state === 'in shutdown') return 'running';
  if (state === 'paused' || state === 'pmsuspended') return 'paused';
  return 'stopped';
}

/** Why `action` cannot be done in `state` (null: it can). */
export function remoteActionBlock(state: string | undefined, action: RemoteAction): string | null {
  if (state === undefined) return 'The domain is not known';
  const s = vmStateOf(state);
  switch (action) {
    case 'start':
      return s === 'stopped' ? null : `It is ${state}`;
    case 'suspend':
      return s === 'running' ? null : `It is ${state}`;
    case 'resume':
      return s === 'paused' ? null : `It is ${state}`;
    case 'shutdown':
    case 'reboot':
      return s === 'running' ? null : `It is ${state}`;
    case 'destroy':
      return s === 'stopped' ? `It is ${state}` : null;
  }
}

/** A snapshot name libvirt and Hangar both take, not taken already; null when fine. */
export function remoteSnapshotName(name: string, existing: readonly string[]): string | null {
  if (name === '') return 'A name is needed';
  const problems = domainNameProblems(name);
  if (problems.length) return 'Letters, digits, ‘.’, ‘_’, ‘+’ and ‘-’ only';
  if (existing.includes(name)) return `A snapshot named “${name}” exists already`;
  return null;
}

type RemoteSnapshots = ApiOutput<'remote.snapshotList'>;

/** libvirt's "2026-12-06 17:00:00 +0000" → ISO 8601 */
function isoOf(libvirtTime: string): string {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-]\d\d)(\d\d)$/.exec(libvirtTime);
  return m ? `${m[1]}T${m[2]}${m[3]}:${m[4]}` : libvirtTime;
}

/** libvirt's list as the local tree's input: a snapshot's name is its id (libvirt names are unique per domain). */
export function asSnapshotList(r: RemoteSnapshots): SnapshotList {
  return {
    snapshots: r.snapshots.map((s) => ({ id: s.name, name: s.name, parentId: s.parent, createdAt: isoOf(s.createdAt), live: s.state === 'running' || s.state === 'paused', description: '' })),
    currentSnapshotId: r.snapshots.find((s) => s.current)?.name ?? null,
    currentStateChanged: false,
  } as SnapshotList;
}


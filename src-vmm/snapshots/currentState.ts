// Whether the current state holds anything no snapshot has (pure part): restoring a snapshot discards
// the current state, so the interface must know exactly, never by a size threshold, whether there is
// anything to lose. The config part is decided here; the disks' own clusters, the UEFI variables and
// a saved state are facts the owner gathers from the files.
import type { VmConfig } from '../model/index.js';

/**
 * The settings a snapshot brings back: the whole config except what restore keeps from the VM (its
 * id, name and description) and where each disk's top image lies (restore puts new overlays there).
 */
export function restorableSettings(c: VmConfig): unknown {
  const { id: _id, name: _name, description: _description, ...rest } = c;
  return { ...rest, disks: c.disks.map(({ path: _path, format: _format, ...disk }) => disk) };
}

/** Key order does not matter; values do. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Whether restoring `snapshot` would change any setting of `current`. */
export function settingsDiffer(current: VmConfig, snapshot: VmConfig): boolean {
  return canonical(restorableSettings(current)) !== canonical(restorableSettings(snapshot));
}

export interface CurrentStateFacts {
  /** the VM has a QEMU (running, paused, starting, stopping): its memory is a change */
  active: boolean;
  /** a saved state exists, and whether it is the one the current snapshot holds (restored from it) */
  savedState: 'none' | 'held-by-snapshot' | 'own';
  /** the settings differ from the current snapshot's */
  settingsDiffer: boolean;
  /** the UEFI variable store differs from the one the snapshot holds */
  nvramDiffers: boolean;
  /** the TPM's state differs from the one the snapshot holds (absent: no TPM to compare) */
  tpmDiffers?: boolean;
  /** per disk: the top image is a fresh overlay on the snapshot's frozen image with no cluster of its own */
  disksUntouched: boolean;
}

/** Anything restoring would lose: a running machine, a saved state of its own, a setting, a variable, a TPM secret, a written sector. */
export function currentStateChanged(f: CurrentStateFacts): boolean {
  return f.active || f.savedState === 'own' || f.settingsDiffer || f.nvramDiffers || f.tpmDiffers === true || !f.disksUntouched;
}

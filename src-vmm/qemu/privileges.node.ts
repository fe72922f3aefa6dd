// Finds out which privileges QEMU gets here (see privileges.ts): the user's, or root's without any
// capability through setpriv, tried once per process with the QEMU binary itself.
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsc, readFileSync } from 'node:fs';
import { liveSnapshotMethod, qemuCommand, qemuPrivileges, type LiveSnapshotMethod, type QemuPrivileges } from './privileges.js';

/** Where Debian (util-linux) installs setpriv; looked for in this order, never through PATH. */
const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'];
const TRIAL_TIMEOUT_MS = 10_000;

const known = new Map<string, QemuPrivileges>();

export function detectQemuPrivileges(qemuBinary: string): QemuPrivileges {
  const cached = known.get(qemuBinary);
  if (cached) return cached;
  const uid = process.getuid?.() ?? -1;
  let result: QemuPrivileges;
  if (uid !== 0) result = qemuPrivileges(uid, null);
  // Test-only: QEMU keeps root's capabilities, as where setpriv cannot drop them; this is how the
  // background snapshot runs in tests on a host whose vm.unprivileged_userfaultfd is 0.
  else if (process.env.HANGAR_TEST === '1' && process.env.HANGAR_TEST_QEMU_KEEPS_CAPABILITIES === '1') {
    result = qemuPrivileges(0, null, 'a test asked for it (HANGAR_TEST_QEMU_KEEPS_CAPABILITIES)');
  }
  else {
    const setpriv = SETPRIV_PATHS.find((p) => {
      try {
        accessSync(p, fsc.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (!setpriv) result = qemuPrivileges(0, null);
    else {
      // A trial: QEMU itself, through setpriv, prints its version. A container without CAP_SETPCAP
      // cannot empty the bounding set; then QEMU must still start, and `hangar host` says why it has
      // root's capabilities.
      const trial = qemuCommand(qemuBinary, ['--version'], qemuPrivileges(0, setpriv));
      const r = spawnSync(trial.binary, trial.argv, { encoding: 'utf8', timeout: TRIAL_TIMEOUT_MS, env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
      const ok = r.status === 0 && /QEMU emulator version/.test(r.stdout);
      const why = (r.error?.message ?? r.stderr ?? '').trim().split('\n')[0] || `exit status ${r.status}`;
      result = ok ? qemuPrivileges(0, setpriv) : qemuPrivileges(0, null, `setpriv could not drop the capabilities here (${why})`);
    }
  }
  known.set(qemuBinary, result);
  return result;
}

/** How a live snapshot of a running guest saves its memory here (see liveSnapshotMethod). */
export function detectLiveSnapshotMethod(qemuBinary: string): LiveSnapshotMethod {
  let setting: string | null;
  try {
    setting = readFileSync('/proc/sys/vm/unprivileged_userfaultfd', 'utf8');
  } catch {
    setting = null;
  }
  return liveSnapshotMethod(detectQemuPrivileges(qemuBinary), setting);
}

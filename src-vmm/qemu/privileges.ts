// Which privileges QEMU runs with. QEMU runs as the user who runs Hangar. When that user is root,
// QEMU would hold every capability of root; instead it is started through util-linux's setpriv with
// every capability set emptied (inheritable, ambient, bounding: an exec by uid 0 then gains none)
// and no_new_privs, as libvirt does for a root QEMU (qemu.conf's clear_emulator_capabilities, on by
// default). QEMU keeps uid 0, so it opens the files root owns in Hangar's home exactly as before;
// what it loses is everything a capability grants: reading or writing files of other users past
// their modes, loading kernel modules, raw I/O, ptrace of other processes, mounts, network
// administration, changing owners. (Why not a dedicated unprivileged user as libvirt's default:
// see the README's security section.) Pure: the caller finds setpriv and says whether it works.

/** setpriv's options: all capability sets empty, and no way to gain privileges again (no_new_privs). */
export const SETPRIV_ARGS: readonly string[] = ['--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--no-new-privs'];

export type QemuPrivileges =
  | { kind: 'user'; uid: number; summary: string }
  | { kind: 'root-without-capabilities'; setpriv: string; summary: string }
  | { kind: 'root-with-capabilities'; why: string; summary: string };

/**
 * The privileges QEMU gets for a Hangar running as `uid`. `setpriv` is its path when found and a
 * trial run showed it can drop every capability here; otherwise `setprivProblem` says why not.
 */
export function qemuPrivileges(uid: number, setpriv: string | null, setprivProblem = 'setpriv (util-linux) was not found'): QemuPrivileges {
  if (uid !== 0) return { kind: 'user', uid, summary: `QEMU runs as this user (uid ${uid}), without root privileges` };
  if (setpriv) {
    return {
      kind: 'root-without-capabilities',
      setpriv,
      summary: 'QEMU runs as root (uid 0) without any capability (setpriv, no_new_privs): file modes apply to it as to any user',
    };
  }
  return {
    kind: 'root-with-capabilities',
    why: setprivProblem,
    summary: `QEMU runs as root with every capability of root: ${setprivProblem}`,
  };
}

/** The command that starts QEMU with these privileges. */
export function qemuCommand(binary: string, argv: readonly string[], privileges: QemuPrivileges): { binary: string; argv: string[] } {
  if (privileges.kind !== 'root-without-capabilities') return { binary, argv: [...argv] };
  return { binary: privileges.setpriv, argv: [...SETPRIV_ARGS, '--', binary, ...argv] };
}

/**
 * What to add to QEMU's "Permission denied" when it runs as root without capabilities: the file is
 * another user's, and root's capabilities no longer open it regardless of its mode.
 */
export function permissionHint(privileges: QemuPrivileges, qemuSaid: readonly string[]): string | null {
  if (privileges.kind !== 'root-without-capabilities') return null;
  if (!qemuSaid.some((l) => /Permission denied/i.test(l))) return null;
  return "QEMU runs as root without root's capabilities, so a file of another user opens only as its mode allows: let root read it (and write it, for a disk), or copy it";
}

/** How a live snapshot saves the guest's memory on this host, and why. */
export interface LiveSnapshotMethod {
  method: 'background' | 'paused';
  why: string;
}

/**
 * Whether QEMU may write a running guest's memory in the background (QEMU's background-snapshot,
 * which write-protects the RAM with userfaultfd), given its privileges and the kernel's
 * vm.unprivileged_userfaultfd (its file's text; null where the kernel has no userfaultfd). The kernel
 * lets a process without CAP_SYS_PTRACE create a userfaultfd only when that setting is 1 (QEMU 7.2
 * does not use /dev/userfaultfd). Otherwise the guest stays paused while its memory is written.
 */
export function liveSnapshotMethod(privileges: QemuPrivileges, unprivilegedUserfaultfd: string | null): LiveSnapshotMethod {
  if (unprivilegedUserfaultfd === null) return { method: 'paused', why: 'the kernel offers no userfaultfd: the guest pauses while its memory is saved' };
  if (privileges.kind === 'root-with-capabilities') return { method: 'background', why: "QEMU holds root's capabilities, userfaultfd included: the guest runs while its memory is saved" };
  if (unprivilegedUserfaultfd.trim() === '1') return { method: 'background', why: 'vm.unprivileged_userfaultfd is 1: the guest runs while its memory is saved' };
  return {
    method: 'paused',
    why: 'the guest pauses while its memory is saved: QEMU runs without CAP_SYS_PTRACE and vm.unprivileged_userfaultfd is 0 (set it to 1 to let guests run while a live snapshot saves them)',
  };
}

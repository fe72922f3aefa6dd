// File modes: everything Hangar writes in its home is private to the user, whoever created the home
// and whatever the umask; what it writes for the user elsewhere (`screenshot -o`) gets the mode the
// user's own umask gives.
//
// The owner runs under umask 077, as the VMM hosts do (src-vmm/host/main.node.ts): that covers every
// file it creates and every file its children create (qemu-img, the VMM hosts, QEMU), none of which
// take a mode argument. The umask is process-wide state, so the user's umask from before is kept
// here, once per process.
import { chmodSync, copyFileSync, cpSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Group and other permission bits. */
const SHARED_BITS = 0o077;

let userUmask: number | undefined;

/** Makes every file and folder this process creates from now on private to the user (umask 077). */
export function usePrivateUmask(): void {
  const previous = process.umask(0o077);
  userUmask ??= previous;
}

/** The mode a new file of the user's (outside the home) gets: 0666 less the user's umask. */
export function userFileMode(): number {
  if (userUmask === undefined) {
    // Never switched: the process umask is still the user's (reading it means setting it; put it back).
    const current = process.umask(0o077);
    process.umask(current);
    return 0o666 & ~current;
  }
  return 0o666 & ~userUmask;
}

/**
 * Takes the group and other bits off an existing file or folder Hangar made (one created before,
 * by an older Hangar or under another umask). A link is left alone (Hangar makes none in its home)
 * unless `followLink` (the home itself may be a link to the real folder). Returns the old mode when
 * it changed something, null otherwise (missing, a link, already private).
 */
export function makePrivate(path: string, opts: { followLink?: boolean } = {}): number | null {
  let st;
  try {
    st = opts.followLink ? statSync(path) : lstatSync(path);
  } catch {
    return null;
  }
  if (st.isSymbolicLink() || (st.mode & SHARED_BITS) === 0) return null;
  chmodSync(path, st.mode & 0o7700);
  return st.mode & 0o7777;
}

/**
 * Copies a file into the home, private to the user. `copyFileSync` gives the copy the source's mode
 * whatever the umask (OVMF's variable-store template is 0644), so the mode is set after the copy.
 */
export function copyPrivate(from: string, to: string): void {
  copyFileSync(from, to);
  chmodSync(to, 0o600);
}

/**
 * Copies a folder (a TPM's state) into the home, private to the user: `cpSync` keeps the source's
 * modes, so every directory becomes 0700 and every file 0600 after the copy.
 */
export function copyTreePrivate(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
  const walk = (path: string): void => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) {
      chmodSync(path, 0o700);
      for (const name of readdirSync(path)) walk(join(path, name));
    } else chmodSync(path, 0o600);
  };
  walk(to);
}

// A host folder a person shares with a VM, checked before anything is written: it exists, is a folder
// this user can read (and write, unless shared read-only), and is not Hangar's home or inside it (a
// guest must never reach the inventory, another VM's disks or its own).
import { accessSync, constants as fsc, realpathSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import { invalidInput } from '../../src-vmm/base/errors.js';

/** Throws INVALID_INPUT with one issue at `field` when `path` cannot be shared. */
export function assertShareableFolder(path: string, o: { home: string; readOnly: boolean; field: string }): void {
  const refuse = (message: string) => invalidInput([{ path: o.field, message }]);
  let st;
  try {
    st = statSync(path);
  } catch {
    throw refuse(`shared folder ${path} does not exist`);
  }
  if (!st.isDirectory()) throw refuse(`shared folder ${path} is not a folder`);
  try {
    accessSync(path, fsc.R_OK | fsc.X_OK);
  } catch {
    throw refuse(`shared folder ${path} cannot be read by this user`);
  }
  if (!o.readOnly) {
    try {
      accessSync(path, fsc.W_OK);
    } catch {
      throw refuse(`shared folder ${path} cannot be written by this user: share it read-only`);
    }
  }
  const real = realpathSync(path);
  let home: string;
  try {
    home = realpathSync(o.home);
  } catch {
    home = o.home;
  }
  if (real === home || real.startsWith(home + sep)) {
    throw refuse(`shared folder ${path} is ${real === home ? "Hangar's home" : `inside Hangar's home (${home})`}: a VM cannot share the files Hangar manages`);
  }
}

// The last step of a backward merge (a snapshot delete that commits a child down into the node's
// image): the node's image, now holding the child's data, takes the child's place under its name.
import { chmodSync, closeSync, fsyncSync, openSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Puts `from` in the place of `to` with `to`'s mode (a frozen image stays read-only, a disk writable):
 * one rename, so a reader finds either file whole, and every header and record that names `to` names
 * the data now. The folder is synced so the rename outlives a power cut.
 */
export function renameKeepingMode(from: string, to: string): void {
  chmodSync(from, statSync(to).mode & 0o7777);
  renameSync(from, to);
  const dir = openSync(dirname(to), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

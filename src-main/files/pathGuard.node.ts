// Paths people give Hangar, checked against the home: a VM never uses another VM's files (its disks,
// snapshot images, state), and Hangar never writes a user's output (an export, a screenshot) into the
// folders it manages or over its own files. Links count as what they point to: a symlink or a hard
// link to another VM's disk is that disk.
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import type { HangarInventory } from '../inventory/hangarInventory.node.js';

export class PathGuard {
  constructor(
    private readonly home: string,
    private readonly inventory: Pick<HangarInventory, 'vms' | 'images'>,
  ) {}

  /**
   * Whose file `path` is when it is Hangar's, as the end of a sentence ("belongs to VM 'x'"); null
   * for a file of the user's own (or one that does not exist).
   */
  ownerOf(path: string): string | null {
    const real = realOrResolved(path);
    const vmsDir = realOrResolved(join(this.home, 'VMs'));
    if (real === vmsDir) return `is the folder of Hangar's VMs`;
    if (real.startsWith(vmsDir + sep)) {
      const id = real.slice(vmsDir.length + 1).split(sep)[0]!;
      const vm = this.inventory.vms.get(id);
      return vm ? `belongs to VM '${vm.name}'` : `is inside Hangar's VM folders (${vmsDir})`;
    }
    const home = realOrResolved(this.home);
    const library = realOrResolved(join(this.home, 'library'));
    if (real === library || real.startsWith(library + sep)) return `is in Hangar's image library (${library})`;
    const cache = realOrResolved(join(this.home, 'cache'));
    if (real === cache || real.startsWith(cache + sep)) return `is inside Hangar's cache (${cache})`;
    if (dirname(real) === home && /^(inventory\.|owner\.)/.test(basename(real))) return `is one of Hangar's own files (in ${home})`;
    // Elsewhere: an image of the inventory (a user's image that a VM uses in place), by identity.
    const st = statOrNull(path);
    if (!st) return null;
    for (const img of this.inventory.images.list()) {
      const other = statOrNull(img.path);
      if (!other || other.dev !== st.dev || other.ino !== st.ino) continue;
      const vm = img.vmId ? this.inventory.vms.get(img.vmId) : undefined;
      if (!vm && img.role === 'library') return `is in Hangar's image library (${img.path})`;
      return vm ? `is a disk of VM '${vm.name}'${img.path === path ? '' : ` (${img.path})`}` : `is an image Hangar keeps for linked clones (${img.path})`;
    }
    return null;
  }

  /** A file a VM is to use (a disk image, an ISO, a kernel): refused when it is Hangar's. */
  assertUsable(path: string, what: string): void {
    const owner = this.ownerOf(path);
    if (owner) throw new HangarError('INVALID_INPUT', `${what} ${path} ${owner}: ${refusalFor(owner)}`);
  }

  /**
   * A file Hangar writes for the user (`export -o`, `screenshot -o`): its folder must exist and must
   * not be Hangar's; an existing file there must be a regular file that is not Hangar's either (a
   * FIFO, a device or a folder would block or swallow the write).
   */
  assertWritable(path: string, what: string): void {
    const folder = dirname(path);
    const dir = statOrNull(folder);
    if (!dir) throw new HangarError('NOT_FOUND', `folder ${folder} does not exist`);
    if (!dir.isDirectory()) throw new HangarError('INVALID_INPUT', `${folder} is not a folder, so ${what} ${path} cannot be written`);
    const owner = this.ownerOf(path) ?? this.ownerOf(folder);
    if (owner) throw new HangarError('INVALID_INPUT', `${what} ${path} ${owner}: Hangar does not write your files there; choose another place`);
    const st = statOrNull(path);
    if (st && !st.isFile()) throw new HangarError('INVALID_INPUT', `${what} ${path} exists and is not a regular file`);
    // A link to nowhere would be written through, to wherever it points.
    if (!st && lstatOrNull(path)?.isSymbolicLink()) throw new HangarError('INVALID_INPUT', `${what} ${path} is a link to a file that does not exist`);
  }
}

/** Why a VM may not use a file that `owner` describes. */
export function refusalFor(owner: string): string {
  return owner.includes("VM '") ? "a VM cannot use another VM's files (to copy a VM, clone it)" : 'a VM cannot use the files Hangar manages';
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** The real path (links followed); for a file that does not exist yet, its folder's real path and its name. */
function realOrResolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return path;
    }
  }
}

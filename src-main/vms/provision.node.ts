// The one unit of work that puts a new VM on disk and in the inventory. Create, the clones (full,
// linked, with every snapshot) and import all come here:
//   1. the VM's folders, private to the user;
//   2. its UEFI variable store when it has UEFI firmware (a given file's copy, else OVMF's template);
//   3. whatever the caller writes into the folder (new disks, copies, conversions) and the config;
//   4. one inventory transaction: the name is checked free again, then the VM, its images and anything
//      else the caller records (a clone's snapshot tree) are inserted together.
//   (a clone's TPM state is copied into its own folder, as its variable store is)
// A failure or cancel at any step removes the folder: nothing is half-made, nothing is registered.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import { hasSecureBoot, hasTpm, type VmConfig } from '../../src-vmm/model/index.js';
import { vmPaths, type VmPaths } from '../home.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import { copyPrivate, copyTreePrivate } from '../files/modes.node.js';

/** An image the new VM's inventory rows record. */
export interface NewImage {
  path: string;
  format: string;
  virtualSize: number;
  backingPath: string | null;
  /** Hangar's own file (deleted with the VM); false: a user's image used in place */
  owned: boolean;
  role: 'disk' | 'frozen';
}

export interface ProvisionDeps {
  home: string;
  inventory: HangarInventory;
  /** OVMF's variable-store template (Microsoft-enrolled for Secure Boot), or null when it is not installed */
  ovmfVars: (secureBoot: boolean) => string | null;
}

export interface Provisioned {
  config: VmConfig;
  images: NewImage[];
  /** more rows to insert in the same transaction, after the VM's (a clone's snapshots) */
  record?: (inventory: HangarInventory) => void;
}

export interface ProvisionRequest {
  id: string;
  name: string;
  /** the variable store to copy for a UEFI machine; absent or missing: OVMF's template */
  nvramFrom?: string | null;
  /** the TPM state folder to copy for a machine with a TPM (a clone's: never shared with its source); absent: a new TPM */
  tpmFrom?: string | null;
  /** writes the VM's files into its folders and returns its config and images */
  fill: (paths: VmPaths) => Promise<Provisioned>;
  /**
   * The VM comes back to a folder it left, where files it uses stayed (a live migration's shared
   * disks): the folder is used as it is, and a failure removes all but these files.
   */
  returning?: { keep: string[] };
  /** the group and tags the new VM takes (a clone's are its source's, as VirtualBox places a clone) */
  placement?: { group: string; tags: string[] };
}

export async function provisionVm(d: ProvisionDeps, req: ProvisionRequest): Promise<VmRow> {
  const paths = vmPaths(d.home, req.id);
  if (existsSync(paths.dir) && !req.returning) throw new HangarError('INTERNAL', `the folder of a new VM already exists: ${paths.dir}`);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  try {
    for (const dir of [paths.disks, paths.snapshots, paths.state, paths.logs, paths.run]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    const made = await req.fill(paths);
    if (made.config.id !== req.id || made.config.name !== req.name) throw new HangarError('INTERNAL', 'a provisioned config must keep the id and name it was asked for');
    if (made.config.firmware.type === 'uefi' && !existsSync(paths.nvram)) {
      const from = req.nvramFrom && existsSync(req.nvramFrom) ? req.nvramFrom : d.ovmfVars(hasSecureBoot(made.config));
      if (!from) throw new HangarError('UNSUPPORTED', 'UEFI firmware (OVMF) is not installed: install the ovmf package');
      copyPrivate(from, paths.nvram);
    }
    // A TPM's state is the machine's own: a clone gets a copy, never the source's folder.
    if (hasTpm(made.config) && req.tpmFrom && existsSync(req.tpmFrom)) copyTreePrivate(req.tpmFrom, paths.tpmState);
    return d.inventory.transaction(() => {
      const other = d.inventory.vms.findByName(req.name);
      if (other) throw new HangarError('ALREADY_EXISTS', `a VM named '${other.name}' already exists`, { details: { issues: [{ path: 'name', message: `a VM named '${other.name}' already exists` }] } });
      const row = d.inventory.vms.insert({ config: made.config, state: 'stopped' });
      if (req.placement) d.inventory.vms.setPlacement(row.id, req.placement);
      for (const img of made.images) d.inventory.images.add({ ...img, vmId: req.id });
      made.record?.(d.inventory);
      return req.placement ? { ...row, ...req.placement } : row;
    });
  } catch (e) {
    if (req.returning) removeAllBut(paths.dir, new Set([...req.returning.keep, paths.disks]));
    else rmSync(paths.dir, { recursive: true, force: true });
    throw e;
  }
}

/** Removes everything in `dir` but the paths in `keep` (and the folders on the way to them). */
export function removeAllBut(dir: string, keep: Set<string>): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (keep.has(p)) continue;
    if ([...keep].some((k) => k.startsWith(`${p}/`))) removeAllBut(p, keep);
    else rmSync(p, { recursive: true, force: true });
  }
}

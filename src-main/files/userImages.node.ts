// A disk image a person hands Hangar (create, modify; later the image library): what it is, what
// other files it names, and how a VM may use it. The one check every such path goes through.
//   - an image that names no other file: qcow2 and raw are used in place, other formats converted;
//   - an image that names other files (a backing file, an external data file, VMDK extents): never
//     used in place, since the guest would read (and could write) those files. Refused, saying which
//     files; with `flatten`, copied into one new qcow2 that holds their data, after checking that each
//     is an ordinary file of the user's own (not a device, not Hangar's, not a network source).
import { accessSync, constants as fsc, statSync } from 'node:fs';
import { HangarError } from '../../src-vmm/base/errors.js';
import { describeReference, describeReferences, isProtocolReference, type ImageReference } from '../../src-vmm/storage/imageSafety.js';
import type { InspectedImage, QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { IMAGE_READS_OTHER_FILES } from '../api/issueCodes.js';
import { refusalFor, type PathGuard } from './pathGuard.node.js';

/** Formats QEMU runs in place; anything else is converted to qcow2 in the VM's folder. */
const IN_PLACE_FORMATS: ReadonlySet<string> = new Set(['qcow2', 'raw']);
/** Backing chains deeper than this are refused rather than followed. */
const MAX_CHAIN_DEPTH = 32;


export type UserImagePlan =
  /** used where it is: the VM writes to the user's file */
  | { mode: 'in-place'; image: InspectedImage }
  /** converted (or, flattened, copied with every file it reads) into a new qcow2 in the VM's folder */
  | { mode: 'convert' | 'flatten'; image: InspectedImage; readsFrom: string[] };

export interface UserImageDeps {
  qemuImg: QemuImg;
  guard: PathGuard;
}

/**
 * How a VM may use the image at `path`, or INVALID_INPUT saying why not. `field` is where the path
 * came from in the caller's input ('disk.image'), so a form can show the problem at that field.
 */
export async function planUserImage(
  path: string,
  /** copy: the image is always copied (the image library keeps its own): never used in place, so it need not be writable */
  o: { flatten: boolean; field: string; what?: string; copy?: boolean },
  d: UserImageDeps,
): Promise<UserImagePlan> {
  const what = o.what ?? 'disk image';
  const invalid = (message: string, extra: { code?: string; data?: Record<string, unknown> } = {}) =>
    new HangarError('INVALID_INPUT', message, { details: { issues: [{ path: o.field, message, ...extra }] } });
  const owner = d.guard.ownerOf(path);
  if (owner) throw invalid(`${what} ${path} ${owner}: ${refusalFor(owner)}`);
  let image: InspectedImage;
  try {
    image = await d.qemuImg.inspectImage(path);
  } catch (e) {
    if (e instanceof HangarError && e.code === 'INVALID_INPUT') throw invalid(e.message);
    throw e;
  }
  const refs = image.references;
  for (const r of refs) {
    if (isProtocolReference(r.target)) throw invalid(`${what} ${path} names ${describeReference(r)}, which is not a file on this computer: Hangar never follows such a name`);
  }
  if (refs.length > 0 && !o.flatten) {
    throw invalid(`${what} ${path} ${describeReferences(refs)}`, { code: IMAGE_READS_OTHER_FILES, data: { references: refs } });
  }
  if (o.flatten) return { mode: 'flatten', image, readsFrom: await followReferences(path, refs, { what, invalid }, d) };
  if (IN_PLACE_FORMATS.has(image.format) && !o.copy) {
    try {
      accessSync(path, fsc.R_OK | fsc.W_OK);
    } catch {
      throw invalid(`${what} ${path} is not writable: a VM's disk must be`);
    }
    return { mode: 'in-place', image };
  }
  return { mode: 'convert', image, readsFrom: [] };
}

/**
 * Every file a flattening copy of the image reads, the whole chain down: each must be an ordinary,
 * readable file that is not Hangar's; a backing file is inspected in turn (its own format and names).
 */
async function followReferences(
  top: string,
  first: readonly ImageReference[],
  o: { what: string; invalid: (message: string) => HangarError },
  d: UserImageDeps,
): Promise<string[]> {
  const seen = new Set<string>([top]);
  const files: string[] = [];
  let pending = [...first];
  for (let depth = 0; pending.length > 0; depth++) {
    if (depth >= MAX_CHAIN_DEPTH) throw o.invalid(`${o.what} ${top} names files more than ${MAX_CHAIN_DEPTH} levels deep: refused`);
    const next: ImageReference[] = [];
    for (const r of pending) {
      if (isProtocolReference(r.target)) throw o.invalid(`${o.what} ${top} (through its chain) names ${describeReference(r)}, which is not a file on this computer: Hangar never follows such a name`);
      if (seen.has(r.target)) throw o.invalid(`${o.what} ${top} names ${describeReference(r)} twice in its chain (a loop): refused`);
      seen.add(r.target);
      assertOrdinaryFile(r, o);
      const owner = d.guard.ownerOf(r.target);
      if (owner) throw o.invalid(`${o.what} ${top} reads ${describeReference(r)}, which ${owner}: ${refusalFor(owner)}`);
      files.push(r.target);
      if (r.kind === 'backing file') {
        const inspected = await d.qemuImg.inspectImage(r.target).catch((e: unknown) => {
          throw o.invalid(`${o.what} ${top} is based on ${r.target}, which cannot be used: ${e instanceof Error ? e.message : String(e)}`);
        });
        next.push(...inspected.references);
      }
    }
    pending = next;
  }
  return files;
}

function assertOrdinaryFile(r: ImageReference, o: { what: string; invalid: (message: string) => HangarError }): void {
  let st;
  try {
    st = statSync(r.target);
  } catch {
    throw o.invalid(`${describeReference(r)} does not exist`);
  }
  // A device or a FIFO would be read without end (or block); a folder is no image.
  if (!st.isFile()) throw o.invalid(`${describeReference(r)} is not a regular file: refused`);
  try {
    accessSync(r.target, fsc.R_OK);
  } catch {
    throw o.invalid(`${describeReference(r)} cannot be read`);
  }
}

// Which other files a disk image names (pure). A disk image is not only its own bytes: a qcow2 can be
// based on a backing file or keep its data in an external data file, a VMDK descriptor reads extents,
// and QEMU follows all of them when it opens the image. A guest given such an image reads (and, for a
// data file or a flat extent, writes) whatever file the image names: a private key, another VM's disk.
// Every path that takes an image from a user (create, modify, import, the image library) asks this
// module what the image names, and refuses or asks before anything is used.

/** The formats a user's disk image may have: the ones Hangar opens in place or converts. */
export const USER_IMAGE_FORMATS = ['qcow2', 'raw', 'vmdk', 'vdi', 'vhdx', 'vpc'] as const;
export type UserImageFormat = (typeof USER_IMAGE_FORMATS)[number];

export function isUserImageFormat(format: string): format is UserImageFormat {
  return (USER_IMAGE_FORMATS as readonly string[]).includes(format);
}

/** How qemu-img names some formats Hangar refuses, for the message. */
const FORMAT_NAMES: Readonly<Record<string, string>> = {
  qed: 'a QED image',
  qcow: 'a QCOW version 1 image',
  parallels: 'a Parallels image',
  luks: 'a LUKS-encrypted volume',
  dmg: 'an Apple disk image (DMG)',
  cloop: 'a compressed loop image (cloop)',
  bochs: 'a Bochs image',
  vvfat: 'a virtual FAT folder',
};

/** Why a detected format is not accepted as a disk image, or null when it is. */
export function formatProblem(format: string): string | null {
  if (isUserImageFormat(format)) return null;
  return `is ${FORMAT_NAMES[format] ?? `a ${format} image`}, which Hangar does not use as a disk: convert it to qcow2 or raw first (qemu-img convert -O qcow2)`;
}

/** What qemu-img tells of an image opened with its format: the names it would follow. */
export interface ImageDescription {
  /** the file itself as qemu-img names it (a json: spec for a window into a bigger file) */
  filename: string;
  /** the backing file, resolved against the image's folder when it was relative */
  backingFilename: string | null;
  /** qcow2's external data file */
  dataFile: string | null;
  /** VMDK extents' file names (a VMDK that holds its own data lists itself) */
  extents: readonly string[];
}

export type ReferenceKind = 'backing file' | 'external data file' | 'extent';

export interface ImageReference {
  kind: ReferenceKind;
  /** the name as the image gives it (absolute for files) */
  target: string;
}

/**
 * Every other file (or non-file source) the image names. `ownNames` are the names the image itself
 * goes by (its path, its json: window): an extent naming one of them is the image's own data.
 */
export function imageReferences(d: ImageDescription, ownNames: readonly string[] = []): ImageReference[] {
  const own = new Set([d.filename, ...ownNames]);
  const refs: ImageReference[] = [];
  if (d.backingFilename) refs.push({ kind: 'backing file', target: d.backingFilename });
  if (d.dataFile) refs.push({ kind: 'external data file', target: d.dataFile });
  for (const extent of d.extents) {
    if (own.has(extent) || refs.some((r) => r.target === extent)) continue;
    refs.push({ kind: 'extent', target: extent });
  }
  return refs;
}

/**
 * A name QEMU would not read as a local file: a `json:` spec (which can choose any block driver) or a
 * protocol such as nbd:, http:, ssh:, iscsi:. Such a reference is never followed, not even to copy.
 */
export function isProtocolReference(target: string): boolean {
  if (target.startsWith('/')) return false;
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}

/** One reference as words: "/x/base.qcow2 (its backing file)". */
export function describeReference(r: ImageReference): string {
  const what = r.kind === 'backing file' ? 'its backing file' : r.kind === 'external data file' ? 'its external data file' : 'a VMDK extent';
  return `${r.target} (${what})`;
}

/** All of them in one phrase: "reads other files: /a (its backing file), /b (a VMDK extent)". */
export function describeReferences(refs: readonly ImageReference[]): string {
  return `reads data from other files: ${refs.map(describeReference).join(', ')}`;
}

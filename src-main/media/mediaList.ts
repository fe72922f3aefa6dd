// The media manager's list (pure): every disk image and ISO the home knows, with the chain it belongs
// to and who uses it, from the inventory's facts and the files found in the home. An image in the
// home that nothing uses (no VM's disk or chain, no snapshot, no drive, no library entry, no other
// image based on it) is marked unused.

export type MediaKind = 'disk' | 'iso';

/** Who uses an image: a VM's disk, drive or USB device, or a snapshot's frozen image or drive. */
export interface MediaUse {
  vm: string;
  vmId: string;
  /** the snapshot that holds it; null: the VM's current state */
  snapshot: string | null;
  /** 'disk disk0', 'drive cd0', 'usb usb0' */
  as: string;
  /** false: the image is further down the chain of what is used (a backing image) */
  direct: boolean;
}

/** A reference to a file by a VM or a snapshot. */
export interface MediaRef {
  path: string;
  kind: MediaKind;
  use: Omit<MediaUse, 'direct'>;
}

export interface ImageLink {
  path: string;
  backingPath: string | null;
  role: string;
  owned: boolean;
}

export interface FileFacts {
  format: string;
  virtualSizeBytes: number;
  /** the file's length */
  sizeBytes: number;
  /** the space it takes on the host's disk */
  allocatedBytes: number;
  backingPath: string | null;
}

export interface MediaItem {
  path: string;
  kind: MediaKind;
  format: string;
  virtualSizeBytes: number;
  sizeBytes: number;
  allocatedBytes: number;
  /** this image and the images below it, top first */
  chain: string[];
  /** what the image is to Hangar: a VM's current disk, a snapshot's frozen image, a linked clones' base, a library image, an ISO, a USB image, or nothing */
  role: 'disk' | 'frozen' | 'base' | 'library' | 'iso' | 'usb' | 'unknown';
  /** Hangar made it and keeps it in the home; false: the user's file, used in place */
  inHome: boolean;
  /** the name of its library entry */
  library: string | null;
  usedBy: MediaUse[];
  vms: string[];
  snapshots: string[];
  /** images based on it */
  dependents: string[];
  unused: boolean;
  /** the file cannot be read (missing, or qemu-img failed): why */
  problem?: string;
}

export interface MediaFacts {
  refs: readonly MediaRef[];
  images: readonly ImageLink[];
  library: readonly { path: string; name: string; kind: 'disk' | 'iso' }[];
  /** image files found in the home's VM folders and library */
  homeFiles: readonly string[];
  /** what each file is; missing: it could not be read (with the reason) */
  files: ReadonlyMap<string, FileFacts | { problem: string }>;
  /** whether a path lies in the home */
  inHome: (path: string) => boolean;
}

const ISO_RE = /\.iso$/i;

/** The chain below `path`, following the inventory's links, else the files' own backing names (no loops). */
export function chainOf(path: string, links: ReadonlyMap<string, string | null>, files: MediaFacts['files']): string[] {
  const chain: string[] = [];
  const seen = new Set<string>();
  for (let p: string | null = path; p && !seen.has(p) && chain.length < 64; ) {
    seen.add(p);
    chain.push(p);
    const f = files.get(p);
    p = links.has(p) ? (links.get(p) ?? null) : f && 'format' in f ? f.backingPath : null;
  }
  return chain;
}

export function buildMediaList(f: MediaFacts): MediaItem[] {
  const links = new Map(f.images.map((i) => [i.path, i.backingPath] as const));
  const roles = new Map(f.images.map((i) => [i.path, i.role] as const));
  const library = new Map(f.library.map((l) => [l.path, l] as const));
  const paths: string[] = [];
  const add = (p: string) => {
    if (!paths.includes(p)) paths.push(p);
  };
  const kindOf = new Map<string, MediaKind>();
  for (const r of f.refs) {
    add(r.path);
    kindOf.set(r.path, r.kind);
  }
  for (const i of f.images) add(i.path);
  for (const l of f.library) {
    add(l.path);
    kindOf.set(l.path, l.kind);
  }
  for (const p of f.homeFiles) add(p);
  // Chains may reach images nothing else lists (a user's own backing file).
  for (const p of [...paths]) for (const c of chainOf(p, links, f.files)) add(c);

  const uses = new Map<string, MediaUse[]>(paths.map((p) => [p, []]));
  const usbPaths = new Set<string>();
  for (const r of f.refs) {
    if (r.use.as.startsWith('usb ')) usbPaths.add(r.path);
    const chain = r.kind === 'disk' ? chainOf(r.path, links, f.files) : [r.path];
    chain.forEach((p, depth) => {
      const list = uses.get(p)!;
      const use = { ...r.use, direct: depth === 0 };
      if (!list.some((u) => u.vmId === use.vmId && u.snapshot === use.snapshot && u.as === use.as)) list.push(use);
    });
  }
  const dependents = new Map<string, string[]>(paths.map((p) => [p, []]));
  for (const p of paths) {
    const below = chainOf(p, links, f.files)[1];
    if (below) dependents.get(below)?.push(p);
  }

  return paths.map((p) => {
    const facts = f.files.get(p);
    const ok = facts && 'format' in facts ? facts : undefined;
    const usedBy = uses.get(p) ?? [];
    const lib = library.get(p);
    const kind: MediaKind = kindOf.get(p) ?? (ISO_RE.test(p) || lib?.kind === 'iso' ? 'iso' : 'disk');
    const invRole = roles.get(p);
    const role: MediaItem['role'] = lib
      ? 'library'
      : invRole === 'disk' || invRole === 'frozen' || invRole === 'base'
        ? invRole
        : kind === 'iso'
          ? 'iso'
          : usbPaths.has(p)
            ? 'usb'
            : usedBy.some((u) => u.direct && u.snapshot === null)
              ? 'disk'
              : usedBy.some((u) => u.direct)
                ? 'frozen'
                : 'unknown';
    const deps = dependents.get(p) ?? [];
    return {
      path: p,
      kind,
      format: ok?.format ?? (kind === 'iso' ? 'raw' : 'unknown'),
      virtualSizeBytes: ok?.virtualSizeBytes ?? 0,
      sizeBytes: ok?.sizeBytes ?? 0,
      allocatedBytes: ok?.allocatedBytes ?? 0,
      chain: chainOf(p, links, f.files),
      role,
      inHome: f.inHome(p),
      library: lib?.name ?? null,
      usedBy,
      vms: [...new Set(usedBy.map((u) => u.vm))],
      snapshots: [...new Set(usedBy.filter((u) => u.snapshot !== null).map((u) => `${u.vm}/${u.snapshot!}`))],
      dependents: deps,
      unused: f.inHome(p) && usedBy.length === 0 && !lib && deps.length === 0,
      ...(facts && 'problem' in facts ? { problem: facts.problem } : {}),
    };
  });
}

// Disk chains and sizes (pure): what `qemu-img info` says about an image and its backing chain,
// disk sizes as people type them, and the progress qemu-img prints.
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { z } from 'zod';
import { HangarError } from '../base/errors.js';
import { isPseudoName } from './pseudoName.js';
import { checkSize } from './size.js';
export { formatSize, SECTOR_BYTES, MIN_DISK_BYTES, MAX_DISK_BYTES } from './size.js';

export interface ImageInfo {
  /** absolute when qemu-img was given an absolute path; a `json:` pseudo-filename stays as it is */
  path: string;
  format: string;
  virtualSizeBytes: number;
  /** space taken on the host (0 when qemu-img cannot tell) */
  actualSizeBytes: number;
  /** the backing image, resolved against this image's folder when stored as a relative name */
  backingPath?: string;
  backingFormat?: string;
  /** the image was not closed cleanly (qcow2 lazy refcounts) */
  dirty?: boolean;
  /** qcow2 marked itself corrupt: QEMU will not write to it */
  corrupt?: boolean;
  clusterSizeBytes?: number;
}


// ------------------------------------------------------------------ qemu-img info

const QemuImgInfo = z.object({
  filename: z.string().min(1),
  format: z.string().min(1),
  'virtual-size': z.number().int().nonnegative(),
  'actual-size': z.number().int().nonnegative().optional(),
  'cluster-size': z.number().int().positive().optional(),
  'backing-filename': z.string().optional(),
  'full-backing-filename': z.string().optional(),
  'backing-filename-format': z.string().optional(),
  'dirty-flag': z.boolean().optional(),
  'format-specific': z.object({ type: z.string(), data: z.object({ corrupt: z.boolean().optional() }).loose().optional() }).loose().optional(),
});
type QemuImgInfo = z.infer<typeof QemuImgInfo>;

function cleanPath(name: string): string {
  return isPseudoName(name) ? name : normalize(name);
}

/**
 * Where a backing file named in `imagePath` is: a relative name is relative to the image's folder
 * (that is how QEMU opens it), not to the current directory.
 */
export function resolveBackingPath(imagePath: string, backing: string): string {
  if (isPseudoName(backing) || isAbsolute(backing)) return cleanPath(backing);
  if (isPseudoName(imagePath)) return backing;
  return normalize(join(dirname(imagePath), backing));
}

function toImageInfo(i: QemuImgInfo): ImageInfo {
  const path = cleanPath(i.filename);
  const info: ImageInfo = {
    path,
    format: i.format,
    virtualSizeBytes: i['virtual-size'],
    actualSizeBytes: i['actual-size'] ?? 0,
  };
  const backing = i['backing-filename'];
  if (backing) {
    // Prefer our own resolution; qemu-img's full name is the fallback for pseudo-filenames.
    info.backingPath = isPseudoName(path) && i['full-backing-filename'] ? cleanPath(i['full-backing-filename']) : resolveBackingPath(path, backing);
  }
  if (i['backing-filename-format']) info.backingFormat = i['backing-filename-format'];
  if (i['dirty-flag'] !== undefined) info.dirty = i['dirty-flag'];
  const corrupt = i['format-specific']?.data?.corrupt;
  if (corrupt !== undefined) info.corrupt = corrupt;
  if (i['cluster-size'] !== undefined) info.clusterSizeBytes = i['cluster-size'];
  return info;
}

/**
 * Parses `qemu-img info --output=json [--backing-chain]` (an object, or an array top first) into
 * ImageInfo[], top first. Throws INTERNAL when the output is not what qemu-img writes.
 */
export function parseImageInfo(output: string | unknown): ImageInfo[] {
  let json: unknown = output;
  if (typeof output === 'string') {
    try {
      json = JSON.parse(output) as unknown;
    } catch (e) {
      throw new HangarError('INTERNAL', `qemu-img info printed something that is not JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  const r = z.union([QemuImgInfo, z.array(QemuImgInfo).min(1)]).safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new HangarError('INTERNAL', `qemu-img info printed unexpected JSON${first ? ` (${first.path.join('.') || 'top'}: ${first.message})` : ''}`, { cause: r.error });
  }
  return (Array.isArray(r.data) ? r.data : [r.data]).map(toImageInfo);
}

// ------------------------------------------------------------------ sizes

/**
 * A disk size as a person types it: `20G`, `512M`, `10GiB`, `1.5T`, `2048` (bytes). Throws
 * INVALID_INPUT with a message fit for the user (the rules live in size.ts, shared with the interface).
 */
export function parseSize(text: string): number {
  const r = checkSize(text);
  if (!r.ok) throw new HangarError('INVALID_INPUT', r.message);
  return r.bytes;
}

// ------------------------------------------------------------------ progress

const PROGRESS_RE = /\(\s*(\d+(?:\.\d+)?)\s*\/\s*100%\s*\)/g;

/** The last `(12.34/100%)` in a piece of `qemu-img … -p` output, as a fraction 0 … 1. */
export function parseProgress(text: string): number | undefined {
  let last: number | undefined;
  for (const m of text.matchAll(PROGRESS_RE)) last = Math.min(1, Math.max(0, Math.round(Number(m[1]) * 100) / 10_000));
  return last;
}

/**
 * Reads qemu-img's progress from output that arrives in arbitrary chunks: each record ends with `\r`
 * (or `\n`), and a record cut in two is kept until its end arrives. `push` returns the newest
 * fraction seen in that chunk, or undefined.
 */
export function createProgressReader(): { push(chunk: string): number | undefined } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk;
      const end = Math.max(pending.lastIndexOf('\r'), pending.lastIndexOf('\n'));
      if (end < 0) {
        // No record end yet; never let a stream without separators grow without bound.
        if (pending.length > 4096) pending = pending.slice(-64);
        return undefined;
      }
      const complete = pending.slice(0, end + 1);
      pending = pending.slice(end + 1);
      return parseProgress(complete);
    },
  };
}

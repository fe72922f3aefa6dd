// Sizes as people type and read them: the API's own rules (src-vmm/storage/size.ts, pure and shared).
import { checkSize, formatSize, SECTOR_BYTES, MIN_DISK_BYTES, MAX_DISK_BYTES, type SizeCheck } from '../../src-vmm/storage/size.js';

export { SECTOR_BYTES, MIN_DISK_BYTES, MAX_DISK_BYTES };
export type SizeResult = SizeCheck;

/** `20G`, `512M`, `10GiB`, `1.5T`, `2048` (bytes): the bytes, or the API's message for a bad size. */
export const parseSize = checkSize;

/** Bytes for people: `20 GiB`, `1.5 TiB`, `512 B` (the same output as the CLI). */
export const formatBytes = formatSize;

export function formatMiB(mib: number): string {
  return formatBytes(mib * 1024 ** 2);
}

/** A size in GiB as the text the size field starts with: `20G`. */
export function gibText(gib: number): string {
  return `${gib}G`;
}

// Shared folders: host folders the guest mounts by tag. virtio-fs (one virtiofsd per share, started by
// the VM's host process) by default; 9p (QEMU's own VirtFS server) where virtio-fs cannot run. Optional
// in the config (absent: none), so configs saved before it stay valid.
import { z } from 'zod';
import { choiceValues, describeChoices } from './choice.js';
import { MAX_SHARES, MAX_SHARE_TAG_LENGTH } from './limits.js';
import { AbsPath } from './names.js';
import { SHARE_MODES } from './shareMount.js';

export { SHARE_MODES, fstabLine, mountCommand, suggestedMountPoint, type ShareMode } from './shareMount.js';

/**
 * A share's tag is what the guest mounts: letters, digits, '.', '_' and '-', starting with a letter or
 * digit, at most 31 characters (QEMU's 9p mount_tag limit; virtio-fs allows 36).
 */
export const SHARE_TAG_PATTERN = new RegExp(`^[A-Za-z0-9][A-Za-z0-9._-]{0,${MAX_SHARE_TAG_LENGTH - 1}}$`);
export const ShareTag = z
  .string({ error: 'share tag must be a string' })
  .regex(SHARE_TAG_PATTERN, `share tag must be 1 to ${MAX_SHARE_TAG_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or digit`);

export const Share = z
  .object({
    tag: ShareTag,
    /** the host folder, absolute */
    hostPath: AbsPath,
    /** the guest can read but not write (enforced on the host, not by the guest's mount options) */
    readOnly: z.boolean({ error: 'readOnly must be true or false' }),
    mode: z.enum(choiceValues(SHARE_MODES), { error: `share mode must be ${describeChoices(SHARE_MODES)}` }),
  })
  .strict();
export type Share = z.infer<typeof Share>;

export const SharesSection = z.array(Share).max(MAX_SHARES, `a VM can have at most ${MAX_SHARES} shared folders`);
export type SharesSection = z.infer<typeof SharesSection>;

/** The shares of a config (absent section: none). */
export function sharesOf(c: { shares?: readonly Share[] | undefined }): readonly Share[] {
  return c.shares ?? [];
}

/**
 * The tag a share gets when none is given: the folder's name, with characters a tag cannot hold made
 * '-' and cut to the tag's length; 'share' for a name with nothing usable (the root folder).
 */
export function defaultShareTag(hostPath: string): string {
  const name = hostPath.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
  const cleaned = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '')
    .slice(0, MAX_SHARE_TAG_LENGTH)
    .replace(/[.-]+$/, '');
  return SHARE_TAG_PATTERN.test(cleaned) ? cleaned : 'share';
}


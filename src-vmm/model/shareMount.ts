// How a Linux guest mounts a shared folder, and the two ways of sharing one. Kept apart from the zod
// schemas (shares.ts) so that the `hangar` command's first chunk loads without zod.

export const SHARE_MODES = [
  { value: 'virtiofs', label: 'virtio-fs (fast; Linux 5.4 and later, Windows with the virtio-win drivers)' },
  { value: '9p', label: '9p (VirtFS; older Linux guests, or hosts where virtio-fs cannot run)' },
] as const;
export type ShareMode = (typeof SHARE_MODES)[number]['value'];

/** What mounting a share depends on. */
export interface ShareMount {
  tag: string;
  mode: ShareMode;
  readOnly: boolean;
}

/** Where the details view suggests mounting a share in a Linux guest. */
export function suggestedMountPoint(tag: string): string {
  return `/mnt/${tag}`;
}

/** The command that mounts a share in a Linux guest (what the details view shows). */
export function mountCommand(share: ShareMount, mountPoint = suggestedMountPoint(share.tag)): string {
  const ro = share.readOnly ? ',ro' : '';
  if (share.mode === 'virtiofs') return `mount -t virtiofs${share.readOnly ? ' -o ro' : ''} ${share.tag} ${mountPoint}`;
  return `mount -t 9p -o trans=virtio,version=9p2000.L${ro} ${share.tag} ${mountPoint}`;
}

/** The /etc/fstab line for the same mount. */
export function fstabLine(share: ShareMount, mountPoint = suggestedMountPoint(share.tag)): string {
  const ro = share.readOnly ? 'ro' : 'rw';
  if (share.mode === 'virtiofs') return `${share.tag} ${mountPoint} virtiofs ${ro},nofail 0 0`;
  return `${share.tag} ${mountPoint} 9p trans=virtio,version=9p2000.L,${ro},nofail 0 0`;
}

// How a media item reads for a person (pure): the CLI's table and the interface's Media view say the same.
import type { MediaItem } from './schemas.js';

/** Who uses an image, in a few words: `web (disk0)`, `web/before (disk0)`, `under web`, `unused`. */
export function usersOf(m: Pick<MediaItem, 'library' | 'usedBy' | 'vms' | 'dependents' | 'unused'>): string {
  if (m.library) return `library '${m.library}'${m.usedBy.length ? `; ${m.vms.join(', ')}` : ''}`;
  if (m.usedBy.length === 0) return m.dependents.length ? `base of ${m.dependents.length} image(s)` : m.unused ? 'unused' : '-';
  const direct = m.usedBy.filter((u) => u.direct).map((u) => `${u.vm}${u.snapshot ? `/${u.snapshot}` : ''} (${u.as.split(' ')[1]})`);
  const below = [...new Set(m.usedBy.filter((u) => !u.direct).map((u) => u.vm))];
  return [...direct, ...(below.length ? [`under ${below.join(', ')}`] : [])].join('; ');
}

/** The VM disk an item is the current image of (what resize and compact act on), or null. */
export function currentDiskOf(m: Pick<MediaItem, 'usedBy' | 'role'>): { vmId: string; vm: string; disk: string } | null {
  const u = m.usedBy.find((x) => x.direct && x.snapshot === null && x.as.startsWith('disk '));
  return m.role === 'disk' && u ? { vmId: u.vmId, vm: u.vm, disk: u.as.slice('disk '.length) } : null;
}

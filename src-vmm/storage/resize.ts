// Growing a disk (pure): the size a person asks for, and what a resize will do, or why it is refused.
// Images only grow: a guest's partitions and file systems reach to the end of the disk, and cutting
// them off loses data, so a smaller size is refused.
import { HangarError } from '../base/errors.js';
import { checkSize, formatSize, MAX_DISK_BYTES, SECTOR_BYTES } from './size.js';

/** What a person asked for: a new size, or an amount to add (`+5G`). */
export type SizeRequest = { sizeBytes: number } | { addBytes: number };

/** `20G` (the new size) or `+5G` (that much more): the request, or a message for a person. */
export function parseSizeRequest(text: string): { ok: true; request: SizeRequest } | { ok: false; message: string } {
  const t = text.trim();
  if (t.startsWith('+')) {
    const c = checkSize(t.slice(1));
    return c.ok ? { ok: true, request: { addBytes: c.bytes } } : { ok: false, message: c.message.replace(/^size/, 'the size to add') };
  }
  if (t.startsWith('-')) return { ok: false, message: 'a disk cannot shrink: give the new, larger size (such as 20G) or how much to add (such as +5G)' };
  const c = checkSize(t);
  return c.ok ? { ok: true, request: { sizeBytes: c.bytes } } : c;
}

export interface ResizePlan {
  fromBytes: number;
  toBytes: number;
  /** the VM runs: QEMU grows the disk it has open (block_resize), and the guest sees it at once */
  online: boolean;
  /** what a person should know (snapshots, buses whose guests notice only at the next boot) */
  notes: string[];
}

/**
 * The resize of one disk, or a refusal (INVALID_INPUT) saying why: the new size must be larger than the
 * current one. `snapshots` names the snapshots that hold older images of this disk: they keep their size.
 */
export function planResize(o: { disk: string; vm: string; currentBytes: number; request: SizeRequest; running: boolean; bus: string; snapshots: readonly string[] }): ResizePlan {
  const toBytes = 'sizeBytes' in o.request ? o.request.sizeBytes : Math.ceil((o.currentBytes + o.request.addBytes) / SECTOR_BYTES) * SECTOR_BYTES;
  const at = `disk '${o.disk}' of VM '${o.vm}'`;
  if (toBytes > MAX_DISK_BYTES) throw new HangarError('INVALID_INPUT', `${at} cannot grow past ${formatSize(MAX_DISK_BYTES)}`);
  if (toBytes < o.currentBytes) {
    throw new HangarError('INVALID_INPUT', `${at} is ${formatSize(o.currentBytes)}: disks only grow (shrinking would cut off the guest's data), so ${formatSize(toBytes)} is refused`, {
      details: { disk: o.disk, currentBytes: o.currentBytes, requestedBytes: toBytes },
    });
  }
  if (toBytes === o.currentBytes) throw new HangarError('INVALID_INPUT', `${at} is already ${formatSize(o.currentBytes)}`, { details: { disk: o.disk, currentBytes: o.currentBytes } });
  const notes: string[] = [];
  if (o.snapshots.length) {
    notes.push(
      `the new size applies to the current state; ${o.snapshots.length === 1 ? `snapshot '${o.snapshots[0]}' keeps` : `snapshots ${o.snapshots.map((s) => `'${s}'`).join(', ')} keep`} the size ${o.snapshots.length === 1 ? 'it was' : 'they were'} taken with, and restoring one brings that size back`,
    );
  }
  if (o.running && o.bus !== 'virtio' && o.bus !== 'scsi') notes.push(`a guest sees a ${o.bus.toUpperCase()} disk grow only when it starts again`);
  notes.push("the guest's partitions and file systems keep their size until it grows them (growpart, resize2fs, Disk Management)");
  return { fromBytes: o.currentBytes, toBytes, online: o.running, notes };
}

/** A disk as `hangar show` lists it: by id (`disk0`), by its place in the list (`0`), or by its image's path. */
export function findDisk<D extends { id: string; path: string }>(disks: readonly D[], ref: string, vm: string): D {
  const d = disks.find((x) => x.id === ref) ?? (/^\d+$/.test(ref) ? disks[Number(ref)] : undefined) ?? disks.find((x) => x.path === ref);
  if (!d) {
    const known = disks.map((x, i) => `${x.id} (${i})`).join(', ');
    throw new HangarError('NOT_FOUND', `VM '${vm}' has no disk '${ref}'${known ? `; its disks: ${known}` : ' (it has no disks)'}`, { details: { vm, disk: ref } });
  }
  return d;
}

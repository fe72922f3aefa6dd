// A snapshot as the API shows it (pure): one mapping from the inventory's row, used by the snapshot
// list and by a VM's details alike.
import type { SnapshotItem } from '../api/contract.js';

interface SnapshotRecord {
  id: string;
  name: string;
  parentId: string | null;
  createdAt: string;
  live: boolean;
  description: string;
  facts: { liveMethod?: 'background' | 'paused'; pauseMs?: number };
  quiesced?: boolean;
}

export function snapshotItem(s: SnapshotRecord, files?: { sizeBytes: number; hasThumbnail: boolean }): SnapshotItem {
  return {
    id: s.id,
    name: s.name,
    parentId: s.parentId,
    createdAt: s.createdAt,
    live: s.live,
    description: s.description,
    quiesced: s.quiesced ?? false,
    ...(s.live && s.facts.liveMethod ? { liveMethod: s.facts.liveMethod } : {}),
    ...(s.live && s.facts.pauseMs !== undefined ? { pauseMs: s.facts.pauseMs } : {}),
    ...(files ?? {}),
  };
}

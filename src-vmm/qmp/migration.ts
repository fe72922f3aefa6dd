// Live migration's QMP arguments and progress, pure: what the source sends to migrate a running VM
// (with its disks mirrored to the target's NBD exports for --copy-storage) and what the target sends
// to receive it. The VMM host (host/migration.node.ts) carries them out.
import type { QmpArgs, QmpMigrationInfo } from './types.js';
import { LOCAL_MIGRATION_BANDWIDTH } from './block.js';

export interface MigrationLimits {
  /** the longest the guest may stand still for the last round (QEMU's downtime-limit), ms */
  maxDowntimeMs?: number;
  /** bytes per second the stream may take (QEMU's max-bandwidth); absent: as fast as it goes */
  bandwidthBytes?: number;
}

/** QEMU's default downtime limit (300 ms) is its own; Hangar asks for the same unless told otherwise. */
export const DEFAULT_MAX_DOWNTIME_MS = 300;

export function migrationParameters(l: MigrationLimits): QmpArgs<'migrate-set-parameters'> {
  return {
    'downtime-limit': l.maxDowntimeMs ?? DEFAULT_MAX_DOWNTIME_MS,
    // QEMU's default (128 MiB/s) is meant for networks; the stream goes over a socket the two ends set up.
    'max-bandwidth': l.bandwidthBytes ?? LOCAL_MIGRATION_BANDWIDTH,
  };
}

/** events: MIGRATION status changes; auto-converge: a guest that dirties memory faster than the link carries is slowed until it converges. */
export function migrationCapabilities(): QmpArgs<'migrate-set-capabilities'> {
  return {
    capabilities: [
      { capability: 'events', state: true },
      { capability: 'auto-converge', state: true },
    ],
  };
}

export const mirrorJobId = (diskId: string) => `migrate-${diskId}`;
export const nbdNodeName = (diskId: string) => `migrate-nbd-${diskId}`;
export const nbdExportId = (diskId: string) => `migrate-export-${diskId}`;

/** The source's NBD client of the target's export of one disk. */
export function nbdClientNode(diskId: string, socket: string, exportName: string): QmpArgs<'blockdev-add'> {
  return { driver: 'nbd', 'node-name': nbdNodeName(diskId), server: { type: 'unix', path: socket }, export: exportName };
}

/**
 * Mirrors a disk's whole chain into the target's export (`top`: only the top image's own data, for a
 * target image based on copies of the frozen images below it). write-blocking: once the copy has caught up
 * (the job is `ready`), every guest write reaches the target before the guest sees it done, so when
 * the guest stops for the switch-over the target is already in sync.
 */
export function mirrorArgs(diskId: string, topNode: string, sync: 'full' | 'top' = 'full'): QmpArgs<'blockdev-mirror'> {
  return { 'job-id': mirrorJobId(diskId), device: topNode, target: nbdNodeName(diskId), sync, 'copy-mode': 'write-blocking', 'auto-dismiss': false };
}

/** The target's writable export of one disk (the node its incoming QEMU opened). */
export function nbdExportArgs(diskId: string, node: string, exportName: string): QmpArgs<'block-export-add'> {
  return { type: 'nbd', id: nbdExportId(diskId), 'node-name': node, name: exportName, writable: true };
}

export function nbdServerArgs(socket: string): QmpArgs<'nbd-server-start'> {
  return { addr: { type: 'unix', data: { path: socket } } };
}

/** What a migration in progress reports: how far, and in words (round, remaining, dirty rate, expected downtime). */
export function migrationProgress(info: QmpMigrationInfo): { fraction: number; message: string } {
  const ram = info.ram;
  if (!ram) return { fraction: 0, message: `migration ${info.status ?? 'starting'}` };
  const done = ram.transferred;
  const left = ram.remaining;
  // Each round sends again what the guest dirtied: measured against what is still to go, not the RAM's size.
  const fraction = done + left > 0 ? Math.min(0.99, done / (done + left)) : 0;
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  const rate = ram['dirty-pages-rate'] * (ram['page-size'] || 4096);
  const parts = [`round ${Math.max(1, ram['dirty-sync-count'])}`, `${mib(left)} remaining`, `dirtying ${mib(rate)}/s`];
  if (info['expected-downtime'] !== undefined) parts.push(`expected downtime ${info['expected-downtime']} ms`);
  return { fraction, message: `copying memory: ${parts.join(', ')}` };
}

/** The figures a finished migration leaves. */
export function migrationOutcome(info: QmpMigrationInfo): { downtimeMs: number; totalMs: number; transferredBytes: number } {
  return { downtimeMs: info.downtime ?? 0, totalMs: info['total-time'] ?? 0, transferredBytes: info.ram?.transferred ?? 0 };
}

// QMP block commands as the VMM host sends them (pure): the argument of each command, built in one
// place so an integration test can check every shape against QEMU's own schema (query-qmp-schema),
// the node lookups the host needs, and how a job's status changes are answered.
import type { QmpArgs, QmpBlockDeviceInfo, QmpBlockInfo, QmpJobStatus } from './types.js';

/**
 * The format node (qcow2, raw, …) that has `path` open, not the protocol node below it (`file`), which
 * QEMU reports with the same file name. Undefined when nothing has the file open.
 */
export function formatNodeOf(nodes: readonly Pick<QmpBlockDeviceInfo, 'node-name' | 'drv' | 'file'>[], path: string): string | undefined {
  return nodes.find((n) => n.file === path && n.drv !== 'file')?.['node-name'];
}

/** Every file QEMU has open, once each (format and protocol nodes name the same file). */
export function openFiles(nodes: readonly Pick<QmpBlockDeviceInfo, 'file'>[]): string[] {
  return [...new Set(nodes.map((n) => n.file).filter((f) => f !== ''))];
}

/**
 * The node at the top of a disk's chain: the one its device reads and writes. `query-block` names the
 * device by its QOM path (`/machine/peripheral/<id>/virtio-backend` for virtio-blk, `/machine/peripheral/<id>`
 * for the others).
 */
export function topNodeOf(blocks: readonly { qdev?: QmpBlockInfo['qdev']; inserted?: Pick<QmpBlockDeviceInfo, 'node-name'> }[], diskId: string): string | undefined {
  const b = blocks.find((x) => x.qdev === diskId || x.qdev === `/machine/peripheral/${diskId}` || x.qdev?.startsWith(`/machine/peripheral/${diskId}/`));
  return b?.inserted?.['node-name'];
}

/**
 * One transaction that puts a new overlay on top of each disk at the same instant, so the frozen
 * images hold one point in time. `mode: absolute-paths` lets QEMU create each overlay with its backing
 * image named by absolute path.
 */
export function snapshotTransaction(disks: readonly { node: string; overlay: string; overlayNode: string }[]): QmpArgs<'transaction'> {
  return {
    actions: disks.map((d) => ({
      type: 'blockdev-snapshot-sync' as const,
      data: { 'node-name': d.node, 'snapshot-file': d.overlay, 'snapshot-node-name': d.overlayNode, format: 'qcow2', mode: 'absolute-paths' as const },
    })),
  };
}

/**
 * block-stream: copies into `device` the data of every image between it and `baseNode` (all of them
 * when there is no base), then drops those images from the chain. auto-dismiss is off so the job's
 * outcome (its `error`) can still be read with query-jobs once it has concluded.
 */
export function streamArgs(jobId: string, device: string, baseNode: string | undefined): QmpArgs<'block-stream'> {
  return { 'job-id': jobId, device, ...(baseNode ? { 'base-node': baseNode } : {}), 'auto-dismiss': false };
}

/**
 * A block-commit below the active layer: the data of `topNode` goes down into `baseNode` (the image it
 * is based on), and `topNode` leaves the chain of `device` (the disk's root node); QEMU writes the
 * base's name into the header of the image above. No `backing-file` string: a name that differs from
 * the base node's own makes QEMU describe the image above as a `json:` pseudo-file, and a later
 * snapshot would write that description into its overlay.
 */
export function commitArgs(jobId: string, device: string, topNode: string, baseNode: string): QmpArgs<'block-commit'> {
  return { 'job-id': jobId, device, 'top-node': topNode, 'base-node': baseNode, 'auto-dismiss': false };
}

/**
 * An active block-commit: the data of `top` (the disk's active layer) goes down into `baseNode`; once
 * the job is ready and completed, the device writes to `baseNode` again and `top` leaves the chain.
 */
export function activeCommitArgs(jobId: string, top: string, baseNode: string): QmpArgs<'block-commit'> {
  return { 'job-id': jobId, device: top, 'base-node': baseNode, 'auto-dismiss': false };
}

/** The most QEMU sends data at when saving the state into a local file (QEMU's default, 128 MiB/s, is meant for networks). */
export const LOCAL_MIGRATION_BANDWIDTH = 64 * 1024 ** 3;

export function localMigrationParameters(): QmpArgs<'migrate-set-parameters'> {
  return { 'max-bandwidth': LOCAL_MIGRATION_BANDWIDTH };
}

/**
 * What a job runner does when its job reports a status. A job that waits to be completed (`ready`:
 * an active commit that has caught up) is completed when the caller wants the pivot; `concluded` is the
 * end, success or failure (the job's record then says which); everything else is waited through.
 */
export type JobReaction = 'wait' | 'complete' | 'finished';

export function jobReaction(status: QmpJobStatus, o: { completeWhenReady: boolean }): JobReaction {
  switch (status) {
    case 'ready':
      return o.completeWhenReady ? 'complete' : 'wait';
    case 'concluded':
      return 'finished';
    case 'undefined':
    case 'created':
    case 'running':
    case 'paused':
    case 'standby':
    case 'waiting':
    case 'pending':
    case 'aborting':
    case 'null':
      return 'wait';
  }
}

// Live migration in the VMM host: the source's part (mirror the disks to the target's NBD exports when
// asked, then migrate RAM and device state with pre-copy, following query-migrate as progress) and the
// target's part (receive on a unix socket, export its new disks over NBD until it runs). Only QMP, with
// the arguments qmp/migration.ts builds.
import { HangarError, toHangarError } from '../base/errors.js';
import type { QmpClient } from '../qmp/client.node.js';
import { QmpCommandError } from '../qmp/errors.js';
import { topNodeOf } from '../qmp/block.js';
import type { QmpMigrationInfo } from '../qmp/types.js';
import { migrationCapabilities, migrationOutcome, migrationParameters, migrationProgress, mirrorArgs, mirrorJobId, nbdClientNode, nbdExportArgs, nbdExportId, nbdNodeName, nbdServerArgs } from '../qmp/migration.js';

export interface MigrateOutInput {
  socket: string;
  maxDowntimeMs?: number;
  bandwidthBytes?: number;
  mirrors?: { diskId: string; socket: string; export: string; sync?: 'full' | 'top' | undefined }[];
}

interface Ctx {
  signal: AbortSignal;
  progress: (fraction: number, message: string) => void;
  log: (line: string) => void;
}

const POLL_MS = 100;
const ACTIVE = ['setup', 'active', 'device', 'pre-switchover', 'wait-unplug', 'cancelling'];

function cancelled(): HangarError {
  return new HangarError('CANCELLED', 'the migration was cancelled; the VM runs on here');
}

/** The source's part: returns QEMU's figures once the target has everything (the guest is then stopped here). */
export async function migrateOut(qmp: QmpClient, input: MigrateOutInput, ctx: Ctx): Promise<{ downtimeMs: number; totalMs: number; transferredBytes: number; mirroredBytes: number }> {
  const mirrors = input.mirrors ?? [];
  const started: string[] = [];
  const nodes: string[] = [];
  let completed = false;
  let mirroredBytes = 0;
  try {
    if (mirrors.length) {
      const blocks = await qmp.execute('query-block');
      const ready = new Set<string>();
      const failed = new Map<string, string>();
      const sub = qmp.onEvent('JOB_STATUS_CHANGE', (d) => {
        if (d.status === 'ready') ready.add(d.id);
        if (d.status === 'concluded' || d.status === 'aborting') failed.set(d.id, d.status);
      });
      try {
        for (const m of mirrors) {
          const node = topNodeOf(blocks, m.diskId);
          if (!node) throw new HangarError('NOT_FOUND', `disk ${m.diskId} is not open in QEMU`);
          await qmp.execute('blockdev-add', nbdClientNode(m.diskId, m.socket, m.export));
          nodes.push(nbdNodeName(m.diskId));
          await qmp.execute('blockdev-mirror', mirrorArgs(m.diskId, node, m.sync));
          started.push(mirrorJobId(m.diskId));
        }
        ctx.log(`mirroring ${started.length} disk(s) to the target`);
        for (;;) {
          if (ctx.signal.aborted) throw cancelled();
          const jobs = (await qmp.execute('query-jobs')).filter((j) => started.includes(j.id));
          const bad = jobs.find((j) => j.error || failed.has(j.id));
          if (bad) throw new HangarError('QEMU_FAILED', `copying disk ${bad.id} to the target failed: ${bad.error ?? bad.status}`);
          const cur = jobs.reduce((a, j) => a + j['current-progress'], 0);
          const tot = jobs.reduce((a, j) => a + j['total-progress'], 0);
          mirroredBytes = cur;
          if (started.every((id) => ready.has(id))) break;
          ctx.progress(tot > 0 ? 0.5 * (cur / tot) : 0, `copying disks: ${(cur / 1048576).toFixed(1)} of ${(tot / 1048576).toFixed(1)} MiB`);
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      } finally {
        sub.dispose();
      }
      ctx.log('disks in sync with the target; migrating the memory');
    }
    const base = mirrors.length ? 0.5 : 0;
    await qmp.execute('migrate-set-capabilities', migrationCapabilities());
    await qmp.execute('migrate-set-parameters', migrationParameters(input));
    await qmp.execute('migrate', { uri: `unix:${input.socket}` });
    for (;;) {
      if (ctx.signal.aborted) {
        await cancelMigration(qmp);
        throw cancelled();
      }
      const info = await qmp.execute('query-migrate');
      if (info.status === 'completed') {
        completed = true;
        ctx.progress(1, 'the target has the machine');
        return { ...migrationOutcome(await settledInfo(qmp, info)), mirroredBytes };
      }
      if (info.status === 'failed' || info.status === 'cancelled') {
        throw new HangarError('QEMU_FAILED', `the migration failed: ${info['error-desc'] ?? info.status}`);
      }
      const p = migrationProgress(info);
      ctx.progress(base + (1 - base) * p.fraction, p.message);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    // A ready mirror that is cancelled ends in sync without switching to its target: the source keeps
    // its own disks (and runs on them, should the target fail to take over).
    for (const id of started) await endMirror(qmp, id, !completed, ctx.log);
    for (const n of nodes) await qmp.execute('blockdev-del', { 'node-name': n }).catch((e: unknown) => ctx.log(`cannot remove ${n}: ${toHangarError(e).message}`));
  }
}

/**
 * QEMU sets a migration's state to completed a moment before it records its total time and downtime
 * (`query-migrate` then reports 0 for both): asks again, bounded, until they are there.
 */
async function settledInfo(qmp: QmpClient, info: QmpMigrationInfo): Promise<QmpMigrationInfo> {
  let latest = info;
  for (let i = 0; i < 40 && !(latest['total-time'] ?? 0); i++) {
    await new Promise((r) => setTimeout(r, 25));
    latest = await qmp.execute('query-migrate');
  }
  return latest;
}

async function endMirror(qmp: QmpClient, id: string, force: boolean, log: (l: string) => void): Promise<void> {
  try {
    const concluded = qmp.waitForEvent('JOB_STATUS_CHANGE', (d) => d.id === id && d.status === 'concluded', { timeoutMs: 60_000 });
    concluded.catch(() => undefined);
    const jobs = await qmp.execute('query-jobs');
    const job = jobs.find((j) => j.id === id);
    if (!job) return;
    if (job.status !== 'concluded') {
      await qmp.execute('block-job-cancel', { device: id, force });
      await concluded;
    }
    await qmp.execute('job-dismiss', { id });
  } catch (e) {
    log(`ending mirror ${id}: ${toHangarError(e).message}`);
  }
}

/** Cancels an outgoing migration and waits (bounded) until QEMU has let go of it: the guest runs on. */
export async function cancelMigration(qmp: QmpClient): Promise<void> {
  await qmp.execute('migrate_cancel').catch(() => undefined);
  for (let i = 0; i < 200; i++) {
    const info = await qmp.execute('query-migrate').catch(() => undefined);
    if (!info || !ACTIVE.includes(info.status ?? '')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Runs a guest again after its state went out by migration (a live snapshot without background
 * writing). QEMU reports the migration 'completed' a moment before it leaves its finish-migrate run
 * state for postmigrate; a `cont` in between is refused ("Migration is not finalized yet"), and a
 * guest whose cont was lost stays paused in postmigrate for good, where the next save is refused.
 * Measured here: 1 in 200 such snapshots under CPU load. So the run state is asked first, the
 * guest continued once it can be, and the call returns only when QEMU says it runs (bounded).
 */
export async function continueAfterMigration(qmp: Pick<QmpClient, 'execute'>, o: { pollMs?: number; maxPolls?: number } = {}): Promise<void> {
  const pollMs = o.pollMs ?? 10;
  const maxPolls = o.maxPolls ?? 1000;
  let status = 'unknown';
  for (let i = 0; i < maxPolls; i++) {
    status = (await qmp.execute('query-status')).status;
    if (status === 'running') return;
    if (status !== 'finish-migrate') {
      try {
        await qmp.execute('cont');
        continue;
      } catch (e) {
        if (!(e instanceof QmpCommandError && /not finalized/i.test(e.desc))) throw e;
      }
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new HangarError('QEMU_FAILED', `the guest did not run again after its state was saved: QEMU stayed in its '${status}' state`);
}

/**
 * The target's part: listens on `socket` for the stream and resolves once it has all arrived (the
 * machine then waits, stopped, until it is booted). QEMU itself ends when the stream fails.
 */
export async function migrateIn(qmp: QmpClient, socket: string, log: (l: string) => void): Promise<void> {
  await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
  const done = qmp.waitForEvent('MIGRATION', (d) => d.status === 'completed' || d.status === 'failed' || d.status === 'cancelled');
  done.catch(() => undefined);
  await qmp.execute('migrate-incoming', { uri: `unix:${socket}` });
  log(`waiting for the migration stream on ${socket}`);
  const ev = await done;
  if (ev.status !== 'completed') throw new HangarError('QEMU_FAILED', `the incoming migration ${ev.status}`);
  log('incoming migration completed');
}

/** The target's disks, exported writable for the source's mirrors. Returns what stops the exports. */
export async function exportDisks(qmp: QmpClient, socket: string, disks: { diskId: string; export: string }[]): Promise<() => Promise<void>> {
  const blocks = await qmp.execute('query-block');
  await qmp.execute('nbd-server-start', nbdServerArgs(socket));
  const added: string[] = [];
  const stop = async () => {
    for (const id of added) await qmp.execute('block-export-del', { id, mode: 'hard' }).catch(() => undefined);
    await qmp.execute('nbd-server-stop').catch(() => undefined);
  };
  try {
    for (const d of disks) {
      const node = topNodeOf(blocks, d.diskId);
      if (!node) throw new HangarError('NOT_FOUND', `disk ${d.diskId} is not open in QEMU`);
      await qmp.execute('block-export-add', nbdExportArgs(d.diskId, node, d.export));
      added.push(nbdExportId(d.diskId));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return stop;
}

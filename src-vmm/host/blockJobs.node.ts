// The VMM host's block jobs, on the typed QMP client: merging images into a running disk
// (block-stream), undoing a live snapshot's disk switch (an active block-commit), and which files
// QEMU has open. A job's course comes from QEMU's JOB_STATUS_CHANGE events, whose listeners are
// registered before the command that creates the job; only progress is read with query-jobs on an
// interval, as QEMU sends no progress event.
import { randomBytes } from 'node:crypto';
import { chmodSync, statSync } from 'node:fs';
import { HangarError } from '../base/errors.js';
import type { QmpClient } from '../qmp/client.node.js';
import { activeCommitArgs, commitArgs, formatNodeOf, jobReaction, openFiles, streamArgs, topNodeOf } from '../qmp/block.js';
import type { QmpJobInfo } from '../qmp/types.js';

const PROGRESS_INTERVAL_MS = 250;
/** A merge copies at disk speed: a day is far beyond any disk Hangar manages. */
const STREAM_TIMEOUT_MS = 24 * 3600_000;
/** An overlay to commit back holds what the guest wrote during one snapshot's take. */
const SWITCH_BACK_TIMEOUT_MS = 600_000;

interface JobOptions {
  /** answer `ready` with job-complete (an active commit pivots to its base) */
  completeWhenReady: boolean;
  timeoutMs: number;
  /** cancels the job (job-cancel); the job's own outcome is still what is returned */
  signal?: AbortSignal;
  progress?: (fraction: number) => void;
}

export class BlockJobs {
  constructor(
    private readonly qmp: QmpClient,
    private readonly log: (line: string) => void,
  ) {}

  /** The files QEMU has open (every image of every disk's chain, the firmware, ISOs). */
  async openImages(): Promise<string[]> {
    return openFiles(await this.qmp.execute('query-named-block-nodes', { flat: true }));
  }

  /**
   * Copies into `image` the data of the images between it and `base` (all of them when `base` is
   * null), after which `image` is based on `base` and the images in between have left the chain.
   * A cancelled stream leaves `image` based where it was: every image stays whole.
   */
  async stream(image: string, base: string | null, o: { signal: AbortSignal; progress: (fraction: number) => void }): Promise<{ bytes: number }> {
    const nodes = await this.qmp.execute('query-named-block-nodes', { flat: true });
    const device = formatNodeOf(nodes, image);
    if (!device) throw new HangarError('QEMU_FAILED', `${image} is not open in the running VM`);
    const baseNode = base === null ? undefined : formatNodeOf(nodes, base);
    if (base !== null && !baseNode) throw new HangarError('QEMU_FAILED', `${base} is not open in the running VM`);
    if (o.signal.aborted) throw new HangarError('CANCELLED', 'merging was cancelled before it started; every image is as it was');
    const id = jobId('stream');
    // Streaming into an image below the top reopens it read-write, and Hangar keeps frozen images
    // 0400: without CAP_DAC_OVERRIDE (QEMU runs without capabilities) the owner may write only while
    // the job starts. QEMU keeps the descriptor it opened, and needs only read access to go back to
    // read-only at the end.
    const job = await this.run(id, () => withOwnerWrite(image, () => this.qmp.execute('block-stream', streamArgs(id, device, baseNode))), {
      completeWhenReady: false,
      timeoutMs: STREAM_TIMEOUT_MS,
      signal: o.signal,
      progress: o.progress,
    });
    if (job.error !== undefined) {
      if (o.signal.aborted) throw new HangarError('CANCELLED', 'merging was cancelled; every image is as it was');
      throw new HangarError('QEMU_FAILED', `merging into ${image} failed: ${job.error}`);
    }
    // Finished before a cancel could stop it: the merge is done, and saying so keeps the owner's record true.
    o.progress(1);
    return { bytes: job['total-progress'] };
  }

  /**
   * Commits `image`, an image of disk `diskId`'s chain below its active layer, down into `into`, the image
   * it is based on (a block-commit job): `image` leaves the chain, and the image above it is based on
   * `into` (QEMU writes the header). `image` itself is not changed: the owner removes it once its records
   * name `into`. Not cancellable: it runs once the owner has let go of `into`, and ends what the delete began.
   */
  async commitDown(diskId: string, image: string, into: string, o: { progress: (fraction: number) => void }): Promise<{ bytes: number }> {
    const nodes = await this.qmp.execute('query-named-block-nodes', { flat: true });
    const top = formatNodeOf(nodes, image);
    if (!top) throw new HangarError('QEMU_FAILED', `${image} is not open in the running VM`);
    const base = formatNodeOf(nodes, into);
    if (!base) throw new HangarError('QEMU_FAILED', `${into} is not open in the running VM`);
    const device = topNodeOf(await this.qmp.execute('query-block'), diskId);
    if (!device) throw new HangarError('QEMU_FAILED', `the running VM has no disk '${diskId}'`);
    if (device === top) throw new HangarError('QEMU_FAILED', `${image} is the disk's active layer: it is streamed into, not committed`);
    // QEMU reopens the base, and the image above (to write its new backing name), read-write: frozen
    // images are 0400, so the owner's write bit is added while the job starts (see stream).
    const above = nodes.find((n) => n.drv !== 'file' && n.backing_file === image)?.file ?? '';
    const id = jobId('commit');
    const job = await this.run(id, () => withOwnerWrite(into, () => withOwnerWrite(above, () => this.qmp.execute('block-commit', commitArgs(id, device, top, base)))), {
      completeWhenReady: false,
      timeoutMs: STREAM_TIMEOUT_MS,
      progress: o.progress,
    });
    if (job.error !== undefined) throw new HangarError('QEMU_FAILED', `committing ${image} into ${into} failed: ${job.error}`);
    o.progress(1);
    return { bytes: job['total-progress'] };
  }

  /**
   * Undoes a live snapshot's disk switch: each overlay QEMU writes to is committed into the image it
   * was put on (an active commit, guest writes included) and leaves the chain, so the disk writes to
   * that image again. Overlays QEMU never switched to are skipped. Not cancellable: it is the way back.
   */
  async switchBack(disks: readonly { overlay: string; image: string }[]): Promise<{ committed: string[] }> {
    const nodes = await this.qmp.execute('query-named-block-nodes', { flat: true });
    const committed: string[] = [];
    for (const d of disks) {
      const top = formatNodeOf(nodes, d.overlay);
      if (!top) continue;
      const base = formatNodeOf(nodes, d.image);
      if (!base) throw new HangarError('QEMU_FAILED', `${d.image} is not open in the running VM`);
      const id = jobId('undo');
      const job = await this.run(id, () => withOwnerWrite(d.image, () => this.qmp.execute('block-commit', activeCommitArgs(id, top, base))), {
        completeWhenReady: true,
        timeoutMs: SWITCH_BACK_TIMEOUT_MS,
      });
      if (job.error !== undefined) throw new HangarError('QEMU_FAILED', `committing ${d.overlay} back into ${d.image} failed: ${job.error}`);
      committed.push(d.overlay);
    }
    return { committed };
  }

  /**
   * Runs one job to its end and returns its final record (read once it has concluded, then
   * dismissed). The listeners go first: QEMU reports `created` and `running`, and for a small job even
   * `ready` or `concluded`, before it answers the command that started the job.
   */
  private async run(id: string, start: () => Promise<unknown>, o: JobOptions): Promise<QmpJobInfo> {
    const stopWaiting = new AbortController();
    const concluded = this.qmp.waitForEvent('JOB_STATUS_CHANGE', (d) => d.id === id && jobReaction(d.status, o) === 'finished', {
      timeoutMs: o.timeoutMs,
      signal: stopWaiting.signal,
    });
    concluded.catch(() => undefined); // observed below, unless the start fails first
    let completing = false;
    const cancel = () => void this.qmp.execute('job-cancel', { id }).catch(() => undefined);
    const readySub = this.qmp.onEvent('JOB_STATUS_CHANGE', (d) => {
      if (d.id !== id || completing || jobReaction(d.status, o) !== 'complete') return;
      completing = true;
      this.qmp.execute('job-complete', { id }).catch((e: unknown) => {
        // A job that cannot complete would wait for ever: cancel it, so it concludes with an error.
        this.log(`job ${id} could not be completed (${(e as Error).message}); cancelling it`);
        cancel();
      });
    });
    let poll: NodeJS.Timeout | undefined;
    try {
      try {
        await start();
      } catch (e) {
        stopWaiting.abort();
        throw e;
      }
      o.signal?.addEventListener('abort', cancel, { once: true });
      if (o.signal?.aborted) cancel();
      const progress = o.progress;
      if (progress) {
        poll = setInterval(() => {
          this.qmp
            .execute('query-jobs')
            .then((jobs) => {
              const j = jobs.find((x) => x.id === id);
              if (j && j['total-progress'] > 0) progress(Math.min(0.99, j['current-progress'] / j['total-progress']));
            })
            .catch(() => undefined);
        }, PROGRESS_INTERVAL_MS);
      }
      try {
        await concluded;
      } catch (e) {
        cancel(); // given up on (timeout) or QEMU gone: a job left behind must not run on unseen
        throw e;
      }
      const job = (await this.qmp.execute('query-jobs')).find((j) => j.id === id);
      await this.qmp.execute('job-dismiss', { id });
      if (!job) throw new HangarError('QEMU_FAILED', `QEMU reported job ${id} concluded but has no record of it`);
      return job;
    } finally {
      readySub.dispose();
      clearInterval(poll);
      o.signal?.removeEventListener('abort', cancel);
    }
  }
}

function jobId(kind: string): string {
  return `${kind}-${randomBytes(4).toString('hex')}`;
}

/** Adds the owner's write bit to a file for a moment; returns what puts the mode back (no-op when it was writable). */
function ownerWritable(path: string): () => void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o7777;
  } catch {
    return () => undefined;
  }
  if (mode & 0o200) return () => undefined;
  try {
    chmodSync(path, mode | 0o200);
  } catch {
    return () => undefined; // not ours to change: QEMU says what it cannot open
  }
  return () => {
    try {
      chmodSync(path, mode);
    } catch {
      /* gone meanwhile */
    }
  };
}

/** Runs `start` with `path` writable by its owner, its mode put back once `start` settles. */
async function withOwnerWrite<T>(path: string, start: () => Promise<T>): Promise<T> {
  const restore = ownerWritable(path);
  try {
    return await start();
  } finally {
    restore();
  }
}

// Live migration of a running domain from one remote (libvirt host) to another, through libvirt's own
// migration (`virsh migrate --live --persistent --undefinesource`), as the task `remote.migrate`:
// progress from `virsh domjobinfo` (polled every 500 ms), cancel by `virsh domjobabort`. Afterwards the
// domain runs on the target and is gone from the source; a failure or cancel leaves it running on the
// source and nothing of it on the target (libvirt's own clean-up, plus the volumes made here for
// --copy-storage). Every refusal comes before anything is changed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import type { TaskRunner } from '../tasks/taskRunner.js';
import { readDomainXml } from './domainXml.js';
import { migrateArgs, migrationProgress, movedDisksXml, onThisMachine, parseJobStats, type JobStats, type RemoteMigrateOptions } from './migrateModel.js';
import { readDomainState, virshError } from './model.js';
import type { RemoteService } from './remoteService.node.js';
import { spawnVirsh, virsh } from './virsh.node.js';

export interface RemoteMigrationDeps {
  remotes: RemoteService;
  tasks: TaskRunner;
  log: (line: string) => void;
}

export interface RemoteMigrateInput extends RemoteMigrateOptions {
  /** REMOTE/DOMAIN */
  ref: string;
  /** the target remote's name */
  target: string;
  /** --copy-storage: the target's pool */
  pool?: string;
  maxDowntimeMs?: number;
}

export interface RemoteMigrateResult {
  vm: string;
  target: string;
  /** the domain's UUID (the same on both hosts) */
  id: string;
  downtimeMs: number;
  totalMs: number;
  transferredBytes: number;
  mirroredBytes: number;
}

const POLL_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exists = (uri: string, domain: string) => virsh(uri, ['domuuid', domain]).then(() => true, () => false);

interface DiskMove {
  from: string;
  to: string;
  pool: string;
  volume: string;
  capacity: number;
  format: string;
}

/** Bytes allocated to these volumes on that host (0 for one it cannot tell). */
async function allocatedBytes(uri: string, volumes: DiskMove[]): Promise<number> {
  let sum = 0;
  for (const v of volumes) {
    const info = await virsh(uri, ['vol-info', '--bytes', '--pool', v.pool, v.volume]).catch(() => '');
    sum += Number(/Allocation:\s+(\d+)/.exec(info)?.[1] ?? 0);
  }
  return sum;
}

export class RemoteMigration {
  /** REMOTE/DOMAIN of the migrations under way (one at a time per domain) */
  private readonly moving = new Set<string>();

  constructor(private readonly d: RemoteMigrationDeps) {}

  async migrate(input: RemoteMigrateInput, p: { signal: AbortSignal; onProgress: (fraction: number, message?: string) => void }): Promise<RemoteMigrateResult> {
    // ---- refusals, before anything changes
    const { c: src, domain } = this.d.remotes.resolveEndpoint(input.ref);
    const dst = this.d.remotes.endpoint(input.target);
    const ref = `${src.name}/${domain}`;
    if (dst.name === src.name) throw new HangarError('INVALID_INPUT', `'${ref}' is on remote '${src.name}' already: name another remote with --to`);
    if (this.moving.has(ref.toLowerCase())) throw new HangarError('STATE_CONFLICT', `'${ref}' is being migrated already`);
    const state = readDomainState(
      await virsh(src.uri, ['domstate', domain]).catch((e: unknown) => {
        throw /failed to get domain|domain not found/i.test((e as Error).message) ? new HangarError('NOT_FOUND', `no domain '${domain}' on remote '${src.name}'`) : e;
      }),
    );
    if (state !== 'running' && state !== 'paused') throw new HangarError('STATE_CONFLICT', `domain '${domain}' on remote '${src.name}' is ${state}: only a running domain is migrated live`);
    if (await exists(dst.uri, domain)) throw new HangarError('ALREADY_EXISTS', `a domain named '${domain}' exists on remote '${dst.name}' already`);
    const uuid = (await virsh(src.uri, ['domuuid', domain])).trim();
    if (await virsh(dst.uri, ['domname', uuid]).then(() => true, () => false)) throw new HangarError('ALREADY_EXISTS', `remote '${dst.name}' has a domain with the UUID of '${ref}' (${uuid}) already`);
    const sameMachine = onThisMachine(src.uri) && onThisMachine(dst.uri);
    const moves = input.copyStorage ? await this.planDiskMoves(src, dst, domain, input.pool) : [];

    this.moving.add(ref.toLowerCase());
    try {
      return await this.d.tasks.run('remote.migrate', null, { signal: p.signal, onProgress: p.onProgress, subject: `${ref} → ${dst.name}` }, async (task) => {
        const scratch = mkdtempSync(join(tmpdir(), 'hangar-migrate-'));
        const made: DiskMove[] = [];
        try {
          let xmlFile: string | undefined;
          if (moves.length) {
            task.phase('making the volumes on the target');
            for (const m of moves) {
              await virsh(dst.uri, ['vol-create-as', m.pool, m.volume, String(m.capacity), '--format', m.format], { signal: task.signal });
              made.push(m);
            }
            xmlFile = join(scratch, 'domain.xml');
            const xml = await virsh(src.uri, ['dumpxml', '--migratable', domain]);
            writeFileSync(xmlFile, movedDisksXml(xml, Object.fromEntries(moves.map((m) => [m.from, m.to]))), { mode: 0o600 });
          }
          task.phase(moves.length ? 'copying the disks and memory' : 'copying the memory');
          const args = migrateArgs(domain, dst.uri, { copyStorage: input.copyStorage, sameMachine, ...(input.bandwidthMiBs !== undefined ? { bandwidthMiBs: input.bandwidthMiBs } : {}), ...(xmlFile ? { xmlFile } : {}) });
          const started = Date.now();
          // QEMU's limit, set on the source before the job (the job takes it; it stays for later migrations)
          if (input.maxDowntimeMs !== undefined) await virsh(src.uri, ['migrate-setmaxdowntime', domain, String(input.maxDowntimeMs)], { signal: task.signal });
          const last = await this.run(src.uri, domain, args, task);
          const totalWall = Date.now() - started;
          // libvirt's account of the finished job, on the target (the source's domain is gone)
          const done = await virsh(dst.uri, ['domjobinfo', '--completed', '--rawstats', domain]).then(parseJobStats, () => undefined);
          const result: RemoteMigrateResult = {
            vm: ref,
            target: dst.name,
            id: uuid,
            downtimeMs: done?.downtimeMs ?? 0,
            totalMs: done?.elapsedMs || totalWall,
            transferredBytes: done && done.memoryTotal ? done.memoryTotal - done.memoryRemaining : (last?.dataProcessed ?? 0),
            // libvirt's disk figure is missing when the job ended between two polls and the target's
            // record of it has none: then what the copy wrote, the target volumes' allocation
            mirroredBytes: moves.length ? done?.diskProcessed || last?.diskProcessed || (await allocatedBytes(dst.uri, made)) : 0,
          };
          task.progress(1, 'running on the target');
          task.outcome(`'${ref}' runs on remote '${dst.name}' (downtime ${result.downtimeMs} ms); it is gone from '${src.name}'`);
          this.d.remotes.touched(src.name, domain);
          this.d.remotes.touched(dst.name, domain);
          this.d.log(`remote migrate ${ref} → ${dst.name}: done in ${result.totalMs} ms`);
          return result;
        } catch (e) {
          // libvirt ended the incoming domain on the target; the volumes made for it go too
          if (!(await exists(dst.uri, domain))) {
            for (const m of made.reverse()) await virsh(dst.uri, ['vol-delete', '--pool', m.pool, m.volume]).catch((err: unknown) => this.d.log(`remote ${dst.name}: could not delete volume ${m.volume}: ${(err as Error).message}`));
          } else this.d.log(`remote migrate ${ref} → ${dst.name}: failed, and the target still has a domain '${domain}': left alone`);
          throw e;
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      });
    } finally {
      this.moving.delete(ref.toLowerCase());
    }
  }

  /** --copy-storage: each file disk gets a volume of its size and format in the target's pool (the one named, else the source's pool's name, else 'default', else the only one). */
  private async planDiskMoves(src: { name: string; uri: string }, dst: { name: string; uri: string }, domain: string, named: string | undefined): Promise<DiskMove[]> {
    const facts = readDomainXml(await virsh(src.uri, ['dumpxml', domain]));
    const pools = (await virsh(dst.uri, ['pool-list', '--name'])).split('\n').map((s) => s.trim()).filter(Boolean);
    if (named !== undefined && !pools.includes(named)) throw new HangarError('NOT_FOUND', `remote '${dst.name}' has no active storage pool named '${named}' (it has: ${pools.join(', ') || 'none'})`);
    const moves: DiskMove[] = [];
    for (const disk of facts.disks.filter((x) => !x.readOnly)) {
      const srcPool = (await virsh(src.uri, ['vol-pool', disk.source]).catch(() => '')).trim();
      const pool = named ?? (pools.includes(srcPool) ? srcPool : pools.includes('default') ? 'default' : pools.length === 1 ? pools[0]! : undefined);
      if (!pool) throw new HangarError('INVALID_INPUT', `remote '${dst.name}' has no storage pool for the disks of '${domain}' (no pool named '${srcPool || 'default'}', and ${pools.length ? `several: ${pools.join(', ')}; name one with --pool` : 'none active'})`);
      const volume = basename(disk.source);
      await virsh(dst.uri, ['pool-refresh', pool]).catch(() => undefined);
      if (await virsh(dst.uri, ['vol-info', '--pool', pool, volume]).then(() => true, () => false)) throw new HangarError('ALREADY_EXISTS', `a volume named '${volume}' exists in pool '${pool}' on remote '${dst.name}' already`);
      const capacity = Number(/Capacity:\s+(\d+)/.exec(await virsh(src.uri, ['domblkinfo', domain, disk.source]))?.[1] ?? NaN);
      if (!Number.isFinite(capacity)) throw new HangarError('IO_ERROR', `libvirt did not say the size of ${disk.source}`);
      const poolXml = await virsh(dst.uri, ['pool-dumpxml', pool]);
      const dir = /<target>\s*<path>([^<]+)<\/path>/.exec(poolXml)?.[1];
      if (!dir) throw new HangarError('UNSUPPORTED', `pool '${pool}' on remote '${dst.name}' is not a folder of files`);
      moves.push({ from: disk.source, to: join(dir, volume), pool, volume, capacity, format: disk.format === 'qcow2' ? 'qcow2' : 'raw' });
    }
    return moves;
  }

  /** Runs `virsh migrate`, polling the source's job for progress; a cancel aborts libvirt's job. Returns the last running stats. */
  private async run(uri: string, domain: string, args: string[], task: { signal: AbortSignal; progress: (f: number, m?: string) => void }): Promise<JobStats | undefined> {
    const child = spawnVirsh(uri, args);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
    const ended = new Promise<number>((resolve) => {
      child.on('error', (e) => {
        stderr += `error: ${e.message}\n`;
        resolve(-1);
      });
      child.on('close', (code) => resolve(code ?? -1));
    });
    let finished = false;
    void ended.then(() => (finished = true));
    let last: JobStats | undefined;
    let fraction = 0;
    while (!finished) {
      if (task.signal.aborted) {
        // libvirt's own cancel; until the job has begun there is nothing to abort yet: try again
        await virsh(uri, ['domjobabort', domain], { timeoutMs: 30_000 }).catch(() => undefined);
      } else {
        const s = await virsh(uri, ['domjobinfo', '--rawstats', domain], { timeoutMs: 30_000 }).then(parseJobStats, () => undefined);
        if (s?.active) {
          if (s.dataTotal > 0) last = s;
          const pr = migrationProgress(s, fraction);
          fraction = pr.fraction;
          task.progress(fraction, pr.message);
        }
      }
      await Promise.race([ended, sleep(POLL_MS)]);
    }
    const code = await ended;
    if (code === 0) return last;
    if (task.signal.aborted) throw new HangarError('CANCELLED', 'cancelled');
    throw new HangarError('IO_ERROR', `the migration failed: ${virshError(stderr)}`);
  }
}

// `hangar migrate`'s flags, its human output, and `hangar __stdio`: the far end of a migration's line
// to this home's owner (the source owner runs it here, or through ssh on another machine).
import { connectUnixSocket } from '../../src-vmm/base/socketTransport.node.js';
import type { Client } from '../../src-vmm/base/rpc.js';
import type { HangarApi } from '../api/contract.js';
import type { MigrateInput, MigrateResult } from '../migration/contract.js';
import { usageError, type ParsedCommand } from './args.js';

export function migrateRequest(p: ParsedCommand): MigrateInput {
  const f = p.flags;
  if (f.to === undefined) throw usageError('migrate needs --to ssh://[user@]host[:port][/HOME] or --to home:/PATH');
  if (f['max-downtime'] !== undefined && Number(f['max-downtime']) <= 0) throw usageError('--max-downtime must be more than 0 ms');
  if (f.bandwidth !== undefined && !(Number(f.bandwidth) > 0)) throw usageError('--bandwidth must be more than 0 MiB/s');
  return {
    ref: p.args[0]!,
    target: String(f.to),
    copyStorage: f['copy-storage'] === true,
    ...(f['max-downtime'] !== undefined ? { maxDowntimeMs: Number(f['max-downtime']) } : {}),
    ...(f.bandwidth !== undefined ? { bandwidthMiBs: Number(f.bandwidth) } : {}),
  };
}

export function formatMigrated(r: MigrateResult): string {
  const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
  return `${r.vm}: running on ${r.target} (downtime ${r.downtimeMs} ms, total ${(r.totalMs / 1000).toFixed(1)} s, ${mib(r.transferredBytes)} of memory${r.mirroredBytes ? `, ${mib(r.mirroredBytes)} of disks` : ''})`;
}

/** Joins stdin and stdout to the owner's socket (the owner started on demand) until either side ends. */
export async function runStdioBridge(started: Client<HangarApi>, ownerSocket: string): Promise<number> {
  started.dispose();
  const sock = await connectUnixSocket(ownerSocket, { timeoutMs: 5_000 });
  process.stdin.pipe(sock);
  sock.pipe(process.stdout);
  await new Promise<void>((resolve) => {
    sock.on('close', () => resolve());
    process.stdin.on('end', () => sock.end());
    process.stdin.on('close', () => sock.end());
  });
  return 0;
}

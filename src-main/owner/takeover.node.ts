// Taking a home over before owning it, as `hangar serve` does: a headless owner is asked to hand the
// home over (its VMs keep running and are re-attached by the new owner); any other owner is a conflict.
import { HangarError } from '../../src-vmm/base/errors.js';
import { createClient } from '../../src-vmm/base/rpc.js';
import { connectUnix } from '../../src-vmm/base/socketTransport.node.js';
import { existsSync } from 'node:fs';
import { hangarApi } from '../api/contract.js';
import { homePaths } from '../home.js';
import { liveLockHolder } from './lock.node.js';
import type { OwnerKind } from './owner.node.js';

export async function takeOverHome(home: string, to: OwnerKind, opts: { timeoutMs?: number } = {}): Promise<void> {
  const paths = homePaths(home);
  if (!existsSync(paths.ownerSocket)) return;
  let transport;
  try {
    transport = await connectUnix(paths.ownerSocket, { timeoutMs: 3_000 });
  } catch {
    return; // a stale socket: startOwner's lock decides
  }
  const existing = createClient(transport, hangarApi);
  try {
    const info = await existing.call('host.info', {});
    if (info.ownerKind !== 'headless owner') {
      throw new HangarError('OWNER_CONFLICT', `this home is already owned by ${info.ownerKind} (pid ${info.ownerPid})`);
    }
    await existing.call('owner.handover', { to });
  } finally {
    existing.dispose();
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (liveLockHolder(paths.ownerLock)) {
    if (Date.now() > deadline) throw new HangarError('OWNER_CONFLICT', 'the headless owner did not hand the home over within 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

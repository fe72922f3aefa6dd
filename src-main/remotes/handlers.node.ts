// The owner's handlers of the remotes' API (spread into api/handlers.node.ts).
import type { Handlers } from '../../src-vmm/base/rpc.js';
import type { remoteApi } from './contract.js';
import type { RemoteService } from './remoteService.node.js';
import type { RemoteTransfer } from './transfer.node.js';
import type { RemoteMigration } from './migrateRemote.node.js';
import type { RemoteDisplays } from './display.node.js';

export interface RemoteDeps {
  service: RemoteService;
  transfer: RemoteTransfer;
  migration: RemoteMigration;
  displays: RemoteDisplays;
}

export function createRemoteHandlers({ service: remotes, transfer, migration, displays }: RemoteDeps, inventoryChanged: () => void): Handlers<typeof remoteApi> {
  const progressOf = (ctx: { progress: (p: { fraction: number; message?: string }) => void }) => (fraction: number, message?: string) =>
    ctx.progress(message === undefined ? { fraction } : { fraction, message });
  return {
    'remote.send': async ({ ref, remote, pool }, ctx) => transfer.send(ref, remote, pool, { signal: ctx.signal, onProgress: progressOf(ctx) }),
    'remote.fetch': async ({ ref, name }, ctx) => {
      const row = await transfer.fetch(ref, name, { signal: ctx.signal, onProgress: progressOf(ctx) });
      inventoryChanged();
      return { id: row.id, name: row.name };
    },
    'remote.migrate': async (input, ctx) => migration.migrate(input, { signal: ctx.signal, onProgress: progressOf(ctx) }),
    'remote.add': async ({ name, uri }, ctx) => remotes.add(name, uri, ctx.signal),
    'remote.list': async () => ({ remotes: remotes.list() }),
    'remote.remove': async ({ name }) => remotes.remove(name),
    'remote.domains': async ({ remote }) => remotes.domains(remote),
    'remote.action': async ({ ref, action, timeoutS, wait }, ctx) => remotes.action(ref, action, { timeoutS, wait, signal: ctx.signal }),
    'remote.serial': async ({ ref, maxBytes }) => ({ data: (await remotes.serial(ref, maxBytes)).toString('base64') }),
    'remote.typeText': async ({ ref, text, enter }) => {
      await remotes.send(ref, text, enter);
      return null;
    },
    'remote.display': async ({ ref }, ctx) => displays.issue(ref, ctx.signal),
    'remote.snapshotList': async ({ ref }) => remotes.snapshots(ref),
    'remote.snapshotTake': async ({ ref, name, description }, ctx) => remotes.snapshotTake(ref, name, description, ctx.signal),
    'remote.snapshotRevert': async ({ ref, snapshot }, ctx) => remotes.snapshotRevert(ref, snapshot, ctx.signal),
    'remote.snapshotDelete': async ({ ref, snapshot }) => {
      await remotes.snapshotDelete(ref, snapshot);
      return null;
    },
  };
}

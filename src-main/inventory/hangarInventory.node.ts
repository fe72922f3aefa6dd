// The inventory as the owner uses it: the generic SQLite inventory bound to the VM config schema.
import { openDatabase } from './db.node.js';
import { createInventory, type Inventory, type VmRow as GenericVmRow } from './inventory.node.js';
import { validateConfig, formatIssues, migrateConfig, type VmConfig } from '../../src-vmm/model/index.js';
import { createNetworkRepository, type NetworkRepository } from '../networks/networkRepo.node.js';
import { createRemoteRepository, type RemoteRepository } from '../remotes/remoteRepo.node.js';
import { createScheduleRepository, type ScheduleRepository } from '../schedules/scheduleRepo.node.js';

export type HangarInventory = Inventory<VmConfig> & { networks: NetworkRepository; remotes: RemoteRepository; schedules: ScheduleRepository; close(): void };
export type VmRow = GenericVmRow<VmConfig>;

export function openHangarInventory(file: string, log: (line: string) => void): HangarInventory {
  const db = openDatabase(file, { log });
  const inventory = createInventory<VmConfig>(db, {
    log,
    parseConfig: (raw) => {
      let migrated: unknown;
      try {
        migrated = migrateConfig(raw);
      } catch (e) {
        return { ok: false, reason: (e as Error).message };
      }
      const r = validateConfig(migrated);
      return r.ok ? { ok: true, value: r.value } : { ok: false, reason: formatIssues(r.issues) };
    },
  });
  return Object.assign(inventory, { networks: createNetworkRepository(db, log), remotes: createRemoteRepository(db, log), schedules: createScheduleRepository(db, log), close: () => db.close() });
}

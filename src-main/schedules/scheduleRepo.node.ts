// The inventory's snapshot schedules and the automatic snapshots they took (migration 8), over the
// inventory's SQLite connection. Rows are checked on read: one that fails is left out and logged once.
import type Database from 'better-sqlite3';
import type { AutoSnapshot, ScheduleRecord } from './schedule.js';

type Raw = Record<string, unknown>;

export interface ScheduleRepository {
  get(vmId: string): ScheduleRecord | undefined;
  list(): ScheduleRecord[];
  /** adds or replaces a VM's schedule (a new one starts counting from setAt) */
  put(s: Omit<ScheduleRecord, 'lastRunAt' | 'lastResult'>): ScheduleRecord;
  /** returns whether there was one */
  delete(vmId: string): boolean;
  recordRun(vmId: string, at: number, result: string): void;
  recordResult(vmId: string, result: string): void;
  /** a snapshot the schedule took, with the name it gave it */
  markAutomatic(snapshotId: string, vmId: string, takenAs: string): void;
  /** the VM's automatic snapshots, with their names now */
  automatic(vmId: string): AutoSnapshot[];
}

const iso = (ms: number) => new Date(ms).toISOString();

function readSchedule(raw: Raw): ScheduleRecord | string {
  const every = raw.every_seconds;
  const keep = raw.keep;
  const setAt = typeof raw.set_at === 'string' ? Date.parse(raw.set_at) : Number.NaN;
  const last = raw.last_run_at === null ? null : typeof raw.last_run_at === 'string' ? Date.parse(raw.last_run_at) : Number.NaN;
  if (typeof raw.vm_id !== 'string') return 'vm_id is not text';
  if (typeof every !== 'number' || !Number.isInteger(every) || every <= 0) return 'every_seconds is not a positive whole number';
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 1) return 'keep is not a positive whole number';
  if (Number.isNaN(setAt) || (last !== null && Number.isNaN(last))) return 'a time is not ISO 8601';
  if (raw.last_result !== null && typeof raw.last_result !== 'string') return 'last_result is not text';
  return { vmId: raw.vm_id, everySeconds: every, keep, setAt, lastRunAt: last, lastResult: (raw.last_result as string | null) ?? null };
}

export function createScheduleRepository(db: Database.Database, log: (line: string) => void = () => {}): ScheduleRepository {
  const reported = new Set<string>();
  const q = {
    get: db.prepare<[string], Raw>('SELECT * FROM snapshot_schedules WHERE vm_id = ?'),
    all: db.prepare<[], Raw>('SELECT * FROM snapshot_schedules ORDER BY vm_id'),
    put: db.prepare(
      `INSERT INTO snapshot_schedules (vm_id, every_seconds, keep, set_at, last_run_at, last_result) VALUES (@vmId, @every, @keep, @setAt, NULL, NULL)
       ON CONFLICT(vm_id) DO UPDATE SET every_seconds = excluded.every_seconds, keep = excluded.keep, set_at = excluded.set_at, last_run_at = NULL, last_result = NULL`,
    ),
    delete: db.prepare<[string]>('DELETE FROM snapshot_schedules WHERE vm_id = ?'),
    run: db.prepare<[string, string, string]>('UPDATE snapshot_schedules SET last_run_at = ?, last_result = ? WHERE vm_id = ?'),
    result: db.prepare<[string, string]>('UPDATE snapshot_schedules SET last_result = ? WHERE vm_id = ?'),
    mark: db.prepare<[string, string, string]>('INSERT OR REPLACE INTO scheduled_snapshots (snapshot_id, vm_id, taken_as) VALUES (?, ?, ?)'),
    automatic: db.prepare<[string], Raw>(
      `SELECT s.id AS id, s.name AS name, a.taken_as AS taken_as, s.created_at AS created_at
       FROM scheduled_snapshots a JOIN snapshots s ON s.id = a.snapshot_id WHERE a.vm_id = ? ORDER BY s.created_at, s.id`,
    ),
  };
  const read = (raw: Raw | undefined): ScheduleRecord | undefined => {
    if (!raw) return undefined;
    const r = readSchedule(raw);
    if (typeof r !== 'string') return r;
    if (!reported.has(String(raw.vm_id))) {
      reported.add(String(raw.vm_id));
      log(`inventory: the snapshot schedule of VM ${String(raw.vm_id)} is not valid (${r}); it is left out`);
    }
    return undefined;
  };
  return {
    get: (vmId) => read(q.get.get(vmId)),
    list: () => q.all.all().flatMap((raw) => read(raw) ?? []),
    put: (s) => {
      q.put.run({ vmId: s.vmId, every: s.everySeconds, keep: s.keep, setAt: iso(s.setAt) });
      return { ...s, lastRunAt: null, lastResult: null };
    },
    delete: (vmId) => q.delete.run(vmId).changes > 0,
    recordRun: (vmId, at, result) => void q.run.run(iso(at), result, vmId),
    recordResult: (vmId, result) => void q.result.run(result, vmId),
    markAutomatic: (snapshotId, vmId, takenAs) => void q.mark.run(snapshotId, vmId, takenAs),
    automatic: (vmId) =>
      q.automatic.all(vmId).flatMap((raw) =>
        typeof raw.id === 'string' && typeof raw.name === 'string' && typeof raw.taken_as === 'string' && typeof raw.created_at === 'string'
          ? [{ id: raw.id, name: raw.name, takenAs: raw.taken_as, createdAt: raw.created_at }]
          : [],
      ),
  };
}

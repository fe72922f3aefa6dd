// The inventory's remotes (libvirt hosts), over the inventory's SQLite connection. Rows are checked on
// read: one that fails is left out and logged.
import type Database from 'better-sqlite3';
import { HangarError } from '../../src-vmm/base/errors.js';
import { remoteNameProblems, remoteUriProblems } from './model.js';

export interface RemoteRecord {
  id: string;
  name: string;
  uri: string;
  createdAt: string;
}

export interface RemoteRepository {
  /** ALREADY_EXISTS for a name taken (any case) */
  insert(r: RemoteRecord): RemoteRecord;
  /** by name, without regard to case */
  find(name: string): RemoteRecord | undefined;
  list(): RemoteRecord[];
  delete(id: string): boolean;
}

function readRemote(raw: Record<string, unknown>): RemoteRecord | string {
  const { id, name, uri, created_at: createdAt } = raw;
  if (typeof id !== 'string' || typeof name !== 'string' || typeof uri !== 'string' || typeof createdAt !== 'string') return 'a field is missing';
  const problems = [...remoteNameProblems(name), ...remoteUriProblems(uri)];
  if (problems.length) return problems.join('; ');
  return { id, name, uri, createdAt };
}

export function createRemoteRepository(db: Database.Database, log: (line: string) => void = () => {}): RemoteRepository {
  const read = (rows: unknown[]) =>
    rows.flatMap((raw) => {
      const r = readRemote(raw as Record<string, unknown>);
      if (typeof r === 'string') {
        log(`inventory: remote row ${String((raw as Record<string, unknown>).id)} left out: ${r}`);
        return [];
      }
      return [r];
    });
  return {
    insert(r) {
      try {
        db.prepare('INSERT INTO remotes (id, name, name_key, uri, created_at) VALUES (?, ?, ?, ?, ?)').run(r.id, r.name, r.name.toLowerCase(), r.uri, r.createdAt);
      } catch (e) {
        if (/UNIQUE/.test((e as Error).message)) throw new HangarError('ALREADY_EXISTS', `a remote named '${r.name}' exists already`);
        throw e;
      }
      return r;
    },
    find: (name) => read(db.prepare('SELECT * FROM remotes WHERE name_key = ?').all(name.toLowerCase()))[0],
    list: () => read(db.prepare('SELECT * FROM remotes ORDER BY created_at, name').all()),
    delete: (id) => db.prepare('DELETE FROM remotes WHERE id = ?').run(id).changes > 0,
  };
}

// Opens the inventory's SQLite file with the settings Hangar relies on, and brings its schema up to date.
import Database from 'better-sqlite3';
import { closeSync, openSync } from 'node:fs';
import { makePrivate } from '../files/modes.node.js';
import { HangarError } from '../../src-vmm/base/errors.js';
import { LATEST_VERSION, MIGRATIONS, checkMigrations, pendingMigrations, type Migration } from './migrations.js';

export type SqliteDatabase = Database.Database;

/** How long a connection waits for another one's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

export interface OpenDatabaseOptions {
  log?: (line: string) => void;
  /** for tests: another list of migrations */
  migrations?: readonly Migration[];
}

export function openDatabase(file: string, opts: OpenDatabaseOptions = {}): Database.Database {
  const log = opts.log ?? (() => {});
  const migrations = opts.migrations ?? MIGRATIONS;
  const bad = checkMigrations(migrations);
  if (bad) throw new HangarError('INTERNAL', `the inventory's migrations are inconsistent: ${bad}`);
  const latest = opts.migrations ? migrations.length : LATEST_VERSION;

  let db: Database.Database;
  try {
    makeInventoryPrivate(file);
    db = new Database(file);
  } catch (e) {
    throw new HangarError('IO_ERROR', `cannot open the inventory ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // A database from a newer Hangar is refused before anything is written to it (WAL included).
    const found = userVersion(db);
    if (found > latest) throw newerError(file, found, latest);
    // WAL: readers never block the writer nor the writer the readers, so a CLI or a second window can
    // read while the owner writes. It is also what makes synchronous=NORMAL safe (below).
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') log(`inventory ${file}: journal mode is ${String(mode)}, not WAL`);
    // SQLite leaves foreign keys off unless each connection asks; the schema relies on them
    // (cascades on VM delete, images that others are based on cannot be deleted).
    db.pragma('foreign_keys = ON');
    // NORMAL instead of FULL: in WAL mode the database can never be corrupted by a crash or power
    // loss with NORMAL; at worst the last transactions before a power loss roll back. That is safe
    // here because disk files change first and the inventory commits last: a lost commit leaves files
    // that the start-up reconciliation (qemu-img info --backing-chain) finds again. NORMAL saves an
    // fsync per transaction, which task progress updates would otherwise pay.
    db.pragma('synchronous = NORMAL');
    migrate(db, file, migrations, latest, log);
    return db;
  } catch (e) {
    db.close();
    if (e instanceof HangarError) throw e;
    const code = (e as { code?: unknown }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new HangarError('IO_ERROR', `${file} is not a Hangar inventory: it is not an SQLite database, or a damaged one`, { cause: e });
    }
    throw new HangarError('IO_ERROR', `cannot open the inventory ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The inventory is the user's alone: a new file is created 0600 before SQLite opens it, and an
 * existing one (with its -wal and -shm) loses any group or other bits. SQLite creates the -wal and
 * -shm files with the database file's mode, so they follow.
 */
function makeInventoryPrivate(file: string): void {
  closeSync(openSync(file, 'a', 0o600)); // creates it when missing; an existing file is not touched
  for (const f of [file, `${file}-wal`, `${file}-shm`]) makePrivate(f);
}

function userVersion(db: Database.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

function newerError(file: string, version: number, latest: number): HangarError {
  return new HangarError(
    'UNSUPPORTED',
    `the inventory ${file} was written by a newer Hangar (schema version ${version}; this one knows up to ${latest}): use the newer Hangar, or another HANGAR_HOME`,
    { details: { file, version, latest } },
  );
}

function migrate(db: Database.Database, file: string, migrations: readonly Migration[], latest: number, log: (line: string) => void): void {
  if (userVersion(db) === latest) return;
  // IMMEDIATE takes the write lock first, so two processes opening a new home at once do not both
  // migrate: the second one waits, then sees the version the first one wrote.
  const run = db.transaction(() => {
    const current = userVersion(db);
    if (current > latest) throw newerError(file, current, latest);
    const pending = pendingMigrations(current, migrations);
    for (const m of pending) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
    return { from: current, applied: pending };
  });
  const { from, applied } = run.immediate();
  if (applied.length) log(`inventory ${file}: schema ${from} → ${latest} (${applied.map((m) => `${m.version} ${m.name}`).join('; ')})`);
}

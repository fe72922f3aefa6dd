import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LATEST_VERSION, MIGRATIONS, checkMigrations, pendingMigrations } from '../../../../src-main/inventory/migrations.js';

test('migrations are numbered 1, 2, 3, … without gaps', () => {
  assert.equal(checkMigrations(MIGRATIONS), undefined);
  assert.equal(LATEST_VERSION, MIGRATIONS.length);
  assert.match(checkMigrations([{ version: 1, name: 'a', sql: 'x' }, { version: 3, name: 'c', sql: 'y' }]) ?? '', /'c' has version 3, expected 2/);
  assert.match(checkMigrations([{ version: 1, name: 'a', sql: '  ' }]) ?? '', /no SQL/);
});

test('pendingMigrations: the ones above the current version, in order', () => {
  const list = [
    { version: 2, name: 'b', sql: 'b' },
    { version: 1, name: 'a', sql: 'a' },
    { version: 3, name: 'c', sql: 'c' },
  ];
  assert.deepEqual(pendingMigrations(0, list).map((m) => m.version), [1, 2, 3]);
  assert.deepEqual(pendingMigrations(2, list).map((m) => m.version), [3]);
  assert.deepEqual(pendingMigrations(3, list), []);
  assert.deepEqual(pendingMigrations(0).map((m) => m.version), MIGRATIONS.map((m) => m.version));
  assert.deepEqual(pendingMigrations(LATEST_VERSION), []);
});

test('schema v1 declares the tables and foreign keys the inventory relies on', () => {
  const sql = MIGRATIONS[0]!.sql;
  for (const table of ['vms', 'images', 'snapshots', 'vm_current_snapshot', 'tasks', 'quarantine']) assert.match(sql, new RegExp(`CREATE TABLE ${table} \\(`));
  assert.match(sql, /name_key\s+TEXT NOT NULL UNIQUE/);
  assert.match(sql, /vm_id\s+TEXT REFERENCES vms\(id\) ON DELETE CASCADE/);
  assert.match(sql, /backing_path TEXT REFERENCES images\(path\),/);
});

test('a later migration records whether a snapshot was quiesced, defaulting old rows to not', () => {
  const m = MIGRATIONS.find((x) => x.name === 'snapshots: quiesced');
  assert.ok(m, 'the migration exists');
  assert.equal(m.version, 4, 'after main\'s 2 (task subject and outcome) and 3 (snapshot facts)');
  assert.match(m.sql, /ALTER TABLE snapshots ADD COLUMN quiesced INTEGER NOT NULL DEFAULT 0/);
});

test('the image library migration declares its table (found by name: numbers change when features merge)', () => {
  const m = MIGRATIONS.find((x) => x.name === 'the image library');
  assert.ok(m);
  assert.match(m.sql, /CREATE TABLE library_images \(/);
  assert.match(m.sql, /name_key\s+TEXT NOT NULL UNIQUE/);
  assert.match(m.sql, /path\s+TEXT NOT NULL UNIQUE/);
});

// The inventory on real SQLite files: schema migrations, constraints, quarantine, transactions, WAL.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { isHangarError } from '../../src-vmm/base/errors.js';
import { openDatabase } from '../../src-main/inventory/db.node.js';
import { createInventory, type Inventory } from '../../src-main/inventory/inventory.node.js';
import { LATEST_VERSION, MIGRATIONS } from '../../src-main/inventory/migrations.js';

const TestConfig = z.object({ id: z.string().min(1), name: z.string().min(1), cpus: z.number().int().positive() }).strict();
type TestConfig = z.infer<typeof TestConfig>;

const parseConfig = (raw: unknown) => {
  const r = TestConfig.safeParse(raw);
  return r.success ? ({ ok: true, value: r.data } as const) : ({ ok: false, reason: r.error.issues.map((i) => i.message).join('; ') } as const);
};

const root = mkdtempSync(join(tmpdir(), 'hangar-inventory-'));
let n = 0;
/** A fresh database file, its inventory and the log lines it wrote. */
function fresh(file = join(root, `inv-${++n}.sqlite`)) {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const db = openDatabase(file, { log });
  const inv: Inventory<TestConfig> = createInventory(db, { parseConfig, log });
  return { file, db, inv, lines };
}
const cfg = (id: string, name: string, cpus = 1): TestConfig => ({ id, name, cpus });
const rejectsWith = (fn: () => unknown, code: string, message?: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(isHangarError(e), `expected a HangarError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });

after(() => rmSync(root, { recursive: true, force: true }));

describe('inventory database', () => {
  test('a new file gets the whole schema and the settings Hangar relies on', () => {
    const { db, lines } = fresh();
    try {
      assert.equal(db.pragma('user_version', { simple: true }), LATEST_VERSION);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(db.pragma('synchronous', { simple: true }), 1, 'NORMAL');
      assert.ok(Number(db.pragma('busy_timeout', { simple: true })) >= 1000);
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
      assert.deepEqual(tables, ['images', 'library_images', 'network_reservations', 'networks', 'quarantine', 'remotes', 'scheduled_snapshots', 'snapshot_schedules', 'snapshots', 'tasks', 'vm_current_snapshot', 'vms']);
      assert.ok(lines.some((l) => new RegExp(`schema 0 → ${LATEST_VERSION}`).test(l)), lines.join('\n'));
    } finally {
      db.close();
    }
  });

  test('an inventory of schema 1 opens under the newest: its snapshots read back, with no facts', () => {
    const file = join(root, `inv-v1-${++n}.sqlite`);
    const raw = new Database(file);
    raw.exec(MIGRATIONS[0]!.sql);
    raw.pragma('user_version = 1');
    const now = new Date().toISOString();
    raw.prepare('INSERT INTO vms (id, name, name_key, config, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run('vm-1', 'Old', 'old', JSON.stringify(cfg('vm-1', 'Old')), 'stopped', now, now);
    raw
      .prepare('INSERT INTO snapshots (id, vm_id, parent_id, name, description, created_at, config, live, state_file, disks) VALUES (?, ?, NULL, ?, ?, ?, ?, 1, ?, ?)')
      .run('s-1', 'vm-1', 'before', '', now, JSON.stringify(cfg('vm-1', 'Old')), '/x.vmstate', '[]');
    raw.close();
    const { db, inv } = fresh(file);
    try {
      assert.equal(db.pragma('user_version', { simple: true }), LATEST_VERSION);
      const [snap] = inv.snapshots.listForVm('vm-1');
      assert.equal(snap?.name, 'before');
      assert.deepEqual(snap?.facts, {});
      inv.snapshots.insert({ id: 's-2', vmId: 'vm-1', parentId: 's-1', name: 'after', config: cfg('vm-1', 'Old'), live: true, disks: [], facts: { liveMethod: 'background', pauseMs: 12 } });
      assert.deepEqual(inv.snapshots.get('s-2')?.facts, { liveMethod: 'background', pauseMs: 12 });
    } finally {
      db.close();
    }
  });

  test('reopening keeps the data and runs no migration again', () => {
    const a = fresh();
    a.inv.vms.insert({ config: cfg('vm-1', 'Alpha'), state: 'stopped' });
    a.inv.tasks.create({ id: 't1', kind: 'vm.create', vmId: 'vm-1', vmName: 'Alpha' });
    a.db.close();
    const b = fresh(a.file);
    try {
      assert.deepEqual(b.lines, []);
      assert.equal(b.inv.vms.get('vm-1')?.name, 'Alpha');
      assert.equal(b.inv.tasks.get('t1')?.state, 'running');
    } finally {
      b.db.close();
    }
  });

  test('a database from a newer Hangar is refused and left untouched', () => {
    const file = join(root, 'newer.sqlite');
    const raw = new Database(file);
    raw.exec('CREATE TABLE future (x)');
    raw.pragma(`user_version = ${LATEST_VERSION + 1}`);
    raw.close();
    rejectsWith(() => openDatabase(file), 'UNSUPPORTED', new RegExp(`newer Hangar \\(schema version ${LATEST_VERSION + 1}; this one knows up to ${LATEST_VERSION}\\)`));
    const check = new Database(file, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), LATEST_VERSION + 1);
    assert.equal(check.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'vms'").pluck().get(), 0);
    assert.equal(check.pragma('journal_mode', { simple: true }), 'delete', 'not even switched to WAL');
    check.close();
  });

  test('a file that is not SQLite is refused with a clear error', () => {
    const file = join(root, 'not-a-db.sqlite');
    writeFileSync(file, 'these are notes, not a database\n'.repeat(200));
    rejectsWith(() => openDatabase(file), 'IO_ERROR', /is not a Hangar inventory/);
  });
});

describe('inventory VMs', () => {
  test('names are unique without regard to case; refs match an id or a name in any case', () => {
    const { db, inv } = fresh();
    try {
      const alpha = inv.vms.insert({ config: cfg('vm-a', 'Alpha'), state: 'stopped' });
      assert.equal(alpha.name, 'Alpha');
      assert.equal(alpha.state, 'stopped');
      assert.equal(alpha.accelerator, null);
      assert.match(alpha.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      rejectsWith(() => inv.vms.insert({ config: cfg('vm-b', 'ALPHA'), state: 'stopped' }), 'ALREADY_EXISTS', /^a VM named 'Alpha' already exists$/);
      rejectsWith(() => inv.vms.insert({ config: cfg('vm-a', 'Other'), state: 'stopped' }), 'ALREADY_EXISTS', /id 'vm-a'/);
      inv.vms.insert({ config: cfg('vm-b', 'Beta'), state: 'stopped' });
      assert.equal(inv.vms.findByRef('alpha')?.id, 'vm-a');
      assert.equal(inv.vms.findByRef('vm-b')?.name, 'Beta');
      assert.equal(inv.vms.findByRef('gamma'), undefined);
      // A VM may change the case of its own name, not take another's.
      assert.equal(inv.vms.updateConfig('vm-a', cfg('vm-a', 'ALPHA', 2)).name, 'ALPHA');
      rejectsWith(() => inv.vms.updateConfig('vm-b', cfg('vm-b', 'alpha')), 'ALREADY_EXISTS', /^a VM named 'ALPHA' already exists$/);
      assert.equal(inv.vms.get('vm-b')?.name, 'Beta');
      const renamed = inv.vms.updateConfig('vm-b', cfg('vm-b', 'Gamma', 4));
      assert.deepEqual({ name: renamed.name, cpus: renamed.config.cpus }, { name: 'Gamma', cpus: 4 });
      assert.equal(inv.vms.findByName('gamma')?.id, 'vm-b');
      assert.equal(inv.vms.findByName('beta'), undefined);
      rejectsWith(() => inv.vms.updateConfig('vm-zz', cfg('vm-zz', 'Z')), 'NOT_FOUND');
      rejectsWith(() => inv.vms.updateConfig('vm-a', cfg('vm-b', 'Z')), 'INVALID_INPUT');
      rejectsWith(() => inv.vms.insert({ config: { id: 'vm-c', name: 'C', cpus: 0 }, state: 'stopped' }), 'INVALID_INPUT', /not valid/);
      assert.deepEqual(inv.vms.list().map((v) => v.name), ['ALPHA', 'Gamma']);
    } finally {
      db.close();
    }
  });

  test('state, reason and accelerator', () => {
    const { db, inv } = fresh();
    try {
      inv.vms.insert({ config: cfg('vm-s', 'S'), state: 'stopped' });
      inv.vms.setState('vm-s', 'starting', undefined, 'tcg');
      assert.deepEqual(pick(inv.vms.get('vm-s')!), { state: 'starting', stateReason: null, accelerator: 'tcg' });
      inv.vms.setState('vm-s', 'aborted', 'QEMU exited with code 1');
      assert.deepEqual(pick(inv.vms.get('vm-s')!), { state: 'aborted', stateReason: 'QEMU exited with code 1', accelerator: 'tcg' });
      inv.vms.setState('vm-s', 'stopped', undefined, null);
      assert.deepEqual(pick(inv.vms.get('vm-s')!), { state: 'stopped', stateReason: null, accelerator: null });
      rejectsWith(() => inv.vms.setState('vm-s', 'flying' as never), 'INVALID_INPUT', /unknown VM state 'flying'/);
      rejectsWith(() => inv.vms.setState('nope', 'stopped'), 'NOT_FOUND');
    } finally {
      db.close();
    }
    function pick(r: { state: string; stateReason: string | null; accelerator: string | null }) {
      return { state: r.state, stateReason: r.stateReason, accelerator: r.accelerator };
    }
  });

  test('a corrupted VM row is quarantined with its reason, logged, and left out; the rest loads', () => {
    const { db, inv, lines } = fresh();
    try {
      inv.vms.insert({ config: cfg('vm-good', 'Good'), state: 'stopped' });
      inv.vms.insert({ config: cfg('vm-bad', 'Bad'), state: 'stopped' });
      inv.vms.insert({ config: cfg('vm-odd', 'Odd'), state: 'stopped' });
      inv.images.add({ path: '/vms/bad/disk0.qcow2', vmId: 'vm-bad', format: 'qcow2', virtualSize: 1 << 20, owned: true, role: 'disk' });
      db.prepare("UPDATE vms SET config = '{\"id\": \"vm-bad\", \"name\": ' WHERE id = 'vm-bad'").run();
      db.prepare("UPDATE vms SET state = 'levitating' WHERE id = 'vm-odd'").run();

      assert.deepEqual(inv.vms.list().map((v) => v.id), ['vm-good']);
      const q = inv.quarantine.list();
      assert.equal(q.length, 2);
      assert.equal(q[0]!.source, 'vms');
      assert.match(q[0]!.reason, /config is not valid JSON/);
      assert.match(q[1]!.reason, /unknown state 'levitating'/);
      const kept = JSON.parse(q[0]!.row) as { vm: { id: string; config: string }; images: { path: string }[] };
      assert.equal(kept.vm.id, 'vm-bad');
      assert.equal(kept.vm.config, '{"id": "vm-bad", "name": ');
      assert.deepEqual(kept.images.map((i) => i.path), ['/vms/bad/disk0.qcow2']);
      assert.ok(lines.some((l) => /VM 'vm-bad' \(Bad\) moved to quarantine: config is not valid JSON/.test(l)), lines.join('\n'));
      // Moved, not copied: later reads neither see it nor quarantine it again.
      assert.equal(db.prepare('SELECT count(*) FROM vms').pluck().get(), 1);
      assert.equal(inv.vms.get('vm-bad'), undefined);
      assert.equal(inv.vms.findByRef('Bad'), undefined);
      assert.equal(inv.quarantine.list().length, 2);
      // The image row stays (its file still exists), detached from the VM.
      assert.equal(inv.images.get('/vms/bad/disk0.qcow2')?.vmId, null);
      // The name is free again.
      assert.equal(inv.vms.insert({ config: cfg('vm-new', 'bad'), state: 'stopped' }).name, 'bad');
    } finally {
      db.close();
    }
  });

  test('a config that fails validation, or belongs to another id, is quarantined too', () => {
    const { db, inv } = fresh();
    try {
      inv.vms.insert({ config: cfg('vm-1', 'One'), state: 'stopped' });
      inv.vms.insert({ config: cfg('vm-2', 'Two'), state: 'stopped' });
      db.prepare(`UPDATE vms SET config = '{"id":"vm-1","name":"One","cpus":-3}' WHERE id = 'vm-1'`).run();
      db.prepare(`UPDATE vms SET config = '{"id":"vm-9","name":"Two","cpus":1}' WHERE id = 'vm-2'`).run();
      assert.equal(inv.vms.get('vm-1'), undefined);
      assert.equal(inv.vms.findByRef('two'), undefined);
      assert.deepEqual(
        inv.quarantine.list().map((r) => r.reason),
        ['config is not valid: Too small: expected number to be >0', "config is for VM 'vm-9', not 'vm-2'"],
      );
    } finally {
      db.close();
    }
  });
});

describe('inventory VM list: only what changed is parsed again', () => {
  test('the same columns give the same frozen row; a write by this connection, by another or rolled back is seen', () => {
    const file = join(root, `inv-${++n}.sqlite`);
    let parses = 0;
    const counting = (raw: unknown) => {
      parses++;
      return parseConfig(raw);
    };
    const open = () => {
      const db = openDatabase(file, { log: () => undefined });
      return { db, inv: createInventory<TestConfig>(db, { parseConfig: counting, log: () => undefined }) };
    };
    const a = open();
    const b = open();
    try {
      for (let i = 0; i < 50; i++) a.inv.vms.insert({ config: cfg(`vm-${i}`, `VM ${i}`), state: 'stopped' });
      const first = a.inv.vms.list();
      const counted = parses;
      const again = a.inv.vms.list();
      assert.equal(parses, counted, 'an unchanged list parses nothing');
      assert.notEqual(again, first, 'each list is a new array');
      assert.equal(again[7], first[7], 'an unchanged VM keeps its row');
      assert.ok(Object.isFrozen(again[7]) && Object.isFrozen(again[7]!.config), 'shared rows are frozen');
      assert.throws(() => ((again[7]!.config as { cpus: number }).cpus = 9));

      // This connection writes: one row is parsed again.
      a.inv.vms.setState('vm-3', 'running', undefined, 'tcg');
      const afterWrite = a.inv.vms.list();
      assert.equal(parses, counted + 1);
      assert.equal(afterWrite.find((v) => v.id === 'vm-3')!.state, 'running');
      assert.equal(afterWrite[7], first[7]);

      // Another connection writes: this one sees it.
      b.inv.vms.updateConfig('vm-4', cfg('vm-4', 'Renamed', 2));
      const seen = a.inv.vms.list().find((v) => v.id === 'vm-4')!;
      assert.deepEqual([seen.name, seen.config.cpus], ['Renamed', 2]);

      // A list inside a transaction that is rolled back is not kept.
      assert.throws(() =>
        a.inv.transaction(() => {
          a.inv.vms.setState('vm-5', 'running', undefined, 'tcg');
          assert.equal(a.inv.vms.list().find((v) => v.id === 'vm-5')!.state, 'running');
          throw new Error('roll back');
        }),
      );
      assert.equal(a.inv.vms.list().find((v) => v.id === 'vm-5')!.state, 'stopped');

      // A deleted VM leaves the list.
      a.inv.vms.delete('vm-6');
      assert.equal(a.inv.vms.list().length, 49);
      assert.equal(b.inv.vms.list().length, 49);
    } finally {
      b.db.close();
      a.db.close();
    }
  });
});

describe('inventory images and snapshots', () => {
  test('foreign keys: deleting a VM cascades to its images, snapshots and current pointer', () => {
    const { db, inv } = fresh();
    try {
      inv.vms.insert({ config: cfg('vm-1', 'One'), state: 'stopped' });
      inv.images.add({ path: '/v/1/frozen.qcow2', vmId: 'vm-1', format: 'qcow2', virtualSize: 1 << 30, owned: true, role: 'frozen' });
      inv.images.add({ path: '/v/1/top.qcow2', vmId: 'vm-1', format: 'qcow2', virtualSize: 1 << 30, backingPath: '/v/1/frozen.qcow2', owned: true, role: 'disk' });
      const s1 = inv.snapshots.insert({ id: 's1', vmId: 'vm-1', parentId: null, name: 'first', config: cfg('vm-1', 'One'), live: false, disks: [{ diskId: 'disk0', path: '/v/1/frozen.qcow2', format: 'qcow2' }] });
      inv.snapshots.insert({ id: 's2', vmId: 'vm-1', parentId: 's1', name: 'second', config: cfg('vm-1', 'One', 2), live: true, stateFile: '/v/1/s2.vmstate', disks: [] });
      inv.snapshots.setCurrent('vm-1', 's2');
      assert.equal(s1.description, '');
      assert.equal(inv.snapshots.current('vm-1')?.name, 'second');
      assert.deepEqual(inv.images.dependents('/v/1/frozen.qcow2').map((i) => i.path), ['/v/1/top.qcow2']);

      // The database itself refuses dangling references (foreign_keys=ON on every connection).
      assert.throws(() => db.prepare("INSERT INTO images VALUES ('/x', 'no-such-vm', 'qcow2', 1, NULL, 0, 'disk', 'now')").run(), /FOREIGN KEY/);

      assert.equal(inv.vms.delete('vm-1'), true);
      for (const table of ['vms', 'images', 'snapshots', 'vm_current_snapshot']) {
        assert.equal(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get(), 0, table);
      }
      assert.equal(inv.vms.delete('vm-1'), false);
    } finally {
      db.close();
    }
  });

  test('shared images cannot be deleted under the images based on them', () => {
    const { db, inv } = fresh();
    try {
      inv.vms.insert({ config: cfg('vm-src', 'Source'), state: 'stopped' });
      inv.vms.insert({ config: cfg('vm-clone', 'Clone'), state: 'stopped' });
      inv.images.add({ path: '/v/src/frozen.qcow2', vmId: 'vm-src', format: 'qcow2', virtualSize: 1 << 30, owned: true, role: 'frozen' });
      inv.images.add({ path: '/v/clone/top.qcow2', vmId: 'vm-clone', format: 'qcow2', virtualSize: 1 << 30, backingPath: '/v/src/frozen.qcow2', owned: true, role: 'disk' });
      rejectsWith(() => inv.vms.delete('vm-src'), 'STATE_CONFLICT', /VM 'Source' cannot be deleted: 1 image\(s\) of other VMs are based on its disks \(linked clones\), such as \/v\/clone\/top\.qcow2/);
      rejectsWith(() => inv.images.delete('/v/src/frozen.qcow2'), 'STATE_CONFLICT', /still the base of 1 other image/);
      assert.ok(inv.vms.get('vm-src'));
      rejectsWith(() => inv.images.add({ path: '/v/x.qcow2', vmId: null, format: 'qcow2', virtualSize: 1, backingPath: '/v/none.qcow2', owned: false, role: 'base' }), 'NOT_FOUND', /backing image \/v\/none\.qcow2/);
      rejectsWith(() => inv.images.add({ path: '/v/src/frozen.qcow2', vmId: null, format: 'qcow2', virtualSize: 1, owned: false, role: 'base' }), 'ALREADY_EXISTS');
      rejectsWith(() => inv.images.add({ path: 'relative.qcow2', vmId: null, format: 'qcow2', virtualSize: 1, owned: false, role: 'base' }), 'INVALID_INPUT', /absolute/);
      rejectsWith(() => inv.images.setBacking('/v/src/frozen.qcow2', '/v/clone/top.qcow2'), 'INVALID_INPUT', /would loop/);
      // Once the clone is gone, the source can go.
      assert.equal(inv.vms.delete('vm-clone'), true);
      assert.equal(inv.vms.delete('vm-src'), true);
    } finally {
      db.close();
    }
  });

  test("an image's virtual size follows a resize; an unknown path or a bad size is refused and changes nothing", () => {
    const { db, inv } = fresh();
    try {
      inv.vms.insert({ config: cfg('vm-r', 'Resized'), state: 'stopped' });
      inv.images.add({ path: '/v/r/disk0.qcow2', vmId: 'vm-r', format: 'qcow2', virtualSize: 1 << 30, owned: true, role: 'disk' });
      inv.images.setVirtualSize('/v/r/disk0.qcow2', 3 * 2 ** 30);
      assert.equal(inv.images.get('/v/r/disk0.qcow2')?.virtualSize, 3 * 2 ** 30);
      rejectsWith(() => inv.images.setVirtualSize('/v/r/none.qcow2', 1 << 30), 'NOT_FOUND', /not in the inventory/);
      for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) rejectsWith(() => inv.images.setVirtualSize('/v/r/disk0.qcow2', bad), 'INVALID_INPUT', /whole number of bytes/);
      assert.equal(inv.images.get('/v/r/disk0.qcow2')?.virtualSize, 3 * 2 ** 30);
    } finally {
      db.close();
    }
  });

  test('snapshot tree: children and the current snapshot are protected', () => {
    const { db, inv } = fresh();
    try {
      inv.vms.insert({ config: cfg('vm-1', 'One'), state: 'stopped' });
      inv.vms.insert({ config: cfg('vm-2', 'Two'), state: 'stopped' });
      const base = { vmId: 'vm-1', config: cfg('vm-1', 'One'), live: false, disks: [] };
      inv.snapshots.insert({ ...base, id: 'a', parentId: null, name: 'a' });
      inv.snapshots.insert({ ...base, id: 'b', parentId: 'a', name: 'b' });
      inv.snapshots.insert({ ...base, id: 'c', parentId: 'b', name: 'c', description: 'after the update' });
      inv.snapshots.setCurrent('vm-1', 'c');
      rejectsWith(() => inv.snapshots.insert({ ...base, vmId: 'vm-2', config: cfg('vm-2', 'Two'), id: 'x', parentId: 'a', name: 'x' }), 'INVALID_INPUT', /belongs to another VM/);
      rejectsWith(() => inv.snapshots.setCurrent('vm-2', 'a'), 'INVALID_INPUT');
      rejectsWith(() => inv.snapshots.delete('a'), 'STATE_CONFLICT', /has 1 child snapshot/);
      rejectsWith(() => inv.snapshots.delete('c'), 'STATE_CONFLICT', /current snapshot/);
      rejectsWith(() => inv.snapshots.update('a', { parentId: 'c' }), 'INVALID_INPUT', /under itself or one of its descendants/);
      // Delete b the way a merge does: move its child up, then drop it.
      inv.snapshots.update('c', { parentId: 'a' });
      assert.equal(inv.snapshots.delete('b'), true);
      assert.deepEqual(inv.snapshots.listForVm('vm-1').map((s) => [s.id, s.parentId]), [['a', null], ['c', 'a']]);
      assert.deepEqual(inv.snapshots.children('a').map((s) => s.description), ['after the update']);
      inv.snapshots.setCurrent('vm-1', null);
      assert.equal(inv.snapshots.current('vm-1'), undefined);
    } finally {
      db.close();
    }
  });
});

describe('inventory transactions and tasks', () => {
  test('a throw inside transaction() rolls everything back', () => {
    const { db, inv } = fresh();
    try {
      assert.throws(
        () =>
          inv.transaction(() => {
            inv.vms.insert({ config: cfg('vm-t', 'T'), state: 'stopped' });
            inv.images.add({ path: '/v/t.qcow2', vmId: 'vm-t', format: 'qcow2', virtualSize: 1, owned: true, role: 'disk' });
            throw new Error('the disk conversion failed');
          }),
        /the disk conversion failed/,
      );
      assert.equal(inv.vms.get('vm-t'), undefined);
      assert.equal(inv.images.get('/v/t.qcow2'), undefined);
      // Nested: the inner failure is caught; only its part rolls back.
      inv.transaction(() => {
        inv.vms.insert({ config: cfg('vm-o', 'Outer'), state: 'stopped' });
        assert.throws(() => inv.transaction(() => (inv.vms.insert({ config: cfg('vm-i', 'Inner'), state: 'stopped' }), inv.vms.insert({ config: cfg('vm-j', 'outer'), state: 'stopped' }))));
      });
      assert.deepEqual(inv.vms.list().map((v) => v.id), ['vm-o']);
    } finally {
      db.close();
    }
  });

  test('tasks: progress, phases, ends, and the ones a dead owner left running', () => {
    let t = Date.parse('2025-01-01T00:00:00.000Z');
    const file = join(root, 'tasks.sqlite');
    const db = openDatabase(file);
    const inv = createInventory(db, { parseConfig, now: () => new Date((t += 1000)) });
    try {
      inv.tasks.create({ id: 't1', kind: 'vm.create', vmId: 'vm-1', vmName: 'One' });
      inv.tasks.create({ id: 't2', kind: 'disk.convert' });
      inv.tasks.create({ id: 't3', kind: 'vm.export', vmId: 'vm-1', vmName: 'One' });
      assert.equal(inv.tasks.update('t1', { progress: 0.25, phase: 'converting', message: 'disk0' }), true);
      assert.equal(inv.tasks.update('t1', { progress: 7 }), true);
      assert.equal(inv.tasks.get('t1')?.progress, 1);
      assert.equal(inv.tasks.get('t1')?.phase, 'converting');
      assert.equal(inv.tasks.update('nope', { progress: 0.5 }), false);
      inv.tasks.finish('t2', 'failed', 'qemu-img could not convert x');
      rejectsWith(() => inv.tasks.finish('t3', 'running' as never), 'INVALID_INPUT');

      // The owner dies here; the next one marks what was running.
      assert.equal(inv.tasks.markInterrupted(), 2);
      assert.equal(inv.tasks.markInterrupted(), 0);
      const list = inv.tasks.list({ limit: 10 });
      assert.deepEqual(list.map((x) => [x.id, x.state]), [['t3', 'interrupted'], ['t2', 'failed'], ['t1', 'interrupted']]);
      assert.match(list[0]!.error ?? '', /stopped before it ended/);
      assert.equal(list[0]!.vm, 'One');
      assert.ok(list[0]!.finishedAt);
      assert.equal(list[1]!.error, 'qemu-img could not convert x');
      assert.equal(inv.tasks.list({ limit: 1 }).length, 1);
      assert.equal(inv.tasks.list({ limit: 1 })[0]!.startedAt, '2025-01-01T00:00:03.000Z');
      // What a task is about and how it ended are kept with it (migration 2).
      inv.tasks.create({ id: 't4', kind: 'snapshot.take', vmId: 'vm-1', vmName: 'One', subject: 'C-branch' });
      inv.tasks.finish('t4', 'succeeded', null, 'taken with the running state');
      assert.deepEqual([inv.tasks.get('t4')?.subject, inv.tasks.get('t4')?.outcome], ['C-branch', 'taken with the running state']);
      assert.deepEqual([inv.tasks.get('t1')?.subject, inv.tasks.get('t1')?.outcome], [null, null]);
    } finally {
      db.close();
    }
  });

  test('two connections (WAL): one reads the last committed state while the other writes', () => {
    const a = fresh();
    const b = fresh(a.file);
    try {
      a.inv.vms.insert({ config: cfg('vm-1', 'One'), state: 'stopped' });
      assert.deepEqual(b.inv.vms.list().map((v) => v.id), ['vm-1']);
      a.db.exec('BEGIN IMMEDIATE');
      a.inv.vms.insert({ config: cfg('vm-2', 'Two'), state: 'stopped' });
      a.inv.vms.setState('vm-1', 'running', undefined, 'tcg');
      // B is not blocked by A's open write transaction and sees only what was committed. With no
      // busy timeout, a read that had to wait for the writer would fail at once with SQLITE_BUSY.
      const busyTimeout = b.db.pragma('busy_timeout', { simple: true });
      b.db.pragma('busy_timeout = 0');
      assert.deepEqual(b.inv.vms.list().map((v) => [v.id, v.state]), [['vm-1', 'stopped']]);
      b.db.pragma(`busy_timeout = ${Number(busyTimeout)}`);
      a.db.exec('COMMIT');
      assert.deepEqual(b.inv.vms.list().map((v) => [v.id, v.state]), [['vm-1', 'running'], ['vm-2', 'stopped']]);
      // And the other way round.
      b.inv.vms.delete('vm-2');
      assert.equal(a.inv.vms.get('vm-2'), undefined);
    } finally {
      b.db.close();
      a.db.close();
    }
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze, nameKey, parseImageRow, parseSnapshotRow, parseTaskRow, parseVmRow, sameColumns } from '../../../../src-main/inventory/rows.js';

type Cfg = { id: string; name: string };
const parseConfig = (raw: unknown) => {
  const c = raw as Partial<Cfg> | null;
  return c && typeof c.id === 'string' && typeof c.name === 'string' && c.name.length > 0
    ? ({ ok: true, value: { id: c.id, name: c.name } } as const)
    : ({ ok: false, reason: 'name is missing' } as const);
};

const vmRow = {
  rid: 1,
  id: 'vm-1',
  name: 'One',
  name_key: 'one',
  config: '{"id":"vm-1","name":"One"}',
  state: 'running',
  state_reason: null,
  accelerator: 'tcg',
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T00:00:00.000Z',
};

test('nameKey ignores case and Unicode composition', () => {
  assert.equal(nameKey('Ubuntu Server'), nameKey('UBUNTU server'));
  assert.equal(nameKey('Caf\u00e9'), nameKey('CAFE\u0301'));
  assert.notEqual(nameKey('a'), nameKey('b'));
});

describe('parseVmRow', () => {
  test('a good row', () => {
    const r = parseVmRow(vmRow, parseConfig);
    assert.ok(r.ok);
    assert.deepEqual(r.value, {
      id: 'vm-1',
      name: 'One',
      config: { id: 'vm-1', name: 'One' },
      state: 'running',
      stateReason: null,
      accelerator: 'tcg',
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
      group: '/',
      tags: [],
    });
  });

  test('a group and tags; damaged ones read as none (the VM is kept)', () => {
    const ok = parseVmRow({ ...vmRow, group_path: '/lab/web', tags: '["a","b"]' }, parseConfig);
    assert.ok(ok.ok);
    assert.deepEqual([ok.value.group, ok.value.tags], ['/lab/web', ['a', 'b']]);
    for (const [g, t] of [['lab', '[1]'], ['/a//b', '{'], [null, '["has space"]']] as const) {
      const r = parseVmRow({ ...vmRow, group_path: g, tags: t }, parseConfig);
      assert.ok(r.ok);
      assert.deepEqual([r.value.group, r.value.tags], ['/', []]);
    }
  });

  const reason = (row: object) => {
    const r = parseVmRow(row, parseConfig);
    assert.ok(!r.ok);
    return r.reason;
  };

  test('each kind of damage gives a reason', () => {
    assert.match(reason({ ...vmRow, config: '{"id":' }), /^config is not valid JSON/);
    assert.equal(reason({ ...vmRow, config: '{"id":"vm-1"}' }), 'config is not valid: name is missing');
    assert.equal(reason({ ...vmRow, config: '{"id":"vm-2","name":"One"}' }), "config is for VM 'vm-2', not 'vm-1'");
    assert.equal(reason({ ...vmRow, state: 'flying' }), "unknown state 'flying'");
    assert.match(reason({ ...vmRow, config: 42 }), /^malformed row \(config: /);
    assert.match(reason({ ...vmRow, id: null }), /^malformed row \(id: /);
  });

  test('a damaged accelerator is dropped, not fatal; the config name wins over the column', () => {
    const r = parseVmRow({ ...vmRow, accelerator: 'hvf', name: 'stale' }, parseConfig);
    assert.ok(r.ok);
    assert.equal(r.value.accelerator, null);
    assert.equal(r.value.name, 'One');
  });
});

test('parseImageRow', () => {
  const row = { path: '/v/a.qcow2', vm_id: 'vm-1', format: 'qcow2', virtual_size: 1024, backing_path: null, owned: 1, role: 'disk', created_at: 't' };
  assert.deepEqual(parseImageRow(row), {
    ok: true,
    value: { path: '/v/a.qcow2', vmId: 'vm-1', format: 'qcow2', virtualSize: 1024, backingPath: null, owned: true, role: 'disk', createdAt: 't' },
  });
  assert.equal(parseImageRow({ ...row, role: 'mystery' }).ok, false);
  assert.equal(parseImageRow({ ...row, virtual_size: -1 }).ok, false);
  assert.equal(parseImageRow({ ...row, owned: 2 }).ok, false);
});

test('parseSnapshotRow', () => {
  const row = {
    id: 's1',
    vm_id: 'vm-1',
    parent_id: null,
    name: 'clean install',
    description: '',
    created_at: 't',
    config: '{"id":"vm-1","name":"One"}',
    live: 0,
    state_file: null,
    disks: '[{"diskId":"disk0","path":"/v/s1.qcow2","format":"qcow2"}]',
  };
  const r = parseSnapshotRow(row, parseConfig);
  assert.ok(r.ok);
  assert.deepEqual(r.value.disks, [{ diskId: 'disk0', path: '/v/s1.qcow2', format: 'qcow2' }]);
  assert.equal(r.value.live, false);
  const bad = parseSnapshotRow({ ...row, disks: '[{"diskId":"disk0"}]' }, parseConfig);
  assert.ok(!bad.ok);
  assert.match(bad.reason, /^disks are not valid/);
  const other = parseSnapshotRow({ ...row, config: '{"id":"vm-2","name":"Two"}' }, parseConfig);
  assert.ok(!other.ok);
  assert.equal(other.reason, "config is for VM 'vm-2', not 'vm-1'");
});

test('parseTaskRow', () => {
  const row = {
    id: 't1',
    kind: 'vm.create',
    vm_id: 'vm-1',
    vm_name: 'One',
    state: 'succeeded',
    progress: 1,
    phase: 'registering',
    message: null,
    error: null,
    started_at: 'a',
    finished_at: 'b',
  };
  const r = parseTaskRow(row);
  assert.ok(r.ok);
  assert.equal(r.value.vm, 'One');
  assert.equal(parseTaskRow({ ...row, state: 'exploded' }).ok, false);
  assert.equal(parseTaskRow({ ...row, progress: 1.5 }).ok, false);
});

describe('sameColumns and deepFreeze (the list reuses a row read from the same columns)', () => {
  test('same keys and values, in any order; a changed, missing or extra column differs', () => {
    assert.ok(sameColumns({ a: 1, b: 'x', c: null }, { c: null, b: 'x', a: 1 }));
    assert.ok(!sameColumns({ a: 1, b: 'x' }, { a: 1, b: 'y' }));
    assert.ok(!sameColumns({ a: 1, b: 'x' }, { a: 1 }));
    assert.ok(!sameColumns({ a: 1 }, { a: 1, b: undefined }));
  });
  test('deepFreeze freezes every level and returns the value', () => {
    const v = { a: { b: [1, { c: 2 }] } };
    assert.equal(deepFreeze(v), v);
    assert.ok(Object.isFrozen(v) && Object.isFrozen(v.a) && Object.isFrozen(v.a.b) && Object.isFrozen(v.a.b[1]));
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { CURRENT_SCHEMA_VERSION, migrateConfig, validateConfig } from '../../../../src-vmm/model/index.js';

describe('config migrations', () => {
  test('the current version passes through unchanged', () => {
    assert.equal(CURRENT_SCHEMA_VERSION, 1);
    const raw = { schemaVersion: 1, name: 'x' };
    assert.deepEqual(migrateConfig(raw), raw);
  });

  test('a config from a newer Hangar is refused with a clear message', () => {
    assert.throws(
      () => migrateConfig({ schemaVersion: 2, name: 'x' }),
      (e: unknown) =>
        e instanceof HangarError &&
        e.code === 'UNSUPPORTED' &&
        e.message === 'this VM was saved by a newer Hangar (schema version 2); update Hangar to open it',
    );
    const r = validateConfig({ schemaVersion: 7 });
    assert.ok(!r.ok);
    assert.ok(r.issues.some((i) => i.path === 'schemaVersion' && i.message === 'this VM was saved by a newer Hangar (schema version 7); update Hangar to open it'));
  });

  test('anything without a usable version is left for validation to report', () => {
    for (const raw of [null, 'x', [], {}, { schemaVersion: '1' }, { schemaVersion: 0 }, { schemaVersion: 1.5 }]) {
      assert.deepEqual(migrateConfig(raw), raw);
    }
    const r = validateConfig({ schemaVersion: 0 });
    assert.ok(!r.ok);
    assert.ok(r.issues.some((i) => i.path === 'schemaVersion' && i.message === 'schemaVersion must be 1'));
  });
});

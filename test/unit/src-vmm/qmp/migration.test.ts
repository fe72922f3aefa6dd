import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_DOWNTIME_MS, migrationOutcome, migrationParameters, migrationProgress, mirrorArgs } from '../../../../src-vmm/qmp/migration.js';

const ram = (o: Partial<Record<string, number>>) => ({ transferred: 0, remaining: 0, total: 0, duplicate: 0, normal: 0, 'normal-bytes': 0, 'dirty-pages-rate': 0, mbps: 0, 'dirty-sync-count': 0, 'page-size': 4096, ...o });

describe('live migration arguments and progress', () => {
  test('limits: the downtime and bandwidth asked, else QEMU-like downtime and no network cap', () => {
    assert.deepEqual(migrationParameters({ maxDowntimeMs: 50, bandwidthBytes: 1 << 20 }), { 'downtime-limit': 50, 'max-bandwidth': 1 << 20 });
    const d = migrationParameters({});
    assert.equal(d['downtime-limit'], DEFAULT_MAX_DOWNTIME_MS);
    assert.ok(d['max-bandwidth']! > 1 << 30);
  });

  test('a mirror copies the whole chain and blocks writes until they reach the target', () => {
    assert.deepEqual(mirrorArgs('disk0', 'disk0_fmt'), { 'job-id': 'migrate-disk0', device: 'disk0_fmt', target: 'migrate-nbd-disk0', sync: 'full', 'copy-mode': 'write-blocking', 'auto-dismiss': false });
    // A disk whose target image is based on copies of its frozen images: only the top's own data.
    assert.equal(mirrorArgs('disk0', 'disk0_fmt', 'top').sync, 'top');
  });

  test('progress says the round, what remains, the dirty rate and the expected downtime', () => {
    const p = migrationProgress({ status: 'active', ram: ram({ transferred: 3 << 20, remaining: 1 << 20, 'dirty-pages-rate': 256, 'dirty-sync-count': 2 }), 'expected-downtime': 40 });
    assert.equal(p.fraction, 0.75);
    assert.equal(p.message, 'copying memory: round 2, 1.0 MiB remaining, dirtying 1.0 MiB/s, expected downtime 40 ms');
    assert.equal(migrationProgress({ status: 'setup' }).fraction, 0);
    // never 1 before QEMU says completed
    assert.ok(migrationProgress({ status: 'active', ram: ram({ transferred: 5, remaining: 0 }) }).fraction < 1);
  });

  test('the outcome is what QEMU measured', () => {
    assert.deepEqual(migrationOutcome({ status: 'completed', downtime: 12, 'total-time': 900, ram: ram({ transferred: 1234 }) }), { downtimeMs: 12, totalMs: 900, transferredBytes: 1234 });
  });
});

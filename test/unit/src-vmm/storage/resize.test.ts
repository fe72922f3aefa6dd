// Growing disks (pure): the sizes people type, the refusal of a shrink, what a resize says about snapshots.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { findDisk, parseSizeRequest, planResize } from '../../../../src-vmm/storage/resize.js';

const M = 1024 ** 2;
const G = 1024 ** 3;

describe('parseSizeRequest', () => {
  test('a new size, or how much to add', () => {
    assert.deepEqual(parseSizeRequest('20G'), { ok: true, request: { sizeBytes: 20 * G } });
    assert.deepEqual(parseSizeRequest('+512M'), { ok: true, request: { addBytes: 512 * M } });
    assert.deepEqual(parseSizeRequest(' 1.5G '), { ok: true, request: { sizeBytes: 1.5 * G } });
    assert.deepEqual(parseSizeRequest('+1K'), { ok: false, message: 'the size to add must be at least 1M' });
  });
  test('a minus, a word or nothing is refused with the reason', () => {
    const minus = parseSizeRequest('-5G');
    assert.equal(minus.ok, false);
    assert.match(!minus.ok ? minus.message : '', /cannot shrink/);
    for (const bad of ['', 'big', '5X', '+']) assert.equal(parseSizeRequest(bad).ok, false, bad);
  });
});

describe('planResize', () => {
  const base = { disk: 'disk0', vm: 'web', currentBytes: 16 * M, running: false, bus: 'virtio', snapshots: [] as string[] };
  const refused = (o: Parameters<typeof planResize>[0], re: RegExp) =>
    assert.throws(() => planResize(o), (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && re.test(e.message));

  test('grows to a size, or by an amount (whole sectors)', () => {
    assert.equal(planResize({ ...base, request: { sizeBytes: 32 * M } }).toBytes, 32 * M);
    assert.equal(planResize({ ...base, request: { addBytes: 8 * M } }).toBytes, 24 * M);
    assert.equal(planResize({ ...base, currentBytes: 16 * M + 100, request: { addBytes: M } }).toBytes % 512, 0);
  });
  test('a shrink, the same size or past the limit is refused', () => {
    refused({ ...base, request: { sizeBytes: 8 * M } }, /^disk 'disk0' of VM 'web' is 16 MiB: disks only grow .* 8 MiB is refused$/);
    refused({ ...base, request: { sizeBytes: 16 * M } }, /is already 16 MiB/);
    refused({ ...base, request: { addBytes: 64 * 1024 ** 4 } }, /cannot grow past 64 TiB/);
  });
  test('snapshots keep their size, and say so; an IDE guest sees it at its next start', () => {
    const one = planResize({ ...base, snapshots: ['before'], request: { sizeBytes: 32 * M } });
    assert.match(one.notes[0]!, /^the new size applies to the current state; snapshot 'before' keeps the size it was taken with, and restoring one brings that size back$/);
    const two = planResize({ ...base, snapshots: ['a', 'b'], request: { sizeBytes: 32 * M } });
    assert.match(two.notes[0]!, /snapshots 'a', 'b' keep the size they were taken with/);
    assert.equal(planResize({ ...base, request: { sizeBytes: 32 * M } }).notes.some((n) => /snapshot/.test(n)), false);
    assert.ok(planResize({ ...base, running: true, bus: 'ide', request: { sizeBytes: 32 * M } }).notes.some((n) => /IDE disk grow only when it starts again/.test(n)));
    assert.equal(planResize({ ...base, running: true, request: { sizeBytes: 32 * M } }).online, true);
  });
});

describe('findDisk', () => {
  const disks = [
    { id: 'disk0', path: '/h/VMs/x/disks/disk0.qcow2' },
    { id: 'disk1', path: '/data/mine.img' },
  ];
  test('by id, by number, by path', () => {
    assert.equal(findDisk(disks, 'disk1', 'v').id, 'disk1');
    assert.equal(findDisk(disks, '0', 'v').id, 'disk0');
    assert.equal(findDisk(disks, '/data/mine.img', 'v').id, 'disk1');
  });
  test('an unknown disk names the ones there are', () => {
    assert.throws(() => findDisk(disks, 'disk7', 'v'), /^HangarError: VM 'v' has no disk 'disk7'; its disks: disk0 \(0\), disk1 \(1\)$/);
    assert.throws(() => findDisk([], '0', 'v'), /has no disk '0' \(it has no disks\)/);
  });
});

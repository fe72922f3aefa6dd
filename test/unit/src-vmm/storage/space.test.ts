import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asNoSpace, assertFreeSpace, freeSpace } from '../../../../src-vmm/storage/qemuImg.node.js';
import { HangarError, noSpaceError } from '../../../../src-vmm/base/errors.js';

const HUGE = 2 ** 60;

describe('free space checks', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'hangar-unit-space-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('freeSpace reads the filesystem of a folder, or of its nearest existing parent', () => {
    const free = freeSpace(dir);
    assert.ok(free !== null && free > 0);
    assert.equal(typeof freeSpace(join(dir, 'not', 'yet', 'made')), 'number');
  });

  test('assertFreeSpace passes what fits and refuses the rest before anything is written', () => {
    assertFreeSpace(dir, 0);
    assert.throws(
      () => assertFreeSpace(dir, HUGE, { atLeast: true }),
      (e: unknown) => e instanceof HangarError && e.code === 'DISK_FULL' && new RegExp(`^not enough space on ${dir}: needs at least 1024 PiB, [\\d.]+ \\w+ free$`).test(e.message),
    );
  });

  test('asNoSpace names the given folder, keeps other errors and an error already about that folder', () => {
    const other = new HangarError('QEMU_FAILED', 'qemu-img could not convert /a: Invalid argument');
    assert.equal(asNoSpace(other, dir), other);
    const same = noSpaceError(dir, { neededBytes: 10, freeBytes: 1 });
    assert.equal(asNoSpace(same, dir), same);
    const inner = new HangarError('DISK_FULL', `not enough space on ${dir}/VMs/x/disks to write disk0.qcow2`);
    const outer = asNoSpace(inner, dir, { neededBytes: HUGE }) as HangarError;
    assert.equal(outer.code, 'DISK_FULL');
    assert.match(outer.message, new RegExp(`^not enough space on ${dir}: needs [\\d.]+ PiB, .+ free$`));
    assert.equal(outer.cause, inner);
    // With room again (the cleanup gave it back), numbers would contradict the failure: left out.
    assert.equal((asNoSpace(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }), dir, { neededBytes: 1 }) as HangarError).message, `not enough space on ${dir}`);
  });
});

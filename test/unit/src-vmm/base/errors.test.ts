import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError, isNoSpaceError, noSpaceError, toHangarError } from '../../../../src-vmm/base/errors.js';

const errno = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('full filesystem errors', () => {
  test('isNoSpaceError knows every way a full disk is reported, however deep the cause', () => {
    assert.equal(isNoSpaceError(errno('ENOSPC', 'ENOSPC: no space left on device, write')), true);
    assert.equal(isNoSpaceError(errno('EDQUOT', 'EDQUOT: disk quota exceeded')), true);
    assert.equal(isNoSpaceError(errno('SQLITE_FULL', 'database or disk is full')), true);
    assert.equal(isNoSpaceError(new HangarError('DISK_FULL', 'not enough space on /x')), true);
    assert.equal(isNoSpaceError("qemu-img: error while writing at byte 0: No space left on device"), true);
    const wrapped = new HangarError('QEMU_FAILED', 'saving the state failed', { cause: new Error('outer', { cause: errno('ENOSPC', 'write') }) });
    assert.equal(isNoSpaceError(wrapped), true);
    for (const other of [new HangarError('QEMU_FAILED', 'qemu-img could not convert /a: Invalid argument'), errno('EACCES', 'permission denied'), undefined, null, 'fine', 42]) {
      assert.equal(isNoSpaceError(other), false, String(other));
    }
  });

  test('noSpaceError names the folder, and what is needed and free when known', () => {
    const e = noSpaceError('/h/VMs', { neededBytes: 300 * 2 ** 20, freeBytes: 12 * 2 ** 20 });
    assert.equal(e.code, 'DISK_FULL');
    assert.equal(e.message, 'not enough space on /h/VMs: needs 300 MiB, 12 MiB free');
    assert.deepEqual(e.details, { dir: '/h/VMs', neededBytes: 300 * 2 ** 20, freeBytes: 12 * 2 ** 20 });
    assert.equal(noSpaceError('/h/VMs', { neededBytes: 2 ** 30, freeBytes: 0, atLeast: true }).message, 'not enough space on /h/VMs: needs at least 1 GiB, 0 B free');
    assert.equal(noSpaceError('/h/VMs', { freeBytes: 4096 }).message, 'not enough space on /h/VMs: 4 KiB free');
    assert.equal(noSpaceError('/h/VMs').message, 'not enough space on /h/VMs');
    assert.equal(noSpaceError('/h').message.includes('\n'), false);
  });

  test('toHangarError makes ENOSPC and a full SQLite database DISK_FULL', () => {
    assert.equal(toHangarError(errno('ENOSPC', 'no space left on device')).code, 'DISK_FULL');
    assert.equal(toHangarError(errno('SQLITE_FULL', 'database or disk is full')).code, 'DISK_FULL');
    assert.equal(toHangarError(errno('SQLITE_BUSY', 'database is locked')).code, 'INTERNAL');
  });
});

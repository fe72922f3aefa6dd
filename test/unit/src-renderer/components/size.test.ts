import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatMiB, gibText, MAX_DISK_BYTES, MIN_DISK_BYTES, parseSize } from '../../../../src-renderer/components/size.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('parseSize', () => {
  test('accepts the units people type, as powers of 1024', () => {
    assert.deepEqual(parseSize('20G'), { ok: true, bytes: 20 * GiB });
    assert.deepEqual(parseSize('512M'), { ok: true, bytes: 512 * MiB });
    assert.deepEqual(parseSize('10GiB'), { ok: true, bytes: 10 * GiB });
    assert.deepEqual(parseSize('1.5T'), { ok: true, bytes: 1.5 * 1024 * GiB });
    assert.deepEqual(parseSize(' 2g '), { ok: true, bytes: 2 * GiB });
    assert.deepEqual(parseSize('2048K'), { ok: true, bytes: 2 * MiB });
    assert.deepEqual(parseSize('4 GB'), { ok: true, bytes: 4 * GiB });
    assert.deepEqual(parseSize(String(3 * MiB)), { ok: true, bytes: 3 * MiB });
  });

  test('rounds up to whole 512-byte sectors', () => {
    assert.deepEqual(parseSize(`${MiB + 1}`), { ok: true, bytes: MiB + 512 });
    assert.deepEqual(parseSize('1.0001M'), { ok: true, bytes: Math.ceil((1.0001 * MiB) / 512) * 512 });
  });

  test('refuses sizes under 1 MiB and over 64 TiB with the API messages', () => {
    assert.deepEqual(parseSize('1M'), { ok: true, bytes: MIN_DISK_BYTES });
    assert.deepEqual(parseSize('1023K'), { ok: false, message: 'size must be at least 1M' });
    assert.deepEqual(parseSize('0'), { ok: false, message: 'size must be at least 1M' });
    assert.deepEqual(parseSize('64T'), { ok: true, bytes: MAX_DISK_BYTES });
    assert.deepEqual(parseSize('65T'), { ok: false, message: 'size must be at most 64T' });
  });

  test('refuses what is not a size', () => {
    for (const text of ['', 'G', '12X', '-5G', '1e9', '20 G B', 'twenty']) {
      const r = parseSize(text);
      assert.equal(r.ok, false, text);
      assert.equal(!r.ok && r.message, 'size must be a number with an optional unit K, M, G or T, such as 20G');
    }
  });
});

describe('formatBytes', () => {
  test('formats like the CLI', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(20 * GiB), '20 GiB');
    assert.equal(formatBytes(1.5 * 1024 * GiB), '1.5 TiB');
    assert.equal(formatBytes(3.4 * GiB), '3.4 GiB');
    assert.equal(formatBytes(12.34 * MiB), '12.3 MiB');
    assert.equal(formatMiB(2048), '2 GiB');
    assert.equal(formatMiB(512), '512 MiB');
    assert.equal(gibText(20), '20G');
  });
});

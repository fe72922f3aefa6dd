import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isHangarError } from '../../../../src-vmm/base/errors.js';
import {
  createProgressReader,
  formatSize,
  parseImageInfo,
  parseProgress,
  parseSize,
  resolveBackingPath,
  MAX_DISK_BYTES,
} from '../../../../src-vmm/storage/chain.js';

const KiB = 1024;
const MiB = KiB ** 2;
const GiB = KiB ** 3;
const TiB = KiB ** 4;

describe('parseSize', () => {
  test('numbers with units K, M, G, T (powers of 1024), case and iB/B suffixes as people write them', () => {
    assert.equal(parseSize('1G'), GiB);
    assert.equal(parseSize('512M'), 512 * MiB);
    assert.equal(parseSize('10GiB'), 10 * GiB);
    assert.equal(parseSize('10gb'), 10 * GiB);
    assert.equal(parseSize(' 20 G '), 20 * GiB);
    assert.equal(parseSize('1.5T'), 1.5 * TiB);
    assert.equal(parseSize('2048K'), 2 * MiB);
    assert.equal(parseSize('1048576'), MiB, 'no unit: bytes');
    assert.equal(parseSize('64T'), MAX_DISK_BYTES);
  });

  test('rounds up to whole 512-byte sectors', () => {
    assert.equal(parseSize('1048577'), MiB + 512);
    assert.equal(parseSize('1.001M'), Math.ceil((1.001 * MiB) / 512) * 512);
  });

  const fails = (text: string, message: string) =>
    assert.throws(
      () => parseSize(text),
      (e: unknown) => isHangarError(e, 'INVALID_INPUT') && e.message === message,
      `'${text}'`,
    );

  test('bad input gets one message that shows the form', () => {
    for (const text of ['', 'G', 'abc', '10X', '-1G', '1e3', '1,5G', '10 GG', '0x10', 'Infinity', '10 giga']) {
      fails(text, 'size must be a number with an optional unit K, M, G or T, such as 20G');
    }
  });

  test('limits: at least 1 MiB, at most 64 TiB', () => {
    fails('2048', 'size must be at least 1M');
    fails('0', 'size must be at least 1M');
    fails('1023K', 'size must be at least 1M');
    fails('64.01T', 'size must be at most 64T');
    fails('100T', 'size must be at most 64T');
  });
});

test('formatSize', () => {
  assert.equal(formatSize(512), '512 B');
  assert.equal(formatSize(20 * GiB), '20 GiB');
  assert.equal(formatSize(1.5 * TiB), '1.5 TiB');
  assert.equal(formatSize(1.25 * MiB), '1.25 MiB');
});

describe('parseImageInfo', () => {
  const top = {
    'backing-filename-format': 'qcow2',
    'virtual-size': 67108864,
    filename: '/vms/a/sub/d.qcow2',
    'cluster-size': 65536,
    format: 'qcow2',
    'actual-size': 200704,
    'format-specific': { type: 'qcow2', data: { compat: '1.1', 'refcount-bits': 16, corrupt: false } },
    'full-backing-filename': '/vms/a/sub/../c.qcow2',
    'backing-filename': '../c.qcow2',
    'dirty-flag': false,
  };
  const middle = { ...top, filename: '/vms/a/sub/../c.qcow2', 'backing-filename': 'base/a.qcow2', 'full-backing-filename': '/vms/a/sub/../base/a.qcow2' };
  const bottom = { 'virtual-size': 67108864, filename: '/vms/a/sub/../base/a.qcow2', format: 'raw', 'actual-size': 4096, 'dirty-flag': false };

  test('a whole chain, top first, relative backing names resolved against each image folder', () => {
    const infos = parseImageInfo(JSON.stringify([top, middle, bottom]));
    assert.deepEqual(infos, [
      {
        path: '/vms/a/sub/d.qcow2',
        format: 'qcow2',
        virtualSizeBytes: 67108864,
        actualSizeBytes: 200704,
        backingPath: '/vms/a/c.qcow2',
        backingFormat: 'qcow2',
        dirty: false,
        corrupt: false,
        clusterSizeBytes: 65536,
      },
      {
        path: '/vms/a/c.qcow2',
        format: 'qcow2',
        virtualSizeBytes: 67108864,
        actualSizeBytes: 200704,
        backingPath: '/vms/a/base/a.qcow2',
        backingFormat: 'qcow2',
        dirty: false,
        corrupt: false,
        clusterSizeBytes: 65536,
      },
      { path: '/vms/a/base/a.qcow2', format: 'raw', virtualSizeBytes: 67108864, actualSizeBytes: 4096, dirty: false },
    ]);
  });

  test('a single object (no --backing-chain) gives one entry; absolute backing names stay', () => {
    const infos = parseImageInfo({ ...top, 'backing-filename': '/images/base.qcow2' });
    assert.equal(infos.length, 1);
    assert.equal(infos[0]!.backingPath, '/images/base.qcow2');
  });

  test('json: pseudo-filenames are left alone', () => {
    const name = 'json:{"driver": "vmdk", "file": {"offset": 3000, "driver": "raw"}}';
    const [info] = parseImageInfo({ ...bottom, filename: name, format: 'vmdk' });
    assert.equal(info!.path, name);
    assert.equal(resolveBackingPath(name, 'x.qcow2'), 'x.qcow2');
    assert.equal(resolveBackingPath('/a/b/c.qcow2', 'nbd://host/export'), 'nbd://host/export');
    assert.equal(resolveBackingPath('/a/b/c.qcow2', '../../d.qcow2'), '/d.qcow2');
  });

  test('output that is not what qemu-img writes is an INTERNAL error, not a crash', () => {
    for (const bad of ['not json', '[]', '{}', JSON.stringify({ ...top, 'virtual-size': 'big' }), JSON.stringify([top, { filename: 'x' }])]) {
      assert.throws(() => parseImageInfo(bad), (e: unknown) => isHangarError(e, 'INTERNAL') && /qemu-img info printed/.test(e.message), bad);
    }
  });
});

describe('progress', () => {
  test('parseProgress reads the last (n/100%) as a fraction', () => {
    assert.equal(parseProgress('    (12.34/100%)\r'), 0.1234);
    assert.equal(parseProgress('    (0.00/100%)\r    (50.00/100%)\r'), 0.5);
    assert.equal(parseProgress('    (100.00/100%)\r\n'), 1);
    assert.equal(parseProgress('nothing here'), undefined);
  });

  test('the reader copes with records cut anywhere between chunks', () => {
    const r = createProgressReader();
    assert.equal(r.push('    (12'), undefined);
    assert.equal(r.push('.34/100%)\r    (2'), 0.1234);
    assert.equal(r.push('5.00/100%)'), undefined);
    assert.equal(r.push('\r'), 0.25);
    assert.equal(r.push('    (100.00/100%)\r\n'), 1);
  });

  test('the reader does not grow without bound on output without separators', () => {
    const r = createProgressReader();
    for (let i = 0; i < 1000; i++) r.push('x'.repeat(100));
    assert.equal(r.push('    (42.00/100%)\r'), 0.42);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { baseName, dirOf, filterLabel, pathCrumbs, sortEntries } from '../../../../src-renderer/components/files.js';
import { formatDateTime, formatDiskSize, formatForward, osFamily } from '../../../../src-renderer/components/format.js';

describe('paths', () => {
  test('folder and name of a path', () => {
    assert.equal(dirOf('/a/b/c.iso'), '/a/b');
    assert.equal(dirOf('/a'), '/');
    assert.equal(dirOf('/'), '/');
    assert.equal(dirOf('/a/b/'), '/a');
    assert.equal(baseName('/a/b/c.iso'), 'c.iso');
    assert.equal(baseName('/'), '/');
    assert.deepEqual(pathCrumbs('/a/b'), [
      { name: '/', path: '/' },
      { name: 'a', path: '/a' },
      { name: 'b', path: '/a/b' },
    ]);
    assert.equal(filterLabel('iso'), 'ISO images');
  });

  test('folders first, then files in natural order', () => {
    const e = (name: string, kind: 'file' | 'dir') => ({ name, path: `/${name}`, kind, sizeBytes: 0 });
    const sorted = sortEntries([e('b10.iso', 'file'), e('Zdir', 'dir'), e('b9.iso', 'file'), e('adir', 'dir'), e('A.iso', 'file')]);
    assert.deepEqual(sorted.map((x) => x.name), ['adir', 'Zdir', 'A.iso', 'b9.iso', 'b10.iso']);
  });
});

describe('formatting', () => {
  test('disk sizes, forwards and OS families', () => {
    assert.equal(formatDiskSize(20 * 1024 ** 3, 3.4 * 1024 ** 3), '20 GiB (3.4 GiB used)');
    assert.equal(formatDiskSize(20 * 1024 ** 3), '20 GiB');
    assert.equal(formatDiskSize(0), 'unknown size');
    assert.equal(formatForward({ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 2222, guestPort: 22 }), 'TCP 127.0.0.1:2222 → guest 22');
    assert.equal(osFamily('windows11', [{ id: 'windows11', family: 'windows' }]), 'windows');
    assert.equal(osFamily('beos', []), 'other');
    assert.equal(formatDateTime('not a date'), 'not a date');
    assert.match(formatDateTime('2026-01-02T03:04:05Z', 'en-GB'), /2026/);
  });
});

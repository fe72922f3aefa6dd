// The media manager's list (pure): chains, who uses what (directly or under a chain), and what is unused.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMediaList, type FileFacts, type MediaFacts } from '../../../../src-main/media/mediaList.js';

const H = '/home/u/.local/share/hangar';
const disk = (virtualSizeBytes: number, backingPath: string | null = null): FileFacts => ({ format: 'qcow2', virtualSizeBytes, sizeBytes: 1 << 20, allocatedBytes: 1 << 20, backingPath });
const use = (vm: string, as: string, snapshot: string | null = null) => ({ vm, vmId: `id-${vm}`, snapshot, as });

function facts(): MediaFacts {
  const top = `${H}/VMs/a/disks/disk0-2.qcow2`;
  const frozen = `${H}/VMs/a/disks/disk0.qcow2`;
  const lib = `${H}/library/debian.qcow2`;
  const clone = `${H}/VMs/b/disks/disk0.qcow2`;
  const stray = `${H}/VMs/a/disks/old.qcow2`;
  const iso = '/isos/debian.iso';
  return {
    refs: [
      { path: top, kind: 'disk', use: use('a', 'disk disk0') },
      { path: frozen, kind: 'disk', use: use('a', 'disk disk0', 'before') },
      { path: iso, kind: 'iso', use: use('a', 'drive cd0') },
      { path: clone, kind: 'disk', use: use('b', 'disk disk0') },
      { path: '/data/stick.img', kind: 'disk', use: use('b', 'usb usb0') },
    ],
    images: [
      { path: top, backingPath: frozen, role: 'disk', owned: true },
      { path: frozen, backingPath: lib, role: 'frozen', owned: true },
      { path: lib, backingPath: null, role: 'library', owned: true },
      { path: clone, backingPath: lib, role: 'disk', owned: true },
    ],
    library: [{ path: lib, name: 'debian', kind: 'disk' }],
    homeFiles: [top, frozen, clone, stray, lib],
    files: new Map<string, FileFacts | { problem: string }>([
      [top, disk(20 << 30, frozen)],
      [frozen, disk(16 << 30, lib)],
      [lib, disk(16 << 30)],
      [clone, disk(16 << 30, lib)],
      [stray, disk(1 << 30)],
      [iso, { format: 'raw', virtualSizeBytes: 600 << 20, sizeBytes: 600 << 20, allocatedBytes: 600 << 20, backingPath: null }],
      ['/data/stick.img', { problem: 'the file is missing' }],
    ]),
    inHome: (p) => p.startsWith(`${H}/`),
  };
}

describe('buildMediaList', () => {
  const items = buildMediaList(facts());
  const at = (p: string) => items.find((i) => i.path === p)!;

  test('every image once, with its chain top first', () => {
    assert.equal(new Set(items.map((i) => i.path)).size, items.length);
    assert.deepEqual(at(`${H}/VMs/a/disks/disk0-2.qcow2`).chain, [`${H}/VMs/a/disks/disk0-2.qcow2`, `${H}/VMs/a/disks/disk0.qcow2`, `${H}/library/debian.qcow2`]);
    assert.equal(at(`${H}/VMs/a/disks/disk0-2.qcow2`).virtualSizeBytes, 20 << 30);
  });
  test('users: directly, through a snapshot, or under a chain', () => {
    const frozen = at(`${H}/VMs/a/disks/disk0.qcow2`);
    assert.equal(frozen.role, 'frozen');
    assert.deepEqual(frozen.snapshots, ['a/before']);
    assert.deepEqual(frozen.usedBy.map((u) => [u.vm, u.snapshot, u.direct]), [['a', null, false], ['a', 'before', true]]);
    const lib = at(`${H}/library/debian.qcow2`);
    assert.equal(lib.role, 'library');
    assert.equal(lib.library, 'debian');
    assert.deepEqual(lib.vms.sort(), ['a', 'b']);
    assert.equal(lib.dependents.length, 2);
    assert.equal(at('/isos/debian.iso').kind, 'iso');
    assert.equal(at('/isos/debian.iso').inHome, false);
  });
  test('unused: only files in the home that nothing uses, bases and library entries are used', () => {
    assert.deepEqual(items.filter((i) => i.unused).map((i) => i.path), [`${H}/VMs/a/disks/old.qcow2`]);
  });
  test('a USB image and a file that cannot be read', () => {
    const stick = at('/data/stick.img');
    assert.equal(stick.role, 'usb');
    assert.equal(stick.problem, 'the file is missing');
    assert.equal(stick.unused, false);
  });
  test('a loop in backing names ends', () => {
    const f = facts();
    const files = new Map(f.files);
    files.set('/x/a.qcow2', disk(1, '/x/b.qcow2'));
    files.set('/x/b.qcow2', disk(1, '/x/a.qcow2'));
    const list = buildMediaList({ ...f, refs: [...f.refs, { path: '/x/a.qcow2', kind: 'disk', use: use('c', 'disk disk0') }], files });
    assert.deepEqual(list.find((i) => i.path === '/x/a.qcow2')!.chain, ['/x/a.qcow2', '/x/b.qcow2']);
  });
});

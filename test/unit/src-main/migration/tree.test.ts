import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesToCopy, remapTree, treeImages, treeProblems, type MovingTree } from '../../../../src-main/migration/tree.js';
import { receiveFiles, sendFiles } from '../../../../src-main/migration/files.node.js';
import type { VmConfig } from '../../../../src-vmm/model/index.js';

const DIR = '/h/VMs/v1';
const cfg = (paths: string[]) => ({ disks: paths.map((path, i) => ({ id: `disk${i}`, path, format: 'qcow2' })) }) as unknown as VmConfig;

/** base (a user's image used in place) ← s1 (S1's... no: S2's frozen) ← top; S1 froze base, S2 froze s1. */
function tree(): MovingTree {
  return {
    images: [
      { path: '/data/base.qcow2', format: 'qcow2', virtualSize: 8, backingPath: null, role: 'frozen' },
      { path: `${DIR}/disks/disk0-a.qcow2`, format: 'qcow2', virtualSize: 8, backingPath: '/data/base.qcow2', role: 'frozen' },
      { path: `${DIR}/disks/disk0-b.qcow2`, format: 'qcow2', virtualSize: 8, backingPath: `${DIR}/disks/disk0-a.qcow2`, role: 'disk' },
    ],
    snapshots: [
      { id: 's1', parentId: null, name: 'S1', description: '', createdAt: 't', config: cfg(['/data/base.qcow2']), live: true, stateFile: `${DIR}/snapshots/s1.vmstate`, disks: [{ diskId: 'disk0', path: '/data/base.qcow2', format: 'qcow2' }], facts: {}, quiesced: false },
      { id: 's2', parentId: 's1', name: 'S2', description: 'd', createdAt: 't', config: cfg([`${DIR}/disks/disk0-a.qcow2`]), live: false, stateFile: null, disks: [{ diskId: 'disk0', path: `${DIR}/disks/disk0-a.qcow2`, format: 'qcow2' }], facts: {}, quiesced: false },
    ],
    currentSnapshotId: 's2',
  };
}

describe('the snapshot tree of a migrating VM', () => {
  test('its images come parents first, each once', () => {
    const rows = new Map(tree().images.map((i) => [i.path, i]));
    assert.deepEqual(treeImages([`${DIR}/disks/disk0-b.qcow2`, '/data/base.qcow2', `${DIR}/disks/disk0-a.qcow2`], (p) => rows.get(p)), ['/data/base.qcow2', `${DIR}/disks/disk0-a.qcow2`, `${DIR}/disks/disk0-b.qcow2`]);
  });

  test('shared storage sends only the small files; --copy-storage the frozen images and RAM states too, never the current top', () => {
    const small = [`${DIR}/snapshots/s1.png`, `${DIR}/snapshots/s1.tpm/tpm2-00.permall`];
    assert.deepEqual(filesToCopy(tree(), { sourceDir: DIR, copyStorage: false, smallFiles: small }).map((f) => f.to), ['snapshots/s1.png', 'snapshots/s1.tpm/tpm2-00.permall']);
    const copy = filesToCopy(tree(), { sourceDir: DIR, copyStorage: true, smallFiles: small });
    assert.deepEqual(copy.slice(2), [
      { from: '/data/base.qcow2', to: 'disks/ext-base.qcow2' },
      { from: `${DIR}/disks/disk0-a.qcow2`, to: 'disks/disk0-a.qcow2' },
      { from: `${DIR}/snapshots/s1.vmstate`, to: 'snapshots/s1.vmstate' },
    ]);
    assert.throws(() => filesToCopy(tree(), { sourceDir: DIR, copyStorage: false, smallFiles: ['/etc/passwd'] }));
  });

  test('two outside images of one name land under two names', () => {
    const t = tree();
    t.images.unshift({ path: '/other/base.qcow2', format: 'qcow2', virtualSize: 8, backingPath: null, role: 'frozen' });
    const tos = filesToCopy(t, { sourceDir: DIR, copyStorage: true, smallFiles: [] }).map((f) => f.to);
    assert.equal(new Set(tos).size, tos.length);
  });

  test('the target maps every copied path, in images, snapshots and their configs; the rest stays', () => {
    const moved = remapTree(tree(), new Map([['/data/base.qcow2', '/t/disks/ext-base.qcow2'], [`${DIR}/snapshots/s1.vmstate`, '/t/snapshots/s1.vmstate']]));
    assert.equal(moved.images[1]!.backingPath, '/t/disks/ext-base.qcow2');
    assert.equal(moved.snapshots[0]!.stateFile, '/t/snapshots/s1.vmstate');
    assert.equal(moved.snapshots[0]!.disks[0]!.path, '/t/disks/ext-base.qcow2');
    assert.equal(moved.snapshots[0]!.config.disks[0]!.path, '/t/disks/ext-base.qcow2');
    assert.equal(moved.snapshots[1]!.disks[0]!.path, `${DIR}/disks/disk0-a.qcow2`);
    assert.equal(moved.currentSnapshotId, 's2');
  });

  test('a tree that is not whole is refused', () => {
    assert.deepEqual(treeProblems(tree(), [`${DIR}/disks/disk0-b.qcow2`]), []);
    const t = tree();
    t.snapshots[1]!.parentId = 'nope';
    t.currentSnapshotId = 'gone';
    t.images.shift();
    const problems = treeProblems(t, ['/x']);
    assert.equal(problems.length, 5, problems.join('; '));
  });
});

describe('the files that go before the VM', () => {
  test('every announced file arrives whole and private; the target answers ok', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-files-'));
    try {
      const a = join(dir, 'a.bin');
      const b = join(dir, 'b.bin');
      writeFileSync(a, Buffer.alloc(3 << 20, 7));
      writeFileSync(b, '');
      const to = join(dir, 'to');
      const r = receiveFiles(join(dir, 'f.sock'), to, [{ path: 'disks/a.bin', size: 3 << 20 }, { path: 'snapshots/x.tpm/b', size: 0 }]);
      let last = 0;
      await sendFiles(join(dir, 'f.sock'), [{ from: a, to: 'disks/a.bin', size: 3 << 20 }, { from: b, to: 'snapshots/x.tpm/b', size: 0 }], { signal: new AbortController().signal, onProgress: (s) => (last = s) });
      await r.done;
      r.dispose();
      assert.equal(last, 3 << 20);
      assert.deepEqual(readFileSync(join(to, 'disks/a.bin')), readFileSync(a));
      assert.equal(statSync(join(to, 'disks/a.bin')).mode & 0o777, 0o600);
      assert.ok(existsSync(join(to, 'snapshots/x.tpm/b')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file that was not announced is refused, and what was half-written goes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-files-'));
    try {
      const a = join(dir, 'a.bin');
      writeFileSync(a, 'hello');
      const r = receiveFiles(join(dir, 'f.sock'), join(dir, 'to'), [{ path: 'disks/a.bin', size: 5 }]);
      await assert.rejects(sendFiles(join(dir, 'f.sock'), [{ from: a, to: 'disks/other.bin', size: 5 }], { signal: new AbortController().signal, onProgress: () => undefined }), /not announced/);
      await assert.rejects(r.done, /not announced/);
      r.dispose();
      assert.ok(!existsSync(join(dir, 'to', 'disks', 'other.bin')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeReferences, formatProblem, imageReferences, isProtocolReference } from '../../../../src-vmm/storage/imageSafety.js';

describe('image references', () => {
  const own = '/home/u/disk.vmdk';
  test('a self-contained image names nothing', () => {
    assert.deepEqual(imageReferences({ filename: own, backingFilename: null, dataFile: null, extents: [own] }), []);
    assert.deepEqual(imageReferences({ filename: '/x.qcow2', backingFilename: null, dataFile: null, extents: [] }), []);
  });
  test('a backing file, a data file and foreign extents are each named once, in that order', () => {
    const refs = imageReferences({ filename: own, backingFilename: '/b', dataFile: '/d', extents: [own, '/e1', '/e2', '/e1', '/b'] });
    assert.deepEqual(refs, [
      { kind: 'backing file', target: '/b' },
      { kind: 'external data file', target: '/d' },
      { kind: 'extent', target: '/e1' },
      { kind: 'extent', target: '/e2' },
    ]);
    assert.equal(describeReferences(refs.slice(0, 2)), 'reads data from other files: /b (its backing file), /d (its external data file)');
  });
  test('an extent that is the image under another of its names is its own', () => {
    assert.deepEqual(imageReferences({ filename: 'json:{"x":1}', backingFilename: null, dataFile: null, extents: [own] }, [own]), []);
  });
  test('protocol and json: names are recognised; files, also with a colon inside, are not', () => {
    for (const t of ['json:{"driver":"file"}', 'nbd://127.0.0.1:10809/x', 'nbd:unix:/s', 'https://example.invalid/x.img', 'ssh://h/x', 'iscsi://t/1', 'gluster://h/v/x']) assert.equal(isProtocolReference(t), true, t);
    for (const t of ['/a/b.qcow2', '/a/with:colon.img']) assert.equal(isProtocolReference(t), false, t);
  });
  test('formats Hangar does not use are named', () => {
    assert.equal(formatProblem('qcow2'), null);
    assert.equal(formatProblem('vpc'), null);
    assert.match(formatProblem('qed') ?? '', /^is a QED image, which Hangar does not use as a disk/);
    assert.match(formatProblem('weird') ?? '', /^is a weird image/);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asSnapshotList, remoteActionBlock, remoteSnapshotName, vmStateOf } from '../../../../src-renderer/remotes/remoteModel.js';
import { buildSnapshotTree } from '../../../../src-renderer/snapshots/snapshotTree.js';

test("libvirt's states as local states, and the actions each allows", () => {
  assert.equal(vmStateOf('running'), 'running');
  assert.equal(vmStateOf('in shutdown'), 'running');
  assert.equal(vmStateOf('paused'), 'paused');
  assert.equal(vmStateOf('shut off'), 'stopped');
  assert.equal(vmStateOf('crashed'), 'stopped');
  assert.equal(remoteActionBlock('shut off', 'start'), null);
  assert.equal(remoteActionBlock('running', 'start'), 'It is running');
  assert.equal(remoteActionBlock('running', 'destroy'), null);
  assert.equal(remoteActionBlock('paused', 'destroy'), null);
  assert.equal(remoteActionBlock('shut off', 'destroy'), 'It is shut off');
  assert.equal(remoteActionBlock('paused', 'resume'), null);
  assert.equal(remoteActionBlock('running', 'resume'), 'It is running');
  assert.equal(remoteActionBlock('running', 'reboot'), null);
  assert.equal(remoteActionBlock(undefined, 'start'), 'The domain is not known');
});

test('remote snapshot names: what libvirt and Hangar both take, not one taken', () => {
  assert.equal(remoteSnapshotName('ui-one', ['two']), null);
  assert.equal(remoteSnapshotName('', []), 'A name is needed');
  assert.match(remoteSnapshotName('a b', [])!, /Letters, digits/);
  assert.match(remoteSnapshotName('two', ['two'])!, /exists already/);
});

test("libvirt's snapshot list becomes the local tree, the current state under libvirt's current one", () => {
  const tree = buildSnapshotTree(
    asSnapshotList({
      remote: 'lab',
      name: 'rg',
      snapshots: [
        { name: 'one', parent: null, createdAt: '2026-12-06 17:00:00 +0000', state: 'running', current: false },
        { name: 'two', parent: 'one', createdAt: '2026-12-06 17:05:00 +0100', state: 'shutoff', current: true },
      ],
    }),
  );
  assert.deepEqual(tree.roots, ['one']);
  assert.deepEqual(tree.children.get('one'), ['two']);
  assert.equal(tree.currentSnapshotId, 'two');
  assert.equal(tree.items.get('one')!.createdAt, '2026-12-06T17:00:00+00:00');
  assert.equal(tree.items.get('one')!.live, true);
  assert.equal(tree.items.get('two')!.live, false);
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activeCommitArgs,
  formatNodeOf,
  jobReaction,
  openFiles,
  snapshotTransaction,
  streamArgs,
  topNodeOf,
} from '../../../../src-vmm/qmp/block.js';
import type { QmpJobStatus } from '../../../../src-vmm/qmp/types.js';

// query-named-block-nodes as QEMU 7.2 answers it for disk0 on a two-image chain (format node, then protocol node).
const nodes = [
  { 'node-name': 'disk0_fmt', drv: 'qcow2', file: '/vm/disks/disk0-1.qcow2' },
  { 'node-name': '#block063', drv: 'file', file: '/vm/disks/disk0-1.qcow2' },
  { 'node-name': '#block263', drv: 'qcow2', file: '/vm/disks/disk0.qcow2' },
  { 'node-name': '#block149', drv: 'file', file: '/vm/disks/disk0.qcow2' },
  { 'node-name': 'cd0_file', drv: 'file', file: '' },
];

describe('QMP block commands', () => {
  test('an image is found by its format node, never the file node below it', () => {
    assert.equal(formatNodeOf(nodes, '/vm/disks/disk0.qcow2'), '#block263');
    assert.equal(formatNodeOf(nodes, '/vm/disks/disk0-1.qcow2'), 'disk0_fmt');
    assert.equal(formatNodeOf(nodes, '/elsewhere.qcow2'), undefined);
  });

  test('the open files, once each', () => {
    assert.deepEqual(openFiles(nodes), ['/vm/disks/disk0-1.qcow2', '/vm/disks/disk0.qcow2']);
  });

  test("a disk's top node from query-block, whatever form its QOM path takes", () => {
    const blocks = [
      { qdev: '/machine/peripheral/disk0/virtio-backend', inserted: { 'node-name': 'disk0_fmt' } },
      { qdev: '/machine/peripheral/disk1', inserted: { 'node-name': 'disk1_fmt' } },
      { qdev: '/machine/peripheral/disk10', inserted: { 'node-name': 'disk10_fmt' } },
      { qdev: '/machine/peripheral/cd0' },
    ];
    assert.equal(topNodeOf(blocks, 'disk0'), 'disk0_fmt');
    assert.equal(topNodeOf(blocks, 'disk1'), 'disk1_fmt', 'disk1 is not taken for disk10');
    assert.equal(topNodeOf(blocks, 'cd0'), undefined, 'an empty drive has no node');
    assert.equal(topNodeOf(blocks, 'disk2'), undefined);
  });

  test('a live snapshot switches every disk in one transaction', () => {
    const t = snapshotTransaction([
      { node: 'disk0_fmt', overlay: '/vm/disks/disk0-2.qcow2', overlayNode: 's1' },
      { node: 'disk1_fmt', overlay: '/vm/disks/disk1-2.qcow2', overlayNode: 's2' },
    ]);
    assert.equal(t.actions.length, 2);
    assert.deepEqual(t.actions[1], {
      type: 'blockdev-snapshot-sync',
      data: { 'node-name': 'disk1_fmt', 'snapshot-file': '/vm/disks/disk1-2.qcow2', 'snapshot-node-name': 's2', format: 'qcow2', mode: 'absolute-paths' },
    });
  });

  test('block jobs keep their record until it is read (auto-dismiss off); a stream without base takes the whole chain', () => {
    assert.deepEqual(streamArgs('stream-1', 'disk0_fmt', '#block263'), { 'job-id': 'stream-1', device: 'disk0_fmt', 'base-node': '#block263', 'auto-dismiss': false });
    assert.deepEqual(streamArgs('stream-2', 'disk0_fmt', undefined), { 'job-id': 'stream-2', device: 'disk0_fmt', 'auto-dismiss': false });
    assert.deepEqual(activeCommitArgs('undo-1', 's1', 'disk0_fmt'), { 'job-id': 'undo-1', device: 's1', 'base-node': 'disk0_fmt', 'auto-dismiss': false });
  });

  test('a job is completed when ready only if the caller wants the pivot, and ends when it has concluded', () => {
    const all: QmpJobStatus[] = ['undefined', 'created', 'running', 'paused', 'ready', 'standby', 'waiting', 'pending', 'aborting', 'concluded', 'null'];
    const pivot = Object.fromEntries(all.map((s) => [s, jobReaction(s, { completeWhenReady: true })]));
    const plain = Object.fromEntries(all.map((s) => [s, jobReaction(s, { completeWhenReady: false })]));
    for (const s of all) {
      const expected = s === 'concluded' ? 'finished' : s === 'ready' ? 'complete' : 'wait';
      assert.equal(pivot[s], expected, s);
      assert.equal(plain[s], s === 'ready' ? 'wait' : expected, s);
    }
  });
});

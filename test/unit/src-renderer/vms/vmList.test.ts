import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OsTypeInfo, VmSummary } from '../../../../src-renderer/api/apiTypes.js';
import { applyStateChange, filterVms, isListKey, keepSelection, nextSelection } from '../../../../src-renderer/vms/vmList.js';

const vm = (id: string, name: string, state: VmSummary['state'] = 'stopped', osType = 'linux'): VmSummary => ({ id, name, state, osType, accelerator: 'tcg', group: '/', tags: [], notes: '' });
const vms = [vm('1', 'debian', 'running'), vm('2', 'Windows Box', 'stopped', 'windows11'), vm('3', 'bsd', 'paused', 'freebsd')];
const osTypes: OsTypeInfo[] = [{ id: 'windows11', label: 'Windows 11', family: 'windows', defaults: { cpus: 2, memoryMiB: 4096, diskGiB: 64, firmware: 'uefi', chipset: 'q35', diskBus: 'sata', nicModel: 'e1000e' } }];

describe('VM list from events', () => {
  test('a state change updates one VM and keeps the rest', () => {
    const next = applyStateChange(vms, { id: '2', name: 'Windows Box', state: 'starting' });
    assert.equal(next[1]!.state, 'starting');
    assert.equal(next[0], vms[0]);
    assert.equal(applyStateChange(vms, { id: '1', name: 'debian', state: 'running' }), vms, 'no change, same array');
    assert.equal(applyStateChange(vms, { id: 'nope', name: 'x', state: 'running' }), vms);
    assert.equal(applyStateChange(vms, { id: '1', name: 'debian-2', state: 'running' })[0]!.name, 'debian-2');
  });
});

describe('search', () => {
  test('matches name, OS label, state and accelerator, ignoring case', () => {
    const names = (q: string) => filterVms(vms, q, osTypes).map((v) => v.name);
    assert.deepEqual(names(''), ['debian', 'Windows Box', 'bsd']);
    assert.deepEqual(names('DEB'), ['debian']);
    assert.deepEqual(names('windows 11'), ['Windows Box']);
    assert.deepEqual(names('paused'), ['bsd']);
    assert.deepEqual(names('tcg').length, 3);
    assert.deepEqual(names('zzz'), []);
  });
});

describe('keyboard selection', () => {
  const ids = ['a', 'b', 'c'];
  test('arrows, Home and End', () => {
    assert.equal(nextSelection(ids, 'a', 'ArrowDown'), 'b');
    assert.equal(nextSelection(ids, 'c', 'ArrowDown'), 'c');
    assert.equal(nextSelection(ids, 'b', 'ArrowUp'), 'a');
    assert.equal(nextSelection(ids, 'a', 'ArrowUp'), 'a');
    assert.equal(nextSelection(ids, 'b', 'Home'), 'a');
    assert.equal(nextSelection(ids, 'a', 'End'), 'c');
    assert.equal(nextSelection(ids, null, 'ArrowDown'), 'a');
    assert.equal(nextSelection(ids, null, 'ArrowUp'), 'a');
    assert.equal(nextSelection([], null, 'ArrowDown'), null);
    assert.equal(isListKey('ArrowLeft'), false);
    assert.equal(isListKey('End'), true);
  });

  test('after the list changes the selection stays, or moves to the neighbour', () => {
    assert.equal(keepSelection(ids, ['a', 'b', 'c', 'd'], 'b'), 'b');
    assert.equal(keepSelection(ids, ['a', 'c'], 'b'), 'c');
    assert.equal(keepSelection(ids, ['a', 'b'], 'c'), 'b');
    assert.equal(keepSelection(ids, [], 'c'), null);
    assert.equal(keepSelection([], ['x', 'y'], null), 'x');
    assert.equal(keepSelection(ids, ['x'], 'gone-before'), 'x');
  });
});

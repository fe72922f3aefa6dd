import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hangarApi } from '../../../../src-main/api/contract.js';
import {
  CLONE_STEPS,
  cloneSummaryRows,
  defaultCloneName,
  firstInvalidCloneStep,
  initialCloneDraft,
  linkedBaseName,
  sourceChoices,
  sourceNote,
  placeCloneError,
  toCloneInput,
  validateCloneStep,
  type CloneContext,
  type CloneDraft,
  type SnapshotList,
} from '../../../../src-renderer/clones/clone.js';

const snap = (id: string, name: string, parentId: string | null, minute: number) => ({
  id,
  name,
  parentId,
  createdAt: `2025-01-01T10:${String(minute).padStart(2, '0')}:00.000Z`,
  live: false,
  description: '',
});
// a ── b ── (current state)
//  └─ c
const LIST: SnapshotList = {
  snapshots: [snap('a', 'Installed', null, 1), snap('b', 'Updated', 'a', 2), snap('c', 'Experiment', 'a', 3)],
  currentSnapshotId: 'b',
};
const SOURCE = { id: '11111111-1111-4111-8111-111111111111', name: 'debian-12', state: 'stopped' as const };
const ctx = (over: Partial<CloneContext> = {}): CloneContext => ({ source: SOURCE, existingNames: ['debian-12', 'Web1'], snapshots: LIST, ...over });
const draft = (over: Partial<CloneDraft> = {}): CloneDraft => ({ ...initialCloneDraft(SOURCE, ['debian-12']), ...over });
const messages = (step: number, d: CloneDraft, c = ctx()) => validateCloneStep(step, d, c).map((i) => `${i.field}: ${i.message}`);

describe('the draft', () => {
  test('starts as a full clone of the current state named "<source> Clone" with new MAC addresses', () => {
    assert.deepEqual(initialCloneDraft(SOURCE, ['debian-12']), { name: 'debian-12 Clone', mac: 'new', type: 'full', snapshotId: null });
  });
  test('a snapshot can be preselected', () => {
    assert.equal(initialCloneDraft(SOURCE, [], 'c').snapshotId, 'c');
  });
  test('the default name avoids taken names, ignoring case', () => {
    assert.equal(defaultCloneName('web', ['web', 'WEB clone']), 'web Clone 2');
    assert.equal(defaultCloneName('web', ['web Clone', 'web Clone 2']), 'web Clone 3');
  });
});

describe('step validation', () => {
  test('the name follows the API rules and must not be taken', () => {
    assert.deepEqual(messages(0, draft()), []);
    assert.deepEqual(messages(0, draft({ name: '' })), ['name: name must not be empty']);
    assert.deepEqual(messages(0, draft({ name: 'a/b' })), ["name: name must not contain '/' or '\\'"]);
    assert.deepEqual(messages(0, draft({ name: ' x' })), ['name: name must not start or end with white space']);
    assert.deepEqual(messages(0, draft({ name: 'web1' })), ["name: a VM named 'Web1' already exists"]);
  });
  test('the type step always passes', () => {
    assert.deepEqual(messages(1, draft({ type: 'linked' })), []);
  });
  test('the source must be the current state or a snapshot the VM still has', () => {
    assert.deepEqual(messages(2, draft()), []);
    assert.deepEqual(messages(2, draft({ snapshotId: 'c', type: 'linked' })), []);
    assert.deepEqual(messages(2, draft({ snapshotId: 'gone' })), ["source: VM 'debian-12' no longer has the chosen snapshot: choose another"]);
    // while the snapshots load, the owner is the judge
    assert.deepEqual(messages(2, draft({ snapshotId: 'gone' }), ctx({ snapshots: null })), []);
  });
  test('a VM that is starting or stopping cannot be cloned', () => {
    assert.deepEqual(messages(3, draft()), []);
    assert.deepEqual(messages(3, draft(), ctx({ source: { ...SOURCE, state: 'stopping' } })), [": VM 'debian-12' is stopping: wait until it has settled"]);
    assert.deepEqual(messages(3, draft(), ctx({ source: { ...SOURCE, state: 'running' } })), []);
  });
  test('an unknown step is a problem', () => {
    assert.equal(validateCloneStep(CLONE_STEPS.length, draft(), ctx()).length, 1);
  });
  test('the first invalid step', () => {
    assert.equal(firstInvalidCloneStep(draft(), ctx()), -1);
    assert.equal(firstInvalidCloneStep(draft({ name: 'Web1', snapshotId: 'gone' }), ctx()), 0);
    assert.equal(firstInvalidCloneStep(draft({ snapshotId: 'gone' }), ctx()), 2);
  });
});

describe('the vm.clone input', () => {
  const schema = hangarApi['vm.clone'].input;
  test('a full clone of the current state', () => {
    const input = toCloneInput(draft(), SOURCE.id);
    assert.deepEqual(input, { ref: SOURCE.id, name: 'debian-12 Clone', linked: false, mac: 'new' });
    assert.equal(schema.safeParse(input).success, true);
  });
  test('a linked clone of a snapshot keeping the MAC addresses', () => {
    const input = toCloneInput(draft({ type: 'linked', snapshotId: 'c', mac: 'keep', name: 'lab' }), SOURCE.id);
    assert.deepEqual(input, { ref: SOURCE.id, name: 'lab', linked: true, snapshot: 'c', mac: 'keep' });
    assert.equal(schema.safeParse(input).success, true);
  });
});

describe('the source state', () => {
  test('choices follow the tree, with the current state under its snapshot', () => {
    assert.deepEqual(
      sourceChoices(LIST).map((c) => [c.label, c.level, c.snapshotId, c.current]),
      // the tree's order: siblings as they were taken, the current state under its snapshot
      [
        ['Installed', 1, 'a', false],
        ['Updated', 2, 'b', true],
        ['Current state', 3, null, false],
        ['Experiment', 2, 'c', false],
      ],
    );
  });
  test('without snapshots (or while they load) the current state is the only choice', () => {
    assert.deepEqual(sourceChoices(null), [{ snapshotId: null, label: 'Current state', level: 1, current: false }]);
    assert.deepEqual(
      sourceChoices({ snapshots: [], currentSnapshotId: null }).map((c) => c.label),
      ['Current state'],
    );
  });
  test('a linked clone of the current state says a snapshot is taken first', () => {
    assert.equal(linkedBaseName('lab'), 'Linked base for lab');
    assert.match(sourceNote(draft({ type: 'linked', name: 'lab' }), SOURCE) ?? '', /snapshot “Linked base for lab” of the current state will be taken first/);
    assert.equal(sourceNote(draft({ type: 'linked', snapshotId: 'b' }), SOURCE), null);
    assert.equal(sourceNote(draft(), SOURCE), null);
    assert.match(sourceNote(draft(), { ...SOURCE, state: 'running' }) ?? '', /temporary snapshot/);
  });
});

describe('server errors and the summary', () => {
  test('errors go to the step they are about', () => {
    const at = (path: string, message: string) => placeCloneError({ message, details: { issues: [{ path, message }] } });
    assert.deepEqual(at('name', "a VM named 'x' already exists"), { step: 0, message: "a VM named 'x' already exists" });
    assert.deepEqual(at('name', 'name must not be empty'), { step: 0, message: 'name must not be empty' });
    assert.deepEqual(at('snapshot', "VM 'debian-12' has no snapshot named or with id 'zz'"), { step: 2, message: "VM 'debian-12' has no snapshot named or with id 'zz'" });
    assert.deepEqual(at('linked', 'a linked clone cannot copy every snapshot'), { step: 1, message: 'a linked clone cannot copy every snapshot' });
    // Without a path, the summary: in the owner's words, whatever they are.
    assert.deepEqual(placeCloneError({ message: "VM 'debian-12' is starting: wait until it has settled" }), { step: 3, message: "VM 'debian-12' is starting: wait until it has settled" });
    assert.deepEqual(placeCloneError({ message: 'the name of the snapshot is full' }), { step: 3, message: 'the name of the snapshot is full' });
  });
  test('the summary', () => {
    const rows = cloneSummaryRows(draft({ type: 'linked', snapshotId: 'b', mac: 'keep' }), ctx());
    assert.deepEqual(
      rows.map((r) => [r.label, r.value]),
      [
        ['Source', 'debian-12'],
        ['Name', 'debian-12 Clone'],
        ['Type', 'Linked clone'],
        ['Source state', 'Snapshot “Updated”'],
        ['MAC addresses', 'Kept from the source'],
      ],
    );
    const current = cloneSummaryRows(draft({ type: 'linked' }), ctx()).find((r) => r.label === 'Source state')!.value;
    assert.match(current, /^Current state \(A snapshot “Linked base for debian-12 Clone”/);
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { labelProblems, newVmNameProblems, vmNameProblems } from '../../../../src-vmm/model/names.js';

describe('new VM names', () => {
  test('quotes, inner spaces, emoji, combining marks and other scripts are fine', () => {
    for (const name of [`Dev "box" 'x'`, 'a b', '🚀 rocket', 'e\u0301te\u0301', '日本語', 'עברית', 'back`tick $(x)', '👨\u200d👩\u200d👧 family', '.hidden', '...']) {
      assert.deepEqual(newVmNameProblems(name), [], name);
    }
  });

  test('the basic rules come first, and hold for old names too', () => {
    assert.deepEqual(newVmNameProblems(''), ['name must not be empty']);
    assert.deepEqual(newVmNameProblems('../x'), vmNameProblems('../x'));
    assert.deepEqual(newVmNameProblems('a\nb'), ['name must not contain control characters']);
    assert.deepEqual(newVmNameProblems('  '), ['name must not be empty or only white space']);
  });

  test('only new names may not read as an option or an id, nor change how text displays', () => {
    assert.deepEqual(newVmNameProblems('--force'), ["name must not start with '-' (it would read as an option)"]);
    assert.deepEqual(newVmNameProblems('-x'), ["name must not start with '-' (it would read as an option)"]);
    assert.deepEqual(vmNameProblems('--force'), [], 'a VM named so before keeps loading');
    assert.deepEqual(newVmNameProblems('4498066a-e89a-4dbe-a213-8b81ec038397'), ['name must not look like a VM id (a UUID)']);
    assert.deepEqual(newVmNameProblems('4498066A-E89A-4DBE-A213-8B81EC038397'), ['name must not look like a VM id (a UUID)']);
    assert.deepEqual(newVmNameProblems('vm-4498066a-e89a-4dbe-a213-8b81ec038397'), []);
    for (const c of ['\u202e', '\u202a', '\u2066', '\u2069', '\u2028', '\u2029', '\ufeff']) {
      assert.deepEqual(newVmNameProblems(`a${c}b`), ['name must not contain bidirectional-text controls or line separators'], JSON.stringify(c));
    }
  });
});

describe('labels (snapshot names)', () => {
  test('readable labels are fine, even with separators and dots', () => {
    for (const label of ['Snapshot 1', '../../etc', 'a/b\\c', 'before "upgrade"', '🚀', 'x'.repeat(300)]) assert.deepEqual(labelProblems(label, 'snapshot name'), [], label);
  });

  test('empty or blank labels, controls and display controls are refused, each said once', () => {
    assert.deepEqual(labelProblems('', 'snapshot name'), ['snapshot name must not be empty or only white space']);
    assert.deepEqual(labelProblems(' \t ', 'snapshot name'), ['snapshot name must not be empty or only white space']);
    assert.deepEqual(labelProblems('a\tb', 'snapshot name'), ['snapshot name must not contain control characters']);
    assert.deepEqual(labelProblems('p\u0085q', 'snapshot name'), ['snapshot name must not contain control characters']);
    assert.deepEqual(labelProblems('x\u202eyz', 'snapshot name'), ['snapshot name must not contain bidirectional-text controls or line separators']);
    assert.deepEqual(labelProblems(' x', 'snapshot name'), ['snapshot name must not start or end with white space']);
  });
});

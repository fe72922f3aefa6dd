// Each surface words its own remedy from the codes errors carry: the interface its buttons, the CLI its
// flags; the owner's message itself names neither.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { uiAdvice, withUiAdvice } from '../../../../src-renderer/api/advice.js';
import { cliAdvice } from '../../../../src-main/cli/advice.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import * as codes from '../../../../src-main/api/issueCodes.js';

const coded = (code: string, data: Record<string, unknown> = {}) =>
  new HangarError('STATE_CONFLICT', 'what is wrong', { details: { issues: [{ path: '', message: 'what is wrong', code, data }] } });

describe('advice by surface', () => {
  const cases: [string, Record<string, unknown>][] = [
    [codes.IMAGE_READS_OTHER_FILES, { references: [] }],
    [codes.FILE_MISSING, { vm: 'web', role: 'iso', path: '/x.iso' }],
    [codes.KVM_UNAVAILABLE, { vm: 'web' }],
    [codes.NESTED_NEEDS_KVM, { vm: 'web' }],
    [codes.GUEST_IGNORED_POWER_BUTTON, { vm: 'web' }],
    [codes.LINKED_CLONES_DEPEND, { vm: 'web', clones: ['c'] }],
    [codes.VMS_RUNNING, { vms: ['web'] }],
    [codes.UNKNOWN_OS_TYPE, { osType: 'beos' }],
    [codes.SHARES_BLOCK_SAVE, { vm: 'web', tags: ['work'] }],
    [codes.CLIPBOARD_BLOCKS_SAVE, { vm: 'web' }],
  ];
  test('every code has the interface\'s words, which name no command and no flag', () => {
    for (const [code, data] of cases) {
      const ui = uiAdvice(coded(code, data));
      assert.ok(ui, code);
      assert.doesNotMatch(ui, /hangar |--[a-z]/, `${code}: ${ui}`);
    }
  });
  test('the command line names its flags', () => {
    assert.equal(cliAdvice(coded(codes.FILE_MISSING, { vm: 'web', role: 'iso', path: '/x.iso' })), "change it with 'hangar modify web --iso FILE' (or --iso none)");
    assert.equal(cliAdvice(coded(codes.GUEST_IGNORED_POWER_BUTTON, { vm: 'my vm' })), `use 'hangar stop "my vm" --force' to power it off`);
    assert.equal(cliAdvice(coded(codes.KVM_UNAVAILABLE, { vm: 'a"$b' })), `use 'hangar modify "a\\"\\$b" --accel auto'`);
    assert.match(cliAdvice(coded(codes.LINKED_CLONES_DEPEND, { vm: 'web', clones: ['c'] })) ?? '', /--keep-shared/);
    assert.match(cliAdvice(coded(codes.IMAGE_READS_OTHER_FILES)) ?? '', /--flatten/);
    assert.equal(cliAdvice(coded(codes.CLIPBOARD_BLOCKS_SAVE, { vm: 'web' })), "shut it down with 'hangar stop web' instead, or stop sharing the clipboard while it is stopped ('hangar modify web --clipboard off')");
  });
  test('an error without a code gets no advice, and its message stays as it is', () => {
    const plain = new HangarError('QEMU_FAILED', 'QEMU exited');
    assert.equal(uiAdvice(plain), undefined);
    assert.equal(cliAdvice(plain), undefined);
    assert.equal(withUiAdvice(plain), 'QEMU exited');
    assert.equal(withUiAdvice(coded(codes.KVM_UNAVAILABLE, { vm: 'x' })), 'what is wrong. Set the accelerator to Automatic in Settings → System.');
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchShortcut, shortcutLabel } from '../../../../src-renderer/app/shortcuts.js';

const key = (k: string, over: Partial<Parameters<typeof matchShortcut>[0]> = {}) => ({ key: k, ctrlKey: true, altKey: true, shiftKey: false, metaKey: false, altGraph: false, ...over });

test('Ctrl+Alt+N, I and E; not the browser\'s own Ctrl+N, and never AltGr typing a letter', () => {
  assert.equal(matchShortcut(key('n')), 'newVm');
  assert.equal(matchShortcut(key('N')), 'newVm');
  assert.equal(matchShortcut(key('i')), 'importAppliance');
  assert.equal(matchShortcut(key('e')), 'exportAppliance');
  assert.equal(matchShortcut(key('n', { altKey: false })), null, 'Ctrl+N stays the browser\'s');
  assert.equal(matchShortcut(key('n', { altGraph: true })), null, 'AltGr+N types ń on Polish keyboards');
  assert.equal(matchShortcut(key('n', { shiftKey: true })), null);
  assert.equal(matchShortcut(key('x')), null);
  assert.equal(shortcutLabel('newVm'), 'Ctrl+Alt+N');
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { oneLine } from '../../../../src-main/cli/output.js';

describe('oneLine', () => {
  test('plain messages, quotes and unicode pass unchanged', () => {
    for (const m of ["no VM named or with id 'x'", `VM 'Dev "box" — ünïcode's' is busy`, 'é\u0301 🚀 日本']) assert.equal(oneLine(m), m);
  });

  test('controls, bidirectional controls and line separators become visible escapes', () => {
    assert.equal(oneLine("no VM named 'a\nb'"), "no VM named 'a\\nb'");
    assert.equal(oneLine('a\r\tb\x07\x1b[31m\x7f\u0085'), 'a\\r\\tb\\x07\\x1b[31m\\x7f\\x85');
    assert.equal(oneLine('x\u202eyz\u2028\u2066'), 'x\\u202eyz\\u2028\\u2066');
    assert.equal(oneLine('a\nb').split('\n').length, 1);
  });

  test('a very long message keeps its start and its end', () => {
    const long = `no VM named '${'y'.repeat(10_000)}' here`;
    const s = oneLine(long);
    assert.equal([...s].length, 1000);
    assert.ok(s.startsWith("no VM named 'yyy"));
    assert.ok(s.endsWith("yyy' here"));
    assert.match(s, / … /);
  });
});

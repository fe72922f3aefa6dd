import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatWebLink, parseWebLink, portToTry } from '../../../../src-main/web/webLink.js';

describe('the web link kept in the home', () => {
  const token = 'A'.repeat(20) + 'b_-9'.repeat(3) + 'z'.repeat(8);
  test('a kept link reads back; anything else is not a link', () => {
    assert.deepEqual(parseWebLink(formatWebLink({ token, port: 41234 })), { token, port: 41234 });
    assert.deepEqual(parseWebLink(formatWebLink({ token, port: null })), { token, port: null });
    for (const bad of ['', 'not json', '{}', JSON.stringify({ token: 'short', port: 1 }), JSON.stringify({ token, port: 70000 }), JSON.stringify({ token: `${token}?x`, port: 1 }), JSON.stringify({ token, port: 1, extra: true })]) {
      assert.equal(parseWebLink(bad), null, bad);
    }
  });
  test('the port: the one asked for, else last time\'s (which may give way), else any', () => {
    assert.deepEqual(portToTry(8080, 41234), { port: 8080, fallback: false });
    assert.deepEqual(portToTry(undefined, 41234), { port: 41234, fallback: true });
    assert.deepEqual(portToTry(undefined, null), { port: 0, fallback: false });
  });
});

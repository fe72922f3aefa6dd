import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePathname, parseRequestTarget, MAX_TARGET_LENGTH } from '../../../../src-main/web/requestTarget.js';

describe('parseRequestTarget', () => {
  test('origin-form and absolute-form targets give their path and query', () => {
    const t = parseRequestTarget('/api?token=abc&x=1')!;
    assert.equal(t.pathname, '/api');
    assert.equal(t.searchParams.get('token'), 'abc');
    assert.equal(parseRequestTarget('http://127.0.0.1:8080/index.html')!.pathname, '/index.html');
    assert.equal(parseRequestTarget('/%')!.pathname, '/%', 'kept encoded: decoding is decodePathname\'s job');
  });

  test('targets the URL parser refuses, and forms a server does not serve, are null instead of an exception', () => {
    for (const raw of [undefined, '', '*', 'example.com:443', 'http://[', 'http://%', 'https://[::1', 'http://a b/', 'x'.repeat(10), `/${'a'.repeat(MAX_TARGET_LENGTH)}`]) {
      assert.equal(parseRequestTarget(raw), null, String(raw).slice(0, 40));
    }
  });

  test('a target starting with // stays a path on this server, not a URL of another host', () => {
    assert.equal(parseRequestTarget('//evil.example/x')!.pathname, '/evil.example/x');
    assert.equal(parseRequestTarget('//[')!.pathname, '/[');
  });
});

describe('decodePathname', () => {
  test('decodes what decodes', () => {
    assert.equal(decodePathname('/assets/a%20b.js'), '/assets/a b.js');
    assert.equal(decodePathname('/%E2%9C%93'), '/\u2713');
  });

  test('malformed escapes and control characters are null (decodeURIComponent would throw or let a NUL through)', () => {
    for (const p of ['/%', '/%%', '/%zz', '/%c0%ae', '/%E0%A4%A', '/%ED%A0%80', '/%F0%9F%98', '/a%00b', '/%0a', '/%7f']) {
      assert.equal(decodePathname(p), null, p);
    }
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { guestLinkTarget, MAX_GUEST_LINK_LENGTH } from '../../../../src-renderer/consoles/guestLinks.js';

describe('guestLinkTarget', () => {
  test('an http(s) link gives its normalized URL and its host', () => {
    assert.deepEqual(guestLinkTarget('https://example.com/a b'), { href: 'https://example.com/a%20b', host: 'example.com', userinfo: null });
    assert.deepEqual(guestLinkTarget('http://127.0.0.1:8080/x'), { href: 'http://127.0.0.1:8080/x', host: '127.0.0.1:8080', userinfo: null });
  });

  test('a user name before the host is shown as such: the site is the host after @', () => {
    const l = guestLinkTarget('https://bank.example.com@evil.example/login')!;
    assert.equal(l.host, 'evil.example');
    assert.equal(l.userinfo, 'bank.example.com');
  });

  test('look-alike hosts are shown in punycode, and bidi controls percent-encoded', () => {
    assert.equal(guestLinkTarget('https://exаmple.com/')!.host, 'xn--exmple-4nf.com'); // a Cyrillic а
    assert.equal(guestLinkTarget('https://example.com/\u202egnp.exe')!.href, 'https://example.com/%E2%80%AEgnp.exe');
  });

  test('other schemes, malformed and overlong links are refused', () => {
    for (const uri of ['javascript:alert(1)', 'file:///etc/passwd', 'data:text/html,x', 'vbscript:x', 'ftp://example.com/', 'https://', 'not a url', '', `https://example.com/${'a'.repeat(MAX_GUEST_LINK_LENGTH)}`]) {
      assert.equal(guestLinkTarget(uri), null, uri.slice(0, 40));
    }
  });
});

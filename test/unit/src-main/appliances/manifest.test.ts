import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { formatManifestLine, parseDigestLine, parseManifest } from '../../../../src-main/appliances/manifest.js';

const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
const sha1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const sha512 = 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

const invalid = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof HangarError, String(e));
  assert.equal(e.code, 'INVALID_INPUT');
  assert.match(e.message, pattern);
  return true;
};

describe('parseManifest', () => {
  test('the spec form, VMware form and VirtualBox BSD form, mixed algorithms', () => {
    const text = [`SHA1(app.ovf)= ${sha1}`, `SHA256(app-disk1.vmdk)= ${sha256.toUpperCase()}`, `SHA1 (vbox-disk001.vmdk) = ${sha1}`, `MD5(old.iso)=${md5}`, `SHA512(nvram.bin)=   ${sha512}`].join('\n');
    assert.deepEqual(parseManifest(text), [
      { algorithm: 'sha1', file: 'app.ovf', digest: sha1 },
      { algorithm: 'sha256', file: 'app-disk1.vmdk', digest: sha256 },
      { algorithm: 'sha1', file: 'vbox-disk001.vmdk', digest: sha1 },
      { algorithm: 'md5', file: 'old.iso', digest: md5 },
      { algorithm: 'sha512', file: 'nvram.bin', digest: sha512 },
    ]);
  });

  test('CRLF, blank lines, surrounding spaces, a BOM, lower-case algorithm names', () => {
    const text = `\uFEFF\r\n  sha256(a.ovf)= ${sha256}  \r\n\r\n\tSha1 ( b.vmdk )\t=\t${sha1}\r\n`;
    assert.deepEqual(parseManifest(text), [
      { algorithm: 'sha256', file: 'a.ovf', digest: sha256 },
      { algorithm: 'sha1', file: 'b.vmdk', digest: sha1 },
    ]);
    assert.deepEqual(parseManifest(''), []);
    assert.deepEqual(parseManifest('\n\n'), []);
  });

  test('names with parentheses, spaces and directories', () => {
    assert.deepEqual(parseManifest(`SHA256(My VM (copy)/disk (1).vmdk)= ${sha256}\n`), [{ algorithm: 'sha256', file: 'My VM (copy)/disk (1).vmdk', digest: sha256 }]);
  });

  test('malformed lines are refused with their line number', () => {
    assert.throws(() => parseManifest(`SHA256(a)= ${sha256}\n\ngarbage here\n`, 'app.mf'), invalid(/^app\.mf, line 3, is not a digest line of the form SHA256\(file\)= hex: "garbage here"$/));
    assert.throws(() => parseManifest(`SHA384(a)= ${sha256}`), invalid(/line 1, is not a digest line/));
    assert.throws(() => parseManifest(`SHA256()= ${sha256}`), invalid(/line 1, is not a digest line/));
    assert.throws(() => parseManifest(`SHA256(a)= ${sha256.slice(0, 63)}z`), invalid(/line 1, is not a digest line/));
    assert.throws(() => parseManifest(`SHA256(a)= ${sha256} trailing`), invalid(/line 1, is not a digest line/));
    assert.throws(() => parseManifest(`SHA256(a) ${sha256}`), invalid(/line 1, is not a digest line/));
    assert.throws(() => parseManifest(`x`.repeat(300)), invalid(/"x{77}\.\.\."$/));
  });

  test('a digest of the wrong length for its algorithm', () => {
    assert.throws(() => parseManifest(`\nSHA256(a.vmdk)= ${sha1}`), invalid(/^the manifest, line 2: a SHA256 digest has 64 hex digits, not 40$/));
    assert.throws(() => parseManifest(`MD5(a)= ${sha256}`), invalid(/a MD5 digest has 32 hex digits, not 64/));
  });

  test('a file listed twice', () => {
    assert.throws(() => parseManifest(`SHA1(a.ovf)= ${sha1}\nSHA256(b)= ${sha256}\nSHA256(a.ovf)= ${sha256}\n`), invalid(/^the manifest, line 3: a\.ovf is listed twice \(first on line 1\)$/));
  });
});

describe('parseDigestLine', () => {
  test('any hex length (a .cert signature line)', () => {
    assert.deepEqual(parseDigestLine(`SHA256(app.mf)= ABCDEF0123`), { algorithm: 'sha256', file: 'app.mf', hex: 'abcdef0123' });
    assert.equal(parseDigestLine('-----BEGIN CERTIFICATE-----'), null);
  });
});

describe('formatManifestLine', () => {
  test('writes the spec form and round-trips', () => {
    assert.equal(formatManifestLine('sha256', 'app.ovf', sha256.toUpperCase()), `SHA256(app.ovf)= ${sha256}\n`);
    assert.equal(formatManifestLine('sha1', 'a', sha1), `SHA1(a)= ${sha1}\n`);
    const text = formatManifestLine('md5', 'x y.iso', md5) + formatManifestLine('sha512', 'n.nvram', sha512);
    assert.deepEqual(parseManifest(text), [
      { algorithm: 'md5', file: 'x y.iso', digest: md5 },
      { algorithm: 'sha512', file: 'n.nvram', digest: sha512 },
    ]);
  });

  test('refuses bad names and digests', () => {
    assert.throws(() => formatManifestLine('sha256', 'a\nb', sha256), invalid(/cannot list/));
    assert.throws(() => formatManifestLine('sha256', '', sha256), invalid(/cannot list/));
    assert.throws(() => formatManifestLine('sha256', ' a', sha256), invalid(/cannot list/));
    assert.throws(() => formatManifestLine('sha256', 'a', sha1), invalid(/is not a SHA256 digest/));
    assert.throws(() => formatManifestLine('sha1', 'a', `${sha1.slice(1)}g`), invalid(/is not a SHA1 digest/));
  });
});

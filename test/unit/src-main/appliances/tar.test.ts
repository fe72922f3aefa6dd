import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError, type ErrorCode } from '../../../../src-vmm/base/errors.js';
import {
  TAR_BLOCK,
  TarHeaderParser,
  checkMembers,
  headerChecksumOk,
  isIgnorableMemberName,
  normaliseMemberName,
  paxRecord,
  parseTarBuffer,
  refuseNonTarContainer,
  tarHeaderBlocks,
  tarPadding,
  type TarMember,
} from '../../../../src-main/appliances/tar.js';

const GiB = 1024 ** 3;
const label = 'test.ova';

const fails = (code: ErrorCode, pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof HangarError, `expected a HangarError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  assert.match(e.message, pattern);
  return true;
};

interface RawHeader {
  name?: string | Buffer;
  size?: number | Buffer;
  typeflag?: string;
  magic?: 'ustar' | 'gnu' | 'v7';
  prefix?: string | Buffer;
  linkname?: string;
  mode?: number;
  mtime?: number;
  signedChecksum?: boolean;
  badChecksum?: boolean;
}

/** A header block built by hand, field by field, so the parser is not tested against its own writer. */
function rawHeader(f: RawHeader): Buffer {
  const h = Buffer.alloc(TAR_BLOCK);
  const put = (off: number, v: string | Buffer) => (typeof v === 'string' ? Buffer.from(v, 'latin1') : v).copy(h, off);
  put(0, f.name ?? 'file.txt');
  put(100, `${(f.mode ?? 0o644).toString(8).padStart(7, '0')}\0`);
  put(108, '0000000\0');
  put(116, '0000000\0');
  if (Buffer.isBuffer(f.size)) put(124, f.size);
  else put(124, `${(f.size ?? 0).toString(8).padStart(11, '0')}\0`);
  put(136, `${(f.mtime ?? 1700000000).toString(8).padStart(11, '0')}\0`);
  put(156, f.typeflag ?? '0');
  if (f.linkname) put(157, f.linkname);
  const magic = f.magic ?? 'ustar';
  if (magic === 'ustar') put(257, 'ustar\x0000');
  if (magic === 'gnu') put(257, 'ustar  \0');
  if (magic !== 'v7') {
    put(265, 'root');
    put(297, 'root');
  }
  if (f.prefix) put(345, f.prefix);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += f.signedChecksum && b > 127 ? b - 256 : b;
  if (f.badChecksum) sum += 1;
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

const data = (n: number, fill = 0x61) => Buffer.concat([Buffer.alloc(n, fill), Buffer.alloc(tarPadding(n))]);
const end = Buffer.alloc(2 * TAR_BLOCK);
const parse = (...parts: Buffer[]) => parseTarBuffer(Buffer.concat(parts), { label });

describe('tar header parsing', () => {
  test('ustar: name, size, mode, mtime and offsets; data is skipped by offset', () => {
    const members = parse(rawHeader({ name: 'a.ovf', size: 700 }), data(700), rawHeader({ name: 'b.vmdk', size: 3, mode: 0o600, mtime: 1234 }), data(3), end);
    assert.deepEqual(
      members.map((m) => [m.name, m.type, m.size, m.headerOffset, m.dataOffset]),
      [
        ['a.ovf', 'file', 700, 0, 512],
        ['b.vmdk', 'file', 3, 1536, 2048],
      ],
    );
    assert.equal(members[1]!.mode, 0o600);
    assert.equal(members[1]!.mtime, 1234);
    assert.equal(members[1]!.typeflag, '0');
  });

  test('ustar prefix field is joined to the name; old GNU headers have no prefix', () => {
    const [m] = parse(rawHeader({ name: 'disk.vmdk', prefix: 'some/dir', size: 1 }), data(1), end);
    assert.equal(m!.name, 'some/dir/disk.vmdk');
    assert.equal(m!.path, 'some/dir/disk.vmdk');
    // Old GNU keeps access/change times where ustar keeps the prefix.
    const [g] = parse(rawHeader({ name: 'disk.vmdk', magic: 'gnu', prefix: '14567012345\0', size: 1 }), data(1), end);
    assert.equal(g!.name, 'disk.vmdk');
  });

  test('v7: no magic, NUL type flag, directories by trailing slash', () => {
    const members = parse(rawHeader({ name: 'dir/', magic: 'v7', typeflag: '\0' }), rawHeader({ name: 'dir/x.ovf', magic: 'v7', typeflag: '\0', size: 5 }), data(5), end);
    assert.deepEqual(
      members.map((m) => [m.name, m.type, m.size]),
      [
        ['dir/', 'directory', 0],
        ['dir/x.ovf', 'file', 5],
      ],
    );
    assert.equal(members[0]!.path, 'dir');
  });

  test('GNU base-256 size field (VirtualBox, members >= 8 GiB)', () => {
    const size = 9 * GiB + 5;
    const field = Buffer.alloc(12);
    field[0] = 0x80;
    field.writeUIntBE(size, 6, 6);
    const p = new TarHeaderParser({ label });
    const buf = rawHeader({ name: 'big.vmdk', size: field });
    assert.deepEqual(p.next(), { offset: 0, length: 512 });
    p.feed(buf);
    // The next header is asked for after the data, which is never read.
    assert.deepEqual(p.next(), { offset: 512 + 9 * GiB + 512, length: 512 });
    p.feed(Buffer.alloc(0));
    assert.equal(p.next(), null);
    assert.equal(p.endedBy, 'end-of-file');
    assert.equal(p.members[0]!.size, size);
    assert.throws(() => checkMembers(p.members, { label, fileSize: 1024 }), fails('UNSAFE_ARCHIVE', /"big\.vmdk" declares 9663676421 bytes.*truncated/));
    checkMembers(p.members, { label, fileSize: 512 + size + 1024 });
    const negative = Buffer.alloc(12, 0xff);
    assert.throws(() => parse(rawHeader({ name: 'neg', size: negative })), fails('INVALID_INPUT', /unreadable size/));
  });

  test('pax extended header: path, size and linkpath apply to the next member; global headers are ignored', () => {
    const longName = `${'d'.repeat(120)}/${'n'.repeat(120)}.vmdk`;
    const records = Buffer.concat([paxRecord('path', longName), paxRecord('size', '10'), paxRecord('mtime', '1700000000.5'), paxRecord('comment', 'é ünïcode')]);
    const global = paxRecord('comment', 'global');
    const members = parse(
      rawHeader({ name: 'pax_global_header', typeflag: 'g', size: global.length }),
      data(global.length).fill(global, 0, global.length),
      rawHeader({ name: 'PaxHeaders/x', typeflag: 'x', size: records.length }),
      Buffer.concat([records, Buffer.alloc(tarPadding(records.length))]),
      rawHeader({ name: 'truncated-name', size: 0 }),
      data(10),
      rawHeader({ name: 'after', size: 1 }),
      data(1),
      end,
    );
    assert.equal(members.length, 2);
    assert.equal(members[0]!.name, longName);
    assert.equal(members[0]!.size, 10);
    assert.equal(members[0]!.headerOffset, 512 + 512 + 512 + 512);
    assert.equal(members[1]!.name, 'after'); // pax records apply to one member only
    assert.equal(members[1]!.headerOffset, members[0]!.dataOffset + 512);

    const link = paxRecord('linkpath', 'target/with/a/long/path');
    const [l] = parse(rawHeader({ typeflag: 'x', size: link.length }), data(link.length).fill(link, 0, link.length), rawHeader({ name: 'ln', typeflag: '2', linkname: 'short' }), end);
    assert.equal(l!.type, 'symlink');
    assert.equal(l!.linkName, 'target/with/a/long/path');
  });

  test('pax size of 8 GiB or more wins over the header', () => {
    const rec = paxRecord('size', String(20 * GiB));
    const [m] = parse(rawHeader({ typeflag: 'x', size: rec.length }), data(rec.length).fill(rec, 0, rec.length), rawHeader({ name: 'huge.vmdk', size: 0o77777777777 }));
    assert.equal(m!.size, 20 * GiB);
  });

  test('malformed pax records are refused', () => {
    for (const bad of ['5 path=x\n', '99 path=abc\n', 'abc\n', '10 pathabc\n']) {
      const rec = Buffer.from(bad, 'latin1');
      assert.throws(() => parse(rawHeader({ typeflag: 'x', size: rec.length }), data(rec.length).fill(rec, 0, rec.length), rawHeader({}), end), fails('INVALID_INPUT', /pax header at byte 0 is malformed/), bad);
    }
    const rec = paxRecord('size', '12abc');
    assert.throws(() => parse(rawHeader({ typeflag: 'x', size: rec.length }), data(rec.length).fill(rec, 0, rec.length), rawHeader({}), end), fails('INVALID_INPUT', /unreadable size/));
    assert.throws(() => parse(rawHeader({ typeflag: 'x', size: 2 * 1024 * 1024 }), end), fails('UNSAFE_ARCHIVE', /declares 2097152 bytes/));
  });

  test('GNU long name (L) and long link (K)', () => {
    const name = `${'x'.repeat(300)}.ovf`;
    const nameData = Buffer.from(`${name}\0`);
    const linkData = Buffer.from(`${'t'.repeat(200)}\0`);
    const members = parse(
      rawHeader({ name: '././@LongLink', typeflag: 'L', size: nameData.length, magic: 'gnu' }),
      data(nameData.length).fill(nameData, 0, nameData.length),
      rawHeader({ name: name.slice(0, 100), size: 4, magic: 'gnu' }),
      data(4),
      rawHeader({ name: '././@LongLink', typeflag: 'K', size: linkData.length, magic: 'gnu' }),
      data(linkData.length).fill(linkData, 0, linkData.length),
      rawHeader({ name: 'hl', typeflag: '1', linkname: 't'.repeat(100), magic: 'gnu' }),
      end,
    );
    assert.equal(members[0]!.name, name);
    assert.equal(members[0]!.size, 4);
    assert.equal(members[1]!.type, 'hardlink');
    assert.equal(members[1]!.linkName, 't'.repeat(200));
    assert.equal(members[1]!.size, 0);
  });

  test('header-only types take no data even when their size field says otherwise', () => {
    const members = parse(rawHeader({ name: 'd/', typeflag: '5', size: 4096 }), rawHeader({ name: 'd/f', size: 1 }), data(1), end);
    assert.deepEqual(
      members.map((m) => [m.name, m.type, m.size, m.headerOffset]),
      [
        ['d/', 'directory', 0, 0],
        ['d/f', 'file', 1, 512],
      ],
    );
  });

  test('checksums: signed sums pass, bad sums fail', () => {
    const latin = Buffer.from('caf\xe9-\xff.ovf', 'latin1');
    assert.ok(headerChecksumOk(rawHeader({ name: latin, signedChecksum: true })));
    assert.ok(headerChecksumOk(rawHeader({ name: latin })));
    assert.ok(!headerChecksumOk(rawHeader({ name: latin, badChecksum: true })));
    const [m] = parse(rawHeader({ name: latin, signedChecksum: true }), end);
    assert.equal(m!.name, 'café-ÿ.ovf'); // not UTF-8: read as Latin-1
    assert.throws(() => parse(rawHeader({ badChecksum: true })), fails('INVALID_INPUT', /^test\.ova is not an OVA: no tar header at the start$/));
    assert.throws(() => parse(rawHeader({ size: 1 }), data(1), rawHeader({ badChecksum: true })), fails('INVALID_INPUT', /damaged: the tar header at byte 1024 has a bad checksum/));
  });

  test('the archive ends at the first zero block, or at the end of the file', () => {
    const p = new TarHeaderParser({ label });
    const buf = Buffer.concat([rawHeader({ size: 1 }), data(1), Buffer.alloc(512), rawHeader({ name: 'hidden' })]);
    for (let r = p.next(); r; r = p.next()) p.feed(buf.subarray(r.offset, r.offset + r.length));
    assert.equal(p.endedBy, 'zero-block');
    assert.deepEqual(
      p.members.map((m) => m.name),
      ['file.txt'],
    );
    assert.equal(parse(rawHeader({ size: 1 }), data(1)).length, 1);
    assert.deepEqual(parse(Buffer.alloc(10240)), []);
  });

  test('not a tar: empty, too short, compressed, zip, disk images', () => {
    assert.throws(() => parse(Buffer.alloc(0)), fails('INVALID_INPUT', /^test\.ova is empty$/));
    assert.throws(() => parse(Buffer.from('hello')), fails('INVALID_INPUT', /too short to hold a tar header/));
    assert.throws(() => parse(Buffer.from('<?xml version="1.0"?>\n<Envelope/>'.padEnd(600))), fails('INVALID_INPUT', /is not an OVA: no tar header at the start/));
    const cases: [number[], RegExp][] = [
      [[0x1f, 0x8b, 8, 0], /^test\.ova is a gzip-compressed file, not a tar: decompress it first \(gunzip\) and import the \.ova inside$/],
      [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0], /xz-compressed file.*unxz/],
      [[0x42, 0x5a, 0x68, 0x39, 0x31, 0x41], /bzip2-compressed file.*bunzip2/],
      [[0x28, 0xb5, 0x2f, 0xfd], /zstd-compressed/],
      [[0x50, 0x4b, 3, 4], /is a zip archive, not a tar: extract it first/],
      [[0x50, 0x4b, 5, 6], /is a zip archive/],
      [[0x51, 0x46, 0x49, 0xfb], /QCOW2 disk image/],
      [[0x4b, 0x44, 0x4d, 0x56], /VMDK disk image/],
    ];
    for (const [magic, re] of cases) {
      assert.throws(() => refuseNonTarContainer(Buffer.from(magic), label), fails('INVALID_INPUT', re));
      // Short or long, the magic is what is reported.
      assert.throws(() => parse(Buffer.concat([Buffer.from(magic), Buffer.alloc(1000)])), fails('INVALID_INPUT', re));
      assert.throws(() => parse(Buffer.from(magic)), fails('INVALID_INPUT', re));
    }
    refuseNonTarContainer(Buffer.from('BZh0'), label); // not a bzip2 block size: not refused here
  });

  test('truncation inside headers and extended records', () => {
    const whole = Buffer.concat([rawHeader({ size: 1 }), data(1), rawHeader({ name: 'b' })]);
    assert.throws(() => parse(whole.subarray(0, 1024 + 100)), fails('UNSAFE_ARCHIVE', /truncated: it ends inside the tar header at byte 1024/));
    const rec = paxRecord('path', 'long');
    assert.throws(() => parse(rawHeader({ typeflag: 'x', size: rec.length }), rec.subarray(0, 3)), fails('UNSAFE_ARCHIVE', /ends inside the extended header at byte 0/));
    assert.throws(() => parse(rawHeader({ typeflag: 'x', size: rec.length }), data(rec.length).fill(rec, 0, rec.length)), fails('UNSAFE_ARCHIVE', /truncated/));
  });

  test('the member limit stops the parser early', () => {
    const blocks = Array.from({ length: 5 }, (_, i) => rawHeader({ name: `f${i}` }));
    assert.throws(() => parseTarBuffer(Buffer.concat([...blocks, end]), { label, maxMembers: 4 }), fails('UNSAFE_ARCHIVE', /has more than 4 members/));
    assert.equal(parseTarBuffer(Buffer.concat([...blocks, end]), { label, maxMembers: 5 }).length, 5);
    const paxOnly = Array.from({ length: 40 }, () => rawHeader({ typeflag: 'g' }));
    assert.throws(() => parseTarBuffer(Buffer.concat(paxOnly), { label, maxMembers: 5 }), fails('UNSAFE_ARCHIVE', /more than 5 members/));
  });

  test('GNU sparse members are flagged (type S and pax GNU.sparse.*)', () => {
    const [s] = parse(rawHeader({ name: 'sparse.img', typeflag: 'S', magic: 'gnu' }), end);
    assert.equal(s!.type, 'other');
    assert.equal(s!.sparse, true);
    const rec = Buffer.concat([paxRecord('GNU.sparse.major', '1'), paxRecord('GNU.sparse.minor', '0')]);
    const [p] = parse(rawHeader({ typeflag: 'x', size: rec.length }), data(rec.length).fill(rec, 0, rec.length), rawHeader({ name: 'GNUSparseFile.0/disk.img', size: 1 }), data(1), end);
    assert.equal(p!.sparse, true);
    assert.throws(() => checkMembers([p!], { label, fileSize: 1e6 }), fails('UNSAFE_ARCHIVE', /sparse format/));
  });
});

describe('names', () => {
  test('normaliseMemberName', () => {
    assert.equal(normaliseMemberName('./a.ovf'), 'a.ovf');
    assert.equal(normaliseMemberName('././dir//./b.vmdk'), 'dir/b.vmdk');
    assert.equal(normaliseMemberName('dir/'), 'dir');
    assert.equal(normaliseMemberName('./'), '');
  });

  test('isIgnorableMemberName', () => {
    for (const n of ['._a.ovf', './._disk.vmdk', 'dir/._x', '.DS_Store', 'PaxHeader/a.ovf', 'PaxHeaders.1234/disk.vmdk', '__MACOSX/a.ovf', 'GlobalHead.0.1']) {
      assert.ok(isIgnorableMemberName(n), n);
    }
    for (const n of ['a.ovf', 'dir/disk.vmdk', '.hidden', 'a._b', 'MyPaxHeaderDisk.vmdk']) assert.ok(!isIgnorableMemberName(n), n);
  });
});

describe('checkMembers', () => {
  let at = 0;
  const member = (name: string, extra: Partial<TarMember> = {}): TarMember => {
    at += 1024;
    return { name, path: normaliseMemberName(name), type: 'file', typeflag: '0', size: 10, headerOffset: at - 512, dataOffset: at, mode: 0o644, mtime: 0, ignorable: isIgnorableMemberName(name), ...extra };
  };
  const ok = (ms: TarMember[]) => checkMembers(ms, { label, fileSize: 1e9 });
  const refused = (ms: TarMember[], re: RegExp, opts: { fileSize?: number; maxMembers?: number; maxNameLength?: number } = {}) =>
    assert.throws(() => checkMembers(ms, { label, fileSize: opts.fileSize ?? 1e9, maxMembers: opts.maxMembers, maxNameLength: opts.maxNameLength }), fails('UNSAFE_ARCHIVE', re));

  test('a plain appliance passes, with directories, clutter and a volume label', () => {
    ok([
      member('./', { type: 'directory', size: 0 }),
      member('./app.ovf'),
      member('./app.mf'),
      member('./._app.ovf'),
      member('._app.ovf'),
      member('PaxHeader/app.ovf'),
      member('disks/', { type: 'directory', size: 0 }),
      member('disks/', { type: 'directory', size: 0 }),
      member('disks/app-disk1.vmdk'),
      member('label', { type: 'other', typeflag: 'V', size: 0 }),
    ]);
  });

  test('each refusal names the member and says why', () => {
    refused([member('/etc/passwd')], /^test\.ova: member "\/etc\/passwd" has an absolute path$/);
    refused([member('a/../../evil')], /member "a\/\.\.\/\.\.\/evil" has "\.\." in its path/);
    refused([member('..')], /has "\.\." in its path/);
    refused([member('dir\\evil.vmdk')], /"dir\\\\evil\.vmdk" uses backslashes as path separators/);
    refused([member('C:evil')], /has a drive letter/);
    refused([member('a\u0000b')], /"a\\u0000b" has control characters/);
    refused([member('a\nb')], /"a\\nb" has control characters/);
    refused([member('ln', { type: 'symlink', linkName: '/etc/shadow', size: 0 })], /member "ln" is a symbolic link \(to "\/etc\/shadow"\)/);
    refused([member('hl', { type: 'hardlink', linkName: 'app.ovf', size: 0 })], /member "hl" is a hard link \(to "app\.ovf"\)/);
    refused([member('tty', { type: 'char', size: 0 })], /is a character device/);
    refused([member('sda', { type: 'block', size: 0 })], /is a block device/);
    refused([member('p', { type: 'fifo', size: 0 })], /is a named pipe/);
    refused([member('m', { type: 'other', typeflag: 'M' })], /has tar member type "M"/);
    refused([member('./._evil', { type: 'symlink', linkName: '/' })], /is a symbolic link/); // clutter is still checked
    refused([member('app.ovf'), member('./app.ovf')], /member "\.\/app\.ovf" appears twice/);
    refused([member('dir/a'), member('dir//a')], /appears twice/);
    refused([member('x', { type: 'directory', size: 0 }), member('./', { size: 1 })], /has an empty name/);
    refused([member(`${'a/'.repeat(2100)}f`)], /has a name 4201 characters long \(the limit is 4096\)/);
    refused([member('abcdef')], /limit is 5/, { maxNameLength: 5 });
  });

  test('a member running past the end of the file is a truncated archive', () => {
    const m = member('disk.vmdk', { size: 5000 });
    refused([m], /member "disk\.vmdk" declares 5000 bytes, but the file ends 100 bytes into it: the archive is truncated/, { fileSize: m.dataOffset + 100 });
    checkMembers([m], { label, fileSize: m.dataOffset + 5000 });
  });

  test('too many members', () => {
    const many = Array.from({ length: 6 }, (_, i) => member(`f${i}`));
    refused(many, /^test\.ova has 6 members, more than the 5 an appliance could need$/, { maxMembers: 5 });
    checkMembers(many, { label, fileSize: 1e9, maxMembers: 6 });
  });

  test('very long names are shortened in messages', () => {
    const name = `/${'z'.repeat(500)}`;
    assert.throws(
      () => ok([member(name)]),
      (e: unknown) => e instanceof HangarError && e.message.length < 200 && e.message.includes('…'),
    );
  });
});

describe('tarHeaderBlocks (writing)', () => {
  const roundTrip = (name: string, size: number) => {
    const blocks = tarHeaderBlocks({ name, size, mtime: 1700000000 });
    assert.equal(blocks.length % TAR_BLOCK, 0);
    const p = new TarHeaderParser({ label });
    for (let r = p.next(); r && r.offset < blocks.length; r = p.next()) p.feed(blocks.subarray(r.offset, r.offset + r.length));
    assert.equal(p.members.length, 1);
    const m = p.members[0]!;
    assert.equal(m.name, name);
    assert.equal(m.size, size);
    assert.equal(m.dataOffset, blocks.length);
    assert.equal(m.mode, 0o644);
    assert.equal(m.mtime, 1700000000);
    for (let off = 0; off < blocks.length; off += TAR_BLOCK) {
      const b = blocks.subarray(off, off + TAR_BLOCK);
      if (b[257] === 0x75) assert.ok(headerChecksumOk(b), `block at ${off}`);
    }
    return blocks;
  };

  test('a short name is one ustar header with owner hangar', () => {
    const b = roundTrip('app.ovf', 1234);
    assert.equal(b.length, 512);
    assert.equal(b.subarray(257, 265).toString('latin1'), 'ustar\x0000');
    assert.equal(b.subarray(265, 271).toString('latin1'), 'hangar');
    assert.equal(b.subarray(124, 136).toString('latin1'), '00000002322\0');
  });

  test('a 150-character name with a slash goes in prefix + name; without one, in a pax header', () => {
    const split = `${'p'.repeat(60)}/${'q'.repeat(89)}`;
    assert.equal(split.length, 150);
    const b = roundTrip(split, 1);
    assert.equal(b.length, 512);
    assert.equal(b.subarray(345, 405).toString('latin1'), 'p'.repeat(60));
    const flat = `${'r'.repeat(146)}.vmdk`;
    const pax = roundTrip(flat, 1);
    assert.equal(pax.length, 3 * 512);
    assert.equal(String.fromCharCode(pax[156]!), 'x');
    roundTrip(`dir/${'s'.repeat(200)}`, 0);
    roundTrip('ünïcødé.ovf', 3);
  });

  test('8 GiB or more: pax size record and a base-256 size field', () => {
    const size = 8 * GiB + 1;
    const b = roundTrip('big.vmdk', size);
    const ustar = b.subarray(b.length - 512);
    assert.equal(ustar[124], 0x80);
    assert.equal(ustar.readUIntBE(130, 6), size);
    assert.ok(b.includes(Buffer.from(`size=${size}\n`)));
    assert.equal(roundTrip('edge.vmdk', 0o77777777777).length, 512);
  });

  test('paxRecord counts its own length', () => {
    assert.equal(paxRecord('path', 'a').toString(), '9 path=a\n');
    const r = paxRecord('path', 'x'.repeat(93));
    assert.equal(r.length, 103);
    assert.ok(r.toString().startsWith('103 '));
    const r2 = paxRecord('path', 'x'.repeat(91));
    assert.equal(r2.toString().split(' ')[0], String(r2.length));
  });

  test('with a length, the header takes exactly the room reserved for a larger size, and reads back with the smaller one', () => {
    const parse = (blocks: Buffer) => {
      const p = new TarHeaderParser({ label });
      for (let r = p.next(); r && r.offset < blocks.length; r = p.next()) p.feed(blocks.subarray(r.offset, r.offset + r.length));
      assert.equal(p.members.length, 1);
      return p.members[0]!;
    };
    const longName = `${'d'.repeat(120)}.vmdk`; // no '/': only a pax path record holds it
    for (const name of ['disk1.vmdk', longName, 'dïsk.vmdk', `${'n'.repeat(480)}.vmdk`]) {
      for (const roomFor of [1000, 8 * GiB, 9 * GiB, Number.MAX_SAFE_INTEGER]) {
        const length = tarHeaderBlocks({ name, size: roomFor, mtime: 0 }).length;
        for (const size of [0, 1, 511, 8 * GiB - 1, 8 * GiB, roomFor].filter((n) => n <= roomFor)) {
          const blocks = tarHeaderBlocks({ name, size, mtime: 0 }, { length });
          assert.equal(blocks.length, length, `${name.slice(0, 12)} size ${size} in the room for ${roomFor}`);
          const m = parse(blocks);
          assert.deepEqual([m.name, m.size, m.dataOffset], [name, size, length]);
        }
      }
    }
    // A header that needs more than the room, or a room no header can take, is refused.
    assert.throws(() => tarHeaderBlocks({ name: 'a', size: 9 * GiB, mtime: 0 }, { length: 512 }), fails('INTERNAL', /needs more than the 512 bytes/));
    assert.throws(() => tarHeaderBlocks({ name: 'a', size: 1, mtime: 0 }, { length: 1024 }), fails('INTERNAL', /needs more than the 1024 bytes/));
    assert.throws(() => tarHeaderBlocks({ name: 'a', size: 1, mtime: 0 }, { length: 700 }), fails('INTERNAL', /cannot take 700 bytes/));
  });

  test('unsafe or empty names and bad sizes are refused', () => {
    for (const name of ['/abs', '../x', 'a\\b', '', 'dir/', 'a\0b']) {
      assert.throws(() => tarHeaderBlocks({ name, size: 1, mtime: 0 }), fails('INVALID_INPUT', /cannot write a tar member/), name);
    }
    assert.throws(() => tarHeaderBlocks({ name: 'a', size: -1, mtime: 0 }), fails('INVALID_INPUT', /bad size/));
    assert.throws(() => tarHeaderBlocks({ name: 'a', size: 1.5, mtime: 0 }), fails('INVALID_INPUT', /bad size/));
  });
});

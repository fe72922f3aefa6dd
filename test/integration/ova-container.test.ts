// The OVA container layer against real tools: archives made by GNU tar in every format are indexed
// by reading headers only; hostile archives are refused; TarWriter output is read back by GNU tar;
// .cert signatures made by openssl are checked.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, ftruncateSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHangarError, type ErrorCode } from '../../src-vmm/base/errors.js';
import { inspectCertificate } from '../../src-main/appliances/certificate.node.js';
import { formatManifestLine } from '../../src-main/appliances/manifest.js';
import { tarHeaderBlocks, type TarMember } from '../../src-main/appliances/tar.js';
import { indexTar } from '../../src-main/appliances/tarIndex.node.js';
import { TarWriter } from '../../src-main/appliances/tarWriter.node.js';

const GiB = 1024 ** 3;

function sh(cmd: string, args: string[], cwd?: string): string {
  // A UTF-8 locale so GNU tar prints non-ASCII names as they are; UTC for its listing dates.
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, env: { ...process.env, LC_ALL: 'C.UTF-8', TZ: 'UTC' } });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isHangarError(e), `expected a HangarError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

function readAt(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const files = (ms: TarMember[]) => ms.filter((m) => m.type === 'file');

describe('OVA container', () => {
  let dir: string;
  let src: string;
  const content = new Map<string, Buffer>();
  const ustarLong = `${'d'.repeat(60)}/${'f'.repeat(86)}.bin`; // 151 characters, splits into prefix + name
  const flatLong = `${'x'.repeat(146)}.bin`; // 150 characters, no slash: GNU long name or pax path

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-ova-container-'));
    src = join(dir, 'src');
    const put = (name: string, data: Buffer) => {
      mkdirSync(join(src, name, '..'), { recursive: true });
      writeFileSync(join(src, name), data);
      content.set(name, data);
    };
    put('app.ovf', Buffer.from('<?xml version="1.0"?>\n<Envelope/>\n'));
    put('app-disk1.vmdk', randomBytes(70_001));
    put('empty.txt', Buffer.alloc(0));
    put('sub/nested.bin', randomBytes(512));
    put(ustarLong, randomBytes(1000));
    put(flatLong, randomBytes(3));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const checkIndexed = (archive: string, members: TarMember[], names: string[]) => {
    assert.deepEqual(
      files(members).map((m) => m.path),
      names,
    );
    for (const m of files(members)) {
      const want = content.get(m.path)!;
      assert.equal(m.size, want.length, m.path);
      assert.ok(readAt(archive, m.dataOffset, m.size).equals(want), `data of ${m.path} at ${m.dataOffset}`);
      assert.equal(m.ignorable, false);
    }
  };

  for (const format of ['ustar', 'pax', 'gnu', 'oldgnu', 'v7'] as const) {
    test(`GNU tar --format=${format}: names, sizes and data offsets`, async () => {
      const names = ['app.ovf', 'app-disk1.vmdk', 'empty.txt', 'sub/nested.bin'];
      if (format !== 'v7') names.push(ustarLong);
      if (format === 'pax' || format === 'gnu' || format === 'oldgnu') names.push(flatLong);
      const archive = join(dir, `${format}.ova`);
      sh('tar', [`--format=${format}`, '-cf', archive, '-C', src, ...names]);
      const members = await indexTar(archive);
      checkIndexed(archive, members, names);
    });
  }

  test('an archive of "." (./ names, directory members) and owner names with spaces', async () => {
    const archive = join(dir, 'dot.ova');
    sh('tar', ['--format=pax', '--owner=John Smith:1000', '--group=Domain Users:1000', '-cf', archive, '-C', src, '.']);
    const members = await indexTar(archive);
    assert.ok(members.some((m) => m.name === './' && m.type === 'directory'));
    assert.ok(members.some((m) => m.name === './sub/' && m.type === 'directory'));
    const byPath = new Map(files(members).map((m) => [m.path, m]));
    assert.deepEqual([...byPath.keys()].sort(), [...content.keys()].sort());
    for (const [path, m] of byPath) assert.ok(readAt(archive, m.dataOffset, m.size).equals(content.get(path)!), path);
  });

  test('a member of 9 GiB (sparse file): pax + base-256 header from tarHeaderBlocks, read by GNU tar and indexTar', async () => {
    const size = 9 * GiB + 7;
    for (const [label, header] of [
      ['pax', tarHeaderBlocks({ name: 'big.vmdk', size, mtime: 1700000000 })],
      ['base-256 only', tarHeaderBlocks({ name: 'big.vmdk', size, mtime: 1700000000 }).subarray(-512)],
    ] as const) {
      const archive = join(dir, 'big.ova');
      const fd = openSync(archive, 'w');
      writeSync(fd, header, 0, header.length, 0);
      const dataEnd = header.length + Math.ceil(size / 512) * 512;
      const tail = tarHeaderBlocks({ name: 'after.mf', size: 2, mtime: 1700000000 });
      writeSync(fd, tail, 0, tail.length, dataEnd);
      writeSync(fd, Buffer.from('ok'), 0, 2, dataEnd + 512);
      ftruncateSync(fd, dataEnd + 1024 + 1024);
      closeSync(fd);
      const listing = sh('tar', ['tvf', archive]);
      assert.match(listing, new RegExp(`hangar/hangar\\s+${size} .* big\\.vmdk\\n`), label);
      assert.match(listing, /after\.mf\n$/, label);
      const members = await indexTar(archive);
      assert.deepEqual(
        members.map((m) => [m.name, m.size, m.dataOffset]),
        [
          ['big.vmdk', size, header.length],
          ['after.mf', 2, dataEnd + 512],
        ],
        label,
      );
      rmSync(archive);
    }
  });

  describe('refused archives', () => {
    test('a symbolic link member', async () => {
      const d = join(dir, 'link-src');
      mkdirSync(d);
      writeFileSync(join(d, 'app.ovf'), 'x');
      symlinkSync('/etc/passwd', join(d, 'disk.vmdk'));
      const archive = join(dir, 'symlink.ova');
      sh('tar', ['-cf', archive, '-C', d, 'app.ovf', 'disk.vmdk']);
      await rejectsWith(indexTar(archive), 'UNSAFE_ARCHIVE', /: member "disk\.vmdk" is a symbolic link \(to "\/etc\/passwd"\)/);
    });

    test('a hard link member', async () => {
      const d = join(dir, 'hardlink-src');
      mkdirSync(d);
      writeFileSync(join(d, 'a.vmdk'), 'x');
      linkSync(join(d, 'a.vmdk'), join(d, 'b.vmdk'));
      const archive = join(dir, 'hardlink.ova');
      sh('tar', ['-cf', archive, '-C', d, 'a.vmdk', 'b.vmdk']);
      await rejectsWith(indexTar(archive), 'UNSAFE_ARCHIVE', /member "b\.vmdk" is a hard link \(to "a\.vmdk"\)/);
    });

    test('a fifo member', async () => {
      const d = join(dir, 'fifo-src');
      mkdirSync(d);
      sh('mkfifo', [join(d, 'pipe')]);
      const archive = join(dir, 'fifo.ova');
      sh('tar', ['-cf', archive, '-C', d, 'pipe']);
      await rejectsWith(indexTar(archive), 'UNSAFE_ARCHIVE', /member "pipe" is a named pipe/);
    });

    test('a ../evil member', async () => {
      const d = join(dir, 'dots', 'inner');
      mkdirSync(d, { recursive: true });
      writeFileSync(join(dir, 'dots', 'evil'), 'owned');
      const archive = join(dir, 'dotdot.ova');
      sh('tar', ['--format=pax', '-cf', archive, '-P', '../evil'], d);
      assert.equal(sh('tar', ['tf', archive]).trim(), '../evil');
      await rejectsWith(indexTar(archive), 'UNSAFE_ARCHIVE', /member "\.\.\/evil" has "\.\." in its path/);
    });

    test('an absolute path', async () => {
      const abs = join(src, 'app.ovf');
      const archive = join(dir, 'absolute.ova');
      sh('tar', ['-cf', archive, '-P', abs]);
      await rejectsWith(indexTar(archive), 'UNSAFE_ARCHIVE', new RegExp(`member "${abs.replace(/[.]/g, '\\.')}" has an absolute path`));
    });

    test('a member listed twice (tar -r)', async () => {
      const archive = join(dir, 'twice.ova');
      sh('tar', ['-cf', archive, '-C', src, 'app.ovf']);
      sh('tar', ['-rf', archive, '-C', src, './app.ovf']);
      await rejectsWith(indexTar(archive), 'UNSAFE_ARCHIVE', /member "\.\/app\.ovf" appears twice/);
    });

    test('a GNU sparse member, in both GNU and pax forms', async () => {
      const d = join(dir, 'sparse-src');
      mkdirSync(d);
      const f = join(d, 'disk.img');
      writeFileSync(f, 'start');
      truncateSync(f, 4 * 1024 * 1024);
      for (const format of ['gnu', 'pax']) {
        const archive = join(dir, `sparse-${format}.ova`);
        sh('tar', [`--format=${format}`, '--sparse', '-cf', archive, '-C', d, 'disk.img']);
        await rejectsWith(indexTar(archive), 'UNSAFE_ARCHIVE', /sparse format.*without --sparse/);
      }
    });

    test('truncated archives: inside a member and inside a header', async () => {
      const good = join(dir, 'good.ova');
      sh('tar', ['--format=ustar', '-cf', good, '-C', src, 'app.ovf', 'app-disk1.vmdk', 'empty.txt']);
      const members = await indexTar(good);
      const disk = members.find((m) => m.name === 'app-disk1.vmdk')!;
      const cut = join(dir, 'cut.ova');
      writeFileSync(cut, readFileSync(good).subarray(0, disk.dataOffset + 1000));
      await rejectsWith(indexTar(cut), 'UNSAFE_ARCHIVE', /member "app-disk1\.vmdk" declares 70001 bytes, but the file ends 1000 bytes into it: the archive is truncated/);
      const empty = members.find((m) => m.name === 'empty.txt')!;
      writeFileSync(cut, readFileSync(good).subarray(0, empty.headerOffset + 300));
      await rejectsWith(indexTar(cut), 'UNSAFE_ARCHIVE', /is truncated: it ends inside the tar header at byte/);
    });

    test('a gzip-compressed tar, an xz one, a zip', async () => {
      const gz = join(dir, 'compressed.ova');
      sh('tar', ['-czf', gz, '-C', src, 'app.ovf']);
      await rejectsWith(indexTar(gz), 'INVALID_INPUT', /compressed\.ova is a gzip-compressed file, not a tar: decompress it first \(gunzip\) and import the \.ova inside$/);
      sh('tar', ['-cJf', gz, '-C', src, 'app.ovf']);
      await rejectsWith(indexTar(gz), 'INVALID_INPUT', /is an xz-compressed file, not a tar: decompress it first \(unxz\)/);
      // A zip's local file header, as zip writes it.
      writeFileSync(gz, Buffer.concat([Buffer.from([0x50, 0x4b, 3, 4, 20, 0]), Buffer.alloc(600)]));
      await rejectsWith(indexTar(gz), 'INVALID_INPUT', /is a zip archive, not a tar/);
    });

    test('empty, garbage, missing, a directory', async () => {
      const empty = join(dir, 'empty.ova');
      writeFileSync(empty, '');
      await rejectsWith(indexTar(empty), 'INVALID_INPUT', /empty\.ova is empty$/);
      const garbage = join(dir, 'garbage.ova');
      writeFileSync(garbage, randomBytes(4096));
      await rejectsWith(indexTar(garbage), 'INVALID_INPUT', /garbage\.ova is not an OVA: no tar header at the start$/);
      await rejectsWith(indexTar(join(dir, 'nope.ova')), 'NOT_FOUND', /nope\.ova does not exist/);
      await rejectsWith(indexTar(src), 'INVALID_INPUT', /is not a file/);
    });
  });

  describe('TarWriter', () => {
    test('round trip through GNU tar: order, names (150 characters), owner, bytes', async () => {
      const archive = join(dir, 'written.ova');
      const progress: number[] = [];
      const w = await TarWriter.create(archive, { mtime: new Date('2024-05-06T07:08:09Z'), onProgress: (n) => progress.push(n) });
      const ovf = content.get('app.ovf')!;
      await w.addBuffer('app.ovf', ovf);
      await w.addFile('app-disk1.vmdk', content.get('app-disk1.vmdk')!.length, createReadStream(join(src, 'app-disk1.vmdk'), { highWaterMark: 4096 }));
      await w.addFile(flatLong, 3, createReadStream(join(src, flatLong)));
      await w.addFile(ustarLong, 1000, createReadStream(join(src, ustarLong)));
      await w.addBuffer('empty.txt', Buffer.alloc(0));
      const unicode = 'dïsk ünïcødé.iso';
      await w.addFile(unicode, 5, (async function* () {
        yield Buffer.from('ab');
        yield Buffer.from('cde');
      })());
      const mf = formatManifestLine('sha256', 'app.ovf', 'ab'.repeat(32));
      await w.addBuffer('app.mf', Buffer.from(mf));
      const before = w.bytesWritten;
      const total = await w.finish();
      assert.equal(total, before + 1024);
      assert.equal(total, statSync(archive).size);
      assert.equal(total % 512, 0);
      assert.equal(progress.at(-1), total);
      assert.ok(progress.every((n, i) => i === 0 || n > progress[i - 1]!));

      const order = ['app.ovf', 'app-disk1.vmdk', flatLong, ustarLong, 'empty.txt', unicode, 'app.mf'];
      assert.deepEqual(sh('tar', ['tf', archive]).trimEnd().split('\n'), order);
      const verbose = sh('tar', ['tvf', archive]).trimEnd().split('\n');
      for (const line of verbose) assert.match(line, /^-rw-r--r-- hangar\/hangar\s+\d+ 2024-05-06 07:08 /);
      // GNU tar's own check: no warnings, no errors while listing.
      const strict = spawnSync('tar', ['--warning=all', '-tf', archive], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
      assert.equal(strict.status, 0);
      assert.equal(strict.stderr, '');

      const out = join(dir, 'extracted');
      mkdirSync(out);
      sh('tar', ['xf', archive, '-C', out]);
      for (const name of ['app.ovf', 'app-disk1.vmdk', flatLong, ustarLong, 'empty.txt']) {
        assert.ok(readFileSync(join(out, name)).equals(content.get(name)!), name);
      }
      assert.equal(readFileSync(join(out, unicode), 'utf8'), 'abcde');
      assert.equal(readFileSync(join(out, 'app.mf'), 'utf8'), mf);

      const members = await indexTar(archive);
      assert.deepEqual(
        members.map((m) => m.name),
        order,
      );
      const disk = members[1]!;
      assert.ok(readAt(archive, disk.dataOffset, disk.size).equals(content.get('app-disk1.vmdk')!));
    });

    test('a reserved member is filled in after the members that follow it; GNU tar reads it back', async () => {
      const archive = join(dir, 'reserved.ova');
      const w = await TarWriter.create(archive);
      await w.addBuffer('r.ovf', Buffer.from('<Envelope/>'));
      const mf = formatManifestLine('sha256', 'r-disk1.vmdk', 'cd'.repeat(32));
      const fill = await w.reserve('r.mf', mf.length);
      await w.addBuffer('r-disk1.vmdk', Buffer.from('disk bytes'));
      await assert.rejects(fill(Buffer.from('short')), (e) => isHangarError(e, 'INTERNAL'));
      await fill(Buffer.from(mf));
      await w.finish();
      assert.deepEqual(sh('tar', ['tf', archive]).trimEnd().split('\n'), ['r.ovf', 'r.mf', 'r-disk1.vmdk']);
      assert.equal(sh('tar', ['xOf', archive, 'r.mf']), mf);
      assert.equal(sh('tar', ['xOf', archive, 'r-disk1.vmdk']), 'disk bytes');
      await assert.rejects(fill(Buffer.from(mf)), (e) => isHangarError(e, 'STATE_CONFLICT'), 'not after finish');
    });

    test('a member written in place by another writer: its header fills the room its largest size needs; GNU tar reads it back', async () => {
      const archive = join(dir, 'in-place.ova');
      const w = await TarWriter.create(archive);
      await w.addBuffer('p.ovf', Buffer.from('<Envelope/>'));
      const put = (data: Buffer) => async (at: number) => {
        // Another writer (qemu-img in the export) writes through its own descriptor, growing the file.
        const fd = openSync(archive, 'r+');
        try {
          writeSync(fd, data, 0, data.length, at);
        } finally {
          closeSync(fd);
        }
      };
      const small = randomBytes(1000);
      // Room for a plain ustar header: the data starts right after it.
      const at1 = w.bytesWritten;
      assert.equal(await w.addWrittenInPlace('p-disk1.vmdk', 1 << 30, put(small)), 1000);
      // A largest size over 8 GiB needs a pax size record; the actual small size fills that room with a comment.
      const big = 9 * 1024 ** 3;
      const room = tarHeaderBlocks({ name: 'p-disk2.vmdk', size: big, mtime: 0 }).length;
      assert.ok(room > 512);
      const at2 = w.bytesWritten;
      const medium = randomBytes(3000);
      assert.equal(await w.addWrittenInPlace('p-disk2.vmdk', big, put(medium)), 3000);
      // A name that needs its own pax record, with the same kind of room.
      const unicode = 'dïsk ünïcødé-3.vmdk';
      assert.equal(await w.addWrittenInPlace(unicode, big, put(Buffer.from('xyz'))), 3);
      await w.addBuffer('p.mf', Buffer.from('after'));
      await w.finish();

      const strict = spawnSync('tar', ['--warning=all', '-tf', archive], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
      assert.equal(strict.status, 0, strict.stderr);
      assert.equal(strict.stderr, '');
      assert.deepEqual(strict.stdout.trimEnd().split('\n'), ['p.ovf', 'p-disk1.vmdk', 'p-disk2.vmdk', unicode, 'p.mf']);
      const out = join(dir, 'in-place');
      mkdirSync(out);
      sh('tar', ['xf', archive, '-C', out]);
      assert.ok(readFileSync(join(out, 'p-disk1.vmdk')).equals(small));
      assert.ok(readFileSync(join(out, 'p-disk2.vmdk')).equals(medium));
      assert.equal(readFileSync(join(out, unicode), 'utf8'), 'xyz');
      assert.equal(readFileSync(join(out, 'p.mf'), 'utf8'), 'after');
      const members = await indexTar(archive);
      assert.deepEqual(members.map((m) => [m.name, m.size]), [['p.ovf', 11], ['p-disk1.vmdk', 1000], ['p-disk2.vmdk', 3000], [unicode, 3], ['p.mf', 5]]);
      assert.equal(members[1]!.dataOffset, at1 + 512, 'one ustar header before the first disk');
      assert.equal(members[2]!.dataOffset, at2 + room, 'the second disk starts where its room ends');

      // More than the largest size announced breaks the archive; so does a failing writer.
      const w2 = await TarWriter.create(join(dir, 'too-big.ova'));
      await rejectsWith(w2.addWrittenInPlace('a.vmdk', 10, async (at) => {
        const fd = openSync(join(dir, 'too-big.ova'), 'r+');
        writeSync(fd, Buffer.alloc(11), 0, 11, at);
        closeSync(fd);
      }), 'INTERNAL', /11 bytes were written, at most 10/);
      await rejectsWith(w2.addBuffer('b.txt', Buffer.from('x')), 'STATE_CONFLICT', /can take no more members/);
      await w2.abort();
    });

    test('a source shorter or longer than declared breaks the archive; bad names do not', async () => {
      const archive = join(dir, 'short.ova');
      const w = await TarWriter.create(archive);
      await rejectsWith(w.addBuffer('../evil', Buffer.from('x')), 'INVALID_INPUT', /cannot write a tar member "\.\.\/evil"/);
      await w.addBuffer('ok.txt', Buffer.from('fine'));
      await rejectsWith(w.addFile('short.bin', 10, (async function* () {
        yield Buffer.alloc(5);
      })()), 'IO_ERROR', /"short\.bin": the source gave 5 bytes, 10 were declared/);
      await rejectsWith(w.addBuffer('later.txt', Buffer.from('x')), 'STATE_CONFLICT', /can take no more members/);
      await w.abort();

      const w2 = await TarWriter.create(archive);
      await rejectsWith(w2.addFile('long.bin', 3, (async function* () {
        yield Buffer.alloc(2);
        yield Buffer.alloc(2);
      })()), 'IO_ERROR', /more than the 3 bytes declared/);
      await w2.abort();
    });

    test('cancellation through the signal', async () => {
      const archive = join(dir, 'cancelled.ova');
      const ac = new AbortController();
      const w = await TarWriter.create(archive, { signal: ac.signal });
      await w.addBuffer('a.txt', Buffer.from('a'));
      await rejectsWith(w.addFile('b.bin', 8192, (async function* () {
        yield Buffer.alloc(4096);
        ac.abort();
        yield Buffer.alloc(4096);
      })()), 'CANCELLED', /cancelled/);
      await w.abort();
    });
  });

  describe('.cert (openssl-made keys and signatures)', () => {
    let ca: string;
    let manifest: Buffer;
    const ssl = (...args: string[]) => sh('openssl', args, ca);
    const certText = (alg: string, file: string, sigPath: string, pems: string[], spaced = false) =>
      `${alg}${spaced ? ' ' : ''}(${file})${spaced ? ' = ' : '= '}${readFileSync(sigPath).toString('hex')}\n${pems.map((p) => readFileSync(join(ca, p), 'utf8')).join('')}`;

    before(() => {
      ca = join(dir, 'ca');
      mkdirSync(ca);
      manifest = Buffer.from(`SHA256(app.ovf)= ${'ab'.repeat(32)}\nSHA256(app-disk1.vmdk)= ${'cd'.repeat(32)}\n`);
      writeFileSync(join(ca, 'app.mf'), manifest);
      // A self-signed signer.
      ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.pem', '-days', '30', '-subj', '/C=US/O=Example Appliances/CN=Example Signer');
      ssl('dgst', '-sha256', '-sign', 'self.key', '-out', 'self.sig', 'app.mf');
      // root -> intermediate -> leaf, with an EC leaf key.
      writeFileSync(join(ca, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
      ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '30', '-subj', '/CN=Test Root');
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=Test Intermediate');
      ssl('x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'int.pem', '-days', '30', '-extfile', 'ca.ext');
      ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/O=Vendor/CN=Vendor Leaf');
      ssl('x509', '-req', '-in', 'leaf.csr', '-CA', 'int.pem', '-CAkey', 'int.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '30');
      ssl('dgst', '-sha512', '-sign', 'leaf.key', '-out', 'leaf.sig', 'app.mf');
    });

    test('a valid self-signed signature', () => {
      const r = inspectCertificate(certText('SHA256', 'app.mf', join(ca, 'self.sig'), ['self.pem']), manifest);
      assert.equal(r.problem, undefined);
      assert.equal(r.signatureValid, true);
      assert.equal(r.selfSigned, true);
      assert.equal(r.trustedBySystem, false);
      assert.equal(r.expired, false);
      assert.equal(r.notYetValid, false);
      assert.equal(r.subject, 'CN=Example Signer, O=Example Appliances, C=US');
      assert.equal(r.issuer, r.subject);
      assert.equal(r.signedFile, 'app.mf');
      assert.equal(r.algorithm, 'sha256');
      const from = Date.parse(r.validFrom);
      const to = Date.parse(r.validTo);
      assert.match(r.validFrom, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      assert.ok(Math.abs(from - Date.now()) < 3600_000);
      assert.ok(Math.abs(to - from - 30 * 86400_000) < 60_000);
      // VirtualBox spacing and CRLF line ends read the same.
      const crlf = certText('SHA256', 'app.mf', join(ca, 'self.sig'), ['self.pem'], true).replace(/\n/g, '\r\n');
      assert.equal(inspectCertificate(crlf, manifest).signatureValid, true);
    });

    test('validity window: expired and not yet valid', () => {
      const text = certText('SHA256', 'app.mf', join(ca, 'self.sig'), ['self.pem']);
      const later = inspectCertificate(text, manifest, { now: new Date(Date.now() + 365 * 86400_000) });
      assert.equal(later.expired, true);
      assert.equal(later.signatureValid, true);
      const earlier = inspectCertificate(text, manifest, { now: new Date(Date.now() - 365 * 86400_000) });
      assert.equal(earlier.notYetValid, true);
    });

    test('a tampered manifest or signature fails without a problem', () => {
      const text = certText('SHA256', 'app.mf', join(ca, 'self.sig'), ['self.pem']);
      const tampered = Buffer.from(manifest.toString().replace('ab', 'ac'));
      const r = inspectCertificate(text, tampered);
      assert.equal(r.signatureValid, false);
      assert.equal(r.problem, undefined);
      assert.equal(r.subject, 'CN=Example Signer, O=Example Appliances, C=US');
      // Claiming another digest than the one used to sign fails too.
      assert.equal(inspectCertificate(text.replace('SHA256(', 'SHA512('), manifest).signatureValid, false);
      const flipped = text.replace(/= ([0-9a-f])/, (_, c: string) => `= ${c === '0' ? '1' : '0'}`);
      assert.equal(inspectCertificate(flipped, manifest).signatureValid, false);
    });

    test('a chain: EC leaf signed with SHA-512, intermediate shipped in the .cert, root given as trust anchor', () => {
      const root = readFileSync(join(ca, 'root.pem'), 'utf8');
      const withChain = certText('SHA512', 'app.mf', join(ca, 'leaf.sig'), ['leaf.pem', 'int.pem']);
      const r = inspectCertificate(withChain, manifest, { roots: [root] });
      assert.equal(r.problem, undefined);
      assert.equal(r.signatureValid, true);
      assert.equal(r.algorithm, 'sha512');
      assert.equal(r.selfSigned, false);
      assert.equal(r.trustedBySystem, true);
      assert.equal(r.subject, 'CN=Vendor Leaf, O=Vendor');
      assert.equal(r.issuer, 'CN=Test Intermediate');
      // Without the intermediate, or without the root, there is no chain.
      assert.equal(inspectCertificate(certText('SHA512', 'app.mf', join(ca, 'leaf.sig'), ['leaf.pem']), manifest, { roots: [root] }).trustedBySystem, false);
      assert.equal(inspectCertificate(withChain, manifest).trustedBySystem, false);
      // Once the intermediate has expired, the chain no longer holds.
      assert.equal(inspectCertificate(withChain, manifest, { roots: [root], now: new Date(Date.now() + 365 * 86400_000) }).trustedBySystem, false);
    });

    test('garbage never throws: it reports a problem', () => {
      const pem = readFileSync(join(ca, 'self.pem'), 'utf8');
      const sig = readFileSync(join(ca, 'self.sig')).toString('hex');
      const cases: [string, Buffer, RegExp][] = [
        ['', manifest, /holds no PEM certificate/],
        ['hello world', manifest, /holds no PEM certificate/],
        [`SHA256(app.mf)= ${sig}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`, manifest, /certificate cannot be read/],
        [pem, manifest, /no signature line/],
        [`SHA256(app.mf)= ${sig}0\n${pem}`, manifest, /not whole bytes of hex/],
        [`SHA256(app.mf)= ${sig}\n${pem}`, Buffer.alloc(0), /no manifest for it to sign/],
      ];
      for (const [text, mf, re] of cases) {
        const r = inspectCertificate(text, mf);
        assert.equal(r.signatureValid, false);
        assert.match(r.problem ?? '', re, JSON.stringify(text.slice(0, 40)));
      }
      const short = inspectCertificate(`SHA256(app.mf)= abcd\n${pem}`, manifest);
      assert.equal(short.signatureValid, false);
    });
  });
});

// The native qcow2 header reader against the real qemu-img, in a temporary folder. Where it answers,
// the answer is exactly what parseImageInfo makes of `qemu-img info --output=json -U --backing-chain`;
// everything it does not know (other formats, encryption, data files, names qemu-img would probe or
// open through a protocol, loops, FIFOs, cut or hostile headers) it leaves to qemu-img: null.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseImageInfo, type ImageInfo } from '../../src-vmm/storage/chain.js';
import { readChainNatively } from '../../src-vmm/storage/qcow2Header.node.js';
import { qemuIo, readBytes, sh } from '../helpers/images.node.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const qemuImg = (...args: string[]) => sh('qemu-img', args);
/** What the owner asks qemu-img where the reader says null: one process for the whole chain. */
const qemuImgInfo = (top: string) => parseImageInfo(qemuImg('info', '--output=json', '-U', '--backing-chain', top));

function writeBytes(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}
const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
/** Sets a bit of a v3 header's incompatible_features (a big-endian u64 at 72; bits 0-7 in byte 79). */
function setIncompatibleBit(file: string, bit: number): void {
  writeBytes(file, 79, Buffer.from([readBytes(file, 79, 1)[0]! | (1 << bit)]));
}

/** What the owner asks qemu-img for the top image alone (`qemu-img info` opens no backing file). */
const qemuImgTopInfo = (top: string) => parseImageInfo(qemuImg('info', '--output=json', '-U', top));

async function assertSameAsQemuImg(top: string): Promise<ImageInfo[]> {
  const native = await readChainNatively(top);
  assert.notEqual(native, null, `the reader should answer for ${top}`);
  assert.deepStrictEqual(native, qemuImgInfo(top));
  // The top image alone is what qemu-img says of it alone.
  assert.deepStrictEqual(await readChainNatively(top, { topOnly: true }), qemuImgTopInfo(top));
  return native!;
}
async function assertFallsBack(top: string): Promise<void> {
  assert.equal(await readChainNatively(top), null, `the reader should leave ${top} to qemu-img`);
}

/** A small deterministic generator (mulberry32), so a failing mutant can be made again. */
function random(seed: number): (below: number) => number {
  let s = seed;
  return (below) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % below;
  };
}

describe('qcow2 headers read natively', () => {
  let dir: string;
  const at = (...parts: string[]) => join(dir, ...parts);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-qcow2-header-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a plain v3 qcow2, empty and then with data written through QEMU', async () => {
    const file = at('plain.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', file, '1G');
    const [empty] = await assertSameAsQemuImg(file);
    assert.deepEqual({ ...empty, actualSizeBytes: 0 }, { path: file, format: 'qcow2', virtualSizeBytes: GiB, actualSizeBytes: 0, dirty: false, corrupt: false, clusterSizeBytes: 65536 });
    qemuIo(file, 'write -P 0x5a 0 3M');
    qemuIo(file, 'write -P 0xa5 512M 1M');
    const [full] = await assertSameAsQemuImg(file);
    assert.ok(full!.actualSizeBytes >= empty!.actualSizeBytes + 4 * MiB, `the data is counted: ${empty!.actualSizeBytes} → ${full!.actualSizeBytes}`);
  });

  test('compat=0.10 (v2): dirty is false and there is no corrupt flag, as qemu-img prints it', async () => {
    const file = at('v2.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', file, '1G');
    qemuIo(file, 'write -P 1 1M 1M');
    const [info] = await assertSameAsQemuImg(file);
    assert.equal(info!.dirty, false);
    assert.ok(!('corrupt' in info!), 'a v2 header has no corrupt bit and qemu-img prints none');
    // A v2 over a v2 base: the backing-format extension sits right after the 72-byte header.
    const over = at('v2-over.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'compat=0.10', '-b', 'v2.qcow2', '-F', 'qcow2', over);
    assert.equal((await assertSameAsQemuImg(over)).length, 2);
  });

  test('cluster sizes of 512 bytes and 2 MiB', async () => {
    const small = at('c512.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=512', small, '64M');
    qemuIo(small, 'write -P 3 0 1M');
    assert.equal((await assertSameAsQemuImg(small))[0]!.clusterSizeBytes, 512);
    const big = at('c2m.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'cluster_size=2M', big, '1G');
    qemuIo(big, 'write -P 4 4M 1M');
    assert.equal((await assertSameAsQemuImg(big))[0]!.clusterSizeBytes, 2 * MiB);
  });

  test('a virtual size that is not whole sectors is rounded down as QEMU does', async () => {
    const file = at('odd-size.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', file, '1M');
    writeBytes(file, 24, u64(1_000_007n));
    assert.equal((await assertSameAsQemuImg(file))[0]!.virtualSizeBytes, 999_936);
  });

  test('internal snapshots (savevm-style) do not stop the reader', async () => {
    const file = at('snaps.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', file, '64M');
    qemuIo(file, 'write -P 7 0 1M');
    qemuImg('snapshot', '-c', 'first', file);
    qemuImg('snapshot', '-c', 'a second one', file);
    await assertSameAsQemuImg(file);
    // A snapshot entry with more than 1 KiB of extra data: qemu-img refuses the image, so must we.
    const table = Number(readBytes(file, 64, 8).readBigUInt64BE());
    writeBytes(file, table + 36, u32(1025));
    assert.notEqual(spawnSync('qemu-img', ['info', '-U', file]).status, 0);
    await assertFallsBack(file);
  });

  test('a chain of three with relative names, an absolute name, a name with .., and a relative top', async () => {
    mkdirSync(at('chain', 'sub'), { recursive: true });
    const base = at('chain', 'base.qcow2');
    const mid = at('chain', 'mid.qcow2');
    const top = at('chain', 'top.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', base, '256M');
    qemuIo(base, 'write -P 1 0 2M');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2', mid);
    qemuIo(mid, 'write -P 2 1M 1M');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'mid.qcow2', '-F', 'qcow2', top);
    const chain = await assertSameAsQemuImg(top);
    assert.deepEqual(
      chain.map((i) => [i.path, i.backingPath, i.backingFormat, i.virtualSizeBytes]),
      [
        [top, mid, 'qcow2', 256 * MiB],
        [mid, base, 'qcow2', 256 * MiB],
        [base, undefined, undefined, 256 * MiB],
      ],
    );

    const abs = at('chain', 'sub', 'abs.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', mid, '-F', 'qcow2', abs);
    assert.equal((await assertSameAsQemuImg(abs))[0]!.backingPath, mid);

    const dotdot = at('chain', 'sub', 'dotdot.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', '../top.qcow2', '-F', 'qcow2', dotdot);
    assert.deepEqual((await assertSameAsQemuImg(dotdot)).map((i) => i.path), [dotdot, top, mid, base]);

    // Given relative to the current folder, qemu-img keeps the names relative; so does the reader.
    const relTop = relative(process.cwd(), dotdot);
    assert.ok(!relTop.startsWith('/'));
    assert.equal((await assertSameAsQemuImg(relTop))[3]!.path, relative(process.cwd(), base));
  });

  test('a relative name with .. through a symlinked folder: opened where QEMU opens it, named as qemu-img names it', async () => {
    mkdirSync(at('real', 'deep'), { recursive: true });
    symlinkSync(at('real', 'deep'), at('link'));
    qemuImg('create', '-q', '-f', 'qcow2', at('real', 'base.qcow2'), '64M');
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', '../base.qcow2', '-F', 'qcow2', at('real', 'deep', 'overlay.qcow2'), '64M');
    // The lexical name (dir/base.qcow2) does not exist; the file is real/base.qcow2.
    const chain = await assertSameAsQemuImg(at('link', 'overlay.qcow2'));
    assert.equal(chain[1]!.path, at('base.qcow2'));
  });

  test('names with non-ASCII and control characters', async () => {
    const base = at('bäse €\n\t.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', base, '64M');
    const top = at('über.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'bäse €\n\t.qcow2', '-F', 'qcow2', top);
    assert.equal((await assertSameAsQemuImg(top))[1]!.path, base);
  });

  test('a raw backing named with -F raw: its size in whole sectors, dirty false, no cluster size', async () => {
    const raw = at('backing.raw');
    writeFileSync(raw, '');
    truncateSync(raw, 1000);
    const top = at('over-raw.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'backing.raw', '-F', 'raw', top);
    const [, info] = await assertSameAsQemuImg(top);
    assert.deepEqual(info, { path: raw, format: 'raw', virtualSizeBytes: 1024, actualSizeBytes: 0, dirty: false });
  });

  test('the dirty and corrupt bits, set in the header by hand', async () => {
    const dirty = at('dirty.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'lazy_refcounts=on', dirty, '64M');
    setIncompatibleBit(dirty, 0);
    const [d] = await assertSameAsQemuImg(dirty);
    assert.deepEqual([d!.dirty, d!.corrupt], [true, false]);

    const corrupt = at('corrupt.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', corrupt, '64M');
    setIncompatibleBit(corrupt, 1);
    const [c] = await assertSameAsQemuImg(corrupt);
    assert.deepEqual([c!.dirty, c!.corrupt], [false, true]);
  });

  test('a chain of 64 is read; a 65th image is left to qemu-img', async () => {
    mkdirSync(at('deep'));
    const name = (i: number) => at('deep', `l${i}.qcow2`);
    qemuImg('create', '-q', '-f', 'qcow2', name(0), '16M');
    for (let i = 1; i <= 64; i++) qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', `l${i - 1}.qcow2`, '-F', 'qcow2', name(i), '16M');
    assert.equal((await assertSameAsQemuImg(name(63))).length, 64);
    assert.equal(qemuImgInfo(name(64)).length, 65);
    await assertFallsBack(name(64));
  });

  test('a backing without a format (qemu-img would probe it) falls back', async () => {
    const file = at('no-format.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'plain.qcow2', '-F', 'qcow2', file);
    // qemu-img 7.2 will not write a backing without -F (create and rebase -u both refuse): turn the
    // backing-format extension, the first after the 112-byte header, into an unknown one.
    assert.equal(readBytes(file, 100, 4).readUInt32BE(), 112);
    assert.equal(readBytes(file, 112, 4).readUInt32BE(), 0xe2792aca);
    writeBytes(file, 112, u32(0x12345678));
    const [top] = qemuImgInfo(file);
    assert.equal(top!.backingPath, at('plain.qcow2'));
    assert.equal(top!.backingFormat, undefined, 'qemu-img sees no backing format now');
    await assertFallsBack(file);
  });

  test('images that need more than a header: data file, encryption, extended L2, zstd', async () => {
    // (an absolute name: qemu-img create makes a relative one in the current folder)
    qemuImg('create', '-q', '-f', 'qcow2', '-o', `data_file=${at('data.raw')}`, at('data-file.qcow2'), '64M');
    await assertFallsBack(at('data-file.qcow2'));
    // LUKS times its key derivation first, which now and then fails on a busy machine ("Unable to get
    // accurate CPU usage"): a few tries.
    const luks = ['create', '-q', '-f', 'qcow2', '--object', 'secret,id=sec0,data=x', '-o', 'encrypt.format=luks,encrypt.key-secret=sec0', at('luks.qcow2'), '64M'];
    for (let tries = 1; spawnSync('qemu-img', luks).status !== 0; tries++) assert.ok(tries < 5, 'qemu-img could not create a LUKS image');
    await assertFallsBack(at('luks.qcow2'));
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'extended_l2=on', at('extl2.qcow2'), '64M');
    await assertFallsBack(at('extl2.qcow2'));
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'compression_type=zstd', at('zstd.qcow2'), '64M');
    await assertFallsBack(at('zstd.qcow2'));
    // qemu-img reads them all; the reader just does not claim to.
    for (const f of ['data-file.qcow2', 'luks.qcow2', 'extl2.qcow2', 'zstd.qcow2']) assert.equal(qemuImgInfo(at(f)).length, 1);
  });

  test('a FIFO as the top or as the backing returns null at once (no read blocks)', { timeout: 30_000 }, async () => {
    // qemu-img itself would block on these: it is not run here.
    sh('mkfifo', [at('fifo.qcow2')]);
    await assertFallsBack(at('fifo.qcow2'));
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', 'fifo.qcow2', '-F', 'qcow2', at('over-fifo.qcow2'), '64M');
    await assertFallsBack(at('over-fifo.qcow2'));
    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', 'fifo.qcow2', '-F', 'raw', at('over-fifo-raw.qcow2'), '64M');
    await assertFallsBack(at('over-fifo-raw.qcow2'));
    await assertFallsBack(dir); // a folder
  });

  test('loops, missing backings, protocol names and other formats fall back', async () => {
    qemuImg('create', '-q', '-f', 'qcow2', at('loop-a.qcow2'), '64M');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'loop-a.qcow2', '-F', 'qcow2', at('loop-b.qcow2'));
    qemuImg('rebase', '-u', '-b', 'loop-b.qcow2', '-F', 'qcow2', at('loop-a.qcow2'));
    assert.notEqual(spawnSync('qemu-img', ['info', '-U', '--backing-chain', at('loop-a.qcow2')]).status, 0, 'qemu-img refuses the loop');
    await assertFallsBack(at('loop-a.qcow2'));
    await assertFallsBack(at('loop-b.qcow2'));

    qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', 'gone.qcow2', '-F', 'qcow2', at('missing.qcow2'), '64M');
    await assertFallsBack(at('missing.qcow2'));
    // The top alone opens no backing file, as qemu-img info does not: a loop or a missing backing is
    // still read, and read as qemu-img reads it.
    for (const top of ['loop-a.qcow2', 'missing.qcow2']) {
      const alone = await readChainNatively(at(top), { topOnly: true });
      assert.equal(alone?.length, 1, top);
      assert.deepStrictEqual(alone, qemuImgTopInfo(at(top)), top);
    }

    const pseudo = { 'nbd.qcow2': ['nbd:localhost:10809', 'raw'], 'json.qcow2': [`json:{"driver":"file","filename":"${at('plain.qcow2')}"}`, 'qcow2'], 'file.qcow2': [`file:${at('plain.qcow2')}`, 'qcow2'], 'colon.qcow2': ['x:plain.qcow2', 'qcow2'] };
    for (const [file, [name, format]] of Object.entries(pseudo)) {
      qemuImg('create', '-q', '-f', 'qcow2', '-u', '-b', name!, '-F', format!, at(file), '64M');
      await assertFallsBack(at(file));
      assert.equal(await readChainNatively(at(file), { topOnly: true }), null, `${file}: a backing named with a protocol is left to qemu-img, even alone`);
    }
    // A top named with a protocol prefix, or that is not a file name at all.
    await assertFallsBack(`file:${at('plain.qcow2')}`);
    await assertFallsBack('');

    qemuImg('create', '-q', '-f', 'raw', at('top.raw'), '64M');
    await assertFallsBack(at('top.raw'));
    qemuImg('create', '-q', '-f', 'vmdk', at('top.vmdk'), '64M');
    await assertFallsBack(at('top.vmdk'));
    // A qcow2 naming a vmdk backing: only qcow2 and raw backings are read.
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'top.vmdk', '-F', 'vmdk', at('over-vmdk.qcow2'));
    await assertFallsBack(at('over-vmdk.qcow2'));
  });

  test('cut and hostile headers fall back', async () => {
    const good = at('hostile-src.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'plain.qcow2', '-F', 'qcow2', good);
    const bytes = readFileSync(good);
    const variant = (name: string, edit: (b: Buffer) => Buffer) => {
      const file = at(name);
      writeFileSync(file, edit(Buffer.from(bytes)));
      return file;
    };
    await assertFallsBack(variant('cut50.qcow2', (b) => b.subarray(0, 50)));
    await assertFallsBack(variant('v1.qcow2', (b) => (b.writeUInt32BE(1, 4), b)));
    await assertFallsBack(variant('v4.qcow2', (b) => (b.writeUInt32BE(4, 4), b)));
    await assertFallsBack(variant('cluster8.qcow2', (b) => (b.writeUInt32BE(8, 20), b)));
    await assertFallsBack(variant('cluster22.qcow2', (b) => (b.writeUInt32BE(22, 20), b)));
    await assertFallsBack(variant('name-past-cluster.qcow2', (b) => (b.writeBigUInt64BE(65536n - 4n, 8), b)));
    await assertFallsBack(variant('name-too-long.qcow2', (b) => (b.writeUInt32BE(1024, 16), b)));
    await assertFallsBack(variant('header-short.qcow2', (b) => (b.writeUInt32BE(100, 100), b)));
    await assertFallsBack(variant('ext-too-long.qcow2', (b) => (b.writeUInt32BE(0x10000, 116), b)));
    await assertFallsBack(variant('unknown-incompat.qcow2', (b) => (b.writeUInt8(0x20, 79), b)));
    await assertFallsBack(variant('l1-unaligned.qcow2', (b) => (b.writeBigUInt64BE(b.readBigUInt64BE(40) + 8n, 40), b)));
    await assertFallsBack(variant('no-refcounts.qcow2', (b) => (b.writeUInt32BE(0, 56), b)));
  });

  test('single-byte mutations of a real header: whenever the reader answers, qemu-img answers the same', async () => {
    // Header, extensions and backing name of an overlay with one internal snapshot; 150 mutants.
    const src = at('mutant-src.qcow2');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'plain.qcow2', '-F', 'qcow2', src);
    qemuImg('snapshot', '-c', 'one', src);
    const bytes = readFileSync(src);
    const snapshotTable = Number(bytes.readBigUInt64BE(64));
    const rnd = random(20240607);
    const file = at('mutant.qcow2');
    const seen = { answered: 0, fellBack: 0 };
    for (let i = 0; i < 150; i++) {
      const b = Buffer.from(bytes);
      const pos = [rnd(112), 112 + rnd(160), snapshotTable + rnd(64)][rnd(3)]!;
      b[pos] = [rnd(256), b[pos]! ^ (1 << rnd(8)), 0][rnd(3)]!;
      writeFileSync(file, b);
      const native = await readChainNatively(file);
      if (native === null) {
        seen.fellBack++;
        continue;
      }
      seen.answered++;
      const r = spawnSync('qemu-img', ['info', '--output=json', '-U', '--backing-chain', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `mutant ${i} (byte ${pos} = ${b[pos]}): the reader answered but qemu-img says ${r.stderr}`);
      assert.deepStrictEqual(native, parseImageInfo(r.stdout), `mutant ${i} (byte ${pos} = ${b[pos]})`);
    }
    assert.ok(seen.answered > 0 && seen.fellBack > 0, JSON.stringify(seen));
  });

  test('the compiled module and its own modules import only node: builtins (no zod, nothing that pulls it in)', () => {
    const packages: string[] = [];
    const todo = [new URL('../../src-vmm/storage/qcow2Header.node.js', import.meta.url)];
    const seen = new Set<string>();
    while (todo.length > 0 && seen.size < 20) {
      const url = todo.pop()!;
      if (seen.has(url.href)) continue;
      seen.add(url.href);
      const compiled = readFileSync(fileURLToPath(url), 'utf8');
      const specifiers = [...compiled.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
      if (seen.size === 1) assert.ok(specifiers.length > 0, 'the import scan finds the imports');
      for (const s of specifiers) {
        if (s.startsWith('.')) todo.push(new URL(s, url));
        else if (!s.startsWith('node:')) packages.push(s);
      }
    }
    assert.deepEqual(packages, []);
  });
});

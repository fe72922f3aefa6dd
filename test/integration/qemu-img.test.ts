// The qemu-img wrapper against the real qemu-img, in a temporary folder.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHangarError, type ErrorCode } from '../../src-vmm/base/errors.js';
import { createQemuImg, directIoWorksIn, type QemuImg } from '../../src-vmm/storage/qemuImg.node.js';
import { qcow2MaxBytes, streamOptimizedVmdkMaxBytes } from '../../src-vmm/storage/size.js';
import { qemuIo, readBytes, sh } from '../helpers/images.node.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const compare = (a: string, b: string) => spawnSync('qemu-img', ['compare', a, b], { encoding: 'utf8' });

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message?: RegExp | string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isHangarError(e), `expected a HangarError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

describe('qemu-img wrapper', () => {
  let dir: string;
  let img: QemuImg;
  const logLines: string[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hangar-qemu-img-'));
    img = createQemuImg({ log: (l) => logLines.push(l) });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('create and info', async () => {
    const file = join(dir, 'new.qcow2');
    await img.create(file, { sizeBytes: 64 * MiB, format: 'qcow2' });
    const [info, ...rest] = await img.info(file);
    assert.deepEqual(rest, []);
    assert.equal(info!.path, file);
    assert.equal(info!.format, 'qcow2');
    assert.equal(info!.virtualSizeBytes, 64 * MiB);
    assert.equal(info!.clusterSizeBytes, 65536);
    assert.equal(info!.backingPath, undefined);
    assert.equal(info!.dirty, false);
    assert.ok(info!.actualSizeBytes > 0 && info!.actualSizeBytes < MiB);
    await rejectsWith(img.create(file, { sizeBytes: MiB, format: 'qcow2' }), 'ALREADY_EXISTS', `${file} already exists`);
    await rejectsWith(img.create(join(dir, 'no-such-folder', 'x.qcow2'), { sizeBytes: MiB, format: 'qcow2' }), 'NOT_FOUND', /folder .*no-such-folder does not exist/);
    await rejectsWith(img.info(join(dir, 'missing.qcow2')), 'NOT_FOUND', /missing\.qcow2 does not exist/);
    assert.ok(logLines.some((l) => l.startsWith('qemu-img create')), 'each run is logged');
  });

  test('a 3-deep backing chain with relative names is read top first, each name resolved against its image', async () => {
    const chain = join(dir, 'chain');
    mkdirSync(join(chain, 'a', 'b', 'c'), { recursive: true });
    const base = join(chain, 'base.qcow2');
    const l1 = join(chain, 'a', 'l1.qcow2');
    const l2 = join(chain, 'a', 'b', 'l2.qcow2');
    const l3 = join(chain, 'a', 'b', 'c', 'l3.qcow2');
    await img.create(base, { sizeBytes: 32 * MiB, format: 'qcow2' });
    // Relative names, as stored for movable linked clones: relative to the new image's folder.
    await img.create(l1, { format: 'qcow2', backing: { path: '../base.qcow2', format: 'qcow2' } });
    await img.create(l2, { format: 'qcow2', backing: { path: '../l1.qcow2', format: 'qcow2' } });
    await img.create(l3, { format: 'qcow2', backing: { path: '../l2.qcow2', format: 'qcow2' } });
    const infos = await img.info(l3, { backingChain: true });
    assert.deepEqual(
      infos.map((i) => [i.path, i.backingPath, i.backingFormat]),
      [
        [l3, l2, 'qcow2'],
        [l2, l1, 'qcow2'],
        [l1, base, 'qcow2'],
        [base, undefined, undefined],
      ],
    );
    assert.ok(infos.every((i) => i.virtualSizeBytes === 32 * MiB), 'overlays take the size of their backing image');
    // Without --backing-chain: only the top, with its backing name resolved.
    assert.deepEqual((await img.info(l3)).map((i) => i.backingPath), [l2]);
  });

  test('qcow2 → streamOptimized vmdk → qcow2 round trip is exact, with progress rising to 1', async () => {
    const src = join(dir, 'rt-src.qcow2');
    const vmdk = join(dir, 'rt.vmdk');
    const back = join(dir, 'rt-back.qcow2');
    await img.create(src, { sizeBytes: 64 * MiB, format: 'qcow2' });
    qemuIo(src, 'write -P 0x5a 0 8M');
    qemuIo(src, 'write -P 0xa5 40M 3M');
    const seen: number[] = [];
    await img.convert(src, vmdk, { dstFormat: 'vmdk', dstOptions: ['subformat=streamOptimized'], sparse: true, onProgress: (f) => seen.push(f) });
    assert.ok(seen.length >= 2, `progress: ${seen.join(', ')}`);
    assert.equal(seen.at(-1), 1);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, `progress never goes back: ${seen.join(', ')}`);
    assert.ok(seen.every((f) => f >= 0 && f <= 1));
    // The descriptor inside the VMDK names the final file, not a temporary one.
    const head = readFileSync(vmdk).subarray(0, 64 * 1024).toString('latin1');
    assert.match(head, /RW \d+ SPARSE "rt\.vmdk"/);
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('partial')), []);
    assert.equal((await img.info(vmdk))[0]!.format, 'vmdk');

    await img.convert(vmdk, back, { srcFormat: 'vmdk', dstFormat: 'qcow2', sparse: true });
    const r = compare(src, back);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Images are identical/);
    await rejectsWith(img.convert(src, back, { dstFormat: 'qcow2' }), 'ALREADY_EXISTS');
  });

  test('a convert asked to go around the page cache writes its output past it where the folder allows it; a default one goes through it', async () => {
    const src = join(dir, 'direct-src.qcow2');
    await img.create(src, { sizeBytes: 256 * MiB, format: 'qcow2' });
    qemuIo(src, 'write -P 0x3c 0 48M');
    qemuIo(src, 'write -P 0xc3 200M 16M');
    /** bytes of the file held in the page cache, and its size (util-linux's fincore) */
    const cached = (file: string) => sh('fincore', ['--bytes', '--noheadings', '--output', 'RES,SIZE', file]).trim().split(/\s+/).map(Number) as [number, number];
    assert.equal(directIoWorksIn(dir), true, 'this folder takes O_DIRECT');
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.direct-io')), [], 'the probe leaves nothing');
    assert.equal(directIoWorksIn(join(dir, 'no-such-folder')), false);

    const durable = join(dir, 'direct-durable.qcow2');
    await img.convert(src, durable, { srcFormat: 'qcow2', dstFormat: 'qcow2', sparse: true, aroundCache: true });
    const staged = join(dir, 'direct-staged.qcow2');
    await img.convert(src, staged, { srcFormat: 'qcow2', dstFormat: 'qcow2', sparse: true });
    // (read before the comparison below, which brings both into the cache)
    const [durableRes, durableSize] = cached(durable);
    const [stagedRes, stagedSize] = cached(staged);
    for (const out of [durable, staged]) {
      const r = compare(src, out);
      assert.equal(r.status, 0, r.stdout + r.stderr);
    }
    assert.ok(durableSize > 64 * MiB && stagedSize > 64 * MiB, `${durableSize}, ${stagedSize}`);
    // The copy around the cache went to the disk as it was written: at most its metadata stays cached.
    // The default copy went through the page cache, where its data still is.
    assert.ok(durableRes < 4 * MiB, `output written around the cache: ${durableRes} of ${durableSize} bytes cached`);
    assert.ok(stagedRes > 32 * MiB, `output written through the cache: ${stagedRes} of ${stagedSize} bytes cached`);
  });

  test("qcow2MaxBytes bounds what qemu-img measure calls a fully allocated copy, 1 MiB to 64 TiB (a clone's room check trusts it)", () => {
    for (const bytes of [MiB, 10 * MiB + 512, GiB, 4 * GiB, 100 * GiB + 65536, 1024 * GiB, 16 * 1024 ** 4, 64 * 1024 ** 4]) {
      const j = JSON.parse(sh('qemu-img', ['measure', '--output=json', '-O', 'qcow2', '--size', String(bytes)])) as { 'fully-allocated': number };
      assert.ok(j['fully-allocated'] > bytes, `qemu-img answered for ${bytes}`);
      assert.ok(qcow2MaxBytes(bytes) >= j['fully-allocated'], `${bytes}: bound ${qcow2MaxBytes(bytes)} < fully allocated ${j['fully-allocated']}`);
    }
  });

  test('cancelling a convert kills qemu-img and leaves no partial file', async () => {
    // 1 GiB raw source with 256 MiB of random data: streamOptimized output is deflated on one
    // thread, and random data does not compress, so the conversion runs for several seconds.
    const src = join(dir, 'big.img');
    const fd = openSync(src, 'w');
    const chunk = Buffer.alloc(16 * MiB);
    for (let off = 0; off < 256 * MiB; off += chunk.length) writeSync(fd, randomFillSync(chunk), 0, chunk.length, off);
    ftruncateSync(fd, GiB);
    closeSync(fd);
    const dst = join(dir, 'big.vmdk');
    const ac = new AbortController();
    const seen: number[] = [];
    const p = img.convert(src, dst, {
      srcFormat: 'raw',
      dstFormat: 'vmdk',
      dstOptions: ['subformat=streamOptimized'],
      sparse: true,
      signal: ac.signal,
      onProgress: (f) => {
        seen.push(f);
        // Cancel once qemu-img has really started writing.
        if (f > 0 && !ac.signal.aborted) ac.abort();
      },
    });
    await rejectsWith(p, 'CANCELLED');
    assert.ok(seen.some((f) => f > 0) && seen.every((f) => f < 1), `cancelled midway: ${seen.join(', ')}`);
    assert.equal(existsSync(dst), false);
    assert.equal(existsSync(`${dst}.partial`), false);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('big.vmdk')), []);
    // Nothing is still writing there.
    const ps = spawnSync('pgrep', ['-f', `${dst}.partial`], { encoding: 'utf8' });
    assert.equal(ps.stdout.trim(), '', 'no qemu-img left running');
    // An already-aborted signal does not even start.
    await rejectsWith(img.convert(src, dst, { dstFormat: 'qcow2', signal: AbortSignal.abort() }), 'CANCELLED');
    assert.equal(existsSync(`${dst}.partial`), false);
    rmSync(src);
  });

  test('srcOffset reads an image stored inside a bigger file, in place', async () => {
    const src = join(dir, 'emb-src.qcow2');
    const vmdk = join(dir, 'emb.vmdk');
    await img.create(src, { sizeBytes: 16 * MiB, format: 'qcow2' });
    qemuIo(src, 'write -P 0x33 1M 2M');
    await img.convert(src, vmdk, { dstFormat: 'vmdk', dstOptions: ['subformat=streamOptimized'] });
    // Like a tar member: a header before, other data after.
    const inner = readFileSync(vmdk);
    const before = randomFillSync(Buffer.alloc(3 * 512));
    const afterData = randomFillSync(Buffer.alloc(5000));
    const container = join(dir, 'container.ova');
    writeFileSync(container, Buffer.concat([before, inner, afterData]));

    const out1 = join(dir, 'emb-out1.qcow2');
    await img.convert(container, out1, { srcFormat: 'vmdk', srcOffset: before.length, srcLength: inner.length, dstFormat: 'qcow2' });
    assert.equal(compare(src, out1).status, 0, 'identical with format and length given');
    // The format can be probed inside the window too.
    const out2 = join(dir, 'emb-out2.qcow2');
    await img.convert(container, out2, { srcOffset: before.length, srcLength: inner.length, dstFormat: 'qcow2' });
    assert.equal(compare(src, out2).status, 0, 'identical with the format probed');
    await rejectsWith(img.convert(container, join(dir, 'x.qcow2'), { srcOffset: -1, dstFormat: 'qcow2' }), 'INVALID_INPUT');
  });

  test('convertInPlace writes a streamOptimized VMDK inside a bigger file, as a new file would hold it; the size bound holds', async () => {
    // A sparse raw disk: 8 MiB of random data, then one random 4 KiB piece in each of 128 grains, then zeroes.
    const src = join(dir, 'inplace-src.raw');
    const fd = openSync(src, 'w');
    writeSync(fd, randomFillSync(Buffer.alloc(8 * MiB)), 0, 8 * MiB, 0);
    for (let g = 0; g < 128; g++) writeSync(fd, randomFillSync(Buffer.alloc(4096)), 0, 4096, 16 * MiB + g * 65536 + 8192);
    ftruncateSync(fd, 32 * MiB);
    closeSync(fd);
    const extents = await img.dataExtents(src, 'raw');
    assert.ok(extents.length >= 2, JSON.stringify(extents));
    assert.ok(extents.reduce((n, e) => n + e.length, 0) < 16 * MiB, 'the zero regions are not data');

    // The image the export would write on its own, for comparison.
    const alone = join(dir, 'inplace-alone.vmdk');
    await img.convert(src, alone, { srcFormat: 'raw', dstFormat: 'vmdk', dstOptions: ['subformat=streamOptimized'] });

    // An empty image of the disk's size, put into a container after 3 sectors of other data.
    const empty = join(dir, 'inplace-member.vmdk');
    await img.createStreamOptimizedVmdk(empty, 32 * MiB);
    await rejectsWith(img.createStreamOptimizedVmdk(empty, 32 * MiB), 'ALREADY_EXISTS');
    const head = randomFillSync(Buffer.alloc(1536));
    const container = join(dir, 'inplace.ova');
    writeFileSync(container, Buffer.concat([head, readFileSync(empty)]));
    const progress: number[] = [];
    await img.convertInPlace(src, { file: container, offset: head.length, format: 'vmdk' }, { srcFormat: 'raw', onProgress: (f) => progress.push(f) });
    assert.equal(progress.at(-1), 1);
    assert.ok(readBytes(container, 0, head.length).equals(head), 'what comes before the image is untouched');
    const size = statSync(container).size - head.length;
    assert.equal(size, statSync(alone).size, 'as long as the image written alone');
    const inside = `json:${JSON.stringify({ driver: 'vmdk', file: { driver: 'raw', offset: head.length, file: { driver: 'file', filename: container } } })}`;
    const same = spawnSync('qemu-img', ['compare', '-F', 'raw', inside, src], { encoding: 'utf8' });
    assert.equal(same.status, 0, same.stdout + same.stderr);
    assert.equal(spawnSync('qemu-img', ['check', inside], { encoding: 'utf8' }).status, 0);
    const info = JSON.parse(sh('qemu-img', ['info', '--output=json', inside])) as { format: string; 'format-specific': { data: { 'create-type': string } } };
    assert.deepEqual([info.format, info['format-specific'].data['create-type']], ['vmdk', 'streamOptimized']);

    // The bound the archive's header room is sized by holds. It prices every grain touched as full
    // random data: the 128 grains with one random piece each compress to ~4 KiB, so it is ~2x here.
    const bound = streamOptimizedVmdkMaxBytes(statSync(empty).size, extents);
    assert.ok(bound >= size, `bound ${bound} < ${size}`);
    assert.ok(bound <= 2 * size + 2 * MiB, `bound ${bound} is far above ${size}`);

    // No image at the offset: qemu-img's refusal, and the file is left as it was.
    const bare = join(dir, 'inplace-bare.ova');
    writeFileSync(bare, head);
    await rejectsWith(img.convertInPlace(src, { file: bare, offset: head.length, format: 'vmdk' }, { srcFormat: 'raw' }), 'QEMU_FAILED');
    assert.ok(readFileSync(bare).equals(head));
    await rejectsWith(img.convertInPlace(src, { file: bare, offset: -5, format: 'vmdk' }, { srcFormat: 'raw' }), 'INVALID_INPUT', /not a byte position/);
  });

  test('check tells a good image, leaks, a corrupted image and a format without checks apart', async () => {
    const good = join(dir, 'check-good.qcow2');
    await img.create(good, { sizeBytes: 16 * MiB, format: 'qcow2' });
    qemuIo(good, 'write -P 0x11 0 4M');
    assert.deepEqual(await img.check(good), { ok: true, supported: true, errors: 0, leaks: 0, corruptions: 0, status: 'clean' });

    // Zero the first refcount block: every cluster in use now has refcount 0.
    const bad = join(dir, 'check-bad.qcow2');
    await img.create(bad, { sizeBytes: 16 * MiB, format: 'qcow2' });
    qemuIo(bad, 'write -P 0x11 0 4M');
    const header = readFileSync(bad).subarray(0, 104);
    const refcountTable = Number(header.readBigUInt64BE(48));
    const refcountBlock = Number(readFileSync(bad).readBigUInt64BE(refcountTable));
    const fdBad = openSync(bad, 'r+');
    writeSync(fdBad, Buffer.alloc(65536), 0, 65536, refcountBlock);
    closeSync(fdBad);
    const r = await img.check(bad);
    assert.equal(r.ok, false);
    assert.equal(r.status, 'corrupt');
    assert.ok(r.corruptions > 0, JSON.stringify(r));

    // Leaks: a cluster counted as in use that nothing uses (a refcount set by hand) is wasted
    // space, not damage.
    const leaky = join(dir, 'check-leaky.qcow2');
    await img.create(leaky, { sizeBytes: 16 * MiB, format: 'qcow2' });
    const lh = readFileSync(leaky);
    const rtOff = Number(lh.readBigUInt64BE(48));
    const rbOff = Number(lh.readBigUInt64BE(rtOff));
    // refcount_order 4 → 16-bit refcounts; cluster 20 is far beyond the few clusters in use.
    const fdLeak = openSync(leaky, 'r+');
    writeSync(fdLeak, Buffer.from([0, 1]), 0, 2, rbOff + 20 * 2);
    ftruncateSync(fdLeak, 21 * 65536);
    closeSync(fdLeak);
    const l = await img.check(leaky);
    assert.deepEqual({ ok: l.ok, status: l.status, corruptions: l.corruptions }, { ok: true, status: 'leaks', corruptions: 0 });
    assert.ok(l.leaks >= 1);
    assert.equal((await img.check(leaky, { repair: 'leaks' })).ok, true);
    assert.equal((await img.check(leaky)).status, 'clean');

    const raw = join(dir, 'check.img');
    writeFileSync(raw, Buffer.alloc(MiB));
    assert.deepEqual(await img.check(raw), { ok: true, supported: false, errors: 0, leaks: 0, corruptions: 0, status: 'unsupported' });
  });

  test('commit and rebase', async () => {
    const base = join(dir, 'cr-base.qcow2');
    const top = join(dir, 'cr-top.qcow2');
    const expected = join(dir, 'cr-expected.qcow2');
    await img.create(base, { sizeBytes: 16 * MiB, format: 'qcow2' });
    qemuIo(base, 'write -P 0x01 0 2M');
    await img.create(top, { format: 'qcow2', backing: { path: base, format: 'qcow2' } });
    qemuIo(top, 'write -P 0x02 1M 2M');
    await img.convert(top, expected, { dstFormat: 'qcow2' });

    // Safe rebase onto nothing: the top becomes standalone with the same content.
    const standalone = join(dir, 'cr-standalone.qcow2');
    sh('cp', [top, standalone]);
    const fractions: number[] = [];
    await img.rebase(standalone, { backing: null, onProgress: (f) => fractions.push(f) });
    assert.equal((await img.info(standalone))[0]!.backingPath, undefined);
    assert.equal(compare(expected, standalone).status, 0);
    assert.equal(fractions.at(-1), 1);

    const seen: number[] = [];
    await img.commit(top, { onProgress: (f) => seen.push(f) });
    assert.equal(seen.at(-1), 1);
    assert.equal(compare(expected, base).status, 0, 'the base now holds what the top had');

    // Unsafe rebase only rewrites the name.
    const moved = join(dir, 'cr-moved.qcow2');
    sh('cp', [base, moved]);
    await img.rebase(top, { backing: 'cr-moved.qcow2', backingFormat: 'qcow2', unsafe: true });
    assert.equal((await img.info(top))[0]!.backingPath, moved);
    await rejectsWith(img.rebase(top, { backing: moved }), 'INVALID_INPUT', /format of the new backing image/);
  });

  test('detectImage accepts real images and explains everything else', async () => {
    const qcow = join(dir, 'detect.qcow2');
    await img.create(qcow, { sizeBytes: 48 * MiB, format: 'qcow2' });
    assert.deepEqual(await img.detectImage(qcow), { format: 'qcow2', virtualSizeBytes: 48 * MiB });

    const raw = join(dir, 'detect.img');
    writeFileSync(raw, Buffer.alloc(2 * MiB));
    assert.deepEqual(await img.detectImage(raw), { format: 'raw', virtualSizeBytes: 2 * MiB });

    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'not a disk\n');
    await rejectsWith(img.detectImage(text), 'INVALID_INPUT', `${text} is not a disk image: qemu-img finds no image format in it`);
    // The right extension does not make text a disk, nor does a sector-aligned size with another extension.
    const textImg = join(dir, 'notes.img');
    writeFileSync(textImg, 'not a disk\n');
    await rejectsWith(img.detectImage(textImg), 'INVALID_INPUT', /is not a disk image: qemu-img finds no image format in it/);
    const aligned = join(dir, 'aligned.txt');
    writeFileSync(aligned, Buffer.alloc(4096, 'x'));
    await rejectsWith(img.detectImage(aligned), 'INVALID_INPUT', /is not a disk image/);

    const empty = join(dir, 'empty.qcow2');
    writeFileSync(empty, '');
    await rejectsWith(img.detectImage(empty), 'INVALID_INPUT', `${empty} is empty: it is not a disk image`);
    const missing = join(dir, 'missing.vmdk');
    await rejectsWith(img.detectImage(missing), 'INVALID_INPUT', `${missing} does not exist`);
    await rejectsWith(img.detectImage(dir), 'INVALID_INPUT', `${dir} is not a file`);

    // A qcow2 cut short: qemu-img's own reason is passed on.
    const cut = join(dir, 'cut.qcow2');
    writeFileSync(cut, readFileSync(qcow).subarray(0, 100));
    await rejectsWith(img.detectImage(cut), 'INVALID_INPUT', /cut\.qcow2 is not a disk image qemu-img can read: .+/);
  });

  test('failures name the file and carry qemu-img\'s last line; no space left maps to DISK_FULL', async () => {
    // A stand-in for qemu-img that fails the way a full disk makes it fail.
    const fake = join(dir, 'fake-qemu-img');
    writeFileSync(fake, '#!/bin/sh\necho "    (0.00/100%)"\necho "qemu-img: error while writing at byte 1048576: No space left on device" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const src = join(dir, 'full-src.qcow2');
    await img.create(src, { sizeBytes: MiB, format: 'qcow2' });
    const dst = join(dir, 'out', 'full.qcow2');
    mkdirSync(join(dir, 'out'));
    const faked = createQemuImg({ binary: fake });
    await rejectsWith(faked.convert(src, dst, { dstFormat: 'qcow2' }), 'DISK_FULL', `not enough space on ${join(dir, 'out')} to write full.qcow2`);
    assert.deepEqual(readdirSync(join(dir, 'out')), [], 'the partial output is gone');

    const real = join(dir, 'garbage.qcow2');
    writeFileSync(real, Buffer.alloc(4096, 1));
    await rejectsWith(img.convert(real, join(dir, 'out', 'g.qcow2'), { srcFormat: 'qcow2', dstFormat: 'qcow2' }), 'QEMU_FAILED', /^qemu-img could not convert .*garbage\.qcow2: .*not in qcow2 format/);
    assert.deepEqual(readdirSync(join(dir, 'out')), []);

    await rejectsWith(createQemuImg({ binary: join(dir, 'no-such-qemu-img') }).info(src), 'UNSUPPORTED', /is not installed/);
    assert.ok(statSync(src).isFile());
  });
});

// Moving an appliance's bytes: each read also feeds the manifest's digest, so the content is checked
// in the same pass that uses it, never in a second pass over gigabytes. A mismatch names the file.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { rm } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { HangarError, cancelledError } from '../../src-vmm/base/errors.js';
import type { Region } from './package.node.js';

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

/** A digest the manifest promises for one file of the package. */
export interface ExpectedDigest {
  name: string;
  algorithm: DigestAlgorithm;
  /** lower-case hex */
  digest: string;
}

const READ_CHUNK = 1 << 20;

export function algorithmLabel(a: DigestAlgorithm): string {
  return a === 'md5' ? 'MD5' : `SHA-${a.slice(3)}`;
}

export function mismatchError(expected: ExpectedDigest, actual: string): HangarError {
  return new HangarError(
    'INVALID_INPUT',
    `${expected.name} does not match its ${algorithmLabel(expected.algorithm)} digest in the manifest: the file is damaged or was changed (expected ${expected.digest.slice(0, 16)}…, got ${actual.slice(0, 16)}…)`,
    { details: { file: expected.name, expected: expected.digest, actual } },
  );
}

function check(expected: ExpectedDigest | null, hash: Hash | null): void {
  if (!expected || !hash) return;
  const actual = hash.digest('hex');
  if (actual !== expected.digest) throw mismatchError(expected, actual);
}

/** The bytes of a region as a stream (an empty stream for an empty region). */
function regionStream(r: Region, signal: AbortSignal): Readable {
  if (r.length === 0) return Readable.from([]);
  return createReadStream(r.path, { start: r.offset, end: r.offset + r.length - 1, highWaterMark: READ_CHUNK, signal });
}

/**
 * Reads a region once and checks it against its digest; run beside qemu-img reading the same bytes,
 * so the page cache serves both. Resolves when the digest matches, rejects naming the file otherwise.
 */
export async function verifyRegion(r: Region, expected: ExpectedDigest, o: { signal: AbortSignal; onBytes?: (n: number) => void }): Promise<void> {
  const hash = createHash(expected.algorithm);
  try {
    for await (const chunk of regionStream(r, o.signal)) {
      hash.update(chunk as Buffer);
      o.onBytes?.((chunk as Buffer).length);
    }
  } catch (e) {
    if (o.signal.aborted) throw cancelledError();
    throw e;
  }
  check(expected, hash);
}

export interface StagePart {
  region: Region;
  expected: ExpectedDigest | null;
}

/**
 * Writes the parts of one file, in order, into `dst`: chunks joined, gzip inflated. Every part is
 * checked against its digest as it streams (and the joined file against `whole` when the manifest
 * lists it as one). More than `maxBytes` of output is refused: a decompression bomb stops there.
 * `dst` is removed on any failure.
 */
export async function stageParts(
  parts: StagePart[],
  o: { dst: string; gunzip: boolean; whole: ExpectedDigest | null; maxBytes: number; signal: AbortSignal; onBytes?: (n: number) => void },
): Promise<number> {
  const wholeHash = o.whole ? createHash(o.whole.algorithm) : null;
  async function* source(): AsyncGenerator<Buffer> {
    for (const part of parts) {
      const hash = part.expected ? createHash(part.expected.algorithm) : null;
      for await (const chunk of regionStream(part.region, o.signal)) {
        const b = chunk as Buffer;
        hash?.update(b);
        wholeHash?.update(b);
        o.onBytes?.(b.length);
        yield b;
      }
      check(part.expected, hash);
    }
    check(o.whole, wholeHash);
  }
  let written = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      written += chunk.length;
      if (written > o.maxBytes) {
        cb(new HangarError('INVALID_INPUT', `${parts[0]?.region.name ?? 'a file'} inflates to more than ${o.maxBytes} bytes, more than its disk can hold: refused`));
        return;
      }
      cb(null, chunk);
    },
  });
  const out = createWriteStream(o.dst, { flags: 'wx', mode: 0o600 });
  try {
    if (o.gunzip) await pipeline(Readable.from(source()), createGunzip(), limit, out, { signal: o.signal });
    else await pipeline(Readable.from(source()), limit, out, { signal: o.signal });
    return written;
  } catch (e) {
    await rm(o.dst, { force: true });
    if (o.signal.aborted) throw cancelledError();
    if (e instanceof HangarError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC' || err.code === 'EDQUOT') {
      throw new HangarError('DISK_FULL', `not enough space on ${dirname(o.dst)} to unpack ${parts[0]?.region.name ?? 'a file'}`, { cause: e });
    }
    if (err.code?.startsWith('Z_')) throw new HangarError('INVALID_INPUT', `${parts[0]?.region.name ?? 'a file'} is marked gzip-compressed but does not inflate: ${err.message}`, { cause: e });
    throw new HangarError('IO_ERROR', `cannot unpack ${parts[0]?.region.name ?? 'a file'}: ${err.message}`, { cause: e });
  }
}

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { streamOptimizedVmdkMaxBytes, VMDK_GRAIN_BYTES } from '../../../../src-vmm/storage/size.js';

const G = VMDK_GRAIN_BYTES;
const MiB = 1024 ** 2;
/** The bound's cost of one grain, as the function prices it. */
const perGrain = streamOptimizedVmdkMaxBytes(0, [{ start: 0, length: 1 }]) - streamOptimizedVmdkMaxBytes(0, []) - 5 * 512;

describe('streamOptimizedVmdkMaxBytes', () => {
  test('an empty disk takes its metadata and the end tables', () => {
    assert.equal(streamOptimizedVmdkMaxBytes(196608, []), 196608 + MiB);
  });

  test('a grain is priced above 64 KiB compressed at its worst, rounded to sectors', () => {
    assert.ok(perGrain > G && perGrain % 512 === 0, String(perGrain));
    assert.ok(perGrain <= G + 1024, String(perGrain));
  });

  test('each grain an extent touches counts once, however the extents cut it', () => {
    const grains = (extents: { start: number; length: number }[]) => {
      const bytes = streamOptimizedVmdkMaxBytes(0, extents) - MiB;
      // bytes = grains * perGrain + ceil(grains / 512) * 2560
      for (let n = 0; n < 1e6; n++) if (n * perGrain + Math.ceil(n / 512) * 2560 === bytes) return n;
      throw new Error(`no grain count gives ${bytes}`);
    };
    assert.equal(grains([{ start: 0, length: 1 }]), 1);
    assert.equal(grains([{ start: G - 1, length: 2 }]), 2, 'a byte on each side of a boundary');
    assert.equal(grains([{ start: 0, length: 4096 }, { start: 8192, length: 4096 }, { start: G - 4096, length: 4096 }]), 1, 'three pieces of one grain');
    assert.equal(grains([{ start: 0, length: 4096 }, { start: 4096, length: G }]), 2, 'neighbours sharing a grain');
    assert.equal(grains([{ start: 0, length: 10 * G }]), 10);
    assert.equal(grains([{ start: 3 * G, length: 0 }]), 0, 'an empty extent touches nothing');
    assert.equal(grains([{ start: 0, length: 1024 * G }]), 1024);
    // Scattered 4 KiB pieces, one in every grain: every grain counts.
    assert.equal(grains(Array.from({ length: 700 }, (_, i) => ({ start: i * G + 8192, length: 4096 }))), 700);
  });
});

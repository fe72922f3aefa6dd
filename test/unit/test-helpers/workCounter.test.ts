// The work counter behind the complexity tests must tell linear work from quadratic work.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countWork } from '../../helpers/workCounter.js';

describe('countWork', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `n${i}`);
  const linear = (xs: string[]) => {
    const seen = new Set<string>();
    for (const x of xs) seen.add(x);
    return seen.size;
  };
  const quadratic = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) === i).length;

  test('linear work grows ten times for ten times the input', () => {
    const small = ids(200);
    const large = ids(2000);
    const ratio = countWork(() => linear(large)) / countWork(() => linear(small));
    assert.ok(ratio > 8 && ratio < 12, `ratio ${ratio}`);
  });

  test('a search inside a loop shows up as quadratic', () => {
    const small = ids(200);
    const large = ids(2000);
    const ratio = countWork(() => quadratic(large)) / countWork(() => quadratic(small));
    assert.ok(ratio > 80, `ratio ${ratio}`);
  });

  test('the built-ins are restored afterwards, also when the work throws', () => {
    const push = Array.prototype.push;
    const iterator = Array.prototype[Symbol.iterator];
    assert.throws(() => countWork(() => { throw new Error('boom'); }), /boom/);
    assert.equal(Array.prototype.push, push);
    assert.equal(Array.prototype[Symbol.iterator], iterator);
    assert.deepEqual([...[1, 2, 3]], [1, 2, 3]);
  });
});

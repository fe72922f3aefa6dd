import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter, orAfter } from '../../../../src-vmm/base/events.js';

describe('orAfter', () => {
  test("gives the promise's value when it comes first, and leaves no timer behind", async () => {
    assert.equal(await orAfter(Promise.resolve('value'), 60_000, 'late'), 'value');
    // A timer left pending would hold this file's process for a minute after its tests.
  });

  test('gives the fallback when the promise does not settle in time', async () => {
    assert.equal(await orAfter(new Promise<string>(() => undefined), 5, 'late'), 'late');
  });

  test("passes the promise's rejection on", async () => {
    await assert.rejects(orAfter(Promise.reject(new Error('broke')), 60_000, 'late'), /broke/);
  });
});

describe('Emitter', () => {
  test('a listener that throws does not keep the value from the others; fire throws its error after', () => {
    const e = new Emitter<number>();
    const got: string[] = [];
    e.event((v) => got.push(`a${v}`));
    e.event(() => {
      throw new Error('listener broke');
    });
    e.event((v) => got.push(`c${v}`));
    assert.throws(() => e.fire(1), /listener broke/);
    assert.deepEqual(got, ['a1', 'c1']);
  });

  test('a disposed listener gets nothing more; one removed while firing still gets the value in hand', () => {
    const e = new Emitter<string>();
    const got: string[] = [];
    const second = { dispose: () => undefined as unknown };
    e.event((v) => {
      got.push(`first:${v}`);
      second.dispose();
    });
    const sub = e.event((v) => got.push(`second:${v}`));
    second.dispose = () => sub.dispose();
    e.fire('x');
    e.fire('y');
    assert.deepEqual(got, ['first:x', 'second:x', 'first:y']);
    assert.equal(e.listenerCount, 1);
  });
});

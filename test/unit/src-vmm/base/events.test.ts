import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { orAfter } from '../../../../src-vmm/base/events.js';

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

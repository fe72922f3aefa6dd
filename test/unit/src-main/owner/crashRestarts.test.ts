import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CrashRestarts, RESTART_WINDOW_MS } from '../../../../src-main/owner/crashRestarts.js';

const on = (max: number) => ({ restartOnCrash: true, maxRestartsPerMinute: max });

describe('restart on crash', () => {
  test('a VM without the policy is never restarted, and nothing is said', () => {
    const r = new CrashRestarts();
    assert.deepEqual(r.onCrash('a', { restartOnCrash: false, maxRestartsPerMinute: 3 }, 0), { restart: false, note: null });
  });

  test('restarts up to the limit within a minute, then stops and says why', () => {
    const r = new CrashRestarts();
    const d1 = r.onCrash('a', on(2), 1_000);
    const d2 = r.onCrash('a', on(2), 2_000);
    const d3 = r.onCrash('a', on(2), 3_000);
    assert.equal(d1.restart, true);
    assert.equal(d2.restart, true);
    assert.equal(d3.restart, false);
    assert.match(d1.note!, /1 of at most 2/);
    assert.match(d3.note!, /already restarted 2 times within a minute/);
  });

  test('a limit of one reads naturally', () => {
    const r = new CrashRestarts();
    r.onCrash('a', on(1), 0);
    assert.match(r.onCrash('a', on(1), 10).note!, /restarted once within a minute/);
  });

  test('restarts older than a minute no longer count', () => {
    const r = new CrashRestarts();
    r.onCrash('a', on(1), 0);
    assert.equal(r.onCrash('a', on(1), RESTART_WINDOW_MS - 1).restart, false);
    assert.equal(r.onCrash('a', on(1), RESTART_WINDOW_MS).restart, true);
  });

  test('each VM has its own count', () => {
    const r = new CrashRestarts();
    r.onCrash('a', on(1), 0);
    assert.equal(r.onCrash('b', on(1), 0).restart, true);
    assert.equal(r.onCrash('a', on(1), 1).restart, false);
  });
});

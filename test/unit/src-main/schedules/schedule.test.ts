// Scheduled snapshots, the pure part: durations, keep, when a run is due, automatic names, what a prune
// deletes; and the manual clock tests drive schedules with.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { autoSnapshotName, formatDuration, isDue, keepProblem, nextRunAt, parseDuration, pruneList, type AutoSnapshot } from '../../../../src-main/schedules/schedule.js';
import { ManualClock } from '../../../../src-main/schedules/clock.js';
import { scheduleRequest } from '../../../../src-main/schedules/cli.js';
import { parseSince } from '../../../../src-main/stats/cli.js';

const H = 3600;

describe('durations', () => {
  test('minutes, hours, days and combinations', () => {
    assert.deepEqual(parseDuration('30m'), { ok: true, seconds: 1800 });
    assert.deepEqual(parseDuration('2h'), { ok: true, seconds: 2 * H });
    assert.deepEqual(parseDuration('1d'), { ok: true, seconds: 24 * H });
    assert.deepEqual(parseDuration('1h30m'), { ok: true, seconds: 5400 });
    assert.deepEqual(parseDuration(' 2H '), { ok: true, seconds: 2 * H });
  });

  test('refused: no unit, unknown units, repeats, too often, too long', () => {
    for (const bad of ['', '30', '2x', 'h', '1.5h', '-1h', '2h2h', 'every 2h', '1w']) {
      const r = parseDuration(bad);
      assert.equal(r.ok, false, bad);
      assert.match((r as { message: string }).message, /not a duration such as 30m, 2h or 1d/, bad);
    }
    assert.match((parseDuration('1m') as { message: string }).message, /too often.*5m/);
    assert.match((parseDuration('31d') as { message: string }).message, /too long.*30d/);
  });

  test('printed back in the shortest form', () => {
    assert.deepEqual([1800, 7200, 86_400, 5400, 90_000].map(formatDuration), ['30m', '2h', '1d', '1h30m', '1d1h']);
  });

  test('keep: 1 to 100 whole snapshots', () => {
    assert.equal(keepProblem(1), null);
    assert.equal(keepProblem(100), null);
    assert.match(keepProblem(0)!, /from 1/);
    assert.match(keepProblem(1.5)!, /whole number/);
    assert.match(keepProblem(101)!, /at most 100/);
  });
});

describe('when a run is due', () => {
  const t0 = Date.UTC(2026, 11, 6, 12, 0);
  test('a period after it was set, then a period after each run (a late run does not bunch up the next)', () => {
    const s = { everySeconds: 2 * H, setAt: t0, lastRunAt: null };
    assert.equal(nextRunAt(s), t0 + 2 * H * 1000);
    assert.equal(isDue(s, t0 + 2 * H * 1000 - 1), false);
    assert.equal(isDue(s, t0 + 2 * H * 1000), true);
    // the owner was away for a day: one run now, the next a period after it
    const late = { ...s, lastRunAt: t0 + 26 * H * 1000 };
    assert.equal(nextRunAt(late), t0 + 28 * H * 1000);
  });
});

describe('automatic snapshot names', () => {
  test('auto and the local date and minute; numbered when taken', () => {
    const now = new Date(2026, 11, 6, 14, 5).getTime();
    assert.equal(autoSnapshotName(now, []), 'auto 2026-12-06 14:05');
    assert.equal(autoSnapshotName(now, ['Auto 2026-12-06 14:05']), 'auto 2026-12-06 14:05 (2)');
    assert.equal(autoSnapshotName(now, ['auto 2026-12-06 14:05', 'auto 2026-12-06 14:05 (2)']), 'auto 2026-12-06 14:05 (3)');
  });
});

describe('pruning', () => {
  const auto = (i: number, renamed = false): AutoSnapshot => ({ id: `s${i}`, name: renamed ? `keep me ${i}` : `auto ${i}`, takenAs: `auto ${i}`, createdAt: `2026-12-06T1${i}:00:00.000Z` });
  test('the oldest beyond keep go', () => {
    assert.deepEqual(pruneList([auto(3), auto(1), auto(2), auto(4)], 2).map((a) => a.id), ['s1', 's2']);
    assert.deepEqual(pruneList([auto(1), auto(2)], 2), []);
    assert.deepEqual(pruneList([auto(1), auto(2), auto(3)], 1).map((a) => a.id), ['s1', 's2']);
  });
  test('one a person renamed is theirs: never deleted, and not counted', () => {
    assert.deepEqual(pruneList([auto(1, true), auto(2), auto(3), auto(4)], 2).map((a) => a.id), ['s2']);
  });
});

describe('the manual clock', () => {
  test('timers fire as it moves, in time order, never backwards; a disposed one does not', async () => {
    const c = new ManualClock(1000);
    const fired: string[] = [];
    c.at(3000, () => fired.push('b'));
    c.at(2000, () => fired.push('a'));
    c.at(2500, () => fired.push('never')).dispose();
    c.advance(500);
    assert.equal(fired.length, 0);
    c.set(5000);
    assert.deepEqual(fired, ['a', 'b']);
    c.set(10);
    assert.equal(c.now(), 5000);
    c.at(4000, () => fired.push('due already'));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(fired, ['a', 'b', 'due already']);
  });
});

describe('the command line', () => {
  test('schedule: --every and --keep together, --off alone, nothing: show', () => {
    assert.deepEqual(scheduleRequest({ every: '2h', keep: 5 }), { kind: 'set', every: '2h', keep: 5 });
    assert.deepEqual(scheduleRequest({ off: true }), { kind: 'off' });
    assert.deepEqual(scheduleRequest({}), { kind: 'show' });
    assert.throws(() => scheduleRequest({ every: '2h' }), /both --every/);
    assert.throws(() => scheduleRequest({ every: 'soon', keep: 2 }), /--every: 'soon' is not a duration/);
    assert.throws(() => scheduleRequest({ every: '2h', keep: 0 }), /--keep: keep must be a whole number from 1/);
    assert.throws(() => scheduleRequest({ off: true, keep: 2 }), /--off .* no --every or --keep/);
  });
  test('stats --since: seconds, or minutes and hours', () => {
    assert.equal(parseSince('90'), 90);
    assert.equal(parseSince('5m'), 300);
    assert.equal(parseSince('1h'), 3600);
    assert.throws(() => parseSince('0'), /more than 0/);
    assert.throws(() => parseSince('soon'), /--since takes seconds/);
  });
});

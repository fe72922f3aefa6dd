// Performance samples: rates from cumulative counters, /proc and fdinfo parsing, and the ring that keeps an hour.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SampleRing, activityOver, blockTotals, guestTraffic, parseProcStat, rate, sampleBetween, tapOfFdinfo, type Counters, type StatsSample } from '../../../../src-vmm/stats/samples.js';

const at = (s: number) => Date.UTC(2026, 11, 6, 14, 0, 0) + s * 1000;
const sample = (s: number, cpu: number | null): StatsSample => ({ t: new Date(at(s)).toISOString(), cpuPercent: cpu, memoryBytes: 1, diskReadBps: 0, diskWriteBps: 0, netRxBps: null, netTxBps: null });

describe('rates from counters', () => {
  test('per second over the interval; null when unknown, when no time passed or when the counter went back', () => {
    assert.equal(rate(1000, 3000, 2), 1000);
    assert.equal(rate(null, 3000, 1), null);
    assert.equal(rate(1000, null, 1), null);
    assert.equal(rate(1000, 3000, 0), null);
    assert.equal(rate(5000, 10, 1), null, 'a reset (a disk or tap replaced) is not a negative rate');
  });

  test('a sample: CPU ticks as % of one core, memory as read, disk and network as bytes/s, null network stays null', () => {
    const a: Counters = { at: at(0), cpuTicks: 1000, rssBytes: 100, diskReadBytes: 0, diskWriteBytes: 10_000, netRxBytes: null, netTxBytes: null };
    const b: Counters = { at: at(2), cpuTicks: 1150, rssBytes: 200, diskReadBytes: 4096, diskWriteBytes: 2_010_000, netRxBytes: null, netTxBytes: null };
    assert.deepEqual(sampleBetween(a, b), {
      t: '2026-12-06T14:00:02.000Z',
      cpuPercent: 75, // 150 ticks in 2 s at 100 ticks/s: 0.75 of a core
      memoryBytes: 200,
      diskReadBps: 2048,
      diskWriteBps: 1_000_000,
      netRxBps: null,
      netTxBps: null,
    });
    // two vCPUs busy: more than one core
    assert.equal(sampleBetween({ ...a, cpuTicks: 0 }, { ...b, at: at(1), cpuTicks: 200 }).cpuPercent, 200);
  });

  test("the guest's traffic is its taps' the other way round; none without taps", () => {
    assert.deepEqual(guestTraffic([{ rxBytes: 10, txBytes: 500 }, { rxBytes: 5, txBytes: 1 }]), { rx: 501, tx: 15 });
    assert.deepEqual(guestTraffic([]), { rx: null, tx: null });
  });
});

describe('what the host reads', () => {
  test('/proc/PID/stat: utime + stime and rss, with a command name holding spaces and parentheses', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[11] = '700'; // utime (field 14)
    fields[12] = '55'; // stime (field 15)
    fields[21] = '2500'; // rss (field 24)
    assert.deepEqual(parseProcStat(`4242 (qemu (x) y) ${fields.join(' ')}\n`), { cpuTicks: 755, rssPages: 2500 });
    assert.equal(parseProcStat(''), null);
    assert.equal(parseProcStat('1 (x) S 1 2'), null);
  });

  test('query-blockstats: the drives’ own counters are summed; a drive without stats counts nothing', () => {
    assert.deepEqual(
      blockTotals([{ stats: { rd_bytes: 10, wr_bytes: 20 } }, { stats: { rd_bytes: 1, wr_bytes: 2 } }, {}]),
      { read: 11, write: 22 },
    );
  });

  test("a tun descriptor's fdinfo names its tap", () => {
    assert.equal(tapOfFdinfo('pos:\t0\nflags:\t0104002\nmnt_id:\t26\nino:\t1234\niff:\thgt0a1b2c3d4e5\n'), 'hgt0a1b2c3d4e5');
    assert.equal(tapOfFdinfo('pos:\t0\nflags:\t02\n'), null);
  });
});

describe('the ring of samples', () => {
  test('keeps the last `capacity` in order, the oldest going first, nulls as nulls', () => {
    const r = new SampleRing(3);
    for (let i = 1; i <= 5; i++) r.push(sample(i, i === 4 ? null : i * 10));
    assert.equal(r.size, 3);
    assert.deepEqual(r.toArray().map((s) => s.cpuPercent), [30, null, 50]);
    assert.deepEqual(r.toArray().map((s) => s.t), [3, 4, 5].map((i) => new Date(at(i)).toISOString()));
  });

  test('since: only the samples after that moment', () => {
    const r = new SampleRing(3600);
    for (let i = 0; i < 10; i++) r.push(sample(i, i));
    assert.deepEqual(r.toArray(at(6)).map((s) => s.cpuPercent), [7, 8, 9]);
    assert.equal(r.toArray(at(99)).length, 0);
  });

  test('an hour of samples fits, and the 3601st pushes out the first', () => {
    const r = new SampleRing();
    for (let i = 0; i < 3601; i++) r.push(sample(i, i % 100));
    assert.equal(r.size, 3600);
    assert.equal(r.toArray()[0]!.t, new Date(at(1)).toISOString());
    assert.throws(() => new SampleRing(0), RangeError);
  });
});

describe('what QEMU did over a wait', () => {
  const s = (sec: number, cpuPercent: number | null, diskReadBps: number | null): StatsSample => ({
    t: new Date(Date.UTC(2026, 11, 7, 12, 0, sec)).toISOString(), cpuPercent, memoryBytes: 1, diskReadBps, diskWriteBps: 0, netRxBps: null, netTxBps: null,
  });

  test('mean CPU over the samples that know it; disk bytes as rate times each interval', () => {
    // 1 s, then 1 s, then a 3 s gap (a late tick): 4096*1 + 0*1 + 1000*3
    const a = activityOver([s(0, 100, 4096), s(1, null, 0), s(2, 50, null), s(5, 0, 1000)]);
    assert.deepEqual(a, { seconds: 6, meanCpuPercent: 50, diskReadBytes: 4096 + 3000 });
  });

  test('a guest that stood still: 0 % and nothing read; no CPU known at all: null', () => {
    assert.deepEqual(activityOver([s(0, 0, 0), s(1, 0, 0)]), { seconds: 2, meanCpuPercent: 0, diskReadBytes: 0 });
    assert.equal(activityOver([s(0, null, 10)]), null);
    assert.equal(activityOver([]), null);
  });
});

// Performance samples of a running VM (pure): the counters the host reads each second, the rates made
// from two of them, and the bounded store that keeps the last hour.
import { z } from 'zod';

/** One second of a VM as the charts and `hangar stats` show it. null: not measurable here (never 0 for "unknown"). */
export const StatsSample = z.object({
  /** when the sample was taken (ISO 8601) */
  t: z.string(),
  /** the QEMU process's CPU time over the interval, as % of one core (2 busy vCPUs: 200) */
  cpuPercent: z.number().nullable(),
  /** the QEMU process's resident memory */
  memoryBytes: z.number().nullable(),
  diskReadBps: z.number().nullable(),
  diskWriteBps: z.number().nullable(),
  /** bytes/s the guest received and sent; null when no card's traffic can be counted (user-mode NAT) */
  netRxBps: z.number().nullable(),
  netTxBps: z.number().nullable(),
});
export type StatsSample = z.infer<typeof StatsSample>;

/** What the host reads at one moment: cumulative counters (and the resident memory). */
export interface Counters {
  /** ms since the epoch */
  at: number;
  /** utime + stime of the QEMU process, in clock ticks */
  cpuTicks: number | null;
  rssBytes: number | null;
  diskReadBytes: number | null;
  diskWriteBytes: number | null;
  /** summed over the taps QEMU holds; null without any */
  netRxBytes: number | null;
  netTxBytes: number | null;
}

/** Linux reports process times in USER_HZ ticks, 100 per second on every architecture's ABI. */
export const CLOCK_TICKS_PER_SECOND = 100;
/** One sample a second, the last hour of them. */
export const SAMPLE_INTERVAL_MS = 1000;
export const SAMPLES_KEPT = 3600;

/**
 * The rate of a counter between two readings, per second. null when either is unknown, when no time
 * passed, or when the counter went back (a disk or a tap came and went: that interval is not known).
 */
export function rate(prev: number | null, cur: number | null, seconds: number): number | null {
  if (prev === null || cur === null || !(seconds > 0)) return null;
  const d = cur - prev;
  if (d < 0) return null;
  return d / seconds;
}

/** The sample for the interval between two readings. */
export function sampleBetween(prev: Counters, cur: Counters, ticksPerSecond = CLOCK_TICKS_PER_SECOND): StatsSample {
  const s = (cur.at - prev.at) / 1000;
  const cpu = rate(prev.cpuTicks, cur.cpuTicks, s);
  const round = (v: number | null) => (v === null ? null : Math.round(v));
  return {
    t: new Date(cur.at).toISOString(),
    cpuPercent: cpu === null ? null : Math.round((cpu / ticksPerSecond) * 1000) / 10,
    memoryBytes: cur.rssBytes,
    diskReadBps: round(rate(prev.diskReadBytes, cur.diskReadBytes, s)),
    diskWriteBps: round(rate(prev.diskWriteBytes, cur.diskWriteBytes, s)),
    netRxBps: round(rate(prev.netRxBytes, cur.netRxBytes, s)),
    netTxBps: round(rate(prev.netTxBytes, cur.netTxBytes, s)),
  };
}

const FIELDS = ['cpuPercent', 'memoryBytes', 'diskReadBps', 'diskWriteBps', 'netRxBps', 'netTxBps'] as const;

/**
 * The last `capacity` samples in fixed memory: one Float64Array per field (NaN for null) and one for the
 * times, written round. Pushing never allocates; the oldest sample goes when it is full.
 */
export class SampleRing {
  private readonly times: Float64Array;
  private readonly columns: Record<(typeof FIELDS)[number], Float64Array>;
  private next = 0;
  private count = 0;

  constructor(readonly capacity = SAMPLES_KEPT) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive whole number');
    this.times = new Float64Array(capacity);
    this.columns = Object.fromEntries(FIELDS.map((f) => [f, new Float64Array(capacity)])) as SampleRing['columns'];
  }

  get size(): number {
    return this.count;
  }

  push(s: StatsSample): void {
    this.times[this.next] = Date.parse(s.t);
    for (const f of FIELDS) this.columns[f][this.next] = s[f] ?? Number.NaN;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** The samples taken after `sinceMs` (ms since the epoch; all without it), oldest first. */
  toArray(sinceMs?: number): StatsSample[] {
    const out: StatsSample[] = [];
    const first = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const j = (first + i) % this.capacity;
      const at = this.times[j]!;
      if (sinceMs !== undefined && at <= sinceMs) continue;
      const s = { t: new Date(at).toISOString() } as StatsSample;
      for (const f of FIELDS) {
        const v = this.columns[f][j]!;
        s[f] = Number.isNaN(v) ? null : v;
      }
      out.push(s);
    }
    return out;
  }
}

/**
 * /proc/PID/stat: the process's user and system time (ticks) and resident pages. The command name (field
 * 2) is in parentheses and may hold spaces and parentheses itself, so fields are counted after the last ')'.
 */
export function parseProcStat(text: string): { cpuTicks: number; rssPages: number } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // after ')': field 3 (state) is index 0; utime is field 14, stime 15, rss 24
  const f = text.slice(close + 2).trim().split(/\s+/);
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const rss = Number(f[21]);
  if (![utime, stime, rss].every(Number.isFinite)) return null;
  return { cpuTicks: utime + stime, rssPages: rss };
}

/** QMP query-blockstats: bytes read and written by the guest, summed over its drives (their own counters, not their backing images'). */
export function blockTotals(stats: readonly { stats?: { rd_bytes?: number; wr_bytes?: number } }[]): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const d of stats) {
    read += d.stats?.rd_bytes ?? 0;
    write += d.stats?.wr_bytes ?? 0;
  }
  return { read, write };
}

/** The tap interface a /proc/PID/fdinfo/N of /dev/net/tun names (`iff:\ttap0`), or null. */
export function tapOfFdinfo(text: string): string | null {
  const m = /^iff:\s*(\S+)\s*$/m.exec(text);
  return m ? m[1]! : null;
}

/**
 * The guest's traffic from its taps' counters: what the host side of a tap transmits the guest
 * receives, and the reverse. null without taps (user-mode NAT and multicast sockets keep no counters).
 */
export function guestTraffic(taps: readonly { rxBytes: number; txBytes: number }[]): { rx: number | null; tx: number | null } {
  if (taps.length === 0) return { rx: null, tx: null };
  let rx = 0;
  let tx = 0;
  for (const t of taps) {
    rx += t.txBytes;
    tx += t.rxBytes;
  }
  return { rx, tx };
}

/**
 * What QEMU did over a stretch of samples, for an error that has to tell a stuck guest (no CPU) from a
 * slow one (busy) or a starved one (little CPU on a busy host): its mean CPU, and the bytes its disks
 * read (each sample's rate times the time since the one before; the first counts one interval).
 * Null without a sample that knows the CPU.
 */
export function activityOver(samples: readonly StatsSample[]): { seconds: number; meanCpuPercent: number; diskReadBytes: number } | null {
  const cpu = samples.map((s) => s.cpuPercent).filter((v): v is number => v !== null);
  if (!cpu.length) return null;
  let readBytes = 0;
  let prevAt: number | undefined;
  let seconds = 0;
  for (const s of samples) {
    const at = Date.parse(s.t);
    const dt = prevAt === undefined ? SAMPLE_INTERVAL_MS / 1000 : Math.max(0, (at - prevAt) / 1000);
    prevAt = at;
    seconds += dt;
    readBytes += (s.diskReadBps ?? 0) * dt;
  }
  return { seconds: Math.round(seconds), meanCpuPercent: Math.round(cpu.reduce((a, b) => a + b, 0) / cpu.length), diskReadBytes: Math.round(readBytes) };
}

// The VMM host's performance sampler: once a second it reads its QEMU's accounting (/proc/PID/stat:
// CPU time and resident memory), QMP's block statistics and the byte counters of the taps QEMU holds,
// turns two readings into rates, and keeps the last hour in a fixed-size ring (src-vmm/stats/samples.ts).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { DisposableStore, toDisposable, type Disposable } from '../base/disposable.js';
import { Emitter } from '../base/events.js';
import type { QmpClient } from '../qmp/client.node.js';
import {
  SAMPLE_INTERVAL_MS,
  SampleRing,
  blockTotals,
  guestTraffic,
  parseProcStat,
  sampleBetween,
  tapOfFdinfo,
  type Counters,
  type StatsSample,
} from '../stats/samples.js';

/** x86-64 and arm64 Linux pages (RSS in /proc/PID/stat counts pages). */
const PAGE_BYTES = 4096;
/** The taps QEMU holds are looked for again every this many samples (cards can be plugged in and out). */
const TAP_RESCAN_EVERY = 10;

export interface SamplerSources {
  /** /proc/PID/stat of QEMU */
  procStat(): string | null;
  blockstats(): Promise<{ stats?: { rd_bytes?: number; wr_bytes?: number } }[] | null>;
  /** the names of the taps QEMU has open */
  taps(): string[];
  /** a tap's counters from sysfs, null when it is gone */
  tapCounters(name: string): { rxBytes: number; txBytes: number } | null;
}

/** The real sources of one QEMU process. */
export function qemuSources(pid: number, qmp: QmpClient): SamplerSources {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return null;
    }
  };
  return {
    procStat: () => read(`/proc/${pid}/stat`),
    blockstats: () => qmp.execute('query-blockstats', undefined, { timeoutMs: 5_000 }).catch(() => null),
    taps: () => tapsOf(pid),
    tapCounters: (name) => {
      const rx = read(`/sys/class/net/${name}/statistics/rx_bytes`);
      const tx = read(`/sys/class/net/${name}/statistics/tx_bytes`);
      return rx === null || tx === null ? null : { rxBytes: Number(rx), txBytes: Number(tx) };
    },
  };
}

/** The taps a process holds: its /dev/net/tun descriptors, whose fdinfo names the interface. */
export function tapsOf(pid: number): string[] {
  const taps: string[] = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return taps;
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== '/dev/net/tun') continue;
      const name = tapOfFdinfo(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (name && /^[A-Za-z0-9_.-]{1,15}$/.test(name) && !taps.includes(name)) taps.push(name);
    } catch {
      /* closed meanwhile */
    }
  }
  return taps;
}

export class StatsSampler implements Disposable {
  private readonly ring: SampleRing;
  private readonly store = new DisposableStore();
  private prev: Counters | null = null;
  private taps: string[] = [];
  private readings = 0;
  private busy = false;
  readonly sampled = new Emitter<StatsSample>();

  constructor(
    private readonly sources: SamplerSources,
    opts: { capacity?: number; now?: () => number } = {},
  ) {
    this.ring = new SampleRing(opts.capacity);
    this.now = opts.now ?? Date.now;
  }
  private readonly now: () => number;

  /** Samples every `intervalMs` until disposed. */
  start(intervalMs = SAMPLE_INTERVAL_MS): void {
    const timer = setInterval(() => void this.sampleOnce(), intervalMs);
    timer.unref();
    this.store.add(toDisposable(() => clearInterval(timer)));
    void this.sampleOnce();
  }

  /** The cards changed: look for the taps again at the next reading. */
  rescanTaps(): void {
    this.readings = 0;
  }

  /** One reading; from the second on, a sample. Overlapping calls (a slow QMP answer) are skipped. */
  async sampleOnce(): Promise<StatsSample | null> {
    if (this.busy) return null;
    this.busy = true;
    try {
      const cur = await this.read();
      const prev = this.prev;
      this.prev = cur;
      if (!prev) return null;
      const s = sampleBetween(prev, cur);
      this.ring.push(s);
      this.sampled.fire(s);
      return s;
    } finally {
      this.busy = false;
    }
  }

  private async read(): Promise<Counters> {
    if (this.readings++ % TAP_RESCAN_EVERY === 0) this.taps = this.sources.taps();
    const stat = parseProcStat(this.sources.procStat() ?? '');
    const blocks = await this.sources.blockstats();
    const disk = blocks ? blockTotals(blocks) : null;
    const net = guestTraffic(this.taps.map((t) => this.sources.tapCounters(t)).filter((c) => c !== null));
    return {
      at: this.now(),
      cpuTicks: stat?.cpuTicks ?? null,
      rssBytes: stat ? stat.rssPages * PAGE_BYTES : null,
      diskReadBytes: disk?.read ?? null,
      diskWriteBytes: disk?.write ?? null,
      netRxBytes: net.rx,
      netTxBytes: net.tx,
    };
  }

  /** the taps whose counters the samples sum */
  tapNames(): string[] {
    return [...this.taps];
  }

  samples(sinceMs?: number): StatsSample[] {
    return this.ring.toArray(sinceMs);
  }

  dispose(): void {
    this.store.dispose();
    this.sampled.dispose();
  }
}

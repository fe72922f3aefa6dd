// The time a scheduler lives by, injectable: the system's clock, or a manual one that tests move
// (ManualClock), so a test of a daily schedule never waits a day.
import { toDisposable, type Disposable } from '../../src-vmm/base/disposable.js';

export interface Clock {
  /** ms since the epoch */
  now(): number;
  /** calls `fn` once the clock reaches `at` (ms since the epoch) */
  at(at: number, fn: () => void): Disposable;
}

/** setTimeout's limit (about 24.8 days): a later time is waited for in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  at: (at, fn) => {
    let timer: ReturnType<typeof setTimeout>;
    const arm = () => {
      const wait = at - Date.now();
      timer = setTimeout(() => (at - Date.now() > 0 ? arm() : fn()), Math.max(0, Math.min(wait, MAX_TIMEOUT_MS)));
      timer.unref?.();
    };
    arm();
    return toDisposable(() => clearTimeout(timer));
  },
};

/** A clock that moves only when told to; timers whose time has come fire, in time order, as it moves. */
export class ManualClock implements Clock {
  private timers: { at: number; fn: () => void; seq: number }[] = [];
  private seq = 0;

  constructor(private time: number) {}

  now(): number {
    return this.time;
  }

  at(at: number, fn: () => void): Disposable {
    const t = { at, fn, seq: this.seq++ };
    this.timers.push(t);
    if (at <= this.time) queueMicrotask(() => this.fire());
    return toDisposable(() => (this.timers = this.timers.filter((x) => x !== t)));
  }

  /** Moves to `time` (never back) and fires what is due. */
  set(time: number): void {
    this.time = Math.max(this.time, time);
    this.fire();
  }

  advance(ms: number): void {
    this.set(this.time + ms);
  }

  private fire(): void {
    const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.timers = this.timers.filter((t) => !due.includes(t));
    for (const t of due) t.fn();
  }
}

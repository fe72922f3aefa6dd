// "Restart on crash": which crashes the owner answers with a new start, and when it stops trying.
// Pure bookkeeping (times in ms are passed in), so the limit is unit-tested without waiting a minute.
import type { RecoverySection } from '../../src-vmm/model/recovery.js';

export const RESTART_WINDOW_MS = 60_000;

export type CrashDecision =
  | { restart: true; attempt: number; note: string }
  | { restart: false; note: string | null };

export class CrashRestarts {
  /** per VM: when the owner restarted it automatically, newest last */
  private readonly restarts = new Map<string, number[]>();

  /** A VM crashed (ended 'aborted' unasked) at `now`: restart it or not, and what to tell the user. */
  onCrash(vmId: string, policy: RecoverySection, now: number): CrashDecision {
    if (!policy.restartOnCrash) return { restart: false, note: null };
    const recent = (this.restarts.get(vmId) ?? []).filter((t) => now - t < RESTART_WINDOW_MS);
    if (recent.length >= policy.maxRestartsPerMinute) {
      this.restarts.set(vmId, recent);
      const times = policy.maxRestartsPerMinute === 1 ? 'once' : `${policy.maxRestartsPerMinute} times`;
      return { restart: false, note: `not restarted: it was already restarted ${times} within a minute (the limit of its restart-on-crash policy)` };
    }
    recent.push(now);
    this.restarts.set(vmId, recent);
    return { restart: true, attempt: recent.length, note: `restarting it (restart on crash, ${recent.length} of at most ${policy.maxRestartsPerMinute} within a minute)` };
  }
}

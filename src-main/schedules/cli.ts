// `hangar schedule VM --every DURATION --keep N | schedule VM --off`, and `schedule VM` to show it.
// Flags are checked here with the owner's own rules (schedule.ts) before anything is sent.
import type { Client } from '../../src-vmm/base/rpc.js';
import type { HangarApi } from '../api/contract.js';
import { usageError, type ParsedCommand } from '../cli/args.js';
import { keepProblem, parseDuration } from './schedule.js';
import type { ScheduleInfo } from './contract.js';

type Result = { id: string; name: string; schedule: ScheduleInfo | null };

/** What the flags ask: a usage error (before anything reaches the owner) when they do not fit. */
export function scheduleRequest(f: ParsedCommand['flags']): { kind: 'off' } | { kind: 'show' } | { kind: 'set'; every: string; keep: number } {
  if (f.off === true) {
    if (f.every !== undefined || f.keep !== undefined) throw usageError('--off switches the schedule off: it takes no --every or --keep');
    return { kind: 'off' };
  }
  if (f.every === undefined && f.keep === undefined) return { kind: 'show' };
  if (f.every === undefined || f.keep === undefined) throw usageError('a schedule needs both --every DURATION (such as 30m, 2h, 1d) and --keep N');
  const d = parseDuration(String(f.every));
  if (!d.ok) throw usageError(`--every: ${d.message}`);
  const kp = keepProblem(Number(f.keep));
  if (kp) throw usageError(`--keep: ${kp}`);
  return { kind: 'set', every: String(f.every), keep: Number(f.keep) };
}

export async function scheduleCommand(api: Client<HangarApi>, p: ParsedCommand): Promise<{ value: Result; text: () => string }> {
  const ref = p.args[0]!;
  const req = scheduleRequest(p.flags);
  const r =
    req.kind === 'off' ? await api.call('schedule.off', { ref }) : req.kind === 'show' ? await api.call('schedule.get', { ref }) : await api.call('schedule.set', { ref, every: req.every, keep: req.keep });
  return { value: r, text: () => formatSchedule(r) };
}

export function formatSchedule(r: Result): string {
  const s = r.schedule;
  if (!s) return `VM '${r.name}': no scheduled snapshots`;
  return [
    `VM '${r.name}': a snapshot every ${s.every} while it runs, keeping the last ${s.keep} automatic ones (${s.automaticSnapshots} now)`,
    `next:        ${s.nextRunAt}`,
    ...(s.lastResult ? [`last run:    ${s.lastResult}`] : []),
  ].join('\n');
}

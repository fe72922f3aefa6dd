// Scheduled snapshots with retention (VMware's AutoProtect), the pure part: durations as people write
// them, when a schedule is due, the names of automatic snapshots, and which of them a prune deletes.

/** Units a duration may use: minutes, hours, days. */
const UNITS: Record<string, number> = { m: 60, h: 3600, d: 86_400 };
/** A snapshot at most this often: a live snapshot of a large VM can take minutes. */
export const MIN_EVERY_SECONDS = 5 * 60;
export const MAX_EVERY_SECONDS = 30 * 86_400;
export const MAX_KEEP = 100;
/** Automatic snapshots are named `auto YYYY-MM-DD HH:MM` (the owner's local time). */
export const AUTO_PREFIX = 'auto ';

/** `30m`, `2h`, `1d`, `1h30m` → seconds; a message saying what is wrong otherwise. */
export function parseDuration(text: string): { ok: true; seconds: number } | { ok: false; message: string } {
  const t = text.trim().toLowerCase();
  const bad = { ok: false as const, message: `'${text}' is not a duration such as 30m, 2h or 1d (minutes m, hours h, days d)` };
  if (!/^(\d{1,6}[mhd])+$/.test(t)) return bad;
  let seconds = 0;
  const seen = new Set<string>();
  for (const m of t.matchAll(/(\d+)([mhd])/g)) {
    if (seen.has(m[2]!)) return bad;
    seen.add(m[2]!);
    seconds += Number(m[1]) * UNITS[m[2]!]!;
  }
  if (seconds < MIN_EVERY_SECONDS) return { ok: false, message: `every ${text} is too often: a scheduled snapshot at most every ${formatDuration(MIN_EVERY_SECONDS)}` };
  if (seconds > MAX_EVERY_SECONDS) return { ok: false, message: `every ${text} is too long: at most ${formatDuration(MAX_EVERY_SECONDS)}` };
  return { ok: true, seconds };
}

/** Seconds as the shortest duration text: 1800 → 30m, 7200 → 2h, 86400 → 1d, 5400 → 1h30m. */
export function formatDuration(seconds: number): string {
  let rest = Math.round(seconds / 60) * 60;
  let out = '';
  for (const [u, s] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    const n = Math.floor(rest / s);
    if (n > 0) out += `${n}${u}`;
    rest -= n * s;
  }
  return out || '0m';
}

/** The problem with a number of snapshots to keep, or null. */
export function keepProblem(keep: number): string | null {
  if (!Number.isInteger(keep) || keep < 1) return `keep must be a whole number from 1 (keeping none would delete every automatic snapshot as it is taken), not ${keep}`;
  if (keep > MAX_KEEP) return `keep must be at most ${MAX_KEEP}, not ${keep}`;
  return null;
}

export interface ScheduleRecord {
  vmId: string;
  everySeconds: number;
  keep: number;
  /** ms since the epoch */
  setAt: number;
  lastRunAt: number | null;
  lastResult: string | null;
}

/** When the next snapshot is due: a period after the last run (or after the schedule was set). */
export function nextRunAt(s: Pick<ScheduleRecord, 'everySeconds' | 'setAt' | 'lastRunAt'>): number {
  return (s.lastRunAt ?? s.setAt) + s.everySeconds * 1000;
}

export function isDue(s: Pick<ScheduleRecord, 'everySeconds' | 'setAt' | 'lastRunAt'>, now: number): boolean {
  return now >= nextRunAt(s);
}

/** `auto 2026-12-06 14:00` in local time; ` (2)`, ` (3)`, … when a snapshot has that name already (any case). */
export function autoSnapshotName(now: number, taken: readonly string[]): string {
  const d = new Date(now);
  const p = (n: number) => String(n).padStart(2, '0');
  const base = `${AUTO_PREFIX}${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  const used = new Set(taken.map((n) => n.toLowerCase()));
  if (!used.has(base.toLowerCase())) return base;
  for (let i = 2; ; i++) if (!used.has(`${base} (${i})`.toLowerCase())) return `${base} (${i})`;
}

export interface AutoSnapshot {
  id: string;
  /** its name now */
  name: string;
  /** the name the schedule gave it: one renamed since is the person's, never pruned */
  takenAs: string;
  createdAt: string;
}

/** The automatic snapshots a prune deletes: the oldest beyond `keep`, among those still named as taken. */
export function pruneList(autos: readonly AutoSnapshot[], keep: number): AutoSnapshot[] {
  const own = autos.filter((a) => a.name === a.takenAs).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  return own.slice(0, Math.max(0, own.length - keep));
}

// The Performance tab's pure part: the samples kept in the page (merged from the history and the live
// events), the window shown, and how values read.
import type { ApiOutput } from '../api/apiTypes.js';
import { formatBytes } from '../components/size.js';

export type Sample = ApiOutput<'vm.stats'>['samples'][number];

/** What the page keeps: the owner's hour. */
export const MAX_SAMPLES = 3600;

export const WINDOWS = [
  { seconds: 60, label: '1 min' },
  { seconds: 300, label: '5 min' },
  { seconds: 3600, label: '1 hour' },
] as const;

/** New samples after the ones kept (by time; one seen already is not added twice), at most `max`. */
export function mergeSamples(kept: readonly Sample[], incoming: readonly Sample[], max = MAX_SAMPLES): Sample[] {
  const last = kept.length ? Date.parse(kept[kept.length - 1]!.t) : -Infinity;
  const fresh = incoming.filter((s) => Date.parse(s.t) > last).sort((a, b) => Date.parse(a.t) - Date.parse(b.t));
  const all = fresh.length ? [...kept, ...fresh] : [...kept];
  return all.length > max ? all.slice(all.length - max) : all;
}

/** The samples of the last `seconds` before the newest one. */
export function lastSeconds(samples: readonly Sample[], seconds: number): Sample[] {
  if (samples.length === 0) return [];
  const end = Date.parse(samples[samples.length - 1]!.t);
  return samples.filter((s) => Date.parse(s.t) > end - seconds * 1000);
}

export const formatPercent = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} %`);
export const formatRate = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${formatBytes(v)}/s`);
export const formatMemory = (v: number | null | undefined) => (v === null || v === undefined ? '—' : formatBytes(v));

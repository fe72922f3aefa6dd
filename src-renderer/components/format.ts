// Small formatting helpers for the details pane.
import { formatBytes } from './size.js';

/** A date and time from an ISO string, in the user's locale; the input itself when it is not a date. */
export function formatDateTime(iso: string, locale?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
}

/** `20 GiB (3.2 GiB used)`, or just the virtual size when the used space is unknown. */
export function formatDiskSize(virtualBytes: number, actualBytes?: number): string {
  if (virtualBytes <= 0) return 'unknown size';
  const v = formatBytes(virtualBytes);
  return actualBytes === undefined ? v : `${v} (${formatBytes(actualBytes)} used)`;
}

/** `TCP 127.0.0.1:2222 → guest 22`. */
export function formatForward(f: { protocol: string; hostAddress: string; hostPort: number; guestPort: number }): string {
  return `${f.protocol.toUpperCase()} ${f.hostAddress}:${f.hostPort} → guest ${f.guestPort}`;
}

/** The family of an OS type, for its icon; 'other' when the catalogue does not know it. */
export function osFamily(osType: string, osTypes: readonly { id: string; family: string }[]): string {
  return osTypes.find((o) => o.id === osType)?.family ?? 'other';
}

/** "1 CPU", "2 CPUs": a count with its noun in the right number. */
export function countOf(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** An ISO 8601 time in UTC as the owner writes it into messages: 2026-03-06T12:04:31.123Z. */
const UTC_TIMESTAMP = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z\b/g;

/** A message with the owner's raw UTC timestamps shown as local date and time. */
export function localizeTimestamps(text: string, format: (iso: string) => string = (iso) => formatDateTime(iso)): string {
  return text.replace(UTC_TIMESTAMP, (iso) => format(iso));
}

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

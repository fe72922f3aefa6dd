// A value or the reasons there is none: for validation, where a caller wants every problem at once
// rather than the first exception.

export type Result<T, I = unknown> = { ok: true; value: T } | { ok: false; issues: I };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail<I>(issues: I): { ok: false; issues: I } {
  return { ok: false, issues };
}

// One error family for every process. The code crosses process boundaries; the message is for people.
import { formatSize } from '../storage/size.js';

export const ERROR_CODES = [
  'NOT_FOUND',
  'INVALID_INPUT',
  'STATE_CONFLICT',
  'ALREADY_EXISTS',
  'QEMU_FAILED',
  'QMP_ERROR',
  'CANCELLED',
  'DISK_FULL',
  'UNSAFE_ARCHIVE',
  'IO_ERROR',
  'OWNER_CONFLICT',
  'TIMEOUT',
  'UNSUPPORTED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The form an error takes on the wire: plain JSON. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class HangarError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HangarError';
    this.code = code;
    this.details = opts.details;
  }

  toWire(): WireError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromWire(w: WireError): HangarError {
    const code = (ERROR_CODES as readonly string[]).includes(w.code) ? w.code : 'INTERNAL';
    return new HangarError(code, w.message, { details: w.details });
  }
}

/**
 * One problem with one part of a request, carried as data so each surface can point at the field
 * (`path`, in the request's own shape: 'disk.image', 'system.cpus', 'nics[1].mac') and word its own
 * advice from `code` and `data` (the interface points at its buttons, the CLI at its flags).
 */
export interface ErrorIssue {
  path: string;
  message: string;
  /** a stable name for the kind of problem, for advice: 'IMAGE_READS_OTHER_FILES', … */
  code?: string;
  data?: Record<string, unknown>;
}

/** A path into a request or config as people read it: 'disks[1].bus', 'system.cpus'. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** The issues an error carries in its details (an empty list when it carries none). */
export function errorIssues(e: { details?: unknown }): ErrorIssue[] {
  const issues = (e.details as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter(
    (i): i is ErrorIssue => typeof i === 'object' && i !== null && typeof (i as ErrorIssue).path === 'string' && typeof (i as ErrorIssue).message === 'string',
  );
}

/** The first issue of an error with this code, if any. */
export function issueWithCode(e: { details?: unknown }, code: string): ErrorIssue | undefined {
  return errorIssues(e).find((i) => i.code === code);
}

/** INVALID_INPUT with its issues as data; the message joins them for people. */
export function invalidInput(issues: ErrorIssue[], opts: { message?: string; cause?: unknown } = {}): HangarError {
  const message = opts.message ?? issues.map((i) => i.message).join('; ');
  return new HangarError('INVALID_INPUT', message, { details: { issues }, ...(opts.cause !== undefined ? { cause: opts.cause } : {}) });
}

export function isHangarError(e: unknown, code?: ErrorCode): e is HangarError {
  return e instanceof HangarError && (code === undefined || e.code === code);
}

/** Any thrown value as a HangarError, keeping the original as the cause. */
export function toHangarError(e: unknown): HangarError {
  if (e instanceof HangarError) return e;
  if (e instanceof Error) {
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'ENOSPC' || errno === 'EDQUOT') return new HangarError('DISK_FULL', `not enough space: ${e.message}`, { cause: e });
    // better-sqlite3: the inventory could not grow its database or journal.
    if (errno === 'SQLITE_FULL') return new HangarError('DISK_FULL', `not enough space for the inventory: ${e.message}`, { cause: e });
    if (e.name === 'AbortError') return new HangarError('CANCELLED', 'cancelled', { cause: e });
    return new HangarError('INTERNAL', e.message, { cause: e });
  }
  return new HangarError('INTERNAL', String(e));
}

/** How programs (qemu-img, QEMU, SQLite, the kernel) say the filesystem is full. */
export const NO_SPACE_TEXT = /No space left on device|ENOSPC|Disk quota exceeded|database or disk is full/i;

/**
 * Whether a failure came from a full filesystem: an ENOSPC (or quota) errno, SQLite's SQLITE_FULL, a
 * DISK_FULL HangarError, or a program's "No space left on device", here or anywhere in its causes.
 */
export function isNoSpaceError(e: unknown): boolean {
  for (let x = e, depth = 0; x !== undefined && x !== null && depth < 8; depth++) {
    if (x instanceof HangarError && x.code === 'DISK_FULL') return true;
    if (typeof x === 'object') {
      const code = (x as { code?: unknown }).code;
      if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
    }
    const message = x instanceof Error ? x.message : typeof x === 'string' ? x : '';
    if (NO_SPACE_TEXT.test(message)) return true;
    x = x instanceof Error ? x.cause : undefined;
  }
  return false;
}

/**
 * DISK_FULL naming the folder a person can make room on, with what is needed and free when known:
 * `not enough space on /x/VMs: needs 300 MiB, 12 MiB free`.
 */
export function noSpaceError(dir: string, o: { neededBytes?: number; freeBytes?: number | null; atLeast?: boolean; cause?: unknown } = {}): HangarError {
  const needed = o.neededBytes !== undefined && o.neededBytes > 0 ? `needs ${o.atLeast ? 'at least ' : ''}${formatSize(o.neededBytes)}` : '';
  const free = o.freeBytes !== undefined && o.freeBytes !== null ? `${formatSize(o.freeBytes)} free` : '';
  const facts = [needed, free].filter(Boolean).join(', ');
  return new HangarError('DISK_FULL', `not enough space on ${dir}${facts ? `: ${facts}` : ''}`, {
    ...(o.cause !== undefined ? { cause: o.cause } : {}),
    details: { dir, ...(o.neededBytes !== undefined ? { neededBytes: o.neededBytes } : {}), ...(o.freeBytes !== undefined && o.freeBytes !== null ? { freeBytes: o.freeBytes } : {}) },
  });
}

export function cancelledError(): HangarError {
  return new HangarError('CANCELLED', 'cancelled');
}

/** Throws CANCELLED when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}

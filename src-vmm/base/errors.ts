// One error family for every process. The code crosses process boundaries; the message is for people.

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

export function isHangarError(e: unknown, code?: ErrorCode): e is HangarError {
  return e instanceof HangarError && (code === undefined || e.code === code);
}

/** Any thrown value as a HangarError, keeping the original as the cause. */
export function toHangarError(e: unknown): HangarError {
  if (e instanceof HangarError) return e;
  if (e instanceof Error) {
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'ENOSPC') return new HangarError('DISK_FULL', `not enough space: ${e.message}`, { cause: e });
    if (e.name === 'AbortError') return new HangarError('CANCELLED', 'cancelled', { cause: e });
    return new HangarError('INTERNAL', e.message, { cause: e });
  }
  return new HangarError('INTERNAL', String(e));
}

export function cancelledError(): HangarError {
  return new HangarError('CANCELLED', 'cancelled');
}

/** Throws CANCELLED when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}

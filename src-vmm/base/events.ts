import { toDisposable, type Disposable } from './disposable.js';

/** A typed event emitter whose subscriptions are Disposables. */
export class Emitter<T> {
  private listeners = new Set<(value: T) => void>();

  readonly event = (listener: (value: T) => void): Disposable => {
    this.listeners.add(listener);
    return toDisposable(() => this.listeners.delete(listener));
  };

  /**
   * Every listener gets the value, even when one before it throws (a console watcher must not miss a
   * line because another listener failed); the first error is thrown once all have had it.
   */
  fire(value: T): void {
    let failed: { error: unknown } | undefined;
    for (const l of [...this.listeners]) {
      try {
        l(value);
      } catch (error) {
        failed ??= { error };
      }
    }
    if (failed) throw failed.error;
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  dispose(): void {
    this.listeners.clear();
  }
}

/** Resolves with the first value that satisfies the predicate, or rejects on timeout/abort. */
export function waitForEvent<T>(
  event: (l: (v: T) => void) => Disposable,
  predicate: (v: T) => boolean,
  opts: { timeoutMs?: number; signal?: AbortSignal; what?: string } = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const sub = event((v) => {
      if (!predicate(v)) return;
      cleanup();
      resolve(v);
    });
    const onAbort = () => {
      cleanup();
      reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    };
    const cleanup = () => {
      sub.dispose();
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what ?? 'event'}`));
      }, opts.timeoutMs);
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `p`'s value, or `fallback` once `ms` have passed without it (the timer is cleared either way). For
 * bounded waits where running late is an answer, not an error.
 */
export async function orAfter<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<T>((r) => (timer = setTimeout(() => r(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

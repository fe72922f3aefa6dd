// Keystrokes for the serial console, sent in order: while one `vm.send` is on its way, what the user
// types is collected and goes out as one message after it.

/** The API's limit for one `vm.send` text. */
export const MAX_SEND_CHARS = 1 << 16;

export interface SendQueue {
  push(text: string): void;
  /** resolves when everything pushed so far has been sent (or failed) */
  idle(): Promise<void>;
  /** drops what is waiting; a send on its way finishes */
  clear(): void;
}

export function createSendQueue(send: (text: string) => Promise<void>, onError: (e: unknown) => void): SendQueue {
  let buffer = '';
  let inflight: Promise<void> | null = null;
  const idleWaiters: (() => void)[] = [];

  const pump = () => {
    if (inflight) return;
    if (buffer === '') {
      for (const w of idleWaiters.splice(0)) w();
      return;
    }
    // Never split a surrogate pair across two messages.
    let n = Math.min(buffer.length, MAX_SEND_CHARS);
    if (n < buffer.length && /[\uD800-\uDBFF]/.test(buffer[n - 1]!)) n--;
    const chunk = buffer.slice(0, n);
    buffer = buffer.slice(n);
    inflight = send(chunk).then(
      () => undefined,
      (e: unknown) => onError(e),
    );
    void inflight.then(() => {
      inflight = null;
      pump();
    });
  };

  return {
    push(text) {
      if (text === '') return;
      buffer += text;
      pump();
    },
    idle() {
      if (!inflight && buffer === '') return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    clear() {
      buffer = '';
    },
  };
}

// Browser transports for the RPC kernel: a WebSocket (web mode) and the Electron preload bridge.
// They only move Wire messages; the kernel rejects pending calls when a transport closes.
import { toDisposable } from '../../src-vmm/base/disposable.js';
import { HangarError } from '../../src-vmm/base/errors.js';
import { isWire, type Transport, type Wire } from '../../src-vmm/base/rpc.js';
import type { FileFilter } from './apiTypes.js';

/** What the Electron preload exposes as `window.hangar` (one generic channel). */
export interface HangarBridge {
  send(msg: Wire): void;
  onMessage(cb: (msg: Wire) => void): () => void;
  /** a native file dialog; without it the web file dialog (`fs.list`) is used */
  pickFile?(opts: { title: string; filter: FileFilter; defaultPath?: string }): Promise<string | null>;
  /** the display websocket URL for a `vm.display` path; without it the page's own host is used */
  displayUrl?(path: string): string;
}

declare global {
  interface Window {
    hangar?: HangarBridge;
  }
}

type Listeners<T> = Set<(v: T) => void>;

function emit<T>(listeners: Listeners<T>, v: T): void {
  for (const l of [...listeners]) {
    try {
      l(v);
    } catch (e) {
      console.error('hangar: a message listener failed', e);
    }
  }
}

/**
 * Opens a WebSocket and resolves once it is open. Each text frame carries one JSON Wire message;
 * frames that are not Wire messages are dropped.
 */
export function openWebSocketTransport(url: string, opts: { signal?: AbortSignal } = {}): Promise<Transport> {
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      reject(new HangarError('IO_ERROR', `cannot connect to Hangar: ${(e as Error).message}`, { cause: e }));
      return;
    }
    const messages: Listeners<Wire> = new Set();
    const closes: Listeners<void> = new Set();
    let opened = false;
    let closed = false;

    const onAbort = () => ws.close();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    ws.onopen = () => {
      opened = true;
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(transport);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return;
      let m: unknown;
      try {
        m = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (isWire(m)) emit(messages, m);
    };
    ws.onclose = (ev: CloseEvent) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (!opened) {
        reject(new HangarError('IO_ERROR', ev.reason ? `cannot connect to Hangar: ${ev.reason}` : 'cannot connect to Hangar'));
        return;
      }
      if (closed) return;
      closed = true;
      emit(closes, undefined);
    };

    const transport: Transport = {
      send(m) {
        if (ws.readyState !== WebSocket.OPEN) throw new HangarError('IO_ERROR', 'not connected to Hangar');
        ws.send(JSON.stringify(m));
      },
      onMessage(cb) {
        messages.add(cb);
        return toDisposable(() => messages.delete(cb));
      },
      onClose(cb) {
        closes.add(cb);
        return toDisposable(() => closes.delete(cb));
      },
      close() {
        if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000, 'closed by the page');
        if (!closed && opened) {
          closed = true;
          emit(closes, undefined);
        }
      },
    };
  });
}

/** A transport over the Electron preload bridge. It closes only when the page closes it. */
export function bridgeTransport(bridge: HangarBridge): Transport {
  const messages: Listeners<Wire> = new Set();
  const closes: Listeners<void> = new Set();
  let closed = false;
  const unsubscribe = bridge.onMessage((m) => {
    if (!closed && isWire(m)) emit(messages, m);
  });
  return {
    send(m) {
      if (closed) throw new HangarError('IO_ERROR', 'not connected to Hangar');
      bridge.send(m);
    },
    onMessage(cb) {
      messages.add(cb);
      return toDisposable(() => messages.delete(cb));
    },
    onClose(cb) {
      closes.add(cb);
      return toDisposable(() => closes.delete(cb));
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      emit(closes, undefined);
    },
  };
}

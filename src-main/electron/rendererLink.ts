// The API over Electron IPC, as a transport adapter with no Electron in it. Each document the window
// loads tags its messages with a session id of its own (made by the preload); a message with a new id
// means a new page (a reload), so the previous page's connection closes and a fresh one is served.
// Replies go back with the session id, and the preload drops those of another document.
import { toDisposable, type Disposable } from '../../src-vmm/base/disposable.js';
import type { Transport, Wire } from '../../src-vmm/base/rpc.js';

export interface RendererLink extends Disposable {
  /** a message from the page, after the sender check and the shape check */
  receive(session: string, m: Wire): void;
  /** an app event for the page (open file, menu command); held until a page has spoken */
  sendEvent(name: string, payload: unknown): void;
  /** the page went away (crashed, window closed): its connection ends */
  drop(): void;
}

export interface RendererLinkOptions {
  /** sends to the window's page (webContents.send) */
  post(session: string, m: Wire): void;
  /** serves the API over a new transport (owner.connect) */
  connect(t: Transport): void;
  log?: (line: string) => void;
}

/** Session ids are made by the preload; anything else is refused before it reaches the link. */
export function isSessionId(s: unknown): s is string {
  return typeof s === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(s);
}

interface Session {
  id: string;
  transport: Transport;
  deliver(m: Wire): void;
  close(): void;
}

export function createRendererLink(opts: RendererLinkOptions): RendererLink {
  let current: Session | null = null;
  let disposed = false;
  const held: Wire[] = [];

  const post = (session: Session, m: Wire) => {
    if (current !== session) return;
    try {
      opts.post(session.id, m);
    } catch (e) {
      opts.log?.(`electron: could not send to the page: ${(e as Error).message}`);
    }
  };

  const open = (id: string): Session => {
    const listeners = new Set<(m: Wire) => void>();
    const closeListeners = new Set<() => void>();
    let closed = false;
    const session: Session = {
      id,
      transport: {
        send: (m) => {
          if (!closed) post(session, m);
        },
        onMessage(cb) {
          listeners.add(cb);
          return toDisposable(() => listeners.delete(cb));
        },
        onClose(cb) {
          closeListeners.add(cb);
          return toDisposable(() => closeListeners.delete(cb));
        },
        close: () => session.close(),
      },
      deliver(m) {
        if (closed) return;
        for (const l of [...listeners]) l(m);
      },
      close() {
        if (closed) return;
        closed = true;
        if (current === session) current = null;
        for (const l of [...closeListeners]) l();
      },
    };
    return session;
  };

  return {
    receive(id, m) {
      if (disposed) return;
      if (current?.id !== id) {
        current?.close();
        const session = open(id);
        current = session;
        opts.connect(session.transport);
        for (const e of held.splice(0)) post(session, e);
      }
      current?.deliver(m);
    },
    sendEvent(name, payload) {
      if (disposed) return;
      const m: Wire = { t: 'event', name, payload };
      if (current) post(current, m);
      else held.push(m);
    },
    drop() {
      current?.close();
    },
    dispose() {
      disposed = true;
      held.length = 0;
      current?.close();
    },
  };
}

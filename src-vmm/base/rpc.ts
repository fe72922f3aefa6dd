// The RPC kernel shared by every process: a contract of zod-typed methods, a closed wire union,
// serve() for the callee and createClient() for the caller. Transports only move Wire messages.
import type { z } from 'zod';
import { toDisposable, DisposableStore, type Disposable } from './disposable.js';
import { HangarError, formatIssuePath, toHangarError, type WireError } from './errors.js';

export interface Progress {
  /** 0..1 */
  fraction: number;
  message?: string;
}

export interface Method<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** long methods report progress and can be cancelled */
  long?: boolean;
}

export type Contract = Record<string, Method>;

export function method<I extends z.ZodType, O extends z.ZodType>(
  input: I,
  output: O,
  opts: { long?: boolean } = {},
): Method<I, O> {
  return { input, output, ...(opts.long ? { long: true } : {}) };
}

export interface CallContext {
  signal: AbortSignal;
  progress: (p: Progress) => void;
  /** identifies the connection the call came on (for per-connection subscriptions) */
  connection: ConnectionContext;
}

export interface ConnectionContext {
  id: number;
  /** emit an event to this connection only */
  emit(name: string, payload: unknown): void;
  /** resources tied to this connection, disposed when it closes */
  readonly resources: DisposableStore;
  /** resolves once no request of this connection is being handled (its replies were sent) */
  idle(): Promise<void>;
}

export type Handlers<C extends Contract> = {
  [K in keyof C]: (input: z.output<C[K]['input']>, ctx: CallContext) => Promise<z.input<C[K]['output']>>;
};

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  timeoutMs?: number;
}

export interface Client<C extends Contract> extends Disposable {
  call<K extends keyof C & string>(m: K, input: z.input<C[K]['input']>, opts?: CallOptions): Promise<z.output<C[K]['output']>>;
  onEvent(listener: (name: string, payload: unknown) => void): Disposable;
  onClose(listener: () => void): Disposable;
}

export type Wire =
  | { t: 'req'; id: number; method: string; input: unknown }
  | { t: 'cancel'; id: number }
  | { t: 'progress'; id: number; progress: Progress }
  | { t: 'ok'; id: number; output: unknown }
  | { t: 'err'; id: number; error: WireError }
  | { t: 'event'; name: string; payload: unknown };

export interface Transport {
  send(m: Wire): void;
  onMessage(cb: (m: Wire) => void): Disposable;
  onClose(cb: () => void): Disposable;
  close(): void;
}

const WIRE_KINDS = new Set(['req', 'cancel', 'progress', 'ok', 'err', 'event']);

/** Checks the outer shape of a message that arrived from outside; the payload is validated later. */
export function isWire(m: unknown): m is Wire {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { t?: unknown }).t;
  if (typeof t !== 'string' || !WIRE_KINDS.has(t)) return false;
  if (t === 'event') return typeof (m as { name?: unknown }).name === 'string';
  const id = (m as { id?: unknown }).id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id)) return false;
  if (t === 'req') return typeof (m as { method?: unknown }).method === 'string';
  return true;
}

/**
 * The deepest input a method accepts (no method's input nests more than a few levels). Checked
 * before the schema runs, so no transport (the in-process pair, Electron's structured clone) can
 * hand a handler, a schema or a log line a value too deep for their recursion.
 */
export const MAX_INPUT_DEPTH = 64;
/** The most values the depth check looks at: a cap for shared sub-objects (structured clone keeps them shared). */
const MAX_DEPTH_CHECK_VISITS = 1_000_000;

/**
 * Whether `value` nests arrays and objects deeper than `maxDepth` (`[[1]]` is 2 deep), or is too
 * big to tell (over a million nested values). An explicit stack, not recursion: the check must not
 * overflow on what it exists to refuse. A cycle counts as too deep.
 */
export function nestingExceeds(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  let visits = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > maxDepth || ++visits > MAX_DEPTH_CHECK_VISITS) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** A request that does not fit the contract, with each problem as an issue at its path. */
function invalidRequest(e: z.ZodError): WireError {
  const issues = e.issues.slice(0, 20).map((i) => ({ path: formatIssuePath(i.path), message: i.message }));
  const message = issues
    .slice(0, 5)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
  return { code: 'INVALID_INPUT', message, details: { issues } };
}

let nextConnectionId = 1;

/**
 * Serves a contract over one transport. Input is validated before the handler runs; thrown errors
 * become typed `err` messages; `cancel` aborts the call's signal.
 */
export function serve<C extends Contract>(
  contract: C,
  handlers: Handlers<C>,
  transport: Transport,
  opts: { onConnection?: (conn: ConnectionContext) => void; log?: (line: string) => void } = {},
): Disposable {
  const store = new DisposableStore();
  const running = new Map<number, AbortController>();
  let idleWaiters: (() => void)[] = [];
  const settled = (id: number) => {
    running.delete(id);
    if (running.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };
  const connection: ConnectionContext = {
    idle: () => (running.size === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    id: nextConnectionId++,
    emit: (name, payload) => {
      try {
        transport.send({ t: 'event', name, payload });
      } catch {
        /* connection gone */
      }
    },
    resources: new DisposableStore(),
  };
  store.add(connection.resources);
  opts.onConnection?.(connection);

  const reply = (m: Wire) => {
    try {
      transport.send(m);
    } catch {
      /* the peer went away; nothing to tell */
    }
  };

  store.add(
    transport.onMessage((m) => {
      if (m.t === 'cancel') {
        running.get(m.id)?.abort();
        return;
      }
      if (m.t !== 'req') return;
      const { id } = m;
      if (!Object.prototype.hasOwnProperty.call(contract, m.method)) {
        reply({ t: 'err', id, error: { code: 'INVALID_INPUT', message: `unknown method '${m.method}'` } });
        return;
      }
      const def = contract[m.method]!;
      if (nestingExceeds(m.input, MAX_INPUT_DEPTH)) {
        reply({ t: 'err', id, error: { code: 'INVALID_INPUT', message: `the input of '${m.method}' nests deeper than ${MAX_INPUT_DEPTH} levels` } });
        return;
      }
      const parsed = def.input.safeParse(m.input);
      if (!parsed.success) {
        reply({ t: 'err', id, error: invalidRequest(parsed.error) });
        return;
      }
      const ac = new AbortController();
      running.set(id, ac);
      const handler = handlers[m.method as keyof C]!;
      const ctx: CallContext = {
        signal: ac.signal,
        progress: (p) => {
          if (def.long) reply({ t: 'progress', id, progress: p });
        },
        connection,
      };
      Promise.resolve()
        .then(() => handler(parsed.data as never, ctx))
        .then(
          (output) => reply({ t: 'ok', id, output: output === undefined ? null : output }),
          (e: unknown) => {
            const he = ac.signal.aborted && !(e instanceof HangarError) ? new HangarError('CANCELLED', 'cancelled') : toHangarError(e);
            if (he.code === 'INTERNAL') opts.log?.(`rpc ${m.method} failed: ${(e as Error)?.stack ?? String(e)}`);
            reply({ t: 'err', id, error: he.toWire() });
          },
        )
        .finally(() => settled(id));
    }),
  );
  store.add(
    transport.onClose(() => {
      for (const ac of running.values()) ac.abort();
      running.clear();
      for (const w of idleWaiters.splice(0)) w();
      store.dispose();
    }),
  );
  store.add(toDisposable(() => running.forEach((ac) => ac.abort())));
  return store;
}

export class DisconnectedError extends HangarError {
  constructor(method: string) {
    super('IO_ERROR', `connection closed while waiting for '${method}'`);
  }
}

/**
 * A client of `contract`, whose replies are checked against it. The contract may come as a loader: it
 * is called once the first request is on its way, and replies wait for it (a command line whose first
 * request should not wait for the schemas to load). What arrives after a reply that waits is held
 * behind it, so replies, progress, events and the close reach the caller in the order they came.
 */
export function createClient<C extends Contract>(transport: Transport, contract?: C | (() => Promise<C>)): Client<C> {
  let nextId = 1;
  let loading: Promise<C> | undefined;
  let loaded: C | undefined = typeof contract === 'function' ? undefined : contract;
  const startLoading = (): Promise<C> | undefined => {
    if (typeof contract !== 'function') return undefined;
    loading ??= contract().then((c) => (loaded = c));
    return loading;
  };
  /** The messages waiting behind a reply that waits for the contract, in arrival order; none: undefined. */
  let held: Promise<void> | undefined;
  const inOrder = (deliver: () => Promise<void> | void) => {
    if (!held) {
      const waiting = deliver();
      if (!waiting) return;
      held = waiting;
    } else {
      // A listener that throws while messages are held is reported as it would be unheld (an uncaught
      // exception), and what follows it is still delivered.
      held = held.then(deliver).catch((e: unknown) => {
        setTimeout(() => {
          throw e;
        }, 0);
      });
    }
    const tail = held;
    void tail.then(() => {
      if (held === tail) held = undefined;
    });
  };
  let closed = false;
  const pending = new Map<number, { method: string; resolve: (v: unknown) => void; reject: (e: unknown) => void; onProgress?: (p: Progress) => void }>();
  const eventListeners = new Set<(name: string, payload: unknown) => void>();
  const closeListeners = new Set<() => void>();
  const store = new DisposableStore();

  /** Settles a call with its reply, checked against the contract (loaded first where it still loads). */
  const reply = (p: { method: string; resolve: (v: unknown) => void; reject: (e: unknown) => void }, output: unknown): Promise<void> | void => {
    const check = (c: C | undefined) => {
      const def = c?.[p.method];
      if (!def) return p.resolve(output);
      const parsed = def.output.safeParse(output);
      if (!parsed.success) return p.reject(new HangarError('INTERNAL', `bad reply to '${p.method}': ${invalidRequest(parsed.error).message}`));
      p.resolve(parsed.data);
    };
    if (loaded || typeof contract !== 'function') return check(loaded);
    return startLoading()!.then(check, (e: unknown) => p.reject(new HangarError('INTERNAL', `could not load the contract to check the reply to '${p.method}': ${toHangarError(e).message}`)));
  };

  store.add(
    transport.onMessage((m) =>
      inOrder(() => {
        switch (m.t) {
          case 'ok': {
            const p = pending.get(m.id);
            if (!p) return;
            pending.delete(m.id);
            return reply(p, m.output);
          }
          case 'err': {
            const p = pending.get(m.id);
            if (!p) return;
            pending.delete(m.id);
            p.reject(HangarError.fromWire(m.error));
            return;
          }
          case 'progress':
            pending.get(m.id)?.onProgress?.(m.progress);
            return;
          case 'event':
            for (const l of [...eventListeners]) l(m.name, m.payload);
            return;
          default:
            return;
        }
      }),
    ),
  );
  // Runs once, whether the peer closed the transport or this client was disposed: nothing is left waiting.
  const shutDown = () => {
    if (closed) return;
    closed = true;
    for (const [, p] of pending) p.reject(new DisconnectedError(p.method));
    pending.clear();
    for (const l of [...closeListeners]) l();
  };
  store.add(transport.onClose(() => inOrder(shutDown)));
  /** Cancel messages are best effort: the transport may already be gone. */
  const sendCancel = (id: number) => {
    try {
      transport.send({ t: 'cancel', id });
    } catch {
      /* closed: the pending call is rejected by shutDown */
    }
  };

  return {
    call(methodName, input, opts = {}) {
      if (closed) return Promise.reject(new DisconnectedError(methodName));
      // Already cancelled: do not start work the caller no longer wants.
      if (opts.signal?.aborted) return Promise.reject(new HangarError('CANCELLED', `'${methodName}' was cancelled before it started`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const onAbort = () => sendCancel(id);
        const finish = () => {
          if (timer) clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
        };
        pending.set(id, {
          method: methodName,
          resolve: (v) => {
            finish();
            resolve(v as never);
          },
          reject: (e) => {
            finish();
            reject(e);
          },
          onProgress: opts.onProgress,
        });
        if (opts.timeoutMs !== undefined) {
          timer = setTimeout(() => {
            const p = pending.get(id);
            if (!p) return;
            pending.delete(id);
            sendCancel(id);
            p.reject(new HangarError('TIMEOUT', `'${methodName}' did not answer within ${opts.timeoutMs} ms`));
          }, opts.timeoutMs);
        }
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        try {
          transport.send({ t: 'req', id, method: methodName, input });
        } catch (e) {
          pending.delete(id);
          finish();
          reject(toHangarError(e));
          return;
        }
        // The request is on its way: the contract loads while the peer works on it.
        startLoading()?.catch(() => undefined);
      });
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return toDisposable(() => eventListeners.delete(listener));
    },
    onClose(listener) {
      closeListeners.add(listener);
      return toDisposable(() => closeListeners.delete(listener));
    },
    dispose() {
      shutDown();
      store.dispose();
      transport.close();
    },
  };
}

/** Two connected in-memory transports: for tests and in-process use. Delivery is asynchronous. */
export function createTransportPair(): [Transport, Transport] {
  type Side = { listeners: Set<(m: Wire) => void>; closeListeners: Set<() => void> };
  const a: Side = { listeners: new Set(), closeListeners: new Set() };
  const b: Side = { listeners: new Set(), closeListeners: new Set() };
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    queueMicrotask(() => {
      for (const s of [a, b]) for (const l of [...s.closeListeners]) l();
    });
  };
  const make = (self: Side, peer: Side): Transport => ({
    send(m) {
      if (closed) throw new HangarError('IO_ERROR', 'transport closed');
      const copy = JSON.parse(JSON.stringify(m)) as Wire; // same rules as a real wire: plain JSON only
      queueMicrotask(() => {
        for (const l of [...peer.listeners]) l(copy);
      });
    },
    onMessage(cb) {
      self.listeners.add(cb);
      return toDisposable(() => self.listeners.delete(cb));
    },
    onClose(cb) {
      self.closeListeners.add(cb);
      return toDisposable(() => self.closeListeners.delete(cb));
    },
    close,
  });
  return [make(a, b), make(b, a)];
}


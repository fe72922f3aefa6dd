// The page's connection to the owner (no DOM: it runs under Node in the unit tests): one typed RPC client at a time over a transport from the
// endpoint, reopened with backoff when it closes. Event subscriptions outlive reconnects; calls made
// while disconnected wait for the next connection (or their AbortSignal).
import { toDisposable, type Disposable } from '../../src-vmm/base/disposable.js';
import { HangarError, toHangarError } from '../../src-vmm/base/errors.js';
import { createClient, type CallOptions, type Client, type Transport } from '../../src-vmm/base/rpc.js';
import { hangarApi, hangarEvents, type HangarApi } from '../../src-main/api/contract.js';
import type { ApiInput, ApiMethod, ApiOutput, EventName, EventPayload, FileFilter } from './apiTypes.js';
import { reconnectDelay } from './connection.js';

/** Where the API lives and how to reach the display: web mode or Electron. */
export interface Endpoint {
  readonly kind: 'web' | 'electron';
  /** set when the page cannot connect at all (e.g. no token); shown instead of retrying */
  readonly problem?: string;
  /** reopen after the transport closes */
  readonly reconnect: boolean;
  open(signal: AbortSignal): Promise<Transport>;
  /** the websocket URL noVNC connects to for a `vm.display` path */
  displayTarget(path: string): string;
  /** a native file picker; without it the interface uses its own dialog over `fs.list` */
  pickFile?(opts: { title: string; filter: FileFilter; defaultPath?: string }): Promise<string | null>;
  /**
   * After a failed open: whether the server answers and still takes this page's token ('refused':
   * it runs with another one, i.e. it restarted with a new link).
   */
  diagnose?(signal: AbortSignal): Promise<DisconnectCause>;
}

/** Why the page cannot reconnect: nothing answers, or the server answers but refuses the token. */
export type DisconnectCause = 'unreachable' | 'refused' | 'unknown';

export type ConnectionStatus =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; attempt: number; retryAt: number; error: string; cause?: DisconnectCause }
  | { kind: 'failed'; error: string }
  | { kind: 'closed' };

type AnyListener = (payload: unknown) => void;

const earlyKey = (method: string, input: unknown) => `${method} ${JSON.stringify(input)}`;

/** An answer already on its way, given up (CANCELLED, then `onGiveUp`) when the signal aborts first. */
function abortable<T>(answer: Promise<T>, method: string, signal: AbortSignal | undefined, onGiveUp: () => void): Promise<T> {
  if (!signal) return answer;
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      onGiveUp();
      reject(new HangarError('CANCELLED', `'${method}' was cancelled`));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    answer
      .then(
        (v) => !settled && resolve(v),
        (e: unknown) => !settled && reject(e),
      )
      .finally(() => {
        settled = true;
        signal.removeEventListener('abort', onAbort);
      });
  });
}

export class ApiConnection implements Disposable {
  private client: Client<HangarApi> | null = null;
  private clientStore: Disposable[] = [];
  private status: ConnectionStatus = { kind: 'connecting', attempt: 0 };
  private gen = 0;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly life = new AbortController();
  private readonly statusListeners = new Set<() => void>();
  private readonly eventListeners = new Map<string, Set<AnyListener>>();
  private readonly openWaiters = new Set<() => void>();
  private started = false;
  private readonly early = new Map<string, Promise<unknown>>();

  constructor(
    readonly endpoint: Endpoint,
    private readonly opts: { random?: () => number; delay?: (attempt: number) => number } = {},
  ) {}

  /** Connects; call once. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    if (this.endpoint.problem) this.setStatus({ kind: 'failed', error: this.endpoint.problem });
    else void this.connect();
    return this;
  }

  /** Increases each time a new connection opens: queries reload and console subscriptions renew. */
  get generation(): number {
    return this.gen;
  }

  getStatus = (): ConnectionStatus => this.status;

  /** For useSyncExternalStore: called on every status change. */
  subscribe = (listener: () => void): (() => void) => {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  };

  /**
   * Starts a call before anything asks for it (the page's first VM list, while the interface is still
   * being built): the first `call` of the same method and input takes its answer instead of asking again.
   */
  prefetch<M extends ApiMethod>(method: M, input: ApiInput<M>): Promise<void> {
    const answer = this.call(method, input);
    answer.catch(() => undefined);
    this.early.set(earlyKey(method, input), answer);
    return this.whenSent();
  }

  /** Resolves once the calls made so far have been sent (or the connection is not going to open soon). */
  private whenSent(): Promise<void> {
    return new Promise((resolve) => {
      // Open waiters run in the order they were added: the calls' own first, so they have sent.
      const w = () => {
        if (this.client === null && this.status.kind === 'connecting') return;
        this.openWaiters.delete(w);
        this.statusListeners.delete(failed);
        resolve();
      };
      const failed = () => this.status.kind !== 'connecting' && this.status.kind !== 'open' && w();
      this.openWaiters.add(w);
      this.statusListeners.add(failed);
      w();
    });
  }

  /** A typed call. While disconnected it waits for the connection; the signal cancels it either way. */
  async call<M extends ApiMethod>(method: M, input: ApiInput<M>, opts: CallOptions = {}): Promise<ApiOutput<M>> {
    if (this.early.size && !opts.onProgress) {
      const key = earlyKey(method, input);
      const early = this.early.get(key);
      if (early) {
        this.early.delete(key);
        // A caller that gives up before the answer leaves it to the next one (a query asks again when the connection opens).
        return abortable(early as Promise<ApiOutput<M>>, method, opts.signal, () => this.early.set(key, early));
      }
    }
    const client = this.client ?? (await this.waitForOpen(method, opts.signal));
    return client.call(method, input as never, opts) as Promise<ApiOutput<M>>;
  }

  /** Listens to one server event, across reconnects. Malformed payloads are dropped. */
  on<E extends EventName>(name: E, handler: (payload: EventPayload<E>) => void): Disposable {
    let set = this.eventListeners.get(name);
    if (!set) this.eventListeners.set(name, (set = new Set()));
    const l = handler as AnyListener;
    set.add(l);
    return toDisposable(() => set.delete(l));
  }

  /** Skips the wait before the next reconnect attempt. */
  retryNow(): void {
    if (this.status.kind !== 'waiting') return;
    clearTimeout(this.timer);
    void this.connect();
  }

  dispose(): void {
    if (this.life.signal.aborted) return;
    this.life.abort();
    clearTimeout(this.timer);
    this.dropClient();
    this.setStatus({ kind: 'closed' });
    for (const w of [...this.openWaiters]) w();
  }

  private setStatus(s: ConnectionStatus): void {
    this.status = s;
    for (const l of [...this.statusListeners]) l();
  }

  private waitForOpen(method: string, signal?: AbortSignal): Promise<Client<HangarApi>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.client) {
          done();
          resolve(this.client);
        } else if (this.status.kind === 'closed' || this.status.kind === 'failed') {
          done();
          reject(new HangarError('IO_ERROR', this.status.kind === 'failed' ? this.status.error : `not connected to Hangar ('${method}')`));
        }
      };
      const onAbort = () => {
        done();
        reject(new HangarError('CANCELLED', `'${method}' was cancelled before it started`));
      };
      const done = () => {
        this.openWaiters.delete(check);
        signal?.removeEventListener('abort', onAbort);
      };
      if (signal?.aborted) return onAbort();
      this.openWaiters.add(check);
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  private async connect(): Promise<void> {
    if (this.life.signal.aborted) return;
    this.setStatus({ kind: 'connecting', attempt: this.attempt });
    let transport: Transport;
    try {
      transport = await this.endpoint.open(this.life.signal);
    } catch (e) {
      if (this.life.signal.aborted) return;
      const cause = this.endpoint.diagnose ? await this.endpoint.diagnose(this.life.signal).catch((): DisconnectCause => 'unknown') : undefined;
      if (this.life.signal.aborted) return;
      this.scheduleReconnect(toHangarError(e).message, cause);
      return;
    }
    if (this.life.signal.aborted) {
      transport.close();
      return;
    }
    const client = createClient(transport, hangarApi);
    this.client = client;
    this.clientStore = [
      client.onEvent((name, payload) => this.dispatch(name, payload)),
      client.onClose(() => {
        if (this.client !== client) return;
        this.dropClient();
        if (this.life.signal.aborted) return;
        if (this.endpoint.reconnect) this.scheduleReconnect('the connection to Hangar was lost');
        else this.setStatus({ kind: 'failed', error: 'the connection to Hangar was closed' });
      }),
      client,
    ];
    this.attempt = 0;
    this.gen++;
    this.setStatus({ kind: 'open' });
    for (const w of [...this.openWaiters]) w();
  }

  private dropClient(): void {
    const store = this.clientStore;
    this.clientStore = [];
    this.client = null;
    for (const d of store.reverse()) d.dispose();
  }

  private scheduleReconnect(error: string, cause?: DisconnectCause): void {
    const delay = this.opts.delay ? this.opts.delay(this.attempt) : reconnectDelay(this.attempt, this.opts.random);
    this.attempt++;
    this.setStatus({ kind: 'waiting', attempt: this.attempt, retryAt: Date.now() + delay, error, ...(cause ? { cause } : {}) });
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  private dispatch(name: string, payload: unknown): void {
    const listeners = this.eventListeners.get(name);
    if (!listeners?.size) return;
    const schema = (hangarEvents as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>)[name];
    if (!schema) return;
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      console.warn(`hangar: dropped a malformed '${name}' event`);
      return;
    }
    for (const l of [...listeners]) {
      try {
        l(parsed.data);
      } catch (e) {
        console.error(`hangar: a '${name}' listener failed`, e);
      }
    }
  }
}

// A QMP client over a unix socket. Two layers: JSON-lines framing (base/jsonLines.ts) below, QMP
// semantics here: greeting, capability negotiation, commands matched to replies by id, events.
// One explicit runstate governs what may be called:
//
//   idle ──connect()──▶ connecting ──handshake done──▶ running ──close/disconnect()──▶ disconnecting ──▶ idle
//                            └──────────── failure or disconnect() ─────────────────────────────────────▶ idle
//
// Nothing is left waiting when the connection ends: pending commands and event waiters reject
// with QmpDisconnectedError. Event listeners (onEvent) outlive connections.
import type net from 'node:net';
import { toDisposable, type Disposable } from '../base/disposable.js';
import { HangarError } from '../base/errors.js';
import { Emitter, waitForEvent as waitForEmitter } from '../base/events.js';
import { encodeJsonLine, JsonLineDecoder } from '../base/jsonLines.js';
import { connectUnixSocket } from '../base/socketTransport.node.js';
import { QmpCommandError, QmpDisconnectedError, QmpStateError } from './errors.js';
import type {
  QmpArgs,
  QmpCommandName,
  QmpEventMessage,
  QmpEventName,
  QmpEvents,
  QmpGreeting,
  QmpReturn,
  QmpVersionInfo,
} from './types.js';

export type QmpRunstate = 'idle' | 'connecting' | 'running' | 'disconnecting';

export interface QmpConnectOptions {
  /** Limit for connecting the socket and, separately, for the greeting and capability negotiation (default 10 s). */
  timeoutMs?: number;
  /** Keep retrying for this long while the socket file does not exist yet or refuses (default 0: no retry). */
  retryUntilMs?: number;
  signal?: AbortSignal;
}

export interface QmpExecuteOptions {
  /** Stop waiting after this long (TIMEOUT). QEMU may still carry the command out. */
  timeoutMs?: number;
  /** Stop waiting when aborted (CANCELLED). QMP cannot cancel a command; QEMU may still carry it out. */
  signal?: AbortSignal;
}

export interface QmpDisconnectInfo {
  /** e.g. "QEMU closed the connection", "disconnected by the client", "protocol error: …" */
  reason: string;
  /** true when disconnect() was called */
  requested: boolean;
}

/** Commands without required arguments may leave them out. */
export type QmpExecuteRest<K extends QmpCommandName> = undefined extends QmpArgs<K>
  ? [args?: QmpArgs<K>, opts?: QmpExecuteOptions]
  : [args: QmpArgs<K>, opts?: QmpExecuteOptions];

type AnyEventListener = (data: unknown, event: QmpEventMessage) => void;

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** One socket's worth of state; a client reconnecting gets a new one. */
interface Connection {
  socket: net.Socket;
  decoder: JsonLineDecoder;
  greeted: boolean;
  onGreeting: (g: QmpGreeting) => void;
  onEarlyClose: (reason: string) => void;
  /** Set by the first thing that ends the connection: a socket error, a protocol error. */
  failure?: string;
  requested: boolean;
  ending: boolean;
  reachedRunning: boolean;
  closed: Promise<void>;
  markClosed: () => void;
}

/** After disconnect() QEMU gets this long to close its side before the socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function isGreeting(m: Record<string, unknown>): m is Record<string, unknown> & QmpGreeting {
  const qmp = m.QMP as { version?: { qemu?: { major?: unknown } }; capabilities?: unknown } | undefined;
  return typeof qmp === 'object' && qmp !== null && typeof qmp.version?.qemu?.major === 'number' && Array.isArray(qmp.capabilities);
}

export class QmpClient {
  private readonly log: (line: string) => void;
  private readonly maxLineBytes: number | undefined;
  private state: QmpRunstate = 'idle';
  private readonly runstateEmitter = new Emitter<QmpRunstate>();
  private readonly disconnectEmitter = new Emitter<QmpDisconnectInfo>();
  /** Fires for every closed connection (also one that never got past the handshake). */
  private readonly closedEmitter = new Emitter<string>();
  private conn: Connection | undefined;
  private connectAbort: AbortController | undefined;
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly eventListeners = new Map<string, Set<AnyEventListener>>();
  private lastGreeting: QmpGreeting | undefined;

  constructor(opts: { log?: (line: string) => void; maxLineBytes?: number } = {}) {
    this.log = opts.log ?? (() => undefined);
    this.maxLineBytes = opts.maxLineBytes;
  }

  get runstate(): QmpRunstate {
    return this.state;
  }

  /** QEMU's version from the greeting of the current (or last) connection. */
  get version(): QmpVersionInfo | undefined {
    return this.lastGreeting?.QMP.version;
  }

  /** The capabilities QEMU offered in its greeting (e.g. ['oob']). */
  get capabilities(): readonly string[] | undefined {
    return this.lastGreeting?.QMP.capabilities;
  }

  /** Fires on every runstate change. */
  onRunstateChange(listener: (state: QmpRunstate) => void): Disposable {
    return this.runstateEmitter.event(listener);
  }

  /** Fires when a connection that was running ends, whoever ended it. */
  onDisconnect(listener: (info: QmpDisconnectInfo) => void): Disposable {
    return this.disconnectEmitter.event(listener);
  }

  /**
   * Connects to QEMU's QMP socket, reads the greeting and negotiates capabilities. Resolves in
   * 'running'; on failure the client is back in 'idle' and may connect again.
   */
  async connect(socketPath: string, opts: QmpConnectOptions = {}): Promise<void> {
    if (this.state !== 'idle') {
      throw new QmpStateError(
        this.state,
        this.state === 'running'
          ? 'QMP is already connected: call disconnect() before connecting again'
          : `QMP is ${this.state}: wait for it to finish before connecting again`,
      );
    }
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const abort = new AbortController();
    this.connectAbort = abort;
    this.setRunstate('connecting');
    const forwardAbort = () => abort.abort();
    opts.signal?.addEventListener('abort', forwardAbort, { once: true });
    if (opts.signal?.aborted) abort.abort();
    let socket: net.Socket;
    try {
      socket = await connectUnixSocket(socketPath, { timeoutMs, retryUntilMs: opts.retryUntilMs ?? 0, signal: abort.signal });
    } catch (e) {
      this.setRunstate('idle');
      if (abort.signal.aborted && !opts.signal?.aborted) throw new QmpDisconnectedError('disconnect() was called while connecting', `a connection to ${socketPath}`);
      throw e;
    } finally {
      this.connectAbort = undefined;
      opts.signal?.removeEventListener('abort', forwardAbort);
    }

    const conn = this.attach(socket);
    const abortHandshake = () => {
      conn.failure ??= 'connecting was cancelled';
      socket.destroy();
    };
    opts.signal?.addEventListener('abort', abortHandshake, { once: true });
    let timer: NodeJS.Timeout | undefined;
    try {
      const handshake = (async () => {
        const greeting = await new Promise<QmpGreeting>((resolve, reject) => {
          conn.onGreeting = resolve;
          conn.onEarlyClose = (reason) => reject(new QmpDisconnectedError(reason, 'the QMP greeting'));
        });
        this.lastGreeting = { QMP: { version: greeting.QMP.version, capabilities: greeting.QMP.capabilities } };
        await this.send(conn, 'qmp_capabilities', undefined, {});
      })();
      handshake.catch(() => undefined); // a timeout may win the race; the handshake then fails unobserved
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new HangarError('TIMEOUT', `QEMU did not complete the QMP handshake on ${socketPath} within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      await Promise.race([handshake, timeout]);
    } catch (e) {
      conn.failure ??= `handshake failed: ${(e as Error).message}`;
      socket.destroy();
      await conn.closed;
      if (opts.signal?.aborted) throw new HangarError('CANCELLED', `connecting to ${socketPath} was cancelled`, { cause: e });
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', abortHandshake);
    }
    conn.reachedRunning = true;
    this.setRunstate('running');
    const v = this.version!.qemu;
    this.log(`connected to QEMU ${v.major}.${v.minor}.${v.micro} on ${socketPath}`);
  }

  /** Runs a command and resolves with its `return` value; an `error` reply rejects with QmpCommandError. */
  execute<K extends QmpCommandName>(command: K, ...rest: QmpExecuteRest<K>): Promise<QmpReturn<K>> {
    const [args, opts] = rest;
    if (this.state !== 'running' || !this.conn) return Promise.reject(this.stateError(`run '${command}'`));
    return this.send(this.conn, command, args, opts ?? {}) as Promise<QmpReturn<K>>;
  }

  /**
   * Runs a command and waits for the event it causes. The listener is registered before the
   * command is sent, so an event that QEMU emits before its reply is not missed.
   */
  async executeAndWait<K extends QmpCommandName, E extends QmpEventName>(
    command: K,
    args: QmpArgs<K>,
    eventName: E,
    predicate?: (data: QmpEvents[E]) => boolean,
    opts: QmpExecuteOptions = {},
  ): Promise<{ result: QmpReturn<K>; event: QmpEvents[E] }> {
    if (this.state !== 'running' || !this.conn) throw this.stateError(`run '${command}'`);
    const stopWaiting = new AbortController();
    const forwardAbort = () => stopWaiting.abort();
    opts.signal?.addEventListener('abort', forwardAbort, { once: true });
    try {
      const event = this.waitForEvent(eventName, predicate, {
        ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
        signal: stopWaiting.signal,
      });
      event.catch(() => undefined); // observed below, unless the command fails first
      let result: QmpReturn<K>;
      try {
        result = (await this.send(this.conn, command, args, opts)) as QmpReturn<K>;
      } catch (e) {
        stopWaiting.abort();
        throw e;
      }
      return { result, event: await event };
    } finally {
      opts.signal?.removeEventListener('abort', forwardAbort);
    }
  }

  /** Listens to one event, or to all with '*'. Listeners stay registered across reconnections. */
  onEvent<E extends QmpEventName>(name: E, listener: (data: QmpEvents[E], event: QmpEventMessage<E>) => void): Disposable;
  onEvent(name: '*', listener: (data: unknown, event: QmpEventMessage) => void): Disposable;
  onEvent(name: string, listener: AnyEventListener): Disposable {
    let set = this.eventListeners.get(name);
    if (!set) {
      set = new Set();
      this.eventListeners.set(name, set);
    }
    set.add(listener);
    return toDisposable(() => {
      set.delete(listener);
      if (set.size === 0 && this.eventListeners.get(name) === set) this.eventListeners.delete(name);
    });
  }

  /**
   * Resolves with the data of the next `name` event that satisfies the predicate. Rejects with
   * TIMEOUT, CANCELLED, or QmpDisconnectedError if the connection ends first.
   */
  waitForEvent<E extends QmpEventName>(
    name: E,
    predicate?: (data: QmpEvents[E]) => boolean,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<QmpEvents[E]> {
    if (this.state !== 'running') return Promise.reject(this.stateError(`wait for the ${name} event`));
    if (opts.signal?.aborted) return Promise.reject(new HangarError('CANCELLED', `stopped waiting for the ${name} event`));
    return new Promise<QmpEvents[E]>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        sub.dispose();
        closedSub.dispose();
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      const sub = this.onEvent(name, (data) => {
        let matches: boolean;
        try {
          matches = predicate ? predicate(data) : true;
        } catch (e) {
          finish();
          reject(e);
          return;
        }
        if (!matches) return;
        finish();
        resolve(data);
      });
      const closedSub = this.closedEmitter.event((reason) => {
        finish();
        reject(new QmpDisconnectedError(reason, `the ${name} event`));
      });
      const onAbort = () => {
        finish();
        reject(new HangarError('CANCELLED', `stopped waiting for the ${name} event`));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          finish();
          reject(new HangarError('TIMEOUT', `no ${name} event from QEMU within ${opts.timeoutMs} ms`));
        }, opts.timeoutMs);
      }
    });
  }

  /**
   * Closes the connection: lets QEMU answer what it already received, then ends the socket.
   * Pending commands that get no answer reject with QmpDisconnectedError. Never rejects.
   */
  async disconnect(): Promise<void> {
    const conn = this.conn;
    if (this.state === 'idle') return;
    if (!conn) {
      // Still looking for the socket: stop looking.
      this.connectAbort?.abort();
      // (the abort lands asynchronously; the cast stops TS narrowing the state to "not idle")
      if ((this.state as QmpRunstate) !== 'idle') await waitForEmitter(this.runstateEmitter.event, (s) => s === 'idle');
      return;
    }
    conn.requested = true;
    if (this.state === 'connecting') {
      conn.failure ??= 'disconnect() was called while connecting';
      conn.socket.destroy();
    } else if (!conn.ending) {
      conn.ending = true;
      if (this.state === 'running') this.setRunstate('disconnecting');
      conn.socket.end();
      const grace = setTimeout(() => conn.socket.destroy(), CLOSE_GRACE_MS);
      grace.unref();
      void conn.closed.then(() => clearTimeout(grace));
    }
    await conn.closed;
  }

  private setRunstate(s: QmpRunstate): void {
    if (this.state === s) return;
    this.state = s;
    this.runstateEmitter.fire(s);
  }

  private stateError(action: string): QmpStateError {
    switch (this.state) {
      case 'idle':
        return new QmpStateError(this.state, `QMP is not connected: call connect() before you ${action}`);
      case 'connecting':
        return new QmpStateError(this.state, `QMP is still connecting: wait for connect() to finish before you ${action}`);
      case 'disconnecting':
        return new QmpStateError(this.state, `the QMP connection is closing: connect again before you ${action}`);
      case 'running':
        return new QmpStateError(this.state, `QMP is not ready to ${action}`);
    }
  }

  private send(conn: Connection, command: string, args: unknown, opts: QmpExecuteOptions): Promise<unknown> {
    if (opts.signal?.aborted) return Promise.reject(new HangarError('CANCELLED', `'${command}' was cancelled before it was sent`));
    const id = `hangar#${String(this.nextId++).padStart(5, '0')}`;
    let line: string;
    try {
      line = encodeJsonLine(args === undefined ? { execute: command, id } : { execute: command, arguments: args, id });
    } catch (e) {
      return Promise.reject(new HangarError('INVALID_INPUT', `cannot encode the arguments of '${command}': ${(e as Error).message}`, { cause: e }));
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = () => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      // A late reply to a call given up on finds no pending entry and is logged and dropped.
      const giveUp = (e: HangarError) => {
        if (!this.pending.delete(id)) return;
        settle();
        reject(e);
      };
      const onAbort = () => giveUp(new HangarError('CANCELLED', `stopped waiting for '${command}' (QEMU may still carry it out)`));
      this.pending.set(id, {
        command,
        resolve: (v) => {
          settle();
          resolve(v);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
      });
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => giveUp(new HangarError('TIMEOUT', `QEMU did not answer '${command}' within ${opts.timeoutMs} ms`)), opts.timeoutMs);
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      conn.socket.write(line);
    });
  }

  private attach(socket: net.Socket): Connection {
    let markClosed!: () => void;
    const conn: Connection = {
      socket,
      decoder: new JsonLineDecoder(this.maxLineBytes === undefined ? {} : { maxLineBytes: this.maxLineBytes }),
      greeted: false,
      onGreeting: () => undefined,
      onEarlyClose: () => undefined,
      requested: false,
      ending: false,
      reachedRunning: false,
      closed: new Promise<void>((resolve) => (markClosed = resolve)),
      markClosed: () => markClosed(),
    };
    this.conn = conn;
    socket.on('data', (chunk: Buffer) => {
      if (conn.failure !== undefined || socket.destroyed) return;
      let messages: unknown[];
      try {
        messages = conn.decoder.push(chunk);
      } catch (e) {
        this.protocolError(conn, (e as Error).message);
        return;
      }
      for (const m of messages) {
        if (conn.failure !== undefined) return;
        this.dispatch(conn, m);
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      // A reset is QEMU closing too: its monitor reads byte by byte and stops reading after a
      // command like 'quit', so the line's trailing newline is left unread and the close becomes a reset.
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') {
        if (conn.failure === undefined && !conn.requested) this.log(`QMP connection reset (${e.code})`);
        return;
      }
      conn.failure ??= `connection error: ${e.message}`;
    });
    socket.on('close', () => this.closed(conn));
    return conn;
  }

  private protocolError(conn: Connection, why: string): void {
    conn.failure ??= `protocol error: ${why}`;
    this.log(`closing the QMP connection: ${why}`);
    conn.socket.destroy();
  }

  private dispatch(conn: Connection, m: unknown): void {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      this.log(`dropped a QMP message that is not an object: ${describe(m)}`);
      return;
    }
    const msg = m as Record<string, unknown>;
    if (!conn.greeted) {
      if (!isGreeting(msg)) {
        this.protocolError(conn, `expected the QMP greeting, got ${describe(msg)}`);
        return;
      }
      conn.greeted = true;
      conn.onGreeting(msg);
      return;
    }
    if (typeof msg.event === 'string') {
      this.dispatchEvent(msg.event, msg);
      return;
    }
    if ('return' in msg || 'error' in msg) {
      const id = msg.id;
      const p = typeof id === 'string' ? this.pending.get(id) : undefined;
      if (!p) {
        this.log(`dropped a reply with ${id === undefined ? 'no id' : `unknown id ${describe(id)}`}: ${describe(msg)}`);
        return;
      }
      this.pending.delete(id as string);
      if ('error' in msg) {
        const err = msg.error as { class?: unknown; desc?: unknown } | null;
        const errorClass = typeof err?.class === 'string' ? err.class : 'GenericError';
        const desc = typeof err?.desc === 'string' ? err.desc : describe(err);
        p.reject(new QmpCommandError(p.command, errorClass, desc));
      } else {
        p.resolve(msg.return);
      }
      return;
    }
    this.log(`dropped an unexpected QMP message: ${describe(msg)}`);
  }

  private dispatchEvent(name: string, msg: Record<string, unknown>): void {
    const data = msg.data ?? {};
    const ts = msg.timestamp as { seconds?: unknown; microseconds?: unknown } | undefined;
    const event: QmpEventMessage = {
      event: name,
      data,
      timestamp: {
        seconds: typeof ts?.seconds === 'number' ? ts.seconds : -1,
        microseconds: typeof ts?.microseconds === 'number' ? ts.microseconds : -1,
      },
    };
    const listeners = [...(this.eventListeners.get(name) ?? []), ...(this.eventListeners.get('*') ?? [])];
    for (const l of listeners) {
      try {
        l(data, event);
      } catch (e) {
        this.log(`a listener for the ${name} event failed: ${(e as Error)?.stack ?? String(e)}`);
      }
    }
  }

  private closed(conn: Connection): void {
    if (this.conn !== conn) return;
    const reason = conn.failure ?? (conn.requested ? 'disconnected by the client' : 'QEMU closed the connection');
    this.setRunstate('disconnecting');
    for (const p of this.pending.values()) p.reject(new QmpDisconnectedError(reason, `'${p.command}'`));
    this.pending.clear();
    if (!conn.greeted) conn.onEarlyClose(reason);
    this.conn = undefined;
    this.setRunstate('idle');
    conn.markClosed();
    if (conn.reachedRunning) this.log(`QMP connection closed: ${reason}`);
    this.closedEmitter.fire(reason);
    if (conn.reachedRunning) this.disconnectEmitter.fire({ reason, requested: conn.requested });
  }
}

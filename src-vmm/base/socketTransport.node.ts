// The RPC kernel's Transport over a unix socket, one JSON line per Wire message; plus listen and
// connect helpers that know the unix-socket pitfalls (path length, stale socket files, file mode).
import net from 'node:net';
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { toDisposable, type Disposable } from './disposable.js';
import { HangarError, cancelledError, throwIfAborted, toHangarError } from './errors.js';
import { orAfter } from './events.js';
import { encodeJsonLine, JsonLineDecoder } from './jsonLines.js';
import { isWire, type Transport, type Wire } from './rpc.js';

/** Linux's sun_path holds 108 bytes including the terminating NUL. */
export const MAX_UNIX_PATH_BYTES = 107;
/** After close() the peer gets this long to finish before the socket is destroyed. */
const CLOSE_GRACE_MS = 2_000;
/** How long the stale-socket probe waits for an answer. */
const PROBE_TIMEOUT_MS = 1_000;

type Log = (line: string) => void;
const noLog: Log = () => undefined;

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * A short text for a log line, whatever the value: JSON.stringify and String() both recurse, so a
 * value too deep for them (or one whose toString throws) is described by its type alone.
 */
export function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    try {
      text = String(value);
    } catch {
      text = Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
    }
  }
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** Throws a clear error for a path the kernel would refuse (or silently truncate). */
export function checkUnixSocketPath(path: string): void {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_UNIX_PATH_BYTES) {
    throw new HangarError(
      'INVALID_INPUT',
      `the socket path ${path} is ${bytes} bytes long, but unix sockets allow at most ${MAX_UNIX_PATH_BYTES}: use a shorter folder`,
      { details: { path, bytes, max: MAX_UNIX_PATH_BYTES } },
    );
  }
  if (bytes === 0) throw new HangarError('INVALID_INPUT', 'the socket path is empty');
}

/**
 * Wraps a connected socket as a Transport. Each line must be a Wire message: other JSON is logged
 * and dropped; a framing error (bad JSON or UTF-8, a line over the length or nesting limit) is
 * answered with one `err` message for id 0 (no call has that id) saying what was wrong, and closes
 * the connection.
 */
export function socketTransport(socket: net.Socket, opts: { log?: Log; maxLineBytes?: number; maxDepth?: number } = {}): Transport {
  const log = opts.log ?? noLog;
  const decoder = new JsonLineDecoder({
    ...(opts.maxLineBytes === undefined ? {} : { maxLineBytes: opts.maxLineBytes }),
    ...(opts.maxDepth === undefined ? {} : { maxDepth: opts.maxDepth }),
  });
  const messageListeners = new Set<(m: Wire) => void>();
  const closeListeners = new Set<() => void>();
  /** No more sending or delivering: close() was called, framing failed, or the socket closed. */
  let closing = socket.destroyed;
  /** The socket has closed and the close listeners have run. */
  let closed = socket.destroyed;
  let graceTimer: NodeJS.Timeout | undefined;

  socket.on('data', (chunk: Buffer) => {
    if (closing) return;
    let values: unknown[];
    try {
      values = decoder.push(chunk);
    } catch (e) {
      const he = toHangarError(e);
      log(`closing the connection: ${he.message}`);
      closing = true;
      // The peer learns why: the line goes out, then the socket closes without waiting for the peer.
      const why: Wire = { t: 'err', id: 0, error: { code: he.code, message: he.message } };
      socket.end(encodeJsonLine(why), () => socket.destroy());
      graceTimer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      graceTimer.unref();
      return;
    }
    for (const v of values) {
      if (closing) return;
      if (!isWire(v)) {
        log(`dropped a message that is not an RPC message: ${describe(v)}`);
        continue;
      }
      for (const l of [...messageListeners]) {
        try {
          l(v);
        } catch (e) {
          log(`a message listener failed: ${(e as Error)?.stack ?? String(e)}`);
        }
      }
    }
  });
  // 'close' always follows 'error'; without a listener an error would crash the process.
  socket.on('error', (e) => log(`connection error: ${e.message}`));
  socket.on('close', () => {
    closing = true;
    closed = true;
    if (graceTimer) clearTimeout(graceTimer);
    messageListeners.clear();
    for (const l of [...closeListeners]) {
      try {
        l();
      } catch (e) {
        log(`a close listener failed: ${(e as Error)?.stack ?? String(e)}`);
      }
    }
    closeListeners.clear();
  });

  return {
    send(m) {
      if (closing) throw new HangarError('IO_ERROR', 'the connection is closed');
      socket.write(encodeJsonLine(m));
    },
    onMessage(cb) {
      messageListeners.add(cb);
      return toDisposable(() => messageListeners.delete(cb));
    },
    onClose(cb) {
      if (closed) {
        // Already gone: tell the late listener too, as the in-memory pair would.
        let cancelled = false;
        queueMicrotask(() => {
          if (!cancelled) cb();
        });
        return toDisposable(() => {
          cancelled = true;
        });
      }
      closeListeners.add(cb);
      return toDisposable(() => closeListeners.delete(cb));
    },
    close() {
      if (closing) return;
      closing = true;
      // end() flushes what was written; a peer that never closes its side is cut off after a grace period.
      socket.end();
      graceTimer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      graceTimer.unref();
    },
  };
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** One connection attempt; rejects with the raw errno error so the caller can decide to retry. */
function attemptConnect(path: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path });
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (e: unknown) => {
      cleanup();
      socket.destroy();
      reject(e);
    };
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (e: Error) => fail(e);
    const onAbort = () => fail(cancelledError());
    const timer = setTimeout(
      () => fail(new HangarError('TIMEOUT', `${path} did not accept the connection within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function connectError(path: string, e: unknown, retriedMs: number): HangarError {
  if (e instanceof HangarError) return e;
  const after = retriedMs > 0 ? ` after retrying for ${retriedMs} ms` : '';
  switch (errnoOf(e)) {
    case 'ENOENT':
      return new HangarError('NOT_FOUND', `nothing listens on ${path}: the socket file does not exist${after}`, { cause: e });
    case 'ECONNREFUSED':
      return new HangarError('IO_ERROR', `nothing listens on ${path} (connection refused${after})`, { cause: e });
    case 'EACCES':
    case 'EPERM':
      return new HangarError('IO_ERROR', `not allowed to connect to ${path} (permission denied)`, { cause: e });
    default:
      return new HangarError('IO_ERROR', `cannot connect to ${path}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

export interface ConnectOptions {
  /** How long one connection attempt may take (default 5000 ms). */
  timeoutMs?: number;
  /** Keep retrying for this long (ms, from the call) while the socket file is missing or refuses (default 0: no retry). */
  retryUntilMs?: number;
  signal?: AbortSignal;
}

/** Connects a raw socket to a unix path, retrying while the server is not there yet. */
export async function connectUnixSocket(path: string, opts: ConnectOptions = {}): Promise<net.Socket> {
  checkUnixSocketPath(path);
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const retryUntilMs = opts.retryUntilMs ?? 0;
  const start = Date.now();
  let pause = 10;
  for (;;) {
    throwIfAborted(opts.signal);
    try {
      return await attemptConnect(path, timeoutMs, opts.signal);
    } catch (e) {
      const errno = errnoOf(e);
      const left = start + retryUntilMs - Date.now();
      if ((errno === 'ENOENT' || errno === 'ECONNREFUSED') && left > 0) {
        await delay(Math.min(pause, left), opts.signal);
        pause = Math.min(pause * 2, 200);
        continue;
      }
      throw connectError(path, e, retryUntilMs > 0 ? Date.now() - start : 0);
    }
  }
}

/** Connects to an RPC server listening with listenUnix. */
export async function connectUnix(path: string, opts: ConnectOptions & { log?: Log } = {}): Promise<Transport> {
  const socket = await connectUnixSocket(path, opts);
  return socketTransport(socket, opts.log ? { log: opts.log } : {});
}

/**
 * Removes a socket file left behind by a process that died, after checking nobody answers on it.
 * Refuses to touch anything that is not a socket, or a socket someone is listening on.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return;
    throw new HangarError('IO_ERROR', `cannot inspect ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!isSocket) throw new HangarError('ALREADY_EXISTS', `${path} exists and is not a socket; refusing to replace it`);
  let probe: net.Socket;
  try {
    probe = await attemptConnect(path, PROBE_TIMEOUT_MS, undefined);
  } catch (e) {
    const errno = errnoOf(e);
    if (errno === 'ENOENT') return; // removed meanwhile
    if (errno === 'ECONNREFUSED') {
      try {
        unlinkSync(path);
      } catch (u) {
        if (errnoOf(u) !== 'ENOENT') throw new HangarError('IO_ERROR', `cannot remove the stale socket ${path}: ${(u as Error).message}`, { cause: u });
      }
      return;
    }
    if (e instanceof HangarError && e.code === 'TIMEOUT') {
      throw new HangarError('OWNER_CONFLICT', `${path} belongs to a process that accepts connections but does not answer`, { cause: e });
    }
    throw connectError(path, e, 0);
  }
  probe.destroy();
  throw new HangarError('OWNER_CONFLICT', `another process is already listening on ${path}`);
}

function listenError(path: string, e: unknown): HangarError {
  switch (errnoOf(e)) {
    case 'EADDRINUSE':
      return new HangarError('OWNER_CONFLICT', `another process is already listening on ${path}`, { cause: e });
    case 'ENOENT':
      return new HangarError('NOT_FOUND', `cannot listen on ${path}: its folder does not exist`, { cause: e });
    case 'EACCES':
    case 'EPERM':
      // libuv reports a missing folder as EACCES when binding a pipe.
      if (!existsSync(dirname(path))) return new HangarError('NOT_FOUND', `cannot listen on ${path}: its folder does not exist`, { cause: e });
      return new HangarError('IO_ERROR', `cannot listen on ${path}: permission denied`, { cause: e });
    default:
      return new HangarError('IO_ERROR', `cannot listen on ${path}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
  }
}

export interface UnixServer extends Disposable {
  path: string;
  /**
   * Stops listening (the path is free for a successor at once), then ends each connection after what
   * was already written to it (the peer sees the close as soon as it has read that); resolves when
   * every connection has closed, or after `timeoutMs`, when the rest are cut.
   */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * Serves JSON-lines transports on a unix socket readable by this user only (mode 0600). A stale
 * socket file is replaced; a live one is an OWNER_CONFLICT. Disposing stops listening, closes the
 * accepted connections and removes the socket file.
 */
export async function listenUnix(
  path: string,
  onTransport: (t: Transport) => void,
  opts: { log?: Log } = {},
): Promise<UnixServer> {
  const log = opts.log ?? noLog;
  checkUnixSocketPath(path);
  await removeStaleSocket(path);

  const server = net.createServer();
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    try {
      onTransport(socketTransport(socket, { log }));
    } catch (e) {
      log(`dropping a connection on ${path}: ${(e as Error)?.stack ?? String(e)}`);
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => {
      server.off('listening', onListening);
      reject(listenError(path, e));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // The socket file is created by bind(), inside listen(): a tight umask means it is never
    // reachable by others, not even between bind() and the chmod below.
    const previous = process.umask(0o177);
    try {
      server.listen(path);
    } finally {
      process.umask(previous);
    }
  });
  server.on('error', (e) => log(`server on ${path}: ${e.message}`));

  try {
    chmodSync(path, 0o600);
  } catch (e) {
    server.close();
    throw new HangarError('IO_ERROR', `cannot restrict the mode of ${path}: ${(e as Error).message}`, { cause: e });
  }
  const ino = lstatSync(path).ino;

  const stopListening = () => {
    server.close();
    // libuv unlinks the path when the server closes; make sure, without touching a successor's socket.
    try {
      if (lstatSync(path).ino === ino) unlinkSync(path);
    } catch {
      /* already gone */
    }
  };
  const disposable = toDisposable(() => {
    stopListening();
    for (const s of sockets) s.destroy();
    sockets.clear();
  });
  const drain = async (timeoutMs: number) => {
    stopListening();
    const open = [...sockets].filter((s) => !s.destroyed);
    await orAfter(Promise.all(open.map((s) => new Promise<void>((r) => (s.once('close', () => r()), s.end())))), timeoutMs, []);
    disposable.dispose();
  };
  return { path, dispose: () => disposable.dispose(), drain };
}

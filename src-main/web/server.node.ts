// Web mode: serves the built renderer and the owner's API over a WebSocket on 127.0.0.1, behind a
// random per-run token. Also relays each running VM's VNC unix socket to noVNC over a WebSocket.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { readFileSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { contentTypeFor } from './mime.js';
import { rendererCsp } from './csp.js';
import { SESSION_PATH, SESSION_TOKEN_HEADER } from './webLink.js';
import { decodePathname, parseRequestTarget } from './requestTarget.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { toDisposable, DisposableStore, type Disposable } from '../../src-vmm/base/disposable.js';
import { isWire, type Transport, type Wire } from '../../src-vmm/base/rpc.js';
import { DEFAULT_MAX_DEPTH, exceedsJsonDepth } from '../../src-vmm/base/jsonLines.js';
import { HangarError } from '../../src-vmm/base/errors.js';

export const defaultRendererDir = fileURLToPath(new URL('../../renderer/', import.meta.url));
/** The app icon (resources/, beside the build), served as /favicon.ico for what asks for it there. */
export const defaultIconFile = fileURLToPath(new URL('../../../resources/icon.png', import.meta.url));


const MAX_MESSAGE_BYTES = 16 << 20;


export interface WebServerOptions {
  /** serves the API to one more connection */
  connect(transport: Transport): void;
  /** the VNC unix socket of a running VM, an opener of a remote domain's VNC stream (a display ticket), or null */
  vncSocketFor(vmId: string): VncTarget | null;
  host?: string;
  port?: number;
  rendererDir?: string;
  /** the PNG served at /favicon.ico */
  iconFile?: string;
  token?: string;
  /** origins besides the server's own that may open websockets (the desktop app's app://hangar) */
  allowedOrigins?: string[];
  log?: (line: string) => void;
}

/** a unix socket's path, or what opens the stream (a remote domain's display, remotes/display.node.ts) */
export type VncTarget = string | { open(): Duplex };

export interface WebServer extends Disposable {
  readonly url: string;
  readonly token: string;
  readonly port: number;
  readonly host: string;
}

export function contentSecurityPolicy(port: number): string {
  return rendererCsp([`ws://127.0.0.1:${port}`, `ws://localhost:${port}`]);
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const rendererDir = opts.rendererDir ?? defaultRendererDir;
  const log = opts.log ?? (() => undefined);
  const store = new DisposableStore();
  let port = 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`]);
  const tokenOk = (given: string | null) => {
    if (!given) return false;
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  /** Refuses DNS-rebinding (foreign Host) and cross-site pages (foreign Origin). */
  const originOk = (req: IncomingMessage) => {
    const hostHeader = req.headers.host ?? '';
    if (!allowedHosts().has(hostHeader)) return false;
    const origin = req.headers.origin;
    if (origin === undefined) return true; // not a browser: it cannot be a cross-site page; the token still applies
    if (opts.allowedOrigins?.includes(origin)) return true;
    return [...allowedHosts()].some((h) => origin === `http://${h}`);
  };

  // Every handler answers whatever arrives: one request must never end the owner (an <img> on any web
  // page can send this server a malformed URL). What a handler does not expect becomes a 400 or 500.
  const server = createServer((req, res) => {
    try {
      serveStatic(req, res);
    } catch (e) {
      log(`web: a request failed: ${(e as Error)?.message ?? String(e)}`);
      failRequest(res, 500);
    }
  });
  // Bytes that do not parse as HTTP (a bad request line, oversized headers) never reach the handlers:
  // Node answers them 400 or 431 itself ('clientError' has no listener here on purpose).
  const serveStatic = (req: IncomingMessage, res: ServerResponse) => {
    const headers = {
      'Content-Security-Policy': contentSecurityPolicy(port),
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    if (!allowedHosts().has(req.headers.host ?? '')) {
      res.writeHead(421, { 'Content-Type': 'text/plain' });
      res.end('wrong host\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const target = parseRequestTarget(req.url);
    let rel = target ? decodePathname(target.pathname) : null;
    if (rel === null) {
      res.writeHead(400, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('bad request target\n');
      return;
    }
    if (rel === SESSION_PATH) {
      // A page that cannot reconnect asks whether its token is still this server's (a restarted
      // server with another token answers 401): the token travels in a header, never in a log line.
      if (!originOk(req)) {
        res.writeHead(403, headers);
        res.end();
        return;
      }
      const given = req.headers[SESSION_TOKEN_HEADER];
      res.writeHead(tokenOk(typeof given === 'string' ? given : null) ? 204 : 401, headers);
      res.end();
      return;
    }
    if (rel === '/favicon.ico') return serveFile(req, res, headers, opts.iconFile ?? defaultIconFile, 'image/png');
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = normalize(join(rendererDir, rel));
    if (!file.startsWith(normalize(rendererDir.endsWith(sep) ? rendererDir : rendererDir + sep))) {
      res.writeHead(404, headers);
      res.end();
      return;
    }
    if (rel === '/index.html' && !isFile(file)) {
      res.writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('The interface is not built: run npm run build.\n');
      return;
    }
    serveFile(req, res, headers, file, contentTypeFor(file));
  };

  const serveFile = (req: IncomingMessage, res: ServerResponse, headers: Record<string, string>, file: string, type: string) => {
    if (!isFile(file)) {
      res.writeHead(404, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': type });
    res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    // Node takes its own error listener off an upgraded socket: without this one, a peer that resets
    // the connection while it is refused would end the process.
    socket.on('error', (e) => log(`web: upgrade socket error ${e.message}`));
    const target = parseRequestTarget(req.url);
    const refuse = (status: number, why: string) => {
      log(`web: refused ${JSON.stringify((target?.pathname ?? String(req.url)).slice(0, 200))}: ${why}`);
      if (socket.writable) socket.end(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\n\r\n`);
      else socket.destroy();
    };
    try {
      if (!target) return refuse(400, 'Bad Request');
      if (!originOk(req)) return refuse(403, 'Forbidden origin');
      if (!tokenOk(target.searchParams.get('token'))) return refuse(401, 'Unauthorized');
      if (target.pathname === '/api') {
        wss.handleUpgrade(req, socket, head, (ws) => opts.connect(webSocketTransport(ws, log)));
        return;
      }
      const vnc = /^\/vnc\/([0-9a-f-]{36})$/.exec(target.pathname);
      if (vnc) {
        const vncTarget = opts.vncSocketFor(vnc[1]!);
        if (!vncTarget) return refuse(404, 'Not running');
        wss.handleUpgrade(req, socket, head, (ws) => relayVnc(ws, typeof vncTarget === 'string' ? connect(vncTarget) : vncTarget.open(), log));
        return;
      }
      refuse(404, 'Not found');
    } catch (e) {
      log(`web: an upgrade failed: ${(e as Error)?.message ?? String(e)}`);
      socket.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new HangarError('IO_ERROR', `port ${opts.port} on ${host} is in use`) : e),
    );
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  store.add(
    toDisposable(() => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.close();
      server.closeAllConnections();
    }),
  );
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}/?token=${token}`,
    token,
    port,
    host,
    dispose: () => store.dispose(),
  };
}

/** Ends a request that failed inside its handler: a 500 when nothing was sent yet, else the connection. */
function failRequest(res: ServerResponse, status: number): void {
  try {
    if (!res.headersSent) {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end(`${status === 400 ? 'bad request' : 'internal error'}\n`);
    } else res.destroy();
  } catch {
    res.destroy();
  }
}

/** A regular file that can be read (statSync throws for names too long, NUL bytes, and races). */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The API over one WebSocket: a JSON text frame per wire message. */
export function webSocketTransport(ws: WebSocket, log: (l: string) => void): Transport {
  const listeners = new Set<(m: Wire) => void>();
  const closeListeners = new Set<() => void>();
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let m: unknown;
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    // Checked before parsing: a value nested 100,000 deep parses, then overflows whatever recurses on it.
    if (exceedsJsonDepth(bytes, DEFAULT_MAX_DEPTH)) {
      log(`web: dropped a message nested deeper than ${DEFAULT_MAX_DEPTH} levels`);
      return;
    }
    try {
      m = JSON.parse(bytes.toString('utf8'));
    } catch {
      log('web: dropped a message that is not JSON');
      return;
    }
    if (!isWire(m)) {
      log('web: dropped a message that is not a wire message');
      return;
    }
    for (const l of [...listeners]) l(m);
  });
  ws.on('close', () => {
    for (const l of [...closeListeners]) l();
  });
  ws.on('error', (e) => log(`web: socket error ${e.message}`));
  return {
    send(m) {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    },
    onMessage(cb) {
      listeners.add(cb);
      return toDisposable(() => listeners.delete(cb));
    },
    onClose(cb) {
      closeListeners.add(cb);
      return toDisposable(() => closeListeners.delete(cb));
    },
    close() {
      ws.close();
    },
  };
}

function relayVnc(ws: WebSocket, vnc: Duplex, log: (l: string) => void): void {
  // An invalid frame from the browser is an 'error' on the WebSocket: without a listener, a crash.
  ws.on('error', (e) => log(`web: vnc websocket error ${e.message}`));
  vnc.on('data', (d) => {
    if (ws.readyState === ws.OPEN) ws.send(d, { binary: true });
  });
  ws.on('message', (d: Buffer) => vnc.write(d));
  const end = () => {
    vnc.destroy();
    if (ws.readyState === ws.OPEN) ws.close();
  };
  vnc.on('error', (e) => {
    log(`web: vnc ${e.message}`);
    end();
  });
  vnc.on('close', end);
  ws.on('close', end);
}

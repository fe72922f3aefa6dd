// The preload of the one window: exposes `window.hangar` (send, onMessage, pickFile, displayUrl) through
// contextBridge and nothing else; no Node or Electron object reaches the page. CommonJS because a
// sandboxed preload cannot be an ES module; no imports from the project, so it stays one file.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

const RPC_CHANNEL = 'hangar:rpc';
const PICK_FILE_CHANNEL = 'hangar:pickFile';

/** This document's session: main serves one connection per document and tags replies with it. */
const session = crypto.randomUUID();

type Message = { t: string } & Record<string, unknown>;

/** Kinds the page may send (a client's requests and cancels) and receive (replies and events). */
const SENDABLE = new Set(['req', 'cancel']);
const RECEIVABLE = new Set(['progress', 'ok', 'err', 'event']);

function isMessage(m: unknown, kinds: Set<string>): m is Message {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const t = (m as { t?: unknown }).t;
  return typeof t === 'string' && kinds.has(t);
}

function switchValue(name: string): string | null {
  const prefix = `--hangar-display-${name}=`;
  const arg = process.argv.find((a) => a.startsWith(prefix));
  return arg === undefined ? null : arg.slice(prefix.length);
}

const displayPort = Number(switchValue('port'));
const displayToken = switchValue('token') ?? '';

const bridge = {
  send(msg: unknown): void {
    if (!isMessage(msg, SENDABLE)) throw new TypeError('hangar.send: not an API message');
    ipcRenderer.send(RPC_CHANNEL, session, msg);
  },
  onMessage(cb: (msg: Message) => void): () => void {
    if (typeof cb !== 'function') throw new TypeError('hangar.onMessage: a function is needed');
    // the IPC event never reaches the page (its `sender` would hand it ipcRenderer)
    const listener = (_event: IpcRendererEvent, to: unknown, msg: unknown) => {
      if (to === session && isMessage(msg, RECEIVABLE)) cb(msg);
    };
    ipcRenderer.on(RPC_CHANNEL, listener);
    return () => {
      ipcRenderer.removeListener(RPC_CHANNEL, listener);
    };
  },
  pickFile(opts: { title: string; filter: string; defaultPath?: string }): Promise<string | null> {
    const request: Record<string, string> = { title: String(opts?.title ?? ''), filter: String(opts?.filter ?? 'all') };
    if (typeof opts?.defaultPath === 'string' && opts.defaultPath !== '') request.defaultPath = opts.defaultPath;
    return ipcRenderer.invoke(PICK_FILE_CHANNEL, request).then((r: unknown) => (typeof r === 'string' ? r : null));
  },
  displayUrl(path: string): string {
    if (typeof path !== 'string' || !/^(\/[A-Za-z0-9._-]+)+$/.test(path)) throw new TypeError('hangar.displayUrl: not a display path');
    if (!Number.isInteger(displayPort) || displayPort <= 0 || displayToken === '') throw new Error('hangar.displayUrl: the display is not available');
    return `ws://127.0.0.1:${displayPort}${path}?token=${encodeURIComponent(displayToken)}`;
  },
};

contextBridge.exposeInMainWorld('hangar', bridge);

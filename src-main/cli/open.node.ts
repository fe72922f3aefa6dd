// `hangar open FILE`: what a double-click on an .ova or .ovf runs (the desktop entry set-up registers).
// The import review comes up in the desktop app when it runs or can run here; otherwise in web mode
// in the user's browser, reusing the `hangar serve` that owns the home or starting one in the
// background (it keeps serving until `hangar shutdown`).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import { importUrl } from '../desktop/deepLink.js';
import { openInBrowser } from '../desktop/browser.node.js';
import { desktopAppHere, launchDesktopApp } from '../desktop/desktopApp.node.js';
import { openRefusal, openRoute, SERVE_KIND } from '../desktop/open.js';
import { liveServeUrl, webDir } from '../desktop/webInfo.node.js';
import { homePaths } from '../home.js';
import { liveLockHolder } from '../owner/lock.node.js';
import { usageError } from './args.js';

export interface OpenResult {
  file: string;
  via: 'desktop' | 'web';
  /** web mode: the page opened (with its token and the file) */
  url?: string;
  /** web mode: whether this call started the server */
  startedServe?: boolean;
  /** web mode: the command that opened the browser, or null when there was none to open */
  browser?: string | null;
}

/** The file `hangar open` was given, checked: one line and exit 2 for anything it does not take. */
export function checkedOpenFile(arg: string): string {
  const file = resolvePath(arg);
  let stat: { isFile: boolean } | null = null;
  try {
    stat = { isFile: statSync(file).isFile() };
  } catch {
    stat = null;
  }
  const refusal = openRefusal(file, stat);
  if (refusal) throw usageError(refusal);
  return file;
}

export async function openFile(home: string, cliEntry: string, arg: string): Promise<OpenResult> {
  const file = checkedOpenFile(arg);
  const holder = liveLockHolder(homePaths(home).ownerLock);
  const route = openRoute({
    owner: holder ? { kind: holder.kind, pid: holder.pid } : null,
    servedUrl: liveServeUrl(home),
    desktop: desktopAppHere(),
  });
  switch (route.via) {
    case 'refuse':
      throw new HangarError('OWNER_CONFLICT', route.message);
    case 'desktop':
      await launchDesktopApp(route.binary, [file], join(home, 'desktop.log'));
      return { file, via: 'desktop' };
    case 'web':
      return openWeb(home, file, route.servedUrl, false);
    case 'wait-for-serve':
      // (it has no child of ours to watch: it is gone as soon as the home has no serve owner)
      return openWeb(home, file, await waitForServe(home, 60_000, () => true), false);
    case 'start-web':
      return openWeb(home, file, await startServe(home, cliEntry), true);
  }
}

async function openWeb(home: string, file: string, servedUrl: string, startedServe: boolean): Promise<OpenResult> {
  const url = importUrl(servedUrl, file);
  const { command } = await openInBrowser(home, url);
  return { file, via: 'web', url, startedServe, browser: command };
}

/** Starts `hangar serve` in the background (its own session: it outlives this call and its terminal). */
async function startServe(home: string, cliEntry: string): Promise<string> {
  const dir = webDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const log = join(dir, 'serve.log');
  const fd = openSync(log, 'a', 0o600);
  const child = spawn(process.execPath, [cliEntry, 'serve'], {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, HANGAR_HOME: home },
  });
  closeSync(fd);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.unref();
  // Another `hangar open` (several files opened at once) may have started a server at the same moment:
  // ours then finds the home owned and ends, and theirs is the one to use.
  try {
    return await waitForServe(home, 120_000, () => exited);
  } catch (e) {
    const tail = lastLines(log, 3);
    throw new HangarError('INTERNAL', `could not start web mode${tail ? `: ${tail}` : ''} (log: ${log})`, { cause: e });
  }
}

/** Waits until a `hangar serve` owns the home and has left its address; `ended`: the server we wait for may have stopped. */
async function waitForServe(home: string, timeoutMs: number, ended: () => boolean): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const url = liveServeUrl(home);
    if (url) return url;
    const holder = liveLockHolder(homePaths(home).ownerLock);
    if (ended() && (!holder || holder.kind !== SERVE_KIND)) throw new HangarError('INTERNAL', 'web mode ended before it served');
    if (Date.now() > deadline) throw new HangarError('INTERNAL', `web mode did not answer within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function lastLines(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join(' | ');
  } catch {
    return '';
  }
}

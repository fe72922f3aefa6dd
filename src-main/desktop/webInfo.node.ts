// Where web mode can be found: `hangar serve` leaves its address (with the token) in a private file
// in the home, `<home>/web/serve.json`, and removes it when it stops; `hangar open` reads it to reuse a
// running server. The same private folder holds the pages that hand the address to a browser.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { homePaths } from '../home.js';
import { liveLockHolder, processStartTime } from '../owner/lock.node.js';
import { redirectPage } from './browser.js';
import { SERVE_KIND } from './open.js';

const ServeInfo = z.object({ url: z.string().regex(/^http:\/\/[^\s]+\?token=[A-Za-z0-9_-]+$/), pid: z.number().int().positive(), startTime: z.string().nullable() }).strict();
export type ServeInfo = z.infer<typeof ServeInfo>;

/** How many hand-over pages are kept (a few `hangar open` may run at once: several files opened together). */
const KEEP_REDIRECTS = 8;

export function webDir(home: string): string {
  return join(home, 'web');
}

export function serveInfoPath(home: string): string {
  return join(webDir(home), 'serve.json');
}

/** The private folder (0700, also when it was there before). */
function privateDir(home: string): string {
  const dir = webDir(home);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** Writes a file readable by its owner only, whole or not at all. */
function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}

/** Called by `hangar serve` once it listens. */
export function writeServeInfo(home: string, url: string): void {
  privateDir(home);
  const info: ServeInfo = { url, pid: process.pid, startTime: processStartTime(process.pid) };
  writePrivate(serveInfoPath(home), `${JSON.stringify(info)}\n`);
}

/** Called by `hangar serve` when it stops: its address and the hand-over pages made for it go. */
export function removeServeInfo(home: string): void {
  const info = readServeInfo(home);
  if (info && info.pid !== process.pid) return; // another server's
  rmSync(serveInfoPath(home), { force: true });
  for (const f of redirectFiles(home)) rmSync(f.path, { force: true });
}

function readServeInfo(home: string): ServeInfo | null {
  try {
    const parsed = ServeInfo.safeParse(JSON.parse(readFileSync(serveInfoPath(home), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The address of the `hangar serve` that owns the home now, or null. A file left by a server that
 * died (its pid gone or reused, or no longer the lock's holder) is not believed.
 */
export function liveServeUrl(home: string): string | null {
  const info = readServeInfo(home);
  if (!info) return null;
  const holder = liveLockHolder(homePaths(home).ownerLock);
  if (!holder || holder.kind !== SERVE_KIND || holder.pid !== info.pid) return null;
  if (info.startTime && holder.startTime && info.startTime !== holder.startTime) return null;
  return info.url;
}

function redirectFiles(home: string): { path: string; mtimeMs: number }[] {
  let names: string[];
  try {
    names = readdirSync(webDir(home));
  } catch {
    return [];
  }
  return names
    .filter((n) => /^open-[0-9a-f]+\.html$/.test(n))
    .flatMap((n) => {
      const path = join(webDir(home), n);
      try {
        return [{ path, mtimeMs: statSync(path).mtimeMs }];
      } catch {
        return [];
      }
    });
}

/** A private page that forwards the browser to `url`; returns its file:// address. Older pages beyond a few go. */
export function writeRedirect(home: string, url: string): string {
  const dir = privateDir(home);
  const path = join(dir, `open-${randomBytes(8).toString('hex')}.html`);
  writePrivate(path, redirectPage(url));
  const old = redirectFiles(home)
    .filter((f) => f.path !== path)
    .sort((a, b) => b.mtimeMs - a.mtimeMs)
    .slice(KEEP_REDIRECTS - 1);
  for (const f of old) rmSync(f.path, { force: true });
  return pathToFileURL(path).href;
}

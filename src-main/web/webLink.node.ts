// Keeps the web mode's link (token and port) in the home, private to its user (0600), so that a
// restarted `hangar serve` answers pages that were left open. A file that is not private, not the
// user's or not valid is replaced by a new token (an open page then says to open the new link).
import { randomBytes } from 'node:crypto';
import { lstatSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatWebLink, parseWebLink, WEB_LINK_FILE, type WebLink } from './webLink.js';

export function webLinkPath(home: string): string {
  return join(home, WEB_LINK_FILE);
}

/** The kept link, or a new token (not yet written) with no port; `why` says why a kept one was not used. */
export function loadWebLink(home: string): { link: WebLink; kept: boolean; why?: string } {
  const file = webLinkPath(home);
  const fresh = (why?: string) => ({ link: { token: randomBytes(24).toString('base64url'), port: null }, kept: false, ...(why ? { why } : {}) });
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return fresh();
  }
  if (!st.isFile()) return fresh(`${file} is not a regular file`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return fresh(`${file} belongs to another user`);
  if ((st.mode & 0o077) !== 0) return fresh(`${file} could be read by other users`);
  const link = parseWebLink(readFileSync(file, 'utf8'));
  return link ? { link, kept: true } : fresh(`${file} is not valid`);
}

/** Writes the link (0600, replaced in one rename). */
export function saveWebLink(home: string, link: WebLink): void {
  const file = webLinkPath(home);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, formatWebLink(link), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

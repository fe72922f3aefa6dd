// The web mode's deep link into the Import dialog: `hangar open FILE` (and a double-click on an .ova or
// .ovf) opens the interface at `…/?token=…#import=<url-encoded path>`, and the page reads it once.
// Pure: shared by the CLI that makes the link and the renderer that reads it.

export const IMPORT_HASH_KEY = 'import';

/** The address part that opens the Import dialog on a file: `#import=%2Fsrv%2Fa.ova`. */
export function importHash(path: string): string {
  return `#${IMPORT_HASH_KEY}=${encodeURIComponent(path)}`;
}

/** The absolute path of `#import=<url-encoded path>` (one of `&`-separated parts), or null. */
export function importPathFromHash(hash: string): string | null {
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  for (const part of body.split('&')) {
    if (!part.startsWith(`${IMPORT_HASH_KEY}=`)) continue;
    let path: string;
    try {
      path = decodeURIComponent(part.slice(IMPORT_HASH_KEY.length + 1));
    } catch {
      return null;
    }
    return path.startsWith('/') && !path.includes('\0') ? path : null;
  }
  return null;
}

/** The hash without its `import=` part ('' when nothing else was in it), for history.replaceState. */
export function hashWithoutImport(hash: string): string {
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  const rest = body.split('&').filter((p) => p !== '' && !p.startsWith(`${IMPORT_HASH_KEY}=`));
  return rest.length ? `#${rest.join('&')}` : '';
}

/** The page address that opens the Import dialog on `path`: the served address (with its token) plus the link. */
export function importUrl(servedUrl: string, path: string): string {
  const hashAt = servedUrl.indexOf('#');
  return (hashAt >= 0 ? servedUrl.slice(0, hashAt) : servedUrl) + importHash(path);
}

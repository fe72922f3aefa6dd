// Pure parts of connecting to the owner: the access token in the page address, the WebSocket
// addresses, and the reconnect delay.

export const TOKEN_PARAM = 'token';
export const TOKEN_STORAGE_KEY = 'hangar.token';

/**
 * Takes the token out of a page address. `cleanUrl` is the same address without it (for
 * history.replaceState), or null when there was none to remove.
 */
export function takeTokenFromUrl(href: string): { token: string | null; cleanUrl: string | null } {
  const url = new URL(href);
  const token = url.searchParams.get(TOKEN_PARAM);
  if (token === null) return { token: null, cleanUrl: null };
  url.searchParams.delete(TOKEN_PARAM);
  return { token: token === '' ? null : token, cleanUrl: url.pathname + url.search + url.hash };
}

export interface PageLocation {
  protocol: string;
  host: string;
}

function wsOrigin(loc: PageLocation): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}`;
}

/** `ws://127.0.0.1:PORT/api?token=…` for a page served from `http://127.0.0.1:PORT/`. */
export function apiSocketUrl(loc: PageLocation, token: string): string {
  return `${wsOrigin(loc)}/api?${TOKEN_PARAM}=${encodeURIComponent(token)}`;
}

/** The display websocket for a path from `vm.display`, with the token added. */
export function displaySocketUrl(loc: PageLocation, path: string, token: string | null): string {
  const p = path.startsWith('/') ? path : `/${path}`;
  if (token === null) return wsOrigin(loc) + p;
  return `${wsOrigin(loc)}${p}${p.includes('?') ? '&' : '?'}${TOKEN_PARAM}=${encodeURIComponent(token)}`;
}

export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 10_000;

/** The wait before reconnect attempt `attempt` (0-based): doubling from 0.5 s up to 10 s, ±20 % jitter. */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** What `GET /session` says about the page's token: 401 the server runs with another token (it restarted with a new link). */
export function sessionCause(status: number): 'refused' | 'unknown' {
  return status === 401 ? 'refused' : 'unknown';
}

/** The line the page shows while it is not connected, by why (see Endpoint.diagnose). */
export function disconnectedMessage(cause: 'unreachable' | 'refused' | 'unknown' | undefined): string {
  switch (cause) {
    case 'refused':
      return "Hangar's server restarted with a new access link, so this page cannot reconnect. Open the link it printed (…/?token=…).";
    case 'unreachable':
      return "Hangar's server is not answering: it has stopped or is restarting. This page reconnects by itself when it runs again at this address (if it prints another link, open that one).";
    default:
      return 'The connection to Hangar was lost.';
  }
}

// Picks how this page reaches the owner: the Electron preload bridge when `window.hangar` exists,
// else the web mode's WebSocket with the token from the page address. The token leaves the address
// bar at once (history.replaceState) and stays in sessionStorage so a reload still works.
import { SESSION_PATH, SESSION_TOKEN_HEADER } from '../../src-main/web/webLink.js';
import { apiSocketUrl, displaySocketUrl, sessionCause, takeTokenFromUrl, TOKEN_STORAGE_KEY } from './connection.js';
import { ApiConnection, type Endpoint } from './apiConnection.js';
import { bridgeTransport, openWebSocketTransport, type HangarBridge } from './transports.js';

function readStoredToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}

function storeToken(token: string): void {
  try {
    sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    /* storage refused (private mode): a reload will need the address again */
  }
}

/** The token of this page: from the address (then removed from it), else from sessionStorage. */
export function takePageToken(): string | null {
  const { token, cleanUrl } = takeTokenFromUrl(window.location.href);
  if (cleanUrl !== null) window.history.replaceState(window.history.state, '', cleanUrl);
  if (token !== null) {
    storeToken(token);
    return token;
  }
  return readStoredToken();
}

export function electronEndpoint(bridge: HangarBridge): Endpoint {
  return {
    kind: 'electron',
    reconnect: false,
    open: async () => bridgeTransport(bridge),
    displayTarget: (path) => (bridge.displayUrl ? bridge.displayUrl(path) : displaySocketUrl(window.location, path, null)),
    ...(bridge.pickFile ? { pickFile: (opts) => bridge.pickFile!(opts) } : {}),
  };
}

export function webEndpoint(token: string | null): Endpoint {
  return {
    kind: 'web',
    ...(token === null
      ? { problem: 'This page needs the address with the access token that Hangar printed when it started (…/?token=…).' }
      : {}),
    reconnect: true,
    open: (signal) => openWebSocketTransport(apiSocketUrl(window.location, token ?? ''), { signal }),
    displayTarget: (path) => displaySocketUrl(window.location, path, token),
    diagnose: async (signal) => {
      try {
        const r = await fetch(SESSION_PATH, { headers: { [SESSION_TOKEN_HEADER]: token ?? '' }, cache: 'no-store', signal });
        return sessionCause(r.status);
      } catch {
        return 'unreachable';
      }
    },
  };
}

/** The connection for this page, started. */
export function connect(): ApiConnection {
  const bridge = window.hangar;
  const endpoint = bridge ? electronEndpoint(bridge) : webEndpoint(takePageToken());
  return new ApiConnection(endpoint).start();
}

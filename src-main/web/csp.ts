// The renderer's Content-Security-Policy, written once for both shells (web mode's HTTP header and
// the Electron window's): its own scripts only (no eval, no inline), styles inline (MUI's emotion
// injects them), images from itself and data:/blob: (screenshots, thumbnails), no workers, frames,
// plugins, base or form targets, never framed; the only connections are the ones each shell names
// (web mode: its own WebSocket for the API and the display; Electron: the local display relay).
export function rendererCsp(connectSources: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${["'self'", ...connectSources].join(' ')}`,
    "worker-src 'none'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

// The request target of an HTTP request (`/path?query`), read without ever throwing: web mode answers
// anyone who can reach its port, token or not, so a malformed target must get a 400, not an exception.
// Pure: strings in, values out.

export interface RequestTarget {
  /** the path as sent (percent-encoded) */
  pathname: string;
  searchParams: URLSearchParams;
}

/** The longest target accepted; Node's header limit (16 KiB) is the real bound, this one is for callers without it. */
export const MAX_TARGET_LENGTH = 16 * 1024;

/**
 * Reads a request target: origin-form (`/index.html?token=…`) or absolute-form
 * (`http://127.0.0.1:1234/…`, which RFC 9112 says a server must accept). Null when it is neither or
 * the URL parser refuses it (`//[`, `http://%`), so the caller answers 400.
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget | null {
  if (raw === undefined || raw === '' || raw.length > MAX_TARGET_LENGTH) return null;
  if (!raw.startsWith('/') && !/^https?:\/\//i.test(raw)) return null; // authority-form (CONNECT) and `*`
  // A target starting with '//' would be read as a scheme-relative URL naming another host.
  const text = raw.startsWith('//') ? `/${raw.replace(/^\/+/, '')}` : raw;
  let url: URL;
  try {
    url = new URL(text, 'http://hangar.invalid');
  } catch {
    return null;
  }
  return { pathname: url.pathname, searchParams: url.searchParams };
}

/**
 * A percent-encoded path as text: null when it does not decode (`/%`, `/%c0%ae`: a lone `%`, a
 * truncated or overlong UTF-8 sequence) or holds a NUL or another control character, which no file
 * of the interface has in its name.
 */
export function decodePathname(pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(decoded)) return null;
  return decoded;
}

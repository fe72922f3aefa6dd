// Links in a guest's console output (OSC 8 hyperlinks) are the guest's words: the text the terminal
// shows can name one site while the link leads to another. A click never opens anything by itself;
// it asks first, showing where the link really leads. Pure: this file decides what to show.

export interface GuestLink {
  /** the URL that would be opened, normalized (host in punycode, odd characters percent-encoded) */
  href: string;
  /** where it leads: the host (with its port), as the browser would contact it */
  host: string;
  /** a user name and password before the host (`https://bank.example@evil.example/`), which hide the real host */
  userinfo: string | null;
}

/** The longest link offered: longer ones are shown as refused rather than cut. */
export const MAX_GUEST_LINK_LENGTH = 2048;

/** What a click on a guest's link would open, or null for anything but a well-formed http(s) URL. */
export function guestLinkTarget(uri: string): GuestLink | null {
  if (uri.length > MAX_GUEST_LINK_LENGTH) return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.host) return null;
  const userinfo = url.username || url.password ? decodeSafely(`${url.username}${url.password ? `:${url.password}` : ''}`) : null;
  return { href: url.href, host: url.host, userinfo };
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

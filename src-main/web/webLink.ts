// The web mode's link that survives a restart (pure): the access token and the port last served,
// as kept in the home (see webLink.node.ts). A page left open reconnects to the same link when
// `hangar serve` runs again for the same user and home.
import { z } from 'zod';

export const WEB_LINK_FILE = 'owner.web-token';

/** `GET /session` with the token in this header: 204 when it is the server's token, 401 when not. */
export const SESSION_PATH = '/session';
export const SESSION_TOKEN_HEADER = 'x-hangar-token';

const WebLinkFile = z
  .object({
    token: z.string().regex(/^[A-Za-z0-9_-]{32,128}$/),
    port: z.number().int().min(1).max(65535).nullable(),
  })
  .strict();
export type WebLink = z.infer<typeof WebLinkFile>;

/** The link in a file's text; null when the text is not one (then a new token is made). */
export function parseWebLink(text: string): WebLink | null {
  try {
    const r = WebLinkFile.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

export function formatWebLink(link: WebLink): string {
  return `${JSON.stringify(link)}\n`;
}

/**
 * The port to listen on: the one asked for, else the one served last time (so that open pages find
 * the server again), else any free one (0). `fallback`: whether a busy remembered port may give way.
 */
export function portToTry(asked: number | undefined, remembered: number | null): { port: number; fallback: boolean } {
  if (asked !== undefined) return { port: asked, fallback: false };
  if (remembered !== null) return { port: remembered, fallback: true };
  return { port: 0, fallback: false };
}

// Image names that are not files (zod-free: chain.ts and the qcow2 header reader both use it, and the
// reader must not pull in zod).

/** `json:{…}`, `nbd://…`, `https://…`: names that are not files and must not be joined to a folder. */
export function isPseudoName(name: string): boolean {
  return name.startsWith('json:') || /^[a-z][a-z0-9+.-]*:\/\//i.test(name);
}

// qemu-bridge-helper's access list (/etc/qemu/bridge.conf), read the way the helper reads it, so that a
// bridge it would refuse is refused before a VM starts: `allow NAME|all`, `deny NAME|all`, `include
// FILE`, `#` comments. A bridge is allowed when some allow rule names it (or says all) and no deny rule
// does; anything else is denied. Pure: `read` returns a file's text, or null when it cannot be read.

/** Where Debian's qemu-bridge-helper reads its access list (fixed when QEMU is built). */
export const BRIDGE_ACL_FILE = '/etc/qemu/bridge.conf';

const MAX_INCLUDE_DEPTH = 8;

export type AclVerdict = { allowed: true } | { allowed: false; why: string };

export function bridgeAclVerdict(bridge: string, read: (path: string) => string | null, file = BRIDGE_ACL_FILE): AclVerdict {
  const allow = new Set<string>();
  const deny = new Set<string>();
  const load = (path: string, depth: number): string | null => {
    if (depth > MAX_INCLUDE_DEPTH) return `${path}: includes nest too deep`;
    const text = read(path);
    if (text === null) return `${path} cannot be read`;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const [cmd, arg, ...rest] = line.split(/\s+/);
      if (arg === undefined || rest.length) return `${path}: cannot read the line '${line}'`;
      if (cmd === 'allow') allow.add(arg);
      else if (cmd === 'deny') deny.add(arg);
      else if (cmd === 'include') {
        const err = load(arg, depth + 1);
        if (err) return err;
      } else return `${path}: unknown command '${cmd}'`;
    }
    return null;
  };
  const err = load(file, 0);
  if (err) return { allowed: false, why: err };
  if (deny.has('all') || deny.has(bridge)) return { allowed: false, why: `${file} denies bridge ${bridge}` };
  if (allow.has('all') || allow.has(bridge)) return { allowed: true };
  return { allowed: false, why: `${file} does not allow bridge ${bridge} (the line 'allow ${bridge}' would)` };
}

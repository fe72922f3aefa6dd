// What the host's network looks like, from `ip -j` (pure parsing), and how Hangar marks what it makes
// there: every bridge and tap carries an alias naming the home and the network or card it belongs to,
// so an owner that starts again recognises its own (and never touches another home's or the user's).

export interface HostLink {
  name: string;
  /** 'bridge', 'tun', 'veth', …; null for a plain device */
  kind: string | null;
  alias: string | null;
  master: string | null;
  up: boolean;
}

function asArray(json: string): Record<string, unknown>[] {
  const v: unknown = JSON.parse(json || '[]');
  return Array.isArray(v) ? (v.filter((x) => typeof x === 'object' && x !== null) as Record<string, unknown>[]) : [];
}

/** `ip -j -d link show` */
export function parseIpLinks(json: string): HostLink[] {
  return asArray(json).flatMap((l) => {
    if (typeof l.ifname !== 'string') return [];
    const info = l.linkinfo as { info_kind?: unknown } | undefined;
    const flags = Array.isArray(l.flags) ? (l.flags as unknown[]) : [];
    return [
      {
        name: l.ifname,
        kind: typeof info?.info_kind === 'string' ? info.info_kind : null,
        alias: typeof l.ifalias === 'string' ? l.ifalias : null,
        master: typeof l.master === 'string' ? l.master : null,
        up: flags.includes('UP'),
      },
    ];
  });
}

/** `ip -j -4 addr show`: each interface's IPv4 subnets, as CIDRs of their network ('10.0.0.5/24' stays as given). */
export function parseIpAddrs(json: string): { iface: string; cidr: string }[] {
  return asArray(json).flatMap((l) => {
    const infos = Array.isArray(l.addr_info) ? (l.addr_info as Record<string, unknown>[]) : [];
    return infos.flatMap((a) => (a.family === 'inet' && typeof a.local === 'string' && typeof a.prefixlen === 'number' ? [{ iface: String(l.ifname), cidr: `${a.local}/${a.prefixlen}` }] : []));
  });
}

/** `ip -j -4 route show`: routed destinations other than the default route. */
export function parseIpRoutes(json: string): { iface: string; cidr: string }[] {
  return asArray(json).flatMap((r) => (typeof r.dst === 'string' && r.dst !== 'default' ? [{ iface: typeof r.dev === 'string' ? r.dev : '?', cidr: r.dst }] : []));
}

/** CAP_NET_ADMIN is bit 12 of the capability sets (linux/capability.h). */
const CAP_NET_ADMIN = 12;

/** Whether /proc/self/status says the process may make bridges, taps and nftables rules. */
export function hasNetAdmin(procStatus: string): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/im.exec(procStatus);
  if (!m) return false;
  return (BigInt(`0x${m[1]}`) >> BigInt(CAP_NET_ADMIN)) & 1n ? true : false;
}

/** FNV-1a over a string, 32 bits, with a seed: short stable tags. */
function fnv(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (const ch of new TextEncoder().encode(s)) h = Math.imul(h ^ ch, 0x01000193) >>> 0;
  return h;
}
const hex = (n: number, len: number) => n.toString(16).padStart(8, '0').slice(-len);

/** A short tag of a home (its path): two homes on one host keep apart what they make. */
export function homeTag(home: string): string {
  return hex(fnv(home), 8);
}

/** A card's tap: 'hgt' and 12 hex digits of its home, VM and card (15 characters, the kernel's limit). */
export function tapName(tag: string, vmId: string, nicId: string): string {
  const key = `${tag}/${vmId}/${nicId}`;
  return `hgt${hex(fnv(key), 6)}${hex(fnv(key, 0x01000193), 6)}`;
}

export type HangarAlias = { home: string; kind: 'network'; networkId: string } | { home: string; kind: 'tap'; vmId: string; nicId: string };

export function networkAlias(tag: string, networkId: string): string {
  return `hangar ${tag} network ${networkId}`;
}

export function tapAlias(tag: string, vmId: string, nicId: string): string {
  return `hangar ${tag} vm ${vmId} ${nicId}`;
}

export function parseAlias(alias: string | null): HangarAlias | null {
  if (!alias) return null;
  const f = alias.split(' ');
  if (f[0] !== 'hangar' || !f[1]) return null;
  if (f[2] === 'network' && f.length === 4) return { home: f[1], kind: 'network', networkId: f[3]! };
  if (f[2] === 'vm' && f.length === 5) return { home: f[1], kind: 'tap', vmId: f[3]!, nicId: f[4]! };
  return null;
}

// IPv4 addresses and subnets as numbers (pure): parsing, the private ranges, overlaps, and the
// addresses a network hands out (gateway, reservations, the dynamic DHCP pool).
import { isIpv4 } from '../../src-vmm/model/index.js';

export interface Cidr {
  /** the network address as an unsigned 32-bit number */
  base: number;
  /** 0 … 32 */
  prefix: number;
}

export function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function formatCidr(c: Cidr): string {
  return `${numberToIp(c.base)}/${c.prefix}`;
}

/** The smallest and largest subnets a Hangar network may have: /16 (65534 hosts) to /28 (14 hosts). */
export const MIN_PREFIX = 16;
export const MAX_PREFIX = 28;

/**
 * A subnet as a person types it ('10.77.0.0/24'): the problem with it, or the subnet. The address must
 * be the network's own (no host bits), so '10.77.0.1/24' is refused with the spelling meant.
 */
export function parseSubnet(text: string): { ok: true; cidr: Cidr } | { ok: false; problem: string } {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m || !isIpv4(m[1]!)) return { ok: false, problem: `subnet '${text}' is not an IPv4 subnet such as 10.77.0.0/24` };
  const prefix = Number(m[2]);
  if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) return { ok: false, problem: `subnet '${text}' must have a prefix length from /${MIN_PREFIX} to /${MAX_PREFIX}` };
  const addr = ipToNumber(m[1]!);
  const base = (addr & maskOf(prefix)) >>> 0;
  if (base !== addr) return { ok: false, problem: `subnet '${text}' has host bits set: the subnet is ${formatCidr({ base, prefix })}` };
  return { ok: true, cidr: { base, prefix } };
}

/** RFC 1918: the only ranges a Hangar network may use, so it never shadows a real network out there. */
export const PRIVATE_RANGES: readonly Cidr[] = [
  { base: ipToNumber('10.0.0.0'), prefix: 8 },
  { base: ipToNumber('172.16.0.0'), prefix: 12 },
  { base: ipToNumber('192.168.0.0'), prefix: 16 },
];

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && ((inner.base & maskOf(outer.prefix)) >>> 0) === outer.base;
}

export function containsIp(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === c.base;
}

export function isPrivate(c: Cidr): boolean {
  return PRIVATE_RANGES.some((r) => contains(r, c));
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return ((a.base & maskOf(prefix)) >>> 0) === ((b.base & maskOf(prefix)) >>> 0);
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

/**
 * The addresses of a Hangar network: the host's (the gateway) is the first, reservations for the VMs'
 * cards follow from the second up to the middle, and the upper half (less the broadcast address) is
 * the dynamic pool for whatever asks without a reservation.
 */
export interface AddressPlan {
  gateway: string;
  netmask: string;
  broadcast: string;
  reserved: { first: number; last: number };
  pool: { first: string; last: string };
}

export function addressPlan(c: Cidr): AddressPlan {
  const n = size(c);
  const mid = c.base + n / 2;
  return {
    gateway: numberToIp(c.base + 1),
    netmask: numberToIp(maskOf(c.prefix)),
    broadcast: numberToIp(c.base + n - 1),
    reserved: { first: c.base + 2, last: mid - 1 },
    pool: { first: numberToIp(mid), last: numberToIp(c.base + n - 2) },
  };
}

/** The lowest reservable address not in `used`, or undefined when the reserved half is full. */
export function nextReservation(c: Cidr, used: ReadonlySet<string>): string | undefined {
  const { reserved } = addressPlan(c);
  for (let a = reserved.first; a <= reserved.last; a++) {
    const ip = numberToIp(a);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/** Where a new network's subnet is picked from when none is given: /24s of 10.77.0.0/16, then 10.78…, in order. */
export function pickFreeSubnet(taken: readonly Cidr[]): Cidr | undefined {
  for (let second = 77; second < 256; second++) {
    for (let third = 0; third < 256; third++) {
      const c = { base: ipToNumber(`10.${second}.${third}.0`), prefix: 24 };
      if (!taken.some((t) => overlaps(t, c))) return c;
    }
  }
  return undefined;
}

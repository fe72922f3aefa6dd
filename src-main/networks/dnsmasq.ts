// dnsmasq for one Hangar network (pure): its configuration file, the reservation files it re-reads on
// SIGHUP, and its lease file read back. One dnsmasq per network, bound to that network's bridge only.
import type { NetworkRecord } from './model.js';
import { addressPlan, parseSubnet } from './ipv4.js';

export interface DnsmasqFiles {
  conf: string;
  /** dhcp-hostsfile: `mac,address[,hostname]` per line */
  dhcpHosts: string;
  /** addn-hosts: `address hostname`, so names resolve before their VM has asked for its lease */
  dnsHosts: string;
  leases: string;
  pid: string;
  log: string;
}

export interface DnsmasqReservation {
  mac: string;
  address: string;
  hostname: string | null;
}

/** Whether a network runs a dnsmasq: every network with a subnet that hands out addresses or names. */
export function needsDnsmasq(n: Pick<NetworkRecord, 'mode' | 'subnet' | 'dhcp'>): boolean {
  if (n.subnet === null || n.mode === 'bridged') return false;
  return n.dhcp || n.mode === 'nat' || n.mode === 'hostonly';
}

/** How long a lease lasts: an hour, renewed at half time, as libvirt's networks do. */
export const LEASE_TIME = '1h';

/**
 * The whole configuration (dnsmasq is started with --conf-file=<this file>, so /etc/dnsmasq.conf is
 * never read). `user`: the account dnsmasq keeps after binding, the owner's own (its files are private
 * to that user).
 */
export function dnsmasqConfig(n: NetworkRecord, files: DnsmasqFiles, user: string): string {
  const parsed = n.subnet ? parseSubnet(n.subnet) : undefined;
  if (!parsed?.ok) throw new Error(`network '${n.name}' has no usable subnet for dnsmasq`);
  const plan = addressPlan(parsed.cidr);
  const lines = [
    `# Hangar network '${n.name}' (${n.id}), mode ${n.mode}: written by Hangar at each start of the network`,
    `pid-file=${files.pid}`,
    `user=${user}`,
    // Only this bridge: never the host's other interfaces, never loopback (another resolver may own 53 there).
    `interface=${n.bridge}`,
    'except-interface=lo',
    'bind-interfaces',
    `listen-address=${plan.gateway}`,
    'strict-order',
    // Names come from Hangar's reservations, not from this host's /etc/hosts.
    'no-hosts',
    `addn-hosts=${files.dnsHosts}`,
    'domain-needed',
    'bogus-priv',
    `log-facility=${files.log}`,
  ];
  if (n.mode === 'nat') {
    // Upstream servers: the host's own (/etc/resolv.conf).
  } else if (n.mode === 'hostonly') {
    // No way out: answer for the network's names, forward nothing.
    lines.push('no-resolv');
  } else {
    // internal: no DNS at all, only DHCP (the host is fenced off but for DHCP; see nftables.ts).
    lines.push('no-resolv', 'port=0');
  }
  if (n.dhcp) {
    lines.push(
      `dhcp-range=${plan.pool.first},${plan.pool.last},${plan.netmask},${LEASE_TIME}`,
      `dhcp-hostsfile=${files.dhcpHosts}`,
      `dhcp-leasefile=${files.leases}`,
      'dhcp-authoritative',
      'dhcp-no-override',
    );
    // The default route and DNS server are the host's only on a nat network; host-only guests get no
    // route out (only the subnet's own), internal guests neither a route nor a DNS server.
    if (n.mode === 'hostonly') lines.push('dhcp-option=option:router');
    if (n.mode === 'internal') lines.push('dhcp-option=option:router', 'dhcp-option=option:dns-server');
  }
  return `${lines.join('\n')}\n`;
}

export function dhcpHostsFile(rs: readonly DnsmasqReservation[]): string {
  return rs.map((r) => [r.mac, r.address, ...(r.hostname ? [r.hostname] : [])].join(',') + '\n').join('');
}

export function dnsHostsFile(rs: readonly DnsmasqReservation[]): string {
  return rs.filter((r) => r.hostname).map((r) => `${r.address} ${r.hostname}\n`).join('');
}

export interface Lease {
  /** seconds since the epoch; 0: infinite */
  expires: number;
  mac: string;
  address: string;
  hostname: string | null;
}

/** dnsmasq's lease file: `expiry mac address hostname client-id` per line ('*' for none). */
export function parseLeases(text: string): Lease[] {
  const out: Lease[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+$/.test(f[0]!) || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(f[1]!) || !/^\d+\.\d+\.\d+\.\d+$/.test(f[2]!)) continue;
    out.push({ expires: Number(f[0]), mac: f[1]!.toLowerCase(), address: f[2]!, hostname: f[3] === '*' ? null : f[3]! });
  }
  return out;
}

/** The addresses a MAC holds an unexpired lease on, newest lease first. */
export function leasedAddresses(leases: readonly Lease[], mac: string, nowSeconds: number): string[] {
  return leases
    .filter((l) => l.mac === mac.toLowerCase() && (l.expires === 0 || l.expires > nowSeconds))
    .sort((a, b) => b.expires - a.expires)
    .map((l) => l.address);
}

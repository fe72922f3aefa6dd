// Networks as inventory objects (pure): their modes, names, the request that creates one, and the rules
// a new network must meet given what the inventory and the host already have. Imported by the owner,
// the CLI and the renderer.
import { z } from 'zod';
import { fail, ok, type Result } from '../../src-vmm/base/result.js';
import type { ErrorIssue } from '../../src-vmm/base/errors.js';
import { choiceValues, describeChoices } from '../../src-vmm/model/index.js';
import { formatCidr, isPrivate, overlaps, parseSubnet, pickFreeSubnet, type Cidr } from './ipv4.js';
import { NETWORK_BRIDGE_MISSING, NETWORK_SUBNET_OVERLAP } from '../api/issueCodes.js';

export const NETWORK_MODES = [
  { value: 'nat', label: 'NAT network', help: 'VMs see each other and this computer, reach the outside through NAT, get addresses by DHCP and find each other by name' },
  { value: 'hostonly', label: 'Host-only', help: 'like a NAT network, without the way out: VMs see each other and this computer only' },
  { value: 'internal', label: 'Internal', help: 'VMs see only each other: no address on this computer, DHCP optional' },
  { value: 'bridged', label: 'Bridged', help: "VMs join an existing bridge of this computer and its LAN" },
] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number]['value'];

/** Names people give networks: they appear in commands, appliance descriptors and DNS-free contexts. */
export const MAX_NETWORK_NAME_LENGTH = 32;
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function networkNameProblems(name: string): string[] {
  if (name.length === 0) return ['network name must not be empty'];
  if (name.length > MAX_NETWORK_NAME_LENGTH || !NETWORK_NAME.test(name)) {
    return [`network name must be 1 to ${MAX_NETWORK_NAME_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or digit`];
  }
  return [];
}

/** A Linux interface name Hangar accepts: at most 15 characters (IFNAMSIZ), nothing the kernel or a shell would mind. */
const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
export function isInterfaceName(s: string): boolean {
  return IFNAME.test(s) && s !== '.' && s !== '..';
}

export const NetworkCreateInput = z
  .object({
    /** checked by the owner (networkNameProblems), so a bad one gets the rule, not a schema message */
    name: z.string().max(10_000),
    mode: z.enum(choiceValues(NETWORK_MODES), { error: `mode must be ${describeChoices(NETWORK_MODES)}` }),
    /** IPv4 CIDR; absent: a free /24 is picked (nat, hostonly; internal with DHCP) */
    subnet: z.string().max(64).optional(),
    /** absent: on for nat and hostonly, off for internal; never for bridged */
    dhcp: z.boolean().optional(),
    /** bridged: the host bridge to join; otherwise the name of the bridge Hangar makes (absent: hgbrN) */
    bridge: z.string().max(64).optional(),
  })
  .strict();
export type NetworkCreateInput = z.infer<typeof NetworkCreateInput>;

/** A network as the inventory keeps it. */
export interface NetworkRecord {
  id: string;
  name: string;
  mode: NetworkMode;
  /** CIDR, or null (bridged; internal without addresses) */
  subnet: string | null;
  dhcp: boolean;
  /** the bridge (for bridged, the host's own) */
  bridge: string;
  /** internal networks without the privilege to make a bridge: the multicast group:port QEMU's socket netdev joins */
  mcast: string | null;
  createdAt: string;
}

/** What the host already has, as far as a new network's subnet and bridge are concerned. */
export interface HostNetworkFacts {
  /** subnets routed or addressed on the host (its own networks: a new network must not shadow them) */
  subnets: { cidr: string; iface: string }[];
  /** every interface, with whether it is a bridge */
  links: { name: string; bridge: boolean }[];
}

export type NetworkPlan = Omit<NetworkRecord, 'id' | 'createdAt'>;

/** Multicast groups of unprivileged internal networks: the administratively scoped 239.255.0.0/16, ports 40000-59999. */
export function pickMcast(taken: ReadonlySet<string>, rand: () => number): string {
  for (;;) {
    const group = `239.255.${1 + Math.floor(rand() * 254)}.${1 + Math.floor(rand() * 254)}`;
    const port = 40_000 + Math.floor(rand() * 20_000);
    const addr = `${group}:${port}`;
    if (![...taken].some((t) => t === addr || t.split(':')[1] === String(port))) return addr;
  }
}

/**
 * The network a request describes, checked against the inventory's networks and the host; every
 * problem at once, each at its field. The name's uniqueness is the caller's (it is a conflict, not
 * bad input).
 */
export function planNetwork(
  input: NetworkCreateInput,
  ctx: { networks: readonly NetworkRecord[]; host: HostNetworkFacts; rand: () => number },
): Result<NetworkPlan, ErrorIssue[]> {
  const issues: ErrorIssue[] = [];
  const add = (path: string, message: string, extra: Pick<ErrorIssue, 'code' | 'data'> = {}) => issues.push({ path, message, ...extra });
  for (const message of networkNameProblems(input.name)) add('name', message);
  const mode = input.mode;
  const hostLink = (name: string) => ctx.host.links.find((l) => l.name === name);
  const usedBridges = new Set(ctx.networks.map((n) => n.bridge));

  if (mode === 'bridged') {
    if (input.subnet !== undefined) add('subnet', 'a bridged network takes its addresses from the LAN it joins: it has no subnet of its own');
    if (input.dhcp === true) add('dhcp', "a bridged network gets DHCP from the LAN it joins, not from Hangar");
    const bridges = ctx.host.links.filter((l) => l.bridge).map((l) => l.name);
    if (input.bridge === undefined) add('bridge', 'a bridged network needs the host bridge it joins', { code: NETWORK_BRIDGE_MISSING, data: { bridges } });
    else if (!isInterfaceName(input.bridge)) add('bridge', `'${input.bridge}' is not an interface name`);
    else {
      const link = hostLink(input.bridge);
      if (!link) add('bridge', `there is no bridge '${input.bridge}' on this host`, { code: NETWORK_BRIDGE_MISSING, data: { bridge: input.bridge, bridges } });
      else if (!link.bridge) add('bridge', `'${input.bridge}' is an interface of this host but not a bridge`, { code: NETWORK_BRIDGE_MISSING, data: { bridge: input.bridge, bridges } });
    }
    if (issues.length) return fail(issues);
    return ok({ name: input.name, mode, subnet: null, dhcp: false, bridge: input.bridge!, mcast: null });
  }

  // nat, hostonly, internal: a bridge Hangar makes, with a subnet unless internal goes without DHCP.
  const dhcp = input.dhcp ?? mode !== 'internal';
  const hostCidrs: { cidr: Cidr; iface: string }[] = [];
  for (const s of ctx.host.subnets) {
    const p = parseAnySubnet(s.cidr);
    if (p) hostCidrs.push({ cidr: p, iface: s.iface });
  }
  const taken = ctx.networks.flatMap((n) => {
    const p = n.subnet ? parseAnySubnet(n.subnet) : undefined;
    return p ? [{ cidr: p, network: n.name }] : [];
  });
  let subnet: string | null = null;
  if (input.subnet !== undefined) {
    const parsed = parseSubnet(input.subnet);
    if (!parsed.ok) add('subnet', parsed.problem);
    else if (!isPrivate(parsed.cidr)) add('subnet', `subnet ${formatCidr(parsed.cidr)} is not private: use one inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16`);
    else {
      const other = taken.find((t) => overlaps(t.cidr, parsed.cidr));
      const onHost = hostCidrs.find((t) => overlaps(t.cidr, parsed.cidr));
      if (other) add('subnet', `subnet ${formatCidr(parsed.cidr)} overlaps network '${other.network}' (${formatCidr(other.cidr)})`, { code: NETWORK_SUBNET_OVERLAP, data: { network: other.network } });
      else if (onHost) add('subnet', `subnet ${formatCidr(parsed.cidr)} overlaps ${formatCidr(onHost.cidr)} of this host's interface ${onHost.iface}`, { code: NETWORK_SUBNET_OVERLAP, data: { iface: onHost.iface } });
      else subnet = formatCidr(parsed.cidr);
    }
  } else if (dhcp) {
    const free = pickFreeSubnet([...taken.map((t) => t.cidr), ...hostCidrs.map((t) => t.cidr)]);
    if (!free) add('subnet', 'no free /24 subnet is left in 10.77.0.0 to 10.255.255.0: give one');
    else subnet = formatCidr(free);
  }

  let bridge: string | undefined = input.bridge;
  if (bridge !== undefined) {
    if (!isInterfaceName(bridge)) add('bridge', `bridge name '${bridge}' must be 1 to 15 letters, digits, '.', '_' or '-', starting with a letter or digit`);
    else if (usedBridges.has(bridge)) add('bridge', `bridge '${bridge}' belongs to another network`);
    else if (hostLink(bridge)) add('bridge', `an interface named '${bridge}' exists already on this host: a ${mode} network makes its own bridge (a bridged network joins an existing one)`);
  } else {
    for (let i = 0; bridge === undefined; i++) {
      const name = `hgbr${i}`;
      if (!usedBridges.has(name) && !hostLink(name)) bridge = name;
    }
  }
  if (issues.length) return fail(issues);
  const mcast = mode === 'internal' ? pickMcast(new Set(ctx.networks.flatMap((n) => (n.mcast ? [n.mcast] : []))), ctx.rand) : null;
  return ok({ name: input.name, mode, subnet, dhcp, bridge: bridge!, mcast });
}

/** A subnet the host has, which may have any prefix (a /32, a /8); undefined when it is not IPv4. */
function parseAnySubnet(text: string): Cidr | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d{1,2}))?$/.exec(text);
  if (!m) return undefined;
  const prefix = m[2] === undefined ? 32 : Number(m[2]);
  if (prefix > 32) return undefined;
  const parts = m[1]!.split('.').map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  const addr = parts.reduce((n, p) => n * 256 + p, 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (addr & mask) >>> 0, prefix };
}

/** What a network's mode allows a card on it: port forwards need NAT (user-mode, or a nat network). */
export function forwardsAllowed(mode: NetworkMode | null): boolean {
  return mode === null || mode === 'nat';
}

/**
 * A DNS label for a VM's name (what dnsmasq answers for it on its networks): lower case, letters,
 * digits and '-', at most 63 characters; 'vm' when nothing is left. `taken` labels get -2, -3, ….
 */
export function hostnameFor(vmName: string, taken: ReadonlySet<string>): string {
  const base =
    vmName
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63)
      .replace(/-+$/, '') || 'vm';
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) {
    const suffix = `-${i}`;
    const label = `${base.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
    if (!taken.has(label)) return label;
  }
}

// nftables for one Hangar network (pure): one table of its own per network, replaced whole and
// atomically (`nft -f`), so a start, a change of port forwards or an owner's restart never adds a
// second copy of a rule. The table only ever matches the network's own bridge.
import type { NetworkRecord } from './model.js';

/** Table names carry the home's tag, so two homes on one host never touch each other's tables. */
export function nftTableName(homeTag: string, networkId: string): string {
  return `hangar_${homeTag}_${networkId.replace(/-/g, '').slice(0, 12)}`;
}

export const NFT_TABLE_PREFIX = 'hangar_';

/** A host port forwarded to a VM's reserved address on a nat network. */
export interface NatForward {
  protocol: 'tcp' | 'udp';
  /** 127.0.0.1 (this desktop only), 0.0.0.0 (every address of the host) or one of its addresses */
  hostAddress: string;
  hostPort: number;
  guestAddress: string;
  guestPort: number;
}

const q = (s: string) => JSON.stringify(s); // nft strings: double-quoted, as JSON writes them

function forwardRules(forwards: readonly NatForward[]): string[] {
  return forwards.map((f) => {
    const match = f.hostAddress === '0.0.0.0' ? 'fib daddr type local' : `ip daddr ${f.hostAddress}`;
    return `${match} ${f.protocol} dport ${f.hostPort} dnat ip to ${f.guestAddress}:${f.guestPort}`;
  });
}

/**
 * The table of a network, or null when the network needs none (bridged: Hangar does not police the
 * host's own LAN). Every mode keeps the bridge from routing anywhere but where its mode says:
 * - nat: out to anywhere through masquerade; in only as replies or through a port forward;
 * - hostonly: VMs and the host only (no forwarding to or from the bridge at all);
 * - internal: not even the host: its input and output on the bridge are dropped, but for DHCP when
 *   dnsmasq serves it.
 * Traffic between two VMs on the bridge is switched, never routed, so it is not affected (even where
 * br_netfilter would show it to the forward hook, iif and oif are both the bridge, and that is accepted).
 */
export function nftRuleset(n: NetworkRecord, table: string, forwards: readonly NatForward[]): string | null {
  if (n.mode === 'bridged') return null;
  const br = q(n.bridge);
  const lines: string[] = [`table inet ${table} {`];
  const chain = (name: string, hook: string, rules: string[]) => {
    lines.push(`  chain ${name} {`, `    ${hook}`, ...rules.map((r) => `    ${r}`), '  }');
  };
  if (n.mode === 'nat') {
    const subnet = n.subnet!;
    chain('forward', 'type filter hook forward priority filter; policy accept;', [
      `iifname ${br} oifname ${br} accept`,
      `iifname ${br} ip saddr ${subnet} accept`,
      `oifname ${br} ct state established,related accept`,
      `oifname ${br} ct status dnat accept`,
      `iifname ${br} drop`,
      `oifname ${br} drop`,
    ]);
    chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', [
      `ip saddr ${subnet} ip daddr != ${subnet} masquerade`,
      // A forward from 127.0.0.1: the guest must answer the bridge's address, not loopback's.
      `oifname ${br} ip saddr 127.0.0.0/8 masquerade`,
    ]);
    const rules = forwardRules(forwards);
    // From other hosts (prerouting) and from this one (output); loopback only ever reaches output.
    chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', rules.filter((r) => !r.startsWith('ip daddr 127.')));
    chain('output', 'type nat hook output priority -100; policy accept;', rules);
  } else {
    chain('forward', 'type filter hook forward priority filter; policy accept;', [`iifname ${br} oifname ${br} accept`, `iifname ${br} drop`, `oifname ${br} drop`]);
    if (n.mode === 'internal') {
      chain('input', 'type filter hook input priority filter; policy accept;', [...(n.dhcp ? [`iifname ${br} udp dport 67 accept`] : []), `iifname ${br} drop`]);
      chain('output', 'type filter hook output priority filter; policy accept;', [...(n.dhcp ? [`oifname ${br} udp sport 67 accept`] : []), `oifname ${br} drop`]);
    }
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * `nft -f` input that replaces the table in one transaction: declaring it first makes the delete
 * succeed whether it existed or not, and nft applies the whole file or nothing.
 */
export function nftReplaceScript(table: string, ruleset: string): string {
  return `table inet ${table}\ndelete table inet ${table}\n${ruleset}`;
}

export function nftDeleteScript(table: string): string {
  return `table inet ${table}\ndelete table inet ${table}\n`;
}

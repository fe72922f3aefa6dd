// The owner's decisions about the host's network (pure), from the inventory and what the host has:
// at start-up (what to bring up again, what was left behind), and for each part of a network when it
// is brought up (make it, adopt the one there, or refuse one that is not Hangar's). Nothing is ever
// made twice: a part that exists and is ours is adopted.
import type { NetworkRecord } from './model.js';
import { parseAlias, type HostLink } from './hostState.js';

export interface ReconcileFacts {
  /** this home's tag (hostState.homeTag) */
  home: string;
  networks: readonly NetworkRecord[];
  /** ids of the networks that a running VM has a card on */
  inUse: ReadonlySet<string>;
  /** the taps the running VMs' cards hold */
  wantedTaps: ReadonlySet<string>;
  links: readonly HostLink[];
  /** nftables tables (inet family) of this home's prefix */
  tables: readonly string[];
  /** the table name each network of the inventory has */
  tableOf: (networkId: string) => string;
  /** network ids that have a folder in the home (a dnsmasq may run from it) */
  folders: readonly string[];
}

export type ReconcileAction =
  /** a network running VMs use: bring it up (adopting its bridge, dnsmasq and table where they are) */
  | { kind: 'start-network'; networkId: string }
  /** a tap of a card whose VM no longer runs */
  | { kind: 'delete-tap'; name: string }
  /** the bridge of a network the inventory no longer has */
  | { kind: 'delete-bridge'; name: string }
  | { kind: 'delete-table'; name: string }
  /** the folder (and the dnsmasq, if one runs from it) of a network the inventory no longer has */
  | { kind: 'remove-network-folder'; networkId: string };

export function reconcileActions(f: ReconcileFacts): ReconcileAction[] {
  const actions: ReconcileAction[] = [];
  const known = new Set(f.networks.map((n) => n.id));
  for (const n of f.networks) if (f.inUse.has(n.id) && n.mode !== 'bridged') actions.push({ kind: 'start-network', networkId: n.id });
  for (const l of f.links) {
    const a = parseAlias(l.alias);
    if (!a || a.home !== f.home) continue;
    if (a.kind === 'tap' && !f.wantedTaps.has(l.name)) actions.push({ kind: 'delete-tap', name: l.name });
    if (a.kind === 'network' && !known.has(a.networkId) && l.kind === 'bridge') actions.push({ kind: 'delete-bridge', name: l.name });
  }
  const tables = new Set(f.networks.map((n) => f.tableOf(n.id)));
  for (const t of f.tables) if (!tables.has(t)) actions.push({ kind: 'delete-table', name: t });
  for (const id of f.folders) if (!known.has(id)) actions.push({ kind: 'remove-network-folder', networkId: id });
  return actions;
}

export type LinkDecision = { kind: 'create' } | { kind: 'adopt' } | { kind: 'conflict'; message: string };

/**
 * A network's bridge (or a card's tap): make it when absent, adopt it when it is the same kind and
 * carries our alias, refuse anything else (never take over an interface Hangar did not make).
 */
export function linkDecision(existing: HostLink | undefined, want: { kind: 'bridge' | 'tun'; alias: string }): LinkDecision {
  if (!existing) return { kind: 'create' };
  if (existing.kind === want.kind && existing.alias === want.alias) return { kind: 'adopt' };
  return { kind: 'conflict', message: `the host has an interface named '${existing.name}' that Hangar did not make` };
}

export type DnsmasqDecision = 'start' | 'keep' | 'restart';

/**
 * dnsmasq: start one when none of ours runs; keep the running one when its configuration is what it
 * would be now (it re-reads reservations on SIGHUP); restart it when the configuration changed.
 */
export function dnsmasqDecision(running: boolean, sameConfig: boolean): DnsmasqDecision {
  if (!running) return 'start';
  return sameConfig ? 'keep' : 'restart';
}

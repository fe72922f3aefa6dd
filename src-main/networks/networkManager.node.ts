// The owner's networks: the inventory objects, and the host parts each one needs while VMs use it — a
// Linux bridge, a dnsmasq for DHCP and DNS, an nftables table, a tap per card — made on first use,
// adopted (never made twice) by an owner that starts again, removed when the network is deleted.
// The decisions are pure (model.ts, reconcile.ts, dnsmasq.ts, nftables.ts); this file carries them out.
import { randomUUID, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { HangarError, invalidInput, type ErrorIssue } from '../../src-vmm/base/errors.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import type { Nic } from '../../src-vmm/model/index.js';
import type { NicAttachment } from '../../src-vmm/qemu/devices.js';
import { NETWORK_BRIDGE_MISSING, NETWORK_IN_USE, NETWORK_NEEDS_PRIVILEGE, NETWORK_NOT_FOUND } from '../api/issueCodes.js';
import type { HangarInventory, VmRow } from '../inventory/hangarInventory.node.js';
import { isProcessAlive } from '../owner/lock.node.js';
import { dhcpHostsFile, dnsHostsFile, dnsmasqConfig, leasedAddresses, needsDnsmasq, parseLeases, type DnsmasqFiles, type Lease } from './dnsmasq.js';
import { addressPlan, nextReservation, parseSubnet } from './ipv4.js';
import { forwardsAllowed, hostnameFor, planNetwork, type NetworkCreateInput, type NetworkMode, type NetworkRecord } from './model.js';
import { nftDeleteScript, nftReplaceScript, nftRuleset, nftTableName, NFT_TABLE_PREFIX, type NatForward } from './nftables.js';
import { dnsmasqDecision, linkDecision, reconcileActions } from './reconcile.js';
import { homeTag, networkAlias, parseAlias, tapAlias, tapName, type HostLink } from './hostState.js';
import { bridgeHelperFor, HostTools, processHasNetAdmin } from './hostTools.node.js';

export interface NetworkManagerDeps {
  home: string;
  inventory: HangarInventory;
  log: (line: string) => void;
  tools?: HostTools;
  /** whether this owner may make bridges, taps and nftables rules (default: it holds CAP_NET_ADMIN) */
  privileged?: boolean;
  /** a network's leases changed: the VMs with cards on it (their addresses may have changed) */
  leasesChanged?: (vmIds: string[]) => void;
}

export interface NetworkDetails {
  id: string;
  name: string;
  mode: NetworkMode;
  subnet: string | null;
  dhcp: boolean;
  bridge: string;
  /** the VMs with a card on it */
  vms: string[];
  /** the host's address on it (nat, hostonly), or null */
  gateway: string | null;
  dhcpRange: { first: string; last: string } | null;
  /** how cards reach it on this host now: a bridge, or (internal, without privileges) QEMU's multicast socket */
  transport: 'bridge' | 'multicast';
  /** its bridge exists on the host now (multicast: always false) */
  up: boolean;
  reservations: { vm: string; nic: string; mac: string; address: string; hostname: string | null; leased: boolean }[];
}

/** What a card on a network needs from the host, decided before anything is made. */
type CardPlan = { nic: Nic; network: NetworkRecord; attachment: NicAttachment };

const DNSMASQ_STOP_MS = 5_000;

export class NetworkManager {
  readonly tag: string;
  readonly privileged: boolean;
  private readonly tools: HostTools;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly leaseWatchers = new Map<string, FSWatcher>();

  constructor(private readonly d: NetworkManagerDeps) {
    this.tag = homeTag(d.home);
    this.privileged = d.privileged ?? processHasNetAdmin();
    this.tools = d.tools ?? new HostTools(d.log);
  }

  /** Host changes one at a time: two VMs starting on one network must not both make its bridge. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ------------------------------------------------------------------ the objects

  list(): NetworkRecord[] {
    return this.d.inventory.networks.list();
  }

  find(ref: string): NetworkRecord {
    const n = this.d.inventory.networks.findByRef(ref);
    if (!n) {
      const message = `no network named or with id '${ref}'`;
      throw new HangarError('NOT_FOUND', message, { details: { issues: [{ path: 'network', message, code: NETWORK_NOT_FOUND, data: { network: ref } }] } });
    }
    return n;
  }

  /** VMs with a card on the network, in the inventory's order. */
  usersOf(networkId: string): VmRow[] {
    return this.d.inventory.vms.list().filter((r) => r.config.nics.some((n) => n.network === networkId));
  }

  /** `id`: the id the network gets (an import names it before it is made); a new one otherwise. */
  async create(input: NetworkCreateInput, opts: { id?: string } = {}): Promise<NetworkRecord> {
    const existing = this.d.inventory.networks.findByRef(input.name);
    if (existing && existing.name.toLowerCase() === input.name.toLowerCase()) {
      const message = `a network named '${existing.name}' already exists`;
      throw new HangarError('ALREADY_EXISTS', message, { details: { issues: [{ path: 'name', message }] } });
    }
    const host = await this.tools.facts().catch((e: unknown) => {
      // Without iproute2 nothing can be checked against the host: say so rather than guess.
      throw e instanceof HangarError ? e : new HangarError('IO_ERROR', String(e));
    });
    const planned = planNetwork(input, { networks: this.list(), host, rand: () => randomInt(0, 2 ** 32) / 2 ** 32 });
    if (!planned.ok) throw invalidInput(planned.issues);
    return this.d.inventory.networks.insert({ id: opts.id ?? randomUUID(), createdAt: new Date().toISOString(), ...planned.value });
  }

  /** Deletes a network no VM uses, with whatever of it the host has; refused (naming the VMs) while in use. */
  async delete(ref: string): Promise<{ id: string }> {
    const n = this.find(ref);
    const users = this.usersOf(n.id).map((r) => r.name);
    if (users.length) {
      const list = users.map((u) => `'${u}'`).join(', ');
      throw new HangarError('STATE_CONFLICT', `network '${n.name}' is in use by ${users.length === 1 ? 'VM' : 'VMs'} ${list}`, {
        details: { issues: [{ path: '', message: 'VMs have cards on it', code: NETWORK_IN_USE, data: { network: n.name, vms: users } }] },
      });
    }
    return this.exclusive(async () => {
      await this.teardown(n);
      this.d.inventory.networks.delete(n.id);
      return { id: n.id };
    });
  }

  async details(n: NetworkRecord): Promise<NetworkDetails> {
    const plan = n.subnet ? (() => {
      const p = parseSubnet(n.subnet);
      return p.ok ? addressPlan(p.cidr) : null;
    })() : null;
    const transport = this.transportOf(n);
    let up = false;
    if (transport === 'bridge') up = (await this.tools.links().catch(() => [] as HostLink[])).some((l) => l.name === n.bridge);
    const leases = this.leases(n);
    const now = Date.now() / 1000;
    const vms = new Map(this.d.inventory.vms.list().map((r) => [r.id, r]));
    const reservations = this.d.inventory.networks.reservations(n.id).flatMap((r) => {
      const vm = vms.get(r.vmId);
      const nic = vm?.config.nics.find((c) => c.mac === r.mac && c.network === n.id);
      if (!vm || !nic) return [];
      return [{ vm: vm.name, nic: nic.id, mac: r.mac, address: r.address, hostname: r.hostname, leased: leasedAddresses(leases, r.mac, now).includes(r.address) }];
    });
    return {
      id: n.id,
      name: n.name,
      mode: n.mode,
      subnet: n.subnet,
      dhcp: n.dhcp,
      bridge: n.bridge,
      vms: this.usersOf(n.id).map((r) => r.name),
      gateway: plan && (n.mode === 'nat' || n.mode === 'hostonly') ? plan.gateway : null,
      dhcpRange: plan && n.dhcp ? plan.pool : null,
      transport,
      up,
      reservations,
    };
  }

  /** Without the privilege to make a bridge, an internal network without DHCP runs on QEMU's multicast socket. */
  transportOf(n: NetworkRecord): 'bridge' | 'multicast' {
    return !this.privileged && n.mode === 'internal' && !n.dhcp && n.mcast ? 'multicast' : 'bridge';
  }

  // ------------------------------------------------------------------ checks for create and modify

  /**
   * Problems with the cards a VM is to have, at the request's paths (`nics[1].network`): networks that
   * do not exist, port forwards on a card whose network does no NAT.
   */
  cardIssues(nics: readonly { network?: string | undefined; forwards?: readonly unknown[] | undefined }[], path = 'nics'): ErrorIssue[] {
    const issues: ErrorIssue[] = [];
    nics.forEach((c, i) => {
      if (c.network === undefined) return;
      const n = this.d.inventory.networks.get(c.network);
      if (!n) {
        issues.push({ path: `${path}[${i}].network`, message: `network card ${i + 1} is on a network that does not exist`, code: NETWORK_NOT_FOUND, data: { network: c.network } });
        return;
      }
      if (c.forwards?.length && !forwardsAllowed(n.mode)) {
        issues.push({ path: `${path}[${i}].forwards`, message: `port forwards need NAT: network '${n.name}' is ${n.mode}` });
      }
    });
    return issues;
  }

  // ------------------------------------------------------------------ VMs that start, run and end

  /** How each card of the VM reaches its network; refused in one line when this owner cannot make it so. */
  private planCards(row: VmRow, nics: readonly Nic[] = row.config.nics): CardPlan[] {
    const plans: CardPlan[] = [];
    for (const nic of nics) {
      if (nic.network === undefined) continue;
      const n = this.d.inventory.networks.get(nic.network);
      if (!n) throw new HangarError('NOT_FOUND', `network card ${nic.id} of VM '${row.name}' is on a network that no longer exists`, { details: { issues: [{ path: '', message: 'network gone', code: NETWORK_NOT_FOUND, data: { vm: row.name, nic: nic.id } }] } });
      if (nic.forwards.length && !forwardsAllowed(n.mode)) throw invalidInput([{ path: '', message: `port forwards of card ${nic.id} need NAT, and network '${n.name}' is ${n.mode}` }]);
      if (this.transportOf(n) === 'multicast') {
        const [group, port] = n.mcast!.split(':');
        plans.push({ nic, network: n, attachment: { kind: 'mcast', group: group!, port: Number(port) } });
      } else if (this.privileged) {
        plans.push({ nic, network: n, attachment: { kind: 'tap', ifname: tapName(this.tag, row.id, nic.id) } });
      } else {
        // Without the privilege, QEMU's qemu-bridge-helper may still put the card on a bridge that
        // exists: the host's (bridged), or one a privileged owner of this home made (checked, with its
        // dnsmasq, before the start: assertHostBridges). Port forwards would need nftables rules.
        const h = bridgeHelperFor(n.bridge);
        if (!('helper' in h)) throw this.needsPrivilege(n, h.why);
        if (nic.forwards.length) throw this.needsPrivilege(n, `the port forwards of card ${nic.id} need nftables rules`);
        plans.push({ nic, network: n, attachment: { kind: 'bridge', bridge: n.bridge, helper: h.helper } });
      }
    }
    return plans;
  }

  /** `helperWhy`: why qemu-bridge-helper cannot attach its cards instead. */
  private needsPrivilege(n: NetworkRecord, helperWhy?: string): HangarError {
    const what =
      n.mode === 'bridged'
        ? `a tap on bridge ${n.bridge}`
        : n.mode === 'internal'
          ? `its bridge ${n.bridge} (an internal network with DHCP needs one)`
          : `its bridge ${n.bridge}, taps, dnsmasq and nftables rules`;
    const message = `network '${n.name}' (${n.mode}) needs ${what}, which only a Hangar running with the CAP_NET_ADMIN capability can make: grant it once by running Hangar as root, or by starting it with that capability (setpriv --ambient-caps +net_admin,+net_bind_service,+net_raw)${helperWhy ? `; or by letting qemu-bridge-helper attach it, which cannot now: ${helperWhy}` : ''}`;
    return new HangarError('UNSUPPORTED', message, { details: { issues: [{ path: '', message, code: NETWORK_NEEDS_PRIVILEGE, data: { network: n.name, mode: n.mode } }] } });
  }

  /** How the VM's cards will reach their networks, checked (privileges, networks, forwards) before anything is made. */
  planAttachments(row: VmRow): Record<string, NicAttachment> {
    const plans = this.planCards(row);
    this.assertForwardsFree(row, row.config.nics);
    return Object.fromEntries(plans.map((p) => [p.nic.id, p.attachment]));
  }

  /**
   * Before a VM starts, the bridges its cards join and this owner cannot make: the host's own (bridged
   * networks), and, without the privilege, those qemu-bridge-helper joins (made earlier by a privileged
   * owner of this home, with its dnsmasq). Each must be there, or one line says which is not.
   */
  async assertHostBridges(row: VmRow): Promise<void> {
    this.planCards(row); // what needs no look at the host is refused first
    const networks = [...new Set(row.config.nics.flatMap((c) => (c.network ? [c.network] : [])))].flatMap((id) => {
      const n = this.d.inventory.networks.get(id);
      return n && (n.mode === 'bridged' || (!this.privileged && this.transportOf(n) === 'bridge')) ? [n] : [];
    });
    if (networks.length === 0) return;
    const links = await this.tools.links();
    for (const n of networks) {
      if (n.mode === 'bridged') {
        const br = links.find((l) => l.name === n.bridge);
        if (!br || br.kind !== 'bridge') throw this.bridgeMissing(n, links);
      } else {
        const why = this.notMadeYet(n, links);
        if (why) throw this.needsPrivilege(n, why);
      }
    }
  }

  /** Why a network of Hangar's is not ready for cards an unprivileged owner attaches: its bridge or its dnsmasq is missing. */
  private notMadeYet(n: NetworkRecord, links: readonly HostLink[]): string | null {
    const br = links.find((l) => l.name === n.bridge);
    if (!br || br.kind !== 'bridge' || br.alias !== networkAlias(this.tag, n.id)) return `its bridge ${n.bridge} is not made yet (a privileged Hangar makes it when a VM first starts on it)`;
    if (needsDnsmasq(n) && this.dnsmasqPid(this.files(n.id)) === null) return `its dnsmasq does not run (a privileged Hangar starts it when a VM starts on it)`;
    return null;
  }

  /**
   * Without the privilege, a network a privileged owner made: checked once more, its dnsmasq told of the
   * reservations (where this user may: the same user made it), its leases watched. Nothing is made.
   */
  private async joinMadeNetwork(n: NetworkRecord): Promise<void> {
    const why = this.notMadeYet(n, await this.tools.links());
    if (why) throw this.needsPrivilege(n, why);
    if (!needsDnsmasq(n)) return;
    const files = this.files(n.id);
    const rs = this.d.inventory.networks.reservations(n.id);
    try {
      writeFileSync(files.dhcpHosts, dhcpHostsFile(rs), { mode: 0o600 });
      writeFileSync(files.dnsHosts, dnsHostsFile(rs), { mode: 0o600 });
      process.kill(this.dnsmasqPid(files)!, 'SIGHUP');
    } catch (e) {
      // Its cards still get addresses from the pool, but not the reserved ones, nor names.
      this.d.log(`network '${n.name}': cannot hand dnsmasq the reservations: ${(e as Error).message}`);
    }
    this.watchLeases(n);
  }

  private bridgeMissing(n: NetworkRecord, links: readonly HostLink[]): HangarError {
    const message = `bridge ${n.bridge} of network '${n.name}' is not on this host (any more)`;
    const bridges = links.filter((l) => l.kind === 'bridge').map((l) => l.name);
    return new HangarError('NOT_FOUND', message, { details: { issues: [{ path: '', message, code: NETWORK_BRIDGE_MISSING, data: { network: n.name, bridge: n.bridge, bridges } }] } });
  }

  /**
   * Before a VM starts: its networks up (made or adopted), a reservation for each card, a tap for each
   * card on a bridge. Returns the attachments for the launch, and `release` for a launch that failed.
   */
  async prepareLaunch(row: VmRow): Promise<{ attachments: Record<string, NicAttachment>; release: () => Promise<void> }> {
    const plans = this.planCards(row);
    if (plans.length === 0) return { attachments: {}, release: async () => undefined };
    this.assertForwardsFree(row, row.config.nics);
    return this.exclusive(async () => {
      const made: string[] = [];
      try {
        for (const n of uniqueNetworks(plans)) {
          if (this.transportOf(n) === 'multicast') continue;
          this.syncReservations(n);
          if (this.privileged || n.mode === 'bridged') await this.bringUp(n, [row.id]);
          else await this.joinMadeNetwork(n);
        }
        for (const p of plans) {
          if (p.attachment.kind !== 'tap') continue;
          await this.ensureTap(p.attachment.ifname, p.network.bridge, tapAlias(this.tag, row.id, p.nic.id));
          made.push(p.attachment.ifname);
        }
      } catch (e) {
        for (const t of made) await this.tools.ip('link', 'del', 'dev', t).catch(() => undefined);
        throw e;
      }
      const attachments = Object.fromEntries(plans.map((p) => [p.nic.id, p.attachment]));
      return { attachments, release: () => this.vmEnded(row.id) };
    });
  }

  /** A VM stopped (or never started): its taps go, and nat networks drop its port forwards. */
  vmEnded(vmId: string): Promise<void> {
    if (!this.privileged) return Promise.resolve();
    return this.exclusive(async () => {
      const links = await this.tools.links();
      for (const l of links) {
        const a = parseAlias(l.alias);
        if (a?.kind === 'tap' && a.home === this.tag && a.vmId === vmId) await this.tools.ip('link', 'del', 'dev', l.name).catch((e: unknown) => this.d.log(`network: ${(e as Error).message}`));
      }
      const row = this.d.inventory.vms.get(vmId);
      const nat = new Set((row?.config.nics ?? []).flatMap((c) => (c.network ? [c.network] : [])));
      for (const id of nat) {
        const n = this.d.inventory.networks.get(id);
        if (n?.mode === 'nat' && (await this.bridgeIsUp(n))) await this.applyTable(n, []);
      }
    });
  }

  /** A card plugged into a running VM: its network up, its reservation and tap made. */
  async attachCard(row: VmRow, nic: Nic): Promise<NicAttachment | undefined> {
    const [plan] = this.planCards(row, [nic]);
    if (!plan) return undefined;
    if (plan.attachment.kind === 'bridge') {
      // QEMU would have to spawn the helper, which its sandbox forbids (the VM runs with it).
      throw new HangarError('UNSUPPORTED', `card ${nic.id} joins bridge ${plan.network.bridge} through qemu-bridge-helper, which only a VM that is starting can use: stop VM '${row.name}' to add it, or give Hangar the CAP_NET_ADMIN capability`);
    }
    this.assertForwardsFree(row, [nic]);
    return this.exclusive(async () => {
      if (plan.attachment.kind === 'tap') {
        const rowWith = { ...row, config: { ...row.config, nics: [...row.config.nics.filter((c) => c.id !== nic.id), nic] } };
        this.syncReservations(plan.network, rowWith);
        await this.bringUp(plan.network, [row.id], rowWith);
        await this.ensureTap(plan.attachment.ifname, plan.network.bridge, tapAlias(this.tag, row.id, nic.id));
      }
      return plan.attachment;
    });
  }

  /** A card unplugged from a running VM: its tap goes. */
  detachCard(row: VmRow, nicId: string): Promise<void> {
    if (!this.privileged) return Promise.resolve();
    return this.exclusive(async () => {
      const name = tapName(this.tag, row.id, nicId);
      if ((await this.tools.links()).some((l) => l.name === name)) await this.tools.ip('link', 'del', 'dev', name);
    });
  }

  /** The port forwards of nat networks changed (a card's, while its VM runs): their tables are written again. */
  async refreshForwards(row: VmRow, networkIds: Iterable<string>): Promise<void> {
    await this.exclusive(async () => {
      for (const id of networkIds) {
        const n = this.d.inventory.networks.get(id);
        if (!n || n.mode !== 'nat' || !this.privileged) continue;
        this.syncReservations(n, row);
        await this.applyTable(n, [row.id], row);
      }
    });
  }

  /** A host port may be forwarded once (per protocol and address) among the running VMs and this one. */
  assertForwardsFree(row: VmRow, nics: readonly Nic[]): void {
    const taken: { vm: string; protocol: string; hostAddress: string; hostPort: number }[] = [];
    for (const other of this.d.inventory.vms.list()) {
      if (other.id === row.id || !isActive(other.state)) continue;
      for (const c of other.config.nics) for (const f of c.forwards) taken.push({ vm: other.name, ...f });
    }
    for (const c of nics) {
      for (const f of c.forwards) {
        const clash = taken.find((t) => t.protocol === f.protocol && t.hostPort === f.hostPort && (t.hostAddress === f.hostAddress || t.hostAddress === '0.0.0.0' || f.hostAddress === '0.0.0.0'));
        if (clash) throw new HangarError('STATE_CONFLICT', `host port ${f.protocol} ${f.hostAddress}:${f.hostPort} of card ${c.id} is forwarded already, to running VM '${clash.vm}'`);
      }
    }
  }

  /** The addresses each card of a running VM holds a lease on (cards on Hangar's networks; others have none here). */
  addresses(row: VmRow): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const now = Date.now() / 1000;
    const leases = new Map<string, Lease[]>();
    for (const nic of row.config.nics) {
      out[nic.id] = [];
      if (nic.network === undefined || !isActive(row.state)) continue;
      const n = this.d.inventory.networks.get(nic.network);
      if (!n) continue;
      if (!leases.has(n.id)) leases.set(n.id, this.leases(n));
      out[nic.id] = leasedAddresses(leases.get(n.id)!, nic.mac, now);
    }
    return out;
  }

  // ------------------------------------------------------------------ start-up

  /**
   * At owner start-up, with the VMs that still run: their networks are brought up again (adopting what
   * is there: the same bridge, the dnsmasq that runs, the table replaced in one transaction), and what
   * was left behind by VMs and networks that are gone is removed.
   */
  async reconcile(): Promise<void> {
    if (!this.privileged) return;
    await this.exclusive(async () => {
      const active = this.d.inventory.vms.list().filter((r) => isActive(r.state));
      const networks = this.list();
      const inUse = new Set(active.flatMap((r) => r.config.nics.flatMap((c) => (c.network ? [c.network] : []))));
      const wantedTaps = new Set(active.flatMap((r) => r.config.nics.filter((c) => c.network !== undefined).map((c) => tapName(this.tag, r.id, c.id))));
      const [links, tables] = await Promise.all([this.tools.links(), this.tools.tables(`${NFT_TABLE_PREFIX}${this.tag}_`).catch(() => [] as string[])]);
      const actions = reconcileActions({
        home: this.tag,
        networks,
        inUse,
        wantedTaps,
        links,
        tables,
        tableOf: (id) => nftTableName(this.tag, id),
        folders: this.networkFolders(),
      });
      for (const a of actions) {
        try {
          if (a.kind === 'start-network') {
            const n = networks.find((x) => x.id === a.networkId)!;
            this.syncReservations(n);
            await this.bringUp(n, []);
            this.d.log(`network '${n.name}' brought up again for its running VMs`);
          } else if (a.kind === 'delete-tap') {
            await this.tools.ip('link', 'del', 'dev', a.name);
            this.d.log(`network: removed tap ${a.name} of a VM that no longer runs`);
          } else if (a.kind === 'delete-bridge') {
            await this.tools.ip('link', 'del', 'dev', a.name);
            this.d.log(`network: removed bridge ${a.name} of a network that no longer exists`);
          } else if (a.kind === 'delete-table') {
            await this.tools.nft(nftDeleteScript(a.name));
          } else {
            await this.stopDnsmasq(this.files(a.networkId));
            rmSync(this.folder(a.networkId), { recursive: true, force: true });
          }
        } catch (e) {
          this.d.log(`network: reconcile step ${a.kind} failed: ${(e as Error).message}`);
        }
      }
    });
  }

  /** Stops watching lease files (the networks themselves stay up, as the VMs do). */
  dispose(): void {
    for (const w of this.leaseWatchers.values()) w.close();
    this.leaseWatchers.clear();
  }

  /** Tells whoever listens when dnsmasq writes the network's leases, so lists show addresses as they come. */
  private watchLeases(n: NetworkRecord): void {
    if (!this.d.leasesChanged || this.leaseWatchers.has(n.id)) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      const w = watch(this.folder(n.id), { persistent: false }, (_event, file) => {
        if (file !== null && file !== 'leases') return;
        clearTimeout(timer);
        timer = setTimeout(() => this.d.leasesChanged?.(this.usersOf(n.id).map((r) => r.id)), 200);
      });
      w.on('error', () => this.leaseWatchers.delete(n.id));
      this.leaseWatchers.set(n.id, w);
    } catch (e) {
      this.d.log(`network '${n.name}': cannot watch its leases: ${(e as Error).message}`);
    }
  }

  // ------------------------------------------------------------------ the host's parts

  private folder(networkId: string): string {
    return join(this.d.home, 'networks', networkId);
  }

  private networkFolders(): string[] {
    const dir = join(this.d.home, 'networks');
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  }

  files(networkId: string): DnsmasqFiles {
    const dir = this.folder(networkId);
    return {
      conf: join(dir, 'dnsmasq.conf'),
      dhcpHosts: join(dir, 'dhcp-hosts'),
      dnsHosts: join(dir, 'dns-hosts'),
      leases: join(dir, 'leases'),
      pid: join(dir, 'dnsmasq.pid'),
      log: join(dir, 'dnsmasq.log'),
    };
  }

  private leases(n: NetworkRecord): Lease[] {
    try {
      return parseLeases(readFileSync(this.files(n.id).leases, 'utf8'));
    } catch {
      return [];
    }
  }

  /**
   * Every card on the network gets an address that stays its own (and the VM's first card there, the
   * VM's name as a DNS label); reservations of cards no longer on it go. `extra`: a VM whose config is
   * about to change (a card plugged in).
   */
  private syncReservations(n: NetworkRecord, extra?: VmRow): void {
    if (!n.subnet) return;
    const parsed = parseSubnet(n.subnet);
    if (!parsed.ok) return;
    const repo = this.d.inventory.networks;
    const rows = this.d.inventory.vms.list().map((r) => (extra && r.id === extra.id ? extra : r));
    const cards = rows.flatMap((r) => r.config.nics.filter((c) => c.network === n.id).map((c, i) => ({ vm: r, nic: c, first: i === 0 })));
    this.d.inventory.transaction(() => {
      const existing = repo.reservations(n.id);
      const wanted = new Set(cards.map((c) => c.nic.mac));
      for (const r of existing) if (!wanted.has(r.mac)) repo.release(n.id, r.mac);
      const used = new Set(existing.filter((r) => wanted.has(r.mac)).map((r) => r.address));
      const names = new Set<string>();
      for (const c of cards) {
        const had = existing.find((r) => r.mac === c.nic.mac);
        let address = had?.address;
        if (!address) {
          address = nextReservation(parsed.cidr, used);
          if (!address) throw new HangarError('STATE_CONFLICT', `network '${n.name}' has no address left for card ${c.nic.id} of VM '${c.vm.name}'`);
          used.add(address);
        }
        const hostname = c.first ? hostnameFor(c.vm.name, names) : null;
        if (hostname) names.add(hostname);
        if (!had || had.hostname !== hostname || had.vmId !== c.vm.id || had.address !== address) repo.reserve({ networkId: n.id, mac: c.nic.mac, address, hostname, vmId: c.vm.id });
      }
    });
  }

  private async bridgeIsUp(n: NetworkRecord): Promise<boolean> {
    return (await this.tools.links()).some((l) => l.name === n.bridge && l.kind === 'bridge');
  }

  /**
   * A network's bridge, address, kernel settings, table and dnsmasq, each made or adopted. `starting`:
   * VMs whose forwards count although they do not run yet.
   */
  private async bringUp(n: NetworkRecord, starting: string[], extra?: VmRow): Promise<void> {
    const links = await this.tools.links();
    if (n.mode === 'bridged') {
      const br = links.find((l) => l.name === n.bridge);
      if (!br || br.kind !== 'bridge') throw this.bridgeMissing(n, links);
      return;
    }
    const alias = networkAlias(this.tag, n.id);
    const decision = linkDecision(links.find((l) => l.name === n.bridge), { kind: 'bridge', alias });
    if (decision.kind === 'conflict') throw new HangarError('STATE_CONFLICT', `network '${n.name}' cannot make its bridge: ${decision.message}`);
    if (decision.kind === 'create') {
      await this.tools.ip('link', 'add', 'name', n.bridge, 'type', 'bridge');
      try {
        await this.tools.ip('link', 'set', 'dev', n.bridge, 'alias', alias);
        // No IPv6 link-local address: Hangar's networks are IPv4, and an internal network must not give
        // the host any address the guests could reach.
        await this.tools.ip('link', 'set', 'dev', n.bridge, 'addrgenmode', 'none');
      } catch (e) {
        await this.tools.ip('link', 'del', 'dev', n.bridge).catch(() => undefined);
        throw e;
      }
      this.d.log(`network '${n.name}': bridge ${n.bridge} made`);
    }
    const plan = n.subnet ? (() => {
      const p = parseSubnet(n.subnet);
      return p.ok ? { ...addressPlan(p.cidr), prefix: p.cidr.prefix } : null;
    })() : null;
    // The host's address: the gateway of nat and host-only networks; an internal network has one only
    // for its dnsmasq, fenced off by its table.
    if (plan && (n.mode !== 'internal' || n.dhcp)) await this.tools.ip('addr', 'replace', `${plan.gateway}/${plan.prefix}`, 'dev', n.bridge);
    await this.tools.ip('link', 'set', 'dev', n.bridge, 'up');
    if (n.mode === 'nat') {
      // Forwards from 127.0.0.1 leave through the bridge (for this bridge only), and the host routes.
      this.tools.sysctl(`net/ipv4/conf/${n.bridge}/route_localnet`, '1');
      this.tools.sysctl('net/ipv4/ip_forward', '1');
    }
    await this.applyTable(n, starting, extra);
    if (needsDnsmasq(n)) {
      await this.ensureDnsmasq(n);
      this.watchLeases(n);
    }
  }

  /** The network's nftables table, with the port forwards of its running (and starting) VMs. */
  private async applyTable(n: NetworkRecord, starting: string[], extra?: VmRow): Promise<void> {
    const table = nftTableName(this.tag, n.id);
    const reservations = new Map(this.d.inventory.networks.reservations(n.id).map((r) => [r.mac, r.address]));
    const forwards: NatForward[] = [];
    for (const r of this.d.inventory.vms.list()) {
      const row = extra && extra.id === r.id ? extra : r;
      if (!isActive(row.state) && !starting.includes(row.id)) continue;
      for (const c of row.config.nics) {
        const address = reservations.get(c.mac);
        if (c.network !== n.id || !address) continue;
        for (const f of c.forwards) forwards.push({ protocol: f.protocol, hostAddress: f.hostAddress, hostPort: f.hostPort, guestAddress: address, guestPort: f.guestPort });
      }
    }
    const ruleset = nftRuleset(n, table, forwards);
    if (ruleset) await this.tools.nft(nftReplaceScript(table, ruleset));
  }

  private dnsmasqPid(files: DnsmasqFiles): number | null {
    try {
      const pid = Number.parseInt(readFileSync(files.pid, 'utf8').trim(), 10);
      if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return null;
      // Only ever the dnsmasq started with this network's configuration (the pid may have been reused).
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return cmdline.includes(`--conf-file=${files.conf}`) ? pid : null;
    } catch {
      return null;
    }
  }

  private async ensureDnsmasq(n: NetworkRecord): Promise<void> {
    const files = this.files(n.id);
    mkdirSync(this.folder(n.id), { recursive: true, mode: 0o700 });
    const rs = this.d.inventory.networks.reservations(n.id);
    writeFileSync(files.dhcpHosts, dhcpHostsFile(rs), { mode: 0o600 });
    writeFileSync(files.dnsHosts, dnsHostsFile(rs), { mode: 0o600 });
    const conf = dnsmasqConfig(n, files, userInfo().username);
    const before = existsSync(files.conf) ? readFileSync(files.conf, 'utf8') : null;
    const pid = this.dnsmasqPid(files);
    const decision = dnsmasqDecision(pid !== null, before === conf);
    if (decision === 'keep') {
      // It re-reads its reservation files on SIGHUP.
      process.kill(pid!, 'SIGHUP');
      return;
    }
    if (decision === 'restart') await this.stopDnsmasq(files);
    writeFileSync(files.conf, conf, { mode: 0o600 });
    // dnsmasq forks into the background once it has bound its sockets; a problem is reported before that.
    await this.tools.run('dnsmasq', [`--conf-file=${files.conf}`]);
    this.d.log(`network '${n.name}': dnsmasq started (pid ${this.dnsmasqPid(files) ?? '?'})`);
  }

  private async stopDnsmasq(files: DnsmasqFiles): Promise<void> {
    const pid = this.dnsmasqPid(files);
    if (pid === null) return;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + DNSMASQ_STOP_MS;
    while (isProcessAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  }

  private async ensureTap(name: string, bridge: string, alias: string): Promise<void> {
    const links = await this.tools.links();
    const decision = linkDecision(links.find((l) => l.name === name), { kind: 'tun', alias });
    if (decision.kind === 'conflict') throw new HangarError('STATE_CONFLICT', `cannot make tap ${name}: ${decision.message}`);
    if (decision.kind === 'create') {
      // Persistent and owned by the user QEMU runs as, so QEMU opens it without any privilege.
      await this.tools.ip('tuntap', 'add', 'dev', name, 'mode', 'tap', 'user', String(process.getuid?.() ?? 0), 'vnet_hdr');
      try {
        await this.tools.ip('link', 'set', 'dev', name, 'alias', alias);
        await this.tools.ip('link', 'set', 'dev', name, 'addrgenmode', 'none');
      } catch (e) {
        await this.tools.ip('link', 'del', 'dev', name).catch(() => undefined);
        throw e;
      }
    }
    await this.tools.ip('link', 'set', 'dev', name, 'master', bridge);
    await this.tools.ip('link', 'set', 'dev', name, 'up');
  }

  /** Everything of a network the host has: dnsmasq, table, bridge (only one Hangar made), folder. */
  private async teardown(n: NetworkRecord): Promise<void> {
    const links = await this.tools.links().catch(() => [] as HostLink[]);
    const ours = links.find((l) => l.name === n.bridge && parseAlias(l.alias)?.home === this.tag && l.alias === networkAlias(this.tag, n.id));
    const files = this.files(n.id);
    const table = nftTableName(this.tag, n.id);
    const tables = this.privileged ? await this.tools.tables(table).catch(() => [] as string[]) : [];
    const running = this.dnsmasqPid(files) !== null;
    if (!this.privileged && (ours || running)) throw this.needsPrivilege(n);
    await this.stopDnsmasq(files);
    this.leaseWatchers.get(n.id)?.close();
    this.leaseWatchers.delete(n.id);
    if (tables.includes(table)) await this.tools.nft(nftDeleteScript(table));
    if (ours) await this.tools.ip('link', 'del', 'dev', n.bridge);
    rmSync(this.folder(n.id), { recursive: true, force: true });
  }
}

function uniqueNetworks(plans: readonly CardPlan[]): NetworkRecord[] {
  const seen = new Map<string, NetworkRecord>();
  for (const p of plans) seen.set(p.network.id, p.network);
  return [...seen.values()];
}

// Performance samples for the front ends: asks a running VM's host for what it kept (the host samples;
// see src-vmm/host/statsSampler.node.ts), says which cards no counter covers, and relays each new
// sample to the connections that watch the VM.
import { toDisposable } from '../../src-vmm/base/disposable.js';
import type { ConnectionContext, Handlers } from '../../src-vmm/base/rpc.js';
import { isActive } from '../../src-vmm/protocol/states.js';
import { SAMPLE_INTERVAL_MS, type StatsSample } from '../../src-vmm/stats/samples.js';
import type { VmRow } from '../inventory/hangarInventory.node.js';
import type { Supervisor } from '../supervisor/supervisor.node.js';
import type { statsApi, VmStats } from './contract.js';

export interface StatsServiceDeps {
  supervisor: Supervisor;
  find: (ref: string) => VmRow;
  /** how a network's cards reach it here; undefined for a network the inventory no longer has */
  transportOf: (networkId: string) => 'bridge' | 'multicast' | undefined;
}

export class StatsService {
  private readonly watchers = new Map<ConnectionContext, Set<string>>();

  constructor(private readonly d: StatsServiceDeps) {}

  async stats(ref: string, sinceS?: number): Promise<VmStats> {
    const row = this.d.find(ref);
    const running = isActive(row.state) && this.d.supervisor.get(row.id) !== undefined;
    const sinceMs = sinceS === undefined ? undefined : Date.now() - sinceS * 1000;
    let samples: StatsSample[] = [];
    if (running) {
      try {
        samples = (await this.d.supervisor.call(row.id, 'host.stats', sinceMs === undefined ? {} : { sinceMs }, { timeoutMs: 10_000 })).samples;
      } catch {
        // The VM stopped meanwhile: nothing is kept for it any more.
      }
    }
    return { id: row.id, running, intervalMs: SAMPLE_INTERVAL_MS, samples, netUnmeasured: this.unmeasured(row) };
  }

  /** Cards whose traffic has no counter: user-mode NAT (QEMU 7.2 keeps none for slirp) and multicast sockets. */
  private unmeasured(row: VmRow): VmStats['netUnmeasured'] {
    return row.config.nics.flatMap((n) => {
      if (!n.network) return [{ nic: n.id, reason: 'user-mode NAT: QEMU 7.2 keeps no traffic counters for it' }];
      if (this.d.transportOf(n.network) === 'multicast') return [{ nic: n.id, reason: "an internal network on QEMU's multicast socket, which keeps no traffic counters" }];
      return [];
    });
  }

  idOf(ref: string): string {
    return this.d.find(ref).id;
  }

  watch(conn: ConnectionContext, vmId: string): void {
    let set = this.watchers.get(conn);
    if (!set) {
      set = new Set();
      this.watchers.set(conn, set);
      conn.resources.add(toDisposable(() => this.watchers.delete(conn)));
    }
    set.add(vmId);
  }

  unwatch(conn: ConnectionContext, vmId: string): void {
    this.watchers.get(conn)?.delete(vmId);
  }

  /** A VM's host sampled: to the connections that watch it. */
  publish(vmId: string, sample: StatsSample): void {
    for (const [conn, ids] of this.watchers) if (ids.has(vmId)) conn.emit('vm.sample', { id: vmId, sample });
  }
}

export function statsHandlers(s: StatsService): Handlers<typeof statsApi> {
  return {
    'vm.stats': async ({ ref, sinceS }) => s.stats(ref, sinceS),
    'vm.statsWatch': async ({ ref }, ctx) => {
      const r = await s.stats(ref);
      s.watch(ctx.connection, r.id);
      return r;
    },
    'vm.statsUnwatch': async ({ ref }, ctx) => {
      s.unwatch(ctx.connection, s.idOf(ref));
      return null;
    },
  };
}

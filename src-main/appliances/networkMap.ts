// The networks an appliance names, mapped to Hangar's (pure): each source network (its cards'
// `Connection`) goes to a Hangar network (chosen, or created by the import), or to user-mode NAT of
// each card's own. Without a choice, a Hangar network of the same name is taken, else user-mode NAT.
import { z } from 'zod';
import { NETWORK_MODES, type NetworkRecord } from '../networks/model.js';
import { choiceValues } from '../../src-vmm/model/index.js';
import type { MachinePlan } from './plan.js';

export const NetworkTarget = z.discriminatedUnion('kind', [
  /** user-mode NAT of the card's own (what a VM gets without a network) */
  z.object({ kind: z.literal('nat') }).strict(),
  /** a Hangar network, by name or id */
  z.object({ kind: z.literal('network'), network: z.string().min(1).max(4096) }).strict(),
  /** a new Hangar network the import makes (its subnet a free one unless given) */
  z
    .object({
      kind: z.literal('create'),
      name: z.string().max(10_000),
      mode: z.enum(choiceValues(NETWORK_MODES)),
      subnet: z.string().max(64).optional(),
      bridge: z.string().max(64).optional(),
    })
    .strict(),
]);
export type NetworkTarget = z.infer<typeof NetworkTarget>;

export const NetworkMapping = z.object({ source: z.string().max(200), target: NetworkTarget }).strict();
export type NetworkMapping = z.infer<typeof NetworkMapping>;

/** A network the appliance names, how many of its cards use it, and what it maps to without a choice. */
export const SourceNetwork = z.object({ source: z.string(), cards: z.number(), suggested: NetworkTarget });
export type SourceNetwork = z.infer<typeof SourceNetwork>;

/** A Hangar network of the same name (any case), else user-mode NAT ('NAT', VirtualBox's name for it, included). */
export function suggestTarget(source: string, networks: readonly Pick<NetworkRecord, 'name'>[]): NetworkTarget {
  const same = networks.find((n) => n.name.toLowerCase() === source.toLowerCase());
  return same ? { kind: 'network', network: same.name } : { kind: 'nat' };
}

/** The appliance's networks in the order its cards name them, each once. */
export function sourceNetworks(machines: readonly Pick<MachinePlan, 'nics'>[], networks: readonly Pick<NetworkRecord, 'name'>[]): SourceNetwork[] {
  const out: SourceNetwork[] = [];
  for (const m of machines) {
    for (const n of m.nics) {
      const have = out.find((s) => s.source === n.network);
      if (have) have.cards++;
      else out.push({ source: n.network, cards: 1, suggested: suggestTarget(n.network, networks) });
    }
  }
  return out;
}

/**
 * What each source network maps to: the mappings given, the suggestion for the others. A mapping
 * for a network the appliance does not name is a mistake, said at its index.
 */
export function resolveMappings(sources: readonly SourceNetwork[], given: readonly NetworkMapping[]): { targets: Map<string, NetworkTarget>; problems: { index: number; message: string }[] } {
  const targets = new Map(sources.map((s) => [s.source, s.suggested]));
  const problems: { index: number; message: string }[] = [];
  given.forEach((g, index) => {
    if (!targets.has(g.source)) problems.push({ index, message: `the appliance has no network named '${g.source}'${sources.length ? ` (it names ${sources.map((s) => `'${s.source}'`).join(', ')})` : ''}` });
    else targets.set(g.source, g.target);
  });
  return { targets, problems };
}

/** How a target reads for people: 'user-mode NAT', "network 'lab'", "new hostonly network 'lab'". */
export function describeTarget(t: NetworkTarget): string {
  switch (t.kind) {
    case 'nat':
      return 'user-mode NAT';
    case 'network':
      return `network '${t.network}'`;
    case 'create':
      return `new ${t.mode} network '${t.name}'`;
  }
}

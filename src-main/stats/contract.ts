// The performance graphs' part of the owner's API (pure): the samples of the last hour of a running VM,
// and a subscription to the new ones as they come (one a second).
import { z } from 'zod';
import { method } from '../../src-vmm/base/rpc.js';
import { StatsSample } from '../../src-vmm/stats/samples.js';

const Ref = z.string().min(1, 'a VM name or id is needed').max(4096);

export { StatsSample };

export const VmStats = z.object({
  id: z.string(),
  /** false: the VM does not run, and nothing is sampled (samples are kept while it runs) */
  running: z.boolean(),
  intervalMs: z.number(),
  samples: z.array(StatsSample),
  /** the cards whose traffic no counter shows (their share of netRxBps/netTxBps is missing), and why */
  netUnmeasured: z.array(z.object({ nic: z.string(), reason: z.string() })),
});
export type VmStats = z.infer<typeof VmStats>;

export const statsApi = {
  /** the samples of the last `sinceS` seconds (default: all kept, the last hour) */
  'vm.stats': method(z.object({ ref: Ref, sinceS: z.number().positive('since must be more than 0 seconds').max(86_400).optional() }).strict(), VmStats),
  /** the samples kept, and `vm.sample` events for this VM on this connection from now on */
  'vm.statsWatch': method(z.object({ ref: Ref }).strict(), VmStats),
  'vm.statsUnwatch': method(z.object({ ref: Ref }).strict(), z.null()),
};

export const statsEvents = {
  /** a new performance sample of a VM this connection watches */
  'vm.sample': z.object({ id: z.string(), sample: StatsSample }),
};

// Actions on several VMs at once (pure): which of the ticked VMs can take the action and why the
// others cannot, and a runner that makes one call per VM (each its own task in the owner) with a
// few at a time, collecting what each did. The interface's bulk bar and the integration test use it.
import type { VmSummary } from '../api/apiTypes.js';
import type { Client } from '../../src-vmm/base/rpc.js';
import type { HangarApi } from '../../src-main/api/contract.js';
import { canDo, stateLabel, type VmAction } from './vmState.js';

export const BULK_ACTIONS = ['start', 'stop', 'save', 'snapshot', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export const BULK_LABELS: Record<BulkAction, { verb: string; done: string }> = {
  start: { verb: 'Start', done: 'started' },
  stop: { verb: 'Stop', done: 'asked to shut down' },
  save: { verb: 'Save state', done: 'saved' },
  snapshot: { verb: 'Take snapshot', done: 'snapshotted' },
  delete: { verb: 'Delete', done: 'deleted' },
};

/** The state rule each bulk action follows (a snapshot is taken in any settled state). */
function allowed(vm: VmSummary, a: BulkAction): boolean {
  if (a === 'snapshot') return vm.state !== 'starting' && vm.state !== 'stopping';
  const rule: VmAction = a;
  return canDo(vm.state, rule);
}

export interface BulkPlan {
  run: VmSummary[];
  skip: { vm: VmSummary; reason: string }[];
}

export function planBulk(vms: readonly VmSummary[], action: BulkAction): BulkPlan {
  const plan: BulkPlan = { run: [], skip: [] };
  for (const vm of vms) {
    if (allowed(vm, action)) plan.run.push(vm);
    else plan.skip.push({ vm, reason: `“${vm.name}” is ${stateLabel(vm.state).toLowerCase()}` });
  }
  return plan;
}

export interface BulkResult {
  ok: VmSummary[];
  failed: { vm: VmSummary; message: string }[];
}

/** Runs `call` for every VM, at most `concurrency` at once; never throws (failures are collected). */
export async function runBulk(vms: readonly VmSummary[], call: (vm: VmSummary) => Promise<unknown>, concurrency = 4, signal?: AbortSignal): Promise<BulkResult> {
  const result: BulkResult = { ok: [], failed: [] };
  let next = 0;
  const worker = async () => {
    while (next < vms.length && !signal?.aborted) {
      const vm = vms[next++]!;
      try {
        await call(vm);
        result.ok.push(vm);
      } catch (e) {
        result.failed.push({ vm, message: e instanceof Error ? e.message : String(e) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, vms.length)) }, worker));
  // in the order given, whatever order they finished in
  const order = new Map(vms.map((v, i) => [v.id, i]));
  result.ok.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  result.failed.sort((a, b) => order.get(a.vm.id)! - order.get(b.vm.id)!);
  return result;
}

/** One sentence on how a bulk action went. */
export function bulkSummary(action: BulkAction, plan: BulkPlan, r: BulkResult): string {
  const total = plan.run.length + plan.skip.length;
  const parts = [`${r.ok.length} of ${total} ${BULK_LABELS[action].done}`];
  if (plan.skip.length) parts.push(`skipped ${plan.skip.map((s) => s.reason).join(', ')}`);
  if (r.failed.length) parts.push(`failed: ${r.failed.map((f) => `“${f.vm.name}” (${f.message})`).join(', ')}`);
  return `${parts.join('; ')}.`;
}

/** The one call each bulk action makes for a VM: a stop presses the power button (a 'vm.stop' task then watches the guest). */
export function bulkCall(api: Pick<Client<HangarApi>, 'call'>, action: BulkAction, vm: VmSummary): Promise<unknown> {
  switch (action) {
    case 'start':
      return api.call('vm.start', { ref: vm.id });
    case 'stop':
      return api.call('vm.stop', { ref: vm.id, wait: false });
    case 'save':
      return api.call('vm.save', { ref: vm.id });
    case 'snapshot':
      return api.call('snapshot.take', { ref: vm.id, name: '' });
    case 'delete':
      return api.call('vm.delete', { ref: vm.id });
  }
}

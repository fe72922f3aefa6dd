// `hangar stats VM [--since S] [--json]`: the performance samples of a running VM, as the Performance
// tab charts them. The JSON is the API's (`samples`, each with t, cpuPercent, memoryBytes, diskReadBps,
// diskWriteBps, netRxBps, netTxBps; null where nothing can be measured).
import type { Client } from '../../src-vmm/base/rpc.js';
import type { HangarApi } from '../api/contract.js';
import { usageError, type ParsedCommand } from '../cli/args.js';
import { formatBytes, formatTable } from '../cli/output.js';
import type { VmStats } from './contract.js';

/** Without --since, the text shows the last minute (the JSON, everything kept). */
const TEXT_WINDOW_S = 60;

/** `--since 90`, `--since 90s`, `--since 5m`, `--since 1h`: seconds. */
export function parseSince(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([smh]?)$/.exec(text.trim());
  const s = m ? Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1) : Number.NaN;
  if (!(s > 0)) throw usageError(`--since takes seconds (or 5m, 1h), more than 0, not '${text}'`);
  return Math.min(s, 86_400);
}

export async function statsCommand(api: Client<HangarApi>, p: ParsedCommand): Promise<{ value: VmStats; text: () => string }> {
  const since = p.flags.since === undefined ? undefined : parseSince(String(p.flags.since));
  const r = await api.call('vm.stats', { ref: p.args[0]!, ...(since !== undefined ? { sinceS: since } : p.flags.json ? {} : { sinceS: TEXT_WINDOW_S }) });
  return { value: r, text: () => formatStats(p.args[0]!, r) };
}

const rate = (v: number | null) => (v === null ? '-' : `${formatBytes(v)}/s`);

export function formatStats(vm: string, r: VmStats): string {
  if (!r.running) return `VM '${vm}' does not run: samples are kept while it runs (the last hour)`;
  const time = (t: string) => new Date(t).toLocaleTimeString('en-GB', { hour12: false });
  const rows = r.samples.map((s) => [time(s.t), s.cpuPercent === null ? '-' : `${s.cpuPercent.toFixed(1)}%`, s.memoryBytes === null ? '-' : formatBytes(s.memoryBytes), rate(s.diskReadBps), rate(s.diskWriteBps), rate(s.netRxBps), rate(s.netTxBps)]);
  const lines = [formatTable(['TIME', 'CPU', 'MEMORY', 'DISK READ', 'DISK WRITE', 'NET RX', 'NET TX'], rows)];
  for (const u of r.netUnmeasured) lines.push(`network card ${u.nic}: not counted (${u.reason})`);
  return lines.join('\n');
}

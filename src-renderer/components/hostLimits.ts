// The host's limits for a VM's CPUs and memory (pure), as VirtualBox's sliders show a red zone:
// values past what the host has are allowed (the API takes them) but warned about, with the host's
// figures, in the New VM wizard and in Settings.
import { countOf } from './format.js';
import { formatMiB } from './size.js';

export interface HostLimits {
  cpus: number;
  memoryMiB: number;
}

/** The host's figures from `host.info`; null while unknown (older owners do not say). */
export function hostLimitsOf(info: { hostCpus?: number | undefined; hostMemoryMiB?: number | undefined } | null): HostLimits | null {
  if (!info || !info.hostCpus || !info.hostMemoryMiB) return null;
  return { cpus: info.hostCpus, memoryMiB: info.hostMemoryMiB };
}

/** Memory above this share of the host's leaves the host itself short (VirtualBox's red zone starts about here). */
export const MEMORY_WARN_SHARE = 0.8;

export interface LimitAdvice {
  field: 'cpus' | 'memoryMiB';
  message: string;
}

function wholeNumber(text: string): number | null {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

/** Warnings for CPUs and memory as typed; none for values the host can give (or that are not numbers yet). */
export function hostLimitAdvice(draft: { cpus: string; memoryMiB: string }, host: HostLimits | null): LimitAdvice[] {
  if (!host) return [];
  const out: LimitAdvice[] = [];
  const cpus = wholeNumber(draft.cpus);
  if (cpus !== null && cpus > host.cpus) {
    out.push({ field: 'cpus', message: `More CPUs than this host has (${host.cpus}): the VM gets slower, not faster.` });
  }
  const mem = wholeNumber(draft.memoryMiB);
  if (mem !== null && mem > host.memoryMiB) {
    out.push({ field: 'memoryMiB', message: `More memory than this host has (${formatMiB(host.memoryMiB)}): the VM will fail to start or be very slow.` });
  } else if (mem !== null && mem > host.memoryMiB * MEMORY_WARN_SHARE) {
    out.push({ field: 'memoryMiB', message: `Most of this host's memory (${formatMiB(host.memoryMiB)}): little is left for the host and other VMs.` });
  }
  return out;
}

/** "This host has 2 CPUs and 23.5 GiB of memory." */
export function hostLimitsLine(host: HostLimits): string {
  return `This host has ${countOf(host.cpus, 'CPU')} and ${formatMiB(host.memoryMiB)} of memory.`;
}

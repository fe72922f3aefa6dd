// Host facts (pure): what QEMU and accelerator this host offers, how they were decided, and the
// parsing and decision rules. The I/O that gathers them is in probe.node.ts.
import { z } from 'zod';
import { HangarError } from '../base/errors.js';

export type Accelerator = 'kvm' | 'tcg';
/** /dev/kvm: missing, present but not openable read-write by this user, or openable. */
export type KvmDeviceState = 'absent' | 'no-access' | 'present';
export type ProbeOutcome = 'ok' | 'failed' | 'timeout' | 'skipped';

export interface OvmfFirmware {
  /** The read-only firmware code image. */
  code: string;
  /** The variable-store template each VM copies. */
  vars: string;
}

export interface HostFactsReport {
  qemuBinary: string;
  qemuImgBinary: string;
  /** "7.2.22" */
  qemuVersion: string;
  accelerator: Accelerator;
  /** One sentence a person understands: which accelerator and why. */
  accelReason: string;
  kvm: {
    device: KvmDeviceState;
    probe: ProbeOutcome;
    /** What the probe saw (why it failed, or how long it took). */
    detail?: string;
    /** Wall-clock time of the probe, spawn to verdict. */
    probeMs?: number;
  };
  ovmf: OvmfFirmware | null;
  /** Set when OVMF was found only in a form Hangar cannot use (a combined image without a variable store). */
  ovmfNote?: string;
  /** virtiofsd for virtio-fs shares, or why virtio-fs cannot run here (looked for at every start, not cached). */
  virtiofsd?: VirtiofsdFact;
  /** OVMF's Secure Boot build with its Microsoft-enrolled variable store, or null (looked for at every start). */
  ovmfSecureBoot?: OvmfFirmware | null;
  /** swtpm for TPMs, or why there is none (looked for at every start). */
  swtpm?: SwtpmFact;
  /** /proc/sys/kernel/random/boot_id when the facts were gathered. */
  bootId: string;
  /** ISO time of the probe. */
  probedAt: string;
}

// --- QEMU version -------------------------------------------------------------------------------

export interface QemuVersion {
  /** "7.2.22" */
  version: string;
  major: number;
  minor: number;
  micro: number;
  /** The distribution's package version in parentheses, e.g. "Debian 1:7.2+dfsg-7+deb12u18+b3". */
  packageInfo?: string;
}

/** Parses `qemu-system-x86_64 --version` (or `qemu-img --version`) output; null when it is not QEMU's. */
export function parseQemuVersion(text: string): QemuVersion | null {
  const m = /(?:QEMU emulator|qemu-img) version (\d+)\.(\d+)(?:\.(\d+))?([^\s(]*)(?:\s*\(([^)\n]*)\))?/.exec(text);
  if (!m) return null;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const micro = m[3] === undefined ? 0 : Number(m[3]);
  const v: QemuVersion = { version: `${major}.${minor}.${micro}${m[4] ?? ''}`, major, minor, micro };
  const pkg = m[5]?.trim();
  if (pkg) v.packageInfo = pkg;
  return v;
}

// --- forcing the accelerator ----------------------------------------------------------------------

/** The environment variable that forces the accelerator: kvm, tcg, or auto (the default). */
export const ACCEL_ENV = 'HANGAR_ACCEL';

/** Reads a forced accelerator choice ('kvm', 'tcg'; 'auto' or empty means none). */
export function parseAccelChoice(value: string | undefined, source = ACCEL_ENV): Accelerator | undefined {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === '' || v === 'auto') return undefined;
  if (v === 'kvm' || v === 'tcg') return v;
  throw new HangarError('INVALID_INPUT', `${source} must be kvm, tcg or auto, not '${value}'`);
}

// --- the decision -------------------------------------------------------------------------------

export interface AccelDecisionInput {
  device: KvmDeviceState;
  probe: ProbeOutcome;
  /** What the probe saw, used in the reason. */
  probeDetail?: string;
  force?: Accelerator;
  /** Who forced it, for the reason: "HANGAR_ACCEL=tcg", "--accel kvm". */
  forcedBy?: string;
}

export interface AccelDecision {
  accelerator: Accelerator;
  reason: string;
}

const TCG = 'TCG (software emulation, slower)';

function deviceProblem(device: KvmDeviceState): string | undefined {
  switch (device) {
    case 'absent':
      return '/dev/kvm does not exist, so this host offers no KVM';
    case 'no-access':
      return '/dev/kvm exists but this user cannot open it read-write (add the user to the kvm group)';
    case 'present':
      return undefined;
  }
}

/**
 * Picks the accelerator. KVM only when its probe passed, or when forced and /dev/kvm can be opened
 * (forcing overrides the probe's verdict, not a missing or closed device). TCG otherwise.
 */
export function decideAccelerator(input: AccelDecisionInput): AccelDecision {
  const { device, probe, force } = input;
  const detail = input.probeDetail?.trim();
  const by = input.forcedBy ?? (force ? `force=${force}` : '');
  const problem = deviceProblem(device);

  if (force === 'tcg') return { accelerator: 'tcg', reason: `${TCG}, forced by ${by}` };
  if (force === 'kvm') {
    if (problem) return { accelerator: 'tcg', reason: `${by} cannot be honoured: ${problem}; using ${TCG}` };
    switch (probe) {
      case 'ok':
        return { accelerator: 'kvm', reason: `KVM, forced by ${by} (the KVM probe passed too)` };
      case 'skipped':
        return { accelerator: 'kvm', reason: `KVM, forced by ${by} (KVM was not probed)` };
      case 'failed':
      case 'timeout':
        return {
          accelerator: 'kvm',
          reason: `KVM, forced by ${by}, although the KVM probe ${probe === 'failed' ? 'failed' : 'timed out'}${detail ? `: ${detail}` : ''}; guests may hang or run slowly`,
        };
    }
  }
  if (problem) return { accelerator: 'tcg', reason: `${TCG}: ${problem}` };
  switch (probe) {
    case 'ok':
      return { accelerator: 'kvm', reason: `KVM: the probe guest booted and ran at hardware speed${detail ? ` (${detail})` : ''}` };
    case 'failed':
      return { accelerator: 'tcg', reason: `KVM probe failed${detail ? `: ${detail}` : ''}; using ${TCG}` };
    case 'timeout':
      return { accelerator: 'tcg', reason: `KVM probe timed out${detail ? `: ${detail}` : ''}; using ${TCG}` };
    case 'skipped':
      return { accelerator: 'tcg', reason: `KVM was not probed, so it is not trusted; using ${TCG}` };
  }
}

// --- reading QEMU's stderr ---------------------------------------------------------------------------

/**
 * The line of QEMU's stderr that best says why it stopped, shortened:
 * "qemu-system-x86_64: ../target/i386/kvm/kvm.c:3029: kvm_buf_set_msrs: Assertion `…' failed."
 * becomes "qemu aborted with 'kvm_buf_set_msrs: Assertion failed'". Warnings are used only when
 * nothing else was printed. Undefined when stderr was empty.
 */
export function summarizeQemuStderr(lines: readonly string[]): string | undefined {
  const clean = lines.map((l) => l.trim()).filter((l) => l !== '');
  for (let i = clean.length - 1; i >= 0; i--) {
    const m = /([A-Za-z_][\w]*): Assertion .* failed/.exec(clean[i]!);
    if (m) return `qemu aborted with '${m[1]}: Assertion failed'`;
  }
  const strip = (l: string) => l.replace(/^(?:\S*\/)?qemu-system-[\w-]+:\s*/, '').replace(/^qemu-[\w-]+:\s*/, '');
  const useful = clean.filter((l) => !/(^|: )warning: /i.test(l) && !/terminating on signal/.test(l));
  const last = useful.at(-1) ?? clean.at(-1);
  return last === undefined ? undefined : `qemu said '${strip(last)}'`;
}

// --- OVMF -----------------------------------------------------------------------------------------

/** Where distributions put OVMF's code + variable-store pair, best first: Debian/Ubuntu, Fedora/RHEL, Arch, older layouts. */
export const OVMF_CANDIDATES: readonly OvmfFirmware[] = [
  { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' },
  { code: '/usr/share/OVMF/OVMF_CODE.fd', vars: '/usr/share/OVMF/OVMF_VARS.fd' },
  { code: '/usr/share/edk2/ovmf/OVMF_CODE.fd', vars: '/usr/share/edk2/ovmf/OVMF_VARS.fd' },
  { code: '/usr/share/edk2/x64/OVMF_CODE.4m.fd', vars: '/usr/share/edk2/x64/OVMF_VARS.4m.fd' },
  { code: '/usr/share/edk2/x64/OVMF_CODE.fd', vars: '/usr/share/edk2/x64/OVMF_VARS.fd' },
  { code: '/usr/share/edk2-ovmf/x64/OVMF_CODE.fd', vars: '/usr/share/edk2-ovmf/x64/OVMF_VARS.fd' },
];

/** Combined images (code and variables in one file, no template to copy per VM): noted, not used. */
export const OVMF_COMBINED_CANDIDATES: readonly string[] = ['/usr/share/qemu/OVMF.fd', '/usr/share/ovmf/OVMF.fd'];

/** The first pair whose two files exist; when there is none but a combined image exists, a note saying so. */
export function pickOvmf(
  exists: (path: string) => boolean,
  candidates: readonly OvmfFirmware[] = OVMF_CANDIDATES,
  combined: readonly string[] = OVMF_COMBINED_CANDIDATES,
): { ovmf: OvmfFirmware | null; note?: string } {
  const pair = candidates.find((c) => exists(c.code) && exists(c.vars));
  if (pair) return { ovmf: { code: pair.code, vars: pair.vars } };
  const single = combined.find((p) => exists(p));
  if (single === undefined) return { ovmf: null };
  return {
    ovmf: null,
    note: `only ${single} was found, a combined OVMF image without a separate variable store; UEFI needs the OVMF_CODE/OVMF_VARS pair (install the ovmf package)`,
  };
}

// --- helpers: virtiofsd ------------------------------------------------------------------------------

export type VirtiofsdFact = { binary: string } | { binary: null; reason: string };

/** Where distributions put QEMU's virtiofsd, best first: Debian/Ubuntu, Fedora/RHEL, Arch and others. */
export const VIRTIOFSD_CANDIDATES: readonly string[] = ['/usr/lib/qemu/virtiofsd', '/usr/libexec/virtiofsd', '/usr/lib/virtiofsd', '/usr/bin/virtiofsd'];

/**
 * Whether virtio-fs shares can run here. QEMU's C virtiofsd (Debian 12's, in qemu-system-common) must run
 * as root: it sets up its sandbox with mount namespaces and keeps a lock under /run. Elsewhere 9p shares
 * (QEMU's own server) still work.
 */
export function pickVirtiofsd(exists: (path: string) => boolean, uid: number, candidates: readonly string[] = VIRTIOFSD_CANDIDATES): VirtiofsdFact {
  const binary = candidates.find((p) => exists(p));
  if (!binary) return { binary: null, reason: 'virtiofsd is not installed (Debian: qemu-system-common)' };
  if (uid !== 0) return { binary: null, reason: `${binary} must run as root, and Hangar runs as user ${uid}` };
  return { binary };
}

// --- helpers: swtpm, Secure Boot firmware ------------------------------------------------------

export type SwtpmFact = { binary: string } | { binary: null; reason: string };

export const SWTPM_CANDIDATES: readonly string[] = ['/usr/bin/swtpm', '/usr/local/bin/swtpm'];

export function pickSwtpm(exists: (path: string) => boolean, candidates: readonly string[] = SWTPM_CANDIDATES): SwtpmFact {
  const binary = candidates.find((p) => exists(p));
  return binary ? { binary } : { binary: null, reason: 'swtpm is not installed (Debian: the swtpm package)' };
}

/**
 * OVMF built for Secure Boot (it requires SMM) and the variable store with Microsoft's keys enrolled and
 * Secure Boot on: Debian's .ms pair, Fedora's .secboot pair.
 */
export const OVMF_SECURE_BOOT_CANDIDATES: readonly OvmfFirmware[] = [
  { code: '/usr/share/OVMF/OVMF_CODE_4M.ms.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' },
  { code: '/usr/share/OVMF/OVMF_CODE.ms.fd', vars: '/usr/share/OVMF/OVMF_VARS.ms.fd' },
  { code: '/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd', vars: '/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd' },
];

export function pickOvmfSecureBoot(exists: (path: string) => boolean, candidates: readonly OvmfFirmware[] = OVMF_SECURE_BOOT_CANDIDATES): OvmfFirmware | null {
  const pair = candidates.find((c) => exists(c.code) && exists(c.vars));
  return pair ? { code: pair.code, vars: pair.vars } : null;
}

// --- the cache file ---------------------------------------------------------------------------------

export const HOST_FACTS_FILE = 'host-facts.json';
const CACHE_VERSION = 1;

const reportSchema = z
  .object({
    qemuBinary: z.string().min(1),
    qemuImgBinary: z.string().min(1),
    qemuVersion: z.string().min(1),
    accelerator: z.enum(['kvm', 'tcg']),
    accelReason: z.string().min(1),
    kvm: z
      .object({
        device: z.enum(['absent', 'no-access', 'present']),
        probe: z.enum(['ok', 'failed', 'timeout', 'skipped']),
        detail: z.string().optional(),
        probeMs: z.number().nonnegative().optional(),
      })
      .strict(),
    ovmf: z.object({ code: z.string().min(1), vars: z.string().min(1) }).strict().nullable(),
    ovmfNote: z.string().optional(),
    virtiofsd: z.union([z.object({ binary: z.string() }).strict(), z.object({ binary: z.null(), reason: z.string() }).strict()]).optional(),
    ovmfSecureBoot: z.object({ code: z.string().min(1), vars: z.string().min(1) }).strict().nullable().optional(),
    swtpm: z.union([z.object({ binary: z.string() }).strict(), z.object({ binary: z.null(), reason: z.string() }).strict()]).optional(),
    bootId: z.string().min(1),
    probedAt: z.string().min(1),
  })
  .strict();

const cacheSchema = z.object({ cacheVersion: z.literal(CACHE_VERSION), report: reportSchema }).strict();

/** What a cached verdict must match to be reused: same boot, same QEMU, same /dev/kvm state. */
export interface HostFactsKey {
  bootId: string;
  qemuBinary: string;
  qemuVersion: string;
  kvmDevice: KvmDeviceState;
}

export function encodeHostFactsCache(report: HostFactsReport): string {
  return JSON.stringify({ cacheVersion: CACHE_VERSION, report }, null, 2) + '\n';
}

/** The cached report when the text is a valid cache file for this key; otherwise null (never throws). */
export function decodeHostFactsCache(text: string, key: HostFactsKey): HostFactsReport | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = cacheSchema.safeParse(raw);
  if (!parsed.success) return null;
  const r: HostFactsReport = parsed.data.report;
  const matches =
    r.bootId === key.bootId && r.qemuBinary === key.qemuBinary && r.qemuVersion === key.qemuVersion && r.kvm.device === key.kvmDevice;
  return matches ? r : null;
}

// Host facts, gathered: which QEMU is installed, whether /dev/kvm opens, whether KVM really runs a
// guest (a short probe boot that can never hang), and where OVMF is. The verdict is cached per host
// boot in <cacheDir>/host-facts.json. The rules themselves are pure, in hostFacts.ts.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { HangarError, cancelledError, throwIfAborted } from '../base/errors.js';
import {
  ACCEL_ENV,
  HOST_FACTS_FILE,
  decideAccelerator,
  decodeHostFactsCache,
  encodeHostFactsCache,
  parseAccelChoice,
  parseQemuVersion,
  pickOvmf,
  pickOvmfSecureBoot,
  pickSwtpm,
  pickVirtiofsd,
  summarizeQemuStderr,
  type Accelerator,
  type HostFactsReport,
  type KvmDeviceState,
} from './hostFacts.js';
import { PROBE_MARKER_LONG_MODE, PROBE_MARKER_OK, probeGuestSector } from './probeGuest.js';

/** The whole probe, from spawn to verdict. */
export const DEFAULT_PROBE_TIMEOUT_MS = 12_000;
/**
 * How long the probe guest's fixed work may take once it reaches long mode. TCG needs about 0.12 s
 * on the development machine, hardware virtualisation a few milliseconds; a KVM that emulates every
 * instruction (nested PVM there) needs about 18 s.
 */
export const DEFAULT_PROBE_WORK_LIMIT_MS = 3_000;

const QEMU_MISSING = 'QEMU is not installed: install the qemu-system-x86 and qemu-utils packages';
const STDERR_TAIL_LINES = 30;
const SERIAL_KEEP_CHARS = 4096;

export interface ProbeOptions {
  /** Default: qemu-system-x86_64 from PATH. */
  qemuBinary?: string;
  /** The whole probe; QEMU is killed when it runs out. Default DEFAULT_PROBE_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Limit for the guest's timed work, from the long-mode marker to the final one. */
  workLimitMs?: number;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** PATH for finding QEMU (default: process.env.PATH). */
  path?: string;
}

export interface ProbeResult {
  accel: Accelerator;
  outcome: 'ok' | 'failed' | 'timeout';
  /** One line: what happened, for the accelerator reason. */
  detail: string;
  /** Spawn to verdict. */
  elapsedMs: number;
  /** Spawn to the long-mode marker, when it came. */
  longModeMs?: number;
  /** Long-mode marker to the final marker, when both came. */
  workMs?: number;
  /** What the guest wrote to its serial port (the start of it). */
  serial: string;
  /** The last lines QEMU wrote to stderr. */
  stderrTail: string[];
  /** How QEMU ended: on its own, or null when we killed it. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  argv: string[];
}

/** The QEMU arguments of a probe boot (exported for tests and for the record). */
export function probeArgv(accel: Accelerator, diskImage: string): string[] {
  return [
    '-accel', accel,
    // -cpu host: the model real VMs get under KVM; it must work, not just the default model.
    ...(accel === 'kvm' ? ['-cpu', 'host'] : []),
    '-machine', 'pc',
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-m', '32',
    // A triple fault exits QEMU instead of rebooting forever.
    '-no-reboot',
    // QEMU option values escape commas by doubling them.
    '-drive', `file=${diskImage.replaceAll(',', ',,')},format=raw,if=ide`,
    '-serial', 'stdio',
  ];
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function findOnPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const p = join(dir, name);
    try {
      accessSync(p, fsConstants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    await access(p, fsConstants.X_OK);
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** Kills QEMU and anything it started: the probe runs it in its own process group. */
function killGroup(pid: number | undefined, fallback: () => void): void {
  try {
    if (pid === undefined) throw new Error('no pid');
    process.kill(-pid, 'SIGKILL');
  } catch {
    fallback();
  }
}

/**
 * Boots the probe guest under `accel` and reports what happened. Never hangs: QEMU is killed at
 * the timeout, when the guest's timed work runs over its limit, or once the final marker is seen.
 * Throws QEMU_FAILED only when QEMU cannot be started at all, and CANCELLED when the signal fires.
 */
export async function runProbe(accel: Accelerator, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const workLimitMs = opts.workLimitMs ?? DEFAULT_PROBE_WORK_LIMIT_MS;
  const binary = opts.qemuBinary ?? findOnPath('qemu-system-x86_64', opts.path ?? process.env.PATH);
  if (!binary) throw new HangarError('QEMU_FAILED', QEMU_MISSING);
  throwIfAborted(opts.signal);

  const dir = await mkdtemp(join(tmpdir(), 'hangar-probe-'));
  try {
    const image = join(dir, 'probe.img');
    await writeFile(image, probeGuestSector());
    const argv = probeArgv(accel, image);
    opts.log?.(`probe: ${binary} ${argv.join(' ')}`);
    return await bootProbe(accel, binary, argv, timeoutMs, workLimitMs, opts.signal);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function bootProbe(
  accel: Accelerator,
  binary: string,
  argv: string[],
  timeoutMs: number,
  workLimitMs: number,
  signal: AbortSignal | undefined,
): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(binary, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that a kill reaches whatever it started too.
      detached: true,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    });
    let serial = '';
    let stderrPartial = '';
    const stderrTail: string[] = [];
    let longModeAt: number | undefined;
    let exitInfo: ProbeResult['exit'] = null;
    let exited = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const exitWaiters: (() => void)[] = [];

    const pushStderr = (text: string) => {
      const parts = (stderrPartial + text).split('\n');
      stderrPartial = parts.pop() ?? '';
      for (const l of parts) {
        stderrTail.push(l.replace(/\r$/, ''));
        if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
      }
      if (stderrPartial.length > 4096) stderrPartial = stderrPartial.slice(-4096);
    };
    const tail = () => (stderrPartial.trim() ? [...stderrTail, stderrPartial] : [...stderrTail]).slice(-STDERR_TAIL_LINES);

    const onAbort = () => settle(null, cancelledError());
    // Its own process group does not hear a terminal's Ctrl-C: kill it if we exit while it runs.
    const onProcessExit = () => killGroup(child.pid, () => child.kill('SIGKILL'));
    process.on('exit', onProcessExit);
    const cleanup = () => {
      for (const t of timers) clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
    };

    type Verdict = Pick<ProbeResult, 'outcome' | 'detail' | 'workMs'>;
    function settle(verdict: Verdict | null, err?: unknown) {
      if (settled) return;
      settled = true;
      cleanup();
      const finish = () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        if (verdict === null) {
          reject(err);
          return;
        }
        const result: ProbeResult = {
          accel,
          ...verdict,
          elapsedMs: Math.round(performance.now() - started),
          serial,
          stderrTail: tail(),
          exit: exitInfo,
          argv,
        };
        if (longModeAt !== undefined) result.longModeMs = Math.round(longModeAt - started);
        resolve(result);
      };
      if (exited) {
        finish();
        return;
      }
      killGroup(child.pid, () => child.kill('SIGKILL'));
      // SIGKILL ends it at once; the fallback only guards against a kill that did not happen.
      const fallback = setTimeout(finish, 5_000);
      exitWaiters.push(() => {
        clearTimeout(fallback);
        finish();
      });
    }

    const notReached = () => (longModeAt === undefined ? 'it never reached 64-bit mode' : 'it reached 64-bit mode but did not finish its work');

    child.on('error', (e: NodeJS.ErrnoException) => {
      exited = true;
      process.off('exit', onProcessExit);
      const msg = e.code === 'ENOENT' ? QEMU_MISSING : `cannot run ${binary}: ${e.message}`;
      settle(null, new HangarError('QEMU_FAILED', msg, { cause: e }));
    });
    child.on('exit', (code, sig) => {
      exited = true;
      process.off('exit', onProcessExit);
      exitInfo = { code, signal: sig };
      for (const w of exitWaiters.splice(0)) w();
    });
    // 'close' comes after both pipes have drained: every byte QEMU wrote has been seen.
    child.on('close', (code, sig) => {
      if (settled) return;
      exitInfo = { code, signal: sig };
      const said = summarizeQemuStderr(tail());
      let detail: string;
      if (sig) detail = said?.startsWith('qemu aborted') ? said : `qemu was killed by ${sig}${said ? `: ${said}` : ''}`;
      else if (code === 0) detail = `the probe guest reset or powered off before its final marker (${notReached()}; QEMU exited with code 0)`;
      else detail = `qemu exited with code ${code}${said ? `: ${said}` : ''}`;
      settle({ outcome: 'failed', detail });
    });

    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => pushStderr(d));
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      if (serial.length < SERIAL_KEEP_CHARS) serial += d.slice(0, SERIAL_KEEP_CHARS - serial.length);
      const now = performance.now();
      if (longModeAt === undefined && serial.includes(PROBE_MARKER_LONG_MODE)) {
        longModeAt = now;
        timers.push(
          setTimeout(() => {
            const tooSlow =
              `the probe guest reached 64-bit mode in ${seconds(now - started)} but its test work did not finish within ` +
              `${seconds(workLimitMs)} (TCG needs well under a second)`;
            settle({
              outcome: 'failed',
              detail:
                accel === 'kvm'
                  ? `${tooSlow}: KVM emulates instructions instead of running them (nested virtualisation without hardware support?)`
                  : `${tooSlow}: this host is far too slow or overloaded`,
            });
          }, workLimitMs),
        );
      }
      if (longModeAt !== undefined && serial.includes(PROBE_MARKER_OK)) {
        const longModeMs = Math.round(longModeAt - started);
        const workMs = Math.round(now - longModeAt);
        settle({
          outcome: 'ok',
          detail: `the probe guest reached 64-bit mode in ${seconds(longModeMs)} and ran its test work in ${seconds(workMs)}`,
          workMs,
        });
      }
    });

    timers.push(
      setTimeout(() => {
        const said = summarizeQemuStderr(tail());
        settle({
          outcome: 'timeout',
          detail: `no final marker from the probe guest within ${seconds(timeoutMs)} (${notReached()})${said ? `; ${said}` : ''}`,
        });
      }, timeoutMs),
    );
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// --- host facts -----------------------------------------------------------------------------------

export interface DetectHostOptions {
  /** Where host-facts.json is kept. */
  cacheDir: string;
  /** Forces the accelerator (wins over HANGAR_ACCEL); the forced verdict is never cached. */
  force?: Accelerator;
  /** Who forced it, for the reason (e.g. "--accel tcg"). */
  forcedBy?: string;
  probeTimeoutMs?: number;
  probeWorkLimitMs?: number;
  /** Default: qemu-system-x86_64 from PATH. */
  qemuBinary?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Default /dev/kvm (tests point it elsewhere). */
  kvmDevicePath?: string;
  /** Where HANGAR_ACCEL and PATH are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

async function kvmDeviceState(path: string): Promise<{ state: KvmDeviceState; detail?: string }> {
  try {
    const fh = await open(path, 'r+');
    await fh.close();
    return { state: 'present' };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { state: 'absent' };
    // The node exists but no driver answers behind it.
    if (code === 'ENODEV' || code === 'ENXIO') return { state: 'absent', detail: `${path} exists but has no KVM driver behind it (${code})` };
    return { state: 'no-access', detail: `cannot open ${path} read-write (${code ?? String(e)})` };
  }
}

async function readBootId(): Promise<string | undefined> {
  try {
    const id = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
    return id || undefined;
  } catch {
    return undefined;
  }
}

function qemuVersionOf(binary: string, env: NodeJS.ProcessEnv, signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, ['--version'], { timeout: 10_000, env: { PATH: env.PATH ?? '', LC_ALL: 'C' }, signal }, (err, stdout, stderr) => {
      if (signal?.aborted) return reject(cancelledError());
      const parsed = parseQemuVersion(`${stdout}`);
      if (parsed) return resolve(parsed.version);
      const said = `${stdout}${stderr}`.trim().split('\n')[0] ?? '';
      const why = err && (err as NodeJS.ErrnoException).code === 'ENOENT' ? QEMU_MISSING : `cannot read the QEMU version from '${binary} --version'${said ? `: ${said}` : err ? `: ${err.message}` : ''}`;
      reject(new HangarError('QEMU_FAILED', why, { cause: err ?? undefined }));
    });
  });
}

async function readCache(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function writeCache(file: string, report: HostFactsReport): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  // The user's alone, whatever the umask (a leftover temporary file keeps its mode: chmod as well).
  await writeFile(tmp, encodeHostFactsCache(report), { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/**
 * What this host offers: QEMU binaries and version, the accelerator to use and why, OVMF. KVM is
 * chosen only when /dev/kvm opens and a probe boot passes; the probe runs once per host boot (the
 * report is cached under cacheDir, keyed by boot id, QEMU binary and version, and /dev/kvm state).
 * `force` or HANGAR_ACCEL=kvm|tcg override the decision without touching the cache.
 */
export async function detectHost(opts: DetectHostOptions): Promise<HostFactsReport> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  throwIfAborted(opts.signal);

  // Read the forced choice first: a bad HANGAR_ACCEL should fail before any work.
  const envChoice = parseAccelChoice(env[ACCEL_ENV]);
  const force = opts.force ?? envChoice;
  const forcedBy = opts.force ? (opts.forcedBy ?? `force: '${opts.force}'`) : envChoice ? `${ACCEL_ENV}=${envChoice}` : undefined;

  const qemuBinary = opts.qemuBinary ?? findOnPath('qemu-system-x86_64', env.PATH);
  if (!qemuBinary || !(await isExecutable(qemuBinary))) throw new HangarError('QEMU_FAILED', QEMU_MISSING);
  const besideQemu = isAbsolute(qemuBinary) ? join(dirname(qemuBinary), 'qemu-img') : undefined;
  const qemuImgBinary = besideQemu && (await isExecutable(besideQemu)) ? besideQemu : findOnPath('qemu-img', env.PATH);
  if (!qemuImgBinary) throw new HangarError('QEMU_FAILED', QEMU_MISSING);
  const qemuVersion = await qemuVersionOf(qemuBinary, env, opts.signal);
  const kvmPath = opts.kvmDevicePath ?? '/dev/kvm';
  const device = await kvmDeviceState(kvmPath);
  const bootId = await readBootId();
  const firmware = pickOvmf((p) => existsSync(p));
  log(`host: QEMU ${qemuVersion} (${qemuBinary}), ${kvmPath} ${device.state}${force ? `, forced to ${force} by ${forcedBy}` : ''}`);

  const cacheFile = join(opts.cacheDir, HOST_FACTS_FILE);
  const key = { bootId: bootId ?? '', qemuBinary, qemuVersion, kvmDevice: device.state };
  const cachedText = bootId ? await readCache(cacheFile) : undefined;
  let facts = cachedText === undefined ? null : decodeHostFactsCache(cachedText, key);
  if (facts) {
    log(`host: using the verdict cached at ${facts.probedAt}: ${facts.accelerator} (KVM probe ${facts.kvm.probe})`);
    // Firmware may be installed or removed at any time; looking is cheap.
    const { ovmfNote: _old, ...rest } = facts;
    facts = { ...rest, qemuImgBinary, ovmf: firmware.ovmf };
    if (firmware.note) facts.ovmfNote = firmware.note;
  } else {
    const kvm: HostFactsReport['kvm'] = { device: device.state, probe: 'skipped' };
    if (device.detail) kvm.detail = device.detail;
    if (device.state === 'present' && force !== 'tcg') {
      log(`host: running the KVM probe (timeout ${seconds(opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS)})`);
      const r = await runProbe('kvm', {
        qemuBinary,
        timeoutMs: opts.probeTimeoutMs,
        workLimitMs: opts.probeWorkLimitMs,
        log,
        signal: opts.signal,
        path: env.PATH,
      });
      kvm.probe = r.outcome;
      kvm.detail = r.detail;
      kvm.probeMs = r.elapsedMs;
      log(`host: KVM probe ${r.outcome} after ${seconds(r.elapsedMs)}: ${r.detail}`);
      if (r.outcome !== 'ok' && r.stderrTail.length > 0) log(`host: KVM probe stderr: ${r.stderrTail.join(' | ')}`);
    }
    const auto = decideAccelerator({ device: device.state, probe: kvm.probe, probeDetail: kvm.detail });
    facts = {
      qemuBinary,
      qemuImgBinary,
      qemuVersion,
      accelerator: auto.accelerator,
      accelReason: auto.reason,
      kvm,
      ovmf: firmware.ovmf,
      bootId: bootId ?? 'unknown',
      probedAt: new Date().toISOString(),
    };
    if (firmware.note) facts.ovmfNote = firmware.note;
    // Only an unforced, complete verdict is cached (a probe skipped because of force=tcg is not).
    const complete = !(device.state === 'present' && kvm.probe === 'skipped');
    if (bootId && complete) {
      try {
        await writeCache(cacheFile, facts);
      } catch (e) {
        log(`host: cannot cache the host facts in ${cacheFile}: ${(e as Error).message}`);
      }
    }
  }

  // Helpers may be installed or removed at any time; looking is cheap.
  const exists = (p: string) => existsSync(p);
  facts = { ...facts, virtiofsd: pickVirtiofsd(exists, process.getuid?.() ?? -1), ovmfSecureBoot: pickOvmfSecureBoot(exists), swtpm: pickSwtpm(exists) };
  if (force) {
    const d = decideAccelerator({ device: facts.kvm.device, probe: facts.kvm.probe, probeDetail: facts.kvm.detail, force, forcedBy });
    facts = { ...facts, accelerator: d.accelerator, accelReason: d.reason };
  }
  log(`host: accelerator ${facts.accelerator}: ${facts.accelReason}`);
  return facts;
}

// The helper processes of one VM (virtiofsd per share, swtpm for the TPM): started by the VM's host
// before QEMU, supervised while it runs, stopped when it ends. A helper that dies while the VM runs
// ends the VM like a QEMU crash would (the host reports why). Argument arrays only, never a shell.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { HangarError } from '../base/errors.js';
import type { HelperSpec } from '../protocol/contract.js';

const SOCKET_WAIT_MS = 15_000;
const NAMESPACE_WAIT_MS = 5_000;
const STOP_GRACE_MS = 3_000;

interface Running {
  spec: HelperSpec;
  child: ChildProcess;
  exited: boolean;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export class HelperProcesses {
  private readonly running: Running[] = [];
  private stopping = false;

  constructor(
    private readonly specs: readonly HelperSpec[],
    private readonly o: {
      /** where the helpers' output goes (appended) */
      logFile: string;
      log: (line: string) => void;
      /** a helper ended while the VM still needed it */
      onUnexpectedExit: (helper: HelperSpec, how: string) => void;
    },
  ) {}

  /** Pids of the running helpers (for the status file: an owner cleaning up after a dead host stops them). */
  pids(): number[] {
    return this.running.filter((r) => !r.exited && r.child.pid).map((r) => r.child.pid!);
  }

  /** Starts each helper in order and waits until its socket listens. Throws (and stops those started) when one does not come up. */
  async startAll(): Promise<void> {
    try {
      for (const spec of this.specs) await this.start(spec);
    } catch (e) {
      await this.stopAll();
      throw e;
    }
  }

  private async start(spec: HelperSpec): Promise<void> {
    const logFd = openSync(this.o.logFile, 'a', 0o600);
    let holder: ChildProcess | undefined;
    let child: ChildProcess;
    // Sockets a helper makes are private to the user, as QEMU's are.
    const previousMask = process.umask(0o177);
    try {
      if (spec.readOnlyPaths.length) {
        holder = await privateMountNamespace(logFd);
        for (const path of spec.readOnlyPaths) await mountReadOnly(holder.pid!, path, this.o.log);
        // nsenter joins the namespace and then runs (execs) the helper: the helper sees the folders read-only.
        child = spawn('nsenter', [`--target=${holder.pid}`, '--mount', '--', spec.binary, ...spec.argv], { stdio: ['ignore', logFd, logFd], env: HELPER_ENV, ...(spec.cwd ? { cwd: spec.cwd } : {}) });
      } else {
        child = spawn(spec.binary, spec.argv, { stdio: ['ignore', logFd, logFd], env: HELPER_ENV, ...(spec.cwd ? { cwd: spec.cwd } : {}) });
      }
    } finally {
      process.umask(previousMask);
      closeSync(logFd);
    }
    const r: Running = {
      spec,
      child,
      exited: false,
      exit: new Promise((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
        child.once('error', () => resolve({ code: null, signal: null }));
      }),
    };
    this.running.push(r);
    let spawnError: Error | undefined;
    child.once('error', (e) => (spawnError = e));
    void r.exit.then(({ code, signal }) => {
      r.exited = true;
      const how = spawnError ? `could not run: ${spawnError.message}` : signal ? `killed by ${signal}` : `exit code ${code}`;
      this.o.log(`${spec.label} (pid ${child.pid ?? '?'}) ended: ${how}`);
      if (!this.stopping) this.o.onUnexpectedExit(spec, how);
    });
    this.o.log(`${spec.label} started (pid ${child.pid ?? '?'})`);
    try {
      await waitForSocket(spec.socket, r, SOCKET_WAIT_MS);
    } finally {
      // The namespace lives on in the helper; the process that held it open is no longer needed.
      holder?.kill('SIGKILL');
    }
    if (r.exited) {
      const tail = readTail(this.o.logFile, 3);
      throw new HangarError('QEMU_FAILED', `${spec.label} did not start${spawnError ? `: ${spawnError.message}` : ''}${tail ? `; it said: ${tail}` : ''}`);
    }
  }

  /** Ends every helper (SIGTERM, then SIGKILL after a grace period). */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const live = this.running.filter((r) => !r.exited);
    for (const r of live) r.child.kill('SIGTERM');
    await Promise.all(
      live.map(async (r) => {
        const t = setTimeout(() => r.child.kill('SIGKILL'), STOP_GRACE_MS);
        await r.exit;
        clearTimeout(t);
      }),
    );
  }

  /** QEMU has gone: whatever the helpers do from now on is expected. */
  markStopping(): void {
    this.stopping = true;
  }
}

/** Helpers get a fixed, minimal environment, as QEMU does. */
const HELPER_ENV: Readonly<Record<string, string>> = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };

async function waitForSocket(path: string, r: Running, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (r.exited) return;
    try {
      if (statSync(path).isSocket()) return;
    } catch {
      /* not yet */
    }
    await sleep(20);
  }
  r.child.kill('SIGKILL');
  await r.exit;
  throw new HangarError('QEMU_FAILED', `${r.spec.label} did not open its socket within ${timeoutMs / 1000} s`);
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

function mountNamespaceOf(pid: number | 'self'): string | null {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return null;
  }
}

/**
 * A process holding a new, private mount namespace. Returned only once its namespace really differs
 * from this process's: mounting through it any earlier would change the host's own namespace.
 */
async function privateMountNamespace(logFd: number): Promise<ChildProcess> {
  const holder = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sleep', 'infinity'], { stdio: ['ignore', logFd, logFd], env: HELPER_ENV });
  const ours = mountNamespaceOf('self');
  const deadline = Date.now() + NAMESPACE_WAIT_MS;
  let failed: string | undefined;
  holder.once('error', (e) => (failed = e.message));
  holder.once('exit', (code, signal) => (failed ??= `unshare ended (${signal ?? `exit code ${code}`})`));
  while (Date.now() < deadline && !failed) {
    const theirs = holder.pid ? mountNamespaceOf(holder.pid) : null;
    if (theirs && ours && theirs !== ours) return holder;
    await sleep(10);
  }
  holder.kill('SIGKILL');
  throw new HangarError('QEMU_FAILED', `cannot make a private mount namespace for a read-only shared folder${failed ? `: ${failed}` : ' (unshare did not create one in time)'}`);
}

/** Mounts `path` read-only over itself inside the holder's namespace (never this process's: checked). */
async function mountReadOnly(holderPid: number, path: string, log: (line: string) => void): Promise<void> {
  if (!existsSync(path)) throw new HangarError('NOT_FOUND', `shared folder ${path} does not exist`);
  const before = ownMountsAt(path);
  for (const args of [
    ['mount', '--bind', '--', path, path],
    ['mount', '-o', 'remount,bind,ro', '--', path],
  ]) {
    const r = await run('nsenter', [`--target=${holderPid}`, '--mount', '--', ...args]);
    if (r.code !== 0) throw new HangarError('QEMU_FAILED', `cannot make shared folder ${path} read-only: ${r.stderr.trim() || `${args.join(' ')} failed`}`);
  }
  // A mount that showed up in our own namespace would be the host's: undo it and stop.
  if (ownMountsAt(path) > before) {
    await run('umount', ['--', path]);
    throw new HangarError('INTERNAL', `making ${path} read-only changed the host's mounts; undone`);
  }
  log(`shared folder ${path} mounted read-only for its helper`);
}

/** How many mounts this process's namespace has at `path` (mountinfo's fifth field, octal-escaped). */
function ownMountsAt(path: string): number {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return 0;
  }
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return text.split('\n').filter((line) => unescape(line.split(' ')[4] ?? '') === path).length;
}

function run(binary: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], env: HELPER_ENV });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.once('error', (e) => resolve({ code: null, stderr: e.message }));
    c.once('close', (code) => resolve({ code, stderr }));
  });
}

function readTail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

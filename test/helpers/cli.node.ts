// Runs the real `hangar` CLI (the built one) in a given home, as a user or a script would.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEntryPath } from '../../src-main/cli/entry.node.js';
import { liveLockHolder } from '../../src-main/owner/lock.node.js';

/** The CLI as a user runs it: the one-file bundle the build makes (its modules where only tsc ran). */
export const cliPath = cliEntryPath();

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/**
 * How long a test lets one command run before killing it: past the command's own `--timeout`, so that
 * a command that waits (for a marker, for a guest) reports its own error instead of being cut off
 * without one. Five minutes for the others.
 */
export function cliTimeoutMs(args: string[]): number {
  const at = args.indexOf('--timeout');
  const own = at >= 0 ? Number(args[at + 1]) : NaN;
  return Number.isFinite(own) && own > 0 ? Math.max(300_000, (own + 120) * 1000) : 300_000;
}

/** `via`: a command the CLI runs under (`ip netns exec NS`, `setpriv ...`), as an argument list. */
export function runCli(home: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: Record<string, string>; via?: string[] } = {}): Promise<CliResult> {
  const [file, ...lead] = [...(opts.via ?? []), process.execPath, cliPath];
  const timeoutMs = opts.timeoutMs ?? cliTimeoutMs(args);
  return new Promise((resolve, reject) => {
    const child = spawn(file!, [...lead, ...args], {
      env: { ...process.env, HANGAR_HOME: home, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hangar ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: unknown;
      if (args.includes('--json')) {
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A fresh, empty Hangar home; `cleanup` stops its owner (powering off VMs) and removes it. */
export function tempHome(prefix = 'hangar-test-'): { home: string; cleanup: () => Promise<void> } {
  const home = mkdtempSync(join(tmpdir(), prefix));
  return {
    home,
    cleanup: async () => {
      let leftOwner: string | undefined;
      try {
        const down = await runCli(home, ['shutdown', '--force'], { timeoutMs: 180_000 });
        // shutdown returns once its owner is gone: one still holding the home is a fault to report (after
        // ending it, so that nothing of this home outlives the test).
        const holder = liveLockHolder(join(home, 'owner.lock'));
        if (holder && holder.pid !== process.pid) {
          process.kill(holder.pid, 'SIGKILL');
          leftOwner = `the owner (pid ${holder.pid}) still ran after 'hangar shutdown --force' returned ${down.code}: ${down.stdout}${down.stderr}`;
        }
      } finally {
        // A process of the home that is still ending (a VM's host, on a busy machine) can write a last
        // line while the folder goes: rmSync tries again on ENOTEMPTY and EBUSY (bounded).
        rmSync(home, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
      }
      if (leftOwner) throw new Error(leftOwner);
    },
  };
}

/**
 * The last lines of the home's owner log and of each VM's host and QEMU logs: what a failure of a long
 * test on a CI machine needs to be understood from its message alone.
 */
export function homeLogTails(home: string, lines = 12): string {
  const tail = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  const files = [join(home, 'owner.log')];
  const vms = join(home, 'VMs');
  if (existsSync(vms)) for (const id of readdirSync(vms)) files.push(...['vmm-host.log', 'qemu.log', 'serial.log'].map((f) => join(vms, id, 'logs', f)));
  return files
    .filter((f) => existsSync(f))
    .map((f) => `--- ${f.slice(home.length + 1)} (last ${lines} lines)\n${tail(f)}`)
    .join('\n');
}

/** Runs a test's body; when it fails, the error's message ends with the home's log tails (homeLogTails). */
export async function withLogsOnFailure(home: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof Error) {
      // The reporter prints the stack (made when the error was), not the message: both get the tails.
      const tails = homeLogTails(home);
      e.message = `${e.message}\n${tails}`;
      if (e.stack) e.stack = `${e.stack}\n${tails}`;
    }
    throw e;
  }
}

/** Polls until `check` returns a value (not undefined), or throws after the timeout. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until a process no longer exists. */
export function waitForProcessGone(pid: number, timeoutMs = 30_000): Promise<true> {
  return waitUntil(
    `process ${pid} to end`,
    () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    },
    timeoutMs,
  );
}

/** `h` runs hangar in the home; `ok` also asserts it succeeded, naming the command and its stderr. */
export function cliIn(home: string) {
  const h = (...args: string[]) => runCli(home, args);
  const ok = async (...args: string[]) => {
    const r = await h(...args);
    if (r.code !== 0) throw new Error(`hangar ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r;
  };
  return { h, ok };
}

/** Asserts a refusal: the exit code, the message, and that it is one line. */
export function assertRefused(r: CliResult, code: number, message: RegExp): void {
  if (r.code !== code || !message.test(r.stderr) || r.stderr.trim().split('\n').length !== 1) {
    throw new Error(`expected exit ${code} with one line matching ${message}; got exit ${r.code}: ${r.stderr}`);
  }
}

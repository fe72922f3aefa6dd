// The host tools quick create uses (xorriso, ssh-keygen, openssl, osinfo-install-script, cpio, gzip),
// run with argument arrays, never a shell; secrets go through stdin or private files, never argv.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { HangarError, cancelledError, throwIfAborted } from '../../src-vmm/base/errors.js';

export interface ToolResult {
  stdout: Buffer;
  stderr: string;
}

/** The Debian package each tool comes from, for the message when one is missing. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  xorriso: 'xorriso',
  'ssh-keygen': 'openssh-client',
  ssh: 'openssh-client',
  openssl: 'openssl',
  'osinfo-install-script': 'libosinfo-bin',
  cpio: 'cpio',
  gzip: 'gzip',
  debugfs: 'e2fsprogs',
  'qemu-img': 'qemu-utils',
};

/** Tools Debian keeps in sbin, which a user's PATH may lack. */
const SBIN_TOOLS = new Set(['debugfs']);

/**
 * Runs `tool args…`; resolves with its output when it exits 0, else IO_ERROR with its last words.
 * `input` is written to its stdin (a password, never an argument); a cancel kills it.
 */
export function runTool(
  tool: string,
  args: readonly string[],
  o: { input?: string | Buffer; signal?: AbortSignal; timeoutMs?: number; cwd?: string; what?: string; log?: (line: string) => void; envExtra?: Record<string, string> } = {},
): Promise<ToolResult> {
  throwIfAborted(o.signal);
  o.log?.(`${tool} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const binary = SBIN_TOOLS.has(tool) ? sbinPath(tool) : tool;
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...o.envExtra, LC_ALL: 'C' }, ...(o.cwd ? { cwd: o.cwd } : {}) });
    const out: Buffer[] = [];
    let stderr = '';
    let done = false;
    const finish = (e: Error | null, r?: ToolResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (e) reject(e);
      else resolve(r!);
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      finish(cancelledError());
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new HangarError('TIMEOUT', `${o.what ?? tool} did not finish within ${Math.round((o.timeoutMs ?? 0) / 1000)} s`));
    }, o.timeoutMs ?? 600_000);
    timer.unref();
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
      if (stderr.length > 65536) stderr = stderr.slice(-32768);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') finish(new HangarError('UNSUPPORTED', `${tool} is not installed: install the Debian package ${TOOL_PACKAGES[tool] ?? tool}`, { cause: e }));
      else finish(new HangarError('IO_ERROR', `cannot run ${tool}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) finish(null, { stdout: Buffer.concat(out), stderr });
      else {
        const last = stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${code ?? signal}`;
        finish(new HangarError('IO_ERROR', `${o.what ?? tool} failed: ${last}`, { details: { stderr: stderr.slice(-4096) } }));
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(o.input ?? '');
  });
}

function sbinPath(tool: string): string {
  for (const dir of ['/usr/sbin', '/sbin']) {
    const p = `${dir}/${tool}`;
    if (existsSync(p)) return p;
  }
  return tool;
}

// Runs libvirt's own client, virsh (Debian's libvirt-clients), with an argument array: never a shell
// string, never a re-implementation of libvirt's protocol. A failure becomes one HangarError line.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { HangarError } from '../../src-vmm/base/errors.js';
import { virshError } from './model.js';

export interface VirshOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export const VIRSH = process.env.HANGAR_VIRSH ?? 'virsh';

/** `virsh -c URI ARGS…` → stdout; a non-zero exit is IO_ERROR with virsh's own error line. */
export function virsh(uri: string, args: string[], opts: VirshOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      VIRSH,
      ['-q', '-c', uri, ...args],
      { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20, env: { ...process.env, LC_ALL: 'C' }, ...(opts.signal ? { signal: opts.signal } : {}) },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        if (opts.signal?.aborted) return reject(new HangarError('CANCELLED', 'cancelled'));
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return reject(new HangarError('UNSUPPORTED', "virsh (Debian's libvirt-clients) is not installed"));
        if (e.killed) return reject(new HangarError('TIMEOUT', `virsh ${args[0]} did not answer within ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s`));
        reject(new HangarError('IO_ERROR', virshError(String(stderr))));
      },
    );
  });
}

/** A long-running virsh (event --loop, console), its stdout delivered line by line or as bytes. */
export function spawnVirsh(uri: string, args: string[]): ChildProcess {
  return spawn(VIRSH, ['-q', '-c', uri, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
}

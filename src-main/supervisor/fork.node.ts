// The fork adapter: how the owner starts a VMM host process. Under Node it is child_process.fork;
// the Electron main process supplies a utilityProcess-based forker with the same interface.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HangarError } from '../../src-vmm/base/errors.js';

export interface HostForker {
  /** Starts a host for the spec file; resolves when its socket listens. */
  fork(specPath: string, logFd: number): Promise<{ pid: number }>;
}

/**
 * The VMM host's entry: the build's one-file bundle of src-vmm/host (`npm run build:host`), else its
 * modules. A VM's start waits for its host: one file instead of some 50 modules and zod's 120 halves
 * the CPU time the host needs before it can start QEMU (see the README, "Start").
 */
export const hostBundle = fileURLToPath(new URL('../../src-vmm/host/bundle.node.mjs', import.meta.url));
export const hostModules = fileURLToPath(new URL('../../src-vmm/host/main.node.js', import.meta.url));
export const hostEntry = existsSync(hostBundle) ? hostBundle : hostModules;

export function nodeHostForker(entry: string = hostEntry): HostForker {
  return {
    fork(specPath, logFd) {
      return new Promise((resolve, reject) => {
        // detached: its own session, so a Ctrl-C or the owner's death does not reach the VM.
        const child = fork(entry, [specPath], {
          detached: true,
          stdio: ['ignore', logFd, logFd, 'ipc'],
          // Empty, not left out (fork would pass on the owner's own --enable-source-maps): reading the
          // bundle's 900 KB map cost every start ~45 ms. The map is beside the bundle;
          // NODE_OPTIONS=--enable-source-maps (inherited) maps a host's stacks.
          execArgv: [],
        });
        const timer = setTimeout(() => {
          cleanup();
          child.kill('SIGKILL');
          reject(new HangarError('QEMU_FAILED', 'the VMM host did not start within 30 s'));
        }, 30_000);
        const onMessage = (m: unknown) => {
          if ((m as { t?: string })?.t !== 'listening') return;
          cleanup();
          child.unref();
          child.channel?.unref?.();
          resolve({ pid: child.pid! });
        };
        const onExit = (code: number | null, signal: string | null) => {
          cleanup();
          reject(new HangarError('QEMU_FAILED', `the VMM host exited during start-up (${signal ?? `code ${code}`})`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
        };
        child.on('message', onMessage);
        child.on('exit', onExit);
        child.on('error', (e) => {
          cleanup();
          reject(new HangarError('QEMU_FAILED', `cannot start the VMM host: ${e.message}`));
        });
      });
    },
  };
}

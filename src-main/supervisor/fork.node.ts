// The fork adapter: how the owner starts a VMM host process. child_process.fork, under Node and in the
// Electron main process alike (there it runs the host under Electron's Node, ELECTRON_RUN_AS_NODE). Not
// Electron's utilityProcess: that ends with the app, and VMs must be able to keep running without it.
//
// A standby host: loading Node and the host's bundle is most of what a VMM host does before it can
// spawn QEMU (~140 ms of CPU here, every start). So the forker keeps one host forked, loaded and
// waiting (`--standby`, see src-vmm/host/main.node.ts); a start hands it its spec and log and it goes
// straight to work. The next standby is forked a little later, not during the start it would slow.
// A standby that is not ready, or gone, costs nothing but the plain fork it falls back to.
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HangarError } from '../../src-vmm/base/errors.js';
import { orAfter } from '../../src-vmm/base/events.js';
import type { StandbyAssignment } from '../../src-vmm/protocol/contract.js';

export interface HostForker {
  /** Starts a host for the spec file, its log appended to logPath; resolves when its socket listens. */
  fork(specPath: string, logPath: string): Promise<{ pid: number }>;
  /** Ends what the forker keeps waiting (a standby host). Hosts that run VMs are not touched. */
  dispose?(): void;
}

/**
 * The VMM host's entry: the build's one-file bundle of src-vmm/host (`npm run build:host`), else its
 * modules. A VM's start waits for its host: one file instead of some 50 modules and zod's 120 halves
 * the CPU time the host needs before it can start QEMU (see the README, "Start").
 */
export const hostBundle = fileURLToPath(new URL('../../src-vmm/host/bundle.node.mjs', import.meta.url));
export const hostModules = fileURLToPath(new URL('../../src-vmm/host/main.node.js', import.meta.url));
export const hostEntry = existsSync(hostBundle) ? hostBundle : hostModules;

const HOST_START_TIMEOUT_MS = 30_000;

export interface StandbyOptions {
  /** where a standby host's own output goes until it has a VM (the owner's log) */
  logPath: string;
  /** how long after the forker is made, and after a standby was taken, the next one is forked */
  delayMs: number;
  /** told when a standby is forked, taken or lost (the owner's log) */
  log?: (line: string) => void;
}

export interface NodeHostForker extends HostForker {
  /** what became of each start's host so far: taken from standby, or forked for it (tests, the bench) */
  readonly counts: { fromStandby: number; forked: number };
  /** the standby host's pid, while there is one (forked, ready or not) */
  standbyPid(): number | undefined;
  dispose(): void;
}

export function nodeHostForker(opts: { entry?: string; standby?: StandbyOptions } = {}): NodeHostForker {
  const entry = opts.entry ?? hostEntry;
  const counts = { fromStandby: 0, forked: 0 };
  let standby: { child: ChildProcess; ready: Promise<boolean> } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let disposed = false;

  const spawn = (args: string[], logFd: number) =>
    fork(entry, args, {
      // detached: its own session, so a Ctrl-C or the owner's death does not reach the VM.
      detached: true,
      stdio: ['ignore', logFd, logFd, 'ipc'],
      // Empty, not left out (fork would pass on the owner's own --enable-source-maps): reading the
      // bundle's 900 KB map cost every start ~45 ms. The map is beside the bundle;
      // NODE_OPTIONS=--enable-source-maps (inherited) maps a host's stacks.
      execArgv: [],
    });

  const forkStandby = (s: StandbyOptions) => {
    timer = undefined;
    if (disposed || standby) return;
    let logFd: number;
    try {
      logFd = openSync(s.logPath, 'a', 0o600);
    } catch {
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(['--standby'], logFd);
    } catch (e) {
      s.log?.(`cannot fork a standby VMM host: ${(e as Error).message}`);
      return;
    } finally {
      closeSync(logFd);
    }
    // Neither the process nor its channel keeps the owner alive; the standby exits when the channel closes.
    child.unref();
    child.channel?.unref?.();
    const ready = new Promise<boolean>((resolve) => {
      child.on('message', function onMessage(m: unknown) {
        if ((m as { t?: string })?.t !== 'standing-by') return;
        child.off('message', onMessage);
        resolve(true);
      });
      child.once('error', () => resolve(false));
      child.once('exit', (code, signal) => {
        resolve(false);
        if (standby?.child === child) {
          standby = undefined;
          s.log?.(`the standby VMM host (pid ${child.pid}) exited (${signal ?? `code ${code}`}); the next start forks its own`);
        }
      });
    });
    standby = { child, ready };
  };

  const scheduleStandby = () => {
    const s = opts.standby;
    if (!s || disposed || standby || timer) return;
    timer = setTimeout(() => forkStandby(s), s.delayMs);
    timer.unref();
  };

  /** Takes the standby for this start, when it is (or becomes) ready; undefined when there is none to take. */
  const takeStandby = async (): Promise<ChildProcess | undefined> => {
    const s = standby;
    standby = undefined;
    if (!s) return undefined;
    const ready = await orAfter(s.ready, HOST_START_TIMEOUT_MS, false);
    if (ready && s.child.connected && s.child.exitCode === null && s.child.signalCode === null) return s.child;
    s.child.kill('SIGKILL');
    return undefined;
  };

  const forker: NodeHostForker = {
    counts,
    standbyPid: () => standby?.child.pid,
    async fork(specPath, logPath) {
      const waiting = await takeStandby();
      scheduleStandby();
      if (waiting) {
        const assignment: StandbyAssignment = { t: 'assign', specPath, logPath };
        const listening = untilListening(waiting);
        const sent = await new Promise<boolean>((resolve) => {
          try {
            waiting.send(assignment, (e) => resolve(!e));
          } catch {
            resolve(false);
          }
        });
        if (sent) {
          counts.fromStandby++;
          opts.standby?.log?.(`the standby VMM host (pid ${waiting.pid}) took this start`);
          return listening;
        }
        // Never delivered: the standby has no VM. Drop it and fork one for this start.
        listening.catch(() => undefined);
        waiting.kill('SIGKILL');
      }
      const logFd = openSync(logPath, 'a', 0o600);
      let child: ChildProcess;
      try {
        child = spawn([specPath], logFd);
      } finally {
        closeSync(logFd);
      }
      counts.forked++;
      return untilListening(child);
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
      standby?.child.kill('SIGTERM');
      standby = undefined;
    },
  };
  scheduleStandby();
  return forker;
}

/** Resolves when the host says its socket listens (then lets it go its own way); rejects when it dies first. */
function untilListening(child: ChildProcess): Promise<{ pid: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new HangarError('QEMU_FAILED', `the VMM host did not start within ${HOST_START_TIMEOUT_MS / 1000} s`));
    }, HOST_START_TIMEOUT_MS);
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
    const onError = (e: Error) => {
      cleanup();
      reject(new HangarError('QEMU_FAILED', `cannot start the VMM host: ${e.message}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
    child.on('error', onError);
  });
}

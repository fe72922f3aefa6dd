// The source owner's line to the target owner: the target's `hangar __stdio` (which starts the target
// home's headless owner when none runs, then joins its stdin and stdout to the owner's socket), run
// locally for a home on this machine or through the system's ssh client (argument arrays, BatchMode,
// the user's keys and config) for another machine; and, through SSH, forwards of the target's unix
// sockets (the migration stream, the NBD exports) to sockets of this machine (`ssh -L`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { HangarError } from '../../src-vmm/base/errors.js';
import { createClient, type Client } from '../../src-vmm/base/rpc.js';
import { socketTransport } from '../../src-vmm/base/socketTransport.node.js';
import { hangarApi, type HangarApi } from '../api/contract.js';
import { shellWord, type Target } from './target.js';
import { cliEntryPath } from '../cli/entry.node.js';

const cliEntry = cliEntryPath();
const FORWARD_TIMEOUT_MS = 20_000;

export interface TargetLink {
  api: Client<HangarApi>;
  /** a socket on this machine that reaches `remote` on the target's */
  forward(remote: string, local: string): Promise<string>;
  /** why the line ended, when it did (ssh's last words) */
  readonly why: () => string | undefined;
  /** resolves when the line ends (the target's owner or ssh went away) */
  readonly closed: Promise<void>;
  dispose(): void;
}

/** The ssh options every call shares: no questions (BatchMode), a bounded connect, HANGAR_SSH_CONFIG as its config file when set. */
export function sshBaseArgs(t: Extract<Target, { kind: 'ssh' }>, env: NodeJS.ProcessEnv): string[] {
  return [
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=10',
    '-o', 'ServerAliveInterval=5',
    '-o', 'ServerAliveCountMax=3',
    ...(env.HANGAR_SSH_CONFIG ? ['-F', env.HANGAR_SSH_CONFIG] : []),
    ...(t.port ? ['-p', String(t.port)] : []),
    ...(t.user ? ['-l', t.user] : []),
  ];
}

/** The command the remote shell runs: the target's hangar (HANGAR_REMOTE_HANGAR, default `hangar`) as the line's far end. */
export function remoteCommand(t: Extract<Target, { kind: 'ssh' }>, env: NodeJS.ProcessEnv): string {
  const hangar = (env.HANGAR_REMOTE_HANGAR ?? 'hangar').split(' ').filter(Boolean).map(shellWord);
  return [...(t.home ? ['env', `HANGAR_HOME=${shellWord(t.home)}`] : []), ...hangar, '__stdio'].join(' ');
}

function lastLine(text: string): string | undefined {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).pop();
}

export async function openLink(t: Target, o: { signal: AbortSignal; log: (l: string) => void }): Promise<TargetLink> {
  const env = process.env;
  const child: ChildProcess =
    t.kind === 'home'
      ? spawn(process.execPath, [cliEntry, '__stdio'], { env: { ...env, HANGAR_HOME: t.home }, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn('ssh', [...sshBaseArgs(t, env), '--', t.host, remoteCommand(t, env)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const forwards: ChildProcess[] = [];
  let exited = false;
  const exitedP = new Promise<void>((resolve) => {
    child.on('error', (e) => {
      stderr += `\n${e.message}`;
      exited = true;
      resolve();
    });
    child.on('exit', () => {
      exited = true;
      resolve();
    });
  });
  const duplex = Duplex.from({ readable: child.stdout!, writable: child.stdin! });
  child.on('exit', () => duplex.destroy());
  const api = createClient(socketTransport(duplex as unknown as Socket, { log: o.log }), hangarApi);
  const dispose = () => {
    api.dispose();
    for (const f of forwards) f.kill('SIGTERM');
    if (!exited) child.kill('SIGTERM');
  };
  const why = () => (exited ? lastLine(stderr) : undefined);
  // The first answer proves the line: the target's owner runs and speaks Hangar's API.
  try {
    const first = api.call('host.info', {}, { timeoutMs: 120_000, signal: o.signal });
    await Promise.race([first, exitedP.then(() => first)]);
  } catch (e) {
    dispose();
    if (o.signal.aborted) throw new HangarError('CANCELLED', 'the migration was cancelled; the VM runs on here');
    const said = lastLine(stderr);
    throw new HangarError('IO_ERROR', `cannot reach the target${said ? `: ${said}` : `: ${(e as Error).message}`}`, { cause: e });
  }
  return {
    api,
    why,
    closed: exitedP,
    dispose,
    forward: async (remote, local) => {
      if (t.kind === 'home') return remote;
      rmSync(local, { force: true });
      const f = spawn('ssh', [...sshBaseArgs(t, env), '-N', '-o', 'ExitOnForwardFailure=yes', '-o', 'StreamLocalBindUnlink=yes', '-L', `${local}:${remote}`, '--', t.host], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      forwards.push(f);
      let ferr = '';
      f.stderr!.on('data', (d: Buffer) => (ferr = (ferr + d.toString()).slice(-2000)));
      let fexit = false;
      f.on('exit', () => (fexit = true));
      f.on('error', () => (fexit = true));
      const deadline = Date.now() + FORWARD_TIMEOUT_MS;
      while (!existsSync(local)) {
        if (fexit) throw new HangarError('IO_ERROR', `ssh could not forward the migration socket${lastLine(ferr) ? `: ${lastLine(ferr)}` : ''}`);
        if (Date.now() > deadline) throw new HangarError('TIMEOUT', 'ssh did not set up the forward of the migration socket in time');
        await new Promise((r) => setTimeout(r, 50));
      }
      return local;
    },
  };
}

// The displays of remote domains: `remote.display` reads where the domain's VNC server is
// (`virsh domdisplay`) and how to reach it (display.ts), and hands out a one-time ticket: the path
// `/vnc/<ticket>` of the same VNC relay the local VMs' displays use (web/server.node.ts). Opening it
// connects (a local daemon's port) or starts the tunnel (`ssh -W`), which ends with the viewer.
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { Duplex } from 'node:stream';
import { HangarError } from '../../src-vmm/base/errors.js';
import { displayRoute, parseDomDisplay, type DisplayRoute } from './display.js';
import { readDomainState } from './model.js';
import type { RemoteService } from './remoteService.node.js';
import { virsh } from './virsh.node.js';

/** a ticket not used within this long is forgotten */
const TICKET_MS = 60_000;

export interface VncOpener {
  /** the VNC stream; destroying it ends the connection (and the tunnel) */
  open(): Duplex;
}

export class RemoteDisplays {
  private readonly tickets = new Map<string, { route: DisplayRoute; timer: NodeJS.Timeout }>();

  constructor(
    private readonly remotes: RemoteService,
    private readonly log: (line: string) => void,
  ) {}

  /** 'REMOTE/DOMAIN' (running) → a one-time path on the display relay */
  async issue(ref: string, signal?: AbortSignal): Promise<{ path: string }> {
    const { c, domain } = this.remotes.resolveEndpoint(ref);
    const opts = { timeoutMs: 30_000, ...(signal ? { signal } : {}) };
    const state = readDomainState(await virsh(c.uri, ['domstate', domain], opts));
    if (state !== 'running' && state !== 'paused' && state !== 'idle') throw new HangarError('STATE_CONFLICT', `'${c.name}/${domain}' is ${state}: start it to see its display`);
    const text = await virsh(c.uri, ['domdisplay', '--type', 'vnc', domain], opts).catch((e: unknown) => {
      throw new HangarError('UNSUPPORTED', `'${c.name}/${domain}' has no VNC display: ${(e as Error).message}`);
    });
    const vnc = parseDomDisplay(text);
    if (!vnc) throw new HangarError('UNSUPPORTED', `'${c.name}/${domain}' has no VNC display`);
    const route = displayRoute(c.uri, vnc);
    if (typeof route === 'string') throw new HangarError('UNSUPPORTED', `the display of '${c.name}/${domain}': ${route}`);
    const id = randomUUID();
    const timer = setTimeout(() => this.tickets.delete(id), TICKET_MS);
    timer.unref?.();
    this.tickets.set(id, { route, timer });
    return { path: `/vnc/${id}` };
  }

  /** The ticket's opener (once), or null. */
  take(id: string): VncOpener | null {
    const t = this.tickets.get(id);
    if (!t) return null;
    this.tickets.delete(id);
    clearTimeout(t.timer);
    return { open: () => openDisplayRoute(t.route, this.log) };
  }

  dispose(): void {
    for (const t of this.tickets.values()) clearTimeout(t.timer);
    this.tickets.clear();
  }
}

/** The VNC stream along a route: a socket, or the ssh child's stdio (killed when the stream closes). */
export function openDisplayRoute(route: DisplayRoute, log: (line: string) => void): Duplex {
  if (route.kind === 'tcp') return connect(route.port, route.host);
  if (route.kind === 'unix') return connect(route.path);
  const [cmd, ...args] = route.argv;
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const stream = Duplex.from({ readable: child.stdout, writable: child.stdin });
  child.on('error', (e) => stream.destroy(e));
  child.on('exit', (code) => {
    if (code) log(`remote display: the ssh tunnel ended (${code}): ${stderr.trim().split('\n').at(-1) ?? ''}`);
    stream.destroy();
  });
  stream.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  });
  return stream;
}

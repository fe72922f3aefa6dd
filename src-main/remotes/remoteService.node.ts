// The owner's remotes: libvirt hosts reached through virsh. For each remote the owner keeps one
// `virsh event --loop --all` child: its lines drive the domains' states (no polling), its end means the
// connection dropped, and it is started again with a bounded back-off until the host answers.
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { HangarError } from '../../src-vmm/base/errors.js';
import {
  domainNameProblems,
  parseDomainList,
  parseEventLine,
  parseSnapshotList,
  parseVersion,
  readDomainState,
  reconnectDelayMs,
  remoteNameProblems,
  remoteUriProblems,
  splitRemoteRef,
  type DomainListItem,
  type DomainState,
  type RemoteSnapshot,
  type RemoteState,
} from './model.js';
import type { RemoteRecord, RemoteRepository } from './remoteRepo.node.js';
import { spawnVirsh, virsh } from './virsh.node.js';
import { RemoteConsole, currentDomainId } from './console.node.js';

export interface RemoteView {
  name: string;
  uri: string;
  state: RemoteState;
  libvirtVersion: string | null;
  hypervisor: string | null;
  /** why it is disconnected */
  error: string | null;
  createdAt: string;
}

export type RemoteAction = 'start' | 'shutdown' | 'destroy' | 'suspend' | 'resume' | 'reboot' | 'reset';

interface Connection {
  record: RemoteRecord;
  state: RemoteState;
  version: { libvirt: string | null; hypervisor: string | null };
  error: string | null;
  events: ChildProcess | undefined;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  /** the last state each domain was seen in (from events and lists) */
  domains: Map<string, DomainState>;
  consoles: Map<string, RemoteConsole>;
  waiters: Set<() => void>;
  /** lifecycle events a snapshot revert caused, handled so far, per domain: any, and "Started FromSnapshot" */
  reverts: Map<string, { any: number; started: number }>;
  /** the events are handled one after the other, in the order libvirt sent them: the last one's handling */
  handling: Promise<void>;
}

/** How long a revert waits for the lifecycle events it caused to be handled. */
const REVERT_EVENTS_WAIT_MS = 5_000;

export interface RemoteServiceDeps {
  repo: RemoteRepository;
  log: (line: string) => void;
  /** a remote's connection or one of its domains changed */
  changed: (remote: string, domain?: string) => void;
  /** what a domain's serial console printed */
  consoleData?: (remote: string, domain: string, data: Buffer) => void;
}

export class RemoteService {
  private readonly conns = new Map<string, Connection>();
  private disposed = false;

  constructor(private readonly d: RemoteServiceDeps) {
    for (const r of d.repo.list()) this.open(r);
  }

  // ------------------------------------------------------------ connections

  async add(name: string, uri: string, signal?: AbortSignal): Promise<RemoteView> {
    const problems = [...remoteNameProblems(name), ...remoteUriProblems(uri)];
    if (problems.length) throw new HangarError('INVALID_INPUT', problems[0]!);
    if (this.d.repo.find(name)) throw new HangarError('ALREADY_EXISTS', `a remote named '${name}' exists already`);
    // saved only when the host answers
    let version: string;
    try {
      version = await virsh(uri, ['version', '--daemon'], { timeoutMs: 60_000, ...(signal ? { signal } : {}) });
    } catch (e) {
      const he = e as HangarError;
      throw new HangarError(he.code === 'CANCELLED' ? 'CANCELLED' : 'IO_ERROR', `cannot connect to ${uri}: ${he.message}`);
    }
    const record = this.d.repo.insert({ id: randomUUID(), name, uri, createdAt: new Date().toISOString() });
    const c = this.open(record);
    c.version = parseVersion(version);
    c.state = 'connected';
    this.d.log(`remote ${name}: added (${uri})`);
    return this.view(c);
  }

  list(): RemoteView[] {
    return this.d.repo.list().map((r) => this.view(this.conns.get(r.id) ?? this.open(r)));
  }

  remove(name: string): { name: string } {
    const c = this.conn(name);
    this.close(c);
    this.d.repo.delete(c.record.id);
    this.d.log(`remote ${c.record.name}: removed`);
    return { name: c.record.name };
  }

  private view(c: Connection): RemoteView {
    return { name: c.record.name, uri: c.record.uri, state: c.state, libvirtVersion: c.version.libvirt, hypervisor: c.version.hypervisor, error: c.error, createdAt: c.record.createdAt };
  }

  private conn(name: string): Connection {
    const r = this.d.repo.find(name);
    const c = r ? (this.conns.get(r.id) ?? this.open(r)) : undefined;
    if (!c) throw new HangarError('NOT_FOUND', `no remote named '${name}'`);
    return c;
  }

  private open(record: RemoteRecord): Connection {
    const c: Connection = { record, state: 'disconnected', version: { libvirt: null, hypervisor: null }, error: null, events: undefined, attempt: 0, timer: undefined, domains: new Map(), consoles: new Map(), waiters: new Set(), reverts: new Map(), handling: Promise.resolve() };
    this.conns.set(record.id, c);
    this.watch(c);
    return c;
  }

  private close(c: Connection): void {
    this.conns.delete(c.record.id);
    if (c.timer) clearTimeout(c.timer);
    c.timer = undefined;
    const ev = c.events;
    c.events = undefined;
    if (ev && ev.exitCode === null) ev.kill('SIGTERM');
    for (const con of c.consoles.values()) con.dispose();
    c.consoles.clear();
  }

  /** The event child: while it runs the remote is connected; when it ends, back off and try again. */
  private watch(c: Connection): void {
    if (this.disposed || !this.conns.has(c.record.id)) return;
    const child = spawnVirsh(c.record.uri, ['event', '--loop', '--all']);
    c.events = child;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let confirmed = false;
    // virsh prints nothing until an event comes: `version` says whether the host answers meanwhile
    const confirm = async () => {
      try {
        const v = await virsh(c.record.uri, ['version', '--daemon'], { timeoutMs: 30_000 });
        if (c.events !== child || child.exitCode !== null) return;
        confirmed = true;
        c.version = parseVersion(v);
        const was = c.state;
        c.state = 'connected';
        c.error = null;
        c.attempt = 0;
        if (was !== 'connected') {
          this.d.log(`remote ${c.record.name}: connected (libvirt ${c.version.libvirt ?? '?'})`);
          await this.refreshDomains(c).catch(() => undefined);
          this.d.changed(c.record.name);
        }
      } catch (e) {
        if (c.events === child) c.error = (e as Error).message;
      }
    };
    void confirm();
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const ev = parseEventLine(line);
      if (!ev) return;
      c.handling = c.handling.then(() => this.onEvent(c, ev.event, ev.domain, ev.detail)).catch(() => undefined);
    });
    child.on('error', (e) => (stderr += e.message));
    child.on('close', () => {
      if (c.events !== child) return;
      c.events = undefined;
      const was = c.state;
      c.state = 'disconnected';
      const why = stderr.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('error:')).map((l) => l.slice(7));
      c.error = why.length ? why.join(': ') : 'the connection ended';
      for (const con of c.consoles.values()) con.detach();
      if (was === 'connected' || !confirmed) this.d.changed(c.record.name);
      if (was === 'connected') this.d.log(`remote ${c.record.name}: disconnected: ${c.error}`);
      if (this.disposed || !this.conns.has(c.record.id)) return;
      const delay = reconnectDelayMs(c.attempt++);
      c.timer = setTimeout(() => {
        c.timer = undefined;
        this.watch(c);
      }, delay);
      c.timer.unref?.();
    });
  }

  private async onEvent(c: Connection, event: string, domain: string, detail: string): Promise<void> {
    if (event !== 'lifecycle' && event !== 'reboot') return;
    const con = c.consoles.get(domain);
    // A console belongs to one QEMU's pty: when that QEMU ends (stopped, migrated away, undefined) or a
    // new one arrives (migrated in), a virsh console still running is the old one's, and it would keep
    // a domain that comes back from attaching again (it keeps its output).
    // (Unless the stream is already the QEMU running now: a send made after a revert through another
    // connection attached it before this connection's events of that revert arrived.)
    if (/^(Undefined|Stopped|Started Migrated)/.test(detail) && con?.attached) {
      const now = con.knowsItsQemu ? await currentDomainId(c.record.uri, domain) : undefined;
      if (now === undefined) con.detach();
      else con.detachIfNotOf(now);
    }
    if (/^Undefined/.test(detail)) c.domains.delete(domain);
    else {
      // the event says what happened; domstate says where that left the domain
      const state = await virsh(c.record.uri, ['domstate', domain], { timeoutMs: 30_000 }).then(readDomainState, () => 'unknown' as const);
      c.domains.set(domain, state);
      if (con && state === 'running') con.attach();
    }
    if (/FromSnapshot/.test(detail)) {
      const n = c.reverts.get(domain) ?? { any: 0, started: 0 };
      c.reverts.set(domain, { any: n.any + 1, started: n.started + (/^Started FromSnapshot/.test(detail) ? 1 : 0) });
    }
    for (const w of [...c.waiters]) w();
    this.d.changed(c.record.name, domain);
  }

  private async refreshDomains(c: Connection): Promise<DomainListItem[]> {
    const list = parseDomainList(await virsh(c.record.uri, ['list', '--all'], { timeoutMs: 60_000 }));
    c.domains = new Map(list.map((x) => [x.name, x.state]));
    return list;
  }

  private connected(c: Connection): void {
    if (c.state !== 'connected') throw new HangarError('STATE_CONFLICT', `remote '${c.record.name}' is disconnected${c.error ? `: ${c.error}` : ''}`);
  }

  /** A connected remote's name and URI (for the transfers) */
  endpoint(remote: string): { name: string; uri: string } {
    const c = this.conn(remote);
    this.connected(c);
    return { name: c.record.name, uri: c.record.uri };
  }

  /** 'REMOTE/DOMAIN' of a connected remote → its name, URI and the domain */
  resolveEndpoint(ref: string): { c: { name: string; uri: string }; domain: string } {
    const { c, domain } = this.resolve(ref);
    return { c: { name: c.record.name, uri: c.record.uri }, domain };
  }

  /** says that a remote's domain changed (made by a transfer) */
  touched(remote: string, domain: string): void {
    this.d.changed(remote, domain);
  }

  // ------------------------------------------------------------ domains

  async domains(remote: string): Promise<{ remote: string; state: RemoteState; domains: DomainListItem[] }> {
    const c = this.conn(remote);
    this.connected(c);
    return { remote: c.record.name, state: c.state, domains: await this.refreshDomains(c) };
  }

  /** 'REMOTE/DOMAIN' → its connection (connected) and domain name */
  resolve(ref: string): { c: Connection; domain: string } {
    const parts = splitRemoteRef(ref);
    if (!parts) throw new HangarError('INVALID_INPUT', `'${ref}' does not name a remote VM (REMOTE/DOMAIN)`);
    const problems = domainNameProblems(parts.domain);
    if (problems.length) throw new HangarError('INVALID_INPUT', problems[0]!);
    const c = this.conn(parts.remote);
    this.connected(c);
    return { c, domain: parts.domain };
  }

  async state(ref: string): Promise<{ remote: string; name: string; state: DomainState }> {
    const { c, domain } = this.resolve(ref);
    const state = readDomainState(await virsh(c.record.uri, ['domstate', domain]));
    c.domains.set(domain, state);
    return { remote: c.record.name, name: domain, state };
  }

  async action(ref: string, action: RemoteAction, opts: { timeoutS?: number; wait?: boolean; signal?: AbortSignal } = {}): Promise<{ remote: string; name: string; state: DomainState }> {
    const { c, domain } = this.resolve(ref);
    if (action === 'start') {
      // the console attaches as the domain starts, so its boot output is kept
      this.console(c, domain);
    }
    await virsh(c.record.uri, [action, domain], { timeoutMs: 120_000, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (action === 'start') this.console(c, domain).attach();
    if (action === 'shutdown' && opts.wait !== false) {
      // the guest answers the ACPI button in its own time; the lifecycle event says when it is off
      await this.waitFor(c, domain, (s) => s === 'shut off', (opts.timeoutS ?? 120) * 1000, opts.signal);
    }
    const state = readDomainState(await virsh(c.record.uri, ['domstate', domain]));
    c.domains.set(domain, state);
    this.d.changed(c.record.name, domain);
    return { remote: c.record.name, name: domain, state };
  }

  /** Resolves when `done()` holds after an event was handled, or after `timeoutMs` (never rejects). */
  private until(c: Connection, done: () => boolean, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        c.waiters.delete(check);
        resolve();
      };
      const check = () => done() && finish();
      const timer = setTimeout(finish, timeoutMs);
      c.waiters.add(check);
    });
  }

  private waitFor(c: Connection, domain: string, ok: (s: DomainState) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        c.waiters.delete(check);
        signal?.removeEventListener('abort', abort);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        const s = c.domains.get(domain);
        if (s && ok(s)) done();
      };
      const abort = () => done(new HangarError('CANCELLED', 'cancelled'));
      const timer = setTimeout(() => done(new HangarError('TIMEOUT', `'${c.record.name}/${domain}' did not shut down within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      signal?.addEventListener('abort', abort);
      c.waiters.add(check);
      // the state may have changed already (an event before the wait began)
      void virsh(c.record.uri, ['domstate', domain]).then((t) => {
        c.domains.set(domain, readDomainState(t));
        check();
      }, () => undefined);
    });
  }

  // ------------------------------------------------------------ console

  private console(c: Connection, domain: string): RemoteConsole {
    let con = c.consoles.get(domain);
    if (!con) {
      const data = this.d.consoleData;
      con = new RemoteConsole(c.record.uri, domain, data ? (d) => data(c.record.name, domain, d) : undefined);
      c.consoles.set(domain, con);
    }
    return con;
  }

  async serial(ref: string, maxBytes: number): Promise<Buffer> {
    const { c, domain } = this.resolve(ref);
    const con = this.console(c, domain);
    // not attached: ask libvirt where the domain is now (an event may still be on its way)
    if (!con.attached && (await this.state(ref)).state === 'running') con.attach();
    return con.output(maxBytes);
  }

  async send(ref: string, text: string, enter: boolean): Promise<void> {
    const { c, domain } = this.resolve(ref);
    const con = this.console(c, domain);
    // A stream left from the domain's previous QEMU (reverted or restarted through another connection,
    // whose events have not reached this one yet) would swallow the keys: attach to the one running now.
    const id = await currentDomainId(c.record.uri, domain);
    if (id !== undefined) con.detachIfNotOf(id);
    // keys typed before virsh has the console wait for it (RemoteConsole queues them)
    con.attach(id);
    con.write(enter ? `${text}\r` : text);
  }

  // ------------------------------------------------------------ snapshots

  async snapshots(ref: string): Promise<{ remote: string; name: string; snapshots: RemoteSnapshot[] }> {
    const { c, domain } = this.resolve(ref);
    const current = (await virsh(c.record.uri, ['snapshot-current', domain, '--name']).catch(() => '')).trim() || null;
    const list = parseSnapshotList(await virsh(c.record.uri, ['snapshot-list', domain, '--parent']), current);
    return { remote: c.record.name, name: domain, snapshots: list };
  }

  async snapshotTake(ref: string, name: string, description: string, signal?: AbortSignal): Promise<RemoteSnapshot> {
    const { c, domain } = this.resolve(ref);
    const problems = domainNameProblems(name);
    if (problems.length) throw new HangarError('INVALID_INPUT', `snapshot name: ${problems[0]!}`);
    await virsh(c.record.uri, ['snapshot-create-as', domain, name, ...(description ? ['--description', description] : [])], { timeoutMs: 600_000, ...(signal ? { signal } : {}) });
    const snap = (await this.snapshots(ref)).snapshots.find((s) => s.name === name);
    if (!snap) throw new HangarError('INTERNAL', `snapshot '${name}' was taken but is not listed`);
    this.d.changed(c.record.name, domain);
    return snap;
  }

  async snapshotRevert(ref: string, name: string, signal?: AbortSignal): Promise<{ remote: string; name: string; state: DomainState }> {
    const { c, domain } = this.resolve(ref);
    const before = c.reverts.get(domain) ?? { any: 0, started: 0 };
    await virsh(c.record.uri, ['snapshot-revert', domain, '--snapshotname', name], { timeoutMs: 600_000, ...(signal ? { signal } : {}) });
    const state = readDomainState(await virsh(c.record.uri, ['domstate', domain]));
    // The revert's lifecycle events reach the event stream a moment after virsh returns; one that says
    // the old QEMU stopped detaches the console. Keys typed before it is handled would go to a console
    // about to be cut off (a user's first keys after a revert, lost): wait until the revert's last
    // event ("Started FromSnapshot" for a running domain) has been handled, a few seconds at most.
    await this.until(c, () => {
      const n = c.reverts.get(domain) ?? { any: 0, started: 0 };
      return state === 'running' ? n.started > before.started : n.any > before.any;
    }, REVERT_EVENTS_WAIT_MS);
    if (state === 'running') this.console(c, domain).attach();
    this.d.changed(c.record.name, domain);
    return { remote: c.record.name, name: domain, state };
  }

  async snapshotDelete(ref: string, name: string): Promise<void> {
    const { c, domain } = this.resolve(ref);
    await virsh(c.record.uri, ['snapshot-delete', domain, '--snapshotname', name], { timeoutMs: 600_000 });
    this.d.changed(c.record.name, domain);
  }

  dispose(): void {
    this.disposed = true;
    for (const c of [...this.conns.values()]) this.close(c);
  }
}

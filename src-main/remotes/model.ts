// Remotes (libvirt hosts), pure: the names and URIs people give, how a remote VM is named
// (REMOTE/DOMAIN), and the readers of what virsh prints. Nothing here runs anything.

/** The URI schemes Hangar connects to: libvirt's QEMU driver, locally or over ssh, tcp, tls or a unix socket. */
export const REMOTE_SCHEMES = ['qemu', 'qemu+ssh', 'qemu+tcp', 'qemu+tls', 'qemu+unix', 'qemu+libssh', 'qemu+libssh2'] as const;

export type RemoteState = 'connected' | 'disconnected';

/** Problems with a remote's name: a short word, since it is the first part of REMOTE/DOMAIN. */
export function remoteNameProblems(name: string): string[] {
  if (name === '') return ["a remote's name must not be empty"];
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) return [`remote name '${name}' may only have letters, digits, '.', '_' and '-' (up to 63, not starting with a sign)`];
  return [];
}

/**
 * Problems with a libvirt URI: the scheme must be one of libvirt's QEMU transports, the path /system or
 * /session; nothing that a shell or virsh's own option parser would read differently (white space,
 * controls, a leading '-').
 */
export function remoteUriProblems(uri: string): string[] {
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/u.test(uri)) return ['the URI must not contain white space or control characters'];
  const m = /^([a-z0-9+]+):\/\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/i.exec(uri);
  if (!m) return [`'${uri}' is not a libvirt URI (such as qemu:///system or qemu+ssh://user@host/system)`];
  const scheme = m[1]!.toLowerCase();
  if (!(REMOTE_SCHEMES as readonly string[]).includes(scheme)) return [`unknown URI scheme '${scheme}': Hangar connects to ${REMOTE_SCHEMES.join(', ')}`];
  const path = m[3] ?? '';
  if (path !== '/system' && path !== '/session') return [`the URI's path must be /system or /session, not '${path || '(none)'}'`];
  if (scheme !== 'qemu' && scheme !== 'qemu+unix' && m[2] === '') return [`a ${scheme} URI names a host: ${scheme}://[user@]host/system`];
  return [];
}

/** 'host/vm' → { remote: 'host', domain: 'vm' }; undefined when there is no '/' or a part is empty. */
export function splitRemoteRef(ref: string): { remote: string; domain: string } | undefined {
  const i = ref.indexOf('/');
  if (i <= 0 || i === ref.length - 1) return undefined;
  return { remote: ref.slice(0, i), domain: ref.slice(i + 1) };
}

/** Problems with a libvirt domain's name as Hangar passes it to virsh. */
export function domainNameProblems(name: string): string[] {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._+-]{0,199}$/.test(name)) return [`'${name}' is not a domain name Hangar manages (letters, digits, '.', '_', '+', '-')`];
  return [];
}

/** libvirt's domain states as `virsh domstate` and `virsh list` print them. */
export type DomainState = 'running' | 'idle' | 'paused' | 'in shutdown' | 'shut off' | 'crashed' | 'pmsuspended' | 'unknown';
const STATES: readonly string[] = ['running', 'idle', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended'];

export function readDomainState(text: string): DomainState {
  const t = text.trim().split('\n')[0]?.trim() ?? '';
  return (STATES.includes(t) ? t : 'unknown') as DomainState;
}

export interface DomainListItem {
  name: string;
  /** libvirt's id while it runs, else null */
  id: number | null;
  state: DomainState;
}

/** `virsh -q list --all`: ` 1    web     running` / ` -    db      shut off` */
export function parseDomainList(text: string): DomainListItem[] {
  const out: DomainListItem[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+|-)\s+(\S+)\s+(\S.*?)\s*$/.exec(line);
    if (!m) continue;
    out.push({ id: m[1] === '-' ? null : Number(m[1]), name: m[2]!, state: readDomainState(m[3]!) });
  }
  return out;
}

/** `virsh version`: libvirt's version (of the daemon when it says) and the hypervisor's. */
export function parseVersion(text: string): { libvirt: string | null; hypervisor: string | null } {
  const daemon = /Running against daemon:\s*(\S+)/.exec(text)?.[1];
  const lib = /Using library:\s*libvirt\s+(\S+)/.exec(text)?.[1];
  const hyp = /Running hypervisor:\s*(.+)/.exec(text)?.[1]?.trim();
  return { libvirt: daemon ?? lib ?? null, hypervisor: hyp ?? null };
}

/** One line of `virsh event --loop --all`: `event 'lifecycle' for domain 'web': Started Booted`. */
export function parseEventLine(line: string): { event: string; domain: string; detail: string } | undefined {
  const m = /^event '([^']+)' for domain '?(.+?)'?(?::\s*(.*))?$/.exec(line.trim());
  if (!m) return undefined;
  return { event: m[1]!, domain: m[2]!, detail: m[3] ?? '' };
}

export interface RemoteSnapshot {
  name: string;
  parent: string | null;
  createdAt: string;
  /** the domain's state the snapshot holds: running (with memory) or shutoff */
  state: string;
  current: boolean;
}

/**
 * `virsh -q snapshot-list DOM --parent`: `name  2026-12-06 14:10:48 +0000  running  parent`. A
 * snapshot's name may hold spaces; the creation time is what splits the line.
 */
export function parseSnapshotList(text: string, current: string | null): RemoteSnapshot[] {
  const out: RemoteSnapshot[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(.+?)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4})\s+(\S+)\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    out.push({ name: m[1]!, createdAt: m[2]!, state: m[3]!, parent: m[4] ? m[4] : null, current: m[1] === current });
  }
  return out;
}

/** The first 'error: …' line virsh printed (without the prefix), for a one-line message. */
export function virshError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const errs = lines.filter((l) => l.startsWith('error: ')).map((l) => l.slice(7));
  // the first says what failed ("failed to connect to the hypervisor", "Failed to start domain 'x'"), the next why
  if (errs.length >= 2 && /^failed to /i.test(errs[0]!)) return `${errs[0]}: ${errs[1]}`;
  return errs[0] ?? lines.at(-1) ?? 'virsh failed';
}

/** Reconnection back-off: 1, 2, 4, … seconds, at most 30. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, Math.min(attempt, 10)));
}

/** libvirt's snapshots as a tree (children indented under their parent), the current one marked. */
export function formatRemoteSnapshotTree(snaps: RemoteSnapshot[]): string {
  if (snaps.length === 0) return '(no snapshots)';
  const names = new Set(snaps.map((s) => s.name));
  const lines: string[] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const s of snaps.filter((x) => (x.parent !== null && names.has(x.parent) ? x.parent : null) === parent)) {
      lines.push(`${'  '.repeat(depth)}${s.name}  (${s.state}, ${s.createdAt})${s.current ? '  <- current' : ''}`);
      walk(s.name, depth + 1);
    }
  };
  walk(null, 0);
  return lines.join('\n');
}

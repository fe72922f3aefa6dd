// Where a VM migrates to (pure): another Hangar home on this machine, or a Hangar reached through SSH.
import { isAbsolute, normalize } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';

export type Target =
  | { kind: 'home'; home: string }
  /** `home` absent: the remote user's default home */
  | { kind: 'ssh'; user?: string; host: string; port?: number; home?: string };

function bad(message: string): HangarError {
  return new HangarError('INVALID_INPUT', message, { details: { issues: [{ path: 'target', message }] } });
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\])$/;
const USER = /^[A-Za-z_][A-Za-z0-9._-]{0,31}$/;

/** `home:/PATH` or `ssh://[user@]host[:port][/PATH/TO/HOME]`; anything else is refused with what is wrong. */
export function parseTarget(text: string): Target {
  if (text.startsWith('home:')) {
    const path = text.slice('home:'.length);
    if (!isAbsolute(path)) throw bad(`the target home '${path}' must be an absolute path (home:/PATH)`);
    if (/[\0\n]/.test(path)) throw bad('the target home path has control characters');
    return { kind: 'home', home: normalize(path).replace(/(.)\/+$/, '$1') };
  }
  if (text.startsWith('ssh://')) {
    const rest = text.slice('ssh://'.length);
    const slash = rest.indexOf('/');
    const authority = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? '' : rest.slice(slash);
    const at = authority.lastIndexOf('@');
    const user = at < 0 ? undefined : authority.slice(0, at);
    let hostPort = at < 0 ? authority : authority.slice(at + 1);
    let port: number | undefined;
    const m = /^(.*):(\d+)$/.exec(hostPort);
    if (m && !hostPort.endsWith(']')) {
      hostPort = m[1]!;
      port = Number(m[2]);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`the SSH port ${m[2]} is not a port number`);
    }
    if (user !== undefined && !USER.test(user)) throw bad(`'${user}' is not a user name`);
    // A host that starts with '-' would be read by ssh as an option.
    if (!HOST.test(hostPort)) throw bad(`'${hostPort}' is not a host name or address`);
    if (path && (path === '/' || /[\0\n]/.test(path))) throw bad(`'${path}' is not a home folder on the target`);
    return { kind: 'ssh', host: hostPort, ...(user ? { user } : {}), ...(port ? { port } : {}), ...(path ? { home: normalize(path).replace(/(.)\/+$/, '$1') } : {}) };
  }
  throw bad(`'${text}' is not a migration target: use home:/PATH or ssh://[user@]host[:port][/PATH]`);
}

export function describeTarget(t: Target): string {
  if (t.kind === 'home') return `home:${t.home}`;
  return `ssh://${t.user ? `${t.user}@` : ''}${t.host}${t.port ? `:${t.port}` : ''}${t.home ?? ''}`;
}

/** One word for a POSIX shell (the remote side of ssh runs its command through the user's shell). */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

// The display of a remote domain, pure: where its VNC server is (what `virsh domdisplay` prints) and
// how Hangar reaches it from here through the connection's own transport: a local daemon's VNC port on
// this machine directly; over ssh the same ssh client, port, user and key file the libvirt URI names,
// as `ssh -W host:port` (the tunnel is the ssh child's stdin and stdout: no port is opened here that
// another local user could reach). Nothing here runs anything.

export type VncEndpoint = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** How to open a stream to a domain's VNC server from this machine. */
export type DisplayRoute =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'unix'; path: string }
  /** spawn argv[0] with argv[1..]: its stdin and stdout are the VNC stream */
  | { kind: 'ssh'; argv: string[] };

const HOST = /^[A-Za-z0-9._:-]{1,255}$/;

/** `virsh domdisplay --type vnc` → the VNC server (vnc://HOST:DISPLAY, vnc+unix:///PATH); null when it is not VNC. */
export function parseDomDisplay(text: string): VncEndpoint | null {
  const line = text.trim().split('\n')[0]?.trim() ?? '';
  const unix = /^vnc\+unix:\/\/(\/[^\s?#]+)$/.exec(line);
  if (unix) return { kind: 'unix', path: unix[1]! };
  // a password (--include-password) would be user:pass@; Hangar does not ask for it
  const m = /^vnc:\/\/(?:[^@/]*@)?(\[[0-9A-Fa-f:.]+\]|[^:/[\]\s]+):(\d{1,5})\/?$/.exec(line);
  if (!m) return null;
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  const port = 5900 + Number(m[2]);
  if (!HOST.test(host) || port > 65535) return null;
  return { kind: 'tcp', host, port };
}

function uriParams(query: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of query.split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const key = i < 0 ? part : part.slice(0, i);
    let value = i < 0 ? '' : part.slice(i + 1);
    try {
      value = decodeURIComponent(value);
    } catch {
      /* kept as written */
    }
    out.set(key, value);
  }
  return out;
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/**
 * How to reach a domain's VNC server, given the remote's libvirt URI: a local daemon's (qemu:///…,
 * qemu+unix) directly; over ssh (qemu+ssh, qemu+libssh, qemu+libssh2) with the client, port, user and
 * key the URI names; over tcp/tls only when the VNC server listens on more than the host's loopback.
 * A string is the one line that says why not.
 */
export function displayRoute(uri: string, vnc: VncEndpoint): DisplayRoute | string {
  const m = /^([a-z0-9+]+):\/\/([^/?#]*)(?:\/[^?#]*)?(?:\?([^#]*))?$/i.exec(uri);
  if (!m) return `'${uri}' is not a libvirt URI`;
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  const params = uriParams(m[3] ?? '');
  const local = scheme === 'qemu' || scheme === 'qemu+unix' || authority === '';
  if (local) return vnc.kind === 'unix' ? { kind: 'unix', path: vnc.path } : { kind: 'tcp', host: vnc.host, port: vnc.port };
  const at = authority.lastIndexOf('@');
  const user = at >= 0 ? decodeURIComponent(authority.slice(0, at)) : null;
  const hostPort = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(authority.slice(at + 1));
  if (!hostPort) return `cannot read the host of '${uri}'`;
  const host = hostPort[1]!.replace(/^\[(.*)\]$/, '$1');
  const port = hostPort[2];
  if (scheme === 'qemu+ssh' || scheme === 'qemu+libssh' || scheme === 'qemu+libssh2') {
    if (vnc.kind === 'unix') return 'the display listens on a unix socket of the host, which an ssh tunnel (-W) cannot reach';
    const command = scheme === 'qemu+ssh' ? (params.get('command') ?? 'ssh') : 'ssh';
    if (command === '' || command.startsWith('-')) return `the URI's ssh command '${command}' is not a program`;
    if (!HOST.test(host) || (user !== null && !/^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/.test(user))) return `cannot use the host or user of '${uri}' for an ssh tunnel`;
    const keyfile = params.get('keyfile');
    const knownHosts = params.get('known_hosts');
    const target = vnc.host.includes(':') ? `[${vnc.host}]` : vnc.host;
    const argv = [
      command,
      ...(port ? ['-p', port] : []),
      ...(user ? ['-l', user] : []),
      ...(keyfile ? ['-i', keyfile] : []),
      ...(knownHosts ? ['-o', `UserKnownHostsFile=${knownHosts}`] : []),
      ...(params.get('no_verify') === '1' ? ['-o', 'StrictHostKeyChecking=no'] : []),
      // nobody is there to answer a question: a key that needs one fails instead
      '-T', '-o', 'BatchMode=yes', '-o', 'ExitOnForwardFailure=yes', '-e', 'none',
      '-W', `${target}:${vnc.port}`,
      '--', host,
    ];
    return { kind: 'ssh', argv };
  }
  // qemu+tcp, qemu+tls: libvirt's connection carries no display; the VNC port must be reachable itself
  if (vnc.kind === 'unix' || isLoopback(vnc.host)) return `the display of a domain on ${scheme} listens only on its host (${vnc.kind === 'unix' ? 'a unix socket' : vnc.host}): reach it over qemu+ssh://`;
  return { kind: 'tcp', host: vnc.host, port: vnc.port };
}

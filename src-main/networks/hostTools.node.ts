// The host's network tools, run with argument arrays (never a shell): ip (iproute2), nft (nftables) and
// dnsmasq; and the few files under /proc that say what the process may do. Each failure is one line
// that names the command and what the tool said.
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import { hasNetAdmin, parseIpAddrs, parseIpLinks, parseIpRoutes, type HostLink } from './hostState.js';
import type { HostNetworkFacts } from './model.js';
import { bridgeAclVerdict, BRIDGE_ACL_FILE } from './bridgeAcl.js';

const TOOLS = {
  ip: { binary: 'ip', pkg: 'iproute2' },
  nft: { binary: 'nft', pkg: 'nftables' },
  dnsmasq: { binary: 'dnsmasq', pkg: 'dnsmasq-base' },
} as const;
export type ToolName = keyof typeof TOOLS;

const SEARCH = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];
const TIMEOUT_MS = 30_000;

export interface RunResult {
  stdout: string;
  stderr: string;
}

export class HostTools {
  private readonly paths = new Map<ToolName, string>();

  constructor(private readonly log: (line: string) => void = () => {}) {}

  /** The tool's path, found in the PATH and the sbin folders (a user's PATH often lacks /usr/sbin). */
  which(tool: ToolName): string {
    const known = this.paths.get(tool);
    if (known) return known;
    const { binary, pkg } = TOOLS[tool];
    const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d.startsWith('/')), ...SEARCH];
    for (const dir of dirs) {
      const p = join(dir, binary);
      try {
        accessSync(p, constants.X_OK);
        this.paths.set(tool, p);
        return p;
      } catch {
        /* next */
      }
    }
    throw new HangarError('UNSUPPORTED', `${binary} is not installed (Debian package ${pkg})`);
  }

  run(tool: ToolName, args: readonly string[], opts: { input?: string } = {}): Promise<RunResult> {
    const file = this.which(tool);
    return new Promise((resolve, reject) => {
      const child = execFile(file, [...args], { timeout: TIMEOUT_MS, maxBuffer: 16 << 20, env: { PATH: SEARCH.join(':'), LC_ALL: 'C' } }, (err, stdout, stderr) => {
        if (err) {
          const said = String(stderr).trim().split('\n').filter(Boolean).slice(-2).join(' | ') || err.message;
          this.log(`network: ${tool} ${args.join(' ')} failed: ${said}`);
          reject(new HangarError('IO_ERROR', `${tool} ${args.join(' ')} failed: ${said}`, { cause: err }));
          return;
        }
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      });
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
  }

  async ip(...args: string[]): Promise<void> {
    await this.run('ip', args);
  }

  async links(): Promise<HostLink[]> {
    return parseIpLinks((await this.run('ip', ['-j', '-d', 'link', 'show'])).stdout);
  }

  /** The host's IPv4 subnets (addresses and routes) and interfaces: what a new network must not collide with. */
  async facts(): Promise<HostNetworkFacts> {
    const [links, addrs, routes] = await Promise.all([this.links(), this.run('ip', ['-j', '-4', 'addr', 'show']), this.run('ip', ['-j', '-4', 'route', 'show'])]);
    return {
      links: links.map((l) => ({ name: l.name, bridge: l.kind === 'bridge' })),
      subnets: [...parseIpAddrs(addrs.stdout), ...parseIpRoutes(routes.stdout)],
    };
  }

  /** nftables tables of the inet family whose name starts with `prefix`. */
  async tables(prefix: string): Promise<string[]> {
    const out = (await this.run('nft', ['-j', 'list', 'tables', 'inet'])).stdout;
    const parsed = JSON.parse(out || '{}') as { nftables?: { table?: { name?: unknown } }[] };
    return (parsed.nftables ?? []).flatMap((e) => (typeof e.table?.name === 'string' && e.table.name.startsWith(prefix) ? [e.table.name] : []));
  }

  async nft(script: string): Promise<void> {
    await this.run('nft', ['-f', '-'], { input: script });
  }

  /** Writes a kernel setting under /proc/sys (ip_forward, a bridge's route_localnet). */
  sysctl(path: string, value: string): void {
    try {
      writeFileSync(join('/proc/sys', path), value);
    } catch (e) {
      throw new HangarError('IO_ERROR', `cannot set ${path.replace(/\//g, '.')} to ${value}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** Whether this process holds CAP_NET_ADMIN (root, or granted it): what bridges, taps and nftables need. */
export function processHasNetAdmin(): boolean {
  try {
    return hasNetAdmin(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return false;
  }
}

/** Where distributions put qemu-bridge-helper (Debian: qemu-system-common). */
export const BRIDGE_HELPER_PATHS = ['/usr/lib/qemu/qemu-bridge-helper', '/usr/libexec/qemu-bridge-helper'];

/**
 * qemu-bridge-helper, when an owner without CAP_NET_ADMIN may use it to join `bridge`: installed, setuid
 * root (as the admin allows it: chmod u+s), this process not root (root without the capability cannot
 * hand it one), and its access list allowing the bridge. Otherwise why not, in a few words.
 */
export function bridgeHelperFor(bridge: string): { helper: string } | { why: string } {
  const found = BRIDGE_HELPER_PATHS.find((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
  if (!found) return { why: 'qemu-bridge-helper is not installed (Debian package qemu-system-common)' };
  const st = statSync(found);
  if (st.uid !== 0 || (st.mode & 0o4000) === 0) return { why: `${found} is not setuid root (an admin allows it once: chmod u+s ${found})` };
  if (process.getuid?.() === 0) return { why: 'qemu-bridge-helper gives no privilege to root without CAP_NET_ADMIN' };
  // A list only root may read is the helper's to judge; a missing one it refuses, and so does Hangar.
  try {
    accessSync(BRIDGE_ACL_FILE, constants.R_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EACCES') return { helper: found };
  }
  const verdict = bridgeAclVerdict(bridge, (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  });
  return verdict.allowed ? { helper: found } : { why: verdict.why };
}

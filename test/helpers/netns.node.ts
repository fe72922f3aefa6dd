// A network namespace of a test's own (`ip netns add`), so that bridges, taps, dnsmasq and nftables
// rules never touch the machine's own network: the owner, its VMs and every hangar command of the test
// run inside it, and the test's own traffic goes only to addresses inside it. Needs root.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { runCli, type CliResult } from './cli.node.js';

export class TestNetns {
  private constructor(readonly name: string) {}

  /** A new namespace with its loopback up. */
  static create(prefix = 'hgtest'): TestNetns {
    const name = `${prefix}-${randomBytes(4).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', name]);
    const ns = new TestNetns(name);
    ns.run('ip', 'link', 'set', 'lo', 'up');
    return ns;
  }

  /** Runs a command inside the namespace and returns its stdout (throws on a non-zero exit). */
  run(cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.name, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  }

  /** Runs a command inside the namespace: its exit status and output, never a throw. */
  try(cmd: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
    try {
      return { code: 0, stdout: this.run(cmd, ...args), stderr: '' };
    } catch (e) {
      const err = e as { status?: number; stdout?: string; stderr?: string };
      return { code: err.status ?? -1, stdout: String(err.stdout ?? ''), stderr: String(err.stderr ?? '') };
    }
  }

  /**
   * The hangar CLI inside the namespace, for one home. `unprivileged`: without CAP_NET_ADMIN (dropped
   * from the bounding set, so the owner the CLI starts has none either), as a user's desktop runs.
   */
  cli(home: string, opts: { unprivileged?: boolean; asUid?: number; netAdmin?: boolean; mountNs?: string } = {}) {
    // asUid: as that user (the group of the same number, no other groups), as a user's desktop runs, and
    // netAdmin: granted the capabilities as Hangar's refusal says (setpriv --ambient-caps); mountNs:
    // inside that (bind-mounted) mount namespace, which `ip netns exec` then derives its own from.
    const caps = '+net_admin,+net_bind_service,+net_raw';
    const asUser = opts.asUid !== undefined ? ['setpriv', `--reuid=${opts.asUid}`, `--regid=${opts.asUid}`, '--clear-groups', ...(opts.netAdmin ? [`--inh-caps=${caps}`, `--ambient-caps=${caps}`] : []), '--'] : [];
    const prefix = opts.unprivileged ? ['setpriv', '--bounding-set=-net_admin', '--'] : asUser;
    const [file, ...lead] = opts.mountNs ? ['nsenter', `--mount=${opts.mountNs}`, 'ip'] : ['ip'];
    const h = (...args: string[]): Promise<CliResult> => runCli(home, args, { via: [file!, ...lead, 'netns', 'exec', this.name, ...prefix] });
    const ok = async (...args: string[]) => {
      const r = await h(...args);
      if (r.code !== 0) throw new Error(`hangar ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r;
    };
    return { h, ok };
  }

  /** An HTTP GET from inside the namespace (node's own client; a 5 s limit): exit status 0 and the body, or not 0. */
  httpGet(url: string): { code: number; stdout: string } {
    const script = `require('http').get(process.argv[1],{timeout:5000},(r)=>{let b='';r.on('data',(d)=>b+=d);r.on('end',()=>{process.stdout.write(b);process.exit(r.statusCode===200?0:1)})}).on('error',()=>process.exit(1)).on('timeout',function(){this.destroy()})`;
    const r = this.try(process.execPath, '-e', script, url);
    return { code: r.code, stdout: r.stdout };
  }

  /** The processes inside the namespace (the owner, VMM hosts, QEMUs, dnsmasq). */
  pids(): number[] {
    try {
      return execFileSync('ip', ['netns', 'pids', this.name], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  }

  /** Processes of the namespace whose command line contains `text`. */
  processes(text: string): { pid: number; cmdline: string }[] {
    return this.pids().flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        return cmdline.includes(text) ? [{ pid, cmdline }] : [];
      } catch {
        return [];
      }
    });
  }

  /** Ends whatever still runs inside (bounded), then removes the namespace. */
  async destroy(): Promise<void> {
    for (let round = 0; round < 50; round++) {
      const pids = this.pids();
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      execFileSync('ip', ['netns', 'del', this.name]);
    } catch {
      /* already gone */
    }
  }
}

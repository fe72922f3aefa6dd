// The serial console of a remote domain: `virsh console DOMAIN --force`, libvirt's own console stream
// (over the connection's transport, ssh included). virsh insists on a terminal, so it runs under
// util-linux `script`, which gives it a pty; the command `script` runs is a constant and the URI and
// domain reach virsh through the environment, so nothing a person typed is ever parsed by a shell.
// What the guest prints is kept (the last MAX_LOG bytes) for `hangar serial`; `send` types into it.
import { spawn, type ChildProcess } from 'node:child_process';
import { HangarError } from '../../src-vmm/base/errors.js';
import { VIRSH } from './virsh.node.js';

const MAX_LOG = 1 << 20;
// not quiet: virsh's banner ("Escape character is ^]") says when the stream is open
const SCRIPT_COMMAND = 'exec "$HANGAR_VIRSH" -c "$HANGAR_VIRSH_URI" console "$HANGAR_VIRSH_DOMAIN" --force';
/** what virsh itself writes on the console's terminal */
const VIRSH_LINES = /Connected to domain|Escape character is|Authorization not available\. Check if polkit/;
/** virsh flushes its terminal's pending input as it enters raw mode, just after the banner */
const RAW_MODE_SETTLE_MS = 300;

export class RemoteConsole {
  private log = Buffer.alloc(0);
  private child: ChildProcess | undefined;
  private disposed = false;
  /** keys typed before virsh took the console, sent once it has */
  private pending: string[] = [];
  private ready = false;

  constructor(
    private readonly uri: string,
    private readonly domain: string,
    private readonly onData: (data: Buffer) => void = () => undefined,
  ) {}

  get attached(): boolean {
    return this.child !== undefined;
  }

  /** Attaches (again) unless attached: after a start, or when the previous stream ended with the domain. */
  attach(): void {
    if (this.disposed || this.child) return;
    const child = spawn('script', ['-q', '-e', '-c', SCRIPT_COMMAND, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, LC_ALL: 'C', SHELL: '/bin/sh', HANGAR_VIRSH: VIRSH, HANGAR_VIRSH_URI: this.uri, HANGAR_VIRSH_DOMAIN: this.domain },
    });
    this.child = child;
    this.ready = false;
    child.stdout!.on('data', (d: Buffer) => {
      // virsh's own banner and escape hint are not the guest's
      const text = d.toString('latin1');
      if (!this.ready && /Escape character is/.test(text)) {
        setTimeout(() => {
          if (this.child !== child) return;
          this.ready = true;
          for (const t of this.pending.splice(0)) child.stdin!.write(t);
        }, RAW_MODE_SETTLE_MS);
      }
      // (and virsh's note that no polkit agent runs, which it prints on the terminal it is given)
      const cleaned = VIRSH_LINES.test(text) ? Buffer.from(text.replace(new RegExp(`^.*(${VIRSH_LINES.source})[^\n]*\n?`, 'gm'), ''), 'latin1') : d;
      this.append(cleaned);
    });
    child.stdin!.on('error', () => undefined);
    child.on('exit', () => {
      if (this.child !== child) return;
      this.child = undefined;
      this.ready = false;
    });
    child.on('error', () => {
      if (this.child === child) this.child = undefined;
    });
  }

  private append(d: Buffer): void {
    if (d.length === 0) return;
    this.log = Buffer.concat([this.log, d]);
    if (this.log.length > MAX_LOG) this.log = this.log.subarray(this.log.length - MAX_LOG);
    this.onData(d);
  }

  output(maxBytes: number): Buffer {
    return this.log.subarray(Math.max(0, this.log.length - maxBytes));
  }

  write(text: string): void {
    if (!this.child?.stdin?.writable) throw new HangarError('STATE_CONFLICT', `the console of '${this.domain}' is not attached (is the domain running?)`);
    if (this.ready) this.child.stdin.write(text);
    else this.pending.push(text);
  }

  detach(): void {
    const c = this.child;
    this.child = undefined;
    if (c && c.exitCode === null) c.kill('SIGTERM');
  }

  dispose(): void {
    this.disposed = true;
    this.detach();
  }
}

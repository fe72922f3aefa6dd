// The serial console of a remote domain: `virsh console DOMAIN --force`, libvirt's own console stream
// (over the connection's transport, ssh included). virsh insists on a terminal, so it runs under
// util-linux `script`, which gives it a pty; the command `script` runs is a constant and the URI and
// domain reach virsh through the environment, so nothing a person typed is ever parsed by a shell.
// What the guest prints is kept (the last MAX_LOG bytes) for `hangar serial`; `send` types into it.
import { spawn, type ChildProcess } from 'node:child_process';
import { HangarError } from '../../src-vmm/base/errors.js';
import { VIRSH, virsh } from './virsh.node.js';

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
  /**
   * libvirt's id of the domain's QEMU whose console the stream is (each QEMU of a domain gets a new
   * one), once known: a stream of an earlier QEMU takes keys and loses them.
   */
  private streamOf: string | undefined;

  constructor(
    private readonly uri: string,
    private readonly domain: string,
    private readonly onData: (data: Buffer) => void = () => undefined,
  ) {}

  get attached(): boolean {
    return this.child !== undefined;
  }

  /** whether the QEMU whose console the attached stream is has been learned */
  get knowsItsQemu(): boolean {
    return this.child !== undefined && this.streamOf !== undefined;
  }

  /**
   * Attaches (again) unless attached: after a start, or when the previous stream ended with the domain.
   * `domainId`: libvirt's id of the domain's QEMU now, when the caller has it; else it is asked for.
   */
  attach(domainId?: string): void {
    if (this.disposed || this.child) return;
    const child = spawn('script', ['-q', '-e', '-c', SCRIPT_COMMAND, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, LC_ALL: 'C', SHELL: '/bin/sh', HANGAR_VIRSH: VIRSH, HANGAR_VIRSH_URI: this.uri, HANGAR_VIRSH_DOMAIN: this.domain },
    });
    this.child = child;
    this.ready = false;
    this.streamOf = domainId;
    if (domainId === undefined) {
      void currentDomainId(this.uri, this.domain).then((id) => {
        if (this.child === child && this.streamOf === undefined) this.streamOf = id;
      });
    }
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

  /**
   * Detaches a stream that belongs to an earlier QEMU of the domain than `domainId` (a revert or a
   * restart made through another connection, whose events this one has not handled yet).
   */
  detachIfNotOf(domainId: string): void {
    if (this.child && this.streamOf !== undefined && this.streamOf !== domainId) this.detach();
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

/** libvirt's id of the domain's running QEMU (`virsh domid`); undefined when it is not running or cannot be asked. */
export async function currentDomainId(uri: string, domain: string): Promise<string | undefined> {
  const id = await virsh(uri, ['domid', domain], { timeoutMs: 30_000 }).then(
    (out) => out.trim(),
    () => undefined,
  );
  return id && /^\d+$/.test(id) ? id : undefined;
}

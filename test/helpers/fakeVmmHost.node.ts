// A fake VMM host for the interface preview: the seam is the owner's HostForker. Instead of forking
// src-vmm/host (which would spawn QEMU), `fork` serves the real host contract (typed as
// Handlers<typeof hostApi>, so it cannot drift unnoticed) in this process on the VM's host socket, and
// pretends a VM runs: lifecycle states checked by the real host's rules (lifecycle.ts), a serial console
// with a tiny shell, a VNC display with a test picture, saved and live-snapshot state files, and a
// guest that writes to its disks (qemu-io) so sizes and "changed since the snapshot" are real.
// Disk images are real qcow2 files: live snapshot overlays are made with the real qemu-img.
import { execFile } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { DisposableStore, toDisposable, type Disposable } from '../../src-vmm/base/disposable.js';
import { HangarError } from '../../src-vmm/base/errors.js';
import { serve, type ConnectionContext, type Handlers } from '../../src-vmm/base/rpc.js';
import { listenUnix } from '../../src-vmm/base/socketTransport.node.js';
import { checkAction, finalState, type HostAction, type QemuExitFacts } from '../../src-vmm/host/lifecycle.js';
import { SerialLog } from '../../src-vmm/host/serialLog.node.js';
import { HostSpec, hostApi, type HostStatus } from '../../src-vmm/protocol/contract.js';
import type { VmState } from '../../src-vmm/protocol/states.js';
import type { HostForker } from '../../src-main/supervisor/fork.node.js';
import { startFakeVnc, XK_ALT_L, XK_CONTROL_L, XK_DELETE, type FakeVncServer } from './fakeVnc.node.js';
import { encodePng } from './png.js';
import { drawTestCard, SCREEN_HEIGHT, SCREEN_WIDTH, type TextLine } from './testCard.js';

const run = promisify(execFile);
const MiB = 1 << 20;

export interface FakeHostOptions {
  /** milliseconds a step of a long action (save, a live snapshot's state) takes; 10 steps each */
  stepMs?: number;
  qemuImg?: string;
  qemuIo?: string;
  log?: (line: string) => void;
}

/** The forker the preview hands to startOwner({ forker }), and a handle on the VMs it pretends to run. */
export class FakeHosts implements HostForker, Disposable {
  private readonly hosts = new Map<string, FakeHost>();
  stepMs: number;

  constructor(private readonly opts: FakeHostOptions = {}) {
    this.stepMs = opts.stepMs ?? 150;
  }

  async fork(specPath: string): Promise<{ pid: number }> {
    const spec = HostSpec.parse(JSON.parse(readFileSync(specPath, 'utf8')));
    this.hosts.get(spec.vmId)?.dispose();
    const host = new FakeHost(spec, this, this.opts);
    this.hosts.set(spec.vmId, host);
    host.onEnd(() => {
      if (this.hosts.get(spec.vmId) === host) this.hosts.delete(spec.vmId);
    });
    await host.listen();
    return { pid: process.pid };
  }

  /** While held, VMs that boot stay 'starting' (to show what the interface does meanwhile). */
  bootGate: Promise<void> | null = null;
  holdBoot(): () => void {
    let release!: () => void;
    this.bootGate = new Promise((r) => (release = r));
    return () => {
      this.bootGate = null;
      release();
    };
  }

  /** Makes a running VM's "QEMU" die as if killed: the VM ends aborted, with the real host's reason. */
  crash(vmId: string): void {
    const host = this.hosts.get(vmId);
    if (!host) throw new Error(`no fake host runs VM ${vmId}`);
    host.crash();
  }

  dispose(): void {
    for (const h of [...this.hosts.values()]) h.dispose();
    this.hosts.clear();
  }
}

/** What QEMU's command line says about the disks (id → image) and the VNC socket. */
function readArgv(argv: string[]): { disks: Map<string, string>; vnc: string | null } {
  const blockdevs = new Map<string, { file?: unknown; filename?: unknown }>();
  const drives = new Map<string, string>();
  let vnc: string | null = null;
  for (let i = 0; i + 1 < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]!];
    if (flag === '-blockdev') {
      const b = JSON.parse(value) as { 'node-name': string; file?: unknown; filename?: unknown };
      blockdevs.set(b['node-name'], b);
    } else if (flag === '-device' && value.startsWith('{')) {
      const d = JSON.parse(value) as { id?: string; drive?: string };
      if (d.id && d.drive) drives.set(d.id, d.drive);
    } else if (flag === '-vnc') {
      vnc = /unix:([^,]+)/.exec(value)?.[1] ?? null;
    }
  }
  const disks = new Map<string, string>();
  for (const [id, node] of drives) {
    let b = blockdevs.get(node);
    while (b && typeof b.file === 'string') b = blockdevs.get(b.file);
    if (b && typeof b.filename === 'string') disks.set(id, b.filename);
  }
  return { disks, vnc };
}

class FakeHost implements Disposable {
  private state: VmState = 'starting';
  private reason: string | undefined;
  private readonly store = new DisposableStore();
  private readonly clients = new Set<ConnectionContext>();
  private readonly ended = new Set<() => void>();
  private readonly disks: Map<string, string>;
  private readonly vncPath: string | null;
  private vnc: FakeVncServer | undefined;
  private serialLog: SerialLog | undefined;
  private readonly screen: TextLine[] = [];
  private line = '';
  private writes = 0;
  private readonly keysDown = new Set<number>();
  private readonly startedAt = new Date().toISOString();
  private exited = false;
  private readonly log: (line: string) => void;
  private readonly prompt: string;

  constructor(
    private readonly spec: HostSpec,
    private readonly hosts: FakeHosts,
    private readonly opts: FakeHostOptions,
  ) {
    const argv = readArgv(spec.qemu.argv);
    this.disks = argv.disks;
    this.vncPath = argv.vnc;
    const log = opts.log ?? (() => undefined);
    this.log = (l) => log(`fake host vm=${spec.vmId} ${l}`);
    this.prompt = `root@${spec.vmName.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40)}:~# `;
  }

  onEnd(cb: () => void): void {
    this.ended.add(cb);
  }

  async listen(): Promise<void> {
    const server = await listenUnix(this.spec.hostSocket, (transport) => {
      this.store.add(
        serve(hostApi, this.handlers(), transport, {
          onConnection: (conn) => {
            this.clients.add(conn);
            conn.resources.add(toDisposable(() => this.clients.delete(conn)));
          },
          log: this.log,
        }),
      );
    });
    this.store.add(server);
    if (this.spec.serialSocket) {
      this.serialLog = new SerialLog(this.spec.serialLog, this.spec.serialLogMaxBytes);
      this.store.add(toDisposable(() => this.serialLog?.close()));
    }
    if (this.vncPath) {
      this.vnc = await startFakeVnc(this.vncPath, `${this.spec.vmName} (Hangar preview)`, { width: SCREEN_WIDTH, height: SCREEN_HEIGHT, rgba: () => this.picture() }, (k, down) => this.key(k, down));
      this.store.add(this.vnc);
    }
    this.writeStatusFile();
    this.log('listening (no QEMU: the interface preview pretends this VM runs)');
  }

  private status(): HostStatus {
    return { vmId: this.spec.vmId, state: this.state, ...(this.reason ? { reason: this.reason } : {}), hostPid: process.pid, accelerator: this.spec.accelerator, startedAt: this.startedAt };
  }

  private guard(a: HostAction): void {
    checkAction(this.state, a);
  }

  private handlers(): Handlers<typeof hostApi> {
    return {
      'host.status': async () => this.status(),
      'host.boot': async () => {
        this.guard('boot');
        if (this.hosts.bootGate) await this.hosts.bootGate;
        await this.guestWrites();
        if (this.spec.incomingStateFile) {
          rmSync(this.spec.incomingStateFile, { force: true });
          this.bootScreen('(RESUMED FROM A SAVED STATE)');
          this.console(`\r\n[hangar ui preview] resumed from a saved state\r\n${this.prompt}`);
        } else this.bootLog();
        this.setState('running');
        return this.status();
      },
      'host.powerdown': async () => {
        this.guard('powerdown');
        this.setState('stopping', 'ACPI power button pressed');
        setTimeout(() => {
          this.console('\r\n[  OK  ] Reached target poweroff.target - System Power Off.\r\nreboot: Power down\r\n');
          this.end({ shutdown: { guest: true, reason: 'guest-shutdown' } });
        }, this.hosts.stepMs * 3);
        return null;
      },
      'host.powerOff': async () => {
        this.guard('powerOff');
        this.end({ powerOffRequested: true });
        return null;
      },
      'host.pause': async () => {
        this.guard('pause');
        this.setState('paused');
        return null;
      },
      'host.resume': async () => {
        this.guard('resume');
        this.setState('running');
        return null;
      },
      'host.reset': async () => {
        this.guard('reset');
        this.bootLog();
        return null;
      },
      'host.save': async (_input, ctx) => {
        this.guard('save');
        const was = this.state;
        this.setState('stopping', 'saving the machine state');
        try {
          await this.writeState(this.spec.saveStateFile, ctx.signal, (f) => ctx.progress({ fraction: f, message: 'saving the machine state' }));
        } catch (e) {
          this.setState(was);
          throw e;
        }
        this.end({ saveCompleted: true });
        return null;
      },
      'host.snapshotLive': async (input, ctx) => {
        this.guard('snapshotLive');
        let thumbnail = false;
        if (input.thumbnail && this.vncPath) {
          writeFileSync(input.thumbnail, encodePng(this.picture(), SCREEN_WIDTH, SCREEN_HEIGHT));
          thumbnail = true;
        }
        // As QEMU does in one transaction: every disk gets its new overlay on its current image.
        for (const d of input.disks) {
          const top = this.disks.get(d.diskId);
          if (!top) throw new HangarError('QEMU_FAILED', `QEMU has no block device for disk ${d.diskId}`);
          await this.qemuImg(['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', top, d.overlay]);
        }
        for (const d of input.disks) this.disks.set(d.diskId, d.overlay);
        // Then the RAM and device state; a failure here leaves the snapshot without it, as the real host does.
        let stateError: string | undefined;
        const saveState = input.saveState !== false;
        try {
          if (saveState) await this.writeState(input.stateFile, ctx.signal, (f) => ctx.progress({ fraction: f, message: 'saving the running state' }));
        } catch (e) {
          stateError = (e as Error).message;
        }
        await this.guestWrites();
        // The real host writes the RAM in the background where the kernel allows it; the fake says it waited.
        return { pauseMs: 0, stateSaved: saveState && stateError === undefined, ...(stateError ? { stateError } : {}), thumbnail, method: 'paused' as const, quiesced: false };
      },
      // Cards plugged in and out, cables and forwards: the preview has no network to change.
      'host.nicAdd': async () => (this.guard('nicAdd'), null),
      'host.nicRemove': async () => (this.guard('nicRemove'), null),
      'host.nicLink': async () => (this.guard('nicLink'), null),
      'host.nicForwards': async () => (this.guard('nicForwards'), null),
      'host.diskResize': async () => (this.guard('diskResize'), null),
      'host.usbAttach': async () => (this.guard('usbAttach'), null),
      'host.usbDetach': async () => (this.guard('usbDetach'), null),
      // Performance: a made-up minute of a guest at work, so the preview's charts have something to show.
      'host.stats': async ({ sinceMs }) => {
        this.guard('stats');
        const now = Math.floor(Date.now() / 1000) * 1000;
        const samples = Array.from({ length: 60 }, (_, i) => {
          const at = now - (59 - i) * 1000;
          const w = (k: number) => (1 + Math.sin(at / 1000 / k)) / 2;
          return { t: new Date(at).toISOString(), cpuPercent: Math.round(20 + 60 * w(7)), memoryBytes: 180 * 2 ** 20, diskReadBps: Math.round(2e6 * w(11)), diskWriteBps: Math.round(8e6 * w(5)), netRxBps: null, netTxBps: null };
        }).filter((s) => sinceMs === undefined || Date.parse(s.t) > sinceMs);
        return { samples, taps: [] };
      },
      // The preview has no second Hangar to migrate to.
      'host.migrate': async () => {
        this.guard('migrate');
        throw new HangarError('UNSUPPORTED', 'the preview host does not migrate');
      },
      'host.nbdExport': async () => (this.guard('nbdExport'), null),
      // The preview's guests run no agent: the interface shows how to install one.
      'host.guestInfo': async () => ({ agent: 'absent' as const, hostname: null, osName: null, ipAddresses: [] }),
      'host.guestExec': async () => {
        throw new HangarError('UNSUPPORTED', 'the guest agent is not running in this guest');
      },
      'host.guestShutdown': async () => {
        throw new HangarError('UNSUPPORTED', 'the guest agent is not running in this guest');
      },
      'host.switchBack': async ({ disks }) => {
        this.guard('switchBack');
        // Each overlay's writes go back into the image it was put on, and the disk uses that image again.
        const committed: string[] = [];
        for (const d of disks) {
          const diskId = [...this.disks].find(([, path]) => path === d.overlay)?.[0];
          if (!diskId) continue;
          await this.qemuImg(['commit', '-q', '-f', 'qcow2', d.overlay]);
          this.disks.set(diskId, d.image);
          committed.push(d.overlay);
        }
        return { committed };
      },
      'host.openImages': async () => {
        this.guard('openImages');
        return { images: [...this.disks.values()] };
      },
      'host.blockStream': async ({ image, base }) => {
        this.guard('blockStream');
        // block-stream pulls the data between base and image into image: what a safe rebase does.
        await this.qemuImg(['rebase', '-f', 'qcow2', ...(base ? ['-F', 'qcow2'] : []), '-b', base ?? '', image]);
        return { bytes: 0 };
      },
      'host.blockCommit': async ({ diskId, image, into }) => {
        this.guard('blockCommit');
        // block-commit takes the image's data down into its base, and the image above is based on that base.
        const chain = JSON.parse(await this.qemuImg(['info', '--output=json', '--backing-chain', '-U', this.disks.get(diskId) ?? ''])) as { filename: string; 'full-backing-filename'?: string }[];
        const above = chain.find((i) => i['full-backing-filename'] === image)?.filename;
        await this.qemuImg(['commit', '-d', '-f', 'qcow2', image]);
        if (above) await this.qemuImg(['rebase', '-u', '-f', 'qcow2', '-F', 'qcow2', '-b', into, above]);
        return { bytes: 0 };
      },
      'host.screendump': async ({ file }) => {
        this.guard('screendump');
        writeFileSync(file, encodePng(this.picture(), SCREEN_WIDTH, SCREEN_HEIGHT));
        return null;
      },
      'host.consoleWrite': async ({ data }) => {
        this.guard('consoleWrite');
        if (!this.serialLog) throw new HangarError('STATE_CONFLICT', 'this VM has no serial console');
        this.type(data);
        return null;
      },
    };
  }

  // ------------------------------------------------------------ the pretend guest

  private bootLog(): void {
    this.bootScreen();
    this.console(
      [
        '',
        "[hangar ui preview] a simulated console: no QEMU runs; the preview's fake VMM host answers",
        'SeaBIOS (version 1.16.2-debian-1.16.2-1)',
        'Booting from Hard Disk...',
        '[    0.000000] Linux version 6.1.0-21-amd64 (debian-kernel@lists.debian.org)',
        '[    1.904117] EXT4-fs (vda1): mounted filesystem with ordered data mode.',
        '[  OK  ] Reached target multi-user.target - Multi-User System.',
        '',
        `${this.spec.vmName} login: root (automatic login)`,
        '',
        this.prompt,
      ].join('\r\n'),
    );
  }

  private bootScreen(note?: string): void {
    const name = this.spec.vmName;
    this.screen.length = 0;
    this.show('HANGAR UI PREVIEW: A SIMULATED DISPLAY', [250, 220, 120]);
    this.show('NO QEMU RUNS; THE FAKE VMM HOST DRAWS THIS TEST CARD.', [250, 220, 120]);
    this.show('');
    this.show(`VM: ${name}`);
    this.show(`ACCELERATOR: ${this.spec.accelerator}`);
    this.show('');
    if (note) this.show(note, [140, 200, 250]);
    this.show(`${name} login: _`, [140, 230, 140]);
  }

  private show(text: string, colour?: [number, number, number]): void {
    this.screen.push({ text, ...(colour ? { colour } : {}) });
    this.vnc?.invalidate();
  }

  private picture(): Uint8Array {
    return drawTestCard(this.screen);
  }

  private key(keysym: number, down: boolean): void {
    if (down) this.keysDown.add(keysym);
    else this.keysDown.delete(keysym);
    if (down && keysym === XK_DELETE && this.keysDown.has(XK_CONTROL_L) && this.keysDown.has(XK_ALT_L)) {
      this.show('CTRL-ALT-DEL RECEIVED: REBOOTING...', [240, 120, 120]);
    }
  }

  private console(text: string): void {
    if (!this.serialLog) return;
    const bytes = Buffer.from(text);
    this.serialLog.append(bytes);
    const data = bytes.toString('base64');
    for (const c of this.clients) c.emit('host.console', { data });
  }

  /** A line discipline and a shell that knows a few commands. */
  private type(data: string): void {
    for (const ch of data) {
      if (ch === '\r' || ch === '\n') {
        this.console('\r\n');
        const cmd = this.line.trim();
        this.line = '';
        if (cmd !== '') this.console(this.answer(cmd));
        this.console(this.prompt);
      } else if (ch === '\x7f' || ch === '\b') {
        if (this.line.length) {
          this.line = this.line.slice(0, -1);
          this.console('\b \b');
        }
      } else if (ch >= ' ') {
        this.line += ch;
        this.console(ch);
      }
    }
  }

  private answer(cmd: string): string {
    const [word, ...rest] = cmd.split(/\s+/);
    switch (word) {
      case 'uname':
        return `Linux ${this.spec.vmName} 6.1.0-21-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03) x86_64 GNU/Linux\r\n`;
      case 'echo':
        return `${rest.join(' ')}\r\n`;
      case 'hostname':
        return `${this.spec.vmName}\r\n`;
      default:
        return `-bash: ${word}: command not found\r\n`;
    }
  }

  /** The guest writes a few MiB to its first disk, as a running guest does. */
  private async guestWrites(): Promise<void> {
    const top = [...this.disks.values()][0];
    if (!top) return;
    const n = this.writes++;
    const len = (2 + ((n * 7 + this.spec.vmName.length) % 5)) * MiB;
    const offset = (n % 32) * 16 * MiB;
    try {
      await run(this.opts.qemuIo ?? 'qemu-io', ['-f', 'qcow2', '-c', `write -q -P 0x${(0x40 + (n % 64)).toString(16)} ${offset} ${len}`, top]);
    } catch (e) {
      this.log(`guest write to ${top} failed: ${(e as Error).message}`);
    }
  }

  private async qemuImg(args: string[]): Promise<string> {
    try {
      return (await run(this.opts.qemuImg ?? 'qemu-img', args)).stdout;
    } catch (e) {
      throw new HangarError('QEMU_FAILED', `qemu-img ${args[0]} failed: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`);
    }
  }

  /** A state file written the real host's way (.partial, then renamed), over ten steps with progress. */
  private async writeState(target: string, signal: AbortSignal, progress: (f: number) => void): Promise<void> {
    const partial = `${target}.partial`;
    try {
      for (let i = 0; i < 10; i++) {
        if (signal.aborted) throw new HangarError('CANCELLED', 'saving the state was cancelled');
        progress(i / 10);
        await new Promise<void>((r) => {
          const t = setTimeout(r, this.hosts.stepMs);
          signal.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              r();
            },
            { once: true },
          );
        });
      }
      if (signal.aborted) throw new HangarError('CANCELLED', 'saving the state was cancelled');
      writeFileSync(partial, Buffer.alloc(MiB, 0x5a), { mode: 0o600 });
      renameSync(partial, target);
      progress(1);
    } catch (e) {
      rmSync(partial, { force: true });
      throw e;
    }
  }

  // ------------------------------------------------------------ lifecycle

  private setState(state: VmState, reason?: string): void {
    this.state = state;
    this.reason = reason;
    this.writeStatusFile();
    for (const c of this.clients) c.emit('host.state', { state, ...(reason ? { reason } : {}) });
  }

  private writeStatusFile(): void {
    const tmp = `${this.spec.statusFile}.tmp`;
    writeFileSync(tmp, JSON.stringify({ state: this.state, ...(this.reason ? { reason: this.reason } : {}), hostPid: process.pid, updatedAt: new Date().toISOString() }));
    renameSync(tmp, this.spec.statusFile);
  }

  crash(): void {
    this.end({ code: null, signal: 'SIGKILL' });
  }

  /** "QEMU" exits: the final state comes from the real host's rule, then the host goes away. */
  private end(facts: Partial<QemuExitFacts>): void {
    if (this.exited) return;
    this.exited = true;
    const end = finalState({ code: 0, signal: null, shutdown: null, saveCompleted: false, powerOffRequested: false, launchFailed: false, stderrTail: [], ...facts });
    this.log(`pretend QEMU exited: ${end.state}${end.reason ? ` (${end.reason})` : ''}`);
    this.setState(end.state, end.reason);
    // As the real host: give connected owners a moment to read the final state, then go.
    setTimeout(() => this.dispose(), 300);
  }

  dispose(): void {
    this.exited = true;
    this.store.dispose();
    for (const cb of this.ended) cb();
    this.ended.clear();
  }
}

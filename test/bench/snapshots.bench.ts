// Snapshot benchmarks: offline take on small and large disks, live take and the guest's pause with RAM
// filled, and delete (merge) throughput. Every figure is measured through the real `hangar` CLI and
// compared with the bare QEMU / qemu-img operation doing the same work, measured in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, tempHome, waitUntil } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_DISK } from '../fixtures/guest.node.js';
import { median, type BenchFigure } from './results.js';

const OFFLINE_RUNS = 5;
const LIVE_RUNS = 3;
const MERGE_RUNS = 3;
const MERGE_MIB = 200;
/** Share of guest RAM filled with random data before a live snapshot. */
const FILL = 0.6;


const round1 = (x: number) => Math.round(x * 10) / 10;

/** Runs a command to its end; throws with its stderr when it fails. Returns the wall time in ms. */
function timed(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code === 0) resolve(ms);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr.trim()}`));
    });
  });
}

/** The guest's shell command that fills `mib` MiB of RAM in a tmpfs and then prints `fill-42-done` (not part of the echo). */
function fillCommand(mib: number): string {
  return `mkdir -p /dev/shm; mount -t tmpfs -o size=95% tmpfs /dev/shm; dd if=/dev/urandom of=/dev/shm/x bs=1M count=${mib} 2>/dev/null; echo fill-$((6*7))-done`;
}
const FILL_DONE = 'fill-42-done';

export async function connectWhenReady(path: string, qemu: ChildProcess, stderr: () => string, timeoutMs = 30_000): Promise<Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (qemu.exitCode !== null || qemu.signalCode !== null) throw new Error(`bare QEMU exited early: ${stderr().trim()}`);
    const s = await new Promise<Socket | null>((resolve) => {
      const c = connect(path);
      c.once('connect', () => resolve(c));
      c.once('error', () => resolve(null));
    });
    if (s) return s;
    if (Date.now() > deadline) throw new Error(`bare QEMU did not open ${path}: ${stderr().trim()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A minimal QMP client for the bare reference QEMU: one command at a time, events skipped. */
export class BareQmp {
  private buf = '';
  private readonly lines: string[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      this.wake?.();
    });
  }

  private async next(pred: (msg: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (;;) {
      while (this.lines.length) {
        const msg = JSON.parse(this.lines.shift()!) as Record<string, unknown>;
        if (pred(msg)) return msg;
      }
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  async handshake(): Promise<void> {
    await this.next((m) => 'QMP' in m);
    await this.execute('qmp_capabilities');
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    this.sock.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}) })}\n`);
    const msg = await this.next((m) => 'return' in m || 'error' in m);
    if ('error' in msg) throw new Error(`QMP ${command}: ${JSON.stringify(msg.error)}`);
    return msg.return;
  }
}

/**
 * The VM's QEMU argv run bare on a copy of the fixture disk with its own sockets: boot it, fill RAM the
 * same way, then time QMP `stop` + HMP `savevm` + `cont` (QEMU's own internal snapshot with RAM state).
 */
async function bareSavevm(
  spec: { qemu: { binary: string; argv: string[]; env: Record<string, string> }; runDir: string },
  vmDisk: string,
  fixtureDisk: string,
  fillMiB: number,
  dir: string,
  running: Set<ChildProcess>,
): Promise<{ pauses: number[]; stateMiB: number }> {
  mkdirSync(dir, { recursive: true });
  const disk = join(dir, 'disk.qcow2');
  copyFileSync(fixtureDisk, disk);
  const argv = spec.qemu.argv.map((a) => a.split(spec.runDir).join(dir).split(vmDisk).join(disk));
  if (!argv.some((a) => a.includes(disk))) throw new Error(`the VM's argv does not name its disk ${vmDisk}`);
  const home = spec.runDir.replace(/\/VMs\/.*$/, '');
  const leak = argv.find((a) => a.includes(home));
  if (leak) throw new Error(`the bare QEMU would still use a file of the VM: ${leak}`);

  const qemu = spawn(spec.qemu.binary, argv, { env: spec.qemu.env, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(qemu);
  let stderr = '';
  qemu.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const qmp = new BareQmp(await connectWhenReady(join(dir, 'qmp.sock'), qemu, () => stderr));
    const serialSock = await connectWhenReady(join(dir, 'serial.sock'), qemu, () => stderr);
    let serial = '';
    serialSock.on('data', (d: Buffer) => (serial += d.toString()));
    await qmp.handshake();
    await qmp.execute('cont');
    await waitUntil('the bare guest to boot', () => (serial.includes(GUEST_DISK) ? true : undefined), 180_000, 50);
    serialSock.write(`${fillCommand(fillMiB)}\r`);
    await waitUntil('the bare guest to fill its RAM', () => (serial.includes(FILL_DONE) ? true : undefined), 180_000, 50);

    const pauses: number[] = [];
    for (let i = 0; i < LIVE_RUNS; i++) {
      const t0 = performance.now();
      await qmp.execute('stop');
      const out = await qmp.execute('human-monitor-command', { 'command-line': `savevm ref${i + 1}` });
      await qmp.execute('cont');
      pauses.push(performance.now() - t0);
      if (typeof out === 'string' && out.trim() !== '') throw new Error(`savevm ref${i + 1}: ${out.trim()}`);
    }
    qmp.execute('quit').catch(() => undefined);
    serialSock.destroy();
    await new Promise<void>((resolve) => {
      if (qemu.exitCode !== null || qemu.signalCode !== null) resolve();
      else qemu.once('exit', () => resolve());
      setTimeout(() => qemu.kill('SIGKILL'), 10_000).unref();
    });
    // The internal snapshots' state lives inside the qcow2: its growth is the saved state.
    const stateMiB = (statSync(disk).blocks * 512 - statSync(fixtureDisk).blocks * 512) / 2 ** 20 / LIVE_RUNS;
    return { pauses, stateMiB };
  } finally {
    if (qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
    running.delete(qemu);
  }
}

interface LiveVariant {
  home: string;
  env: Record<string, string>;
  /** why the snapshots of this home use the method they do */
  how: string;
}

/**
 * A VM of `memory` MiB in the variant's home, booted, its RAM filled, then LIVE_RUNS live snapshots:
 * each one's end-to-end time, the guest's pause and method as the owner logged them, the state's size.
 * The VM is powered off after; its launch spec is returned for the bare reference.
 */
async function measureLive(v: LiveVariant, memory: number, fillMiB: number, fixtureDisk: string) {
  const ok = async (...args: string[]) => {
    const r = await runCli(v.home, args, { env: v.env });
    if (r.code !== 0) throw new Error(`hangar ${args.join(' ')}: ${r.stderr.trim()}`);
    return r;
  };
  const vm = `live-${memory}`;
  mkdirSync(join(v.home, 'files'), { recursive: true });
  const vmDisk = join(v.home, 'files', `${vm}.qcow2`);
  copyFileSync(fixtureDisk, vmDisk);
  const created = await ok('create', '--name', vm, '--disk-image', vmDisk, '--memory', String(memory), '--nic', 'none', '--json');
  const vmId = created.json.id as string;
  const folder = created.json.folder as string;
  await ok('start', vm, '--wait-serial', GUEST_DISK, '--timeout', '180');
  const spec = JSON.parse(readFileSync(join(folder, 'run', 'host-spec.json'), 'utf8')) as Parameters<typeof bareSavevm>[0] & { serialLog: string };
  await ok('send', vm, fillCommand(fillMiB));
  await waitUntil(`${vm} to fill its RAM`, () => (readFileSync(spec.serialLog, 'utf8').includes(FILL_DONE) ? true : undefined), 180_000, 100);

  const ownerLog = join(v.home, 'owner.log');
  // "live snapshot (background|paused): guest paused N ms": the method the host allowed, then the pause
  const pauseRe = new RegExp(`vm=${vmId} live snapshot \\((background|paused)\\): guest paused (\\d+) ms`, 'g');
  const methods = new Set<string>();
  const takeMs: number[] = [];
  const pauseMs: number[] = [];
  const stateMiB: number[] = [];
  for (let i = 0; i < LIVE_RUNS; i++) {
    const t0 = performance.now();
    const r = await ok('snapshot', 'take', vm, '--name', `l${i}`, '--json');
    takeMs.push(performance.now() - t0);
    if (r.json.live !== true) throw new Error(`${vm}: the snapshot was taken without the running state`);
    const pauses = [...readFileSync(ownerLog, 'utf8').matchAll(pauseRe)];
    if (pauses.length !== i + 1) throw new Error(`${vm}: expected ${i + 1} 'guest paused' lines in the owner log, found ${pauses.length}`);
    methods.add(pauses[i]![1]!);
    pauseMs.push(Number(pauses[i]![2]));
    const stateFile = join(folder, 'snapshots', `${r.json.id as string}.vmstate`);
    if (existsSync(stateFile)) stateMiB.push(statSync(stateFile).size / 2 ** 20);
  }
  await ok('stop', vm, '--force');
  return { spec, vmDisk, methods, takeMs, pauseMs, stateMiB };
}

export async function snapshotsBench(): Promise<BenchFigure[]> {
  const guest = fixtureGuest();
  const { home, cleanup } = tempHome('hangar-bench-snap-');
  const scratch = mkdtempSync(join(tmpdir(), 'hangar-bench-snap-bare-'));
  const running = new Set<ChildProcess>();
  const homesToClean: { cleanup: () => Promise<void> }[] = [];
  const ok = async (...args: string[]) => {
    const r = await runCli(home, args);
    if (r.code !== 0) throw new Error(`hangar ${args.join(' ')}: ${r.stderr.trim()}`);
    return r;
  };
  /** `hangar <args>` timed end to end, as a script calling it sees it. */
  const timedCli = async (...args: string[]) => {
    const t0 = performance.now();
    const r = await ok(...args);
    return { ms: performance.now() - t0, r };
  };
  const topImage = async (vm: string): Promise<string> => (await ok('show', vm, '--json')).json.disks[0].path as string;
  const figures: BenchFigure[] = [];
  try {
    await ok('host'); // the owner is up and its probe done: measure warm calls

    // ---------------------------------------------------------------- 1. offline take, 20 GiB and 1 GiB
    for (const size of ['20G', '1G'] as const) {
      const vm = `offline-${size}`;
      await ok('create', '--name', vm, '--disk', size, '--nic', 'none', '--json');
      const hangarMs: number[] = [];
      const bareMs: number[] = [];
      for (let i = 0; i < OFFLINE_RUNS; i++) {
        hangarMs.push((await timedCli('snapshot', 'take', vm, '--name', `o${i}`, '--json')).ms);
        // The bare reference: the same overlay operation on the same (new) top image.
        const overlay = join(scratch, `offline-${size}-${i}.qcow2`);
        bareMs.push(await timed('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', await topImage(vm), '-F', 'qcow2', overlay]));
        rmSync(overlay, { force: true });
      }
      const h = median(hangarMs);
      const b = median(bareMs);
      figures.push({
        name: `offline snapshot take, ${size.replace('G', ' GiB')} disk: 'hangar snapshot take' on a stopped VM, end to end (median of ${OFFLINE_RUNS})`,
        value: Math.round(h),
        unit: 'ms',
        reference: Math.round(b),
        referenceName: `qemu-img create -f qcow2 -b <top> -F qcow2 on the same image (median of ${OFFLINE_RUNS})`,
        ratio: h / b,
        note: `overhead ${Math.round(h - b)} ms: the CLI process start, the owner round trips and the inventory commit`,
      });
    }

    // ---------------------------------------------------------------- 2. live take and pause, 256 MiB and 1 GiB
    // The method this host gives a user's QEMU, and where that is the paused one and the bench runs as
    // root, the background snapshot as well: a second home whose QEMU keeps root's capabilities (the
    // test seam), as a user's QEMU is where vm.unprivileged_userfaultfd is 1.
    const hostMethod = (await ok('host', '--json')).json.liveSnapshots as { method: 'background' | 'paused'; why: string };
    const variants: LiveVariant[] = [{ home, env: {}, how: hostMethod.method === 'background' ? hostMethod.why : `as this host gives it: ${hostMethod.why}` }];
    if (hostMethod.method === 'paused' && process.getuid?.() === 0) {
      const second = tempHome('hangar-bench-snap-bg-');
      homesToClean.push(second);
      variants.push({ home: second.home, env: { HANGAR_TEST: '1', HANGAR_TEST_QEMU_KEEPS_CAPABILITIES: '1' }, how: "QEMU keeping root's capabilities (a test seam), as a user's QEMU does where vm.unprivileged_userfaultfd is 1" });
    }
    for (const memory of [256, 1024]) {
      const fillMiB = Math.round(memory * FILL);
      const measured = [];
      for (const v of variants) measured.push(await measureLive(v, memory, fillMiB, guest.disk));
      const first = measured[0]!;
      const bare = await bareSavevm(first.spec, first.vmDisk, guest.disk, fillMiB, join(scratch, `live-${memory}`), running);
      const refPause = median(bare.pauses);
      const setup = `${memory} MiB guest with ${fillMiB} MiB of random data in a tmpfs`;
      for (const [i, m] of measured.entries()) {
        const method = [...m.methods].join(' / ');
        const label = variants.length > 1 ? ` (${method})` : '';
        const sizes = `state ${Math.round(median(m.stateMiB))} MiB (Hangar's file) vs ${Math.round(bare.stateMiB)} MiB (savevm, in the qcow2); runs ${m.pauseMs.join(', ')} ms; ${variants[i]!.how}`;
        figures.push(
          {
            name: `live snapshot take${label}, ${setup}: 'hangar snapshot take' end to end (median of ${LIVE_RUNS})`,
            value: Math.round(median(m.takeMs)),
            unit: 'ms',
            reference: Math.round(refPause),
            referenceName: `QEMU's own savevm on a bare QEMU with the same argv and fill: QMP stop + savevm + cont (median of ${LIVE_RUNS})`,
            ratio: median(m.takeMs) / refPause,
            note: sizes,
          },
          {
            name: `live snapshot guest pause${label}, ${setup} (median of ${LIVE_RUNS}, from the owner log)`,
            value: Math.round(median(m.pauseMs)),
            unit: 'ms',
            reference: Math.round(refPause),
            referenceName: `the guest's pause during QMP stop + savevm + cont on the bare QEMU (median of ${LIVE_RUNS})`,
            ratio: median(m.pauseMs) / refPause,
            note: `Hangar: ${[...m.methods].map((x) => (x === 'background' ? 'background snapshot (the guest runs while its RAM is written; the pause is the disk switch and the device state)' : 'stop, one blockdev-snapshot-sync transaction, migrate to a file, cont')).join(' / ')}; ${sizes}`,
          },
        );
      }
    }

    // ---------------------------------------------------------------- 3. delete (merge) throughput
    const hangarRate: number[] = [];
    const bareRate: number[] = [];
    const bytes = MERGE_MIB * 2 ** 20;
    for (let i = 0; i < MERGE_RUNS; i++) {
      const vm = `merge-${i}`;
      await ok('create', '--name', vm, '--disk', '1G', '--nic', 'none', '--json');
      const base = await topImage(vm);
      await ok('snapshot', 'take', vm, '--name', 'base');
      const s1 = await topImage(vm);
      await timed('qemu-io', ['-f', 'qcow2', '-c', `write -P 0x33 0 ${MERGE_MIB}M`, s1]);
      await ok('snapshot', 'take', vm, '--name', 's1');
      const current = await topImage(vm);

      // An identical copy of the chain base ← s1 ← current, pointed at its own files.
      const dir = join(scratch, vm);
      mkdirSync(dir, { recursive: true });
      const [cb, cs, cc] = ['base', 's1', 'current'].map((n) => join(dir, `${n}.qcow2`)) as [string, string, string];
      for (const [from, to] of [[base, cb], [s1, cs], [current, cc]] as const) {
        await timed('cp', ['--sparse=always', from, to]);
        chmodSync(to, 0o600);
      }
      await timed('qemu-img', ['rebase', '-u', '-f', 'qcow2', '-b', cb, '-F', 'qcow2', cs]);
      await timed('qemu-img', ['rebase', '-u', '-f', 'qcow2', '-b', cs, '-F', 'qcow2', cc]);

      const { ms } = await timedCli('snapshot', 'delete', vm, 's1');
      hangarRate.push(bytes / 2 ** 20 / (ms / 1000));
      const bareMs = await timed('qemu-img', ['commit', '-q', '-f', 'qcow2', cs]);
      bareRate.push(bytes / 2 ** 20 / (bareMs / 1000));
      rmSync(dir, { recursive: true, force: true });
      await ok('delete', vm);
    }
    const h = median(hangarRate);
    const b = median(bareRate);
    figures.push({
      name: `snapshot delete (merge) throughput: 'hangar snapshot delete' of s1 holding ${MERGE_MIB} MiB in base ← s1 ← current, end to end (median of ${MERGE_RUNS})`,
      value: round1(h),
      unit: 'MiB/s',
      reference: round1(b),
      referenceName: `qemu-img commit of s1 into base on an identical copy of the chain (median of ${MERGE_RUNS})`,
      ratio: h / b,
      note: "higher is better; the MiB are s1's. Hangar merges in the cheaper direction: here it commits current (empty) down into s1's image and renames that over current's file, where the reference moves s1's 200 MiB into base (which Hangar never writes: it is the parent snapshot's state). A child holding more than the node is rebased (safe qemu-img rebase) instead",
    });
    return figures;
  } finally {
    for (const q of running) q.kill('SIGKILL');
    for (const h of homesToClean) await h.cleanup();
    await cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
}

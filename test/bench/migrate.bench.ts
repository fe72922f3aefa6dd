// Live migration benchmark: downtime and total time of `hangar migrate --json` between two homes on this
// machine (home:/PATH, shared storage) for a 1 GiB guest, idle and while it dirties memory, against bare
// QEMU migrating the same guest (the same argv, run bare) between two QEMUs over a unix socket, with the
// same capabilities and parameters, measured in the same run. Both figures are QEMU's own (query-migrate's
// downtime and total-time); the end-to-end time of the command is in the notes.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, tempHome, waitUntil } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_PROMPT } from '../fixtures/guest.node.js';
import { migrationCapabilities, migrationParameters } from '../../src-vmm/qmp/migration.js';
import { median, type BenchFigure } from './results.js';
import { BareQmp, connectWhenReady } from './snapshots.bench.js';
import { userCommand } from './userCommand.node.js';

const RUNS = 5;
const MEMORY_MIB = 1024;
const VM = 'bench-mover';
/** The guest keeps copying 64 MiB of random data in a tmpfs: it dirties memory as fast as TCG lets it. */
const DIRTY = 'mkdir -p /dev/shm; mount -t tmpfs -o size=60% tmpfs /dev/shm; dd if=/dev/urandom of=/dev/shm/src bs=1M count=64 2>/dev/null; (while true; do cp /dev/shm/src /dev/shm/x; done) & echo dirty-$((6*7))-on';
const DIRTY_ON = 'dirty-42-on';

interface Spec {
  qemu: { binary: string; argv: string[]; env: Record<string, string> };
  runDir: string;
}

interface Bare {
  qemu: ChildProcess;
  qmp: BareQmp;
  serial: () => string;
  write: (text: string) => void;
  dir: string;
}

/** The VM's own argv, bare, with its sockets in `dir` (and listening for a migration there when `incoming`). */
async function bareQemu(spec: Spec, dir: string, incoming: boolean, running: Set<ChildProcess>): Promise<Bare> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const argv = spec.qemu.argv.map((a) => a.split(spec.runDir).join(dir));
  const home = spec.runDir.replace(/\/VMs\/.*$/, '');
  const leak = argv.find((a) => a.includes(home));
  if (leak) throw new Error(`the bare QEMU would still use a file of the VM: ${leak}`);
  const qemu = spawn(spec.qemu.binary, [...argv, ...(incoming ? ['-incoming', `unix:${join(dir, 'mig.sock')}`] : [])], { env: spec.qemu.env, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(qemu);
  let stderr = '';
  qemu.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const qmp = new BareQmp(await connectWhenReady(join(dir, 'qmp.sock'), qemu, () => stderr));
  const serialSock = await connectWhenReady(join(dir, 'serial.sock'), qemu, () => stderr);
  let serial = '';
  serialSock.on('data', (d: Buffer) => (serial += d.toString()));
  await qmp.handshake();
  return { qemu, qmp, serial: () => serial, write: (t) => serialSock.write(t), dir };
}

/** One bare migration from `src` to a new QEMU in `dir`: QEMU's downtime and total time; the new QEMU runs the guest. */
async function bareMigrate(spec: Spec, src: Bare, dir: string, running: Set<ChildProcess>): Promise<{ dst: Bare; downtimeMs: number; totalMs: number }> {
  const dst = await bareQemu(spec, dir, true, running);
  await src.qmp.execute('migrate-set-capabilities', { ...migrationCapabilities() });
  await src.qmp.execute('migrate-set-parameters', { ...migrationParameters({}) });
  await src.qmp.execute('migrate', { uri: `unix:${join(dir, 'mig.sock')}` });
  // Polled as Hangar's host polls it (every 100 ms), until complete and its figures recorded.
  let info: { status?: string; downtime?: number; 'total-time'?: number; 'error-desc'?: string };
  for (;;) {
    info = (await src.qmp.execute('query-migrate')) as typeof info;
    if (info.status === 'failed' || info.status === 'cancelled') throw new Error(`bare migration ${info.status}: ${info['error-desc'] ?? ''}`);
    if (info.status === 'completed' && info['total-time']) break;
    await new Promise((r) => setTimeout(r, info.status === 'completed' ? 25 : 100));
  }
  await waitUntil('the bare target to have it all', async () => ((await dst.qmp.execute('query-status')) as { status: string }).status === 'paused' || undefined, 60_000, 20);
  await dst.qmp.execute('cont');
  src.qemu.kill('SIGKILL');
  running.delete(src.qemu);
  return { dst, downtimeMs: info.downtime ?? 0, totalMs: info['total-time'] ?? 0 };
}

export async function migrateBench(): Promise<BenchFigure[]> {
  const guest = fixtureGuest();
  const homes = [tempHome('hangar-bench-mig-1-'), tempHome('hangar-bench-mig-2-')];
  const [h1, h2] = homes.map((x) => x.home) as [string, string];
  const scratch = mkdtempSync(join(tmpdir(), 'hangar-bench-mig-bare-'));
  const hangar = userCommand();
  const running = new Set<ChildProcess>();
  const ok = async (home: string, ...args: string[]) => {
    const r = await runCli(home, args);
    if (r.code !== 0) throw new Error(`hangar ${args.join(' ')}: ${r.stderr.trim()}`);
    return r;
  };
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const figures: BenchFigure[] = [];
  type Runs = { downtime: number[]; total: number[]; wall: number[] };
  const hangarRuns: Record<'idle' | 'dirty', Runs> = { idle: { downtime: [], total: [], wall: [] }, dirty: { downtime: [], total: [], wall: [] } };
  const bareRuns: Record<'idle' | 'dirty', Runs> = { idle: { downtime: [], total: [], wall: [] }, dirty: { downtime: [], total: [], wall: [] } };
  const loads: string[] = [];
  try {
    // ------------------------------------------------------------ Hangar: home 1 ⇄ home 2
    for (const home of [h1, h2]) await ok(home, 'host'); // both owners up, their probes done: warm calls
    const created = await ok(h1, 'create', '--name', VM, '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0', '--disk', 'none', '--nic', 'none', '--memory', String(MEMORY_MIB), '--json');
    const folder = created.json.folder as string;
    await ok(h1, 'start', VM, '--wait-serial', GUEST_PROMPT, '--timeout', '300');
    const spec = JSON.parse(readFileSync(join(folder, 'run', 'host-spec.json'), 'utf8')) as Spec;
    let at = h1;
    const hop = async (runs: Runs) => {
      const to = at === h1 ? h2 : h1;
      const r = await hangar.run(at, ['migrate', VM, '--to', `home:${to}`, '--json']);
      const j = JSON.parse(r.stdout) as { downtimeMs: number; totalMs: number };
      runs.downtime.push(j.downtimeMs);
      runs.total.push(j.totalMs);
      runs.wall.push(r.ms);
      at = to;
    };
    loads.push(load());
    for (let i = 0; i < RUNS; i++) await hop(hangarRuns.idle);
    await ok(at, 'send', VM, DIRTY);
    await waitUntil('the guest to dirty its memory', async () => ((await ok(at, 'serial', VM)).stdout.includes(DIRTY_ON) ? true : undefined), 180_000, 500);
    for (let i = 0; i < RUNS; i++) await hop(hangarRuns.dirty);
    await ok(at, 'stop', VM, '--force');

    // ------------------------------------------------------------ bare QEMU: the same argv, two QEMUs, a unix socket
    loads.push(load());
    let src = await bareQemu(spec, join(scratch, 'q0'), false, running);
    await src.qmp.execute('cont');
    await waitUntil('the bare guest to boot', () => (src.serial().includes(GUEST_PROMPT) ? true : undefined), 300_000, 50);
    let n = 1;
    const bareHop = async (runs: Runs) => {
      const t0 = performance.now();
      const r = await bareMigrate(spec, src, join(scratch, `q${n++ % 2}`), running);
      runs.wall.push(performance.now() - t0);
      runs.downtime.push(r.downtimeMs);
      runs.total.push(r.totalMs);
      src = r.dst;
    };
    for (let i = 0; i < RUNS; i++) await bareHop(bareRuns.idle);
    src.write(`${DIRTY}\r`);
    await waitUntil('the bare guest to dirty its memory', () => (src.serial().includes(DIRTY_ON) ? true : undefined), 180_000, 50);
    for (let i = 0; i < RUNS; i++) await bareHop(bareRuns.dirty);
    loads.push(load());

    for (const kind of ['idle', 'dirty'] as const) {
      const h = hangarRuns[kind];
      const b = bareRuns[kind];
      const setup = `${MEMORY_MIB} MiB guest, ${kind === 'idle' ? 'idle' : 'copying 64 MiB of random data in a tmpfs in a loop'}`;
      const list = (xs: number[]) => xs.map((x) => Math.round(x)).join(', ');
      figures.push(
        {
          name: `live migration downtime, ${setup}: 'hangar migrate --json' between two homes, shared storage (median of ${RUNS})`,
          value: Math.round(median(h.downtime)),
          unit: 'ms',
          reference: Math.round(median(b.downtime)),
          referenceName: `bare QEMU, the same argv, migrating to a second QEMU over a unix socket with the same capabilities and parameters, query-migrate's downtime (median of ${RUNS})`,
          ratio: median(h.downtime) / Math.max(1, median(b.downtime)),
          note: `runs: Hangar ${list(h.downtime)} ms, bare ${list(b.downtime)} ms; QEMU's downtime-limit ${migrationParameters({})['downtime-limit']} ms; load (Hangar, bare, end) ${loads.join(' → ')}`,
        },
        {
          name: `live migration total time, ${setup}: QEMU's total-time of 'hangar migrate --json' (median of ${RUNS})`,
          value: Math.round(median(h.total)),
          unit: 'ms',
          reference: Math.round(median(b.total)),
          referenceName: `bare QEMU pair as above, query-migrate's total-time (median of ${RUNS})`,
          ratio: median(h.total) / Math.max(1, median(b.total)),
          note: `the command end to end (CLI start, the line to the target owner, its incoming QEMU, the switch-over, the source's power-off): ${Math.round(median(h.wall))} ms; the bare pair from spawning the target QEMU to its cont: ${Math.round(median(b.wall))} ms`,
        },
      );
    }
    return figures;
  } finally {
    for (const q of running) q.kill('SIGKILL');
    for (const home of [h1, h2]) await runCli(home, ['shutdown', '--force']).catch(() => undefined);
    for (const x of homes) await x.cleanup().catch(() => undefined);
    hangar.dispose();
    rmSync(scratch, { recursive: true, force: true });
  }
}

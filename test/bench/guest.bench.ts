// The guest integration benchmark (issue 16): shared-folder sequential write and read throughput
// (virtio-fs and 9p) against the same dd run on the host folder in the same run; the `hangar exec` round
// trip against a CLI round trip that does not reach the guest; the guest's pause and the file systems'
// freeze of a quiesced live snapshot against the same snapshot taken without quiescing (owner log).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliIn, tempHome, waitUntil } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_TOOLS } from '../fixtures/guest.node.js';
import { median, type BenchFigure } from './results.js';

const MIB = Number(process.env.HANGAR_BENCH_GUEST_MIB ?? 32);
const EXEC_RUNS = 10;
const SNAPSHOT_RUNS = 3;

export async function guestBench(): Promise<BenchFigure[]> {
  const { home, cleanup } = tempHome('hangar-bench-guest-');
  const { ok } = cliIn(home);
  const guest = fixtureGuest();
  const figures: BenchFigure[] = [];
  // Shared folders may not be inside Hangar's home.
  const files = mkdtempSync(join(tmpdir(), 'hangar-bench-guest-files-'));
  try {
    const dirs = { vfs: join(files, 'vfs'), p9: join(files, 'p9'), host: join(files, 'host') };
    for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
    const data = join(files, 'data.img');
    execFileSync('truncate', ['-s', '64M', data]);
    execFileSync('mkfs.ext4', ['-q', '-F', data]);
    const created = await ok(
      'create', '--name', 'bench', '--memory', '512', '--nic', 'virtio', '--kernel', guest.kernel, '--initrd', guest.initrd,
      '--append', 'console=ttyS0,115200 quiet', '--disk-image', data, '--iso', guest.tools,
      '--share', `${dirs.vfs},tag=vfs`, '--share', `${dirs.p9},tag=p9,mode=9p`, '--json',
    );
    const vmId = created.json.id as string;
    const start = async () => {
      await ok('start', 'bench', '--wait-serial', GUEST_TOOLS, '--timeout', '240');
      await waitUntil('the guest agent', async () => ((await ok('show', 'bench', '--json')).json.guest.agent === 'connected' ? true : undefined), 120_000, 1_000);
    };
    const inGuest = async (command: string) => (await ok('exec', 'bench', '--timeout', '300', '--', 'sh', '-c', command)).stdout;
    await start();
    await inGuest('mkdir -p /mnt/vfs /mnt/p9 && mount -t virtiofs vfs /mnt/vfs && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 p9 /mnt/p9');

    // ------------------------------------------------------------ 1. shared folders, sequential dd
    /** Seconds of the guest's own clock around a command (its uptime, 10 ms steps). */
    const guestSeconds = async (command: string) => {
      const out = await inGuest(`a=$(cut -d' ' -f1 /proc/uptime); ${command}; b=$(cut -d' ' -f1 /proc/uptime); echo "$a $b"`);
      const [a, b] = out.trim().split(/\s+/).slice(-2).map(Number) as [number, number];
      return b - a;
    };
    const hostSeconds = (args: string[]) => {
      const t0 = performance.now();
      execFileSync('dd', args, { stdio: 'ignore' });
      return (performance.now() - t0) / 1000;
    };
    const hostWrite = hostSeconds([`if=/dev/zero`, `of=${join(dirs.host, 'bench')}`, 'bs=1M', `count=${MIB}`, 'conv=fsync']);
    const hostRead = hostSeconds([`if=${join(dirs.host, 'bench')}`, 'of=/dev/null', 'bs=1M']);
    for (const [tag, label] of [['vfs', 'virtio-fs'], ['p9', '9p']] as const) {
      const write = await guestSeconds(`dd if=/dev/zero of=/mnt/${tag}/bench bs=1M count=${MIB} conv=fsync 2>/dev/null`);
      const read = await guestSeconds(`echo 3 > /proc/sys/vm/drop_caches; dd if=/mnt/${tag}/bench of=/dev/null bs=1M 2>/dev/null`);
      for (const [what, guestS, hostS] of [['write', write, hostWrite], ['read', read, hostRead]] as const) {
        const value = MIB / guestS;
        const reference = MIB / hostS;
        figures.push({
          name: `shared folder (${label}) sequential ${what}, ${MIB} MiB in 1 MiB blocks, dd in the guest`,
          value: Math.round(value),
          unit: 'MiB/s',
          reference: Math.round(reference),
          referenceName: `the same dd on the host folder${what === 'read' ? ' (the file in the host page cache, as it is for the guest)' : ' (conv=fsync)'}`,
          ratio: value / reference,
          note: what === 'write' ? 'conv=fsync; timed by the guest clock (10 ms steps)' : "the guest's page cache dropped first; timed by the guest clock (10 ms steps)",
        });
      }
    }

    // ------------------------------------------------------------ 2. exec round trip
    const timedCli = async (...args: string[]) => {
      const t0 = performance.now();
      await ok(...args);
      return performance.now() - t0;
    };
    const execMs: number[] = [];
    const showMs: number[] = [];
    for (let i = 0; i < EXEC_RUNS; i++) {
      execMs.push(await timedCli('exec', 'bench', '--', 'true'));
      showMs.push(await timedCli('show', 'bench', '--json'));
    }
    figures.push({
      name: `hangar exec VM -- true, end to end (median of ${EXEC_RUNS})`,
      value: Math.round(median(execMs)),
      unit: 'ms',
      reference: Math.round(median(showMs)),
      referenceName: `hangar show VM --json: the CLI's start and an owner round trip without the guest (median of ${EXEC_RUNS})`,
      ratio: median(execMs) / median(showMs),
      note: `the difference is the agent's guest-exec and guest-exec-status round trips; min ${Math.round(Math.min(...execMs))} ms, max ${Math.round(Math.max(...execMs))} ms`,
    });

    // ------------------------------------------------------------ 3. quiesced snapshot: the guest's pause
    // With shares a running VM's snapshots hold only its disks; without them they keep the running state,
    // which is the pause worth measuring: the shares go first.
    await ok('stop', 'bench', '--force');
    await ok('modify', 'bench', '--unshare', 'vfs', '--unshare', 'p9');
    await start();
    await inGuest('mkdir -p /mnt/data && mount -t ext4 /dev/vda /mnt/data && echo data > /mnt/data/f && sync');
    const ownerLog = join(home, 'owner.log');
    const lineRe = new RegExp(`vm=${vmId} live snapshot: guest paused (\\d+) ms(?:, file systems frozen (\\d+) ms)?`, 'g');
    const runs: Record<'on' | 'off', { pause: number[]; frozen: number[] }> = { on: { pause: [], frozen: [] }, off: { pause: [], frozen: [] } };
    let seen = 0;
    for (let i = 0; i < SNAPSHOT_RUNS; i++) {
      for (const q of ['on', 'off'] as const) {
        const r = await ok('snapshot', 'take', 'bench', '--name', `${q}${i}`, '--quiesce', q, '--json');
        if (r.json.quiesced !== (q === 'on')) throw new Error(`snapshot ${q}${i}: quiesced is ${String(r.json.quiesced)}`);
        const lines = [...readFileSync(ownerLog, 'utf8').matchAll(lineRe)];
        if (lines.length !== seen + 1) throw new Error(`expected ${seen + 1} 'guest paused' lines in the owner log, found ${lines.length}`);
        seen++;
        const m = lines[lines.length - 1]!;
        runs[q].pause.push(Number(m[1]));
        if (m[2] !== undefined) runs[q].frozen.push(Number(m[2]));
      }
    }
    await ok('stop', 'bench', '--force');
    const pauseOn = median(runs.on.pause);
    const pauseOff = median(runs.off.pause);
    figures.push({
      name: `quiesced live snapshot (512 MiB guest, agent freezing an ext4 disk): the guest's pause (median of ${SNAPSHOT_RUNS}, from the owner log)`,
      value: pauseOn,
      unit: 'ms',
      reference: pauseOff,
      referenceName: `the same snapshot with --quiesce off (median of ${SNAPSHOT_RUNS})`,
      ratio: pauseOff > 0 ? pauseOn / pauseOff : 0,
      note: `file systems frozen ${runs.on.frozen.length ? `${median(runs.on.frozen)} ms (median)` : 'not reported'} around the disk switch`,
    });
    return figures;
  } finally {
    rmSync(files, { recursive: true, force: true });
    await cleanup();
  }
}

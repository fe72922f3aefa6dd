// Engine benchmarks: start latency through `hangar start` against the same QEMU command started bare,
// and the memory of one VMM host process. Each figure comes with its bare reference from the same run.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { userCommand } from './userCommand.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';
import { median, type BenchFigure } from './results.js';

const FIRST_LINE = 'Linux version';
/** Boots under TCG vary by half a second here: enough pairs for a median that a 5 % goal can be read against. */
const RUNS = Number(process.env.HANGAR_BENCH_START_RUNS ?? 11);


/** The same argv QEMU got from Hangar, run bare: spawn, QMP handshake, serial connect, cont. */
export async function bareStart(argv: string[], binary: string, env: Record<string, string>, qmpPath: string, serialPath: string, marker = FIRST_LINE): Promise<number> {
  for (const p of [qmpPath, serialPath]) rmSync(p, { force: true });
  const t0 = performance.now();
  const qemu = spawn(binary, argv, { env, stdio: 'ignore' });
  try {
    const sock = async (path: string) => {
      for (;;) {
        const s = await new Promise<import('node:net').Socket | null>((resolve) => {
          const c = connect(path);
          c.once('connect', () => resolve(c));
          c.once('error', () => resolve(null));
        });
        if (s) return s;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const qmp = await sock(qmpPath);
    const serial = await sock(serialPath);
    let qmpBuf = '';
    const lines: string[] = [];
    qmp.on('data', (d: Buffer) => {
      qmpBuf += d.toString();
      let i;
      while ((i = qmpBuf.indexOf('\n')) >= 0) {
        lines.push(qmpBuf.slice(0, i));
        qmpBuf = qmpBuf.slice(i + 1);
      }
    });
    const waitLine = async (pred: (l: string) => boolean) => {
      for (;;) {
        const idx = lines.findIndex(pred);
        if (idx >= 0) return lines.splice(idx, 1)[0];
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    await waitLine((l) => l.includes('"QMP"'));
    qmp.write('{"execute":"qmp_capabilities"}\n');
    await waitLine((l) => l.includes('"return"'));
    let serialText = '';
    const seen = new Promise<number>((resolve) =>
      serial.on('data', (d: Buffer) => {
        serialText += d.toString();
        if (serialText.includes(marker)) resolve(performance.now() - t0);
      }),
    );
    qmp.write('{"execute":"cont"}\n');
    const ms = await seen;
    qmp.destroy();
    serial.destroy();
    return ms;
  } finally {
    qemu.kill('SIGKILL');
  }
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

export async function engineBench(): Promise<BenchFigure[]> {
  const guest = fixtureGuest();
  const { home, cleanup } = tempHome('hangar-bench-');
  const hangar = userCommand();
  try {
    const created = await runCli(home, [
      'create', '--name', 'bench', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0,115200',
      '--disk', 'none', '--nic', 'none', '--memory', '256', '--json',
    ]);
    if (created.code !== 0) throw new Error(created.stderr);
    const vmDir = created.json.folder as string;
    await runCli(home, ['host']); // the owner is up and its probe done: measure warm starts
    // One start first, not measured (the kernel and initrd in the page cache for both sides), then a
    // pause: the owner forks its standby VMM host a moment after a start, as it does a moment after
    // it comes up, so a start from an app that has been open a few seconds finds one waiting.
    await runCli(home, ['start', 'bench', '--wait-serial', FIRST_LINE, '--timeout', '120']);
    // The argv the bare side runs: the one Hangar gave QEMU.
    const spec = JSON.parse(readFileSync(join(vmDir, 'run', 'host-spec.json'), 'utf8')) as { qemu: { binary: string; argv: string[]; env: Record<string, string> }; qmpSocket: string; serialSocket: string };
    await runCli(home, ['stop', 'bench', '--force']);
    await new Promise((r) => setTimeout(r, 3000));
    const ownerLogBefore = readFileSync(join(home, 'owner.log'), 'utf8').length;
    const hangarMs: number[] = [];
    const bareMs: number[] = [];
    let hostRss = NaN;
    const hangarStart = async () => {
      // As a user types it: `hangar` found on the PATH (set-up's launcher), from the keystroke to the line.
      hangarMs.push((await hangar.run(home, ['start', 'bench', '--wait-serial', FIRST_LINE, '--timeout', '120'])).ms);
      const status = JSON.parse(readFileSync(join(vmDir, 'run', 'status.json'), 'utf8')) as { hostPid: number };
      hostRss = rssKiB(status.hostPid);
      await runCli(home, ['stop', 'bench', '--force']);
    };
    const bare = async () => {
      bareMs.push(await bareStart(spec.qemu.argv, spec.qemu.binary, spec.qemu.env, spec.qmpSocket, spec.serialSocket));
    };
    // Each side goes first in every other pair: whatever the one before leaves behind (a QEMU just
    // killed, the standby forked a moment after Hangar's start) falls on both alike.
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) {
        await hangarStart();
        await bare();
      } else {
        await bare();
        await hangarStart();
      }
    }
    const ownerLog = readFileSync(join(home, 'owner.log'), 'utf8').slice(ownerLogBefore);
    const fromStandby = ownerLog.split('\n').filter((l) => l.includes('took this start')).length;
    const h = median(hangarMs);
    const b = median(bareMs);
    const qemuOnly = await (async () => {
      // A bare QEMU's RSS as the memory reference: the host's RSS is Hangar's own overhead per VM.
      const q = spawn(spec!.qemu.binary, spec!.qemu.argv, { env: spec!.qemu.env, stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 1500));
      const v = rssKiB(q.pid!);
      q.kill('SIGKILL');
      return v;
    })();
    return [
      {
        name: `start latency: 'hangar start' (typed: the launcher on the PATH) to the first kernel line on serial (median of ${RUNS})`,
        value: Math.round(h),
        unit: 'ms',
        reference: Math.round(b),
        referenceName: 'the same QEMU argv started bare (spawn, QMP handshake, serial connect, cont)',
        ratio: h / b,
        note: `overhead ${Math.round(h - b)} ms (the launcher and the CLI process start, the owner round trip, the VMM host's start); ${fromStandby} of ${RUNS} starts were handed to a standby VMM host; runs ${hangarMs.map(Math.round).join(', ')} vs ${bareMs.map(Math.round).join(', ')} ms`,
      },
      {
        name: 'memory: RSS of one VMM host process',
        value: Math.round(hostRss / 1024),
        unit: 'MiB',
        reference: Math.round(qemuOnly / 1024),
        referenceName: 'RSS of the bare QEMU process it supervises (256 MiB guest, just started)',
        ratio: hostRss / qemuOnly,
      },
    ];
  } finally {
    hangar.dispose();
    await cleanup();
  }
}

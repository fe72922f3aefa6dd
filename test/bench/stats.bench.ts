// The performance sampler's cost (issue 21): the host samples each running VM once a second, and must
// cost under 1% of one core per VM. Measured here against a bare QEMU (paused, two drives, so its own CPU
// is near nothing) with the host's own sampler code: N samples back to back, the CPU time this process
// and QEMU spend for them (QEMU answers query-blockstats) over the same time without sampling, per sample.
// At one sample a second that is the share of one core; the reference is the 1% budget.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QmpClient } from '../../src-vmm/qmp/client.node.js';
import { StatsSampler, qemuSources } from '../../src-vmm/host/statsSampler.node.js';
import { CLOCK_TICKS_PER_SECOND, parseProcStat } from '../../src-vmm/stats/samples.js';
import type { BenchFigure } from './results.js';

const SAMPLES = Number(process.env.HANGAR_BENCH_STATS_SAMPLES ?? 500);
/** The budget per running VM, in % of one core. */
const BUDGET_PERCENT = 1;

export async function statsBench(): Promise<BenchFigure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-bench-stats-'));
  const disks = [join(dir, 'a.qcow2'), join(dir, 'b.qcow2')];
  for (const d of disks) execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', d, '64M']);
  const qmpSock = join(dir, 'qmp.sock');
  const qemu = spawn('qemu-system-x86_64', ['-machine', 'q35', '-accel', 'tcg', '-S', '-nodefaults', '-display', 'none', '-m', '128', ...disks.flatMap((d) => ['-drive', `file=${d},if=virtio,format=qcow2`]), '-qmp', `unix:${qmpSock},server=on,wait=off`], { stdio: 'ignore' });
  const qmp = new QmpClient({ log: () => undefined });
  try {
    await qmp.connect(qmpSock, { timeoutMs: 30_000, retryUntilMs: 30_000 });
    const sampler = new StatsSampler(qemuSources(qemu.pid!, qmp));
    const qemuTicks = () => parseProcStat(readFileSync(`/proc/${qemu.pid}/stat`, 'utf8'))!.cpuTicks;
    const ownMs = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    for (let i = 0; i < 20; i++) await sampler.sampleOnce(); // warm up (JIT, QMP)
    // sampling: N samples back to back
    const t0 = performance.now();
    const own0 = ownMs();
    const q0 = qemuTicks();
    for (let i = 0; i < SAMPLES; i++) await sampler.sampleOnce();
    const wallMs = performance.now() - t0;
    const ownSampling = ownMs() - own0;
    const qemuSampling = ((qemuTicks() - q0) / CLOCK_TICKS_PER_SECOND) * 1000;
    // the same time without sampling: what QEMU (paused) and this process cost anyway
    const own1 = ownMs();
    const q1 = qemuTicks();
    await new Promise((r) => setTimeout(r, wallMs));
    const ownIdle = ownMs() - own1;
    const qemuIdle = ((qemuTicks() - q1) / CLOCK_TICKS_PER_SECOND) * 1000;
    const perSampleMs = Math.max(0, ownSampling - ownIdle + qemuSampling - qemuIdle) / SAMPLES;
    const percent = (perSampleMs / 1000) * 100;
    sampler.dispose();
    return [
      {
        name: `stats sampler per running VM at 1 sample/s (/proc/PID/stat, query-blockstats on 2 drives, taps), ${SAMPLES} samples`,
        value: Math.round(percent * 1000) / 1000,
        unit: '% of one core',
        reference: BUDGET_PERCENT,
        referenceName: 'the budget',
        ratio: percent / BUDGET_PERCENT,
        note: `${perSampleMs.toFixed(3)} ms CPU per sample (host ${((ownSampling - ownIdle) / SAMPLES).toFixed(3)} ms, QEMU answering ${((qemuSampling - qemuIdle) / SAMPLES).toFixed(3)} ms; QEMU's ticks are 10 ms)`,
      },
    ];
  } finally {
    await qmp.disconnect().catch(() => undefined);
    qemu.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

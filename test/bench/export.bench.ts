// Export benchmark: a VM with a 1 GiB disk (half random data, half zeros) exported by `hangar export`
// end to end, against the bare work in the same run: `qemu-img convert -O vmdk -o
// subformat=streamOptimized` of the same disk, then `tar` of the result. Also the output's size
// against the bare archive's.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, runCli, tempHome } from '../helpers/cli.node.js';
import { median, type BenchFigure } from './results.js';
import { writeHalfRandomRaw } from './import.bench.js';

const RUNS = 3;
const MIB = 1 << 20;
const DISK_MIB = 1024;

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr.trim()}`))));
  });
}

export async function exportBench(): Promise<BenchFigure[]> {
  const { home, cleanup } = tempHome('hangar-bench-export-');
  const dir = mkdtempSync(join(tmpdir(), 'hangar-bench-export-'));
  try {
    // 512 MiB of incompressible data (a hash chain), then 512 MiB of zeros, as the VM's raw disk.
    const raw = join(dir, 'disk.raw');
    writeHalfRandomRaw(raw, DISK_MIB, 'hangar-export-bench');
    const created = await runCli(home, ['create', '--name', 'bench', '--disk-image', raw, '--nic', 'none', '--json']);
    if (created.code !== 0) throw new Error(`hangar create: ${created.stderr}`);
    const env = { ...process.env, HANGAR_HOME: home };
    const hangarMs: number[] = [];
    const bareMs: number[] = [];
    const bareSyncedMs: number[] = [];
    let hangarBytes = 0;
    let bareBytes = 0;
    for (let i = -1; i < RUNS; i++) {
      const vmdk = join(dir, 'bench-disk1.vmdk');
      const bareOva = join(dir, `bare-${i}.ova`);
      const t0 = performance.now();
      await timed('qemu-img', ['convert', '-f', 'raw', '-O', 'vmdk', '-o', 'subformat=streamOptimized', raw, vmdk]);
      await timed('tar', ['--format=ustar', '-C', dir, '-cf', bareOva, 'bench-disk1.vmdk']);
      const bare = performance.now() - t0;
      // Durable, as Hangar's archive is when its command returns.
      const synced = bare + (await timed('sync', [bareOva]));
      bareBytes = statSync(bareOva).size;
      rmSync(vmdk);
      rmSync(bareOva);
      const ova = join(dir, `hangar-${i}.ova`);
      const ms = await timed(process.execPath, [cliPath, 'export', 'bench', '-o', ova, '--json'], env);
      hangarBytes = statSync(ova).size;
      rmSync(ova);
      if (i < 0) continue; // warm-up
      bareMs.push(bare);
      bareSyncedMs.push(synced);
      hangarMs.push(ms);
    }
    const rate = (ms: number) => Math.round((DISK_MIB / (ms / 1000)) * 10) / 10;
    const h = median(hangarMs);
    const b = median(bareMs);
    const bs = median(bareSyncedMs);
    return [
      {
        name: `export of a VM with a 1 GiB disk (half random, half zero) to an .ova: 'hangar export' end to end, SHA-256 manifest and self-check included (median of ${RUNS})`,
        value: rate(h),
        unit: 'MiB/s of virtual disk',
        reference: rate(b),
        referenceName: `qemu-img convert -O vmdk -o subformat=streamOptimized of the same disk, then tar of the VMDK (median of ${RUNS})`,
        ratio: b / h,
        note: `throughput ratio Hangar/bare; Hangar also hashes the VMDK for the manifest and reads the archive back through the importer; runs ${hangarMs.map(Math.round).join(', ')} ms vs ${bareMs.map(Math.round).join(', ')} ms`,
      },
      {
        name: `the same export against convert + tar + sync of the archive (median of ${RUNS})`,
        value: rate(h),
        unit: 'MiB/s of virtual disk',
        reference: rate(bs),
        referenceName: 'qemu-img convert -O vmdk -o subformat=streamOptimized, tar of the VMDK, then sync of the archive (durable, as the export leaves it)',
        ratio: bs / h,
        note: `throughput ratio Hangar/bare; runs ${bareSyncedMs.map(Math.round).join(', ')} ms`,
      },
      {
        name: 'size of the exported .ova',
        value: Math.round(hangarBytes / MIB),
        unit: 'MiB',
        reference: Math.round(bareBytes / MIB),
        referenceName: 'the bare tar of the bare streamOptimized VMDK',
        ratio: hangarBytes / bareBytes,
        note: 'Hangar adds the descriptor and the manifest',
      },
    ];
  } finally {
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

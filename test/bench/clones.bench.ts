// Clone benchmarks: a linked clone on a small and a large disk (it must not grow with the size), and
// the throughput of a full clone flattening a two-image chain. Every figure is measured through the
// real `hangar` command (typed: the launcher on the PATH) and compared with the bare qemu-img / cp operation doing the same work, in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { median, type BenchFigure } from './results.js';
import { timed, userCommand } from './userCommand.node.js';

const LINKED_RUNS = 5;
/** chains made for each size: Hangar clones a third of them, each bare reference converts a third */
const FULL_RUNS = 15;
/** MiB written into the base image before the snapshot (at 0), and into the overlay after it (at overlayAtMiB: no overlap). */
const FULL_SIZES = [
  { virtual: '1G', baseMiB: 300, overlayMiB: 100, overlayAtMiB: 512, withCp: true },
  { virtual: '4G', baseMiB: 1536, overlayMiB: 512, overlayAtMiB: 2048, withCp: false },
] as const;


const round1 = (x: number) => Math.round(x * 10) / 10;

/** MiB of guest data allocated anywhere in the chain ending at `top` (what a flattening copy must read and write). */
async function allocatedMiB(top: string): Promise<number> {
  const { stdout } = await timed('qemu-img', ['map', '--output=json', '-f', 'qcow2', top]);
  const extents = JSON.parse(stdout) as { length: number; data: boolean }[];
  return extents.filter((e) => e.data).reduce((sum, e) => sum + e.length, 0) / 2 ** 20;
}

export async function clonesBench(): Promise<BenchFigure[]> {
  const { home, cleanup } = tempHome('hangar-bench-clone-');
  const scratch = mkdtempSync(join(tmpdir(), 'hangar-bench-clone-bare-'));
  const ok = async (...args: string[]) => {
    const r = await runCli(home, args);
    if (r.code !== 0) throw new Error(`hangar ${args.join(' ')}: ${r.stderr.trim()}`);
    return r;
  };
  /** `hangar <args>` timed end to end as a user types it (set-up's launcher on the PATH). */
  const hangar = userCommand();
  const timedCli = async (...args: string[]) => ({ ms: (await hangar.run(home, args)).ms });
  const chainOf = async (vm: string): Promise<string[]> => (await ok('show', vm, '--json')).json.disks[0].chain as string[];
  const figures: BenchFigure[] = [];
  try {
    await ok('host'); // the owner is up and its probe done: measure warm calls

    // ---------------------------------------------------------------- 1. linked clone, 1 GiB and 100 GiB
    // Both sizes are set up first and measured in turns, so neither gets the colder first runs.
    const sizes = ['1G', '100G'] as const;
    const linked = [];
    for (const size of sizes) {
      const vm = `linked-${size}`;
      await ok('create', '--name', vm, '--disk', size, '--nic', 'none', '--json');
      const [frozen] = await chainOf(vm); // the top image now; the snapshot freezes it
      await ok('snapshot', 'take', vm, '--name', 'S', '--json');
      linked.push({ size, vm, frozen: frozen!, hangarMs: [] as number[], bareMs: [] as number[] });
    }
    await ok('clone', linked[0]!.vm, '--name', 'warm-up', '--linked', '--snapshot', 'S', '--json');
    await ok('delete', 'warm-up');
    for (let i = 0; i < LINKED_RUNS; i++) {
      for (const l of linked) {
        const clone = `${l.vm}-clone-${i}`;
        const { ms } = await timedCli('clone', l.vm, '--name', clone, '--linked', '--snapshot', 'S', '--json');
        l.hangarMs.push(ms);
        const chain = await chainOf(clone);
        if (chain.length !== 2 || chain[1] !== l.frozen) throw new Error(`${clone}: expected an overlay on ${l.frozen}, got the chain ${chain.join(' <- ')}`);
        await ok('delete', clone);
        // The bare reference: the same overlay on the same frozen image.
        const overlay = join(scratch, `linked-${l.size}-${i}.qcow2`);
        l.bareMs.push((await timed('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', l.frozen, '-F', 'qcow2', overlay])).ms);
        rmSync(overlay, { force: true });
      }
    }
    for (const l of linked) {
      await ok('delete', l.vm);
      const h = median(l.hangarMs);
      const b = median(l.bareMs);
      figures.push({
        name: `linked clone, ${l.size.replace('G', ' GiB')} disk: 'hangar clone --linked --snapshot S' of a stopped VM, end to end (median of ${LINKED_RUNS})`,
        value: Math.round(h),
        unit: 'ms',
        reference: Math.round(b),
        referenceName: `qemu-img create -f qcow2 -b <frozen image> -F qcow2 on the same image (median of ${LINKED_RUNS})`,
        ratio: h / b,
        note: `overhead ${Math.round(h - b)} ms: the CLI process start, the owner round trips, the new VM's folder and the inventory commit; runs ${l.hangarMs.map(Math.round).join(', ')} ms`,
      });
    }

    // ---------------------------------------------------------------- 2. full clone throughput
    // Two sizes: at 400 MiB the fixed cost (the CLI's start, the owner's round trips) is a large part of
    // the time; at 2 GiB the copy itself is what is measured.
    for (const size of FULL_SIZES) {
      const hangarRate: number[] = [];
      const convertRate: number[] = [];
      const cpRate: number[] = [];
      const durableRate: number[] = [];
      const directRate: number[] = [];
      const hangarMs: number[] = [];
      const durableMs: number[] = [];
      let dataMiB = 0;
      for (let i = 0; i < FULL_RUNS; i++) {
        const vm = `full-${size.virtual}-${i}`;
        await ok('create', '--name', vm, '--disk', size.virtual, '--nic', 'none', '--json');
        const [base] = await chainOf(vm);
        await timed('qemu-io', ['-f', 'qcow2', '-c', `write -q -P 0x11 0 ${size.baseMiB}M`, base!]);
        await ok('snapshot', 'take', vm, '--name', 'S', '--json');
        const chain = await chainOf(vm);
        if (chain.length !== 2 || chain[1] !== base) throw new Error(`${vm}: expected base <- overlay, got the chain ${chain.join(' <- ')}`);
        const top = chain[0]!;
        await timed('qemu-io', ['-f', 'qcow2', '-c', `write -q -P 0x22 ${size.overlayAtMiB}M ${size.overlayMiB}M`, top]);
        dataMiB = await allocatedMiB(top);

        // One side per chain, in turns, each right after the same set-up: on this disk a large write
        // that follows another one's closely can be several times slower (seen: 11-14 s against 1.4-2.4 s
        // for 2 GiB, whichever went second), so Hangar and the reference never follow each other.
        const flat = join(scratch, `${vm}-flat.qcow2`);
        const copy = join(scratch, `${vm}-cp.qcow2`);
        const hangarClone = async () => {
          await timed('sync', []);
          const { ms } = await timedCli('clone', vm, '--name', `${vm}-copy`, '--json');
          const cloned = await chainOf(`${vm}-copy`);
          if (cloned.length !== 1) throw new Error(`${vm}-copy: expected one standalone image, got the chain ${cloned.join(' <- ')}`);
          hangarRate.push(dataMiB / (ms / 1000));
          hangarMs.push(ms);
        };
        // (a) the bare flattening of the same chain top, then an fsync of its output (Hangar's copy is
        // durable when the command returns); (b) a sparse copy of the file (a) produced; (c) the same
        // flattening written around the page cache with parallel writes (-t none -W), as Hangar runs it, then the fsync.
        const bareConvert = async () => {
          await timed('sync', []);
          const convertMs = (await timed('qemu-img', ['convert', '-f', 'qcow2', '-O', 'qcow2', top, flat])).ms;
          convertRate.push(dataMiB / (convertMs / 1000));
          const fsyncMs = (await timed('sync', [flat])).ms;
          durableRate.push(dataMiB / ((convertMs + fsyncMs) / 1000));
          durableMs.push(convertMs + fsyncMs);
        };
        const bareDirect = async () => {
          await timed('sync', []);
          const convertMs = (await timed('qemu-img', ['convert', '-t', 'none', '-W', '-f', 'qcow2', '-O', 'qcow2', top, flat])).ms;
          const fsyncMs = (await timed('sync', [flat])).ms;
          directRate.push(dataMiB / ((convertMs + fsyncMs) / 1000));
        };
        const side = i % 3;
        if (side === 0) await hangarClone();
        else if (side === 1) await bareConvert();
        else await bareDirect();
        if (size.withCp && side === 1) cpRate.push(dataMiB / ((await timed('cp', ['--sparse=always', flat, copy])).ms / 1000));
        rmSync(flat, { force: true });
        rmSync(copy, { force: true });
        if (side === 0) await ok('delete', `${vm}-copy`);
        await ok('delete', vm);
      }
      const h = median(hangarRate);
      const setup = `${Math.round(dataMiB)} MiB allocated in base (${size.baseMiB} MiB) <- overlay (${size.overlayMiB} MiB), ${size.virtual.replace('G', ' GiB')} virtual`;
      figures.push(
        {
          name: `full clone throughput, ${setup}: 'hangar clone' of the current state of a stopped VM, end to end (median of ${FULL_RUNS / 3})`,
          value: round1(h),
          unit: 'MiB/s',
          reference: round1(median(durableRate)),
          referenceName: `qemu-img convert -f qcow2 -O qcow2 of the same chain top, then an fsync of its output (sync FILE) (median of ${FULL_RUNS / 3})`,
          ratio: h / median(durableRate),
          note: `higher is better; Hangar runs the same convert, written around the page cache with parallel writes (-t none -W, with -p), into a .partial folder, then fsyncs and renames, plus the CLI and owner round trips: ${Math.round(median(hangarMs) - median(durableMs))} ms against the reference (runs ${hangarMs.map(Math.round).join(', ')} ms vs ${durableMs.map(Math.round).join(', ')} ms); the bare convert with -t none -W, then the fsync: ${round1(median(directRate))} MiB/s; the bare convert without the fsync: ${round1(median(convertRate))} MiB/s`,
        },
      );
      if (size.withCp) {
        figures.push({
          name: `full clone throughput, ${setup}: 'hangar clone' as above, against a plain file copy (median of ${FULL_RUNS / 3})`,
          value: round1(h),
          unit: 'MiB/s',
          reference: round1(median(cpRate)),
          referenceName: `cp --sparse=always of the flattened qcow2 that qemu-img convert produced (median of ${FULL_RUNS / 3})`,
          ratio: h / median(cpRate),
          note: 'higher is better; cp copies one already-flat file and does not fsync: what a copy into the page cache costs, with nothing on the disk yet',
        });
      }
    }
    return figures;
  } finally {
    hangar.dispose();
    await cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
}

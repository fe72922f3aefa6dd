// The load benchmark: 20 tiny VMs started at once through the owner and stopped, with the API's
// latency and the owner's memory meanwhile. References from the same run: the same 20 QEMU argvs
// started bare and at once; the same API prober with nothing running; the owner's memory before.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempHome } from '../helpers/cli.node.js';
import { runLoad } from '../helpers/load.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';
import { bareStart } from './engine.bench.js';
import type { BenchFigure } from './results.js';

const VMS = Number(process.env.HANGAR_BENCH_LOAD_VMS ?? 20);

export async function loadBench(): Promise<BenchFigure[]> {
  const { home, cleanup } = tempHome('hangar-bench-load-');
  try {
    const r = await runLoad({ home, vms: VMS, memoryMiB: 128, guest: fixtureGuest(), log: (l) => process.stderr.write(`bench: load: ${l}\n`) });
    // The same argvs, started bare and at once, each until its guest printed the ready line.
    const specs = r.folders.map((f) => JSON.parse(readFileSync(join(f, 'run', 'host-spec.json'), 'utf8')) as { qemu: { binary: string; argv: string[]; env: Record<string, string> }; qmpSocket: string; serialSocket: string });
    const t0 = performance.now();
    await Promise.all(specs.map((s) => bareStart(s.qemu.argv, s.qemu.binary, s.qemu.env, s.qmpSocket, s.serialSocket, 'TESTGUEST READY')));
    const bareAllMs = performance.now() - t0;
    return [
      {
        name: `load: ${VMS} VMs (96 MiB) started at once, until every guest is ready`,
        value: r.bootAllMs,
        unit: 'ms',
        reference: Math.round(bareAllMs),
        referenceName: `the same ${VMS} QEMU argvs started bare and at once`,
        ratio: r.bootAllMs / bareAllMs,
        note: `then all stopped (--force) in ${r.stopAllMs} ms`,
      },
      {
        name: `load: API latency p99 of vm.list while ${VMS} VMs start and stop`,
        value: r.list.p99,
        unit: 'ms',
        reference: r.idleList.p99,
        referenceName: 'the same prober against the same owner, nothing running',
        ratio: r.list.p99 / r.idleList.p99,
        note: `p50 ${r.list.p50} ms, max ${r.list.max} ms over ${r.list.count} calls; vm.show p99 ${r.show.p99} ms (p50 ${r.show.p50}, max ${r.show.max})`,
      },
      {
        name: `load: owner RSS, peak while ${VMS} VMs start and stop`,
        value: r.ownerRssMiB.max,
        unit: 'MiB',
        reference: r.ownerRssMiB.before,
        referenceName: 'the same owner before the starts (its VMs created, none running)',
        ratio: r.ownerRssMiB.max / r.ownerRssMiB.before,
        note: `${r.ownerRssMiB.after} MiB after; largest serial log ${Math.round(r.serialLogMaxBytes / 1024)} KiB`,
      },
    ];
  } finally {
    await cleanup();
  }
}

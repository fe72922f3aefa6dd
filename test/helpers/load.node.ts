// The load run shared by the load test (a reduced size, in CI) and the load benchmark (the full 20):
// N tiny VMs started at once through the owner's API and then stopped, while a prober asks for
// list and show the way an open window does, and the owner's memory is sampled.
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type Client } from '../../src-vmm/base/rpc.js';
import { connectUnix } from '../../src-vmm/base/socketTransport.node.js';
import { hangarApi } from '../../src-main/api/contract.js';
import { homePaths } from '../../src-main/home.js';
import { runCli } from './cli.node.js';
import type { FixtureGuest } from '../fixtures/guest.node.js';

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  vms: number;
  /** from the first start request until every guest printed its ready line */
  bootAllMs: number;
  stopAllMs: number;
  /** API latency while the VMs started, ran and stopped */
  list: Percentiles;
  show: Percentiles;
  /** the same prober against the same owner with no VM running (the reference) */
  idleList: Percentiles;
  ownerRssMiB: { before: number; max: number; after: number };
  /** the largest serial log (with its rotated part) of any VM */
  serialLogMaxBytes: number;
  folders: string[];
}

export function percentiles(samples: number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? NaN;
  return { count: s.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(s[s.length - 1] ?? NaN) };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
}

/** Asks list and show in turn, as fast as answers come (with a short breath), until stopped. */
function startProber(api: Client<typeof hangarApi>, refs: string[]) {
  const list: number[] = [];
  const show: number[] = [];
  let running = true;
  let failure: unknown;
  const loop = (async () => {
    let i = 0;
    while (running) {
      try {
        let t = performance.now();
        await api.call('vm.list', {});
        list.push(performance.now() - t);
        if (refs.length) {
          t = performance.now();
          await api.call('vm.show', { ref: refs[i++ % refs.length]! });
          show.push(performance.now() - t);
        }
      } catch (e) {
        failure = e;
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      if (failure) throw failure;
      return { list, show };
    },
  };
}

export async function runLoad(o: { home: string; vms: number; memoryMiB: number; guest: FixtureGuest; log?: (line: string) => void }): Promise<LoadResult> {
  const log = o.log ?? (() => undefined);
  const names = Array.from({ length: o.vms }, (_, i) => `load-${String(i + 1).padStart(2, '0')}`);
  const folders: string[] = [];
  for (const name of names) {
    const r = await runCli(o.home, [
      'create', '--name', name, '--kernel', o.guest.kernel, '--initrd', o.guest.initrd, '--append', 'console=ttyS0',
      '--disk', 'none', '--nic', 'none', '--memory', String(o.memoryMiB), '--json',
    ]);
    if (r.code !== 0) throw new Error(`create ${name}: ${r.stderr}`);
    folders.push(r.json.folder as string);
  }
  const host = await runCli(o.home, ['host', '--json']);
  const ownerPid = host.json.ownerPid as number;
  const api = createClient(await connectUnix(homePaths(o.home).ownerSocket, { timeoutMs: 10_000 }), hangarApi);
  try {
    // The reference: the same prober, same owner, nothing running.
    const idle = startProber(api, names);
    await new Promise((r) => setTimeout(r, 3_000));
    const idleSamples = await idle.stop();

    let rssMax = 0;
    const rssBefore = rssMiB(ownerPid);
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssMiB(ownerPid))), 250);
    const prober = startProber(api, names);
    let probed: { list: number[]; show: number[] } | undefined;
    try {
      const t0 = performance.now();
      log(`starting ${o.vms} VMs at once`);
      const started = await Promise.all(names.map((ref) => api.call('vm.start', { ref, waitSerial: 'TESTGUEST READY', timeoutS: 1_200 }, { timeoutMs: 1_300_000 })));
      const bootAllMs = performance.now() - t0;
      for (const [i, s] of started.entries()) if (s.state !== 'running' || s.serialMatched !== true) throw new Error(`${names[i]} did not come up: ${JSON.stringify(s)}`);
      log(`all ${o.vms} ready after ${Math.round(bootAllMs)} ms; stopping them`);
      const t1 = performance.now();
      const stopped = await Promise.all(names.map((ref) => api.call('vm.stop', { ref, force: true }, { timeoutMs: 300_000 })));
      const stopAllMs = performance.now() - t1;
      for (const [i, s] of stopped.entries()) if (s.state !== 'stopped') throw new Error(`${names[i]} did not stop: ${JSON.stringify(s)}`);
      const samples = (probed = await prober.stop());
      clearInterval(sampler);
      const serialLogMaxBytes = Math.max(
        ...folders.map((f) => ['serial.log', 'serial.log.1'].map((n) => join(f, 'logs', n)).reduce((sum, p) => sum + (existsSync(p) ? statSync(p).size : 0), 0)),
      );
      return {
        vms: o.vms,
        bootAllMs: Math.round(bootAllMs),
        stopAllMs: Math.round(stopAllMs),
        list: percentiles(samples.list),
        show: percentiles(samples.show),
        idleList: percentiles(idleSamples.list),
        ownerRssMiB: { before: rssBefore, max: Math.max(rssMax, rssBefore), after: rssMiB(ownerPid) },
        serialLogMaxBytes,
        folders,
      };
    } finally {
      clearInterval(sampler);
      // On failure: stop asking before the client goes (its error is not the one to report).
      if (!probed) await prober.stop().catch(() => undefined);
    }
  } finally {
    api.dispose();
  }
}

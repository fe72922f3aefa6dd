// `npm run bench`: runs every benchmark and writes test/bench/results.json and RESULTS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { repoRoot } from '../helpers/paths.js';
import { engineBench } from './engine.bench.js';
import { uiBench } from './ui.bench.js';
import { snapshotsBench } from './snapshots.bench.js';
import { clonesBench } from './clones.bench.js';
import { importBench } from './import.bench.js';
import { exportBench } from './export.bench.js';
import { loadBench } from './load.bench.js';
import { installBench, quickCreateBench } from './quickcreate.bench.js';
import { networksBench } from './networks.bench.js';
import { guestBench } from './guest.bench.js';
import { statsBench } from './stats.bench.js';
import { migrateBench } from './migrate.bench.js';
import { resultsMarkdown, type BenchFigure } from './results.js';

const loadAverage = () => (existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').split(' ')[0]! : '?');

const BENCHES = [['engine', engineBench], ['ui', uiBench], ['snapshots', snapshotsBench], ['clones', clonesBench], ['import', importBench], ['export', exportBench], ['load', loadBench], ['quickcreate', quickCreateBench], ['networks', networksBench], ['guest', guestBench], ['stats', statsBench], ['migrate', migrateBench]] as const;
/** Run only when named (`npm run bench -- install`): a complete unattended installation takes the better part of an hour. */
const OPT_IN = [['install', installBench]] as const;
const only = process.argv[2];
if (only && ![...BENCHES, ...OPT_IN].some(([name]) => name === only)) {
  process.stderr.write(`bench: no benchmark '${only}' (${[...BENCHES, ...OPT_IN].map(([n]) => n).join(', ')})\n`);
  process.exit(2);
}
// A run of one benchmark keeps the others' last figures: the results file always covers the suite.
const resultsPath = join(repoRoot, 'test', 'bench', 'results.json');
const previous = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as { benches?: Record<string, { date: string; figures: BenchFigure[] }> }) : {};
const benches: Record<string, { date: string; figures: BenchFigure[] }> = { ...(previous.benches ?? {}) };
for (const [name, bench] of [...BENCHES, ...OPT_IN]) {
  if (only ? only !== name : OPT_IN.some(([n]) => n === name)) continue;
  process.stderr.write(`bench: ${name}…\n`);
  // The machine may be shared: each figure says how busy it was (1-minute load average before and after).
  const before = loadAverage();
  const figures = await bench();
  const load = `load ${before}→${loadAverage()}`;
  benches[name] = { date: new Date().toISOString(), figures: figures.map((f) => ({ ...f, note: f.note ? `${f.note}; ${load}` : load })) };
}
const figures: BenchFigure[] = [...BENCHES, ...OPT_IN].flatMap(([name]) => benches[name]?.figures ?? []);
const meta = {
  date: new Date().toISOString(),
  machine: `${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0]}`,
  accelerator: process.env.HANGAR_ACCEL ?? 'auto',
};
writeFileSync(resultsPath, `${JSON.stringify({ ...meta, figures, benches }, null, 2)}\n`);
// Notes written by hand below the table (a '## Notes' heading and what follows) are kept.
const resultsMd = join(repoRoot, 'test', 'bench', 'RESULTS.md');
const oldMd = existsSync(resultsMd) ? readFileSync(resultsMd, 'utf8') : '';
const notesAt = oldMd.search(/^## Notes/m);
writeFileSync(resultsMd, resultsMarkdown(figures, meta) + (notesAt >= 0 ? `\n${oldMd.slice(notesAt)}` : ''));
process.stdout.write(resultsMarkdown(figures, meta));

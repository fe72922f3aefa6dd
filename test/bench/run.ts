// `npm run bench`: runs every benchmark and writes test/bench/results.json and RESULTS.md.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { repoRoot } from '../helpers/paths.js';
import { engineBench } from './engine.bench.js';
import { uiBench } from './ui.bench.js';
import { snapshotsBench } from './snapshots.bench.js';
import { clonesBench } from './clones.bench.js';
import { resultsMarkdown, type BenchFigure } from './results.js';

const figures: BenchFigure[] = [];
const only = process.argv[2];
for (const [name, bench] of [['engine', engineBench], ['ui', uiBench], ['snapshots', snapshotsBench], ['clones', clonesBench]] as const) {
  if (only && only !== name) continue;
  process.stderr.write(`bench: ${name}…\n`);
  figures.push(...(await bench()));
}
const meta = {
  date: new Date().toISOString(),
  machine: `${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0]}`,
  accelerator: process.env.HANGAR_ACCEL ?? 'auto',
};
writeFileSync(join(repoRoot, 'test', 'bench', 'results.json'), `${JSON.stringify({ ...meta, figures }, null, 2)}\n`);
writeFileSync(join(repoRoot, 'test', 'bench', 'RESULTS.md'), resultsMarkdown(figures, meta));
process.stdout.write(resultsMarkdown(figures, meta));

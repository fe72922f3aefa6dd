// Runs one layer of the compiled test suite with node's own test runner.
// usage: node test/run-tests.mjs unit|integration|e2e [filter]
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const layer = process.argv[2];
const filter = process.argv[3];
if (!['unit', 'integration', 'e2e'].includes(layer)) {
  console.error('usage: node test/run-tests.mjs unit|integration|e2e [filter]');
  process.exit(2);
}
const root = join('dist', 'test', layer);
if (!existsSync(root)) {
  console.error(`${root} does not exist: run npm run build first`);
  process.exit(1);
}
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (!filter || p.includes(filter))) files.push(p);
  }
};
walk(root);
if (files.length === 0) {
  console.error(`no test files under ${root}${filter ? ` matching ${filter}` : ''}`);
  process.exit(1);
}
console.log(`${layer}: ${files.length} test files`);
// Integration and e2e tests boot real guests on a 2-core machine: one file at a time.
const concurrency = layer === 'unit' ? 2 : 1;
const args = ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files.map((f) => relative('.', f))];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, HANGAR_TEST: '1' } });
process.exit(r.status ?? 1);

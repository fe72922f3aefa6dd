// Runs one layer of the compiled test suite with node's own test runner.
// usage: node test/run-tests.mjs unit|integration|e2e [filter]
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

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
// Integration tests mostly wait (for QEMU, for guests, for processes): two files at a time on a 2-core
// machine, except those that touch something the whole machine shares (the desktop's MIME database,
// the PATH, the fixture cache, network namespaces and nftables, sysctls, a disk that fills up, the
// 20-VM load) or measure contention themselves: those run alone, afterwards. Unit tests: two at a time.
// E2E tests drive Chromium and web mode: one at a time.
const EXCLUSIVE = [/desktop-/, /npm-start/, /setup-electron/, /cli-open/, /fixtures/, /load/, /full-disk/, /networks/, /probe/, /qemu-privileges/, /concurrency/];
const alone = layer === 'integration' ? files.filter((f) => EXCLUSIVE.some((re) => re.test(f))) : [];
const together = files.filter((f) => !alone.includes(f));
const concurrency = layer === 'e2e' ? 1 : 2;
// Each run's output goes to this terminal as it comes and is kept: the spec reporter's list of failing
// tests, with their errors, comes at the end of its run, and the second run's output would bury the
// first's. So every failing list is printed again last, where the end of a CI log shows it.
const failing = [];
const run = (list, n) =>
  new Promise((resolveRun) => {
    if (list.length === 0) return resolveRun(0);
    const args = ['--enable-source-maps', '--test', `--test-concurrency=${n}`, '--test-reporter=spec', ...list.map((f) => relative('.', f))];
    const child = spawn(process.execPath, args, { stdio: ['inherit', 'pipe', 'inherit'], env: { ...process.env, HANGAR_TEST: '1' } });
    let text = '';
    child.stdout.setEncoding('utf8'); // whole characters, also where a chunk splits one
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      text += chunk;
    });
    child.on('close', (code) => {
      const at = text.lastIndexOf('failing tests:');
      if (at >= 0) failing.push(text.slice(text.lastIndexOf('\n', at) + 1));
      else if (code !== 0) failing.push(`${list.length} files exited with ${code} and no list of failing tests\n`);
      resolveRun(code ?? 1);
    });
  });
const first = await run(together, concurrency);
const second = await run(alone, 1);
if (failing.length > 0) {
  console.log(`\n${layer}: what failed, again (from ${failing.length} run${failing.length > 1 ? 's' : ''}):\n`);
  // Each failing test's first lines (its name and error message); the whole of each is above.
  for (const f of failing) {
    for (const one of f.split(/\n(?=test at )/)) {
      const lines = one.split('\n');
      console.log(lines.length > 24 ? `${lines.slice(0, 24).join('\n')}\n  [... ${lines.length - 24} more lines above in the log]` : one);
    }
  }
}
process.exit(first || second);

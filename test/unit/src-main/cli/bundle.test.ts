// The `hangar` command's first chunk loads without zod: its schemas take longer to evaluate (~40-60 ms
// here) than most requests take to answer, so the contract that checks replies is loaded on demand,
// once the first request is on its way (createClient's loader). Counted in chunks, not timed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const bundleDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../src-main/cli-bundle');
const entry = 'hangar.node.mjs';
/** A class zod defines in its core: present in a chunk that holds zod. */
const ZOD_MARK = '"$ZodType"';

const read = (chunk: string) => readFileSync(join(bundleDir, chunk), 'utf8');
const staticImports = (code: string) => [...code.matchAll(/^import\s[^;]*?from\s*"\.\/([^"]+)";/gm), ...code.matchAll(/^import\s*"\.\/([^"]+)";/gm)].map((m) => m[1]!);
const dynamicImports = (code: string) => [...code.matchAll(/import\("\.\/([^"]+)"\)/g)].map((m) => m[1]!);

/** The chunks Node evaluates before the entry's first line runs: the entry and its static imports, transitively. */
function firstLoad(): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0 && seen.size < 1000) {
    const chunk = todo.pop()!;
    if (seen.has(chunk)) continue;
    seen.add(chunk);
    todo.push(...staticImports(read(chunk)));
  }
  return seen;
}

describe('the hangar command bundle', () => {
  test('its first load holds no zod; the contract with zod is loaded on demand', () => {
    assert.ok(existsSync(join(bundleDir, entry)), `no ${entry} in ${bundleDir}: build the CLI bundle first (npm run build)`);
    const first = firstLoad();
    assert.ok(first.size >= 2, `the entry's static imports were found (${[...first].join(', ')})`);
    const withZod = [...first].filter((c) => read(c).includes(ZOD_MARK));
    assert.deepEqual(withZod, [], `chunks of the first load that hold zod: ${withZod.join(', ')}`);
    // The contract is one of the entry's on-demand chunks, and zod comes with it.
    const onDemand = dynamicImports(read(entry)).filter((c) => !first.has(c));
    const contract = onDemand.filter((c) => /^contract-/.test(c));
    assert.equal(contract.length, 1, `one on-demand contract chunk among ${onDemand.join(', ')}`);
    const behindContract = new Set<string>();
    const todo = [...contract];
    while (todo.length > 0 && behindContract.size < 1000) {
      const chunk = todo.pop()!;
      if (behindContract.has(chunk)) continue;
      behindContract.add(chunk);
      todo.push(...staticImports(read(chunk)));
    }
    assert.ok(
      [...behindContract].some((c) => read(c).includes(ZOD_MARK)),
      `zod is loaded with the contract (${[...behindContract].join(', ')}): the mark the test looks for is still the one zod defines`,
    );
  });
});

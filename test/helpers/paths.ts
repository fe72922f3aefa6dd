// Where things are, from a compiled test file (dist/test/...) or a source file alike.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (dir !== dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src-vmm'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the repository root');
}

export const repoRoot = findRepoRoot();
/** Built guest artefacts (see test/fixtures/build-guest.sh). */
export const fixturesDir = process.env.HANGAR_FIXTURES ?? join(repoRoot, 'test', 'fixtures', '.cache');
/** Where tests keep artefacts worth looking at after a run (screenshots, serial logs). */
export const testOutputDir = join(repoRoot, 'test-output');

// Where the `hangar` command runs from. `npm run build:cli` makes a bundle of the CLI (and, in chunks
// loaded on demand, the owner and web mode) in dist/src-main/cli-bundle/: one file to read and compile
// instead of some 160 modules, which starts in about 0.12 s against 0.19 s here. The modules stay the
// fallback (a build made with tsc alone). The bundle sits beside the module folders at the same depth,
// so every path a file finds from its own place (the renderer, the VMM host, resources, package.json)
// is the same from either.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bundle and the modules' entry, from any file of dist/src-main (bundled or not). */
export const cliBundle = fileURLToPath(new URL('../cli-bundle/hangar.node.mjs', import.meta.url));
export const cliModules = fileURLToPath(new URL('../cli/main.node.js', import.meta.url));

/** The CLI to spawn: the bundle where it was built, else the modules. */
export function cliEntryPath(): string {
  return existsSync(cliBundle) ? cliBundle : cliModules;
}

/** The same choice in a checkout at `repoRoot` (set-up writes the launcher from there). */
export function cliEntryIn(repoRoot: string): string {
  const bundle = join(repoRoot, 'dist', 'src-main', 'cli-bundle', 'hangar.node.mjs');
  return existsSync(bundle) ? bundle : join(repoRoot, 'dist', 'src-main', 'cli', 'main.node.js');
}

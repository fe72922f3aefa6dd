// Builds the renderer: `vite build --config src-renderer/vite.config.ts` → dist/renderer/.
// (To look at the interface with sample VMs, see test/ui/: the real owner behind the real web server.)
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const entry = fileURLToPath(new URL('./main.tsx', import.meta.url));

interface ModuleGraph {
  getModuleInfo(id: string): { importedIds: readonly string[] } | null;
}

/**
 * Everything the first screen needs (what main.tsx imports statically, directly or not) goes into one
 * chunk: left to itself the bundler cut it into some forty shared pieces (parts of MUI that the
 * lazily loaded dialogs use too), each a request of its own before the list could render. Modules
 * that only lazily loaded parts use (the dialogs, the console, the charts) are split as usual.
 */
function firstScreenChunk(): (id: string, graph: ModuleGraph) => string | null {
  let firstScreen: Set<string> | undefined;
  return (id, graph) => {
    if (!firstScreen) {
      firstScreen = new Set();
      const todo = [entry];
      while (todo.length) {
        const next = todo.pop()!;
        if (firstScreen.has(next)) continue;
        firstScreen.add(next);
        todo.push(...(graph.getModuleInfo(next)?.importedIds ?? []));
      }
    }
    return firstScreen.has(id) ? 'app' : null;
  };
}

export default defineConfig({
  root,
  base: './',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // noVNC 1.7 uses top-level await.
    target: 'es2022',
    // A CSP without 'unsafe-inline' scripts: no inline module preload polyfill, no data: scripts.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: fileURLToPath(new URL('./index.html', import.meta.url)),
      output: { codeSplitting: { groups: [{ name: firstScreenChunk() }] } },
      // MUI marks its modules 'use client' (for React Server Components); meaningless in a bundle.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: { host: '127.0.0.1', strictPort: false },
});

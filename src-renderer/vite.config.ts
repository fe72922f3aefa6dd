// Builds the renderer: `vite build --config src-renderer/vite.config.ts` → dist/renderer/.
// (To look at the interface with sample VMs, see test/ui/: the real owner behind the real web server.)
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

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
      // MUI marks its modules 'use client' (for React Server Components); meaningless in a bundle.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: { host: '127.0.0.1', strictPort: false },
});

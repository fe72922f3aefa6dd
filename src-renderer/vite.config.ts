// Builds the renderer: `vite build --config src-renderer/vite.config.ts` → dist/renderer/.
// `--mode mock` builds the development harness instead (dev/mock.html with an in-page mock owner)
// into dist/renderer-mock/, so nothing of the mock reaches the production bundle.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig(({ mode }) => {
  const mock = mode === 'mock';
  return {
    root,
    base: './',
    publicDir: false,
    oxc: { jsx: { runtime: 'automatic' } },
    build: {
      outDir: fileURLToPath(new URL(mock ? '../dist/renderer-mock' : '../dist/renderer', import.meta.url)),
      emptyOutDir: true,
      // noVNC 1.7 uses top-level await.
      target: 'es2022',
      // A CSP without 'unsafe-inline' scripts: no inline module preload polyfill, no data: scripts.
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      chunkSizeWarningLimit: 1500,
      rollupOptions: {
        input: fileURLToPath(new URL(mock ? './dev/mock.html' : './index.html', import.meta.url)),
        // MUI marks its modules 'use client' (for React Server Components); meaningless in a bundle.
        onwarn(warning, warn) {
          if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
          warn(warning);
        },
      },
    },
    server: { host: '127.0.0.1', strictPort: false },
  };
});

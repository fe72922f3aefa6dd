// Lint: typescript-eslint on the whole tree, plus the layering rules from STYLE.md:
// pure files may not import I/O modules; src-vmm never imports src-main.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = ['node:child_process', 'node:fs', 'node:fs/promises', 'node:net', 'better-sqlite3', 'ws', 'electron'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/.cache/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // Pure modules: no process, file, socket or database access.
    files: ['src-vmm/**/*.ts', 'src-main/**/*.ts'],
    ignores: ['**/*.node.ts', '**/*.electron.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ioModules.map((name) => ({ name, message: 'I/O belongs in a *.node.ts (or *.electron.ts) file.' })) }],
    },
  },
  {
    files: ['src-vmm/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/src-main/**'], message: 'src-vmm must not import src-main (dependencies point one way).' }],
        paths: [{ name: 'electron', message: 'src-vmm never imports electron.' }],
      }],
    },
  },
  {
    files: ['src-vmm/**/*.ts'],
    ignores: ['**/*.node.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['**/src-main/**'], message: 'src-vmm must not import src-main (dependencies point one way).' }],
        paths: ioModules.map((name) => ({ name, message: 'I/O belongs in a *.node.ts file.' })),
      }],
    },
  },
  {
    // The renderer is browser code: no Node modules, no I/O files of the other folders.
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    ignores: ['src-renderer/vite.config.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.map((name) => ({ name, message: 'the renderer runs in a browser' })),
        patterns: [
          { group: ['node:*'], message: 'the renderer runs in a browser' },
          { group: ['**/*.node.js', '**/*.electron.js'], message: 'the renderer may import only pure files' },
        ],
      }],
    },
  },
  {
    files: ['test/**/*.mjs', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);

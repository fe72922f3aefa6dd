// Ambient types for the browser build.

// The pure kernel files in src-vmm name two Node types in annotations only; in the browser
// setTimeout returns a number and errors have no errno code.
declare namespace NodeJS {
  type Timeout = ReturnType<typeof setTimeout>;
  interface ErrnoException extends Error {
    code?: string;
  }
}

interface ImportMetaEnv {
  readonly DEV: boolean;
  readonly PROD: boolean;
  readonly MODE: string;
}
interface ImportMeta {
  readonly env: ImportMetaEnv;
}

declare module '*.css';

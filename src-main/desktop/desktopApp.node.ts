// The desktop app of this checkout: its Electron binary (installed by set-up where it could be
// downloaded), and starting it on a file. A running app receives the file through Electron's
// single-instance lock ('second-instance'); a new one opens it once its window is up.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { desktopAppVerdict, type DesktopAppVerdict } from './open.js';

const require = createRequire(import.meta.url);

/** The checkout (package.json's folder), from dist/src-main/desktop/. */
export const appRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The Electron binary that the electron package installed, or null. */
export function electronBinary(): string | null {
  try {
    const path = require('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/** Whether the desktop app can open a window here (and why not). */
export function desktopAppHere(env: NodeJS.ProcessEnv = process.env): DesktopAppVerdict {
  return desktopAppVerdict({ electronBinary: electronBinary(), env, platform: process.platform, uid: process.getuid?.() ?? null });
}

/**
 * Starts the desktop app on its own (it outlives the caller), with `args` after the app folder; what
 * it says goes to `logFile` (private), since a double-click has no terminal to show it.
 */
export function launchDesktopApp(binary: string, args: string[], logFile: string): Promise<void> {
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  const fd = openSync(logFile, 'a', 0o600);
  return new Promise<void>((resolve, reject) => {
    const child = spawn(binary, [appRoot, ...args], { detached: true, stdio: ['ignore', fd, fd] });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  }).finally(() => closeSync(fd));
}

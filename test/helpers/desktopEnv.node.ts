// A user's desktop configuration in temporary folders (HOME and the XDG base directories), so that
// tests run set-up's desktop integration and the desktop's own tools (xdg-mime, gio, desktop-file-*)
// without touching this machine's real configuration. Also a browser that only writes down what it was
// asked to open.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export const desktopSetupPath = join(repoRoot, 'dist', 'src-main', 'desktop', 'setup.node.js');

/** Variables of the real session that would make the tools look elsewhere. */
const SESSION_VARS = ['DISPLAY', 'WAYLAND_DISPLAY', 'XDG_CURRENT_DESKTOP', 'XDG_SESSION_DESKTOP', 'DESKTOP_SESSION', 'DBUS_SESSION_BUS_ADDRESS', 'BROWSER', 'KDE_FULL_SESSION', 'KDE_SESSION_VERSION', 'GNOME_DESKTOP_SESSION_ID', 'XDG_DATA_DIRS', 'XDG_CONFIG_DIRS', 'XDG_MENU_PREFIX', 'HANGAR_HOME', 'HANGAR_BIN_DIR'];

export interface DesktopEnv {
  root: string;
  home: string;
  dataHome: string;
  configHome: string;
  /** where set-up puts the launcher ($HANGAR_BIN_DIR) */
  binDir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function tempDesktopEnv(prefix = 'hangar-desktop-'): DesktopEnv {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dir = (name: string) => {
    const d = join(root, name);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    return d;
  };
  const home = dir('home');
  const dataHome = dir('data');
  const configHome = dir('config');
  const binDir = join(root, 'bin');
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of SESSION_VARS) delete env[k];
  Object.assign(env, {
    HOME: home,
    XDG_DATA_HOME: dataHome,
    XDG_CONFIG_HOME: configHome,
    XDG_CACHE_HOME: dir('cache'),
    XDG_STATE_HOME: dir('state'),
    XDG_RUNTIME_DIR: dir('runtime'),
    HANGAR_BIN_DIR: binDir,
  });
  return { root, home, dataHome, configHome, binDir, env, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Runs set-up's desktop step (`node dist/src-main/desktop/setup.node.js`). */
export function runDesktopSetup(env: NodeJS.ProcessEnv, args: string[] = []): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [desktopSetupPath, ...args], { env, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `xdg-mime ARGS` as a desktop of kind `desktop` (GNOME asks gio; X-Generic the MIME database through mimetype). */
export function xdgMime(env: NodeJS.ProcessEnv, desktop: 'GNOME' | 'X-Generic', args: string[]): string {
  return execFileSync('xdg-mime', args, { env: { ...env, XDG_CURRENT_DESKTOP: desktop }, encoding: 'utf8' }).trim();
}

export interface BrowserRecorder {
  /** the program to put in $BROWSER */
  path: string;
  /** every address it was asked to open, in order */
  opened(): string[];
}

/** A "browser" that appends each address it is given to a file and ends. */
export function browserRecorder(dir: string): BrowserRecorder {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, 'opened.txt');
  const path = join(dir, 'record-browser');
  writeFileSync(path, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> '${log}'; done\n`);
  chmodSync(path, 0o755);
  return {
    path,
    opened: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((l) => l !== '') : []),
  };
}

// `hangar open FILE` (what a double-click on an appliance runs), as pure decisions: which files it
// takes, whether the desktop app can be used here, and where the import review comes up.
import { basename, extname } from 'node:path';
import { hasDesktopSession, type BrowserEnv } from './browser.js';

/** What `hangar open` does with a file, by its extension: an appliance, or a VirtualBox/VMware machine, goes to the import review. */
export type OpenFileKind = { kind: 'appliance' } | { kind: 'machine' } | { kind: 'unknown' };

export function openFileKind(path: string): OpenFileKind {
  const ext = extname(path).toLowerCase();
  if (ext === '.ova' || ext === '.ovf') return { kind: 'appliance' };
  if (ext === '.vbox' || ext === '.vmx') return { kind: 'machine' };
  return { kind: 'unknown' };
}

/**
 * Why `hangar open` refuses `path` (one line), or null when it takes it. `stat` is what the file
 * system says: null when nothing is there.
 */
export function openRefusal(path: string, stat: { isFile: boolean } | null): string | null {
  const kind = openFileKind(path);
  if (kind.kind === 'unknown') return `hangar open takes an .ova or .ovf appliance or a VirtualBox (.vbox) or VMware (.vmx) machine, not '${basename(path)}'`;
  if (stat === null) return `${path} does not exist`;
  if (!stat.isFile) return `${path} is not a file`;
  return null;
}

export interface DesktopAppFacts {
  /** the Electron binary, or null when it is not installed */
  electronBinary: string | null;
  env: BrowserEnv;
  platform: string;
  /** the user id (process.getuid), or null where there is none */
  uid: number | null;
}

export type DesktopAppVerdict = { usable: true; binary: string } | { usable: false; why: string };

/** Whether the desktop app can open a window here, and if not, why (said to the user). */
export function desktopAppVerdict(f: DesktopAppFacts): DesktopAppVerdict {
  if (!f.electronBinary) return { usable: false, why: 'the desktop app (Electron) is not installed here' };
  if (!hasDesktopSession(f.env, f.platform)) return { usable: false, why: 'there is no desktop session here (no DISPLAY or WAYLAND_DISPLAY)' };
  // Chromium's sandbox refuses root; the app never runs without it.
  if (f.uid === 0) return { usable: false, why: 'the desktop app does not run as root (its sandbox needs an ordinary user)' };
  return { usable: true, binary: f.electronBinary };
}

export interface OpenFacts {
  /** the home's live owner (its lock), or null */
  owner: { kind: string; pid: number } | null;
  /** the address a live `hangar serve` left in the home, or null */
  servedUrl: string | null;
  desktop: DesktopAppVerdict;
}

export type OpenRoute =
  | { via: 'desktop'; binary: string }
  | { via: 'web'; servedUrl: string }
  /** a `hangar serve` owns the home but has not left its address yet: it is starting */
  | { via: 'wait-for-serve' }
  /** start web mode in the background, then open it */
  | { via: 'start-web' }
  | { via: 'refuse'; message: string };

export const DESKTOP_APP_KIND = 'the desktop app';
export const SERVE_KIND = 'hangar serve';

/** Where the import review comes up: the desktop app when it runs or can run, else web mode in a browser. */
export function openRoute(f: OpenFacts): OpenRoute {
  if (f.owner?.kind === DESKTOP_APP_KIND) {
    if (f.desktop.usable) return { via: 'desktop', binary: f.desktop.binary };
    return { via: 'refuse', message: `the desktop app (pid ${f.owner.pid}) owns this home, but ${f.desktop.why}: open the file from its File menu` };
  }
  if (f.owner?.kind === SERVE_KIND) return f.servedUrl ? { via: 'web', servedUrl: f.servedUrl } : { via: 'wait-for-serve' };
  if (f.desktop.usable) return { via: 'desktop', binary: f.desktop.binary };
  return { via: 'start-web' };
}

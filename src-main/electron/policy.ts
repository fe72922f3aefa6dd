// Every decision of the Electron shell, as pure functions: window options, CSP, which URLs and senders
// are trusted, the quit question, file arguments and the menu. main.electron.ts only wires them to
// Electron (its types check these shapes where they are passed), so each rule is unit-tested here.
import { rendererCsp as sharedCsp } from '../web/csp.js';
import { contentTypeFor } from '../web/mime.js';
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page is served from app://hangar/ (a privileged custom scheme), never from file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'hangar';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** The one IPC channel of the API (both directions), and the one for native file dialogs. */
export const RPC_CHANNEL = 'hangar:rpc';
export const PICK_FILE_CHANNEL = 'hangar:pickFile';

/** Events the shell sends to the page on the API channel (names of `{ t: 'event' }` messages). */
export const OPEN_FILE_EVENT = 'app.openFile';
export const MENU_EVENT = 'app.menu';

/**
 * The scheme's privileges (for protocol.registerSchemesAsPrivileged): standard and secure so 'self'
 * and module scripts work like https; fetch and CORS because Vite's module scripts and preloads are
 * fetched in CORS mode. No bypassCSP, no service workers.
 */
export const appSchemePrivileges = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true },
} as const;

export interface MainWindowOptionsInput {
  /** command-line switches the renderer process receives (the preload reads them) */
  additionalArguments?: readonly string[];
  /** devtools can be opened (development only) */
  devTools?: boolean;
}

export function mainWindowOptions(preloadPath: string, opts: MainWindowOptionsInput = {}) {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Hangar',
    // shown on 'ready-to-show', so the window never flashes blank
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: opts.devTools ?? false,
      additionalArguments: [...(opts.additionalArguments ?? [])],
    },
  };
}

/** The page's Content-Security-Policy: its own scripts only, the API over IPC, VNC over the local socket. */
export function rendererCsp(vncPort: number): string {
  if (!Number.isInteger(vncPort) || vncPort <= 0 || vncPort > 65535) throw new RangeError(`not a port: ${vncPort}`);
  return sharedCsp([`ws://127.0.0.1:${vncPort}`]);
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True only for pages of the app itself: app://hangar/…, without credentials or port. */
export function isAllowedNavigation(url: string): boolean {
  const u = parseUrl(url);
  return (
    u !== null &&
    u.protocol === `${APP_SCHEME}:` &&
    u.hostname === APP_HOST &&
    u.port === '' &&
    u.username === '' &&
    u.password === ''
  );
}

/** What the sender check needs of an Electron WebFrameMain (it has these properties). */
export interface FrameRef {
  readonly url: string;
  readonly processId: number;
  readonly routingId: number;
}

/**
 * The sender check run on every IPC message: it must come from the main frame of our window (not a
 * subframe, not another window), and that frame must show the app's own page.
 */
export function isTrustedSender(
  sender: { webContentsId: number; frame: FrameRef | null },
  window: { webContentsId: number; mainFrame: FrameRef | null } | null,
): boolean {
  if (!window || !sender.frame || !window.mainFrame) return false;
  if (sender.webContentsId !== window.webContentsId) return false;
  const f = sender.frame;
  const m = window.mainFrame;
  if (f.processId !== m.processId || f.routingId !== m.routingId) return false;
  return isAllowedNavigation(f.url);
}

/** Permission requests of the page (notifications, camera, geolocation, …): only clipboard writes. */
export function isAllowedPermission(permission: string): boolean {
  return permission === 'clipboard-sanitized-write';
}

// ------------------------------------------------------------------ quitting with VMs running

export type QuitAction = 'keep' | 'save' | 'poweroff' | 'cancel';

export interface QuitQuestion {
  /** options for dialog.showMessageBox */
  options: {
    type: 'question';
    title: string;
    message: string;
    detail: string;
    buttons: string[];
    defaultId: number;
    cancelId: number;
    noLink: true;
  };
  /** the action for each button, by index */
  actions: QuitAction[];
}

/** The question to ask before quitting with VMs running, or null when none runs (quit at once). */
export function quitChoice(runningVmNames: readonly string[]): QuitQuestion | null {
  if (runningVmNames.length === 0) return null;
  const n = runningVmNames.length;
  const shown = runningVmNames.slice(0, 10).join(', ') + (n > 10 ? `, and ${n - 10} more` : '');
  const buttons: [string, QuitAction][] = [
    ['Keep running in the background', 'keep'],
    ['Save their state', 'save'],
    ['Power them off', 'poweroff'],
    ['Cancel', 'cancel'],
  ];
  return {
    options: {
      type: 'question',
      title: 'Quit Hangar',
      message: n === 1 ? 'A virtual machine is running.' : `${n} virtual machines are running.`,
      detail:
        `${shown}\n\nKeep running: they go on without a window; open Hangar or use the hangar command to reach them again.\n` +
        'Save their state: each one is suspended to disk and resumes where it was on its next start.\n' +
        'Power them off: like pulling the plug; unsaved work in them is lost.',
      buttons: buttons.map(([label]) => label),
      defaultId: 0,
      cancelId: 3,
      noLink: true,
    },
    actions: buttons.map(([, action]) => action),
  };
}

/** The action for a dialog answer; anything unexpected cancels. */
export function quitActionFor(question: QuitQuestion, response: number): QuitAction {
  return question.actions[response] ?? 'cancel';
}

/** The one-line report of VMs that could not be saved or powered off (Hangar then stays open). */
export function quitFailureMessage(action: 'save' | 'poweroff', failures: readonly { name: string; message: string }[]): string {
  const verb = action === 'save' ? 'save' : 'power off';
  return `Hangar could not ${verb} ${failures.map((f) => `${f.name} (${f.message})`).join('; ')}. Hangar stays open.`;
}

// ------------------------------------------------------------------ files

const APPLIANCE = /\.(ova|ovf|vbox|vmx)$/i;

/**
 * The first .ova/.ovf/.vbox/.vmx among command-line arguments (a path, or a file:// URL from a desktop file),
 * made absolute against `cwd`. Switches (`-…`) are skipped.
 */
export function fileArgFromArgv(argv: readonly string[], cwd: string): string | null {
  for (const arg of argv) {
    if (arg.startsWith('-')) continue;
    let path = arg;
    if (/^file:\/\//i.test(arg)) {
      try {
        path = fileURLToPath(arg);
      } catch {
        continue;
      }
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) {
      continue; // another URL scheme: not a file
    }
    if (APPLIANCE.test(path)) return isAbsolute(path) ? normalize(path) : resolve(cwd, path);
  }
  return null;
}

/** The file under `rendererDir` that an app://hangar/… request names, or null (outside, other host). */
export function appFilePath(url: string, rendererDir: string): string | null {
  const u = parseUrl(url);
  if (!u || !isAllowedNavigation(url)) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  if (rel === '/' || rel === '') rel = '/index.html';
  const root = normalize(rendererDir.endsWith(sep) ? rendererDir : rendererDir + sep);
  const file = normalize(join(root, rel));
  return file.startsWith(root) ? file : null;
}

export { contentTypeFor };

/** Headers of every app://hangar/ response. */
export function appResponseHeaders(path: string, vncPort: number): Record<string, string> {
  return {
    'Content-Type': contentTypeFor(path),
    'Content-Security-Policy': rendererCsp(vncPort),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}

// ------------------------------------------------------------------ native file dialogs

export const PICK_FILTERS = ['all', 'iso', 'disk', 'kernel', 'appliance'] as const;
export type PickFilter = (typeof PICK_FILTERS)[number];

export interface PickFileRequest {
  title: string;
  filter: PickFilter;
  defaultPath?: string;
}

/** Parses the page's pickFile request (untrusted): null when it is malformed. */
export function parsePickFileRequest(raw: unknown): PickFileRequest | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const allowed = new Set(['title', 'filter', 'defaultPath']);
  if (Object.keys(r).some((k) => !allowed.has(k))) return null;
  if (typeof r.title !== 'string' || r.title.length > 200) return null;
  const filter = r.filter ?? 'all';
  if (typeof filter !== 'string' || !(PICK_FILTERS as readonly string[]).includes(filter)) return null;
  const out: PickFileRequest = { title: r.title, filter: filter as PickFilter };
  if (r.defaultPath !== undefined && r.defaultPath !== null && r.defaultPath !== '') {
    const p = r.defaultPath;
    if (typeof p !== 'string' || p.length > 4096 || p.includes('\0') || !isAbsolute(p)) return null;
    out.defaultPath = p;
  }
  return out;
}

/** The dialog's file filters; "All files" always stays available. */
export function dialogFilters(filter: PickFilter): { name: string; extensions: string[] }[] {
  const all = { name: 'All files', extensions: ['*'] };
  switch (filter) {
    case 'iso':
      return [{ name: 'Disc images', extensions: ['iso', 'img'] }, all];
    case 'disk':
      return [{ name: 'Disk images', extensions: ['qcow2', 'img', 'raw', 'vmdk', 'vdi', 'vhdx', 'vhd', 'qcow'] }, all];
    case 'appliance':
      return [{ name: 'Appliances and machines', extensions: ['ova', 'ovf', 'vbox', 'vmx'] }, all];
    case 'kernel':
      // kernels are usually named without an extension (vmlinuz-6.1.0-…)
      return [all];
    case 'all':
      return [all];
  }
}

// ------------------------------------------------------------------ display socket (for the preload)

const DISPLAY_PORT_SWITCH = '--hangar-display-port=';
const DISPLAY_TOKEN_SWITCH = '--hangar-display-token=';

/** The switches that tell the preload where the display websocket is (webPreferences.additionalArguments). */
export function displayArguments(port: number, token: string): string[] {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new RangeError('the display token must be base64url');
  return [`${DISPLAY_PORT_SWITCH}${port}`, `${DISPLAY_TOKEN_SWITCH}${token}`];
}

// ------------------------------------------------------------------ menu

export type MenuCommand = 'newVm' | 'importAppliance' | 'about';

/** A menu item as data; main.electron.ts turns `command` into a click handler. */
export interface MenuItemSpec {
  label?: string;
  role?: 'appMenu' | 'editMenu' | 'quit' | 'reload' | 'forceReload' | 'toggleDevTools' | 'togglefullscreen' | 'resetZoom' | 'zoomIn' | 'zoomOut';
  type?: 'separator';
  accelerator?: string;
  command?: MenuCommand;
  submenu?: MenuItemSpec[];
}

export function menuSpec(opts: { packaged: boolean; platform: string }): MenuItemSpec[] {
  const mac = opts.platform === 'darwin';
  const view: MenuItemSpec[] = [{ role: 'reload' }];
  if (!opts.packaged) view.push({ role: 'forceReload' }, { role: 'toggleDevTools' });
  view.push({ type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' });
  const file: MenuItemSpec[] = [
    { label: 'New VM…', accelerator: 'CmdOrCtrl+N', command: 'newVm' },
    { label: 'Import Appliance…', accelerator: 'CmdOrCtrl+I', command: 'importAppliance' },
  ];
  // on macOS, Quit lives in the app menu
  if (!mac) file.push({ type: 'separator' }, { role: 'quit' });
  return [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: file },
    // the Edit menu carries copy/paste shortcuts into text fields (needed on macOS)
    { role: 'editMenu' },
    { label: 'View', submenu: view },
    { label: 'Help', submenu: [{ label: 'About Hangar', command: 'about' }] },
  ];
}

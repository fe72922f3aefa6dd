// Set-up's desktop integration for a checkout, with the desktop's own tools (Debian's xdg-utils,
// shared-mime-info and desktop-file-utils), per user:
// - the `hangar` launcher in ~/.local/bin (/usr/local/bin for root, $HANGAR_BIN_DIR when set);
// - the MIME type of .ovf files (resources/hangar-mime.xml; .ova is shared-mime-info's already);
// - the icon, and the desktop entry resources/hangar.desktop, whose command `hangar open %f` runs the
//   launcher, registered as the default application for the types it lists.
// Running it again changes nothing that is already so; `uninstall` takes it all back.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import { cliEntryIn } from '../cli/entry.node.js';
import { entryMimeTypes, installedEntry, isOnPath, LAUNCHER_MARK, launcherScript, withoutDefaultApp, xdgDirs } from './integration.js';

export const DESKTOP_FILE_ID = 'hangar.desktop';
const ICON_NAME = 'hangar';
const ICON_SIZE = '512';

export interface DesktopSetupOptions {
  /** the checkout: resources/ and dist/ */
  repoRoot: string;
  /** the Node the launcher runs */
  nodePath: string;
  /** the launcher's folder */
  binDir: string;
  userHome: string;
  /** for the tools and the XDG folders */
  env: NodeJS.ProcessEnv;
}

export interface LauncherOutcome {
  path: string;
  /** written or rewritten; unchanged; or left alone because another program's file is there */
  state: 'written' | 'unchanged' | 'foreign';
  onPath: boolean;
}

export interface DesktopOutcome {
  state: 'registered' | 'unchanged';
  entry: string;
  mimeTypes: string[];
}

const resource = (o: DesktopSetupOptions, name: string) => join(o.repoRoot, 'resources', name);

function isOurLauncher(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').includes(LAUNCHER_MARK);
  } catch {
    return false;
  }
}

export function installLauncher(o: DesktopSetupOptions): LauncherOutcome {
  const path = join(o.binDir, 'hangar');
  const onPath = isOnPath(o.binDir, o.env.PATH);
  const script = launcherScript(o.nodePath, cliEntryIn(o.repoRoot));
  if (existsSync(path)) {
    if (!isOurLauncher(path)) return { path, state: 'foreign', onPath };
    if (readFileSync(path, 'utf8') === script) return { path, state: 'unchanged', onPath };
  }
  mkdirSync(o.binDir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, script, { mode: 0o755 });
  chmodSync(tmp, 0o755);
  renameSync(tmp, path);
  return { path, state: 'written', onPath };
}

export function removeLauncher(o: DesktopSetupOptions): boolean {
  const path = join(o.binDir, 'hangar');
  if (!isOurLauncher(path)) return false;
  rmSync(path, { force: true });
  return true;
}

/** The tools this needs, each with the Debian package that has it. */
const TOOLS: [string, string][] = [
  ['xdg-mime', 'xdg-utils'],
  ['xdg-icon-resource', 'xdg-utils'],
  ['update-mime-database', 'shared-mime-info'],
  ['desktop-file-install', 'desktop-file-utils'],
  ['update-desktop-database', 'desktop-file-utils'],
];

/** The packages whose tools are missing here (none: everything is there). */
export function missingDesktopTools(env: NodeJS.ProcessEnv): string[] {
  const dirs = (env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  const missing = TOOLS.filter(([tool]) => !dirs.some((d) => existsSync(join(d, tool)))).map(([, pkg]) => pkg);
  return [...new Set(missing)];
}

function run(o: DesktopSetupOptions, tool: string, args: string[]): void {
  try {
    execFileSync(tool, args, { env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    const why = (err.stderr?.toString() ?? '').trim().split('\n').at(-1) || err.message;
    throw new HangarError('IO_ERROR', `${tool} ${args.join(' ')} failed: ${why}`, { cause: e });
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function registerDesktop(o: DesktopSetupOptions, launcher: string): DesktopOutcome {
  const missing = missingDesktopTools(o.env);
  if (missing.length) throw new HangarError('NOT_FOUND', `the desktop's tools are missing: install ${missing.join(', ')}`);
  const { dataHome, configHome } = xdgDirs(o.env, o.userHome);
  const template = readFileSync(resource(o, DESKTOP_FILE_ID), 'utf8');
  const entryText = installedEntry(template, launcher);
  const mimeTypes = entryMimeTypes(template);
  const appsDir = join(dataHome, 'applications');
  const entry = join(appsDir, DESKTOP_FILE_ID);
  const before = [readOrNull(entry), readOrNull(join(dataHome, 'mime', 'packages', 'hangar-mime.xml')), readOrNull(join(configHome, 'mimeapps.list'))];

  run(o, 'xdg-mime', ['install', '--mode', 'user', resource(o, 'hangar-mime.xml')]);
  run(o, 'xdg-icon-resource', ['install', '--mode', 'user', '--novendor', '--size', ICON_SIZE, resource(o, 'icon.png'), ICON_NAME]);
  // desktop-file-install checks the entry against the specification before it installs it, and
  // rebuilds the folder's mimeinfo.cache.
  const staging = mkdtempSync(join(tmpdir(), 'hangar-desktop-'));
  try {
    writeFileSync(join(staging, DESKTOP_FILE_ID), entryText);
    mkdirSync(appsDir, { recursive: true });
    run(o, 'desktop-file-install', [`--dir=${appsDir}`, '--rebuild-mime-info-cache', join(staging, DESKTOP_FILE_ID)]);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  run(o, 'xdg-mime', ['default', DESKTOP_FILE_ID, ...mimeTypes]);

  const after = [readOrNull(entry), readOrNull(join(dataHome, 'mime', 'packages', 'hangar-mime.xml')), readOrNull(join(configHome, 'mimeapps.list'))];
  return { state: before.every((b, i) => b === after[i]) ? 'unchanged' : 'registered', entry, mimeTypes };
}

/** Takes back what registerDesktop did; what another program registered stays. */
export function unregisterDesktop(o: DesktopSetupOptions): void {
  const missing = missingDesktopTools(o.env);
  if (missing.length) throw new HangarError('NOT_FOUND', `the desktop's tools are missing: install ${missing.join(', ')}`);
  const { dataHome, configHome } = xdgDirs(o.env, o.userHome);
  const appsDir = join(dataHome, 'applications');
  if (existsSync(join(dataHome, 'mime', 'packages', 'hangar-mime.xml'))) run(o, 'xdg-mime', ['uninstall', '--mode', 'user', resource(o, 'hangar-mime.xml')]);
  run(o, 'xdg-icon-resource', ['uninstall', '--mode', 'user', '--size', ICON_SIZE, ICON_NAME]);
  rmSync(join(appsDir, DESKTOP_FILE_ID), { force: true });
  if (existsSync(appsDir)) run(o, 'update-desktop-database', [appsDir]);
  const mimeapps = join(configHome, 'mimeapps.list');
  const text = readOrNull(mimeapps);
  if (text !== null) {
    const edited = withoutDefaultApp(text, DESKTOP_FILE_ID);
    if (edited !== text) writeFileSync(mimeapps, edited);
  }
}

// Set-up's desktop integration step (.ci/setup runs it after the build):
//   node dist/src-main/desktop/setup.node.js [--uninstall]
// puts the `hangar` launcher on the PATH and registers the desktop entry and MIME types for the
// current user (see install.node.ts). $HANGAR_BIN_DIR chooses the launcher's folder. Each outcome is
// one line; exit status 1 when a part failed (set-up goes on and says so), 2 for a bad argument.
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { toHangarError } from '../../src-vmm/base/errors.js';
import { launcherDir } from './integration.js';
import { installLauncher, registerDesktop, removeLauncher, unregisterDesktop, type DesktopSetupOptions } from './install.node.js';

const say = (line: string) => process.stdout.write(`setup: ${line}\n`);
const args = process.argv.slice(2);
if (args.some((a) => a !== '--uninstall')) {
  process.stderr.write(`setup: unknown argument '${args.find((a) => a !== '--uninstall')}' (usage: setup.node.js [--uninstall])\n`);
  process.exit(2);
}
const userHome = homedir();
const options: DesktopSetupOptions = {
  repoRoot: fileURLToPath(new URL('../../../', import.meta.url)),
  nodePath: process.execPath,
  binDir: launcherDir({ env: process.env, uid: process.getuid?.() ?? null, userHome }),
  userHome,
  env: process.env,
};
let failed = false;
const step = (what: string, f: () => void) => {
  try {
    f();
  } catch (e) {
    failed = true;
    say(`${what} failed: ${toHangarError(e).message.split('\n')[0]}`);
  }
};

if (args.includes('--uninstall')) {
  step('removing the desktop entry', () => {
    if (process.platform === 'linux') unregisterDesktop(options);
    say('desktop entry and .ova/.ovf/.vbox/.vmx association removed');
  });
  step('removing the launcher', () => say(removeLauncher(options) ? `removed ${options.binDir}/hangar` : `no launcher of Hangar in ${options.binDir}`));
} else {
  let launcher = '';
  step('installing the hangar command', () => {
    const l = installLauncher(options);
    if (l.state === 'foreign') {
      failed = true;
      say(`hangar command: ${l.path} belongs to another program; left alone, and .ova/.ovf/.vbox/.vmx not registered (set HANGAR_BIN_DIR to another folder)`);
      return;
    }
    launcher = l.path;
    const where = l.onPath ? 'on your PATH' : `not on your PATH: add it (export PATH="${options.binDir}:$PATH"), or log in again if your profile adds it`;
    say(`hangar command: ${l.path} (${l.state === 'written' ? 'installed' : 'already installed'}; ${options.binDir} is ${where})`);
  });
  if (process.platform !== 'linux') say('double-click on .ova/.ovf/.vbox/.vmx: registered by the packaged app only on this system');
  else if (launcher)
    step('registering .ova/.ovf/.vbox/.vmx with the desktop', () => {
      const d = registerDesktop(options, launcher);
      say(`double-click on .ova/.ovf/.vbox/.vmx: opens in Hangar (${d.state === 'registered' ? 'registered' : 'already registered'}: ${d.entry}, default for ${d.mimeTypes.join(', ')})`);
    });
}
process.exit(failed ? 1 : 0);

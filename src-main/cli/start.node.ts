// `npm start`, the README's first command: the desktop app where it can run (its Electron binary
// installed, a desktop session, not root); web mode everywhere else, opened in the user's browser
// when there is one, its address always printed. A web mode that already serves this home is reused.
import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { appRoot, desktopAppHere } from '../desktop/desktopApp.node.js';
import { openInBrowser } from '../desktop/browser.node.js';
import { liveServeUrl } from '../desktop/webInfo.node.js';
import { resolveHome } from '../home.js';
import { cliEntryPath } from './entry.node.js';

const cliEntry = cliEntryPath();

/**
 * Runs a child in this terminal until it ends, with its exit status. Ctrl-C reaches it from the
 * terminal (one process group), so this process only waits; a SIGTERM sent to it is passed on.
 */
function runAttached(command: string, args: string[]): void {
  const child = spawn(command, args, { stdio: 'inherit' });
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const desktop = desktopAppHere();
if (desktop.usable) {
  runAttached(desktop.binary, [appRoot, ...process.argv.slice(2)]);
} else {
  const home = resolveHome(process.env, process.platform, homedir());
  const served = liveServeUrl(home);
  if (served) {
    const { command } = await openInBrowser(home, served);
    process.stdout.write(`Hangar: web mode already serves ${home}${command ? ` (opened in your browser: ${command})` : ''}\n${served}\n`);
  } else {
    process.stderr.write(`Hangar: ${desktop.why}: starting web mode (Ctrl-C stops serving; running VMs keep running)\n`);
    runAttached(process.execPath, [cliEntry, 'serve', '--open', ...process.argv.slice(2)]);
  }
}

// Opens the user's browser on a web mode address, through a private hand-over page (see browser.ts).
import { spawn } from 'node:child_process';
import { browserCommands, canOpenBrowser, type BrowserEnv } from './browser.js';
import { writeRedirect } from './webInfo.node.js';

export interface BrowserOpened {
  /** the command that took the page, or null when there is no browser to open here */
  command: string | null;
}

/** Starts one command on its own (detached: a browser may run for long); resolves false when it cannot start. */
function launch(argv: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

export async function openInBrowser(home: string, url: string, env: BrowserEnv = process.env, platform: string = process.platform): Promise<BrowserOpened> {
  if (!canOpenBrowser(env, platform)) return { command: null };
  const page = writeRedirect(home, url);
  for (const argv of browserCommands(page, env, platform)) {
    if (await launch(argv)) return { command: argv[0]! };
  }
  return { command: null };
}

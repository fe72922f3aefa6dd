// Opening the user's browser (pure: which commands to try, and the page that hands the address over).
//
// The address carries web mode's token, and a process's command line is readable by every local user
// (/proc/PID/cmdline). So the browser is never given the address itself: it gets a private file in the
// home (0600 in a 0700 folder) that forwards to it, as Jupyter does with its redirect file.

export interface BrowserEnv {
  BROWSER?: string | undefined;
  DISPLAY?: string | undefined;
  WAYLAND_DISPLAY?: string | undefined;
}

/** A graphical session to open windows in: always on macOS and Windows; elsewhere an X11 or Wayland display. */
export function hasDesktopSession(env: BrowserEnv, platform: string): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/**
 * `$BROWSER` as the convention reads it (Python's webbrowser, xdg-open): a list of commands separated by
 * ':', each run with the address appended, or put in place of `%s` (`%%` is a literal '%'). Words are
 * split on white space; nothing goes through a shell.
 */
export function browserVarCommands(value: string, target: string): string[][] {
  return value
    .split(':')
    .map((entry) => entry.trim().split(/\s+/).filter((w) => w !== ''))
    .filter((words) => words.length > 0)
    .map((words) => {
      const hasSlot = words.some((w) => /(^|[^%])%s/.test(w));
      const filled = words.map((w) => w.replace(/%(%|s)/g, (_m, c: string) => (c === '%' ? '%' : target)));
      return hasSlot ? filled : [...filled, target];
    });
}

/**
 * The commands to try in order for opening `target` (a URL): `$BROWSER` first when set, then the
 * desktop's opener when there is a desktop session. Empty: there is no browser to open.
 */
export function browserCommands(target: string, env: BrowserEnv, platform: string): string[][] {
  const commands = env.BROWSER ? browserVarCommands(env.BROWSER, target) : [];
  if (hasDesktopSession(env, platform)) {
    if (platform === 'darwin') commands.push(['open', target]);
    else if (platform !== 'win32') commands.push(['xdg-open', target]);
  }
  return commands;
}

/** Whether there is any browser to try (so that no hand-over page is written for nothing). */
export function canOpenBrowser(env: BrowserEnv, platform: string): boolean {
  return browserCommands('about:blank', env, platform).length > 0;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The private page the browser is given: it forwards at once to `url` (which holds the token). */
export function redirectPage(url: string): string {
  const href = escapeHtml(url);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="refresh" content="0;url=${href}">`,
    '<title>Opening Hangar…</title>',
    '</head>',
    `<body><p>Opening Hangar… If nothing happens, <a href="${href}">open Hangar</a>.</p></body>`,
    '</html>',
    '',
  ].join('\n');
}

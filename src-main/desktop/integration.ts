// Desktop integration for a checkout (pure): the `hangar` launcher on the PATH, and the freedesktop
// desktop entry that makes a double-click on an .ova or .ovf run `hangar open FILE`. The entry's text
// comes from resources/hangar.desktop (the one file that says what Hangar opens); set-up only points its
// command at the launcher.
import { join } from 'node:path';

/** The line that marks a launcher as Hangar's own: set-up rewrites such a file, and leaves any other alone. */
export const LAUNCHER_MARK = "# Written by Hangar's set-up (.ci/setup); set-up rewrites it when it runs again.";

/** Quotes one word for a shell script (`'…'`). */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The launcher: a shell script that runs the checkout's CLI with the Node that set it up. Without
 * NODE_EXTRA_CA_CERTS: Hangar's processes open no TLS connection, and Node 20 (OpenSSL 3) reads and
 * parses that file's certificates at every process start, before any of Hangar's code runs
 * (nodejs/node#40524): a cost every command, and the owner and VMM hosts it starts, would pay.
 */
export function launcherScript(nodePath: string, cliPath: string): string {
  return [
    '#!/bin/sh',
    `# hangar: the command line of Hangar, from ${cliPath}.`,
    LAUNCHER_MARK,
    '# Hangar opens no TLS connection; Node would parse these certificates at each start.',
    'unset NODE_EXTRA_CA_CERTS',
    `exec ${shellQuote(nodePath)} ${shellQuote(cliPath)} "$@"`,
    '',
  ].join('\n');
}

export interface LauncherPlace {
  env: { HANGAR_BIN_DIR?: string | undefined };
  uid: number | null;
  userHome: string;
}

/** Where the launcher goes: $HANGAR_BIN_DIR, else /usr/local/bin for root, else ~/.local/bin. */
export function launcherDir(p: LauncherPlace): string {
  if (p.env.HANGAR_BIN_DIR) return p.env.HANGAR_BIN_DIR;
  return p.uid === 0 ? '/usr/local/bin' : join(p.userHome, '.local', 'bin');
}

/** Whether `dir` is one of $PATH's folders (a trailing slash does not matter). */
export function isOnPath(dir: string, pathVar: string | undefined): boolean {
  const norm = (d: string) => (d.length > 1 ? d.replace(/\/+$/, '') : d);
  return (pathVar ?? '').split(':').some((d) => d !== '' && norm(d) === norm(dir));
}

export interface XdgEnv {
  XDG_DATA_HOME?: string | undefined;
  XDG_CONFIG_HOME?: string | undefined;
}

/** The user's data and config folders of the XDG base directory spec. */
export function xdgDirs(env: XdgEnv, userHome: string): { dataHome: string; configHome: string } {
  return {
    dataHome: env.XDG_DATA_HOME || join(userHome, '.local', 'share'),
    configHome: env.XDG_CONFIG_HOME || join(userHome, '.config'),
  };
}

// ---------------------------------------------------------------- the desktop entry's Exec key

// Desktop Entry Specification, "The Exec key": an argument with a reserved character is quoted in
// double quotes, inside which `"`, backquote, `$` and `\` are escaped with a backslash; a literal '%'
// is '%%'. The key's value is a string too, whose own escapes (`\\`, `\s`, …) come on top.
const RESERVED = /[ \t\n"'\\><~|&;$*?#()`]/;

/** A word of an Exec value, quoted when it must be; '%' is left as it is (field codes stay codes). */
export function execQuote(word: string): string {
  if (/[\n\r]/.test(word)) throw new Error(`a desktop entry cannot run a path with a line break in it: ${JSON.stringify(word)}`);
  if (word !== '' && !RESERVED.test(word)) return word;
  return `"${word.replace(/["`$\\]/g, (c) => `\\${c}`)}"`;
}

/** A literal argument (a path) as a word of an Exec value (before the string escapes of the file format). */
export function execArg(literal: string): string {
  return execQuote(literal.replace(/%/g, '%%'));
}

/** A string value as the desktop entry file writes it. */
export function escapeDesktopString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/** A string value as the file holds it → its text. */
export function unescapeDesktopString(raw: string): string {
  return raw.replace(/\\([\\stnr])/g, (_m, c: string) => ({ '\\': '\\', s: ' ', t: '\t', n: '\n', r: '\r' })[c]!);
}

/** The words of an Exec value as the file holds it (string escapes, then the Exec quoting). */
export function parseExec(raw: string): string[] {
  const text = unescapeDesktopString(raw);
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      inWord = true;
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\' && i + 1 < text.length && '"`$\\'.includes(text[i + 1]!)) i++;
        cur += text[i]!;
      }
      if (i >= text.length) throw new Error(`unterminated quote in Exec: ${raw}`);
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** The command a desktop runs for one file: `%f`/`%F`/`%u`/`%U` become the file, `%%` a '%', other codes go. */
export function expandExec(words: string[], file: string): string[] {
  const out: string[] = [];
  for (const w of words) {
    if (/^%[fFuU]$/.test(w)) {
      out.push(file);
      continue;
    }
    const expanded = w.replace(/%(.)/g, (_m, c: string) => (c === '%' ? '%' : ''));
    if (expanded !== '' || !/^(%[^%])+$/.test(w)) out.push(expanded);
  }
  return out;
}

// ---------------------------------------------------------------- the entry file

/** The value of `key` in the [Desktop Entry] group, as the file holds it, or null. */
export function desktopEntryValue(text: string, key: string): string | null {
  let inMain = false;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('[')) inMain = t === '[Desktop Entry]';
    else if (inMain && t.startsWith(`${key}=`)) return t.slice(key.length + 1);
  }
  return null;
}

/** The MIME types the entry opens (its MimeType key). */
export function entryMimeTypes(text: string): string[] {
  return (desktopEntryValue(text, 'MimeType') ?? '').split(';').filter((t) => t !== '');
}

/**
 * The entry set-up installs: resources/hangar.desktop with its command (`hangar open %f`) run by the
 * launcher's absolute path, since a desktop session's PATH may not have the launcher's folder, and
 * TryExec naming the launcher, so the entry hides itself once the launcher is gone.
 */
export function installedEntry(template: string, launcher: string): string {
  const exec = desktopEntryValue(template, 'Exec');
  if (exec === null) throw new Error('the desktop entry has no Exec key');
  const [program, ...rest] = parseExec(exec);
  if (program !== 'hangar') throw new Error(`the desktop entry's command should run hangar, not ${program ?? 'nothing'}`);
  const newExec = escapeDesktopString([execArg(launcher), ...rest.map(execQuote)].join(' '));
  const out: string[] = [];
  let inMain = false;
  for (const line of template.replace(/\n+$/, '').split('\n')) {
    const t = line.trim();
    if (t.startsWith('[')) inMain = t === '[Desktop Entry]';
    if (inMain && t.startsWith('TryExec=')) continue;
    if (inMain && t.startsWith('Exec=')) {
      out.push(`TryExec=${escapeDesktopString(launcher)}`, `Exec=${newExec}`);
      continue;
    }
    out.push(line);
  }
  return `${out.join('\n')}\n`;
}

/**
 * mimeapps.list without `desktopId` as a default application ([Default Applications]): a line that
 * named only it goes, a list loses it. Other groups and lines stay as they are.
 */
export function withoutDefaultApp(text: string, desktopId: string): string {
  let inDefaults = false;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('[')) inDefaults = t === '[Default Applications]';
    const eq = line.indexOf('=');
    if (inDefaults && eq > 0 && !t.startsWith('#')) {
      const apps = line.slice(eq + 1).split(';').map((a) => a.trim());
      if (apps.includes(desktopId)) {
        const rest = apps.filter((a) => a !== '' && a !== desktopId);
        if (rest.length) out.push(`${line.slice(0, eq)}=${rest.join(';')};`);
        continue;
      }
    }
    out.push(line);
  }
  return out.join('\n');
}

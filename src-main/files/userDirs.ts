// The user's Documents folder as xdg-user-dirs names it (pure: the file's text in, a path out).

/** XDG_DOCUMENTS_DIR from a user-dirs.dirs text ("$HOME/Documents" style), resolved against `home`. */
export function documentsFromUserDirs(text: string, home: string): string | null {
  for (const line of text.split('\n')) {
    const m = /^\s*XDG_DOCUMENTS_DIR\s*=\s*"([^"]*)"\s*$/.exec(line);
    if (!m) continue;
    const value = m[1]!.replace(/^\$HOME(?=\/|$)/, home);
    // "$HOME/" alone means "no Documents folder" to xdg-user-dirs
    if (!value.startsWith('/') || value.replace(/\/+$/, '') === home.replace(/\/+$/, '')) return null;
    return value;
  }
  return null;
}

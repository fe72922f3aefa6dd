// The user's own folders, for defaults the interface proposes (where an export goes): the home and
// the Documents folder (XDG's user-dirs.dirs where it names one, else ~/Documents when it exists).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { documentsFromUserDirs } from './userDirs.js';

export interface UserFolders {
  home: string;
  /** null when there is none */
  documents: string | null;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function userFolders(): UserFolders {
  const home = homedir();
  let documents: string | null = null;
  const configHome = process.env.XDG_CONFIG_HOME?.startsWith('/') ? process.env.XDG_CONFIG_HOME : join(home, '.config');
  const dirsFile = join(configHome, 'user-dirs.dirs');
  if (existsSync(dirsFile)) {
    try {
      documents = documentsFromUserDirs(readFileSync(dirsFile, 'utf8'), home);
    } catch {
      documents = null;
    }
  }
  if (documents === null || !isDir(documents)) documents = isDir(join(home, 'Documents')) ? join(home, 'Documents') : null;
  return { home, documents };
}

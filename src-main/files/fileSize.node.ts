import { statSync } from 'node:fs';

/** The file's size in bytes; 0 when it does not exist (yet) or cannot be read. */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

// Names of library images (pure): what a person types after --image, so never a path (no '/'), never
// an option (no leading '-'), printable, unique without regard to case.


export const MAX_LIBRARY_NAME_LENGTH = 128;

/** Why a name cannot name a library image, or null. */
export function libraryNameProblem(name: string): string | null {
  if (name.trim() === '') return 'must not be empty';
  if (name.length > MAX_LIBRARY_NAME_LENGTH) return `must be at most ${MAX_LIBRARY_NAME_LENGTH} characters`;
  if (name !== name.trim()) return 'must not start or end with spaces';
  if (name.startsWith('-')) return "must not start with '-'";
  if (name.includes('/') || name.includes('\\')) return "must not contain '/' or '\\' (a name with them would read as a file)";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(name)) return 'must not contain control or text-direction characters';
  return null;
}

/** The name a file gets in the library when none is given: its name without image extensions. */
export function suggestedLibraryName(path: string): string {
  let name = path.split(/[\\/]/).pop() ?? path;
  for (let i = 0; i < 2; i++) name = name.replace(/\.(qcow2|img|raw|iso|vmdk|vdi|vhdx|vhd|xz|gz)$/i, '');
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[\u0000-\u001f\u007f]/g, '').replace(/^-+/, '').trim().slice(0, MAX_LIBRARY_NAME_LENGTH);
  return cleaned || 'image';
}

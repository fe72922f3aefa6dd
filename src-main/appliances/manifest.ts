// OVF manifests (.mf): one digest per file. The standard's form is `SHA256(name)= hex`; VirtualBox
// writes BSD-style `SHA256 (name) = hex`; readers meet CRLF, blank lines and any case
// (DIALECTS.md sections 1, 2, 5). Reading accepts all of those; writing uses the standard's form.
import { HangarError } from '../../src-vmm/base/errors.js';

export type ManifestAlgorithm = 'md5' | 'sha1' | 'sha256' | 'sha512';

export interface ManifestEntry {
  algorithm: ManifestAlgorithm;
  file: string;
  /** Lower-case hex. */
  digest: string;
}

/** Hex digits in a digest of each algorithm. */
export const DIGEST_HEX_LENGTH: Readonly<Record<ManifestAlgorithm, number>> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

const ALGORITHMS: Readonly<Record<string, ManifestAlgorithm>> = {
  md5: 'md5',
  sha1: 'sha1',
  'sha-1': 'sha1',
  sha256: 'sha256',
  'sha-256': 'sha256',
  sha512: 'sha512',
  'sha-512': 'sha512',
};

/** Writers' names for each algorithm, as the standard spells them. */
const SPELLING: Readonly<Record<ManifestAlgorithm, string>> = { md5: 'MD5', sha1: 'SHA1', sha256: 'SHA256', sha512: 'SHA512' };

export interface DigestLine {
  algorithm: ManifestAlgorithm;
  file: string;
  /** Lower-case hex, any length (a .cert line holds a signature here, not a digest). */
  hex: string;
}

// ALG, optional spaces, (name), optional spaces, =, optional spaces, hex. The name is everything up to
// the last ")" before the "=", so names holding parentheses survive.
const LINE = /^([A-Za-z0-9-]+)[ \t]*\((.*)\)[ \t]*=[ \t]*([0-9A-Fa-f]+)$/;

/**
 * One `ALG(name)= hex` line, trimmed, in any of the spellings met in the wild; null when the line
 * is not of that form or names an algorithm other than MD5/SHA1/SHA256/SHA512.
 */
export function parseDigestLine(line: string): DigestLine | null {
  const m = LINE.exec(line.trim());
  if (!m) return null;
  const algorithm = ALGORITHMS[m[1]!.toLowerCase()];
  const file = m[2]!.trim();
  if (!algorithm || file === '') return null;
  return { algorithm, file, hex: m[3]!.toLowerCase() };
}

/**
 * Parses a manifest. Throws INVALID_INPUT naming the line for a line that is not a digest line, a
 * digest of the wrong length for its algorithm, or a file listed twice. `label` names the manifest
 * in messages.
 */
export function parseManifest(text: string, label = 'the manifest'): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  lines.forEach((raw, i) => {
    const n = i + 1;
    if (raw.trim() === '') return;
    const line = parseDigestLine(raw);
    if (!line) {
      const shown = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
      throw new HangarError('INVALID_INPUT', `${label}, line ${n}, is not a digest line of the form SHA256(file)= hex: ${JSON.stringify(shown)}`, { details: { line: n } });
    }
    const want = DIGEST_HEX_LENGTH[line.algorithm];
    if (line.hex.length !== want) {
      throw new HangarError('INVALID_INPUT', `${label}, line ${n}: a ${SPELLING[line.algorithm]} digest has ${want} hex digits, not ${line.hex.length}`, { details: { line: n } });
    }
    const earlier = seen.get(line.file);
    if (earlier !== undefined) {
      throw new HangarError('INVALID_INPUT', `${label}, line ${n}: ${line.file} is listed twice (first on line ${earlier})`, { details: { line: n } });
    }
    seen.set(line.file, n);
    entries.push({ algorithm: line.algorithm, file: line.file, digest: line.hex });
  });
  return entries;
}

/** One manifest line in the standard's form: `SHA256(name)= hex\n`. */
export function formatManifestLine(algorithm: ManifestAlgorithm, file: string, hexDigest: string): string {
  // eslint-disable-next-line no-control-regex
  if (file === '' || /[\u0000-\u001f\u007f]/.test(file) || file !== file.trim()) {
    throw new HangarError('INVALID_INPUT', `cannot list ${JSON.stringify(file)} in a manifest: the name is empty, has control characters or surrounding spaces`);
  }
  const hex = hexDigest.toLowerCase();
  if (!/^[0-9a-f]*$/.test(hex) || hex.length !== DIGEST_HEX_LENGTH[algorithm]) {
    throw new HangarError('INVALID_INPUT', `cannot list ${file} in a manifest: ${JSON.stringify(hexDigest)} is not a ${SPELLING[algorithm]} digest`);
  }
  return `${SPELLING[algorithm]}(${file})= ${hex}\n`;
}

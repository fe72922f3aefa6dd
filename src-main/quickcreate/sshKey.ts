// OpenSSH public keys as people hand them over (the one line of an id_*.pub file), checked before a
// VM is made with one (pure): a key that would not let anyone log in must not make a VM nobody can reach.

/** The key types OpenSSH (9.x) accepts in authorized_keys. */
export const SSH_KEY_TYPES: readonly string[] = [
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-dss',
];

export interface PublicKey {
  type: string;
  /** the base64 key blob */
  blob: string;
  comment: string;
  /** the line as authorized_keys takes it: type, blob and comment */
  line: string;
}

/** A key file is one line (comments and blank lines aside); bigger files are not public keys. */
export const MAX_PUBLIC_KEY_FILE_BYTES = 16 * 1024;

/**
 * The public key in `text` (an id_*.pub file), or the reason it is not one. A private key is named as
 * such: giving one away by mistake is the mistake worth catching.
 */
export function parsePublicKey(text: string): { ok: true; key: PublicKey } | { ok: false; problem: string } {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return { ok: false, problem: 'is a private key: give the public key (the .pub file beside it)' };
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) return { ok: false, problem: 'is empty: it holds no public key' };
  if (lines.length > 1) return { ok: false, problem: `holds ${lines.length} lines: a public key file has one` };
  const [type = '', blob = '', ...rest] = lines[0]!.split(/\s+/);
  if (!SSH_KEY_TYPES.includes(type)) return { ok: false, problem: `is not an OpenSSH public key (it starts with '${printable(type.slice(0, 40))}', not a key type such as ssh-ed25519)` };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) return { ok: false, problem: `is not a valid ${type} key: its key data is not base64` };
  // The blob starts with its own type as an SSH string: a length (4 bytes, big-endian) and the name.
  const bytes = Buffer.from(blob, 'base64');
  const nameLength = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  const inner = nameLength >= 0 && nameLength <= 64 && bytes.length >= 4 + nameLength ? bytes.subarray(4, 4 + nameLength).toString('latin1') : '';
  if (inner !== type) return { ok: false, problem: `is not a valid ${type} key: its key data is damaged or belongs to another key type` };
  if (type === 'ssh-ed25519' && bytes.length !== 4 + nameLength + 4 + 32) return { ok: false, problem: 'is not a valid ssh-ed25519 key: its key data has the wrong length' };
  const comment = rest.join(' ');
  return { ok: true, key: { type, blob, comment, line: comment ? `${type} ${blob} ${comment}` : `${type} ${blob}` } };
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

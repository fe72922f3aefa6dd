// Identifiers and the small string types every section uses: VM id and name, device ids, paths, addresses.
import { z } from 'zod';
import { MAX_DEVICE_ID_LENGTH, MAX_NAME_LENGTH, MAX_PATH_LENGTH } from './limits.js';

export const VmId = z.uuid({ error: 'must be a UUID' });
export type VmId = z.infer<typeof VmId>;

// C0 controls, DEL and the C1 controls: nothing a person can see or type into a name on purpose.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/u;

/**
 * Problems with a VM name, in a fixed order; empty when the name is fine. The name doubles as a folder
 * label and a CLI argument, so separators, dot names, controls and outer white space are refused.
 * Quotes, inner spaces and any other Unicode are fine. The length counts characters (code points).
 */
export function vmNameProblems(name: string): string[] {
  if (name.length === 0) return ['name must not be empty'];
  // (as for snapshot names: spaces alone are an empty name, not a name with spaces around it)
  if (name.trim() === '') return ['name must not be empty or only white space'];
  const problems: string[] = [];
  if ([...name].length > MAX_NAME_LENGTH) problems.push(`name must be at most ${MAX_NAME_LENGTH} characters`);
  if (name.includes('/') || name.includes('\\')) problems.push("name must not contain '/' or '\\'");
  if (name === '.' || name === '..') problems.push("name must not be '.' or '..'");
  if (CONTROL_CHARS.test(name)) problems.push('name must not contain control characters');
  if (/^\s|\s$/u.test(name)) problems.push('name must not start or end with white space');
  return problems;
}

// Characters that change how the text around them shows: bidirectional embeddings, overrides and
// isolates (a name could display reversed, or pose as another), the Unicode line and paragraph
// separators (line breaks to some tools) and the byte order mark. Joiners stay: emoji sequences use them.
const DISPLAY_CONTROLS = /[\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/u;
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Problems with a name given to a new VM or a renamed one: the rules of {@link vmNameProblems} and a few
 * more that only new names must meet, so that VMs named before these rules keep loading. A name must
 * not read as an option on the command line ('-…'), nor as a VM id (refs try ids first: a VM named
 * like another's id could not be named), nor contain characters that change how text displays.
 */
export function newVmNameProblems(name: string): string[] {
  const problems = vmNameProblems(name);
  if (name.length === 0) return problems;
  if (name.startsWith('-')) problems.push("name must not start with '-' (it would read as an option)");
  if (UUID_SHAPE.test(name)) problems.push('name must not look like a VM id (a UUID)');
  if (DISPLAY_CONTROLS.test(name)) problems.push('name must not contain bidirectional-text controls or line separators');
  return problems;
}

/**
 * Problems with a label people read in lists (a snapshot's name): no controls of any kind, nothing
 * that changes how the text around it displays, no white space around it. `what` starts each message.
 */
export function labelProblems(label: string, what: string): string[] {
  const problems: string[] = [];
  if (label.trim() === '') return [`${what} must not be empty or only white space`];
  if (CONTROL_CHARS.test(label)) problems.push(`${what} must not contain control characters`);
  if (DISPLAY_CONTROLS.test(label)) problems.push(`${what} must not contain bidirectional-text controls or line separators`);
  if (/^\s|\s$/u.test(label)) problems.push(`${what} must not start or end with white space`);
  return problems;
}

export const VmName = z.string({ error: 'name must be a string' }).superRefine((name, ctx) => {
  for (const message of vmNameProblems(name)) ctx.addIssue({ code: 'custom', message });
});
export type VmName = z.infer<typeof VmName>;

/**
 * The id of a disk, optical drive or NIC inside one VM: lower-case letters, digits and '-', starting
 * with a letter. It becomes the QEMU device id, and (with a suffix) block node names; QEMU's own
 * devices get ids with '_' so they never clash with these.
 */
export const DEVICE_ID_PATTERN = new RegExp(`^[a-z][a-z0-9-]{0,${MAX_DEVICE_ID_LENGTH - 1}}$`);
export const DeviceId = z
  .string({ error: 'device id must be a string' })
  .regex(DEVICE_ID_PATTERN, `device id must be 1 to ${MAX_DEVICE_ID_LENGTH} lower-case letters, digits or '-', starting with a letter`);
export type DeviceId = z.infer<typeof DeviceId>;

/** True for '/x/y' (and 'C:\x' or 'C:/x', for a Windows host); relative paths are refused. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p);
}

/**
 * An absolute path without '.' or '..' segments, so that two spellings of one file cannot pass
 * the unique-path rule.
 */
export const AbsPath = z
  .string({ error: 'must be a path' })
  .min(1, 'must be an absolute path')
  .max(MAX_PATH_LENGTH, `must be at most ${MAX_PATH_LENGTH} characters`)
  .refine(isAbsolutePath, 'must be an absolute path')
  .refine((p) => !p.includes('\0'), 'must not contain NUL characters')
  .refine((p) => !p.split(/[\\/]/).some((seg) => seg === '.' || seg === '..'), "must not contain '.' or '..' segments");

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}
export const Ipv4 = z.string({ error: 'must be an IPv4 address' }).regex(IPV4, 'must be an IPv4 address such as 127.0.0.1');

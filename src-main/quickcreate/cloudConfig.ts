// What a NoCloud seed says to cloud-init (pure): the meta-data (instance id, hostname) and the
// user-data (the account, its key or password, the guest's SSH host key), and the checks that
// user-data a person adds is cloud-config cloud-init can read. Hangar's own cloud-config is written as
// JSON, which is YAML: no YAML writer is needed. A person's user-data goes beside it as a second part of
// a MIME multipart message; cloud-init merges the two (lists appended, Hangar's keys kept).
import { parseYaml, YamlError, type YamlValue } from './yaml.js';

export const CLOUD_CONFIG_HEADER = '#cloud-config';
/** user-data bigger than this is refused (cloud-init reads the whole seed into memory; real files are KBs). */
export const MAX_USER_DATA_BYTES = 1 << 20;

/** Keys whose value must be a list for cloud-init's modules to run them. */
const LIST_KEYS = ['users', 'groups', 'packages', 'runcmd', 'bootcmd', 'write_files', 'ssh_authorized_keys', 'mounts', 'snap', 'apt_sources'];

/**
 * Why a person's user-data cannot be used, or null when it is cloud-config cloud-init reads: the
 * `#cloud-config` first line, one YAML document that is a mapping, lists where cloud-init needs lists.
 */
export function userDataProblem(text: string): string | null {
  if (new TextEncoder().encode(text).length > MAX_USER_DATA_BYTES) return `is larger than ${MAX_USER_DATA_BYTES >> 10} KiB`;
  const first = text.replace(/^\ufeff/, '').split(/\r?\n/, 1)[0]!.trimEnd();
  if (first !== CLOUD_CONFIG_HEADER) {
    const what = first.startsWith('#!') ? 'a script' : first.startsWith('#include') ? 'an include list' : first.startsWith('Content-Type:') ? 'a MIME message' : null;
    return what
      ? `is ${what}, not cloud-config: only cloud-config (a YAML file whose first line is ${CLOUD_CONFIG_HEADER}) is accepted`
      : `is not cloud-config: its first line must be ${CLOUD_CONFIG_HEADER}`;
  }
  let doc: YamlValue;
  try {
    doc = parseYaml(text);
  } catch (e) {
    if (e instanceof YamlError) return `is not valid YAML: ${e.message}`;
    throw e;
  }
  if (doc === null) return null;
  if (typeof doc !== 'object' || Array.isArray(doc)) return 'is not cloud-config: its YAML must be a mapping of settings (key: value), not a single value or a list';
  for (const key of LIST_KEYS) {
    const v = doc[key];
    if (v !== undefined && v !== null && !Array.isArray(v)) return `is not valid cloud-config: '${key}' must be a list`;
  }
  return null;
}

/** Where the seed sets sshd's password logins (sshd_config includes sshd_config.d/*.conf first). */
export const SSHD_DROP_IN = '/etc/ssh/sshd_config.d/55-hangar.conf';

export interface SeedRequest {
  /** the VM's id: cloud-init runs its first-boot modules once per instance id */
  instanceId: string;
  hostname: string;
  user: string;
  /** authorized_keys lines for the user */
  authorizedKeys: readonly string[];
  /** a crypt(3) SHA-512 hash ($6$…), never the password itself */
  passwordHash?: string;
  /** the guest's SSH host key, made by Hangar so that `hangar ssh` knows it before the first boot */
  hostKey: { privateKey: string; publicKey: string };
  /** a person's own cloud-config (checked with userDataProblem) */
  userData?: string;
  /** for the multipart boundary (tests give a fixed one) */
  boundary?: string;
}

/** The files of the `cidata` volume. */
export function seedFiles(r: SeedRequest): { 'meta-data': string; 'user-data': string } {
  const own = {
    hostname: r.hostname,
    preserve_hostname: false,
    manage_etc_hosts: true,
    users: [
      {
        name: r.user,
        gecos: r.user,
        shell: '/bin/bash',
        groups: ['sudo'],
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        lock_passwd: r.passwordHash === undefined,
        ...(r.passwordHash !== undefined ? { passwd: r.passwordHash } : {}),
        ...(r.authorizedKeys.length ? { ssh_authorized_keys: [...r.authorizedKeys] } : {}),
      },
    ],
    disable_root: true,
    // Password logins are set by a drop-in written in cloud-init's first stage, which runs before sshd
    // starts, rather than by ssh_pwauth: that edits sshd's config in a later stage and restarts sshd
    // while the guest already answers (a first `hangar ssh` then has its connection reset). The name
    // sorts before an image's own settings (Ubuntu's 60-cloudimg-settings.conf): sshd keeps the first value.
    write_files: [
      {
        path: SSHD_DROP_IN,
        owner: 'root:root',
        permissions: '0644',
        content: `# Written by Hangar at the first boot\nPasswordAuthentication ${r.passwordHash !== undefined ? 'yes' : 'no'}\n`,
      },
    ],
    // The guest's host key is Hangar's: no key of the image's is kept, and the one type made at boot
    // (ed25519) is there already, so none is made.
    ssh_deletekeys: true,
    ssh_genkeytypes: ['ed25519'],
    ssh_keys: { ed25519_private: r.hostKey.privateKey, ed25519_public: r.hostKey.publicKey.trim() },
    growpart: { mode: 'auto', devices: ['/'] },
    resize_rootfs: true,
    // C.UTF-8, which glibc always has: cloud-init would otherwise set en_US.UTF-8, and its update-locale
    // fails on an image where that locale is not generated. A locale in the person's cloud-config wins.
    ...(userDataSetsLocale(r.userData) ? {} : { locale: 'C.UTF-8' }),
  };
  const hangarPart = `${CLOUD_CONFIG_HEADER}\n${JSON.stringify(own, null, 2)}\n`;
  // meta-data is YAML too: JSON keeps every hostname exactly as given.
  const metaData = `${JSON.stringify({ 'instance-id': r.instanceId, 'local-hostname': r.hostname }, null, 2)}\n`;
  if (r.userData === undefined) return { 'meta-data': metaData, 'user-data': hangarPart };
  const boundary = r.boundary ?? `==hangar-${r.instanceId}==`;
  const part = (text: string, filename: string, mergeType?: string) =>
    [
      `--${boundary}`,
      'Content-Type: text/cloud-config; charset="utf-8"',
      'MIME-Version: 1.0',
      'Content-Transfer-Encoding: base64',
      ...(mergeType ? [`Merge-Type: ${mergeType}`] : []),
      `Content-Disposition: attachment; filename="${filename}"`,
      '',
      base64Utf8(text).replace(/.{76}/g, '$&\n'),
    ].join('\n');
  const userData = [
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    'MIME-Version: 1.0',
    '',
    part(hangarPart, 'hangar.cfg'),
    // The person's settings are merged into Hangar's: lists (users, runcmd, …) appended, keys Hangar set kept.
    part(r.userData, 'user-data.cfg', 'list(append)+dict(no_replace,recurse_list)+str()'),
    `--${boundary}--`,
    '',
  ].join('\n');
  return { 'meta-data': metaData, 'user-data': userData };
}

/** Whether a person's (already checked) cloud-config has a top-level `locale`. */
function userDataSetsLocale(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    const doc = parseYaml(text);
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) && doc.locale !== undefined;
  } catch {
    return false;
  }
}

/** UTF-8 text as base64 (no Buffer: the interface uses this module too). */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

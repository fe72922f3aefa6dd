// Quick create's sections of a VM's config, both optional (configs saved before them stay valid):
//   cloudInit: a VM made from a cloud image: the account cloud-init makes on the first boot, the key
//              `hangar ssh` logs in with, the guest's own host key (known before it ever booted) and
//              the NoCloud seed in an optical drive;
//   install:   an unattended installation not finished yet: the media, and the kernel and initrd taken
//              from it; they all go (the media ejected) when the installer has finished.
import { z } from 'zod';
import { AbsPath } from './names.js';

/** A Linux account name as useradd takes it (lower case, at most 32 characters). */
export const LINUX_USER_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;
/** Accounts every Linux has: cloud-init would change them, not make them. */
export const RESERVED_USERS: readonly string[] = ['root', 'daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy', 'www-data', 'backup', 'list', 'irc', 'nobody', 'systemd-network', 'systemd-resolve', 'messagebus', 'sshd', '_apt'];

export const LinuxUser = z
  .string({ error: 'user must be a string' })
  .regex(LINUX_USER_PATTERN, 'user must be a Linux account name: a lower-case letter or _, then up to 31 lower-case letters, digits, _ or -')
  .refine((u) => !RESERVED_USERS.includes(u), { error: (issue) => `'${String(issue.input)}' is an account the system has already: choose another user name` });

/** One DNS label (RFC 1123): what a guest's hostname can be. */
export const HOSTNAME_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export const Hostname = z
  .string({ error: 'hostname must be a string' })
  .regex(HOSTNAME_PATTERN, 'hostname must be 1-63 letters, digits or -, and must not start or end with -');

export const CloudInitSection = z
  .object({
    /** the account cloud-init makes (with sudo), which `hangar ssh` logs in as */
    user: LinuxUser,
    hostname: Hostname,
    /** the private key `hangar ssh` uses; null: the person's own ssh set-up (agent, ~/.ssh/config) */
    identityFile: AbsPath.nullable(),
    /** the guest's SSH host key, made by Hangar and given to cloud-init, as a known_hosts file */
    knownHostsFile: AbsPath,
    /** the NoCloud seed (an ISO with the volume label cidata) */
    seed: AbsPath,
  })
  .strict();
export type CloudInitSection = z.infer<typeof CloudInitSection>;

export const ANSWER_FORMATS = ['preseed', 'kickstart', 'autounattend'] as const;
export type AnswerFormat = (typeof ANSWER_FORMATS)[number];

export const InstallSection = z
  .object({
    /** libosinfo's id of the OS being installed */
    osinfoId: z.string().min(1).max(512),
    /** the name people know it by ('Debian 12') */
    osName: z.string().max(512),
    format: z.enum(ANSWER_FORMATS),
    /** the installer media, ejected at the end */
    media: AbsPath,
  })
  .strict();
export type InstallSection = z.infer<typeof InstallSection>;

/** The SSH port forward of a VM made from a cloud image: the forward to the guest's port 22. */
export function sshForward<F extends { protocol: string; guestPort: number }>(nics: readonly { forwards: readonly F[] }[]): F | undefined {
  for (const n of nics) for (const f of n.forwards) if (f.protocol === 'tcp' && f.guestPort === 22) return f;
  return undefined;
}

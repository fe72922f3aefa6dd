// Names quick create makes up (pure): a guest's hostname from its VM's name, the default account.
import { LINUX_USER_PATTERN, RESERVED_USERS } from '../../src-vmm/model/index.js';

/** The hostname a VM's name gives: one DNS label. */
export function hostnameFor(name: string): string {
  const label = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || 'vm';
}

/** The account a cloud VM gets when none is asked for: the person's login name, when it can be one. */
export function defaultUser(login: string): string {
  return LINUX_USER_PATTERN.test(login) && !RESERVED_USERS.includes(login) ? login : 'hangar';
}

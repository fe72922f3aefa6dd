// What the command line adds to an error: its own remedy, in terms of its flags. The owner's messages
// say what is wrong in words every surface can show; the code and data an error carries say which
// remedy applies, and each surface words it for itself (the interface points at its buttons).
import { errorIssues, type HangarError } from '../../src-vmm/base/errors.js';
import {
  FILE_MISSING,
  GUEST_IGNORED_POWER_BUTTON,
  IMAGE_READS_OTHER_FILES,
  KVM_UNAVAILABLE,
  LIBRARY_IMAGE_IN_USE,
  LIBRARY_IMAGE_NOT_FOUND,
  LINKED_CLONES_DEPEND,
  NESTED_NEEDS_KVM,
  PASSWORD_NEEDS_USER,
  UNATTENDED_UNAVAILABLE,
  UNKNOWN_OS_TYPE,
  VMS_RUNNING,
} from '../api/issueCodes.js';

/** `name` as the shell should get it back: quoted when it holds anything but plain characters. */
function arg(name: unknown): string {
  const s = String(name);
  return /^[A-Za-z0-9._@%+=:,/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function cliAdvice(e: HangarError): string | undefined {
  for (const issue of errorIssues(e)) {
    const vm = arg(issue.data?.vm);
    switch (issue.code) {
      case IMAGE_READS_OTHER_FILES:
        return "to copy it, with the files it reads, into one new image in the VM's folder, add --flatten";
      case FILE_MISSING:
        if (issue.data?.role === 'iso') return `change it with 'hangar modify ${vm} --iso FILE' (or --iso none)`;
        if (issue.data?.role === 'kernel' || issue.data?.role === 'initrd') return `change it with 'hangar modify ${vm} --${String(issue.data.role)} FILE' (or --kernel none)`;
        return undefined;
      case KVM_UNAVAILABLE:
        return `use 'hangar modify ${vm} --accel auto'`;
      case NESTED_NEEDS_KVM:
        return issue.data?.vm === undefined ? undefined : `turn it off with 'hangar modify ${vm} --nested off'`;
      case GUEST_IGNORED_POWER_BUTTON:
        return `use 'hangar stop ${vm} --force' to power it off`;
      case LINKED_CLONES_DEPEND:
        return 'delete or promote them first, or delete with --keep-shared to keep only the images they need';
      case VMS_RUNNING:
        return 'or use --force to power them off';
      case UNKNOWN_OS_TYPE:
        return "see 'hangar ostypes'";
      case LIBRARY_IMAGE_IN_USE:
        return "delete those VMs first, or make them standalone with 'hangar promote VM'";
      case LIBRARY_IMAGE_NOT_FOUND:
        return "see 'hangar image list', or give the image's file";
      case UNATTENDED_UNAVAILABLE:
        return "create the VM without --unattended and install it on its console ('hangar console VM') or display";
      case PASSWORD_NEEDS_USER:
        return 'add --user USER';
    }
  }
  return undefined;
}

// What the command line adds to an error: its own remedy, in terms of its flags. The owner's messages
// say what is wrong in words every surface can show; the code and data an error carries say which
// remedy applies, and each surface words it for itself (the interface points at its buttons).
import { errorIssues, type HangarError } from '../../src-vmm/base/errors.js';
import {
  AGENT_ABSENT,
  FILE_MISSING,
  GUEST_IGNORED_POWER_BUTTON,
  IMAGE_READS_OTHER_FILES,
  KVM_UNAVAILABLE,
  LIBRARY_IMAGE_IN_USE,
  LIBRARY_IMAGE_NOT_FOUND,
  LINKED_CLONES_DEPEND,
  NESTED_NEEDS_KVM,
  SHARES_BLOCK_SAVE,
  CLIPBOARD_BLOCKS_SAVE,
  SHARES_NEED_QUIESCE,
  NETWORK_BRIDGE_MISSING,
  NETWORK_IN_USE,
  NETWORK_NOT_FOUND,
  NETWORK_SUBNET_OVERLAP,
  NIC_CHANGE_NEEDS_STOP,
  PASSWORD_NEEDS_USER,
  UNATTENDED_UNAVAILABLE,
  UNKNOWN_OS_TYPE,
  VIRTIOFS_UNAVAILABLE,
  VMS_RUNNING,
} from '../api/issueCodes.js';

/** `name` as the shell should get it back: in double quotes when it holds anything but plain characters. */
function arg(name: unknown): string {
  const s = String(name);
  return /^[A-Za-z0-9._@%+=:,/-]+$/.test(s) ? s : `"${s.replace(/["\\$`]/g, (c) => `\\${c}`)}"`;
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
        if (issue.data?.role === 'share') return `stop sharing it with 'hangar modify ${vm} --unshare ${arg(issue.data.tag)}', or put the folder back`;
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
      case VIRTIOFS_UNAVAILABLE:
        return issue.data?.vm === undefined
          ? "share it with 9p instead: add ',mode=9p' to --share"
          : `share it with 9p instead: 'hangar modify ${vm} --unshare ${arg(issue.data.tag)} --share FOLDER,tag=${arg(issue.data.tag)},mode=9p'`;
      case SHARES_BLOCK_SAVE:
        return `shut it down with 'hangar stop ${vm}' instead, or remove the shares while it is stopped ('hangar modify ${vm} --unshare TAG')`;
      case CLIPBOARD_BLOCKS_SAVE:
        return `shut it down with 'hangar stop ${vm}' instead, or stop sharing the clipboard while it is stopped ('hangar modify ${vm} --clipboard off')`;
      case AGENT_ABSENT:
        return `install qemu-guest-agent in the guest and start it (Debian and Ubuntu: apt install qemu-guest-agent; Fedora: dnf install qemu-guest-agent; Windows: the virtio-win guest tools), then try again`;
      case SHARES_NEED_QUIESCE:
        return `install qemu-guest-agent in the guest, shut the VM down first ('hangar stop ${vm}'), or take the snapshot as a power cut would leave the disks with --quiesce off`;
      case UNKNOWN_OS_TYPE:
        return "see 'hangar ostypes'";
      case NETWORK_NOT_FOUND:
        return "see 'hangar network list'";
      case NETWORK_IN_USE:
        return "remove their cards with 'hangar modify VM --nic-remove NIC' first";
      case NETWORK_SUBNET_OVERLAP:
        return 'choose another with --subnet, or leave --subnet out for a free one';
      case NETWORK_BRIDGE_MISSING: {
        const bridges = Array.isArray(issue.data?.bridges) ? (issue.data.bridges as string[]) : [];
        return bridges.length ? `name one of this host's bridges with --bridge: ${bridges.join(', ')}` : 'this host has no bridge: make one first (ip link add NAME type bridge), then name it with --bridge';
      }
      case NIC_CHANGE_NEEDS_STOP:
        return `stop it first ('hangar stop ${vm}'), or --nic-remove the card and add another with --nic`;
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

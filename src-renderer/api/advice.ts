// What the interface adds to an error: its own remedy, in terms of its buttons and dialogs. The
// owner's message says what is wrong; the code and data the error carries say which remedy applies
// (the command line words the same remedies with its flags: src-main/cli/advice.ts).
import { errorIssues } from '../../src-vmm/base/errors.js';
import {
  CLIPBOARD_BLOCKS_SAVE,
  FILE_MISSING,
  SHARES_BLOCK_SAVE,
  GUEST_IGNORED_POWER_BUTTON,
  IMAGE_READS_OTHER_FILES,
  KVM_UNAVAILABLE,
  LINKED_CLONES_DEPEND,
  NESTED_NEEDS_KVM,
  UNKNOWN_OS_TYPE,
  VMS_RUNNING,
} from '../../src-main/api/issueCodes.js';

export function uiAdvice(e: { details?: unknown }): string | undefined {
  for (const issue of errorIssues(e)) {
    switch (issue.code) {
      case IMAGE_READS_OTHER_FILES:
        return "Tick “Copy the image into the VM's folder” to use a copy that takes in what it reads.";
      case FILE_MISSING:
        if (issue.data?.role === 'iso') return 'Choose another ISO, or eject it, in Settings → Storage.';
        if (issue.data?.role === 'kernel' || issue.data?.role === 'initrd') return 'The VM boots a kernel that is gone: put it back where it was.';
        if (issue.data?.role === 'disk') return 'Put the disk image back, or remove the disk in Settings → Storage.';
        return undefined;
      case KVM_UNAVAILABLE:
        return 'Set the accelerator to Automatic in Settings → System.';
      case NESTED_NEEDS_KVM:
        return 'Turn nested virtualization off in Settings → System.';
      case GUEST_IGNORED_POWER_BUTTON:
        return 'Use Power off in the Stop menu to turn it off at once.';
      case LINKED_CLONES_DEPEND:
        return 'Delete or promote the clones first, or tick “Keep the images the clones need”.';
      case VMS_RUNNING:
        return 'Stop them first, or power them off.';
      case UNKNOWN_OS_TYPE:
        return 'Choose an OS type from the list.';
      case SHARES_BLOCK_SAVE:
        return 'Shut it down instead, or remove its shared folders in Settings while it is stopped.';
      case CLIPBOARD_BLOCKS_SAVE:
        return 'Shut it down instead, or turn the clipboard off in Settings → Display while it is stopped.';
    }
  }
  return undefined;
}

/** The owner's message with the interface's remedy after it, when there is one. */
export function withUiAdvice(e: { message: string; details?: unknown }): string {
  const advice = uiAdvice(e);
  return advice ? `${e.message}. ${advice}` : e.message;
}

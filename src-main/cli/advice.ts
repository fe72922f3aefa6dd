// What the command line adds to an error: its own advice, in terms of its flags. The owner's messages
// say what is wrong in words every surface can show; the code and data the error carries say which
// remedy applies, and each surface words it for itself (the interface points at its buttons).
import { issueWithCode, type HangarError } from '../../src-vmm/base/errors.js';
import { IMAGE_READS_OTHER_FILES } from '../files/issueCodes.js';

export function cliAdvice(e: HangarError): string | undefined {
  if (issueWithCode(e, IMAGE_READS_OTHER_FILES)) return 'to copy it, with the files it reads, into one new image in the VM\'s folder, add --flatten';
  return undefined;
}

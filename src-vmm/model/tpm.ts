// A TPM 2.0, emulated by swtpm (started by the VM's host beside QEMU, its state in the VM's folder).
// Optional in the config: absent means no TPM, so configs saved before it stay valid.
import { z } from 'zod';

export const TpmSection = z
  .object({
    /** the TPM's version: 2.0, what Windows 11 needs (TPM 1.2 is not offered) */
    version: z.literal('2.0', { error: "TPM version must be '2.0'" }),
  })
  .strict();
export type TpmSection = z.infer<typeof TpmSection>;

/** Whether a config has a TPM. */
export function hasTpm(c: { tpm?: TpmSection | undefined }): boolean {
  return c.tpm !== undefined;
}

/** Whether a config boots with Secure Boot (UEFI with the Microsoft-enrolled variable store). */
export function hasSecureBoot(c: { firmware: { type: string; secureBoot?: boolean | undefined } }): boolean {
  return c.firmware.type === 'uefi' && c.firmware.secureBoot === true;
}

// What the owner does when a VM crashes: QEMU or its VMM host ended without being asked to.
// Optional in the config (absent: never restart), so configs saved before it existed stay valid.
import { z } from 'zod';

export const MAX_RESTARTS_PER_MINUTE = 10;

export const RecoverySection = z
  .object({
    /** start the VM again when it crashes (ends 'aborted' without anyone asking) */
    restartOnCrash: z.boolean({ error: 'restartOnCrash must be true or false' }),
    /** at most this many automatic restarts within any 60 seconds; past that the VM stays aborted */
    maxRestartsPerMinute: z
      .number({ error: 'maxRestartsPerMinute must be a number' })
      .int('maxRestartsPerMinute must be a whole number')
      .min(1, 'maxRestartsPerMinute must be at least 1')
      .max(MAX_RESTARTS_PER_MINUTE, `maxRestartsPerMinute must be at most ${MAX_RESTARTS_PER_MINUTE}`),
  })
  .strict();
export type RecoverySection = z.infer<typeof RecoverySection>;

export const DEFAULT_RECOVERY: RecoverySection = { restartOnCrash: false, maxRestartsPerMinute: 3 };

/** The policy in force for a config (absent section: the default, which never restarts). */
export function recoveryOf(c: { recovery?: RecoverySection | undefined }): RecoverySection {
  return c.recovery ?? DEFAULT_RECOVERY;
}

// CPU features the user switches on or off.
import { z } from 'zod';

export const FeaturesSection = z
  .object({
    /** expose VMX/SVM to the guest so it can run VMs itself; needs KVM */
    nested: z.boolean({ error: 'nested must be true or false' }),
  })
  .strict();
export type FeaturesSection = z.infer<typeof FeaturesSection>;

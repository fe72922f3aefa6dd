// Boot order, and an optional kernel booted directly (QEMU's -kernel/-initrd/-append).
import { z } from 'zod';
import { choiceValues, describeChoices } from './choice.js';
import { MAX_APPEND_LENGTH } from './limits.js';
import { AbsPath } from './names.js';

export const BOOT_DEVICES = [
  { value: 'disk', label: 'Hard disk' },
  { value: 'optical', label: 'Optical drive' },
  { value: 'network', label: 'Network (PXE)' },
] as const;
export type BootDevice = (typeof BOOT_DEVICES)[number]['value'];

export const BootSection = z
  .object({
    order: z
      .array(z.enum(choiceValues(BOOT_DEVICES), { error: `boot device must be ${describeChoices(BOOT_DEVICES)}` }))
      .superRefine((order, ctx) => {
        const seen = new Set<string>();
        for (const d of order) {
          if (seen.has(d)) ctx.addIssue({ code: 'custom', message: `boot order lists '${d}' more than once` });
          seen.add(d);
        }
      }),
    kernel: AbsPath.optional(),
    initrd: AbsPath.optional(),
    append: z
      .string({ error: 'append must be a string' })
      .max(MAX_APPEND_LENGTH, `append must be at most ${MAX_APPEND_LENGTH} characters`)
      .refine((s) => !s.includes('\0'), 'append must not contain NUL characters')
      .optional(),
  })
  .strict();
export type BootSection = z.infer<typeof BootSection>;

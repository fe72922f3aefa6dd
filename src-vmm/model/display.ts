// The graphics adapter and whether QEMU serves it over VNC (on a unix socket in the VM's run folder).
import { z } from 'zod';
import { choiceValues, describeChoices } from './choice.js';

export const VGA_TYPES = [
  { value: 'std', label: 'Standard VGA' },
  { value: 'virtio', label: 'VirtIO GPU' },
  { value: 'cirrus', label: 'Cirrus Logic (legacy)' },
  { value: 'none', label: 'None (headless)' },
] as const;
export type VgaType = (typeof VGA_TYPES)[number]['value'];

export const DisplaySection = z
  .object({
    vga: z.enum(choiceValues(VGA_TYPES), { error: `display adapter must be ${describeChoices(VGA_TYPES)}` }),
    /** serve the display over VNC; ignored when there is no display adapter */
    vnc: z.boolean({ error: 'vnc must be true or false' }),
    /**
     * share text clipboard between the display's viewer and the guest (QEMU's qemu-vdagent, the guest's
     * spice-vdagent); absent in configs saved before it: off
     */
    clipboard: z.boolean({ error: 'clipboard must be true or false' }).optional(),
  })
  .strict();
export type DisplaySection = z.infer<typeof DisplaySection>;

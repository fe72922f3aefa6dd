// Firmware: SeaBIOS or OVMF (UEFI). A UEFI VM keeps its own copy of the variable store (nvram).
import { z } from 'zod';
import { choiceValues, describeChoices } from './choice.js';

export const FIRMWARES = [
  { value: 'bios', label: 'BIOS (SeaBIOS)' },
  { value: 'uefi', label: 'UEFI (OVMF)' },
] as const;
export type FirmwareType = (typeof FIRMWARES)[number]['value'];

export const FirmwareSection = z
  .object({
    type: z.enum(choiceValues(FIRMWARES), { error: `firmware must be ${describeChoices(FIRMWARES)}` }),
    /**
     * UEFI only: boot with Secure Boot, from OVMF's variable store with Microsoft's keys enrolled (what
     * Windows and distributions' signed shims expect). Absent in configs saved before it: off.
     */
    secureBoot: z.boolean({ error: 'secureBoot must be true or false' }).optional(),
  })
  .strict();
export type FirmwareSection = z.infer<typeof FirmwareSection>;

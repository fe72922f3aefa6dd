// The first serial port (ttyS0 / COM1), relayed by the VMM host to the console view and the log.
import { z } from 'zod';

export const SerialSection = z
  .object({
    enabled: z.boolean({ error: 'serial.enabled must be true or false' }),
  })
  .strict();
export type SerialSection = z.infer<typeof SerialSection>;

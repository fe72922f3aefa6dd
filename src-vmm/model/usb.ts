// USB devices of a VM: disk images as USB mass storage, and host devices passed through by vendor and
// product. A config with this section has an xHCI (USB 3) controller, also without a display, so that
// devices can be plugged in while the VM runs.
import { z } from 'zod';
import { AbsPath, DeviceId } from './names.js';

/** Devices on the xHCI controller besides the tablet: its ports (qemu-xhci has 4 USB 2 + 4 USB 3; the tablet takes one). */
export const MAX_USB_DEVICES = 6;

/** A USB id as lsusb prints it: four lower-case hex digits. */
export const UsbIdHex = z.string().regex(/^[0-9a-f]{4}$/, 'must be four hexadecimal digits, such as 0781');

export const UsbStorage = z
  .object({
    id: DeviceId,
    kind: z.literal('storage'),
    /** the image, used in place (never deleted by Hangar) */
    path: AbsPath,
    format: z.enum(['qcow2', 'raw'], { error: 'a USB disk image must be qcow2 or raw' }),
  })
  .strict();
export type UsbStorage = z.infer<typeof UsbStorage>;

export const UsbHostDevice = z
  .object({
    id: DeviceId,
    kind: z.literal('host'),
    vendorId: UsbIdHex,
    productId: UsbIdHex,
  })
  .strict();
export type UsbHostDevice = z.infer<typeof UsbHostDevice>;

export const UsbDevice = z.discriminatedUnion('kind', [UsbStorage, UsbHostDevice]);
export type UsbDevice = z.infer<typeof UsbDevice>;

export const UsbSection = z
  .object({
    devices: z.array(UsbDevice).max(MAX_USB_DEVICES, `a VM can have at most ${MAX_USB_DEVICES} USB devices`),
  })
  .strict();
export type UsbSection = z.infer<typeof UsbSection>;

/** `0781:5567` → its parts, or null when it is not VENDOR:PRODUCT in hexadecimal. */
export function parseUsbId(text: string): { vendorId: string; productId: string } | null {
  const m = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$/.exec(text.trim());
  return m ? { vendorId: m[1]!.toLowerCase(), productId: m[2]!.toLowerCase() } : null;
}

/** A new USB device id the config does not use yet (usb0, usb1, …). */
export function nextUsbId(used: readonly string[]): string {
  for (let n = 0; ; n++) if (!used.includes(`usb${n}`)) return `usb${n}`;
}

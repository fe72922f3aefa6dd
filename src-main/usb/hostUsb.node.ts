// Reads the host's USB devices from sysfs (/sys/bus/usb/devices) and checks the user's access to
// their nodes (/dev/bus/usb). Tests may point both elsewhere (HANGAR_TEST=1 with HANGAR_USB_SYSFS and
// HANGAR_USB_DEV), since a test machine may have no USB at all.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { nodeAccess, parseSysfsDevice, type HostUsbDevice, type SysfsAttributes } from './hostUsb.js';

export function usbRoots(env: NodeJS.ProcessEnv = process.env): { sysfs: string; dev: string } {
  const test = env.HANGAR_TEST === '1';
  return {
    sysfs: (test && env.HANGAR_USB_SYSFS) || '/sys/bus/usb/devices',
    dev: (test && env.HANGAR_USB_DEV) || '/dev/bus/usb',
  };
}

function attr(dir: string, name: string): string | null {
  try {
    return readFileSync(join(dir, name), 'utf8').trim();
  } catch {
    return null;
  }
}

/** Every USB device of the host (hubs included, marked), in sysfs order; none when the host has no USB. */
export function hostUsbDevices(roots = usbRoots()): HostUsbDevice[] {
  let names: string[];
  try {
    names = readdirSync(roots.sysfs).sort();
  } catch {
    return [];
  }
  const user = { uid: process.getuid?.() ?? 0, gids: process.getgroups?.() ?? [] };
  const out: HostUsbDevice[] = [];
  for (const name of names) {
    const dir = join(roots.sysfs, name);
    const a: SysfsAttributes = {
      idVendor: attr(dir, 'idVendor'),
      idProduct: attr(dir, 'idProduct'),
      manufacturer: attr(dir, 'manufacturer'),
      product: attr(dir, 'product'),
      busnum: attr(dir, 'busnum'),
      devnum: attr(dir, 'devnum'),
      bDeviceClass: attr(dir, 'bDeviceClass'),
    };
    const d = parseSysfsDevice(name, a, roots.dev);
    if (!d) continue;
    let facts = { exists: false, mode: 0, uid: 0, gid: 0 };
    try {
      const st = statSync(d.node);
      facts = { exists: true, mode: st.mode, uid: st.uid, gid: st.gid };
    } catch {
      /* no node */
    }
    out.push({ ...d, access: nodeAccess(d.node, facts, user) });
  }
  return out;
}

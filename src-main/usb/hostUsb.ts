// The host's USB devices (pure): what /sys/bus/usb/devices says about each, and whether the user may
// open its node in /dev/bus/usb, which QEMU's usb-host needs (it runs as the user).

/** One USB device of the host, as `hangar usb list` shows it. */
export interface HostUsbDevice {
  /** the sysfs name: bus-port.port… (`1-2.4`) */
  sysfsName: string;
  vendorId: string;
  productId: string;
  manufacturer: string | null;
  product: string | null;
  bus: number;
  device: number;
  /** the port path on its bus (`2.4`) */
  port: string;
  /** the device's node: /dev/bus/usb/BBB/DDD */
  node: string;
  /** whether this user can open the node read-write (what passthrough needs), and if not, why */
  access: { ok: true } | { ok: false; reason: string };
  /** a hub or the bus's root hub: not passed through */
  hub: boolean;
}

/** The attribute files of one sysfs device folder that matter, as read (trimmed; null when absent). */
export interface SysfsAttributes {
  idVendor: string | null;
  idProduct: string | null;
  manufacturer: string | null;
  product: string | null;
  busnum: string | null;
  devnum: string | null;
  bDeviceClass: string | null;
}

/** The node of a device: /dev/bus/usb/001/004. */
export function usbNodePath(devRoot: string, bus: number, device: number): string {
  return `${devRoot}/${String(bus).padStart(3, '0')}/${String(device).padStart(3, '0')}`;
}

/**
 * A device from its sysfs folder's name and attributes, or null for what is not a device: interfaces
 * (`1-2:1.0`) and folders without ids. Root hubs are named `usbN`.
 */
export function parseSysfsDevice(name: string, a: SysfsAttributes, devRoot: string): Omit<HostUsbDevice, 'access'> | null {
  if (name.includes(':')) return null;
  const hex = /^[0-9a-fA-F]{4}$/;
  if (!a.idVendor || !a.idProduct || !hex.test(a.idVendor) || !hex.test(a.idProduct)) return null;
  const bus = Number(a.busnum);
  const device = Number(a.devnum);
  if (!Number.isInteger(bus) || !Number.isInteger(device) || bus <= 0 || device <= 0) return null;
  const port = name.startsWith('usb') ? '0' : name.slice(name.indexOf('-') + 1);
  return {
    sysfsName: name,
    vendorId: a.idVendor.toLowerCase(),
    productId: a.idProduct.toLowerCase(),
    manufacturer: a.manufacturer || null,
    product: a.product || null,
    bus,
    device,
    port,
    node: usbNodePath(devRoot, bus, device),
    hub: a.bDeviceClass === '09' || name.startsWith('usb'),
  };
}

/** What is known of a device node and of the user, to decide whether the user can open it read-write. */
export interface NodeFacts {
  exists: boolean;
  mode: number;
  uid: number;
  gid: number;
}

/** Whether a user (uid, groups) may open a node read-write, by its mode bits; root always may. */
export function nodeAccess(node: string, f: NodeFacts, user: { uid: number; gids: readonly number[] }): HostUsbDevice['access'] {
  if (!f.exists) return { ok: false, reason: `its node ${node} does not exist (the device is gone, or /dev/bus/usb is not mounted)` };
  if (user.uid === 0) return { ok: true };
  const rw = (shift: number) => ((f.mode >> shift) & 0o6) === 0o6;
  if (f.uid === user.uid ? rw(6) : user.gids.includes(f.gid) ? rw(3) : rw(0)) return { ok: true };
  const mode = (f.mode & 0o777).toString(8).padStart(4, '0');
  return {
    ok: false,
    reason: `you cannot open its node ${node} (mode ${mode}, owner ${f.uid}, group ${f.gid}): give your user access to it, for example with a udev rule (MODE="0660", GROUP a group you are in)`,
  };
}

/** The devices that match VENDOR:PRODUCT. */
export function matching(devices: readonly HostUsbDevice[], vendorId: string, productId: string): HostUsbDevice[] {
  return devices.filter((d) => d.vendorId === vendorId && d.productId === productId);
}

// A VirtualBox machine file (.vbox, VirtualBox's settings format) read into a MachineFile (pure).
// What is read: <VirtualBox><Machine name OSType currentSnapshot currentStateModified stateFile>,
// its <MediaRegistry> (HardDisks nested as differencing children under their parents, DVDImages,
// FloppyImages), <Hardware> (CPU, Memory, Firmware, Chipset, Network: read as the OVF importer reads
// an exported vbox:Machine), the <StorageControllers> with their <AttachedDevice>s (inside Hardware
// in some versions, beside it in others: both are read), and the <Snapshot> tree. VirtualBox 3.2 to
// 7.1 write these; 7.1's <Platform> wrapper is found by the same searches.
import { HangarError } from '../../src-vmm/base/errors.js';
import { readVBoxMachine } from './descriptor.js';
import type { MachineController, MachineDevice, MachineFile } from './machineFile.js';
import { attr, child, children, parseXml, type XmlElement } from './xml.js';

interface Medium {
  location: string;
  format: string;
  parent: string | null;
}

const uuidKey = (s: string | undefined) => (s ?? '').trim().replace(/^\{|\}$/g, '').toLowerCase();
const isTrue = (s: string | undefined) => s !== undefined && /^\s*(true|1|yes|on)\s*$/i.test(s);
const int = (s: string | undefined): number | null => (s !== undefined && /^\s*\d{1,6}\s*$/.test(s) ? Number(s) : null);

/** VirtualBox's controller types as OVF resource types and subtypes (what its OVF export writes). */
function controllerType(type: string): { resourceType: number; subtype: string; ide: boolean; floppy: boolean } {
  const t = type.trim();
  switch (t.toLowerCase()) {
    case 'piix3':
    case 'piix4':
    case 'ich6':
      return { resourceType: 5, subtype: t, ide: true, floppy: false };
    case 'ahci':
      return { resourceType: 20, subtype: 'AHCI', ide: false, floppy: false };
    case 'lsilogic':
      return { resourceType: 6, subtype: 'lsilogic', ide: false, floppy: false };
    case 'buslogic':
      return { resourceType: 6, subtype: 'buslogic', ide: false, floppy: false };
    case 'lsilogicsas':
      return { resourceType: 6, subtype: 'lsilogicsas', ide: false, floppy: false };
    case 'nvme':
      return { resourceType: 20, subtype: 'NVMe', ide: false, floppy: false };
    case 'virtioscsi':
      return { resourceType: 6, subtype: 'VirtioSCSI', ide: false, floppy: false };
    case 'i82078':
      return { resourceType: 14, subtype: t, ide: false, floppy: true };
    default:
      // USB mass storage and anything newer: a controller the mapping does not know (it says so).
      return { resourceType: 20, subtype: t || 'unknown', ide: false, floppy: false };
  }
}

function readMedia(machine: XmlElement): { disks: Map<string, Medium>; images: Map<string, string> } {
  const disks = new Map<string, Medium>();
  const images = new Map<string, string>();
  const registry = child(machine, 'MediaRegistry');
  if (!registry) return { disks, images };
  const walk = (el: XmlElement, parent: string | null, depth: number) => {
    if (depth > 256) throw new HangarError('INVALID_INPUT', 'the media registry nests differencing disks more than 256 deep');
    for (const hd of children(el, 'HardDisk')) {
      const id = uuidKey(attr(hd, 'uuid'));
      if (id && !disks.has(id)) disks.set(id, { location: attr(hd, 'location') ?? '', format: attr(hd, 'format') ?? '', parent });
      walk(hd, id || null, depth + 1);
    }
  };
  for (const hds of children(registry, 'HardDisks')) walk(hds, null, 0);
  for (const section of [...children(registry, 'DVDImages'), ...children(registry, 'FloppyImages')]) {
    for (const img of children(section, 'Image')) images.set(uuidKey(attr(img, 'uuid')), attr(img, 'location') ?? '');
  }
  return { disks, images };
}

function snapshotNames(machine: XmlElement): { names: string[]; byUuid: Map<string, string> } {
  const names: string[] = [];
  const byUuid = new Map<string, string>();
  const walk = (el: XmlElement, depth: number) => {
    for (const s of children(el, 'Snapshot')) {
      if (depth > 1000 || names.length > 10_000) return;
      const name = attr(s, 'name') ?? '';
      names.push(name);
      byUuid.set(uuidKey(attr(s, 'uuid')), name);
      for (const inner of children(s, 'Snapshots')) walk(inner, depth + 1);
    }
  };
  walk(machine, 0);
  return { names, byUuid };
}

/** Reads a .vbox. Throws INVALID_INPUT (one line) for what is not a VirtualBox machine or refers to nothing. */
export function parseVbox(input: string | Uint8Array, what: string): MachineFile {
  const root = parseXml(input, what);
  if (root.local !== 'VirtualBox') throw new HangarError('INVALID_INPUT', `${what} is not a VirtualBox machine file (root element is <${root.local.slice(0, 60)}>)`);
  const machine = child(root, 'Machine');
  if (!machine) throw new HangarError('INVALID_INPUT', `${what} describes no machine (it has no <Machine> element)`);
  const warnings: string[] = [];
  const vbox = readVBoxMachine(machine);
  // What VirtualBox leaves out of its settings is its default: one CPU, a PCnet-FAST III adapter.
  vbox.cpus ??= 1;
  for (const a of vbox.adapters) if (a.type === '') a.type = 'Am79C973';

  const media = readMedia(machine);
  const hardware = child(machine, 'Hardware');
  const storage = (hardware && child(hardware, 'StorageControllers')) ?? child(machine, 'StorageControllers');
  const controllers: MachineController[] = [];
  const devices: MachineDevice[] = [];
  for (const sc of storage ? children(storage, 'StorageController') : []) {
    const name = (attr(sc, 'name') ?? '').trim() || 'storage controller';
    const t = controllerType(attr(sc, 'type') ?? '');
    if (t.ide) for (const channel of [0, 1]) controllers.push({ id: `${name}#${channel}`, resourceType: 5, subtype: t.subtype, address: channel, name: `${name} (${t.subtype})` });
    else if (!t.floppy) controllers.push({ id: name, resourceType: t.resourceType, subtype: t.subtype, address: null, name: `${name} (${t.subtype})` });
    for (const ad of children(sc, 'AttachedDevice')) {
      const type = (attr(ad, 'type') ?? '').toLowerCase();
      const port = int(attr(ad, 'port')) ?? 0;
      const device = int(attr(ad, 'device')) ?? 0;
      const image = child(ad, 'Image');
      const id = uuidKey(image ? attr(image, 'uuid') : undefined);
      const where = t.ide ? `${name}, port ${port}, device ${device}` : `${name}, port ${port}`;
      const placement = t.ide ? { controller: `${name}#${port}`, unit: device } : { controller: t.floppy ? '' : name, unit: port };
      if (type === 'harddisk') {
        if (!id) throw new HangarError('INVALID_INPUT', `${what}: the disk at ${where} names no image`);
        const chain: { location: string; format: string }[] = [];
        let at: string | null = id;
        while (at !== null) {
          const m = media.disks.get(at);
          if (!m) {
            throw new HangarError(
              'INVALID_INPUT',
              at === id
                ? `${what}: the disk at ${where} is {${id}}, which the machine's media registry does not list (VirtualBox before 4.0 kept it in VirtualBox.xml)`
                : `${what}: the disk at ${where} is based on {${at}}, which the machine's media registry does not list`,
            );
          }
          if (chain.length > 256) throw new HangarError('INVALID_INPUT', `${what}: the disk at ${where} has more than 256 differencing images`);
          chain.unshift({ location: m.location, format: m.format });
          at = m.parent;
        }
        devices.push({ ...placement, kind: 'disk', name: where, file: chain.at(-1)!.location, chain });
      } else if (type === 'dvd' || type === 'floppy') {
        const location = id ? (media.images.get(id) ?? media.disks.get(id)?.location ?? null) : null;
        devices.push({ ...placement, kind: type === 'dvd' ? 'cdrom' : 'floppy', name: where, file: location });
      } else warnings.push(`The device at ${where} ('${(attr(ad, 'type') ?? '').slice(0, 40)}') is left out: Hangar does not know it.`);
    }
  }

  const others: MachineFile['others'] = [];
  if (hardware) {
    const usb = child(hardware, 'USB');
    const usbControllers = usb ? children(child(usb, 'Controllers') ?? usb, 'Controller') : [];
    for (const c of usbControllers) others.push({ resourceType: 23, subtype: attr(c, 'type') ?? 'USB', name: attr(c, 'name') ?? 'USB controller' });
    const oldUsb = child(hardware, 'USBController');
    if (oldUsb && isTrue(attr(oldUsb, 'enabled'))) others.push({ resourceType: 23, subtype: isTrue(attr(oldUsb, 'enabledEhci')) ? 'EHCI' : 'OHCI', name: 'USB controller' });
    const audio = child(hardware, 'AudioAdapter');
    if (audio && isTrue(attr(audio, 'enabled'))) others.push({ resourceType: 35, subtype: attr(audio, 'controller') ?? '', name: 'audio adapter' });
    for (const port of children(child(hardware, 'UART') ?? hardware, 'Port')) {
      if (isTrue(attr(port, 'enabled'))) others.push({ resourceType: 21, subtype: '', name: `serial port ${(int(attr(port, 'slot')) ?? 0) + 1}` });
    }
  }

  const snaps = snapshotNames(machine);
  const modified = attr(machine, 'currentStateModified');
  const stateFile = attr(machine, 'stateFile');
  if (stateFile) warnings.push(`The machine was saved in VirtualBox (its running state is in '${stateFile.slice(0, 80)}'); Hangar imports its disks, so the guest starts afresh, as after a power cut.`);

  return {
    kind: 'vbox',
    name: vbox.name,
    description: vbox.description,
    vbox,
    vmwOsType: null,
    cpus: null,
    memoryMiB: null,
    vmwConfig: [],
    hardwareVersion: null,
    controllers,
    devices,
    nics: [],
    others,
    snapshots: {
      names: snaps.names,
      current: snaps.byUuid.get(uuidKey(attr(machine, 'currentSnapshot'))) ?? null,
      // VirtualBox writes the attribute only when it is false.
      currentStateModified: modified !== undefined ? isTrue(modified) : snaps.names.length ? true : null,
    },
    warnings,
  };
}

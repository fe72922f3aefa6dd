// A VMware machine file (.vmx) read into a MachineFile (pure), with its snapshot list (.vmsd).
// The format: one `key = "value"` per line, `#` comments, keys case-insensitive (VMware writes
// `displayName`, people write `displayname`), values quoted or not, and VMware's escapes inside
// values (`|22` a quote, `|7C` a bar, `|0A` a line break: a bar and two hex digits). Devices are
// `<bus><n>:<unit>.*` keys on ide0–1, scsi0–3, sata0–3 and nvme0–3; cards are ethernet<n>.*.
import { HangarError } from '../../src-vmm/base/errors.js';
import type { OvfConfigEntry } from './descriptor.js';
import type { MachineController, MachineDevice, MachineFile, MachineNic } from './machineFile.js';

export type VmxKeys = Map<string, string>;

const MAX_LINES = 100_000;

function unescape(v: string): string {
  return v.replace(/\|([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * The keys of a .vmx or .vmsd (lower case) with their values (unquoted, unescaped); the last of a
 * repeated key counts, as in VMware. Throws INVALID_INPUT naming the first line that is not `key = value`.
 */
export function parseVmxText(text: string, what: string): VmxKeys {
  if (text.includes('\0')) throw new HangarError('INVALID_INPUT', `${what} is not a text file`);
  const out: VmxKeys = new Map();
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n|\r/);
  if (lines.length > MAX_LINES) throw new HangarError('INVALID_INPUT', `${what} has more than ${MAX_LINES} lines`);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Za-z0-9_.:\-[\]]+)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new HangarError('INVALID_INPUT', `${what}: line ${i + 1} is not of the form key = "value": '${line.slice(0, 60)}'`);
    let value = m[2]!.trim();
    if (value.startsWith('"')) {
      const end = value.indexOf('"', 1);
      if (end < 0) throw new HangarError('INVALID_INPUT', `${what}: line ${i + 1} has a value without its closing quote`);
      value = value.slice(1, end);
    } else value = value.replace(/\s+#.*$/, '');
    out.set(m[1]!.toLowerCase(), unescape(value));
  });
  return out;
}

const isTrue = (v: string | undefined) => v !== undefined && /^(true|yes|1|on)$/i.test(v.trim());

const SCSI_SUBTYPES: Readonly<Record<string, string>> = { lsilogic: 'lsilogic', buslogic: 'buslogic', lsisas1068: 'lsilogicsas', pvscsi: 'VirtualSCSI' };
const NIC_SUBTYPES: Readonly<Record<string, string>> = { e1000: 'E1000', e1000e: 'E1000e', vmxnet3: 'VmxNet3', vlance: 'PCNet32', vmxnet: 'VmxNet', vmxnet2: 'VmxNet2' };
const CONNECTIONS: Readonly<Record<string, string>> = { nat: 'NAT', bridged: 'bridged', hostonly: 'hostonly' };

/** The snapshots a .vmsd lists: names in order, and the current one. */
export function parseVmsd(text: string, what: string): MachineFile['snapshots'] {
  const keys = parseVmxText(text, what);
  const byIndex: { i: number; uid: string; name: string }[] = [];
  for (const [k, v] of keys) {
    const m = /^snapshot(\d+)\.displayname$/.exec(k);
    if (m) byIndex.push({ i: Number(m[1]), uid: keys.get(`snapshot${m[1]}.uid`) ?? '', name: v });
  }
  byIndex.sort((a, b) => a.i - b.i);
  const current = keys.get('snapshot.current');
  return { names: byIndex.map((s) => s.name), current: byIndex.find((s) => s.uid !== '' && s.uid === current)?.name ?? null, currentStateModified: null };
}

/** Reads a .vmx (and the text of its .vmsd when there is one). Throws INVALID_INPUT for a file that is not one. */
export function parseVmx(text: string, what: string, vmsd: string | null = null): MachineFile {
  const k = parseVmxText(text, what);
  if (k.size === 0) throw new HangarError('INVALID_INPUT', `${what} is empty: it describes no machine`);
  if (!k.has('config.version') && !k.has('virtualhw.version') && !k.has('displayname') && !k.has('guestos')) {
    throw new HangarError('INVALID_INPUT', `${what} is not a VMware machine file (it has none of config.version, virtualHW.version, displayName, guestOS)`);
  }
  const warnings: string[] = [];
  const controllers: MachineController[] = [];
  const devices: MachineDevice[] = [];
  const controllerIds = new Set<string>();
  const addController = (bus: string, n: number) => {
    const id = `${bus}${n}`;
    if (controllerIds.has(id)) return;
    controllerIds.add(id);
    if (bus === 'ide') controllers.push({ id, resourceType: 5, subtype: 'PIIX4', address: n, name: id });
    else if (bus === 'sata') controllers.push({ id, resourceType: 20, subtype: 'vmware.sata.ahci', address: null, name: id });
    else if (bus === 'nvme') controllers.push({ id, resourceType: 20, subtype: 'vmware.nvme.controller', address: null, name: id });
    else {
      const dev = (k.get(`${id}.virtualdev`) ?? 'lsilogic').toLowerCase();
      controllers.push({ id, resourceType: 6, subtype: SCSI_SUBTYPES[dev] ?? dev, address: null, name: id });
    }
  };

  const deviceKeys = [...k.keys()]
    .map((key) => /^(ide|scsi|sata|nvme)(\d+):(\d+)\.present$/.exec(key))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ bus: m[1]!, n: Number(m[2]), unit: Number(m[3]) }))
    .sort((a, b) => a.bus.localeCompare(b.bus) || a.n - b.n || a.unit - b.unit);
  for (const { bus, n, unit } of deviceKeys) {
    const p = `${bus}${n}:${unit}`;
    if (!isTrue(k.get(`${p}.present`))) continue;
    if (bus !== 'ide' && k.has(`${bus}${n}.present`) && !isTrue(k.get(`${bus}${n}.present`))) continue;
    const type = (k.get(`${p}.devicetype`) ?? '').toLowerCase();
    const file = k.get(`${p}.filename`) ?? null;
    addController(bus, n);
    if (type.includes('cdrom') || (type === '' && file !== null && /\.iso$/i.test(file))) {
      devices.push({ controller: `${bus}${n}`, unit, kind: 'cdrom', name: p, file: type === 'cdrom-image' || type === '' ? file : null });
    } else if (type === 'rawdisk' || type.includes('passthru') || type.includes('raw')) {
      warnings.push(`The disk ${p} is a host's physical disk ('${(file ?? '').slice(0, 60)}'); it is left out: Hangar imports disk images only.`);
    } else {
      if (file === null || file.trim() === '') throw new HangarError('INVALID_INPUT', `${what}: the disk ${p} has no fileName`);
      devices.push({ controller: `${bus}${n}`, unit, kind: 'disk', name: p, file });
    }
  }
  if (isTrue(k.get('floppy0.present'))) devices.push({ controller: '', unit: null, kind: 'floppy', name: 'floppy0', file: k.get('floppy0.filename') ?? null });

  const nics: MachineNic[] = [];
  const nicIndexes = [...new Set([...k.keys()].map((key) => /^ethernet(\d+)\.present$/.exec(key)?.[1]).filter((x): x is string => x !== undefined))].map(Number).sort((a, b) => a - b);
  for (const i of nicIndexes) {
    const p = `ethernet${i}`;
    if (!isTrue(k.get(`${p}.present`))) continue;
    const dev = (k.get(`${p}.virtualdev`) ?? 'vlance').toLowerCase();
    const addressType = (k.get(`${p}.addresstype`) ?? '').toLowerCase();
    const mac = addressType === 'static' ? (k.get(`${p}.address`) ?? null) : (k.get(`${p}.generatedaddress`) ?? k.get(`${p}.address`) ?? null);
    const ct = (k.get(`${p}.connectiontype`) ?? 'bridged').toLowerCase();
    const connection = ct === 'custom' ? (k.get(`${p}.vnet`) ?? 'custom') : ct === 'pvn' ? 'LAN segment' : (CONNECTIONS[ct] ?? ct);
    nics.push({ subtype: NIC_SUBTYPES[dev] ?? dev, mac, connection });
  }

  const others: MachineFile['others'] = [];
  if (isTrue(k.get('usb.present')) || isTrue(k.get('ehci.present')) || isTrue(k.get('usb_xhci.present'))) others.push({ resourceType: 23, subtype: isTrue(k.get('usb_xhci.present')) ? 'vmware.usb.xhci' : isTrue(k.get('ehci.present')) ? 'vmware.usb.ehci' : 'vmware.usb.uhci', name: 'USB controller' });
  if (isTrue(k.get('sound.present'))) others.push({ resourceType: 1, subtype: `vmware.soundcard.${k.get('sound.virtualdev') ?? 'es1371'}`, name: 'sound' });
  for (let i = 0; i < 4; i++) if (isTrue(k.get(`serial${i}.present`))) others.push({ resourceType: 21, subtype: '', name: `serial${i}` });
  for (let i = 0; i < 3; i++) if (isTrue(k.get(`parallel${i}.present`))) others.push({ resourceType: 22, subtype: '', name: `parallel${i}` });

  const vmwConfig: OvfConfigEntry[] = [];
  const config = (key: string, value: string | undefined) => {
    if (value !== undefined) vmwConfig.push({ kind: 'Config', key, value });
  };
  config('firmware', k.get('firmware'));
  config('uefi.secureBoot.enabled', k.get('uefi.secureboot.enabled'));
  config('nvram', k.get('nvram'));
  config('nestedHVEnabled', k.has('vhv.enable') ? String(isTrue(k.get('vhv.enable'))) : undefined);

  return {
    kind: 'vmx',
    name: k.get('displayname') ?? null,
    description: k.get('annotation') ?? null,
    vbox: null,
    // The .vmx spells guest ids 'debian12-64' where VMware's OVF writes 'debian12_64Guest'.
    vmwOsType: k.get('guestos') ? `${k.get('guestos')!.replace(/-/g, '_')}Guest` : null,
    // VMware's own defaults: one CPU when numvcpus is absent (memsize has none: the mapping says so).
    cpus: k.get('numvcpus') ?? '1',
    memoryMiB: k.get('memsize') ?? null,
    vmwConfig,
    hardwareVersion: k.get('virtualhw.version') ?? null,
    controllers,
    devices,
    nics,
    others,
    snapshots: vmsd === null ? { names: [], current: null, currentStateModified: null } : parseVmsd(vmsd, what.replace(/\.vmx$/i, '.vmsd')),
    warnings,
  };
}

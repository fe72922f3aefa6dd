// A Hangar VM as a libvirt domain and back, pure. `domainXmlFor` writes the domain XML from the same
// configuration the QEMU argument array is built from (src-vmm/qemu/argv.ts): machine, firmware and
// variable store, CPUs, memory, every disk on its bus, the optical drives (empty: an ISO of this
// machine is not on the host), the cards with their MACs and models, the serial console, the display.
// `readDomainXml` reads what a fetch needs from `virsh dumpxml`, with the OVF descriptors' safe reader.
import { HangarError } from '../../src-vmm/base/errors.js';
import type { DiskBus, NicModel, VmConfig } from '../../src-vmm/model/index.js';
import { BOOT_RETRY_MS } from '../../src-vmm/qemu/argv.js';
import { attr, child, childText, children, descendants, parseXml, type XmlElement } from '../appliances/xml.js';

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

/** Why a VM cannot become a libvirt domain as it is configured, or undefined. */
export function unsendable(cfg: VmConfig): string | undefined {
  if (cfg.boot.kernel) return `VM '${cfg.name}' boots a kernel file of this machine, which the host does not have`;
  if ((cfg.shares ?? []).length) return `VM '${cfg.name}' shares folders of this machine, which the host cannot reach`;
  if (cfg.disks.some((d) => d.bus === 'nvme')) return `VM '${cfg.name}' has an NVMe disk, which libvirt 9 cannot attach`;
  return undefined;
}

const TARGET_PREFIX: Record<Exclude<DiskBus, 'nvme'>, string> = { virtio: 'vd', sata: 'sd', scsi: 'sd', ide: 'hd' };
const BOOT_DEV = { disk: 'hd', optical: 'cdrom', network: 'network' } as const;

/** vda, vdb, …, vdz, vdaa: libvirt's target names */
function targetName(prefix: string, n: number): string {
  let s = '';
  let i = n;
  do {
    s = String.fromCharCode(97 + (i % 26)) + s;
    i = Math.floor(i / 26) - 1;
  } while (i >= 0);
  return prefix + s;
}

export interface DomainPlacement {
  /** the domain's name on the host */
  name: string;
  /** 'kvm' when the host's libvirt offers KVM and the VM may use it, else 'qemu' (TCG) */
  type: 'kvm' | 'qemu';
  /** each disk's image on the host (a volume's path), by the disk's id; qcow2, flattened */
  disks: Record<string, string>;
  /** the UEFI variable store on the host, for a UEFI machine */
  nvram: string | null;
}

export function domainXmlFor(cfg: VmConfig, at: DomainPlacement): string {
  const problem = unsendable(cfg);
  if (problem) throw new HangarError('UNSUPPORTED', problem);
  const x = xmlEscape;
  const uefi = cfg.firmware.type === 'uefi';
  const secure = uefi && cfg.firmware.secureBoot === true;
  const counters: Record<string, number> = {};
  const target = (bus: Exclude<DiskBus, 'nvme'>) => {
    const prefix = TARGET_PREFIX[bus];
    const n = counters[prefix] ?? 0;
    counters[prefix] = n + 1;
    return targetName(prefix, n);
  };
  const devices: string[] = [];
  for (const d of cfg.disks) {
    const path = at.disks[d.id];
    if (!path) throw new HangarError('INTERNAL', `no image on the host for disk ${d.id}`);
    const bus = d.bus as Exclude<DiskBus, 'nvme'>;
    devices.push(
      `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${x(path)}'/><target dev='${target(bus)}' bus='${bus}'/>${d.readOnly ? '<readonly/>' : ''}<alias name='ua-${x(d.id)}'/></disk>`,
    );
  }
  for (const o of cfg.opticals) {
    devices.push(`<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='${target(o.bus)}' bus='${o.bus}'/><readonly/><alias name='ua-${x(o.id)}'/></disk>`);
  }
  if ([...cfg.disks, ...cfg.opticals].some((d) => d.bus === 'scsi')) devices.push(`<controller type='scsi' model='virtio-scsi'/>`);
  for (const n of cfg.nics) {
    devices.push(
      `<interface type='user'><mac address='${x(n.mac)}'/><model type='${n.model}'/>${n.linkUp === false ? `<link state='down'/>` : ''}<alias name='ua-${x(n.id)}'/></interface>`,
    );
  }
  if (cfg.serial.enabled) devices.push(`<serial type='pty'><target port='0'/></serial>`, `<console type='pty'><target type='serial' port='0'/></console>`);
  devices.push(`<video><model type='${cfg.display.vga === 'std' ? 'vga' : cfg.display.vga}'/></video>`);
  if (cfg.display.vga !== 'none' && cfg.display.vnc) devices.push(`<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>`);
  if (cfg.tpm) devices.push(`<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>`);
  const os = [
    `<type arch='x86_64' machine='${cfg.system.chipset}'>hvm</type>`,
    ...(uefi ? [`<firmware><feature enabled='${secure ? 'yes' : 'no'}' name='secure-boot'/></firmware>`, `<loader readonly='yes' type='pflash'${secure ? ` secure='yes'` : ''}/>`] : []),
    ...(uefi && at.nvram ? [`<nvram>${x(at.nvram)}</nvram>`] : []),
    ...cfg.boot.order.map((b) => `<boot dev='${BOOT_DEV[b]}'/>`),
    // As Hangar starts it: SeaBIOS tries again after a boot that found nothing (libvirt's -boot reboot-timeout).
    ...(uefi ? [] : [`<bios rebootTimeout='${BOOT_RETRY_MS}'/>`]),
  ];
  return [
    `<domain type='${at.type}'>`,
    `  <name>${x(at.name)}</name>`,
    `  <description>${x(cfg.description || `sent by Hangar from VM '${cfg.name}' (${cfg.id})`)}</description>`,
    `  <metadata><hangar:vm xmlns:hangar='https://hangar.invalid/libvirt/1' id='${x(cfg.id)}' osType='${x(cfg.osType)}'/></metadata>`,
    `  <memory unit='MiB'>${cfg.system.memoryMiB}</memory>`,
    `  <vcpu>${cfg.system.cpus}</vcpu>`,
    `  <os${uefi ? ` firmware='efi'` : ''}>`,
    ...os.map((l) => `    ${l}`),
    `  </os>`,
    `  <features><acpi/><apic/>${secure ? `<smm state='on'/>` : ''}</features>`,
    `  <on_poweroff>destroy</on_poweroff>`,
    `  <devices>`,
    ...devices.map((l) => `    ${l}`),
    `  </devices>`,
    `</domain>`,
    '',
  ].join('\n');
}

// ------------------------------------------------------------------ reading a domain

export interface DomainFacts {
  name: string;
  memoryMiB: number;
  cpus: number;
  chipset: 'pc' | 'q35';
  firmware: 'bios' | 'uefi';
  secureBoot: boolean;
  /** the variable store's path on the host */
  nvram: string | null;
  disks: { source: string; bus: DiskBus; format: string; readOnly: boolean }[];
  opticals: { bus: 'ide' | 'sata' | 'scsi' }[];
  nics: { mac: string; model: NicModel | null }[];
  bootOrder: ('disk' | 'optical' | 'network')[];
  vga: 'std' | 'virtio' | 'cirrus' | 'none';
  vnc: boolean;
  /** the Hangar OS type the domain was sent with (its metadata) */
  osType: string | null;
}

const NIC_MODELS_KNOWN: readonly string[] = ['virtio', 'e1000', 'e1000e', 'rtl8139', 'vmxnet3', 'pcnet'];

function memoryMiB(el: XmlElement | undefined): number {
  if (!el) return 0;
  const n = Number(el.text.trim());
  const unit = (attr(el, 'unit') ?? 'KiB').toLowerCase();
  const factor: Record<string, number> = { b: 1 / 1048576, bytes: 1 / 1048576, k: 1 / 1024, kib: 1 / 1024, kb: 1000 / 1048576, m: 1, mib: 1, mb: 1e6 / 1048576, g: 1024, gib: 1024, gb: 1e9 / 1048576 };
  return Math.round(n * (factor[unit] ?? 1 / 1024));
}

export function readDomainXml(xml: string): DomainFacts {
  const root = parseXml(xml, 'the domain XML');
  if (root.local !== 'domain') throw new HangarError('INVALID_INPUT', 'not a libvirt domain XML');
  const os = child(root, 'os');
  const type = os ? child(os, 'type') : undefined;
  const loader = os ? child(os, 'loader') : undefined;
  const uefi = (os && attr(os, 'firmware') === 'efi') || (loader !== undefined && attr(loader, 'type') === 'pflash');
  const devices = child(root, 'devices');
  const disks: DomainFacts['disks'] = [];
  const opticals: DomainFacts['opticals'] = [];
  for (const d of devices ? children(devices, 'disk') : []) {
    const tgt = child(d, 'target');
    const busRaw = (tgt && attr(tgt, 'bus')) ?? 'virtio';
    const device = attr(d, 'device') ?? 'disk';
    if (device === 'cdrom') {
      opticals.push({ bus: busRaw === 'sata' || busRaw === 'scsi' ? busRaw : 'ide' });
      continue;
    }
    if (device !== 'disk') continue;
    const src = child(d, 'source');
    const source = src ? (attr(src, 'file') ?? attr(src, 'dev') ?? attr(src, 'volume')) : undefined;
    if (!source) throw new HangarError('UNSUPPORTED', `a disk of domain '${childText(root, 'name') ?? '?'}' has no file source (network disks are not fetched)`);
    const bus: DiskBus = (['virtio', 'sata', 'scsi', 'ide'] as const).find((b) => b === busRaw) ?? 'virtio';
    const driver = child(d, 'driver');
    disks.push({ source, bus, format: (driver && attr(driver, 'type')) ?? 'raw', readOnly: child(d, 'readonly') !== undefined });
  }
  const nics = (devices ? children(devices, 'interface') : []).flatMap((i) => {
    const mac = child(i, 'mac');
    const model = child(i, 'model');
    const m = model ? attr(model, 'type') : undefined;
    return mac && attr(mac, 'address') ? [{ mac: attr(mac, 'address')!.toLowerCase(), model: m && NIC_MODELS_KNOWN.includes(m) ? (m as NicModel) : null }] : [];
  });
  const boots = os ? children(os, 'boot').map((b) => attr(b, 'dev')) : [];
  const bootOrder = boots.flatMap((b) => (b === 'hd' ? (['disk'] as const) : b === 'cdrom' ? (['optical'] as const) : b === 'network' ? (['network'] as const) : []));
  const videoEl = devices ? child(devices, 'video') : undefined;
  const videoModel = videoEl ? child(videoEl, 'model') : undefined;
  const vt = videoModel ? attr(videoModel, 'type') : 'vga';
  const hangarMeta = descendants(root, 'vm').find((e) => e.ns === 'https://hangar.invalid/libvirt/1');
  const features = child(root, 'features');
  return {
    name: childText(root, 'name')?.trim() ?? '',
    memoryMiB: memoryMiB(child(root, 'memory')),
    cpus: Number(childText(root, 'vcpu')?.trim() ?? '1') || 1,
    chipset: type && /q35/.test(attr(type, 'machine') ?? '') ? 'q35' : 'pc',
    firmware: uefi ? 'uefi' : 'bios',
    secureBoot: uefi && ((loader !== undefined && attr(loader, 'secure') === 'yes') || (features !== undefined && child(features, 'smm') !== undefined)),
    nvram: os ? (childText(os, 'nvram')?.trim() ?? null) || null : null,
    disks,
    opticals,
    nics,
    bootOrder: bootOrder.length ? [...new Set(bootOrder)] : ['disk', 'optical'],
    vga: vt === 'virtio' || vt === 'cirrus' || vt === 'none' ? vt : 'std',
    vnc: devices ? children(devices, 'graphics').some((g) => attr(g, 'type') === 'vnc') : false,
    osType: hangarMeta ? (attr(hangarMeta, 'osType') ?? null) : null,
  };
}

// Device and block-node properties as JSON objects, built once. The same object is rendered as
// `-device '<json>'` / `-blockdev '<json>'` at launch and sent as the arguments of QMP `device_add`
// / `blockdev-add` when hot-plugging, so launch and hotplug cannot drift apart.
import type { Disk, DiskFormat, Nic, NicModel, Optical, Share, UsbDevice, VgaType, VmConfig } from '../model/index.js';
import { qemuOpts } from './escape.js';

export type QemuValue = string | number | boolean | QemuValue[] | { [key: string]: QemuValue };
/** Properties of one `-device` (QMP device_add). */
export interface DeviceProps {
  driver: string;
  id: string;
  [key: string]: QemuValue;
}
/** Properties of one `-blockdev` (QMP blockdev-add). */
export interface BlockdevProps {
  driver: string;
  'node-name': string;
  [key: string]: QemuValue;
}

// Ids of the devices Hangar adds by itself contain '_', which a user's device id (DeviceId:
// [a-z0-9-]) cannot, so the two never clash ("Duplicate device ID").
export const AHCI_ID = 'ahci_0';
export const SCSI_ID = 'scsi_0';
export const XHCI_ID = 'xhci_0';
export const TABLET_ID = 'tablet_0';
export const VIDEO_ID = 'video_0';
export const SERIAL_DEVICE_ID = 'serial_0';
/** chardev ids live in their own namespace */
export const SERIAL_CHARDEV_ID = 'serial0';
export const QMP_CHARDEV_ID = 'qmp';
/** the virtio-serial controller that carries the guest agent's (and the clipboard agent's) ports */
export const VIRTIO_SERIAL_ID = 'vserial_0';
/** The guest agent: its chardev, its port device (VSERPORT_CHANGE names it) and the port name qemu-ga opens. */
export const AGENT_CHARDEV_ID = 'qga0';
export const AGENT_PORT_ID = 'qga_0';
export const AGENT_PORT_NAME = 'org.qemu.guest_agent.0';
/** The clipboard agent: QEMU's qemu-vdagent chardev and the port the guest's spice-vdagentd opens. */
export const VDAGENT_CHARDEV_ID = 'vdagent0';
export const VDAGENT_PORT_ID = 'vdagent_0';
export const VDAGENT_PORT_NAME = 'com.redhat.spice.0';
/** The TPM: its chardev (to swtpm), its backend and its device. */
export const TPM_CHARDEV_ID = 'tpm0_chr';
export const TPM_BACKEND_ID = 'tpm0';
export const TPM_DEVICE_ID = 'tpm_0';
/** the guest's RAM when it must be shared with a helper (virtio-fs) */
export const MEMORY_BACKEND_ID = 'mem_0';
export const FIRMWARE_NODES = { codeFile: 'fw_code_file', code: 'fw_code', varsFile: 'fw_vars_file', vars: 'fw_vars' } as const;

/**
 * The block nodes of a disk or optical drive: a protocol node (the file) and a format node on top,
 * which the device uses. They must differ from the device id; QEMU refuses a device id equal to a
 * node name ("conflicts with an existing node name"), so the suffixes start with '_'.
 */
export function blockNodeNames(deviceId: string): { file: string; format: string } {
  return { file: `${deviceId}_file`, format: `${deviceId}_fmt` };
}

export function netdevId(nicId: string): string {
  return `${nicId}_netdev`;
}

/** The protocol node that opens an image file. */
export function blockdevFileProps(opts: { path: string; nodeName: string; readOnly: boolean }): BlockdevProps {
  return {
    driver: 'file',
    filename: opts.path,
    'node-name': opts.nodeName,
    'read-only': opts.readOnly,
    // Let a guest's TRIM reach the host file, so deleted guest data gives the space back.
    ...(opts.readOnly ? {} : { discard: 'unmap' }),
  };
}

/**
 * The format node over a protocol node. No "backing" key: QEMU opens a qcow2's backing chain from
 * the image header (read-only), which is how snapshot overlays and linked clones work.
 */
export function blockdevFormatProps(opts: { format: DiskFormat; fileNode: string; nodeName: string; readOnly: boolean }): BlockdevProps {
  return {
    driver: opts.format,
    file: opts.fileNode,
    'node-name': opts.nodeName,
    'read-only': opts.readOnly,
    ...(opts.readOnly ? {} : { discard: 'unmap' }),
  };
}

export function diskBlockdevs(disk: Disk): [BlockdevProps, BlockdevProps] {
  const nodes = blockNodeNames(disk.id);
  return [
    blockdevFileProps({ path: disk.path, nodeName: nodes.file, readOnly: disk.readOnly }),
    blockdevFormatProps({ format: disk.format, fileNode: nodes.file, nodeName: nodes.format, readOnly: disk.readOnly }),
  ];
}

/** An ISO is always opened read-only and raw; an empty drive has no nodes. */
export function opticalBlockdevs(optical: Optical): BlockdevProps[] {
  if (optical.path === null) return [];
  const nodes = blockNodeNames(optical.id);
  return [
    blockdevFileProps({ path: optical.path, nodeName: nodes.file, readOnly: true }),
    blockdevFormatProps({ format: 'raw', fileNode: nodes.file, nodeName: nodes.format, readOnly: true }),
  ];
}

/** Where a storage device plugs in: bus name and, per bus type, unit or SCSI target. */
export interface Placement {
  bus?: string;
  unit?: number;
  scsiId?: number;
}

export interface StorageLayout {
  /** controllers to add before the devices that use them */
  controllers: DeviceProps[];
  disks: Map<string, Placement>;
  opticals: Map<string, Placement>;
}

/**
 * Places every disk and optical drive: disks first, then optical drives, each in config order.
 * - IDE (pc only): the board's PIIX controller, buses ide.0/ide.1 with units 0 and 1.
 * - SATA: q35's built-in AHCI (buses ide.0–ide.5); on pc an added ich9-ahci (ahci_0.0–ahci_0.5).
 *   An AHCI port takes one device, so no unit.
 * - SCSI: one virtio-scsi-pci, one target per device.
 * - virtio and NVMe are PCI devices of their own.
 */
export function storageLayout(config: Pick<VmConfig, 'system' | 'disks' | 'opticals'>): StorageLayout {
  const q35 = config.system.chipset === 'q35';
  const all = [...config.disks.map((d) => ({ kind: 'disk' as const, id: d.id, bus: d.bus as string })), ...config.opticals.map((o) => ({ kind: 'optical' as const, id: o.id, bus: o.bus as string }))];
  const controllers: DeviceProps[] = [];
  if (!q35 && all.some((d) => d.bus === 'sata')) controllers.push({ driver: 'ich9-ahci', id: AHCI_ID });
  if (all.some((d) => d.bus === 'scsi')) controllers.push({ driver: 'virtio-scsi-pci', id: SCSI_ID });

  const disks = new Map<string, Placement>();
  const opticals = new Map<string, Placement>();
  let ide = 0;
  let sata = 0;
  let scsi = 0;
  for (const d of all) {
    let at: Placement = {};
    if (d.bus === 'ide') {
      at = { bus: `ide.${ide >> 1}`, unit: ide & 1 };
      ide++;
    } else if (d.bus === 'sata') {
      at = { bus: q35 ? `ide.${sata}` : `${AHCI_ID}.${sata}` };
      sata++;
    } else if (d.bus === 'scsi') {
      at = { bus: `${SCSI_ID}.0`, scsiId: scsi };
      scsi++;
    }
    (d.kind === 'disk' ? disks : opticals).set(d.id, at);
  }
  return { controllers, disks, opticals };
}

/**
 * Boot priorities following boot.order: every device of the first kind listed, in config order,
 * then the next kind. Devices of kinds not listed get none (and with `-boot strict=on` are not tried).
 */
export function bootIndices(config: Pick<VmConfig, 'boot' | 'disks' | 'opticals' | 'nics'>): Map<string, number> {
  const indices = new Map<string, number>();
  let next = 1;
  for (const kind of config.boot.order) {
    const ids = kind === 'disk' ? config.disks.map((d) => d.id) : kind === 'optical' ? config.opticals.map((o) => o.id) : config.nics.map((n) => n.id);
    for (const id of ids) indices.set(id, next++);
  }
  return indices;
}

function placementProps(at: Placement): Record<string, QemuValue> {
  const props: Record<string, QemuValue> = {};
  if (at.bus !== undefined) props.bus = at.bus;
  if (at.unit !== undefined) props.unit = at.unit;
  if (at.scsiId !== undefined) Object.assign(props, { channel: 0, 'scsi-id': at.scsiId, lun: 0 });
  return props;
}

const withBootIndex = (bootIndex: number | undefined): Record<string, QemuValue> => (bootIndex === undefined ? {} : { bootindex: bootIndex });

/** FNV-1a, 32-bit: a short stable tag for serial numbers. */
function fnv1a32(s: string): string {
  let h = 0x811c9dc5;
  for (const ch of new TextEncoder().encode(s)) h = Math.imul(h ^ ch, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** NVMe controllers need a serial (at most 20 characters); the disk id, shortened stably if long. */
export function nvmeSerial(diskId: string): string {
  return diskId.length <= 20 ? diskId : `${diskId.slice(0, 11)}-${fnv1a32(diskId)}`;
}

export function diskDeviceProps(disk: Disk, opts: { at?: Placement; bootIndex?: number } = {}): DeviceProps {
  const drive = blockNodeNames(disk.id).format;
  const at = placementProps(opts.at ?? {});
  const boot = withBootIndex(opts.bootIndex);
  switch (disk.bus) {
    case 'virtio':
      return { driver: 'virtio-blk-pci', id: disk.id, drive, ...boot };
    case 'sata':
    case 'ide':
      return { driver: 'ide-hd', id: disk.id, drive, ...at, ...boot };
    case 'scsi':
      return { driver: 'scsi-hd', id: disk.id, drive, ...at, ...boot };
    case 'nvme':
      return { driver: 'nvme', id: disk.id, drive, serial: nvmeSerial(disk.id), ...boot };
  }
}

/** An empty drive has no "drive" property; a medium is inserted later over QMP by device id. */
export function opticalDeviceProps(optical: Optical, opts: { at?: Placement; bootIndex?: number } = {}): DeviceProps {
  const drive: Record<string, QemuValue> = optical.path === null ? {} : { drive: blockNodeNames(optical.id).format };
  const driver = optical.bus === 'scsi' ? 'scsi-cd' : 'ide-cd';
  return { driver, id: optical.id, ...drive, ...placementProps(opts.at ?? {}), ...withBootIndex(opts.bootIndex) };
}

export const NIC_DRIVERS: Record<NicModel, string> = {
  virtio: 'virtio-net-pci',
  e1000: 'e1000',
  e1000e: 'e1000e',
  rtl8139: 'rtl8139',
  vmxnet3: 'vmxnet3',
  pcnet: 'pcnet',
};

/**
 * `pxe: false` sets an empty romfile: without network boot the iPXE option ROM is dead weight, and
 * the VM then starts even where QEMU's ROM package is missing.
 */
export function nicDeviceProps(nic: Nic, opts: { bootIndex?: number; pxe?: boolean; bus?: string } = {}): DeviceProps {
  return {
    driver: NIC_DRIVERS[nic.model],
    id: nic.id,
    netdev: netdevId(nic.id),
    mac: nic.mac,
    ...(opts.bus !== undefined ? { bus: opts.bus } : ({} as Record<string, QemuValue>)),
    ...(opts.pxe === false ? { romfile: '' } : ({} as Record<string, QemuValue>)),
    ...withBootIndex(opts.bootIndex),
  };
}

/** QEMU's hostfwd rule: `tcp:127.0.0.1:2222-:22` (empty guest address = the guest's DHCP address). */
export function hostfwdRule(f: Nic['forwards'][number]): string {
  return `${f.protocol}:${f.hostAddress}:${f.hostPort}-:${f.guestPort}`;
}

/**
 * How a card on a Hangar network reaches it, decided by the owner (a host fact of the launch):
 * - tap: a persistent tap Hangar made for the card (owned by QEMU's user, already on the network's
 *   bridge), which QEMU opens by name; QEMU needs no privilege and spawns nothing (its sandbox forbids it);
 * - mcast: QEMU's socket netdev on a multicast group bound to loopback, the unprivileged way for VMs
 *   to share an internal network (every QEMU that joins the group sees the others' frames).
 * - bridge: QEMU's bridge netdev: QEMU runs qemu-bridge-helper (setuid root, or with CAP_NET_ADMIN),
 *   which makes a tap on the bridge, if its ACL (/etc/qemu/bridge.conf) allows it, and hands QEMU its
 *   fd: how an owner without privileges joins a bridge that exists. The helper is spawned by QEMU and
 *   gains privileges, which the seccomp sandbox forbids (spawn=deny, and the no_new_privs it sets), so
 *   such a QEMU runs without it (see argv.ts sandboxArgs).
 * A card without a network is user-mode NAT (slirp) and needs no attachment.
 */
export type NicAttachment = { kind: 'tap'; ifname: string } | { kind: 'mcast'; group: string; port: number } | { kind: 'bridge'; bridge: string; helper: string };

/** The address QEMU's multicast socket netdevs bind to: loopback, so frames never leave this host. */
export const MCAST_LOCAL_ADDRESS = '127.0.0.1';

/** A card's backend, as QMP netdev_add arguments; rendered once more as the -netdev option (netdevArg). */
export type NetdevProps =
  | { type: 'user'; id: string; hostfwd?: { str: string }[] }
  | { type: 'tap'; id: string; ifname: string; script: 'no'; downscript: 'no' }
  | { type: 'socket'; id: string; mcast: string; localaddr: string }
  | { type: 'bridge'; id: string; br: string; helper: string };

export function netdevProps(nic: Nic, attachment?: NicAttachment): NetdevProps {
  const id = netdevId(nic.id);
  if (!attachment) return { type: 'user', id, ...(nic.forwards.length ? { hostfwd: nic.forwards.map((f) => ({ str: hostfwdRule(f) })) } : {}) };
  // script=no, downscript=no: the tap exists and is on its bridge; QEMU must not run ifup scripts.
  if (attachment.kind === 'tap') return { type: 'tap', id, ifname: attachment.ifname, script: 'no', downscript: 'no' };
  if (attachment.kind === 'bridge') return { type: 'bridge', id, br: attachment.bridge, helper: attachment.helper };
  return { type: 'socket', id, mcast: `${attachment.group}:${attachment.port}`, localaddr: MCAST_LOCAL_ADDRESS };
}

/** The same properties as the -netdev option's text: `user,id=net0_netdev,hostfwd=tcp:…`. */
export function netdevArg(p: NetdevProps): string {
  switch (p.type) {
    case 'user':
      return [`user,${qemuOpts([['id', p.id]])}`, ...(p.hostfwd ?? []).map((h) => qemuOpts([['hostfwd', h.str]]))].join(',');
    case 'tap':
      return `tap,${qemuOpts([['id', p.id], ['ifname', p.ifname], ['script', p.script], ['downscript', p.downscript]])}`;
    case 'socket':
      return `socket,${qemuOpts([['id', p.id], ['mcast', p.mcast], ['localaddr', p.localaddr]])}`;
    case 'bridge':
      return `bridge,${qemuOpts([['id', p.id], ['br', p.br], ['helper', p.helper]])}`;
  }
}

/**
 * The HMP commands that change a running user-mode card's forwards (QMP has none in QEMU 7.2): the
 * same rule text as at launch. HMP answers errors as text, which the caller must treat as a failure.
 */
export function hostfwdAddCommand(nicId: string, f: Nic['forwards'][number]): string {
  return `hostfwd_add ${netdevId(nicId)} ${hostfwdRule(f)}`;
}

export function hostfwdRemoveCommand(nicId: string, f: Nic['forwards'][number]): string {
  return `hostfwd_remove ${netdevId(nicId)} ${f.protocol}:${f.hostAddress}:${f.hostPort}`;
}

/** The user-mode (NAT) backend of a NIC, as QMP netdev_add arguments. */
export function netdevUserProps(nic: Nic): { type: 'user'; id: string; hostfwd?: { str: string }[] } {
  return netdevProps(nic) as { type: 'user'; id: string; hostfwd?: { str: string }[] };
}

/**
 * On q35, every card sits behind a PCIe root port of its own, with a spare port for each card a VM may
 * still get: q35's root bus does not hot-plug, its root ports do (libvirt does the same). Card i of the
 * launch takes port i; a card plugged in later takes the lowest free port.
 */
export function nicPortId(index: number): string {
  return `nicport_${index}`;
}

export function nicPortProps(index: number): DeviceProps {
  // chassis: a root port needs a (chassis, slot) pair of its own. io-reserve 0: no I/O window for an
  // empty port (virtio-net and e1000 work through memory BARs), so eight ports never exhaust the
  // firmware's 64 KiB of I/O space.
  return { driver: 'pcie-root-port', id: nicPortId(index), chassis: index + 1, 'io-reserve': 0 };
}

/** The port each card of a q35 launch takes, by card id (empty for pc, whose root bus hot-plugs itself). */
export function nicPorts(config: Pick<VmConfig, 'system' | 'nics'>): Record<string, string> {
  if (config.system.chipset !== 'q35') return {};
  return Object.fromEntries(config.nics.map((n, i) => [n.id, nicPortId(i)]));
}

/** The lowest port no card uses, or undefined when all are taken. */
export function freeNicPort(used: Iterable<string>, ports: number): string | undefined {
  const taken = new Set(used);
  for (let i = 0; i < ports; i++) if (!taken.has(nicPortId(i))) return nicPortId(i);
  return undefined;
}

const VGA_DRIVERS: Record<Exclude<VgaType, 'none'>, string> = { std: 'VGA', virtio: 'virtio-vga', cirrus: 'cirrus-vga' };

export function displayDeviceProps(vga: VgaType): DeviceProps | null {
  return vga === 'none' ? null : { driver: VGA_DRIVERS[vga], id: VIDEO_ID };
}

export function usbControllerProps(): DeviceProps {
  return { driver: 'qemu-xhci', id: XHCI_ID };
}

/** An absolute pointer, so the VNC cursor and the guest's agree without grabbing. */
export function tabletProps(): DeviceProps {
  return { driver: 'usb-tablet', id: TABLET_ID, bus: `${XHCI_ID}.0` };
}

/** A USB image's block nodes: as a disk's, opened read-write. */
export function usbStorageBlockdevs(d: Extract<UsbDevice, { kind: 'storage' }>): [BlockdevProps, BlockdevProps] {
  const nodes = blockNodeNames(d.id);
  return [
    blockdevFileProps({ path: d.path, nodeName: nodes.file, readOnly: false }),
    blockdevFormatProps({ format: d.format, fileNode: nodes.file, nodeName: nodes.format, readOnly: false }),
  ];
}

/**
 * A USB device on the xHCI controller: an image as USB mass storage (removable, as a stick is), or a
 * host device by vendor and product (QEMU's usb-host through libusb; it attaches whenever the device
 * is present and the user may open its /dev/bus/usb node).
 */
export function usbDeviceProps(d: UsbDevice): DeviceProps {
  const bus = `${XHCI_ID}.0`;
  if (d.kind === 'storage') return { driver: 'usb-storage', id: d.id, bus, drive: blockNodeNames(d.id).format, removable: true };
  return { driver: 'usb-host', id: d.id, bus, vendorid: parseInt(d.vendorId, 16), productid: parseInt(d.productId, 16) };
}

export function serialDeviceProps(): DeviceProps {
  return { driver: 'isa-serial', id: SERIAL_DEVICE_ID, chardev: SERIAL_CHARDEV_ID };
}

/** OVMF: its code read-only and shared, the VM's own copy of the variable store writable. */
export function firmwareBlockdevs(codePath: string, varsPath: string): BlockdevProps[] {
  const n = FIRMWARE_NODES;
  return [
    { driver: 'file', filename: codePath, 'node-name': n.codeFile, 'read-only': true },
    { driver: 'raw', file: n.codeFile, 'node-name': n.code, 'read-only': true },
    { driver: 'file', filename: varsPath, 'node-name': n.varsFile, 'read-only': false },
    { driver: 'raw', file: n.varsFile, 'node-name': n.vars, 'read-only': false },
  ];
}

/** The guest's RAM as a shared memfd, which virtiofsd maps to reach the guest's buffers. */
export function memoryBackendProps(memoryMiB: number): { 'qom-type': 'memory-backend-memfd'; id: string; size: number; share: true } {
  return { 'qom-type': 'memory-backend-memfd', id: MEMORY_BACKEND_ID, size: memoryMiB * 1024 * 1024, share: true };
}

/** The chardev that connects to share `index`'s virtiofsd. */
export function virtiofsChardevId(index: number): string {
  return `fs_${index}`;
}

/**
 * A virtio-fs device. The tag is what the guest mounts. A queue of 1024 (the default is 128) lets the
 * guest keep more requests in flight, as libvirt and virt-manager set it.
 */
export function virtiofsDeviceProps(index: number, tag: string): DeviceProps {
  return { driver: 'vhost-user-fs-pci', id: `fs_${index}_dev`, chardev: virtiofsChardevId(index), tag, 'queue-size': 1024 };
}

/**
 * A 9p export (QEMU's own file server), as `-fsdev` options. security_model=none: files the guest makes
 * belong to the user running QEMU, and ownership changes the guest asks for are ignored (passthrough
 * would need privileges the sandbox denies; mapped-xattr needs xattrs on the host's file system).
 * multidevs=remap keeps inode numbers unique when the folder spans several file systems.
 */
export function fsdevProps(index: number, share: Pick<Share, 'hostPath' | 'readOnly'>): string {
  return `local,${qemuOpts([
    ['id', `p9_${index}`],
    ['path', share.hostPath],
    ['security_model', 'none'],
    ['multidevs', 'remap'],
    ...(share.readOnly ? ([['readonly', true]] as const) : []),
  ])}`;
}

export function ninePDeviceProps(index: number, tag: string): DeviceProps {
  return { driver: 'virtio-9p-pci', id: `p9_${index}_dev`, fsdev: `p9_${index}`, mount_tag: tag };
}

export function virtioSerialProps(): DeviceProps {
  return { driver: 'virtio-serial-pci', id: VIRTIO_SERIAL_ID };
}

/** A named port on the virtio-serial controller, the guest side of a chardev. */
export function serialPortProps(o: { id: string; chardev: string; name: string }): DeviceProps {
  return { driver: 'virtserialport', id: o.id, bus: `${VIRTIO_SERIAL_ID}.0`, chardev: o.chardev, name: o.name };
}

/** The TPM's interface: CRB on q35 (PCI Express machines, as on current PCs), TIS on pc. */
export function tpmDeviceProps(chipset: 'pc' | 'q35'): DeviceProps {
  return { driver: chipset === 'q35' ? 'tpm-crb' : 'tpm-tis', id: TPM_DEVICE_ID, tpmdev: TPM_BACKEND_ID };
}

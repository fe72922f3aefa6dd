// VmConfig + host facts + run paths → the QEMU command line, its environment and the files it opens.
// Pure: reads no host state; whatever it needs to know about the host arrives in HostFacts.
// Built from named sections in a fixed order, so a golden file diff points at one section.
import { HangarError } from '../base/errors.js';
import { formatIssues, isAbsolutePath, MAX_NICS, validateConfig, type VmConfig } from '../model/index.js';
import {
  FIRMWARE_NODES,
  QMP_CHARDEV_ID,
  SERIAL_CHARDEV_ID,
  bootIndices,
  diskBlockdevs,
  diskDeviceProps,
  displayDeviceProps,
  firmwareBlockdevs,
  netdevArg,
  netdevProps,
  nicDeviceProps,
  nicPortProps,
  nicPorts,
  opticalBlockdevs,
  opticalDeviceProps,
  serialDeviceProps,
  storageLayout,
  tabletProps,
  usbControllerProps,
  type BlockdevProps,
  type DeviceProps,
  type NicAttachment,
  type StorageLayout,
} from './devices.js';
import { escapeQemuOpt, qemuOpts } from './escape.js';

export interface HostFacts {
  qemuBinary: string;
  /** e.g. '7.2.22' */
  qemuVersion: string;
  /** the accelerator this launch uses (a VM's 'auto' already resolved) */
  accel: 'kvm' | 'tcg';
  /** OVMF firmware files, or null when the host has none */
  ovmf: { code: string; vars: string } | null;
  /**
   * How each card on a Hangar network is attached (by card id), as the owner's network manager set it
   * up for this launch; a card without a network is user-mode NAT and has no entry.
   */
  nics?: Record<string, NicAttachment>;
}

export interface RunPaths {
  runDir: string;
  qmpSocket: string;
  serialSocket: string;
  vncSocket: string;
  pidFile: string;
  /** the VM's own UEFI variable store (a copy of OVMF's template) */
  nvramFile: string;
  /** start waiting for a migration stream (restore of a saved state): adds -incoming defer */
  incoming: boolean;
}

export interface QemuFile {
  path: string;
  access: 'ro' | 'rw';
  /** what the file is to the VM: 'disk:<id>', 'optical:<id>', 'nvram', 'qmp-socket', … */
  role: string;
}

export interface QemuLaunch {
  binary: string;
  /** arguments after the binary */
  argv: string[];
  /** the whole environment QEMU gets: never the parent's */
  env: Record<string, string>;
  /** every path QEMU opens or creates (a qcow2's backing files are found by QEMU in the image and not listed) */
  files: QemuFile[];
}

/** JSON -device needs QEMU 6.2; -blockdev, pflash machine properties and -sandbox options are older. */
export const MIN_QEMU_VERSION = { major: 6, minor: 2 } as const;

/**
 * The CPU model under TCG. 'max' is every feature TCG can emulate; the older default, qemu64, lacks
 * SSE4.2/POPCNT (x86-64-v2), without which current distributions (RHEL 9 and its kin) do not boot.
 * Minus la57 (5-level paging): with QEMU 7.2's TCG, `max,-vmx,-svm` (la57 on) broke the test guest's
 * user space every time (glibc: "_dl_get_origin: Assertion `linkval[0] == '/'' failed"), while the
 * same model without la57 booted every time; 4-level page walks are also cheaper to emulate.
 */
export const TCG_CPU_MODEL = 'max,-la57';
/** Under KVM the guest sees the host's CPU: fastest, and what nested virtualization needs. */
export const KVM_CPU_MODEL = 'host';

/** The whole environment QEMU runs with: a fixed PATH and the C locale (stable messages to parse). */
export const QEMU_ENV: Readonly<Record<string, string>> = { PATH: '/usr/bin:/bin', LC_ALL: 'C' };

/** seccomp: no obsolete syscalls, no setuid/setgid, no fork/exec, no scheduler/affinity changes. */
export const SANDBOX_OPTS = 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny';

interface BuildContext {
  config: VmConfig;
  host: HostFacts;
  paths: RunPaths;
  layout: StorageLayout;
  boot: Map<string, number>;
}

export interface Section {
  args: string[];
  files: QemuFile[];
}

type SectionBuilder = (ctx: BuildContext) => Section;

const json = (props: DeviceProps | BlockdevProps): string => JSON.stringify(props);
const device = (props: DeviceProps): string[] => ['-device', json(props)];
const blockdev = (props: BlockdevProps): string[] => ['-blockdev', json(props)];

function commonArgs({ config, paths }: BuildContext): Section {
  return {
    args: [
      // debug-threads names QEMU's threads after their job (visible in top -H, useful in bug reports).
      '-name', `guest=${escapeQemuOpt(config.name)},debug-threads=on`,
      '-uuid', config.id,
      // Start with the CPUs stopped: the VMM host connects QMP first and then says `cont`.
      '-S',
      // No devices, and no config files from /etc, beyond what this command line says.
      '-nodefaults',
      '-no-user-config',
      '-msg', 'timestamp=on',
      '-pidfile', paths.pidFile,
    ],
    files: [{ path: paths.pidFile, access: 'rw', role: 'pidfile' }],
  };
}

function machineArgs({ config, host }: BuildContext): Section {
  const props: string[] = [config.system.chipset];
  // OVMF goes on the two flash chips by block node (defined by firmwareArgs), the modern
  // replacement of `-drive if=pflash`.
  if (config.firmware.type === 'uefi') props.push(`pflash0=${FIRMWARE_NODES.code}`, `pflash1=${FIRMWARE_NODES.vars}`);
  return { args: ['-machine', props.join(','), '-accel', host.accel], files: [] };
}

function cpuArgs({ config, host }: BuildContext): Section {
  const model = host.accel === 'kvm' ? KVM_CPU_MODEL : TCG_CPU_MODEL;
  // Without nested virtualization the guest must not see VMX (Intel) or SVM (AMD): host and max
  // would otherwise pass them through (TCG emulates SVM).
  return { args: ['-cpu', config.features.nested ? model : `${model},-vmx,-svm`], files: [] };
}

function smpArgs({ config }: BuildContext): Section {
  const n = config.system.cpus;
  // All vCPUs as cores of one socket: Windows client editions use at most one or two sockets.
  return { args: ['-smp', `cpus=${n},sockets=1,cores=${n},threads=1`], files: [] };
}

function memoryArgs({ config }: BuildContext): Section {
  return { args: ['-m', `size=${config.system.memoryMiB}M`], files: [] };
}

function firmwareArgs({ config, host, paths }: BuildContext): Section {
  // BIOS: SeaBIOS, QEMU's default, from QEMU's own data folder.
  if (config.firmware.type !== 'uefi') return { args: [], files: [] };
  if (!host.ovmf) throw new HangarError('UNSUPPORTED', 'UEFI firmware (OVMF) is not installed: install the ovmf package');
  return {
    args: firmwareBlockdevs(host.ovmf.code, paths.nvramFile).flatMap(blockdev),
    files: [
      { path: host.ovmf.code, access: 'ro', role: 'firmware-code' },
      { path: paths.nvramFile, access: 'rw', role: 'nvram' },
    ],
  };
}

function diskArgs({ config, layout, boot }: BuildContext): Section {
  const args: string[] = layout.controllers.flatMap(device);
  const files: QemuFile[] = [];
  for (const disk of config.disks) {
    args.push(...diskBlockdevs(disk).flatMap(blockdev));
    args.push(...device(diskDeviceProps(disk, { at: layout.disks.get(disk.id), bootIndex: boot.get(disk.id) })));
    files.push({ path: disk.path, access: disk.readOnly ? 'ro' : 'rw', role: `disk:${disk.id}` });
  }
  for (const optical of config.opticals) {
    args.push(...opticalBlockdevs(optical).flatMap(blockdev));
    args.push(...device(opticalDeviceProps(optical, { at: layout.opticals.get(optical.id), bootIndex: boot.get(optical.id) })));
    if (optical.path !== null) files.push({ path: optical.path, access: 'ro', role: `optical:${optical.id}` });
  }
  return { args, files };
}

function nicArgs({ config, host, boot }: BuildContext): Section {
  const pxe = config.boot.order.includes('network');
  const ports = nicPorts(config);
  const args: string[] = [];
  // q35: a root port per card, present and to come (see nicPortProps), so cards can be plugged in and out.
  if (config.system.chipset === 'q35') for (let i = 0; i < MAX_NICS; i++) args.push(...device(nicPortProps(i)));
  for (const nic of config.nics) {
    const attachment = host.nics?.[nic.id];
    if (nic.network !== undefined && !attachment) {
      throw new HangarError('INVALID_INPUT', `network card ${nic.id} is on a network, but the launch has no attachment for it`);
    }
    if (nic.network === undefined && attachment) {
      throw new HangarError('INVALID_INPUT', `network card ${nic.id} uses user-mode NAT, but the launch attaches it to a network`);
    }
    // User-mode networking (slirp): NAT without host privileges; forwards bind on the host address.
    // A card on a network: its tap or multicast group; a nat network's forwards are the host's (nftables).
    args.push('-netdev', netdevArg(netdevProps(nic, attachment)));
    args.push(...device(nicDeviceProps(nic, { bootIndex: boot.get(nic.id), pxe, ...(ports[nic.id] ? { bus: ports[nic.id] } : {}) })));
  }
  return { args, files: [] };
}

function displayArgs({ config, paths }: BuildContext): Section {
  const video = displayDeviceProps(config.display.vga);
  // Never a window of QEMU's own: the display is served over VNC and shown by Hangar.
  const args = [...(video ? device(video) : []), '-display', 'none'];
  const files: QemuFile[] = [];
  if (video && config.display.vnc) {
    // A unix socket in the VM's private run folder, not a TCP port: nothing else on the host (or
    // network) can connect. The explicit 'vnc=' key keeps an '=' in the path from being read as a key.
    args.push('-vnc', `vnc=unix:${escapeQemuOpt(paths.vncSocket)}`);
    files.push({ path: paths.vncSocket, access: 'rw', role: 'vnc-socket' });
  }
  if (video) args.push(...device(usbControllerProps()), ...device(tabletProps()));
  return { args, files };
}

function serialArgs({ config, paths }: BuildContext): Section {
  if (!config.serial.enabled) return { args: [], files: [] };
  return {
    args: [
      // wait=off: QEMU does not block until a client connects; the VMM host connects when it likes.
      '-chardev', `socket,${qemuOpts([['id', SERIAL_CHARDEV_ID], ['path', paths.serialSocket], ['server', true], ['wait', false]])}`,
      ...device(serialDeviceProps()),
    ],
    files: [{ path: paths.serialSocket, access: 'rw', role: 'serial-socket' }],
  };
}

function qmpArgs({ paths }: BuildContext): Section {
  return {
    args: [
      '-chardev', `socket,${qemuOpts([['id', QMP_CHARDEV_ID], ['path', paths.qmpSocket], ['server', true], ['wait', false]])}`,
      '-mon', `chardev=${QMP_CHARDEV_ID},mode=control`,
    ],
    files: [{ path: paths.qmpSocket, access: 'rw', role: 'qmp-socket' }],
  };
}

function bootArgs({ config }: BuildContext): Section {
  // strict=on: only the devices in boot.order are tried (they carry bootindex); the firmware does
  // not fall back to whatever else is bootable.
  const args = ['-boot', 'strict=on'];
  const files: QemuFile[] = [];
  const { kernel, initrd, append } = config.boot;
  // -kernel, -initrd and -append take their value whole (no key=value parsing): no escaping.
  if (kernel !== undefined) {
    args.push('-kernel', kernel);
    files.push({ path: kernel, access: 'ro', role: 'kernel' });
  }
  if (initrd !== undefined) {
    args.push('-initrd', initrd);
    files.push({ path: initrd, access: 'ro', role: 'initrd' });
  }
  if (append !== undefined) args.push('-append', append);
  return { args, files };
}

function incomingArgs({ paths }: BuildContext): Section {
  // 'defer': the VMM host sends `migrate-incoming` over QMP with the stream's URI. The sandbox
  // forbids spawning, so the stream must come over an fd or socket, not `exec:`.
  return { args: paths.incoming ? ['-incoming', 'defer'] : [], files: [] };
}

function sandboxArgs(): Section {
  return { args: ['-sandbox', SANDBOX_OPTS], files: [] };
}

/** The sections in the order they appear on the command line. */
export const SECTIONS: readonly { name: string; build: SectionBuilder }[] = [
  { name: 'common', build: commonArgs },
  { name: 'machine', build: machineArgs },
  { name: 'cpu', build: cpuArgs },
  { name: 'smp', build: smpArgs },
  { name: 'memory', build: memoryArgs },
  { name: 'firmware', build: firmwareArgs },
  { name: 'disks', build: diskArgs },
  { name: 'nics', build: nicArgs },
  { name: 'display', build: displayArgs },
  { name: 'serial', build: serialArgs },
  { name: 'qmp', build: qmpArgs },
  { name: 'boot', build: bootArgs },
  { name: 'incoming', build: incomingArgs },
  { name: 'sandbox', build: sandboxArgs },
];

function parseVersion(v: string): { major: number; minor: number } | null {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

function checkHost(config: VmConfig, host: HostFacts, paths: RunPaths): void {
  const version = parseVersion(host.qemuVersion);
  if (!version) throw new HangarError('INVALID_INPUT', `cannot read the QEMU version '${host.qemuVersion}'`);
  if (version.major < MIN_QEMU_VERSION.major || (version.major === MIN_QEMU_VERSION.major && version.minor < MIN_QEMU_VERSION.minor)) {
    throw new HangarError('UNSUPPORTED', `QEMU ${host.qemuVersion} is too old: Hangar needs QEMU ${MIN_QEMU_VERSION.major}.${MIN_QEMU_VERSION.minor} or newer`);
  }
  if (config.system.accel !== 'auto' && config.system.accel !== host.accel) {
    throw new HangarError('INVALID_INPUT', `VM '${config.name}' is set to ${config.system.accel.toUpperCase()}, but the launch was planned with ${host.accel.toUpperCase()}`);
  }
  const named: [string, string][] = [
    ['QEMU binary', host.qemuBinary],
    ['run folder', paths.runDir],
    ['QMP socket', paths.qmpSocket],
    ['serial socket', paths.serialSocket],
    ['VNC socket', paths.vncSocket],
    ['PID file', paths.pidFile],
    ['UEFI variable store', paths.nvramFile],
  ];
  for (const [what, p] of named) {
    if (!isAbsolutePath(p) || p.includes('\0')) throw new HangarError('INVALID_INPUT', `the ${what} path must be absolute: '${p}'`);
  }
}

/**
 * The launch of one VM. Throws INVALID_INPUT when the config does not validate (the message lists
 * every problem), UNSUPPORTED when the host lacks what the config needs (OVMF, a recent QEMU).
 */
export function buildQemuLaunch(config: VmConfig, host: HostFacts, paths: RunPaths): QemuLaunch {
  const checked = validateConfig(config);
  if (!checked.ok) throw new HangarError('INVALID_INPUT', `invalid VM configuration: ${formatIssues(checked.issues)}`, { details: { issues: checked.issues } });
  const c = checked.value;
  checkHost(c, host, paths);
  const ctx: BuildContext = { config: c, host, paths, layout: storageLayout(c), boot: bootIndices(c) };
  const argv: string[] = [];
  const files: QemuFile[] = [];
  for (const section of SECTIONS) {
    const out = section.build(ctx);
    argv.push(...out.args);
    files.push(...out.files);
  }
  return { binary: host.qemuBinary, argv, env: { ...QEMU_ENV }, files };
}

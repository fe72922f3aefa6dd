// VmConfig + host facts + run paths → the QEMU command line, its environment and the files it opens.
// Pure: reads no host state; whatever it needs to know about the host arrives in HostFacts.
// Built from named sections in a fixed order, so a golden file diff points at one section.
import { HangarError } from '../base/errors.js';
import { formatIssues, hasSecureBoot, hasTpm, isAbsolutePath, MAX_NICS, sharesOf, validateConfig, type VmConfig } from '../model/index.js';
import {
  AGENT_CHARDEV_ID,
  AGENT_PORT_ID,
  AGENT_PORT_NAME,
  FIRMWARE_NODES,
  TPM_BACKEND_ID,
  TPM_CHARDEV_ID,
  VDAGENT_CHARDEV_ID,
  VDAGENT_PORT_ID,
  VDAGENT_PORT_NAME,
  MEMORY_BACKEND_ID,
  QMP_CHARDEV_ID,
  SERIAL_CHARDEV_ID,
  bootIndices,
  diskBlockdevs,
  diskDeviceProps,
  displayDeviceProps,
  firmwareBlockdevs,
  fsdevProps,
  memoryBackendProps,
  ninePDeviceProps,
  netdevArg,
  netdevProps,
  nicDeviceProps,
  nicPortProps,
  nicPorts,
  opticalBlockdevs,
  opticalDeviceProps,
  serialDeviceProps,
  serialPortProps,
  storageLayout,
  tabletProps,
  tpmDeviceProps,
  usbControllerProps,
  usbDeviceProps,
  usbStorageBlockdevs,
  virtiofsChardevId,
  virtiofsDeviceProps,
  virtioSerialProps,
  type BlockdevProps,
  type DeviceProps,
  type NicAttachment,
  type StorageLayout,
} from './devices.js';
import { escapeQemuOpt, qemuOpts } from './escape.js';
import { swtpmArgs, tpmSocket, virtiofsdArgs, virtiofsSocket } from './helpers.js';

export interface HostFacts {
  qemuBinary: string;
  /** e.g. '7.2.22' */
  qemuVersion: string;
  /** the accelerator this launch uses (a VM's 'auto' already resolved) */
  accel: 'kvm' | 'tcg';
  /** OVMF firmware files, or null when the host has none */
  ovmf: { code: string; vars: string } | null;
  /**
   * virtiofsd, for virtio-fs shares: its path, or null when virtio-fs cannot run on this host (with
   * the reason). Absent: not looked for (a config without virtio-fs shares needs no answer).
   */
  virtiofsd?: { binary: string } | { binary: null; reason: string };
  /** OVMF built for Secure Boot (needs SMM) with its Microsoft-enrolled variable store, or null when the host has none */
  ovmfSecureBoot?: { code: string; vars: string } | null;
  /** swtpm, for a TPM: its path, or null when it is not installed (with the reason). Absent: not looked for. */
  swtpm?: { binary: string } | { binary: null; reason: string };
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
  /** QEMU's end of the guest agent's channel: the VMM host connects to it */
  agentSocket: string;
  pidFile: string;
  /** the VM's own UEFI variable store (a copy of OVMF's template) */
  nvramFile: string;
  /** the folder of the VM's TPM state (swtpm's), kept with the VM */
  tpmStateDir: string;
  /** where the TPM's log goes */
  tpmLog: string;
  /** start waiting for a migration stream (restore of a saved state): adds -incoming defer */
  incoming: boolean;
}

export interface QemuFile {
  path: string;
  access: 'ro' | 'rw';
  /** what the file is to the VM: 'disk:<id>', 'optical:<id>', 'nvram', 'qmp-socket', … */
  role: string;
}

/**
 * A helper process the VM's host starts before QEMU and supervises while it runs (virtiofsd for a
 * share, swtpm for the TPM): QEMU connects to its socket; it ends with the VM.
 */
export interface HelperLaunch {
  /** unique within the launch: 'virtiofsd:<tag>', 'swtpm' */
  id: string;
  kind: 'virtiofsd' | 'swtpm';
  /** what it is to a person, for errors and logs: "virtiofsd for the shared folder 'docs'" */
  label: string;
  binary: string;
  argv: string[];
  /** the folder it runs in (its relative paths are relative to it); absent: no preference */
  cwd?: string;
  /** the socket QEMU connects to: the host waits for it before starting QEMU */
  socket: string;
  /**
   * folders the helper must see read-only: the host mounts each read-only over itself in a private
   * mount namespace, which the helper then runs in (how a read-only share is enforced on the host)
   */
  readOnlyPaths: string[];
}

export interface QemuLaunch {
  binary: string;
  /** arguments after the binary */
  argv: string[];
  /** the whole environment QEMU gets: never the parent's */
  env: Record<string, string>;
  /** every path QEMU opens or creates (a qcow2's backing files are found by QEMU in the image and not listed) */
  files: QemuFile[];
  /** helper processes to start before QEMU, in order (their files are listed in `files` too) */
  helpers: HelperLaunch[];
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
  helpers?: HelperLaunch[];
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
  // Secure Boot: the variable store may be written only from System Management Mode, so a guest OS
  // cannot change the keys; OVMF's Secure Boot build requires SMM and refuses to start without it.
  if (hasSecureBoot(config)) props.push('smm=on');
  if (needsSharedMemory(config)) props.push(`memory-backend=${MEMORY_BACKEND_ID}`);
  const args = ['-machine', props.join(','), '-accel', host.accel];
  if (hasSecureBoot(config)) args.push('-global', 'driver=cfi.pflash01,property=secure,value=on');
  return { args, files: [] };
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

/** virtio-fs needs the guest's RAM in memory virtiofsd can map: a shared memfd backend. */
export function needsSharedMemory(config: VmConfig): boolean {
  return sharesOf(config).some((s) => s.mode === 'virtiofs');
}

function memoryArgs({ config }: BuildContext): Section {
  const args = ['-m', `size=${config.system.memoryMiB}M`];
  // The machine's RAM comes from this backend (-machine memory-backend=), as vhost-user devices need.
  if (needsSharedMemory(config)) args.push('-object', JSON.stringify(memoryBackendProps(config.system.memoryMiB)));
  return { args, files: [] };
}

function firmwareArgs({ config, host, paths }: BuildContext): Section {
  // BIOS: SeaBIOS, QEMU's default, from QEMU's own data folder.
  if (config.firmware.type !== 'uefi') return { args: [], files: [] };
  if (!host.ovmf) throw new HangarError('UNSUPPORTED', 'UEFI firmware (OVMF) is not installed: install the ovmf package');
  // With Secure Boot, OVMF's Secure Boot build; the VM's variable store was copied from its
  // Microsoft-enrolled template when Secure Boot was switched on.
  let code = host.ovmf.code;
  if (hasSecureBoot(config)) {
    if (!host.ovmfSecureBoot) throw new HangarError('UNSUPPORTED', "Secure Boot needs OVMF's Secure Boot firmware (OVMF_CODE_4M.ms.fd), which is not installed: install the ovmf package");
    code = host.ovmfSecureBoot.code;
  }
  return {
    args: firmwareBlockdevs(code, paths.nvramFile).flatMap(blockdev),
    files: [
      { path: code, access: 'ro', role: 'firmware-code' },
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

function shareArgs({ config, host, paths }: BuildContext): Section {
  const args: string[] = [];
  const files: QemuFile[] = [];
  const helpers: HelperLaunch[] = [];
  sharesOf(config).forEach((share, i) => {
    files.push({ path: share.hostPath, access: share.readOnly ? 'ro' : 'rw', role: `share:${share.tag}` });
    if (share.mode === 'virtiofs') {
      const v = host.virtiofsd;
      if (!v) throw new HangarError('UNSUPPORTED', `the shared folder '${share.tag}' uses virtio-fs, and this launch was planned without virtiofsd`);
      if (v.binary === null) throw new HangarError('UNSUPPORTED', `the shared folder '${share.tag}' uses virtio-fs, which cannot run on this host: ${v.reason}`);
      const socket = virtiofsSocket(paths.runDir, i);
      // QEMU is the client: virtiofsd serves the socket, so it must listen before QEMU starts.
      args.push('-chardev', `socket,${qemuOpts([['id', virtiofsChardevId(i)], ['path', socket]])}`);
      args.push(...device(virtiofsDeviceProps(i, share.tag)));
      files.push({ path: socket, access: 'rw', role: `virtiofs-socket:${share.tag}` });
      helpers.push({
        id: `virtiofsd:${share.tag}`,
        kind: 'virtiofsd',
        label: `virtiofsd for the shared folder '${share.tag}'`,
        binary: v.binary,
        argv: virtiofsdArgs({ socket, source: share.hostPath }),
        socket,
        readOnlyPaths: share.readOnly ? [share.hostPath] : [],
      });
    } else {
      args.push('-fsdev', fsdevProps(i, share));
      args.push(...device(ninePDeviceProps(i, share.tag)));
    }
  });
  return { args, files, helpers };
}

/**
 * A TPM 2.0: swtpm keeps its state in the VM's folder and serves its control socket in the run folder;
 * QEMU's tpm-emulator backend connects to it (TIS on pc, CRB on q35, the interfaces Windows 11 and
 * Linux drive out of the box). The TPM's state travels in a saved or live snapshot's RAM state.
 */
function tpmArgs({ config, host, paths }: BuildContext): Section {
  if (!hasTpm(config)) return { args: [], files: [] };
  const sw = host.swtpm;
  if (!sw) throw new HangarError('UNSUPPORTED', 'the VM has a TPM, and this launch was planned without swtpm');
  if (sw.binary === null) throw new HangarError('UNSUPPORTED', `the VM has a TPM, which needs swtpm: ${sw.reason}`);
  const socket = tpmSocket(paths.runDir);
  // swtpm's options are comma-separated without any escape: it runs in the VM's folder and is given
  // paths relative to it, so a comma in the home's path cannot reach its option parser.
  const cwd = paths.tpmStateDir.slice(0, paths.tpmStateDir.lastIndexOf('/')) || '/';
  const rel = (p: string, what: string) => {
    const r = p.startsWith(`${cwd}/`) ? p.slice(cwd.length + 1) : p;
    if (r.includes(',')) throw new HangarError('UNSUPPORTED', `the TPM's ${what} path holds a comma, which swtpm cannot take: ${p}`);
    return r;
  };
  return {
    args: [
      '-chardev', `socket,${qemuOpts([['id', TPM_CHARDEV_ID], ['path', socket]])}`,
      '-tpmdev', `emulator,${qemuOpts([['id', TPM_BACKEND_ID], ['chardev', TPM_CHARDEV_ID]])}`,
      ...device(tpmDeviceProps(config.system.chipset)),
    ],
    files: [
      { path: socket, access: 'rw', role: 'tpm-socket' },
      { path: paths.tpmStateDir, access: 'rw', role: 'tpm-state' },
    ],
    helpers: [
      {
        id: 'swtpm',
        kind: 'swtpm',
        label: 'swtpm (the TPM)',
        binary: sw.binary,
        argv: swtpmArgs({ socket: rel(socket, 'socket'), stateDir: rel(paths.tpmStateDir, 'state folder'), log: rel(paths.tpmLog, 'log') }),
        cwd,
        socket,
        readOnlyPaths: [],
      },
    ],
  };
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

/**
 * USB devices: images as mass storage and host devices. A config with a USB section has the xHCI
 * controller even without a display (with one, displayArgs has added it for the tablet already).
 */
function usbArgs({ config }: BuildContext): Section {
  if (!config.usb) return { args: [], files: [] };
  const args: string[] = displayDeviceProps(config.display.vga) ? [] : device(usbControllerProps());
  const files: QemuFile[] = [];
  for (const d of config.usb.devices) {
    if (d.kind === 'storage') {
      args.push(...usbStorageBlockdevs(d).flatMap(blockdev));
      files.push({ path: d.path, access: 'rw', role: `usb:${d.id}` });
    }
    args.push(...device(usbDeviceProps(d)));
  }
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

/**
 * Channels to agents in the guest, on one virtio-serial controller. Every VM has the guest agent's port
 * (org.qemu.guest_agent.0): when qemu-guest-agent runs in the guest, the VMM host talks to it through
 * this socket; when none runs, the port stays closed and nothing changes.
 */
function channelArgs({ config, paths }: BuildContext): Section {
  const args = [
    ...device(virtioSerialProps()),
    '-chardev', `socket,${qemuOpts([['id', AGENT_CHARDEV_ID], ['path', paths.agentSocket], ['server', true], ['wait', false]])}`,
    ...device(serialPortProps({ id: AGENT_PORT_ID, chardev: AGENT_CHARDEV_ID, name: AGENT_PORT_NAME })),
  ];
  // The clipboard: QEMU's own vdagent speaks to the guest's spice-vdagent on com.redhat.spice.0 and shares
  // the text with VNC viewers (noVNC) through QEMU's clipboard. The pointer stays the USB tablet's.
  if (clipboardOn(config)) {
    args.push('-chardev', `qemu-vdagent,${qemuOpts([['id', VDAGENT_CHARDEV_ID], ['name', 'vdagent'], ['clipboard', true], ['mouse', false]])}`);
    args.push(...device(serialPortProps({ id: VDAGENT_PORT_ID, chardev: VDAGENT_CHARDEV_ID, name: VDAGENT_PORT_NAME })));
  }
  return { args, files: [{ path: paths.agentSocket, access: 'rw', role: 'agent-socket' }] };
}

/** The clipboard is shared only where a viewer can see the display. */
export function clipboardOn(config: VmConfig): boolean {
  return config.display.clipboard === true && config.display.vga !== 'none' && config.display.vnc;
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

/** SeaBIOS's wait before it tries the boot devices again after none booted (see bootArgs). */
export const BOOT_RETRY_MS = 5000;

function bootArgs({ config }: BuildContext): Section {
  // strict=on: only the devices in boot.order are tried (they carry bootindex); the firmware does
  // not fall back to whatever else is bootable.
  // reboot-timeout: when no device boots, SeaBIOS tries again after this many milliseconds instead of
  // halting for good. A boot fails when a disk read takes longer than SeaBIOS's 32 s ATA/AHCI limit
  // (a host disk that stalls under load); the retry boots once the read comes back. It also boots a
  // disc inserted after an empty start. UEFI firmware does not read this setting.
  const args = ['-boot', `strict=on,reboot-timeout=${BOOT_RETRY_MS}`];
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

/** Whether a card joins its bridge through qemu-bridge-helper, which QEMU itself spawns. */
export function usesBridgeHelper(host: HostFacts): boolean {
  return Object.values(host.nics ?? {}).some((a) => a.kind === 'bridge');
}

function sandboxArgs({ host }: BuildContext): Section {
  // qemu-bridge-helper is spawned by QEMU and must gain its privileges (setuid): the sandbox forbids
  // both (spawn=deny; seccomp sets no_new_privs). Such a QEMU runs without it: the price of joining a
  // bridge without privileges of Hangar's own (a privileged owner makes the tap and keeps the sandbox).
  if (usesBridgeHelper(host)) return { args: [], files: [] };
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
  { name: 'shares', build: shareArgs },
  { name: 'tpm', build: tpmArgs },
  { name: 'display', build: displayArgs },
  { name: 'usb', build: usbArgs },
  { name: 'serial', build: serialArgs },
  { name: 'channels', build: channelArgs },
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
    ['guest agent socket', paths.agentSocket],
    ['PID file', paths.pidFile],
    ['UEFI variable store', paths.nvramFile],
    ['TPM state folder', paths.tpmStateDir],
    ['TPM log', paths.tpmLog],
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
  const helpers: HelperLaunch[] = [];
  for (const section of SECTIONS) {
    const out = section.build(ctx);
    argv.push(...out.args);
    files.push(...out.files);
    helpers.push(...(out.helpers ?? []));
  }
  return { binary: host.qemuBinary, argv, env: { ...QEMU_ENV }, files, helpers };
}

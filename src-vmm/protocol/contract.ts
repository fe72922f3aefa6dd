// The owner ⇄ VMM host contract: a closed set of actions, their results, and the host's events.
// The host serves it on <vm>/run/host.sock; the owner's supervisor is the client.
import { z } from 'zod';
import { method, type Contract } from '../base/rpc.js';
import { VmState } from './states.js';
import { Nic, PortForward, UsbDevice } from '../model/index.js';
import { StatsSample } from '../stats/samples.js';

/** How a card reaches its network (see qemu/devices.ts NicAttachment); absent: user-mode NAT. */
export const NicAttachmentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tap'), ifname: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/) }).strict(),
  z.object({ kind: z.literal('mcast'), group: z.string().regex(/^239\.\d{1,3}\.\d{1,3}\.\d{1,3}$/), port: z.number().int().min(1).max(65535) }).strict(),
  z.object({ kind: z.literal('bridge'), bridge: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/), helper: z.string().regex(/^\/[A-Za-z0-9_./-]+$/) }).strict(),
]);

export const Empty = z.object({}).strict();
export const Ok = z.null();

export const HostStatus = z.object({
  vmId: z.string(),
  state: VmState,
  reason: z.string().optional(),
  hostPid: z.number().int(),
  qemuPid: z.number().int().optional(),
  accelerator: z.enum(['kvm', 'tcg']),
  startedAt: z.string(),
});
export type HostStatus = z.infer<typeof HostStatus>;

/** What the guest agent says about the guest; `agent: 'absent'` when no agent answers (the facts are then null). */
export const GuestInfo = z.object({
  agent: z.enum(['connected', 'absent']),
  hostname: z.string().nullable(),
  osName: z.string().nullable(),
  ipAddresses: z.array(z.string()),
});
export type GuestInfo = z.infer<typeof GuestInfo>;

/** How a live snapshot treats the guest's file systems: not at all, frozen when an agent answers, or frozen or refused. */
export const QuiesceMode = z.enum(['no', 'ifAvailable', 'required']);
export type QuiesceMode = z.infer<typeof QuiesceMode>;

/**
 * Every action the owner may ask of a VMM host: a closed set, as Firecracker's API is. Each names what
 * it does; none passes QMP through (the host alone speaks QMP, with its typed client). Which action
 * each lifecycle state allows is listed in host/lifecycle.ts.
 */
export const hostApi = {
  /** the host's state, pids and accelerator (allowed in every state) */
  'host.status': method(Empty, HostStatus),
  /** lets a QEMU that waits in prelaunch (after the owner has subscribed to the console) run */
  'host.boot': method(Empty, HostStatus),
  /** presses the ACPI power button */
  'host.powerdown': method(Empty, Ok),
  /** ends QEMU now (quit, then SIGKILL at a deadline) */
  'host.powerOff': method(Empty, Ok),
  'host.pause': method(Empty, Ok),
  'host.resume': method(Empty, Ok),
  'host.reset': method(Empty, Ok),
  /** writes the RAM and device state to the spec's saveStateFile and ends QEMU: the VM ends 'saved' */
  'host.save': method(Empty, Ok, { long: true }),
  /** writes the screen to a PNG file */
  'host.screendump': method(z.object({ file: z.string().min(1) }).strict(), Ok),
  /** types into the serial console */
  'host.consoleWrite': method(z.object({ data: z.string().max(1 << 20) }).strict(), Ok),
  /**
   * A live snapshot: pause, switch every disk to a new overlay in one QMP transaction, save the RAM and
   * device state to a file, resume. Returns how long the guest was paused.
   */
  'host.snapshotLive': method(
    z
      .object({
        disks: z.array(z.object({ diskId: z.string(), overlay: z.string() }).strict()).min(1).max(64),
        stateFile: z.string(),
        thumbnail: z.string().optional(),
        /** the most the state can take: reserved on disk first, so writing it cannot run out of space */
        stateBytes: z.number().int().positive(),
        /** freeze the guest's file systems (through its agent) from before the pause until after the switch */
        quiesce: QuiesceMode.optional(),
        /** false: switch the disks only, no RAM state (a VM with shared folders cannot be migrated) */
        saveState: z.boolean().optional(),
      })
      .strict(),
    z.object({
      pauseMs: z.number(),
      stateSaved: z.boolean(),
      stateError: z.string().optional(),
      thumbnail: z.boolean(),
      /** 'background': the guest ran while its RAM was written (only the disk switch paused it); 'paused': it waited */
      method: z.enum(['background', 'paused']),
      /** the file systems were frozen around the disk switch */
      quiesced: z.boolean().optional(),
      /** how long they were frozen */
      frozenMs: z.number().optional(),
    }),
    { long: true },
  ),
  /**
   * Undoes a live snapshot's disk switch: each overlay QEMU writes to is committed into the image it
   * was put on (an active block-commit, the guest's writes included) and leaves the running chain.
   * Overlays QEMU never switched to are skipped; `committed` lists the others. Not cancellable.
   */
  'host.switchBack': method(
    z.object({ disks: z.array(z.object({ overlay: z.string().min(1), image: z.string().min(1) }).strict()).min(1).max(64) }).strict(),
    z.object({ committed: z.array(z.string()) }),
  ),
  /**
   * Streams the data of the images between `base` and `image` into `image` (a block-stream job on the
   * node that has `image` open), so the images in between leave the running chain; `base: null` takes
   * in the whole chain below. Cancelling leaves `image` based where it was.
   */
  'host.blockStream': method(
    z.object({ image: z.string().min(1), base: z.string().min(1).nullable() }).strict(),
    z.object({ bytes: z.number() }),
    { long: true },
  ),
  /**
   * Commits `image` (below disk `diskId`'s active layer) down into `into`, the image it is based on (a
   * block-commit job): `image` leaves the running chain and the image above it is based on `into`. The
   * snapshot delete's backward merge; not cancellable once started.
   */
  'host.blockCommit': method(
    z.object({ diskId: z.string().min(1), image: z.string().min(1), into: z.string().min(1) }).strict(),
    z.object({ bytes: z.number() }),
    { long: true },
  ),
  /** the files QEMU has open: every image of every disk's chain, firmware and ISOs */
  'host.openImages': method(Empty, z.object({ images: z.array(z.string()) })),
  /** what the guest agent last said about the guest (with `refresh`: asks it again first) */
  'host.guestInfo': method(z.object({ refresh: z.boolean().optional() }).strict(), GuestInfo),
  /** runs a program in the guest through its agent and returns its exit status and output (base64) */
  'host.guestExec': method(
    z
      .object({
        path: z.string().min(1).max(4096),
        args: z.array(z.string().max(1 << 16)).max(1024),
        /** base64 of what the program reads on stdin */
        input: z.string().max(1 << 24).optional(),
        timeoutMs: z.number().int().positive().max(86_400_000),
      })
      .strict(),
    z.object({ exitCode: z.number().int(), signal: z.number().int().nullable(), stdout: z.string(), stderr: z.string(), truncated: z.boolean() }),
    { long: true },
  ),
  /** asks the guest, through its agent, to power off (for a guest that ignores the ACPI power button) */
  'host.guestShutdown': method(Empty, Ok),
  /**
   * Plugs a network card into the running machine: its backend (netdev_add) and the device (device_add,
   * on q35 into a free PCIe root port), both built by qemu/devices.ts as at launch.
   */
  'host.nicAdd': method(z.object({ nic: Nic, attachment: NicAttachmentSchema.optional() }).strict(), Ok),
  /** Unplugs a card: the guest is asked to release it (device_del), then its backend goes. */
  'host.nicRemove': method(z.object({ nicId: z.string().min(1).max(64) }).strict(), Ok),
  /** Connects or disconnects a card's cable (the guest sees its link go down or up). */
  'host.nicLink': method(z.object({ nicId: z.string().min(1).max(64), up: z.boolean() }).strict(), Ok),
  /** Changes the port forwards of a user-mode card while it runs. */
  'host.nicForwards': method(z.object({ nicId: z.string().min(1).max(64), add: z.array(PortForward).max(64), remove: z.array(PortForward).max(64) }).strict(), Ok),
  /** Grows a disk while the VM runs (QMP block_resize on the top image of its chain); the guest sees the new size. */
  'host.diskResize': method(z.object({ diskId: z.string().min(1).max(64), sizeBytes: z.number().int().positive() }).strict(), Ok),
  /** Plugs a USB device into the running machine's xHCI controller: an image (blockdev-add, then device_add) or a host device. */
  'host.usbAttach': method(z.object({ device: UsbDevice }).strict(), Ok),
  /** Unplugs a USB device (device_del, waiting for the guest to let it go), then its image's nodes (blockdev-del). */
  'host.usbDetach': method(z.object({ id: z.string().min(1).max(64), storage: z.boolean() }).strict(), Ok),
  /** the performance samples of the last hour (after `sinceMs`, ms since the epoch), and the taps whose traffic they count */
  'host.stats': method(z.object({ sinceMs: z.number().optional() }).strict(), z.object({ samples: z.array(StatsSample), taps: z.array(z.string()) })),
  /**
   * Live migration, the source's part: the disks named in `mirrors` are first mirrored to the target's
   * NBD exports until in sync; then the RAM and device state go to the target's incoming QEMU on
   * `socket` (pre-copy, auto-converge), with progress. On success the guest is left stopped here
   * (paused) for the owner to power off once the target runs it; on failure or cancel it runs on here.
   */
  'host.migrate': method(
    z
      .object({
        socket: z.string().min(1).max(107),
        maxDowntimeMs: z.number().int().positive().max(600_000).optional(),
        bandwidthBytes: z.number().int().positive().optional(),
        /** top: only the top image's own data (the target's image is based on copies of the frozen ones) */
        mirrors: z.array(z.object({ diskId: z.string().min(1).max(64), socket: z.string().min(1).max(107), export: z.string().min(1).max(200), sync: z.enum(['full', 'top']).optional() }).strict()).max(64).optional(),
      })
      .strict(),
    z.object({ downtimeMs: z.number(), totalMs: z.number(), transferredBytes: z.number(), mirroredBytes: z.number() }),
    { long: true },
  ),
  /** Live migration, the target's part with --copy-storage: its disks exported writable over NBD on `socket` until it runs. */
  'host.nbdExport': method(
    z.object({ socket: z.string().min(1).max(107), disks: z.array(z.object({ diskId: z.string().min(1).max(64), export: z.string().min(1).max(200) }).strict()).min(1).max(64) }).strict(),
    Ok,
  ),
} satisfies Contract;
export type HostApi = typeof hostApi;

/** Events the host emits to every connected client. */
export const HostStateEvent = z.object({ state: VmState, reason: z.string().optional(), qemuPid: z.number().int().optional() });
export type HostStateEvent = z.infer<typeof HostStateEvent>;
export const HostConsoleEvent = z.object({ data: z.string() /* base64 */ });
/** `host.sample`: a performance sample, once a second while QEMU runs. */
export const HostSampleEvent = StatsSample;
/** `host.guest`: the guest agent came, went, or said something new about the guest. */
export const HostGuestEvent = GuestInfo;
export type HostConsoleEvent = z.infer<typeof HostConsoleEvent>;

/** A helper process the host starts before QEMU (see HelperLaunch in qemu/argv.ts). */
export const HelperSpec = z.object({
  id: z.string(),
  kind: z.enum(['virtiofsd', 'swtpm']),
  label: z.string(),
  binary: z.string(),
  argv: z.array(z.string()),
  cwd: z.string().optional(),
  socket: z.string(),
  readOnlyPaths: z.array(z.string()),
});
export type HelperSpec = z.infer<typeof HelperSpec>;

/** Who QEMU runs as (src-vmm/qemu/privileges.ts's QemuPrivileges), as the owner found out once. */
export const QemuPrivilegesSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user'), uid: z.number().int().min(1), summary: z.string() }).strict(),
  z.object({ kind: z.literal('root-without-capabilities'), setpriv: z.string().startsWith('/'), summary: z.string() }).strict(),
  z.object({ kind: z.literal('root-with-capabilities'), why: z.string(), summary: z.string() }).strict(),
]);

/** What the owner hands the host at launch (written to <vm>/run/host-spec.json). */
export const HostSpec = z.object({
  vmId: z.string(),
  vmName: z.string(),
  accelerator: z.enum(['kvm', 'tcg']),
  qemu: z.object({
    binary: z.string(),
    argv: z.array(z.string()),
    env: z.record(z.string(), z.string()),
  }),
  runDir: z.string(),
  hostSocket: z.string(),
  qmpSocket: z.string(),
  serialSocket: z.string().optional(),
  /** QEMU's end of the guest agent's channel (absent: a launch without one) */
  agentSocket: z.string().optional(),
  pidFile: z.string(),
  statusFile: z.string(),
  qemuLog: z.string(),
  serialLog: z.string(),
  serialLogMaxBytes: z.number().int().positive(),
  /** saved RAM/device state to restore (QEMU then runs with -incoming defer) */
  incomingStateFile: z.string().optional(),
  /** a live migration to receive (QEMU runs with -incoming defer and listens on this unix socket) */
  incomingMigration: z.object({ socket: z.string() }).optional(),
  /** where `save` writes the RAM/device state */
  saveStateFile: z.string(),
  /** stay in prelaunch until host.boot (so the owner misses no console output) */
  waitForBoot: z.boolean(),
  /** helper processes to start before QEMU (virtiofsd per share); absent: none */
  helpers: z.array(HelperSpec).optional(),
  /** where the helpers' output goes */
  helpersLog: z.string().optional(),
  /** cards whose cable is unplugged: disconnected before the guest runs */
  linkDown: z.array(z.string()).optional(),
  /** q35: the PCIe root port each card of the launch sits on, and how many ports there are (for cards plugged in later) */
  nicPorts: z.object({ used: z.record(z.string(), z.string()), count: z.number().int().min(0).max(32) }).optional(),
  /**
   * who QEMU runs as, found once by the owner (a trial run of QEMU through setpriv costs each start
   * ~30 ms when every host makes it); absent: the host finds out itself
   */
  qemuPrivileges: QemuPrivilegesSpec.optional(),
});
export type HostSpec = z.infer<typeof HostSpec>;

/**
 * The owner's one message to a standby VMM host (`main.node.js --standby`): the VM it is to run, and
 * the log it is to write (a forked host's log is its stderr; a standby's stderr was fixed before it
 * had a VM). Both are absolute paths the owner made.
 */
export const StandbyAssignment = z
  .object({ t: z.literal('assign'), specPath: z.string().startsWith('/'), logPath: z.string().startsWith('/') })
  .strict();
export type StandbyAssignment = z.infer<typeof StandbyAssignment>;

/** The host's last word, kept on disk so an owner that was away learns how the VM ended. */
export const HostStatusFile = z.object({
  state: VmState,
  reason: z.string().optional(),
  hostPid: z.number().int(),
  qemuPid: z.number().int().optional(),
  /** the helpers' pids, so an owner cleaning up after a dead host can stop them too */
  helperPids: z.array(z.number().int()).optional(),
  updatedAt: z.string(),
});
export type HostStatusFile = z.infer<typeof HostStatusFile>;

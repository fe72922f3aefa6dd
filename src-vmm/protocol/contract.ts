// The owner ⇄ VMM host contract: a closed set of actions, their results, and the host's events.
// The host serves it on <vm>/run/host.sock; the owner's supervisor is the client.
import { z } from 'zod';
import { method, type Contract } from '../base/rpc.js';
import { VmState } from './states.js';

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

export const hostApi = {
  'host.status': method(Empty, HostStatus),
  /** lets a QEMU that waits in prelaunch (after the owner has subscribed to the console) run */
  'host.boot': method(Empty, HostStatus),
  'host.powerdown': method(Empty, Ok),
  'host.powerOff': method(Empty, Ok),
  'host.pause': method(Empty, Ok),
  'host.resume': method(Empty, Ok),
  'host.reset': method(Empty, Ok),
  'host.save': method(Empty, Ok, { long: true }),
  'host.screendump': method(z.object({ file: z.string().min(1) }).strict(), Ok),
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
      })
      .strict(),
    z.object({ pauseMs: z.number(), stateSaved: z.boolean(), stateError: z.string().optional(), thumbnail: z.boolean() }),
    { long: true },
  ),
  /**
   * Streams the data of the images between `base` and `image` into `image` (QMP block-stream on the
   * node that has `image` open), so the images in between can leave the running chain.
   */
  'host.blockStream': method(
    z.object({ image: z.string(), base: z.string().nullable() }).strict(),
    z.object({ bytes: z.number() }),
    { long: true },
  ),
  /** raw QMP for features built on the host (snapshots, block jobs): the owner decides what to send */
  'host.qmp': method(z.object({ command: z.string().min(1), arguments: z.record(z.string(), z.unknown()).optional() }).strict(), z.unknown()),
} satisfies Contract;
export type HostApi = typeof hostApi;

/** Events the host emits to every connected client. */
export const HostStateEvent = z.object({ state: VmState, reason: z.string().optional(), qemuPid: z.number().int().optional() });
export type HostStateEvent = z.infer<typeof HostStateEvent>;
export const HostConsoleEvent = z.object({ data: z.string() /* base64 */ });
export type HostConsoleEvent = z.infer<typeof HostConsoleEvent>;

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
  pidFile: z.string(),
  statusFile: z.string(),
  qemuLog: z.string(),
  serialLog: z.string(),
  serialLogMaxBytes: z.number().int().positive(),
  /** saved RAM/device state to restore (QEMU then runs with -incoming defer) */
  incomingStateFile: z.string().optional(),
  /** where `save` writes the RAM/device state */
  saveStateFile: z.string(),
  /** stay in prelaunch until host.boot (so the owner misses no console output) */
  waitForBoot: z.boolean(),
});
export type HostSpec = z.infer<typeof HostSpec>;

/** The host's last word, kept on disk so an owner that was away learns how the VM ended. */
export const HostStatusFile = z.object({
  state: VmState,
  reason: z.string().optional(),
  hostPid: z.number().int(),
  qemuPid: z.number().int().optional(),
  updatedAt: z.string(),
});
export type HostStatusFile = z.infer<typeof HostStatusFile>;

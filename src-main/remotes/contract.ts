// The API of remotes (libvirt hosts), pure: spread into the owner's contract (api/contract.ts).
import { z } from 'zod';
import { method } from '../../src-vmm/base/rpc.js';
import { MigrateResult } from '../migration/contract.js';

const RemoteName = z.string().min(1, "a remote's name is needed").max(63);
/** REMOTE/DOMAIN */
const RemoteRef = z.string().min(3, 'a remote VM is named REMOTE/DOMAIN').max(300);
const RemoteState = z.enum(['connected', 'disconnected']);
const DomainState = z.enum(['running', 'idle', 'paused', 'in shutdown', 'shut off', 'crashed', 'pmsuspended', 'unknown']);

export const RemoteItem = z.object({
  name: z.string(),
  uri: z.string(),
  state: RemoteState,
  libvirtVersion: z.string().nullable(),
  hypervisor: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
});
export type RemoteItem = z.infer<typeof RemoteItem>;

const DomainResult = z.object({ remote: z.string(), name: z.string(), state: DomainState });
const RemoteSnapshotItem = z.object({ name: z.string(), parent: z.string().nullable(), createdAt: z.string(), state: z.string(), current: z.boolean() });
export type RemoteSnapshotItem = z.infer<typeof RemoteSnapshotItem>;

export const remoteApi = {
  /** saved only when the host answers (virsh version) */
  'remote.add': method(z.object({ name: RemoteName, uri: z.string().min(1, 'a libvirt URI is needed').max(2048) }).strict(), RemoteItem),
  'remote.list': method(z.object({}).strict(), z.object({ remotes: z.array(RemoteItem) })),
  'remote.remove': method(z.object({ name: RemoteName }).strict(), z.object({ name: z.string() })),
  /** a remote's domains (libvirt's list) */
  'remote.domains': method(
    z.object({ remote: RemoteName }).strict(),
    z.object({ remote: z.string(), state: RemoteState, domains: z.array(z.object({ name: z.string(), id: z.number().nullable(), state: DomainState })) }),
  ),
  /** start, ACPI shutdown (waits for it unless wait is false), destroy (forced off), suspend, resume, reboot (ACPI), reset */
  'remote.action': method(
    z
      .object({
        ref: RemoteRef,
        action: z.enum(['start', 'shutdown', 'destroy', 'suspend', 'resume', 'reboot', 'reset']),
        timeoutS: z.number().positive().max(3600).default(120),
        wait: z.boolean().default(true),
      })
      .strict(),
    DomainResult,
    { long: true },
  ),
  'remote.serial': method(z.object({ ref: RemoteRef, maxBytes: z.number().int().positive().max(1 << 20).default(1 << 20) }).strict(), z.object({ data: z.string() /* base64 */ })),
  'remote.typeText': method(z.object({ ref: RemoteRef, text: z.string().max(1 << 16), enter: z.boolean().default(true) }).strict(), z.null()),
  /** a running domain's display: a one-time websocket path of the VNC relay (as vm.display), valid for a minute */
  'remote.display': method(z.object({ ref: RemoteRef }).strict(), z.object({ path: z.string() })),
  'remote.snapshotList': method(z.object({ ref: RemoteRef }).strict(), z.object({ remote: z.string(), name: z.string(), snapshots: z.array(RemoteSnapshotItem) })),
  'remote.snapshotTake': method(z.object({ ref: RemoteRef, name: z.string().min(1).max(200), description: z.string().max(4096).default('') }).strict(), RemoteSnapshotItem, { long: true }),
  'remote.snapshotRevert': method(z.object({ ref: RemoteRef, snapshot: z.string().min(1).max(200) }).strict(), DomainResult, { long: true }),
  'remote.snapshotDelete': method(z.object({ ref: RemoteRef, snapshot: z.string().min(1).max(200) }).strict(), z.null(), { long: true }),
  /** a stopped Hangar VM becomes a domain of the remote: its disks flattened and uploaded into a pool, checked, then defined */
  'remote.send': method(
    z.object({ ref: z.string().min(1, 'a VM name or id is needed').max(4096), remote: RemoteName, pool: z.string().min(1).max(200).optional() }).strict(),
    z.object({
      vm: z.string(),
      remote: z.string(),
      domain: z.string(),
      pool: z.string(),
      volumes: z.array(z.object({ disk: z.string(), volume: z.string(), path: z.string(), sizeBytes: z.number(), sha256: z.string() })),
    }),
    { long: true },
  ),
  /** a shut off domain of a remote becomes a Hangar VM (its disks downloaded); the domain stays */
  'remote.fetch': method(z.object({ ref: RemoteRef, name: z.string().min(1).max(200).optional() }).strict(), z.object({ id: z.string(), name: z.string() }), { long: true }),
  /** live migration of a running domain to another remote, through libvirt's own (migrateRemote.node.ts); the result as `vm.migrate`'s, id the domain's UUID */
  'remote.migrate': method(
    z
      .object({
        ref: RemoteRef,
        target: RemoteName,
        copyStorage: z.boolean().default(false),
        pool: z.string().min(1).max(200).optional(),
        maxDowntimeMs: z.number().int().positive().max(3_600_000).optional(),
        bandwidthMiBs: z.number().positive().max(1_000_000).optional(),
      })
      .strict(),
    MigrateResult,
    { long: true },
  ),
};

export const remoteEvents = {
  /** a remote's connection, or one of its domains, changed */
  'remote.changed': z.object({ remote: z.string(), domain: z.string().optional() }),
  /** what a remote domain's serial console printed (base64), to every front end */
  'remote.console': z.object({ remote: z.string(), domain: z.string(), data: z.string() }),
};

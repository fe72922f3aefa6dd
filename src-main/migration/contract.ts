// Live migration's part of the owner API (pure): what `hangar migrate` and the interface ask of the
// source owner, and the owner-to-owner conversation (prepare, finish, abort) the source has with the
// target. The target validates every input like any other request.
import { z } from 'zod';
import { method } from '../../src-vmm/base/rpc.js';
import { VmConfig } from '../../src-vmm/model/index.js';

/** `home:/PATH` (another home on this machine) or `ssh://[user@]host[:port][/PATH]` (another machine, its home at PATH or its default). */
export const MigrationTarget = z.string().min(1, 'a target is needed').max(4096);

export const MigrateInput = z
  .object({
    ref: z.string().min(1, 'a VM name or id is needed').max(4096),
    target: MigrationTarget,
    copyStorage: z.boolean().default(false),
    maxDowntimeMs: z.number().int().positive().max(600_000).optional(),
    /** MiB/s */
    bandwidthMiBs: z.number().positive().max(1_000_000).optional(),
  })
  .strict();
export type MigrateInput = z.input<typeof MigrateInput>;

export const MigrateResult = z.object({
  vm: z.string(),
  target: z.string(),
  downtimeMs: z.number(),
  totalMs: z.number(),
  transferredBytes: z.number(),
  /** disk bytes mirrored to the target (--copy-storage) */
  mirroredBytes: z.number(),
  /** the VM's id on the target (the same as here) */
  id: z.string(),
});
export type MigrateResult = z.infer<typeof MigrateResult>;

const B64 = z.string().max(64 << 20);
const RelFile = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/)
  .refine((p) => !p.split('/').some((x) => x === '..' || x === '.'), 'a relative path inside the folder');

const AbsPath = z.string().min(2).max(4096).regex(/^\//, 'an absolute path');

const MovingTreeSchema = z
  .object({
    images: z
      .array(z.object({ path: AbsPath, format: z.string().min(1).max(32), virtualSize: z.number().int().nonnegative(), backingPath: AbsPath.nullable(), role: z.enum(['disk', 'frozen']) }).strict())
      .max(10_000),
    snapshots: z
      .array(
        z
          .object({
            id: z.string().min(1).max(100),
            parentId: z.string().min(1).max(100).nullable(),
            name: z.string().min(1).max(1000),
            description: z.string().max(100_000),
            createdAt: z.string().max(100),
            config: VmConfig,
            live: z.boolean(),
            stateFile: AbsPath.nullable(),
            disks: z.array(z.object({ diskId: z.string().min(1).max(64), path: AbsPath, format: z.string().min(1).max(32) }).strict()).max(64),
            facts: z.object({ liveMethod: z.enum(['background', 'paused']).optional(), pauseMs: z.number().optional() }).strict(),
            quiesced: z.boolean(),
          })
          .strict(),
      )
      .max(10_000),
    currentSnapshotId: z.string().min(1).max(100).nullable(),
  })
  .strict();

/** The target gets the machine (same id, name, devices, MACs), its variable store and TPM state, and what to do with its disks. */
export const MigrationPrepareInput = z
  .object({
    config: VmConfig,
    accelerator: z.enum(['kvm', 'tcg']),
    /** base64 of the UEFI variable store */
    nvram: B64.optional(),
    /** the TPM state folder's files */
    tpm: z.array(z.object({ path: RelFile, data: B64 }).strict()).max(64).optional(),
    /** new disks of these sizes in the target's folder, exported over NBD for the source's mirrors; absent: shared storage (the same paths) */
    copyStorage: z.array(z.object({ diskId: z.string().min(1).max(64), virtualSizeBytes: z.number().int().positive() }).strict()).max(64).optional(),
    /** the snapshot tree that moves with the VM (absent: none) */
    tree: MovingTreeSchema.optional(),
    /** the files the source sends before the VM (tree.ts `filesToCopy`): source path, where each lands in the VM's folder, its size */
    files: z.array(z.object({ from: AbsPath, to: RelFile, size: z.number().int().nonnegative() }).strict()).max(100_000).optional(),
  })
  .strict();
export type MigrationPrepareInput = z.input<typeof MigrationPrepareInput>;

export const MigrationPrepared = z.object({
  /** where the target takes the files announced in `files`, when there are any (a path on the target's machine) */
  files: z.string().optional(),
});

export const MigrationLaunched = z.object({
  /** where the incoming QEMU listens for the stream (a path on the target's machine) */
  socket: z.string(),
  /** --copy-storage: where its NBD server listens, and each disk's export */
  nbd: z.object({ socket: z.string(), exports: z.array(z.object({ diskId: z.string(), export: z.string() })) }).optional(),
});

export const migrationApi = {
  'vm.migrate': method(MigrateInput, MigrateResult, { long: true }),
  /** target side: the arriving VM's folder, ready for the files the source sends first */
  'migration.prepare': method(MigrationPrepareInput, MigrationPrepared, { long: true }),
  /** target side: the files have come: an incoming QEMU for the machine, waiting for the stream (and the disks' mirrors) */
  'migration.launch': method(z.object({ id: z.string().min(1).max(100) }).strict(), MigrationLaunched, { long: true }),
  /** target side: the stream is complete: register the VM and run it */
  'migration.finish': method(z.object({ id: z.string().min(1).max(100) }).strict(), z.object({ id: z.string(), name: z.string() }), { long: true }),
  /** target side: give up: the incoming QEMU ends and nothing of the VM is left */
  'migration.abort': method(z.object({ id: z.string().min(1).max(100) }).strict(), z.null()),
};

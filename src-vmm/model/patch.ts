// Updates are their own type: every field optional, sections merged field by field, device lists
// replaced whole. applyPatch returns a new config and never touches the one it was given.
import { z } from 'zod';
import { fail, type Result } from '../base/result.js';
import { BootSection } from './boot.js';
import { DisksSection, OpticalsSection } from './disks.js';
import { DisplaySection } from './display.js';
import { FeaturesSection } from './features.js';
import { FirmwareSection } from './firmware.js';
import { issuesFromZod, validateConfig, type ConfigIssue, type VmConfig } from './config.js';
import { MAX_DESCRIPTION_LENGTH } from './limits.js';
import { AbsPath, VmName } from './names.js';
import { NicsSection } from './nics.js';
import { OsTypeId } from './osCatalogue.js';
import { DEFAULT_RECOVERY, RecoverySection } from './recovery.js';
import { SerialSection } from './serial.js';
import { SharesSection } from './shares.js';
import { TpmSection } from './tpm.js';
import { SystemSection } from './system.js';

const BootPatch = z
  .object({
    order: BootSection.shape.order.optional(),
    /** null removes the setting */
    kernel: AbsPath.nullable().optional(),
    initrd: AbsPath.nullable().optional(),
    append: BootSection.shape.append.unwrap().nullable().optional(),
  })
  .strict();

export const VmConfigPatch = z
  .object({
    name: VmName.optional(),
    osType: OsTypeId.optional(),
    description: z.string().max(MAX_DESCRIPTION_LENGTH, `description must be at most ${MAX_DESCRIPTION_LENGTH} characters`).optional(),
    system: SystemSection.partial().strict().optional(),
    firmware: FirmwareSection.partial().strict().optional(),
    disks: DisksSection.optional(),
    opticals: OpticalsSection.optional(),
    nics: NicsSection.optional(),
    display: DisplaySection.partial().strict().optional(),
    serial: SerialSection.partial().strict().optional(),
    features: FeaturesSection.partial().strict().optional(),
    boot: BootPatch.optional(),
    recovery: RecoverySection.partial().strict().optional(),
    /** the whole list of shared folders, as it is to be */
    shares: SharesSection.optional(),
    /** null removes the TPM */
    tpm: TpmSection.nullable().optional(),
  })
  .strict();
/** What a caller writes: any subset. Use null in boot.kernel/initrd/append to remove that setting. */
export type VmConfigPatch = z.input<typeof VmConfigPatch>;

const FIXED_KEYS = { id: "a VM's id cannot be changed", schemaVersion: 'schemaVersion cannot be changed by a patch' } as const;

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The config with the patch applied and every rule checked again (a patch can break a cross-field
 * rule on its own: firmware 'uefi' on a pc VM). `config` is left as it was, and the result shares no
 * objects with it or with the patch.
 */
export function applyPatch(config: VmConfig, patch: VmConfigPatch): Result<VmConfig, ConfigIssue[]> {
  if (typeof patch === 'object' && patch !== null) {
    const fixed = Object.entries(FIXED_KEYS)
      .filter(([key]) => key in patch)
      .map(([path, message]) => ({ path, message }));
    if (fixed.length) return fail(fixed);
  }
  const parsed = VmConfigPatch.safeParse(patch);
  if (!parsed.success) return fail(issuesFromZod(parsed.error, patch));
  const p = parsed.data;

  const boot: Record<string, unknown> = { ...config.boot };
  for (const [key, value] of Object.entries(p.boot ?? {})) {
    if (value === null) delete boot[key];
    else if (value !== undefined) boot[key] = value;
  }
  const { tpm: currentTpm, ...withoutTpm } = config;
  const tpm = p.tpm === null ? undefined : (p.tpm ?? currentTpm);
  const merged = {
    ...withoutTpm,
    ...(tpm ? { tpm } : {}),
    ...dropUndefined({ name: p.name, osType: p.osType, description: p.description }),
    system: { ...config.system, ...dropUndefined(p.system ?? {}) },
    firmware: { ...config.firmware, ...dropUndefined(p.firmware ?? {}) },
    disks: p.disks ?? config.disks,
    opticals: p.opticals ?? config.opticals,
    nics: p.nics ?? config.nics,
    display: { ...config.display, ...dropUndefined(p.display ?? {}) },
    serial: { ...config.serial, ...dropUndefined(p.serial ?? {}) },
    features: { ...config.features, ...dropUndefined(p.features ?? {}) },
    boot,
    ...(p.shares || config.shares ? { shares: p.shares ?? config.shares } : {}),
    ...(p.recovery || config.recovery ? { recovery: { ...(config.recovery ?? DEFAULT_RECOVERY), ...dropUndefined(p.recovery ?? {}) } } : {}),
  };
  // validateConfig parses into new objects, so nothing in the result aliases `config` or `patch`.
  return validateConfig(merged);
}

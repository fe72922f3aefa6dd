// The review step, as values: the user's edits applied to a machine plan, and a plan turned into the
// VM configuration the import will register. Pure, so the dialog's rules are tested without files.
import { z } from 'zod';
import { HangarError, invalidInput } from '../../src-vmm/base/errors.js';
import { UNKNOWN_OS_TYPE } from '../api/issueCodes.js';
import { DISK_BUSES, NIC_MODELS, chipsetFor, choiceValues, composeConfig, fitToChipset, formatIssues, getOsType, newVmNameProblems, type VmConfig } from '../../src-vmm/model/index.js';
import type { MachinePlan } from './plan.js';

/** What the review dialog (or the CLI's options) may change about one machine. */
export const MachineEdits = z
  .object({
    name: z.string().max(10_000).optional(),
    osType: z.string().min(1).max(64).optional(),
    cpus: z.number().int().optional(),
    memoryMiB: z.number().int().optional(),
    firmware: z.enum(['bios', 'uefi']).optional(),
    /** by index into the plan's disks */
    disks: z.array(z.object({ include: z.boolean().optional(), bus: z.enum(choiceValues(DISK_BUSES)).optional() }).strict()).max(64).optional(),
    /** by index into the plan's NICs */
    nics: z.array(z.object({ include: z.boolean().optional(), model: z.enum(choiceValues(NIC_MODELS)).optional() }).strict()).max(64).optional(),
    /** 'new' (the default) gives every NIC a fresh MAC; 'keep' keeps the appliance's where it has one */
    macPolicy: z.enum(['new', 'keep']).optional(),
  })
  .strict();
export type MachineEdits = z.infer<typeof MachineEdits>;

/** The plan with the user's edits in it. NICs left out are removed; disks left out stay, not included. */
export function applyEdits(plan: MachinePlan, edits: MachineEdits | undefined): MachinePlan {
  if (!edits) return plan;
  const out: MachinePlan = { ...plan, disks: plan.disks.map((d) => ({ ...d })), nics: [...plan.nics], opticals: [...plan.opticals] };
  if (edits.name !== undefined) {
    // The same rules as a new VM made by hand: no option- or id-shaped names, no bidi controls.
    const problems = newVmNameProblems(edits.name);
    if (problems.length) throw new HangarError('INVALID_INPUT', problems.join('; '));
    out.name = edits.name;
  }
  if (edits.osType !== undefined) {
    if (!getOsType(edits.osType)) throw invalidInput([{ path: 'osType', message: `unknown OS type '${edits.osType}'`, code: UNKNOWN_OS_TYPE, data: { osType: edits.osType } }]);
    out.osType = edits.osType;
  }
  if (edits.cpus !== undefined) out.cpus = edits.cpus;
  if (edits.memoryMiB !== undefined) out.memoryMiB = edits.memoryMiB;
  if (edits.firmware !== undefined) {
    out.firmware = edits.firmware;
    // UEFI takes q35 along, whose AHCI takes the IDE devices (compose.ts's rule).
    const fitted = fitToChipset({ system: { chipset: out.chipset }, firmware: { type: out.firmware }, disks: out.disks, opticals: out.opticals }).config;
    out.chipset = fitted.system.chipset;
    out.disks = fitted.disks.map((d) => ({ ...d }));
    out.opticals = fitted.opticals.map((o) => ({ ...o }));
  }
  if (edits.disks && edits.disks.length > plan.disks.length) throw new HangarError('INVALID_INPUT', `the appliance has ${plan.disks.length} disks, the edits name ${edits.disks.length}`);
  edits.disks?.forEach((e, i) => {
    const d = out.disks[i]!;
    if (e.include !== undefined) d.include = e.include;
    if (e.bus !== undefined) d.bus = e.bus;
  });
  if (edits.nics && edits.nics.length > plan.nics.length) throw new HangarError('INVALID_INPUT', `the appliance has ${plan.nics.length} network cards, the edits name ${edits.nics.length}`);
  if (edits.nics) {
    out.nics = plan.nics.flatMap((n, i) => {
      const e = edits.nics?.[i];
      if (e?.include === false) return [];
      return [e?.model !== undefined ? { ...n, model: e.model } : n];
    });
  }
  // A disk the user put on IDE asks a BIOS machine for the pc chipset (q35 has no IDE); with UEFI it
  // stays the user's choice, and the review says it does not fit.
  const ide = out.disks.some((d) => d.include && d.bus === 'ide') || out.opticals.some((o) => o.bus === 'ide');
  out.chipset = chipsetFor({ firmware: out.firmware, preferred: out.chipset, ideNeeded: ide });
  return out;
}

/** `name`, or `name (2)`, `name (3)`, … : the first that `taken` does not claim. */
export function uniqueName(name: string, taken: (candidate: string) => boolean): string {
  if (!taken(name)) return name;
  for (let i = 2; ; i++) {
    const suffix = ` (${i})`;
    const candidate = [...name].slice(0, 128 - suffix.length).join('') + suffix;
    if (!taken(candidate)) return candidate;
  }
}

export interface ConfigPaths {
  id: string;
  /** the image path of each included disk, in plan order */
  diskPaths: string[];
  /** the ISO path of each optical drive that has a file (null for an empty drive), in plan order */
  isoPaths: (string | null)[];
  /** one MAC per NIC, in plan order */
  macs: string[];
  /** the Hangar network id of each NIC, in plan order (absent or undefined: user-mode NAT) */
  networks?: (string | undefined)[];
}

/** The configuration an imported machine is registered with, validated (composed as any new VM's). */
export function configFromPlan(m: MachinePlan, p: ConfigPaths): VmConfig {
  const included = m.disks.filter((d) => d.include);
  if (included.length !== p.diskPaths.length) throw new HangarError('INTERNAL', 'one image path per included disk is needed');
  const composed = composeConfig({
    id: p.id,
    name: m.name,
    osType: m.osType,
    description: m.description.slice(0, 4096),
    system: { chipset: m.chipset, cpus: m.cpus, memoryMiB: m.memoryMiB, accel: 'auto' },
    firmware: m.firmware,
    disks: included.map((d, i) => ({ bus: d.bus, path: p.diskPaths[i]!, format: 'qcow2' as const })),
    opticals: m.opticals.map((o, i) => ({ bus: o.bus, path: p.isoPaths[i] ?? null })),
    nics: m.nics.map((n, i) => ({ model: n.model, mac: p.macs[i]!, ...(p.networks?.[i] !== undefined ? { network: p.networks[i] } : {}) })),
    // The review fitted the machine already; what the person chose against it is reported.
    fit: 'none',
  });
  if (!composed.ok) throw new HangarError('INVALID_INPUT', `${m.name || 'the machine'}: ${formatIssues(composed.issues)}`, { details: { issues: composed.issues } });
  return composed.value;
}

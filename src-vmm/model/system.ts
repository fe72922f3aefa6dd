// The machine itself: chipset, vCPUs, memory, accelerator.
import { z } from 'zod';
import { choiceValues, describeChoices } from './choice.js';
import { MAX_CPUS, MAX_MEMORY_MIB, MIN_MEMORY_MIB } from './limits.js';

export const CHIPSETS = [
  { value: 'pc', label: 'i440FX (PC, legacy)' },
  { value: 'q35', label: 'Q35 (PCI Express)' },
] as const;
export type Chipset = (typeof CHIPSETS)[number]['value'];

/** 'auto' picks KVM when the host's probe boot says it works, else TCG. */
export const ACCELS = [
  { value: 'auto', label: 'Automatic' },
  { value: 'kvm', label: 'KVM (hardware)' },
  { value: 'tcg', label: 'TCG (emulation)' },
] as const;
export type Accel = (typeof ACCELS)[number]['value'];

export const SystemSection = z
  .object({
    chipset: z.enum(choiceValues(CHIPSETS), { error: `chipset must be ${describeChoices(CHIPSETS)}` }),
    cpus: z
      .number({ error: 'CPU count must be a number' })
      .int('CPU count must be a whole number')
      .min(1, 'a VM needs at least 1 CPU')
      .max(MAX_CPUS, `a VM can have at most ${MAX_CPUS} CPUs`),
    memoryMiB: z
      .number({ error: 'memory must be a number of MiB' })
      .int('memory must be a whole number of MiB')
      .min(MIN_MEMORY_MIB, `memory must be at least ${MIN_MEMORY_MIB} MiB`)
      .max(MAX_MEMORY_MIB, `memory must be at most ${MAX_MEMORY_MIB} MiB`),
    accel: z.enum(choiceValues(ACCELS), { error: `accelerator must be ${describeChoices(ACCELS)}` }),
  })
  .strict();
export type SystemSection = z.infer<typeof SystemSection>;

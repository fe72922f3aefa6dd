// VM lifecycle states, shared by the VMM host, the owner, the CLI and the interface.
import { z } from 'zod';

export const VM_STATES = ['stopped', 'starting', 'running', 'paused', 'stopping', 'saved', 'aborted'] as const;
export const VmState = z.enum(VM_STATES);
export type VmState = z.infer<typeof VmState>;

/** States in which a VMM host process (and QEMU) exists for the VM. */
export const ACTIVE_STATES: readonly VmState[] = ['starting', 'running', 'paused', 'stopping'];

export function isActive(state: VmState): boolean {
  return ACTIVE_STATES.includes(state);
}

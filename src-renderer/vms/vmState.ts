// VM states as the interface shows them, and which actions each state allows. The rules mirror the
// owner's checks (src-main/vms/vmService.node.ts) and the VMM host's state machine
// (src-vmm/host/lifecycle.ts), so a button is enabled exactly when the API would accept the call.
import { isActive, type VmState } from '../../src-vmm/protocol/states.js';

export type ChipColor = 'default' | 'primary' | 'secondary' | 'error' | 'info' | 'success' | 'warning';

export function stateLabel(state: VmState): string {
  switch (state) {
    case 'stopped':
      return 'Stopped';
    case 'starting':
      return 'Starting';
    case 'running':
      return 'Running';
    case 'paused':
      return 'Paused';
    case 'stopping':
      return 'Stopping';
    case 'saved':
      return 'Saved';
    case 'aborted':
      return 'Aborted';
  }
}

export function stateColor(state: VmState): ChipColor {
  switch (state) {
    case 'stopped':
      return 'default';
    case 'starting':
    case 'stopping':
      return 'info';
    case 'running':
      return 'success';
    case 'paused':
      return 'warning';
    case 'saved':
      return 'secondary';
    case 'aborted':
      return 'error';
  }
}

/** The actions of the main toolbar and its Stop menu. */
export const VM_ACTIONS = ['start', 'pause', 'resume', 'stop', 'powerOff', 'reset', 'save', 'delete', 'settings'] as const;
export type VmAction = (typeof VM_ACTIONS)[number];

/** The actions a VM in this state accepts: one exhaustive switch. */
export function allowedVmActions(state: VmState): readonly VmAction[] {
  switch (state) {
    case 'stopped':
    case 'saved':
    case 'aborted':
      return ['start', 'delete', 'settings'];
    case 'starting':
      return ['powerOff', 'settings'];
    case 'running':
      return ['pause', 'stop', 'powerOff', 'reset', 'save', 'settings'];
    case 'paused':
      return ['resume', 'powerOff', 'reset', 'save', 'settings'];
    case 'stopping':
      return ['powerOff', 'settings'];
  }
}

export function canDo(state: VmState | undefined, action: VmAction): boolean {
  return state !== undefined && allowedVmActions(state).includes(action);
}

/**
 * Why the hardware of a VM cannot be changed now, in the API's words; null when it can. The name and
 * description can always be changed.
 */
export function hardwareLockReason(vm: { name: string; state: VmState }): string | null {
  if (vm.state === 'saved') return `VM '${vm.name}' has a saved state: start it and shut it down before changing its hardware`;
  if (isActive(vm.state)) return `VM '${vm.name}' is ${vm.state}: stop it before changing its hardware`;
  return null;
}

/** Whether the VM has a QEMU process whose console and display can be shown live. */
export function hasLiveGuest(state: VmState): boolean {
  return state === 'running' || state === 'paused' || state === 'starting' || state === 'stopping';
}

const ACTION_WORDS: Record<VmAction, string> = {
  start: 'started',
  pause: 'paused',
  resume: 'resumed',
  stop: 'shut down',
  powerOff: 'powered off',
  reset: 'reset',
  save: 'saved',
  delete: 'deleted',
  settings: 'changed',
};

/**
 * Why a toolbar action is greyed out, for its tooltip; null when it is allowed. `online`: the page
 * is connected to the owner (nothing can be done while it is not).
 */
export function actionBlockReason(vm: { name: string; state: VmState } | null, action: VmAction, online = true): string | null {
  if (!online) return 'Not connected to Hangar';
  if (!vm) return 'Select a virtual machine first';
  if (canDo(vm.state, action)) return null;
  const name = `“${vm.name}”`;
  switch (action) {
    case 'start':
      return `${name} is already ${stateLabel(vm.state).toLowerCase()}`;
    case 'delete':
      return vm.state === 'starting' || vm.state === 'stopping'
        ? `${name} is ${vm.state}: wait until it has settled, then stop it to delete it`
        : `${name} is ${stateLabel(vm.state).toLowerCase()}: shut it down (or power it off) before deleting it`;
    case 'resume':
      return `${name} is not paused`;
    case 'pause':
    case 'stop':
    case 'reset':
    case 'save':
    case 'powerOff':
      return vm.state === 'paused' && action === 'stop' ? `${name} is paused: resume it first, or power it off` : `${name} is ${stateLabel(vm.state).toLowerCase()}: it cannot be ${ACTION_WORDS[action]} now`;
    case 'settings':
      return `${name} is ${stateLabel(vm.state).toLowerCase()}`;
  }
}

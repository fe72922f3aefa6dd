// The VMM host's state machine (pure): which action each state allows, and how a QEMU exit ends the VM.
import { HangarError } from '../base/errors.js';
import type { HostApi } from '../protocol/contract.js';
import type { VmState } from '../protocol/states.js';

/**
 * The host's actions are its contract's methods, named without `host.`: adding a method to the
 * contract adds an action, which every switch below must then place. `host.status` is always allowed.
 */
export type HostAction = Exclude<keyof HostApi, 'host.status'> extends `host.${infer A}` ? A : never;

/** The actions each state allows: one exhaustive switch, as Firecracker's API controllers do. */
export function allowedActions(state: VmState): readonly HostAction[] {
  switch (state) {
    case 'starting':
      return ['boot', 'powerOff', 'consoleWrite', 'openImages', 'guestInfo', 'nbdExport', 'stats'];
    case 'running':
      return ['powerdown', 'powerOff', 'pause', 'reset', 'save', 'snapshotLive', 'switchBack', 'blockStream', 'blockCommit', 'openImages', 'screendump', 'consoleWrite', 'guestInfo', 'guestExec', 'guestShutdown', 'nicAdd', 'nicRemove', 'nicLink', 'nicForwards', 'diskResize', 'usbAttach', 'usbDetach', 'migrate', 'stats'];
    case 'paused':
      return ['resume', 'powerOff', 'reset', 'save', 'snapshotLive', 'switchBack', 'blockStream', 'blockCommit', 'openImages', 'screendump', 'guestInfo', 'nicAdd', 'nicRemove', 'nicLink', 'nicForwards', 'diskResize', 'usbAttach', 'usbDetach', 'stats'];
    case 'stopping':
      // A guest that shuts down while a live snapshot fails still writes to the new overlays until QEMU
      // exits: switching back must stay possible. A guest that ignored the ACPI button is asked through its agent.
      return ['powerOff', 'consoleWrite', 'screendump', 'switchBack', 'openImages', 'guestInfo', 'guestShutdown', 'stats'];
    case 'stopped':
    case 'saved':
    case 'aborted':
      return [];
  }
}

const HINTS: Partial<Record<HostAction, Partial<Record<VmState, string>>>> = {
  powerdown: { paused: 'resume it first, or power it off', starting: 'wait until it runs, or power it off' },
  pause: { paused: 'it is already paused', stopping: 'it is shutting down' },
  resume: { running: 'it is not paused' },
  save: { stopping: 'it is shutting down' },
  consoleWrite: { paused: 'resume it first' },
  guestExec: { paused: 'resume it first (the guest agent runs in the guest)' },
  migrate: { paused: 'resume it first' },
};

export function checkAction(state: VmState, action: HostAction): void {
  if (allowedActions(state).includes(action)) return;
  const hint = HINTS[action]?.[state];
  throw new HangarError('STATE_CONFLICT', `cannot ${describeAction(action)} while the VM is ${state}${hint ? `: ${hint}` : ''}`, {
    details: { state, action },
  });
}

export function describeAction(action: HostAction): string {
  switch (action) {
    case 'boot':
      return 'boot';
    case 'powerdown':
      return 'send the ACPI power button';
    case 'powerOff':
      return 'power off';
    case 'pause':
      return 'pause';
    case 'resume':
      return 'resume';
    case 'reset':
      return 'reset';
    case 'save':
      return 'save the state';
    case 'screendump':
      return 'take a screenshot';
    case 'consoleWrite':
      return 'type into the console';
    case 'snapshotLive':
      return 'take a live snapshot';
    case 'switchBack':
      return 'switch the disks back from a failed snapshot';
    case 'blockStream':
      return 'merge disk images';
    case 'blockCommit':
      return 'commit a disk image into the one below it';
    case 'openImages':
      return 'list the images QEMU has open';
    case 'guestInfo':
      return 'ask the guest agent';
    case 'guestExec':
      return 'run a command in the guest';
    case 'guestShutdown':
      return 'ask the guest agent to shut down';
    case 'nicAdd':
      return 'plug in a network card';
    case 'nicRemove':
      return 'unplug a network card';
    case 'nicLink':
      return "change a network card's cable";
    case 'nicForwards':
      return 'change port forwards';
    case 'diskResize':
      return 'resize a disk';
    case 'usbAttach':
      return 'plug in a USB device';
    case 'usbDetach':
      return 'unplug a USB device';
    case 'stats':
      return 'read performance samples';
    case 'migrate':
      return 'migrate';
    case 'nbdExport':
      return 'export its disks for a migration';
  }
}

export interface QemuExitFacts {
  code: number | null;
  signal: string | null;
  /** the SHUTDOWN event QEMU sent before exiting, if any */
  shutdown: { guest: boolean; reason: string } | null;
  /** a save to file completed before QEMU was told to quit */
  saveCompleted: boolean;
  /** the owner asked for power-off (quit) */
  powerOffRequested: boolean;
  /** QEMU never reached the point where QMP answered */
  launchFailed: boolean;
  stderrTail: string[];
  /** a helper (virtiofsd, swtpm) ended while the VM ran, and the host stopped QEMU for it */
  helperFailure?: string;
}

/** How the VM ended, from the facts of QEMU's exit. */
export function finalState(f: QemuExitFacts): { state: VmState; reason?: string } {
  const tail = f.stderrTail.filter((l) => l.trim() !== '').slice(-3).join(' | ');
  const withTail = (s: string) => (tail ? `${s}; QEMU said: ${tail}` : s);
  if (f.helperFailure) return { state: 'aborted', reason: f.helperFailure };
  if (f.launchFailed) {
    return { state: 'aborted', reason: withTail(`QEMU failed to start (${describeExit(f)})`) };
  }
  if (f.saveCompleted && f.code === 0) return { state: 'saved' };
  if (f.code === 0 && (f.shutdown !== null || f.powerOffRequested)) {
    if (f.powerOffRequested) return { state: 'stopped', reason: 'powered off' };
    return { state: 'stopped', reason: f.shutdown?.guest ? 'the guest shut down' : `QEMU shut down (${f.shutdown?.reason})` };
  }
  return { state: 'aborted', reason: withTail(`QEMU exited unexpectedly (${describeExit(f)})`) };
}

function describeExit(f: { code: number | null; signal: string | null }): string {
  if (f.signal) return `killed by ${f.signal}`;
  return `exit code ${f.code}`;
}

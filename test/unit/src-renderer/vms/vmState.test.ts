import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { VM_STATES, isActive, type VmState } from '../../../../src-vmm/protocol/states.js';
import { allowedActions } from '../../../../src-vmm/host/lifecycle.js';
import { actionBlockReason, allowedVmActions, canDo, hardwareLockReason, hasLiveGuest, stateColor, stateLabel, VM_ACTIONS } from '../../../../src-renderer/vms/vmState.js';

describe('state chip', () => {
  test('every state has its label and colour', () => {
    const table = Object.fromEntries(VM_STATES.map((s) => [s, [stateLabel(s), stateColor(s)]]));
    assert.deepEqual(table, {
      stopped: ['Stopped', 'default'],
      starting: ['Starting', 'info'],
      running: ['Running', 'success'],
      paused: ['Paused', 'warning'],
      stopping: ['Stopping', 'info'],
      saved: ['Saved', 'secondary'],
      aborted: ['Aborted', 'error'],
    });
  });
});

describe('toolbar actions per state', () => {
  test('the table of enabled actions', () => {
    const table = Object.fromEntries(VM_STATES.map((s) => [s, [...allowedVmActions(s)].sort()]));
    assert.deepEqual(table, {
      stopped: ['delete', 'settings', 'start'],
      starting: ['powerOff', 'settings'],
      running: ['pause', 'powerOff', 'reset', 'save', 'settings', 'stop'],
      paused: ['powerOff', 'reset', 'resume', 'save', 'settings'],
      stopping: ['powerOff', 'settings'],
      saved: ['delete', 'settings', 'start'],
      aborted: ['delete', 'settings', 'start'],
    });
  });

  test('agree with the API: the VMM host state machine and the owner start/delete rules', () => {
    const hostActionOf = { pause: 'pause', resume: 'resume', stop: 'powerdown', powerOff: 'powerOff', reset: 'reset', save: 'save' } as const;
    for (const state of VM_STATES) {
      for (const [ui, host] of Object.entries(hostActionOf)) {
        assert.equal(canDo(state, ui as keyof typeof hostActionOf), allowedActions(state).includes(host), `${ui} in ${state}`);
      }
      // The owner refuses start and delete for an active VM and nothing else.
      assert.equal(canDo(state, 'start'), !isActive(state), `start in ${state}`);
      assert.equal(canDo(state, 'delete'), !isActive(state), `delete in ${state}`);
      assert.equal(canDo(state, 'settings'), true);
    }
  });

  test('nothing is enabled without a VM', () => {
    for (const a of VM_ACTIONS) assert.equal(canDo(undefined, a), false);
  });
});

describe('hardware lock', () => {
  test('in the API words, only for saved and active VMs', () => {
    const reasons = Object.fromEntries(VM_STATES.map((s: VmState) => [s, hardwareLockReason({ name: 'web', state: s })]));
    assert.deepEqual(reasons, {
      stopped: null,
      aborted: null,
      saved: "VM 'web' has a saved state: start it and shut it down before changing its hardware",
      starting: "VM 'web' is starting: stop it before changing its hardware",
      running: "VM 'web' is running: stop it before changing its hardware",
      paused: "VM 'web' is paused: stop it before changing its hardware",
      stopping: "VM 'web' is stopping: stop it before changing its hardware",
    });
  });

  test('a live guest exists in the active states', () => {
    for (const s of VM_STATES) assert.equal(hasLiveGuest(s), isActive(s), s);
  });
});

describe('why a toolbar button is greyed out', () => {
  test('each refusal says why, in words about the VM', () => {
    const web = (state: VmState) => ({ name: 'web', state });
    assert.equal(actionBlockReason(null, 'delete'), 'Select a virtual machine first');
    assert.equal(actionBlockReason(web('running'), 'delete', false), 'Not connected to Hangar');
    assert.equal(actionBlockReason(web('running'), 'delete'), '“web” is running: shut it down (or power it off) before deleting it');
    assert.equal(actionBlockReason(web('stopping'), 'delete'), '“web” is stopping: wait until it has settled, then stop it to delete it');
    assert.equal(actionBlockReason(web('running'), 'start'), '“web” is already running');
    assert.equal(actionBlockReason(web('paused'), 'stop'), '“web” is paused: resume it first, or power it off');
    assert.equal(actionBlockReason(web('stopped'), 'delete'), null);
    for (const s of VM_STATES) for (const a of VM_ACTIONS) assert.equal(actionBlockReason(web(s), a) === null, canDo(s, a), `${s}/${a}`);
  });
});

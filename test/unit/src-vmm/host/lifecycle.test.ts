import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedActions, checkAction, describeAction, finalState, type HostAction, type QemuExitFacts } from '../../../../src-vmm/host/lifecycle.js';
import { hostApi } from '../../../../src-vmm/protocol/contract.js';
import { VM_STATES } from '../../../../src-vmm/protocol/states.js';

/** The contract's methods as actions (host.status, always allowed, aside). */
const ACTIONS = Object.keys(hostApi)
  .filter((m) => m !== 'host.status')
  .map((m) => m.slice('host.'.length) as HostAction);
import { HangarError } from '../../../../src-vmm/base/errors.js';

const exit = (f: Partial<QemuExitFacts>): QemuExitFacts => ({
  code: 0,
  signal: null,
  shutdown: null,
  saveCompleted: false,
  powerOffRequested: false,
  launchFailed: false,
  stderrTail: [],
  ...f,
});

describe('VMM host lifecycle', () => {
  test('each state allows its own actions only', () => {
    assert.ok(allowedActions('running').includes('pause'));
    assert.ok(!allowedActions('paused').includes('pause'));
    assert.ok(allowedActions('paused').includes('resume'));
    assert.ok(!allowedActions('running').includes('resume'));
    for (const s of ['stopped', 'saved', 'aborted'] as const) assert.deepEqual(allowedActions(s), []);
    for (const s of VM_STATES) assert.ok(Array.isArray(allowedActions(s)));
  });

  test('every action of the contract has its place: some state allows it, and it says what it does', () => {
    for (const a of ACTIONS) {
      assert.ok(VM_STATES.some((s) => allowedActions(s).includes(a)), `${a} is allowed somewhere`);
      assert.ok(describeAction(a).length > 0);
    }
    assert.equal(new Set(ACTIONS.map(describeAction)).size, ACTIONS.length, 'each description names one action');
    for (const s of VM_STATES) for (const a of allowedActions(s)) assert.ok(ACTIONS.includes(a), `${s} allows ${a}, an action of the contract`);
  });

  test('block jobs run only while QEMU holds the disks; switching back from a failed snapshot also while the guest shuts down', () => {
    const allowing = (a: HostAction) => VM_STATES.filter((s) => allowedActions(s).includes(a));
    assert.deepEqual(allowing('blockStream'), ['running', 'paused']);
    assert.deepEqual(allowing('blockCommit'), ['running', 'paused']);
    assert.deepEqual(allowing('snapshotLive'), ['running', 'paused']);
    assert.deepEqual(allowing('switchBack'), ['running', 'paused', 'stopping']);
    assert.deepEqual(allowing('openImages'), ['starting', 'running', 'paused', 'stopping']);
    assert.throws(() => checkAction('starting', 'blockStream'), /cannot merge disk images while the VM is starting/);
  });

  test('an illegal action is a STATE_CONFLICT naming the state', () => {
    assert.throws(
      () => checkAction('paused', 'powerdown'),
      (e: unknown) => e instanceof HangarError && e.code === 'STATE_CONFLICT' && /while the VM is paused: resume it first/.test(e.message),
    );
    assert.doesNotThrow(() => checkAction('running', 'save'));
  });

  test('how a QEMU exit ends the VM', () => {
    assert.deepEqual(finalState(exit({ saveCompleted: true })), { state: 'saved' });
    assert.equal(finalState(exit({ shutdown: { guest: true, reason: 'guest-shutdown' } })).state, 'stopped');
    assert.match(finalState(exit({ shutdown: { guest: true, reason: 'guest-shutdown' } })).reason!, /guest shut down/);
    assert.deepEqual(finalState(exit({ powerOffRequested: true, shutdown: { guest: false, reason: 'host-qmp-quit' } })), { state: 'stopped', reason: 'powered off' });
    const killed = finalState(exit({ code: null, signal: 'SIGKILL', stderrTail: ['', 'qemu: terminating on signal 9'] }));
    assert.equal(killed.state, 'aborted');
    assert.match(killed.reason!, /killed by SIGKILL\); QEMU said: qemu: terminating on signal 9/);
    const crashed = finalState(exit({ code: 1, stderrTail: ['qemu-system-x86_64: -device foo: not found'] }));
    assert.equal(crashed.state, 'aborted');
    assert.match(crashed.reason!, /exit code 1/);
    const failed = finalState(exit({ code: 1, launchFailed: true, stderrTail: ['could not open disk'] }));
    assert.match(failed.reason!, /failed to start.*could not open disk/);
    // a save that completed but whose QEMU then crashed is not a clean save
    assert.equal(finalState(exit({ saveCompleted: true, code: null, signal: 'SIGSEGV' })).state, 'aborted');
  });
});

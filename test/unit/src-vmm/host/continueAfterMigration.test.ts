// Running a guest again after its state went out by migration. QEMU says 'completed' a moment before
// it leaves finish-migrate; a cont in that window is refused and the guest would stay paused in
// postmigrate. QEMU is a stand-in here that keeps a run state and answers as QEMU 7.2 does (its
// refusal text included); the real window is shown in the README's field notes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { continueAfterMigration } from '../../../../src-vmm/host/migration.node.js';
import { QmpCommandError } from '../../../../src-vmm/qmp/errors.js';
import type { QmpClient } from '../../../../src-vmm/qmp/client.node.js';

/** A QEMU stand-in: `finishing` status queries pass in finish-migrate before it becomes postmigrate. */
function stubQemu(o: { start: string; finishing?: number; contRefusal?: string }) {
  let status = o.start;
  let finishing = o.finishing ?? 0;
  const sent: string[] = [];
  const qmp = {
    execute: async (cmd: string) => {
      sent.push(cmd);
      if (cmd === 'query-status') {
        const now = status;
        if (status === 'finish-migrate' && --finishing <= 0) status = 'postmigrate';
        return { status: now, running: now === 'running', singlestep: false };
      }
      if (cmd === 'cont') {
        if (status === 'finish-migrate') throw new QmpCommandError('cont', 'GenericError', 'Migration is not finalized yet');
        if (o.contRefusal) throw new QmpCommandError('cont', 'GenericError', o.contRefusal);
        status = 'running';
        return {};
      }
      throw new Error(`unexpected ${cmd}`);
    },
  };
  return { qmp: qmp as unknown as Pick<QmpClient, 'execute'>, sent, status: () => status };
}

describe('continuing a guest after its state was saved by migration', () => {
  test('still finishing the migration: waits it out, then continues once; the guest runs', async () => {
    const q = stubQemu({ start: 'finish-migrate', finishing: 3 });
    await continueAfterMigration(q.qmp, { pollMs: 1 });
    assert.equal(q.status(), 'running');
    assert.equal(q.sent.filter((c) => c === 'cont').length, 1, `one cont, sent after the window (${q.sent.join(' ')})`);
    assert.deepEqual(q.sent.slice(-3), ['query-status', 'cont', 'query-status'], 'the running state is confirmed by QEMU');
  });

  test('a cont refused inside the window (as the race has it) is tried again, not lost', async () => {
    // The first query sees postmigrate, but QEMU is still finishing by the time cont arrives.
    let status = 'postmigrate';
    let refusals = 0;
    const qmp = {
      execute: async (cmd: string) => {
        if (cmd === 'query-status') return { status, running: status === 'running', singlestep: false };
        if (refusals === 0) {
          refusals++;
          throw new QmpCommandError('cont', 'GenericError', 'Migration is not finalized yet');
        }
        status = 'running';
        return {};
      },
    } as unknown as Pick<QmpClient, 'execute'>;
    await continueAfterMigration(qmp, { pollMs: 1 });
    assert.equal(status, 'running');
    assert.equal(refusals, 1);
  });

  test('paused (no migration, or a background snapshot that resumed): one cont; running already: none', async () => {
    const paused = stubQemu({ start: 'postmigrate' });
    await continueAfterMigration(paused.qmp, { pollMs: 1 });
    assert.deepEqual(paused.sent, ['query-status', 'cont', 'query-status']);
    const running = stubQemu({ start: 'running' });
    await continueAfterMigration(running.qmp, { pollMs: 1 });
    assert.deepEqual(running.sent, ['query-status']);
  });

  test('another refusal is not waited out: it is the error, and the guest stays as it was', async () => {
    const q = stubQemu({ start: 'internal-error', contRefusal: 'Resetting the Virtual Machine is required' });
    await assert.rejects(continueAfterMigration(q.qmp, { pollMs: 1 }), /Resetting the Virtual Machine is required/);
    assert.equal(q.sent.filter((c) => c === 'cont').length, 1);
    assert.equal(q.status(), 'internal-error');
  });

  test('a QEMU that never leaves finish-migrate: bounded, and the error names the state', async () => {
    const q = stubQemu({ start: 'finish-migrate', finishing: Number.POSITIVE_INFINITY });
    await assert.rejects(continueAfterMigration(q.qmp, { pollMs: 1, maxPolls: 25 }), /did not run again.*'finish-migrate'/);
    assert.equal(q.sent.filter((c) => c === 'query-status').length, 25);
    assert.equal(q.sent.filter((c) => c === 'cont').length, 0, 'no cont while QEMU would refuse it');
  });
});

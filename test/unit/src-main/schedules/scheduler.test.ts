// The scheduler on a manual clock, over a real SQLite inventory: it takes a snapshot each period while
// the VM runs and prunes its own automatic ones to `keep` (never one a person renamed, never a manual
// one), skips a stopped VM quietly and a busy one with a failed task saying why. The snapshot service is a
// stand-in that records snapshot rows (the real one is exercised with a real guest in test/integration/stats-schedule).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openHangarInventory } from '../../../../src-main/inventory/hangarInventory.node.js';
import { TaskRunner } from '../../../../src-main/tasks/taskRunner.js';
import { ManualClock } from '../../../../src-main/schedules/clock.js';
import { Scheduler } from '../../../../src-main/schedules/scheduler.node.js';
import type { SnapshotService } from '../../../../src-main/snapshots/snapshotService.node.js';
import type { TaskInfo } from '../../../../src-main/api/contract.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { sampleConfig } from '../../../helpers/sampleConfig.js';

const MIN = 60_000;

describe('the scheduler, on a manual clock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-scheduler-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const setUp = () => {
    const inventory = openHangarInventory(join(dir, `${randomUUID()}.sqlite`), () => undefined);
    const vm = inventory.vms.insert({ config: sampleConfig({ id: randomUUID(), name: 'web' }), state: 'running' });
    const events: TaskInfo[] = [];
    const tasks = new TaskRunner({ create: () => undefined, update: () => undefined, finish: () => undefined }, (i) => events.push(i));
    const clock = new ManualClock(new Date(2026, 11, 6, 12, 0).getTime());
    const taken: string[] = [];
    const deleted: string[] = [];
    const snapshots = {
      take: async (ref: string, input: { name: string }) =>
        tasks.run('snapshot.take', inventory.vms.get(ref)!, {}, async () => {
          const s = inventory.snapshots.insert({ id: randomUUID(), vmId: ref, parentId: null, name: input.name, createdAt: new Date(clock.now()).toISOString(), config: vm.config, live: true, disks: [] });
          taken.push(s.name);
          return { id: s.id, name: s.name };
        }),
      delete: async (ref: string, snap: string) =>
        tasks.run('snapshot.delete', inventory.vms.get(ref)!, {}, async () => {
          deleted.push(inventory.snapshots.get(snap)!.name);
          inventory.snapshots.delete(snap);
        }),
    } as unknown as SnapshotService;
    const scheduler = new Scheduler({ inventory, snapshots, tasks, find: (ref) => inventory.vms.get(ref) ?? inventory.vms.list().find((v) => v.name === ref)!, clock, log: () => undefined, changed: () => undefined });
    scheduler.start();
    return { inventory, vm, tasks, events, taken, deleted, clock, scheduler };
  };

  test('every period a snapshot named auto …; beyond keep the oldest automatic ones go, by the delete', async () => {
    const { inventory, vm, taken, deleted, clock, scheduler } = setUp();
    inventory.snapshots.insert({ id: randomUUID(), vmId: vm.id, parentId: null, name: 'before the upgrade', config: vm.config, live: false, disks: [] });
    scheduler.set('web', '30m', 2);
    clock.advance(29 * MIN);
    await scheduler.idle();
    assert.deepEqual(taken, [], 'nothing before the period is over');
    for (let i = 0; i < 4; i++) {
      clock.advance(30 * MIN + (i === 0 ? MIN : 0));
      await scheduler.idle();
    }
    // due at 12:30, run when the clock got there (13:00), then every 30 minutes from that run
    assert.deepEqual(taken, ['auto 2026-12-06 13:00', 'auto 2026-12-06 13:30', 'auto 2026-12-06 14:00', 'auto 2026-12-06 14:30']);
    assert.deepEqual(deleted, ['auto 2026-12-06 13:00', 'auto 2026-12-06 13:30']);
    assert.deepEqual(inventory.snapshots.listForVm(vm.id).map((s) => s.name).sort(), ['auto 2026-12-06 14:00', 'auto 2026-12-06 14:30', 'before the upgrade'], 'the manual snapshot stays');
    const info = scheduler.info(vm.id)!;
    assert.equal(info.automaticSnapshots, 2);
    assert.match(info.lastResult!, /took 'auto 2026-12-06 14:30'; deleted 'auto 2026-12-06 13:30'/);
    assert.equal(Date.parse(info.nextRunAt), clock.now() + 30 * MIN);
    scheduler.dispose();
    inventory.close();
  });

  test('an automatic snapshot a person renamed is kept, and not counted', async () => {
    const { inventory, vm, clock, scheduler } = setUp();
    scheduler.set('web', '1h', 1);
    clock.advance(60 * MIN);
    await scheduler.idle();
    const first = inventory.snapshots.listForVm(vm.id)[0]!;
    inventory.snapshots.update(first.id, { name: 'good state' });
    clock.advance(60 * MIN);
    await scheduler.idle();
    clock.advance(60 * MIN);
    await scheduler.idle();
    assert.deepEqual(inventory.snapshots.listForVm(vm.id).map((s) => s.name).sort(), ['auto 2026-12-06 15:00', 'good state']);
    scheduler.dispose();
    inventory.close();
  });

  test('a busy VM is skipped, with a failed task saying with what; a stopped one quietly; the next period runs again', async () => {
    const { inventory, vm, tasks, events, taken, clock, scheduler } = setUp();
    scheduler.set('web', '2h', 3);
    let release!: () => void;
    const holding = tasks.run('vm.clone.full', vm, {}, () => new Promise<void>((r) => (release = r)));
    clock.advance(120 * MIN);
    await scheduler.idle();
    release();
    await holding;
    assert.deepEqual(taken, []);
    const skipped = events.filter((e) => e.kind === 'schedule.snapshot' && e.state === 'failed').at(-1);
    assert.match(skipped?.error ?? '', /scheduled snapshot skipped: VM 'web' is busy/);
    assert.match(scheduler.info(vm.id)!.lastResult!, /skipped: VM 'web' is busy/);

    inventory.vms.setState(vm.id, 'stopped');
    const before = events.length;
    clock.advance(120 * MIN);
    await scheduler.idle();
    assert.equal(events.length, before, 'no task for a VM that does not run');
    assert.match(scheduler.info(vm.id)!.lastResult!, /the VM was stopped/);

    inventory.vms.setState(vm.id, 'running');
    clock.advance(120 * MIN);
    await scheduler.idle();
    assert.equal(taken.length, 1);
    scheduler.dispose();
    inventory.close();
  });

  test('bad input is refused with nothing changed; off removes the schedule', () => {
    const { inventory, vm, scheduler } = setUp();
    assert.throws(() => scheduler.set('web', '5s', 2), (e: HangarError) => e.code === 'INVALID_INPUT');
    assert.throws(() => scheduler.set('web', '1h', 0), (e: HangarError) => e.code === 'INVALID_INPUT');
    assert.equal(scheduler.info(vm.id), null);
    scheduler.set('web', '1d', 7);
    assert.equal(scheduler.info(vm.id)!.every, '1d');
    assert.equal(scheduler.off('web').schedule, null);
    scheduler.dispose();
    inventory.close();
  });
});

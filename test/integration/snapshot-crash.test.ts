// Crash safety of snapshot operations: the owner is killed with SIGKILL at each step of take, restore and
// delete, rebasing or committing down (fault points enabled only by HANGAR_TEST=1 + HANGAR_FAULT). After a restart the inventory and
// the files agree, qemu-img check passes on every image, and every snapshot restores with its data.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCli, tempHome, waitUntil } from '../helpers/cli.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

const MiB = 1 << 20;

describe('snapshot operations survive an owner killed at every step', () => {
  const { home, cleanup } = tempHome();
  const h = (...args: string[]) => runCli(home, args);
  const ok = async (...args: string[]) => {
    const r = await h(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  /** Runs a command in a fresh owner that kills itself at `fault`. */
  const crashAt = async (fault: string, ...args: string[]) => {
    await ok('shutdown', '--force');
    const r = await runCli(home, args, { env: { HANGAR_FAULT: fault, HANGAR_TEST: '1' } });
    assert.equal(r.code, 1, `the owner should have died at ${fault}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /connection closed|closed/);
  };
  const top = async () => (await ok('show', 'crash-vm', '--json')).json.disks[0].path as string;
  const write = async (pattern: number) => {
    const r = spawnSync('qemu-io', ['-f', 'qcow2', '-c', `write -P ${pattern} ${(40 + pattern) * MiB} ${MiB}`, await top()], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  };
  /** The current state holds exactly the patterns written up to `patterns`. */
  const holds = async (patterns: number[]) => {
    const file = await top();
    for (const p of [1, 2, 3, 4, 5]) {
      const want = patterns.includes(p) ? p : 0;
      const r = spawnSync('qemu-io', ['-r', '-U', '-f', 'qcow2', '-c', `read -P ${want} ${(40 + p) * MiB} ${MiB}`, file], { encoding: 'utf8' });
      assert.ok(r.status === 0 && !/verification failed/i.test(r.stdout), `pattern ${p} should read ${want} in ${file}: ${r.stdout}${r.stderr}`);
    }
  };
  const names = async () => ((await ok('snapshot', 'list', 'crash-vm', '--json')).json.snapshots as { name: string }[]).map((s) => s.name);
  const consistent = async () => {
    const shown = (await ok('show', 'crash-vm', '--json')).json;
    for (const d of shown.disks) for (const img of d.chain) assert.ok(existsSync(img), `${img} in the chain exists`);
    for (const f of readdirSync(join(shown.folder, 'disks'))) {
      const r = spawnSync('qemu-img', ['check', join(shown.folder, 'disks', f)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `qemu-img check ${f}: ${r.stdout}${r.stderr}`);
    }
  };

  after(async () => {
    await cleanup();
  });

  test('take, restore and delete, killed at each fault point', async () => {
    const disk = join(home, 'guest.qcow2');
    copyFileSync(fixtureGuest().disk, disk);
    await ok('create', '--name', 'crash-vm', '--disk-image', disk, '--memory', '256', '--nic', 'none');
    await write(1);
    await ok('snapshot', 'take', 'crash-vm', '--name', 'A');
    await write(2);
    await ok('snapshot', 'take', 'crash-vm', '--name', 'B');
    await write(3);
    await ok('snapshot', 'take', 'crash-vm', '--name', 'C');

    // take, killed before the inventory commit: nothing was taken
    await crashAt('snapshot-take-before-commit', 'snapshot', 'take', 'crash-vm', '--name', 'D');
    assert.deepEqual(await names(), ['A', 'B', 'C']);
    await consistent();
    await holds([1, 2, 3]);
    // take, killed after the commit: it was taken
    await write(4);
    await crashAt('snapshot-take-after-commit', 'snapshot', 'take', 'crash-vm', '--name', 'D');
    assert.deepEqual(await names(), ['A', 'B', 'C', 'D']);
    await consistent();
    await holds([1, 2, 3, 4]);

    // restore, killed before the commit: still where it was
    await crashAt('snapshot-restore-before-commit', 'snapshot', 'restore', 'crash-vm', 'A');
    await consistent();
    await holds([1, 2, 3, 4]);
    // restore, killed after the commit: restored
    await crashAt('snapshot-restore-after-commit', 'snapshot', 'restore', 'crash-vm', 'B');
    await consistent();
    await holds([1, 2]);
    assert.equal((await ok('snapshot', 'list', 'crash-vm', '--json')).json.currentSnapshotId, (await ok('snapshot', 'list', 'crash-vm', '--json')).json.snapshots[1].id);

    // delete, killed after merging into a child but before the commit: B is still there, and intact
    await crashAt('snapshot-delete-after-rebase', 'snapshot', 'delete', 'crash-vm', 'B');
    assert.deepEqual(await names(), ['A', 'B', 'C', 'D']);
    await consistent();
    await holds([1, 2]);
    // The start-up reconciliation shows the half-done merge (an image already based elsewhere) and fixes nothing.
    const problems = (await ok('show', 'crash-vm', '--json')).json.problems as string[] | undefined;
    assert.ok(problems?.some((p) => /is based on .* on disk, but on .* in the inventory/.test(p)), JSON.stringify(problems));
    // the same delete, run again, completes
    await ok('snapshot', 'delete', 'crash-vm', 'B');
    await waitUntil('the problem to be gone', async () => ((await ok('show', 'crash-vm', '--json')).json.problems === undefined ? true : undefined));
    assert.deepEqual(await names(), ['A', 'C', 'D']);
    await consistent();
    await holds([1, 2]);
    // delete, killed after the commit: it is gone, and every other state is whole
    await crashAt('snapshot-delete-after-commit', 'snapshot', 'delete', 'crash-vm', 'A');
    assert.deepEqual(await names(), ['C', 'D']);
    await consistent();

    // A delete that commits the child down (the current overlay holds less than the node): killed once the
    // inventory has let go of the snapshot, before the commit: it is gone, and the current state is whole.
    await write(5);
    await ok('snapshot', 'take', 'crash-vm', '--name', 'E');
    await crashAt('snapshot-delete-before-commit-down', 'snapshot', 'delete', 'crash-vm', 'E');
    assert.deepEqual(await names(), ['C', 'D']);
    await consistent();
    await holds([1, 2, 5]);
    // … and killed after the commit, before the node's image is renamed over the child's: the same.
    await write(3);
    await ok('snapshot', 'take', 'crash-vm', '--name', 'F');
    await crashAt('snapshot-delete-after-commit-down', 'snapshot', 'delete', 'crash-vm', 'F');
    assert.deepEqual(await names(), ['C', 'D']);
    await consistent();
    await holds([1, 2, 3, 5]);
    assert.equal((await ok('show', 'crash-vm', '--json')).json.problems, undefined, 'the inventory and the files agree');

    // Every remaining snapshot restores with its data and boots.
    await ok('snapshot', 'restore', 'crash-vm', 'C');
    await holds([1, 2, 3]);
    await ok('start', 'crash-vm', '--wait-serial', 'TESTGUEST DISK', '--timeout', '180');
    await ok('stop', 'crash-vm', '--force');
    await ok('snapshot', 'restore', 'crash-vm', 'D');
    await holds([1, 2, 3, 4]);
    await ok('start', 'crash-vm', '--wait-serial', 'TESTGUEST DISK', '--timeout', '180');
    await ok('stop', 'crash-vm', '--force');
    await consistent();
  });
});

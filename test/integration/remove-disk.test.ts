// vm.removeDisk (issue 23): a disk leaves a stopped VM; a running VM, a disk a snapshot holds and a
// disk other images are based on are refused with the reason; an image used in place is never
// deleted. Real owner, real qemu-img images, one short boot for the running case.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { HangarError } from '../../src-vmm/base/errors.js';
import { createClient, type Client } from '../../src-vmm/base/rpc.js';
import { connectUnix } from '../../src-vmm/base/socketTransport.node.js';
import { hangarApi, type HangarApi } from '../../src-main/api/contract.js';
import { homePaths } from '../../src-main/home.js';
import { runCli, tempHome } from '../helpers/cli.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

describe('vm.removeDisk', () => {
  const { home, cleanup } = tempHome('hangar-remove-disk-');
  let api: Client<HangarApi>;
  const ok = async (...args: string[]) => {
    const r = await runCli(home, args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const refused = async (input: Parameters<Client<HangarApi>['call']>[1], code: string, message: RegExp) => {
    await assert.rejects(api.call('vm.removeDisk', input as never), (e: unknown) => e instanceof HangarError && e.code === code && message.test(e.message));
  };

  before(async () => {
    await ok('host');
    api = createClient(await connectUnix(homePaths(home).ownerSocket), hangarApi);
  });
  after(async () => {
    api?.dispose();
    await cleanup();
  });

  test('a stopped VM loses the disk; a snapshot\'s disk, a clone\'s base and an image used in place are kept', async () => {
    const mine = join(home, 'mine.qcow2');
    copyFileSync(fixtureGuest().disk, mine);
    await ok('create', '--name', 'r', '--disk', '32M', '--nic', 'none', '--memory', '128');
    await ok('snapshot', 'take', 'r', '--name', 'base');
    await ok('modify', 'r', '--disk', '16M');
    await ok('modify', 'r', '--disk-image', mine);
    const shown = (await ok('show', 'r', '--json')).json as { disks: { id: string; path: string }[] };
    const disk1 = shown.disks.find((d) => d.id === 'disk1')!.path;

    await refused({ ref: 'r', diskId: 'disk0', deleteImage: true }, 'STATE_CONFLICT', /^disk 'disk0' of VM 'r' is part of snapshot 'base': restoring it needs the disk/);
    await refused({ ref: 'r', diskId: 'disk9', deleteImage: false }, 'NOT_FOUND', /VM 'r' has no disk 'disk9'/);
    await refused({ ref: 'r', diskId: 'disk2', deleteImage: true }, 'INVALID_INPUT', /used in place .*Hangar never deletes it/);

    const kept = await api.call('vm.removeDisk', { ref: 'r', diskId: 'disk2' });
    assert.deepEqual(kept, { id: kept.id, diskId: 'disk2', deletedFiles: [], keptFiles: [mine] });
    assert.equal(existsSync(mine), true);
    const gone = await api.call('vm.removeDisk', { ref: 'r', diskId: 'disk1', deleteImage: true });
    assert.deepEqual(gone.deletedFiles, [disk1]);
    assert.equal(existsSync(disk1), false);
    assert.deepEqual(((await ok('show', 'r', '--json')).json as { disks: { id: string }[] }).disks.map((d) => d.id), ['disk0']);
    // The image used in place can be given to a VM again: nothing holds it any more.
    await ok('modify', 'r', '--disk-image', mine);
  });

  test('a running VM keeps its disks', async () => {
    const g = fixtureGuest();
    await ok('create', '--name', 'live', '--kernel', g.kernel, '--initrd', g.initrd, '--append', 'console=ttyS0 quiet', '--disk', '16M', '--nic', 'none', '--memory', '128');
    await ok('start', 'live');
    await refused({ ref: 'live', diskId: 'disk0', deleteImage: false }, 'STATE_CONFLICT', /^VM 'live' is (starting|running): stop it before removing a disk$/);
    await ok('stop', 'live', '--force');
  });
});

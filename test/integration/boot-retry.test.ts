// A BIOS boot that finds nothing to boot is tried again, not given up for good.
// SeaBIOS gives up on a disk whose read takes longer than its 32 s ATA limit (a host disk that stalls
// under load) and, by default, then halts until the VM is reset: the guest never comes up and nothing
// says why. Hangar asks it to retry after a few seconds (`-boot reboot-timeout`).
// Here the VM's disk is a raw image used in place that holds nothing bootable at the start, so the
// first boot fails for sure; the firmware's retry resets the guest (logged by the VM's host); the test
// then writes the fixture guest into the image, and the next retry boots it to its marker. Real QEMU,
// real SeaBIOS, through `hangar` as a user runs it.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliIn, tempHome, waitUntil, withLogsOnFailure } from '../helpers/cli.node.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';

describe('a failed BIOS boot is retried', () => {
  const { home, cleanup } = tempHome('hangar-bootretry-');
  const work = mkdtempSync(join(tmpdir(), 'hangar-bootretry-work-'));
  const { h, ok } = cliIn(home);
  after(async () => {
    await cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  test('nothing bootable at first: the firmware tries again, and boots the disk once it holds a system', () =>
    withLogsOnFailure(home, async () => {
      const bootable = join(work, 'guest.raw');
      execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', fixtureGuest().disk, bootable]);
      const disk = join(work, 'disk.raw');
      writeFileSync(disk, '');
      truncateSync(disk, readFileSync(bootable).length); // all zeros: no boot signature
      const vm = (await ok('create', '--name', 'retry', '--disk-image', disk, '--firmware', 'bios', '--memory', '160', '--nic', 'none', '--json')).json;
      await ok('start', vm.id);

      // The first boot fails ("No bootable device"); SeaBIOS resets the machine to try again.
      const hostLog = join(home, 'VMs', vm.id, 'logs', 'vmm-host.log');
      const resets = () => (existsSync(hostLog) ? readFileSync(hostLog, 'utf8').split('\n').filter((l) => l.includes('guest reset')).length : 0);
      await waitUntil('the firmware to reset the guest after a failed boot', () => (resets() >= 1 ? true : undefined), 180_000, 250);
      assert.doesNotMatch((await ok('serial', vm.id)).stdout, new RegExp(GUEST_READY), 'nothing booted yet');

      // The disk now holds the guest (the same file, written in place): a later retry boots it.
      const fd = openSync(disk, 'r+'); // no truncation: QEMU keeps reading a file of the same size
      try {
        writeSync(fd, readFileSync(bootable), 0, undefined, 0);
      } finally {
        closeSync(fd);
      }
      await waitUntil(`'${GUEST_READY}' on the serial console`, async () => ((await h('serial', vm.id)).stdout.includes(GUEST_READY) ? true : undefined), 240_000, 500);
      assert.equal((await ok('show', vm.id, '--json')).json.state, 'running');
      assert.ok(resets() >= 1);
      await ok('stop', vm.id, '--force');
    }));
});

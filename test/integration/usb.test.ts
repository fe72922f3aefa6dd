// USB with a real guest (issue 21, point 6): a disk image attached to a stopped VM is a USB stick the
// guest finds at boot (usb-storage on the xHCI controller); unplugged while it runs it goes, plugged in
// again it comes back (blockdev-add + device_add through the VMM host), and what the guest writes lands
// in the image. This machine has no USB devices, so passthrough is shown by its refusals: a device that
// is not connected, and one whose /dev/bus/usb node the user cannot open (a sysfs tree of the test's
// own, HANGAR_TEST=1 HANGAR_USB_SYSFS, lists a device whose node does not exist). Bad input: one line,
// nothing changed. One busybox guest, one boot.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, openSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempHome, waitUntil } from '../helpers/cli.node.js';
import { guestCommands } from '../helpers/guestCommands.node.js';
import { fixtureGuest, GUEST_READY } from '../fixtures/guest.node.js';

const MARK = 'HANGAR-USB-MARK';

function readAt(file: string, offset: number, length: number): string {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, offset);
    return b.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

describe('usb: a disk image as a USB stick, cold- and hot-plugged; passthrough refusals', () => {
  const { home, cleanup } = tempHome('hangar-usb-');
  const sysfs = join(home, 'fake-sysfs');
  const dev = join(home, 'fake-dev');
  // The owner starts with the first command and keeps this environment.
  const env = { HANGAR_TEST: '1', HANGAR_USB_SYSFS: sysfs, HANGAR_USB_DEV: dev };
  const h = (...args: string[]) => runCli(home, args, { env });
  const ok = async (...args: string[]) => {
    const r = await h(...args);
    assert.equal(r.code, 0, `hangar ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const g = guestCommands(h);
  const stick = join(home, '..', `hangar-usb-stick-${process.pid}.img`);
  const refused = async (args: string[], code: number, re: RegExp) => {
    const r = await h(...args);
    assert.equal(r.code, code, `hangar ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), re);
  };
  const usbOf = async () => ((await ok('show', 'u', '--json')).json as { usb: { id: string; kind: string; path?: string }[] }).usb;
  const blockDevices = async () => (await g.value('u', 'ls /sys/block')).split(/\s+/);

  before(async () => {
    // A device as the kernel lists it: 1-1 on bus 1, device 2; /dev/bus/usb/001/002 is not there.
    mkdirSync(join(sysfs, '1-1'), { recursive: true });
    mkdirSync(dev, { recursive: true });
    const attrs = { idVendor: '0781', idProduct: '5567', manufacturer: 'SanDisk', product: 'Cruzer Blade', busnum: '1', devnum: '2', bDeviceClass: '00' };
    for (const [k, v] of Object.entries(attrs)) writeFileSync(join(sysfs, '1-1', k), `${v}\n`);
    mkdirSync(join(sysfs, '1-1:1.0'));
    const img = Buffer.alloc(8 << 20);
    img.write(MARK, 0, 'latin1');
    writeFileSync(stick, img);
    const f = fixtureGuest();
    await ok('create', '--name', 'u', '--kernel', f.kernel, '--initrd', f.initrd, '--append', 'console=ttyS0 quiet', '--disk', '16M', '--nic', 'none', '--memory', '128');
  });
  after(async () => {
    await cleanup();
    try {
      (await import('node:fs')).rmSync(stick, { force: true });
    } catch {
      /* gone */
    }
  });

  test("the host's devices, and passthrough refused with the reason; bad input changes nothing", async () => {
    const list = (await ok('usb', 'list', '--json')).json as { devices: { vendorId: string; productId: string; product: string; bus: number; device: number; port: string; accessible: boolean; accessProblem?: string }[] };
    assert.equal(list.devices.length, 1, 'the interface folder is not a device');
    const d = list.devices[0]!;
    assert.deepEqual([d.vendorId, d.productId, d.product, d.bus, d.device, d.port, d.accessible], ['0781', '5567', 'Cruzer Blade', 1, 2, '1', false]);
    assert.match(d.accessProblem!, /its node .*\/001\/002 does not exist/);

    const disk = ((await ok('show', 'u', '--json')).json as { disks: { path: string }[] }).disks[0]!.path;
    const before = (await ok('show', 'u', '--json')).stdout;
    await refused(['usb', 'attach', 'u', '--device', '0781:5567'], 1, /^hangar: USB device 0781:5567 \(Cruzer Blade\) cannot be passed through: its node .* does not exist/);
    await refused(['usb', 'attach', 'u', '--device', '1234:5678'], 2, /^hangar: no USB device 1234:5678 is connected to this host$/);
    await refused(['usb', 'attach', 'u', '--device', 'sandisk'], 2, /^hangar: --device 'sandisk': give VENDOR:PRODUCT as four hexadecimal digits/);
    await refused(['usb', 'attach', 'u'], 2, /^hangar: usb attach needs either --image FILE or --device VENDOR:PRODUCT$/);
    await refused(['usb', 'attach', 'u', '--image', join(home, 'missing.img')], 2, /missing\.img does not exist/);
    await refused(['usb', 'attach', 'u', '--image', disk], 2, /belongs to VM 'u'/);
    await refused(['usb', 'detach', 'u', 'usb4'], 1, /^hangar: VM 'u' has no USB device 'usb4' \(it has none\)$/);
    assert.equal((await ok('show', 'u', '--json')).stdout, before);
  });

  test('an image attached while stopped is a stick at boot; unplugged and plugged in again while it runs', async () => {
    const attached = await ok('usb', 'attach', 'u', '--image', stick, '--json');
    assert.deepEqual([attached.json.device.id, attached.json.live], ['usb0', false]);
    await ok('start', 'u', '--wait-serial', GUEST_READY, '--timeout', '180');
    await waitUntil('the stick at boot', async () => ((await blockDevices()).includes('sda') ? true : undefined), 60_000, 1_000);
    assert.equal(await g.value('u', `head -c ${MARK.length} /dev/sda`), MARK);
    assert.match(await g.value('u', 'cat /sys/bus/usb/devices/*/product'), /QEMU USB HARDDRIVE/);

    const out = await ok('usb', 'detach', 'u', 'usb0', '--json');
    assert.equal(out.json.live, true);
    await waitUntil('the stick to go', async () => (!(await blockDevices()).includes('sda') ? true : undefined), 60_000, 1_000);
    assert.deepEqual(await usbOf(), []);

    const back = await ok('usb', 'attach', 'u', '--image', stick, '--json');
    assert.equal(back.json.live, true);
    const name = await waitUntil('the hot-plugged stick', async () => (await blockDevices()).find((b) => /^sd[a-z]$/.test(b)), 60_000, 1_000);
    assert.equal(await g.value('u', `head -c ${MARK.length} /dev/${name}`), MARK);
    assert.equal(await g.status('u', `echo WRITTEN-BY-GUEST | dd of=/dev/${name} bs=512 seek=100 conv=fsync 2>/dev/null`), 0);
    assert.deepEqual((await usbOf()).map((u) => [u.id, u.kind, u.path]), [['usb0', 'storage', stick]]);
    const media = (await ok('media', 'list', '--json')).json as { media: { path: string; role: string; vms: string[] }[] };
    assert.deepEqual(media.media.filter((m) => m.path === stick).map((m) => [m.role, m.vms]), [['usb', ['u']]]);
    // A saved state would not fit the next start's devices: refused, and the VM runs on.
    const save = await h('save', 'u');
    assert.equal(save.code, 1);
    assert.match(save.stderr, /USB devices were plugged in or out while this VM runs/);

    await ok('usb', 'detach', 'u', 'usb0');
    await ok('stop', 'u', '--force');
    assert.equal(readAt(stick, 51200, 16), 'WRITTEN-BY-GUEST');
  });
});

// The host's USB devices from sysfs attributes, and who may open a device's node (pure).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { matching, nodeAccess, parseSysfsDevice, usbNodePath, type SysfsAttributes } from '../../../../src-main/usb/hostUsb.js';

const attrs = (o: Partial<SysfsAttributes>): SysfsAttributes => ({ idVendor: null, idProduct: null, manufacturer: null, product: null, busnum: null, devnum: null, bDeviceClass: null, ...o });
const stick = attrs({ idVendor: '0781', idProduct: '5567', manufacturer: 'SanDisk', product: 'Cruzer Blade', busnum: '1', devnum: '4', bDeviceClass: '00' });

describe('parseSysfsDevice', () => {
  test('a device: ids, names, bus, port path and node', () => {
    const d = parseSysfsDevice('1-2.3', stick, '/dev/bus/usb');
    assert.deepEqual(d, { sysfsName: '1-2.3', vendorId: '0781', productId: '5567', manufacturer: 'SanDisk', product: 'Cruzer Blade', bus: 1, device: 4, port: '2.3', node: '/dev/bus/usb/001/004', hub: false });
  });
  test('interfaces and folders without ids are not devices; root hubs and hubs are marked', () => {
    assert.equal(parseSysfsDevice('1-2:1.0', stick, '/dev/bus/usb'), null);
    assert.equal(parseSysfsDevice('1-2', attrs({ busnum: '1', devnum: '2' }), '/dev/bus/usb'), null);
    assert.equal(parseSysfsDevice('1-2', { ...stick, idVendor: 'xyz' }, '/dev/bus/usb'), null);
    assert.equal(parseSysfsDevice('usb1', { ...stick, idVendor: '1d6b', idProduct: '0002', bDeviceClass: '09' }, '/dev/bus/usb')?.hub, true);
    assert.equal(usbNodePath('/dev/bus/usb', 12, 123), '/dev/bus/usb/012/123');
  });
});

describe('nodeAccess', () => {
  const node = '/dev/bus/usb/001/004';
  const user = { uid: 1000, gids: [1000, 46] };
  test('by owner, group or others, read and write both needed; root always', () => {
    assert.deepEqual(nodeAccess(node, { exists: true, mode: 0o20600, uid: 1000, gid: 0 }, user), { ok: true });
    assert.deepEqual(nodeAccess(node, { exists: true, mode: 0o20660, uid: 0, gid: 46 }, user), { ok: true });
    assert.deepEqual(nodeAccess(node, { exists: true, mode: 0o20666, uid: 0, gid: 0 }, user), { ok: true });
    assert.deepEqual(nodeAccess(node, { exists: true, mode: 0o20600, uid: 0, gid: 0 }, { uid: 0, gids: [] }), { ok: true });
    const denied = nodeAccess(node, { exists: true, mode: 0o20664, uid: 0, gid: 0 }, user);
    assert.equal(denied.ok, false);
    assert.match(!denied.ok ? denied.reason : '', /^you cannot open its node \/dev\/bus\/usb\/001\/004 \(mode 0664, owner 0, group 0\): give your user access/);
    // a group it is not in does not count, even with group rw
    assert.equal(nodeAccess(node, { exists: true, mode: 0o20660, uid: 0, gid: 7 }, user).ok, false);
  });
  test('a missing node says so', () => {
    const r = nodeAccess(node, { exists: false, mode: 0, uid: 0, gid: 0 }, user);
    assert.match(!r.ok ? r.reason : '', /does not exist/);
  });
  test('matching by vendor and product', () => {
    const d = { ...parseSysfsDevice('1-2', stick, '/dev/bus/usb')!, access: { ok: true as const } };
    assert.equal(matching([d], '0781', '5567').length, 1);
    assert.equal(matching([d], '0781', '5568').length, 0);
  });
});

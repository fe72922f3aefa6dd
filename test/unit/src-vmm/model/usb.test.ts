// The USB section of a VM's config (pure): new machines get one (an xHCI controller), changes set the
// device list, ids and images are checked like the other devices', VENDOR:PRODUCT is read.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChange, composeConfig, nextUsbId, parseUsbId, validateConfig, type VmConfig } from '../../../../src-vmm/model/index.js';

const ID = '11111111-2222-4333-8444-555555555555';
const base = (): VmConfig => {
  const r = composeConfig({ id: ID, name: 'n', disks: [{ path: '/vms/d.qcow2', format: 'qcow2' }] });
  assert.ok(r.ok);
  return r.value;
};

describe('the USB section', () => {
  test('a new machine has one, empty: the launch gives it an xHCI controller', () => {
    assert.deepEqual(base().usb, { devices: [] });
  });
  test('a change sets the devices; configs saved without the section stay valid', () => {
    const c = base();
    const r = applyChange(c, { usb: [{ id: 'usb0', kind: 'storage', path: '/data/stick.img', format: 'raw' }, { id: 'usb1', kind: 'host', vendorId: '0781', productId: '5567' }] });
    assert.ok(r.ok);
    assert.deepEqual(r.value.usb?.devices.map((d) => d.id), ['usb0', 'usb1']);
    const renamed = applyChange(r.value, { name: 'm' });
    assert.ok(renamed.ok);
    assert.deepEqual(renamed.value.usb, r.value.usb, 'other changes keep it');
    const { usb: _usb, ...old } = c;
    assert.equal(validateConfig(old).ok, true);
  });
  test('a device id or an image used twice, and a bad id or format, are refused', () => {
    const c = base();
    const twice = applyChange(c, { usb: [{ id: 'disk0', kind: 'storage', path: '/vms/d.qcow2', format: 'qcow2' }] });
    assert.equal(twice.ok, false);
    assert.deepEqual(!twice.ok && twice.issues.map((i) => i.path), ['usb.devices[0].id', 'usb.devices[0].path']);
    assert.equal(validateConfig({ ...c, usb: { devices: [{ id: 'usb0', kind: 'host', vendorId: '78', productId: '5567' }] } }).ok, false);
    assert.equal(validateConfig({ ...c, usb: { devices: [{ id: 'usb0', kind: 'storage', path: '/a.vmdk', format: 'vmdk' }] } }).ok, false);
  });
  test('VENDOR:PRODUCT and new ids', () => {
    assert.deepEqual(parseUsbId('0781:5567'), { vendorId: '0781', productId: '5567' });
    assert.deepEqual(parseUsbId(' 1D6B:0002 '), { vendorId: '1d6b', productId: '0002' });
    for (const bad of ['0781', '781:5567', '0781:55678', 'zzzz:0000', '0781-5567']) assert.equal(parseUsbId(bad), null, bad);
    assert.equal(nextUsbId([]), 'usb0');
    assert.equal(nextUsbId(['usb0', 'usb2']), 'usb1');
  });
});

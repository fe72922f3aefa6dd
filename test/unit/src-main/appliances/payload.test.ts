import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { chunkName, claimedFormat, contentMatchesClaim, detectPayload, resolveHref } from '../../../../src-main/appliances/payload.js';

const head = (magic: string, at = 0, size = 0x8006) => {
  const b = Buffer.alloc(size);
  b.write(magic, at, 'latin1');
  return b;
};
const code = (c: string) => (e: unknown) => e instanceof HangarError && e.code === c;

describe('detectPayload', () => {
  test('each format by its header, VHD by its footer, raw otherwise', () => {
    const none = Buffer.alloc(512);
    assert.equal(detectPayload(head('QFI\xfb'), none), 'qcow2');
    assert.equal(detectPayload(head('KDMV'), none), 'vmdk');
    assert.equal(detectPayload(head('COWD'), none), 'vmdk');
    assert.equal(detectPayload(head('# Disk DescriptorFile\n'), none), 'vmdk-descriptor');
    assert.equal(detectPayload(head('vhdxfile'), none), 'vhdx');
    assert.equal(detectPayload(head('conectix'), none), 'vpc');
    assert.equal(detectPayload(Buffer.alloc(0x8006), head('conectix', 0, 512)), 'vpc', 'a fixed VHD has its footer at the end only');
    const vdi = Buffer.alloc(0x8006);
    vdi.writeUInt32LE(0xbeda107f, 0x40);
    assert.equal(detectPayload(vdi, none), 'vdi');
    assert.equal(detectPayload(head('CD001', 0x8001), none), 'iso');
    assert.equal(detectPayload(Buffer.alloc(0x8006), none), 'raw');
    assert.equal(detectPayload(Buffer.alloc(3), Buffer.alloc(3)), 'raw', 'a tiny file is not misread');
  });
});

describe('claimedFormat and contentMatchesClaim', () => {
  test('format URIs of each producer', () => {
    assert.equal(claimedFormat('http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized'), 'vmdk');
    assert.equal(claimedFormat('http://www.vmware.com/specifications/vmdk.html#sparse'), 'vmdk');
    assert.equal(claimedFormat('http://www.gnome.org/~markmc/qcow-image-format.html'), 'qcow2');
    assert.equal(claimedFormat('http://www.microsoft.com/technet/virtualserver/downloads/vhdspec.mspx'), 'vpc');
    assert.equal(claimedFormat('http://go.microsoft.com/fwlink/?LinkId=137171'), 'vpc');
    assert.equal(claimedFormat('http://www.ecma-international.org/publications/standards/Ecma-119.htm'), 'iso');
    assert.equal(claimedFormat(''), null);
  });
  test('any image header may stand for any claim (producers mislabel); headerless content only for raw or no claim', () => {
    assert.equal(contentMatchesClaim('qcow2', 'vmdk'), true, "oVirt's qcow2 under a VMDK URI");
    assert.equal(contentMatchesClaim('raw', null), true);
    assert.equal(contentMatchesClaim('raw', 'raw'), true);
    assert.equal(contentMatchesClaim('raw', 'vmdk'), false);
  });
});

describe('resolveHref', () => {
  test('relative names, folders, percent-encoding and file: URLs resolve inside the package', () => {
    assert.equal(resolveHref('disk1.vmdk', ''), 'disk1.vmdk');
    assert.equal(resolveHref('./disks/disk%201.vmdk', 'vm'), 'vm/disks/disk 1.vmdk');
    assert.equal(resolveHref('file:disk.vmdk', ''), 'disk.vmdk');
  });
  test('escapes and remote files are refused', () => {
    assert.throws(() => resolveHref('../etc/passwd', ''), code('UNSAFE_ARCHIVE'));
    assert.throws(() => resolveHref('a/../../b', ''), code('UNSAFE_ARCHIVE'));
    assert.throws(() => resolveHref('/etc/passwd', ''), code('UNSAFE_ARCHIVE'));
    assert.throws(() => resolveHref('C:\\disk.vmdk', ''), code('UNSAFE_ARCHIVE'));
    assert.throws(() => resolveHref('%2e%2e/x', ''), code('UNSAFE_ARCHIVE'));
    assert.throws(() => resolveHref('http://example.com/disk.vmdk', ''), code('UNSUPPORTED'));
    assert.throws(() => resolveHref('  ', ''), code('INVALID_INPUT'));
  });
  test('chunk names have nine digits', () => {
    assert.equal(chunkName('d.vmdk', 0), 'd.vmdk.000000000');
    assert.equal(chunkName('d.vmdk', 12), 'd.vmdk.000000012');
  });
});

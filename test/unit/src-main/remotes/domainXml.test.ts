import { test } from 'node:test';
import assert from 'node:assert/strict';
import { domainXmlFor, readDomainXml, unsendable } from '../../../../src-main/remotes/domainXml.js';
import { sampleConfig } from '../../../helpers/sampleConfig.js';

const nic = (id: string, model: 'virtio' | 'e1000', mac: string, linkUp?: boolean) => ({ id, model, mac, forwards: [], ...(linkUp === undefined ? {} : { linkUp }) });

test('a VM as a domain: machine, firmware and variables, disks on their buses, cards with their MACs, console, display', () => {
  const cfg = sampleConfig({
    name: 'web & db',
    system: { chipset: 'q35', cpus: 2, memoryMiB: 1024, accel: 'tcg' },
    firmware: { type: 'uefi', secureBoot: true },
    disks: [
      { id: 'disk0', bus: 'virtio', path: '/vm/a.qcow2', format: 'qcow2', readOnly: false },
      { id: 'disk1', bus: 'sata', path: '/vm/b.qcow2', format: 'qcow2', readOnly: true },
      { id: 'disk2', bus: 'virtio', path: '/vm/c.qcow2', format: 'qcow2', readOnly: false },
    ],
    opticals: [{ id: 'cd0', bus: 'sata', path: '/iso/x.iso' }],
    nics: [nic('net0', 'virtio', '0a:48:47:00:00:01'), nic('net1', 'e1000', '0a:48:47:00:00:02', false)],
    boot: { order: ['optical', 'disk'] },
  });
  const xml = domainXmlFor(cfg, { name: 'web', type: 'qemu', disks: { disk0: '/pool/web-disk0.qcow2', disk1: '/pool/web-disk1.qcow2', disk2: '/pool/web-disk2.qcow2' }, nvram: '/pool/web-VARS.fd' });
  assert.match(xml, /^<domain type='qemu'>/);
  assert.match(xml, /<name>web<\/name>/);
  assert.match(xml, /sent by Hangar from VM &apos;web &amp; db&apos;/);
  assert.match(xml, /<memory unit='MiB'>1024<\/memory>/);
  assert.match(xml, /<vcpu>2<\/vcpu>/);
  assert.match(xml, /<os firmware='efi'>/);
  assert.match(xml, /machine='q35'/);
  assert.match(xml, /<feature enabled='yes' name='secure-boot'\/>/);
  assert.match(xml, /<nvram>\/pool\/web-VARS\.fd<\/nvram>/);
  assert.match(xml, /<smm state='on'\/>/);
  assert.match(xml, /<source file='\/pool\/web-disk0\.qcow2'\/><target dev='vda' bus='virtio'\/>/);
  assert.match(xml, /<source file='\/pool\/web-disk1\.qcow2'\/><target dev='sda' bus='sata'\/><readonly\/>/);
  assert.match(xml, /<source file='\/pool\/web-disk2\.qcow2'\/><target dev='vdb' bus='virtio'\/>/);
  // the ISO is this machine's: the drive is there, empty
  assert.match(xml, /device='cdrom'><driver name='qemu' type='raw'\/><target dev='sdb' bus='sata'\/>/);
  assert.doesNotMatch(xml, /x\.iso/);
  assert.match(xml, /<interface type='user'><mac address='0a:48:47:00:00:01'\/><model type='virtio'\/>/);
  assert.match(xml, /<mac address='0a:48:47:00:00:02'\/><model type='e1000'\/><link state='down'\/>/);
  assert.match(xml, /<boot dev='cdrom'\/>\s*<boot dev='hd'\/>/);
  assert.match(xml, /<serial type='pty'>/);
  assert.match(xml, /<graphics type='vnc' autoport='yes' listen='127\.0\.0\.1'\/>/);

  // and read back as a fetch reads it
  const facts = readDomainXml(xml);
  assert.equal(facts.name, 'web');
  assert.equal(facts.memoryMiB, 1024);
  assert.equal(facts.cpus, 2);
  assert.equal(facts.chipset, 'q35');
  assert.equal(facts.firmware, 'uefi');
  assert.equal(facts.secureBoot, true);
  assert.equal(facts.nvram, '/pool/web-VARS.fd');
  assert.deepEqual(facts.disks.map((d) => [d.source, d.bus, d.format, d.readOnly]), [
    ['/pool/web-disk0.qcow2', 'virtio', 'qcow2', false],
    ['/pool/web-disk1.qcow2', 'sata', 'qcow2', true],
    ['/pool/web-disk2.qcow2', 'virtio', 'qcow2', false],
  ]);
  assert.deepEqual(facts.opticals, [{ bus: 'sata' }]);
  assert.deepEqual(facts.nics, [{ mac: '0a:48:47:00:00:01', model: 'virtio' }, { mac: '0a:48:47:00:00:02', model: 'e1000' }]);
  assert.deepEqual(facts.bootOrder, ['optical', 'disk']);
  assert.equal(facts.vnc, true);
  assert.equal(facts.osType, 'linux');
  assert.doesNotMatch(xml, /rebootTimeout/, 'UEFI firmware does not read it');
});

test('a BIOS domain retries a failed boot after 5 s, as Hangar starts it', () => {
  const cfg = sampleConfig({ firmware: { type: 'bios' }, boot: { order: ['disk'] } });
  const xml = domainXmlFor(cfg, { name: 'b', type: 'qemu', disks: { disk0: '/pool/b-disk0.qcow2' }, nvram: null });
  assert.match(xml, /<os>\s*<type arch='x86_64'[^>]*>hvm<\/type>\s*<boot dev='hd'\/>\s*<bios rebootTimeout='5000'\/>\s*<\/os>/);
});

test('what cannot be sent, and what libvirt writes that Hangar reads', () => {
  assert.match(unsendable(sampleConfig({ boot: { order: ['disk'], kernel: '/k/vmlinuz' } }))!, /kernel file/);
  assert.match(unsendable(sampleConfig({ disks: [{ id: 'disk0', bus: 'nvme', path: '/a', format: 'qcow2', readOnly: false }] }))!, /NVMe/);
  assert.equal(unsendable(sampleConfig()), undefined);
  const facts = readDomainXml(`<domain type='kvm'><name>old</name><memory unit='KiB'>524288</memory><vcpu placement='static'>1</vcpu>
    <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type><boot dev='hd'/></os>
    <devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/var/lib/libvirt/images/old.img'/><target dev='hda' bus='ide'/></disk>
    <interface type='network'><mac address='52:54:00:AB:CD:EF'/><source network='default'/><model type='rtl9999'/></interface>
    <video><model type='cirrus' vram='16384'/></video></devices></domain>`);
  assert.equal(facts.memoryMiB, 512);
  assert.equal(facts.chipset, 'pc');
  assert.equal(facts.firmware, 'bios');
  assert.deepEqual(facts.disks, [{ source: '/var/lib/libvirt/images/old.img', bus: 'ide', format: 'raw', readOnly: false }]);
  assert.deepEqual(facts.nics, [{ mac: '52:54:00:ab:cd:ef', model: null }]);
  assert.equal(facts.vga, 'cirrus');
  assert.equal(facts.vnc, false);
  assert.equal(facts.osType, null);
  assert.throws(() => readDomainXml(`<!DOCTYPE d [<!ENTITY x "y">]><domain/>`));
});

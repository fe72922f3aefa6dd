// The .vbox and .vmx readers, the VDI and VMDK header readers, and the mapping of a machine file
// through the OVF importer's rules, on the corpus in test/fixtures/machines (no disks needed).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../helpers/paths.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { parseVbox } from '../../../../src-main/appliances/vbox.js';
import { parseVmx, parseVmxText, parseVmsd } from '../../../../src-main/appliances/vmx.js';
import { machineToDescriptor, snapshotWarning, type MachineFile, type ResolvedDisk } from '../../../../src-main/appliances/machineFile.js';
import { mapDescriptor } from '../../../../src-main/appliances/mapping.js';
import { VDI_HEADER_BYTES, VDI_SIGNATURE, formatVBoxUuid, parseVdiBlockMap, parseVdiHeader } from '../../../../src-main/appliances/vdi.js';
import { parseSparseHeader, parseVmdkDescriptor } from '../../../../src-main/appliances/vmdk.js';

const corpus = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'machines', name));
const invalid = (re: RegExp) => (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && re.test(e.message) && !e.message.includes('\n');

/** The plan the importer would show, with every disk resolved as 1 GiB at its own name. */
function plan(m: MachineFile) {
  const disks: ResolvedDisk[] = m.devices.flatMap((d, i) => (d.kind === 'disk' ? [{ device: i, href: `disk${i}.img`, capacityBytes: 2 ** 30, format: 'vdi' }] : []));
  return mapDescriptor(machineToDescriptor(m, disks), 'test').machines[0]!;
}

describe('VirtualBox .vbox', () => {
  test('6.1: controllers beside Hardware, IDE slave, NVMe, EFI on ICH9, bridged virtio, a chain of two differencing images, snapshots', () => {
    const m = parseVbox(corpus('vbox61-ide-efi.vbox'), 'vbox61.vbox');
    assert.equal(m.name, 'Old Ubuntu');
    assert.equal(m.description, 'Build box\nsecond line');
    assert.equal(m.vbox!.cpus, 4);
    assert.equal(m.vbox!.memoryMiB, 4096);
    assert.equal(m.vbox!.firmware, 'EFI');
    const disks = m.devices.filter((d) => d.kind === 'disk');
    assert.equal(disks.length, 2);
    // the current state is the leaf of the chain; base first
    assert.deepEqual(
      disks[0]!.chain!.map((c) => c.location),
      ['Old Ubuntu.vdi', 'Snapshots/{c6a6a1b0-1111-4a1a-9a1a-000000000002}.vdi', 'Snapshots/{c6a6a1b0-1111-4a1a-9a1a-000000000003}.vdi'],
    );
    assert.equal(disks[0]!.file, 'Snapshots/{c6a6a1b0-1111-4a1a-9a1a-000000000003}.vdi');
    assert.deepEqual({ controller: disks[0]!.controller, unit: disks[0]!.unit }, { controller: 'IDE#0', unit: 1 });
    // UUIDs match whatever their case
    assert.equal(disks[1]!.file, '/home/u/VirtualBox VMs/Old Ubuntu/data.vmdk');
    const dvd = m.devices.find((d) => d.kind === 'cdrom')!;
    assert.equal(dvd.file, '/usr/share/virtualbox/VBoxGuestAdditions.iso');
    assert.deepEqual(m.snapshots, { names: ['Fresh install', 'Before upgrade'], current: 'Before upgrade', currentStateModified: false });
    assert.match(m.warnings[0]!, /^The machine was saved in VirtualBox/);

    const p = plan(m);
    assert.equal(p.firmware, 'uefi');
    assert.equal(p.cpus, 4);
    assert.equal(p.chipset, 'q35');
    assert.deepEqual(
      p.disks.map((d) => d.bus),
      ['sata', 'nvme'],
    );
    // the OVF importer's own words for what moved and what is left out
    assert.ok(p.warnings.some((w) => /moves from IDE to SATA: UEFI needs the q35 chipset/.test(w)));
    assert.ok(p.warnings.some((w) => /USB controller/.test(w)));
    assert.ok(p.warnings.some((w) => /sound card/.test(w)));
    assert.ok(p.warnings.some((w) => /CD\/DVD drive .* refers to '\/usr\/share\/virtualbox\/VBoxGuestAdditions\.iso', which is not a file of the appliance; it becomes an empty drive/.test(w)));
    // only the enabled adapter, with its type, MAC and attachment
    assert.deepEqual(
      p.nics.map((n) => [n.model, n.sourceModel, n.mac, n.network]),
      [['virtio', 'virtio', '08:00:27:1a:2b:3c', 'Bridged']],
    );
    assert.equal(snapshotWarning(m), "The machine has 2 snapshots in VirtualBox ('Fresh install', 'Before upgrade'); Hangar imports its current state, with the snapshots flattened into it: they are not imported as snapshots.");
  });

  test("7.1: <Platform> around chipset and firmware, controllers inside Hardware, VirtIO SCSI and SAS; VirtualBox's defaults where it writes nothing", () => {
    const m = parseVbox(corpus('vbox71-platform.vbox'), 'vbox71.vbox');
    assert.equal(m.vbox!.cpus, 1, 'no CPU count: one CPU');
    assert.equal(m.vbox!.firmware, 'BIOS');
    assert.equal(m.vbox!.chipset, 'PIIX3');
    assert.equal(m.vbox!.adapters[0]!.type, 'Am79C973', 'no type: the PCnet-FAST III');
    const disks = m.devices.filter((d) => d.kind === 'disk');
    // a child of the base that is not the one in use is no part of the chain
    assert.deepEqual(
      disks[0]!.chain!.map((c) => c.location),
      ['fedora 41.vdi', 'Snapshots/{5e0a0b0c-0000-4000-8000-000000000003}.vdi'],
    );
    assert.ok(m.devices.some((d) => d.kind === 'floppy'));
    assert.deepEqual(m.snapshots, { names: [], current: null, currentStateModified: null });
    assert.equal(snapshotWarning(m), null);

    const p = plan(m);
    assert.equal(p.firmware, 'bios');
    assert.equal(p.memoryMiB, 2048);
    assert.deepEqual(
      p.disks.map((d) => d.bus),
      ['scsi', 'scsi'],
    );
    assert.deepEqual(
      p.nics.map((n) => [n.model, n.mac, n.network]),
      [['pcnet', '08:00:27:c0:ff:ee', 'NAT']],
    );
    assert.ok(p.warnings.some((w) => /SCSI controller \(lsilogicsas\).*has no exact equivalent/.test(w)));
    assert.ok(p.warnings.some((w) => /floppy drive/.test(w)));
  });

  test('bad input: one line each', () => {
    assert.throws(() => parseVbox('<VirtualBox><Machine name="x"', 'a.vbox'), invalid(/^a\.vbox is not well-formed XML/));
    assert.throws(() => parseVbox('<Envelope/>', 'a.vbox'), invalid(/^a\.vbox is not a VirtualBox machine file \(root element is <Envelope>\)$/));
    assert.throws(() => parseVbox('<VirtualBox/>', 'a.vbox'), invalid(/^a\.vbox describes no machine/));
    assert.throws(() => parseVbox('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><VirtualBox/>', 'a.vbox'), invalid(/document type/));
    const orphan = `<VirtualBox><Machine name="x"><Hardware/><StorageControllers><StorageController name="SATA" type="AHCI"><AttachedDevice type="HardDisk" port="0" device="0"><Image uuid="{00000000-0000-0000-0000-0000000000aa}"/></AttachedDevice></StorageController></StorageControllers></Machine></VirtualBox>`;
    assert.throws(() => parseVbox(orphan, 'a.vbox'), invalid(/^a\.vbox: the disk at SATA, port 0 is \{00000000-0000-0000-0000-0000000000aa\}, which the machine's media registry does not list/));
  });
});

describe('VMware .vmx', () => {
  test("Workstation's mixed-case keys, escapes, NVMe, a SATA CD, EFI with Secure Boot, vmxnet3 on a custom network, and its .vmsd", () => {
    const m = parseVmx(corpus('workstation.vmx').toString('utf8'), 'w.vmx', corpus('workstation.vmsd').toString('utf8'));
    assert.equal(m.name, 'Win 11 "Dev"');
    assert.equal(m.description, 'Line one\nLine two');
    assert.equal(m.vmwOsType, 'windows11_64Guest');
    assert.deepEqual(
      m.devices.map((d) => [d.kind, d.name, d.file]),
      [
        ['disk', 'nvme0:0', 'Win 11-000002.vmdk'],
        ['cdrom', 'sata0:1', '/isos/Win11_24H2.iso'],
      ],
    );
    assert.deepEqual(m.nics, [{ subtype: 'VmxNet3', mac: '00:50:56:3F:00:01', connection: 'VMnet2' }]);
    assert.deepEqual(m.snapshots, { names: ['Clean install', 'Before updates'], current: 'Before updates', currentStateModified: null });

    const p = plan(m);
    assert.equal(p.name, 'Win 11 "Dev"');
    assert.equal(p.cpus, 4);
    assert.equal(p.memoryMiB, 8192);
    assert.equal(p.firmware, 'uefi');
    assert.match(p.osType, /^windows/);
    assert.deepEqual(
      p.disks.map((d) => d.bus),
      ['nvme'],
    );
    assert.deepEqual(
      p.nics.map((n) => [n.model, n.mac, n.network]),
      [['vmxnet3', '00:50:56:3f:00:01', 'VMnet2']],
    );
    for (const re of [/Secure Boot/, /NVRAM/, /Nested virtualization/, /USB controller/, /sound card/, /'VMnet2' is mapped at import/]) {
      assert.ok(
        p.warnings.some((w) => re.test(w)),
        `${re}: ${p.warnings.join(' | ')}`,
      );
    }
  });

  test('lower-case keys, unquoted values, missing optional keys: VMware defaults or the OVF rules fill them in', () => {
    const m = parseVmx(corpus('minimal.vmx').toString('utf8'), 'm.vmx');
    assert.equal(m.name, 'legacy box');
    assert.equal(m.cpus, '1');
    assert.equal(m.memoryMiB, null);
    assert.deepEqual(
      m.devices.map((d) => [d.kind, d.controller, d.unit, d.file]),
      [['disk', 'ide0', 0, 'legacy.vmdk']],
    );
    assert.deepEqual(m.nics, [{ subtype: 'PCNet32', mac: null, connection: 'bridged' }]);
    const p = plan(m);
    assert.deepEqual(
      p.disks.map((d) => d.bus),
      ['ide'],
    );
    assert.equal(p.chipset, 'pc');
    assert.deepEqual(
      p.nics.map((n) => n.model),
      ['pcnet'],
    );
    assert.ok(p.warnings.some((w) => /does not say how much memory/.test(w)));
  });

  test('keys are case-insensitive, the last of a repeated key counts, comments and quotes as VMware reads them', () => {
    const k = parseVmxText('# c\nDisplayName = "a # not a comment"\ndisplayname="b"\nMemSize = 512 # comment\n\n', 'x.vmx');
    assert.equal(k.get('displayname'), 'b');
    assert.equal(k.get('memsize'), '512');
    assert.equal(parseVmxText('a = "x # y"', 'x').get('a'), 'x # y');
    assert.deepEqual(parseVmsd('snapshot.current = "9"\n', 'x.vmsd'), { names: [], current: null, currentStateModified: null });
  });

  test('bad input: one line each', () => {
    assert.throws(() => parseVmx(corpus('malformed.vmx').toString('utf8'), 'bad.vmx'), invalid(/^bad\.vmx: line 3 is not of the form key = "value": 'this line has no equals sign'$/));
    assert.throws(() => parseVmx('displayName = "x', 'q.vmx'), invalid(/closing quote/));
    assert.throws(() => parseVmx('\n# nothing\n', 'e.vmx'), invalid(/^e\.vmx is empty/));
    assert.throws(() => parseVmx('foo = "bar"\n', 'f.vmx'), invalid(/^f\.vmx is not a VMware machine file/));
    assert.throws(() => parseVmx('config.version = "8"\0\0', 'z.vmx'), invalid(/^z\.vmx is not a text file$/));
    assert.throws(() => parseVmx('config.version = "8"\nscsi0:0.present = "TRUE"\n', 'n.vmx'), invalid(/^n\.vmx: the disk scsi0:0 has no fileName$/));
  });
});

describe('disk headers', () => {
  const vdi = (type: number, blocks = 4) => {
    const b = Buffer.alloc(VDI_HEADER_BYTES);
    b.writeUInt32LE(VDI_SIGNATURE, 0x40);
    b.writeUInt32LE(0x00010001, 0x44);
    b.writeUInt32LE(type, 0x4c);
    b.writeUInt32LE(512, 0x154);
    b.writeUInt32LE(1024, 0x158);
    b.writeBigUInt64LE(BigInt(blocks * 2 ** 20), 0x170);
    b.writeUInt32LE(2 ** 20, 0x178);
    b.writeUInt32LE(blocks, 0x180);
    Buffer.from('00112233445566778899aabbccddeeff', 'hex').copy(b, 0x188);
    return b;
  };

  test('a VDI header: type, size, blocks and UUIDs as VirtualBox shows them', () => {
    const h = parseVdiHeader(vdi(4), 'c.vdi');
    assert.ok(typeof h !== 'string');
    assert.equal(h.type, 4);
    assert.equal(h.diskBytes, 4 * 2 ** 20);
    assert.equal(formatVBoxUuid(h.uuid), '33221100-5544-7766-8899-aabbccddeeff');
    const map = Buffer.alloc(16);
    map.writeUInt32LE(0xffffffff, 0);
    map.writeUInt32LE(0, 4);
    map.writeUInt32LE(0xfffffffe, 8);
    map.writeUInt32LE(1, 12);
    assert.deepEqual([...parseVdiBlockMap(map, 4)], [0xffffffff, 0, 0xfffffffe, 1]);
  });

  test('what is not a VDI, or one that lies about itself, is said in one line', () => {
    assert.equal(parseVdiHeader(Buffer.alloc(10), 'x.vdi'), 'x.vdi is too short to be a VDI image');
    assert.equal(parseVdiHeader(Buffer.alloc(VDI_HEADER_BYTES), 'x.vdi'), 'x.vdi is not a VDI image (no VDI signature)');
    assert.match(parseVdiHeader(vdi(3), 'x.vdi') as string, /type 3 \(undo\)/);
    const lying = vdi(1);
    lying.writeUInt32LE(99, 0x180);
    assert.match(parseVdiHeader(lying, 'x.vdi') as string, /header is damaged/);
  });

  test('VMDK descriptors: split sparse, split flat, a delta with its parent hint, monolithicFlat', () => {
    const split = parseVmdkDescriptor(
      '# Disk DescriptorFile\nversion=1\nCID=1a2b3c4d\nparentCID=ffffffff\ncreateType="twoGbMaxExtentSparse"\n\n# Extent description\nRW 4192256 SPARSE "disk-s001.vmdk"\nRW 4192256 SPARSE "disk-s002.vmdk"\nRW 8192 SPARSE "disk-s003.vmdk"\n',
      'disk.vmdk',
    );
    assert.ok(typeof split !== 'string');
    assert.equal(split.createType, 'twoGbMaxExtentSparse');
    assert.deepEqual(
      split.extents.map((e) => e.file),
      ['disk-s001.vmdk', 'disk-s002.vmdk', 'disk-s003.vmdk'],
    );
    assert.equal(split.capacityBytes, (4192256 * 2 + 8192) * 512);
    assert.equal(split.parentFileNameHint, null);
    const flat = parseVmdkDescriptor('# Disk DescriptorFile\r\ncreateType="twoGbMaxExtentFlat"\r\nRW 4192256 FLAT "d-f001.vmdk" 0\r\nRW 100 FLAT "d-f002.vmdk" 0\r\nRW 20 ZERO\r\n', 'd.vmdk');
    assert.ok(typeof flat !== 'string');
    assert.deepEqual(
      flat.extents.map((e) => [e.type, e.file]),
      [
        ['FLAT', 'd-f001.vmdk'],
        ['FLAT', 'd-f002.vmdk'],
        ['ZERO', null],
      ],
    );
    const delta = parseVmdkDescriptor('# Disk DescriptorFile\nparentCID=1a2b3c4d\ncreateType="monolithicSparse"\nparentFileNameHint="disk.vmdk"\nRW 131072 SPARSE "disk-000001.vmdk"\n', 'delta');
    assert.ok(typeof delta !== 'string');
    assert.equal(delta.parentFileNameHint, 'disk.vmdk');
    assert.equal(parseVmdkDescriptor('hello', 'x.vmdk'), 'x.vmdk is not a VMDK descriptor');
    assert.equal(parseVmdkDescriptor('# Disk DescriptorFile\nRW 10 FLAT\n', 'x.vmdk'), "x.vmdk has an extent without a file name: 'RW 10 FLAT'");
  });

  test('a sparse extent header: capacity and where its embedded descriptor is', () => {
    const b = Buffer.alloc(512);
    b.write('KDMV', 0, 'latin1');
    b.writeBigUInt64LE(131072n, 12);
    b.writeBigUInt64LE(1n, 28);
    b.writeBigUInt64LE(20n, 36);
    assert.deepEqual(parseSparseHeader(b), { capacityBytes: 64 << 20, descriptorOffset: 512, descriptorBytes: 20 * 512 });
    assert.equal(parseSparseHeader(Buffer.alloc(512)), null);
  });
});

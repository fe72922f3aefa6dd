import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { MAX_CPUS, MAX_DISKS, MAX_MEMORY_MIB, MAX_NICS, MAX_OPTICALS, MIN_MEMORY_MIB, defaultsFor, newVmNameProblems, vmNameProblems } from '../../../../src-vmm/model/index.js';
import { nicModelFor, normaliseMac, planAppliance, toVmName } from '../../../../src-main/appliances/mapping.js';
import type { AppliancePlan, MachinePlan } from '../../../../src-main/appliances/plan.js';
import { countWork } from '../../../helpers/workCounter.js';

// ---------------------------------------------------------------------------------------------
// Descriptor builders: small inline descriptors in each producer's style.

const NS = [
  'xmlns="http://schemas.dmtf.org/ovf/envelope/1"',
  'xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"',
  'xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"',
  'xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"',
  'xmlns:vmw="http://www.vmware.com/schema/ovf"',
  'xmlns:vbox="http://www.virtualbox.org/ovf/machine"',
  'xmlns:ovirt="http://www.ovirt.org/ovf"',
  'xmlns:xenovf="http://schemas.citrix.com/ovf/envelope/1"',
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
].join(' ');

type Fields = Record<string, string | number | (string | number)[]>;
const fieldsXml = (prefix: string, f: Fields) =>
  Object.entries(f)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `<${prefix}:${k}>${x}</${prefix}:${k}>`))
    .join('');
const item = (f: Fields, attrs = '') => `<Item${attrs ? ` ${attrs}` : ''}>${fieldsXml('rasd', f)}</Item>`;

const cpu = (n: number | string, extra = '') => `<Item>${fieldsXml('rasd', { AllocationUnits: 'hertz * 10^6', ElementName: `${n} virtual CPU(s)`, InstanceID: 1, ResourceType: 3, VirtualQuantity: n })}${extra}</Item>`;
const mem = (n: number | string, units = 'byte * 2^20') => item({ AllocationUnits: units, ElementName: `${n} of memory`, InstanceID: 2, ResourceType: 4, VirtualQuantity: n });
const ide = (id: number, address: number, sub = '') => item({ Address: address, ElementName: `IDE ${address}`, InstanceID: id, ResourceType: 5, ...(sub ? { ResourceSubType: sub } : {}) });
const scsi = (id: number, sub: string) => item({ Address: 0, ElementName: `SCSI controller ${id}`, InstanceID: id, ResourceSubType: sub, ResourceType: 6 });
const sata = (id: number, sub = 'vmware.sata.ahci') => item({ Address: 0, ElementName: `SATA controller ${id}`, InstanceID: id, ResourceSubType: sub, ResourceType: 20 });
const nvme = (id: number) => item({ Address: 0, ElementName: 'NVMe controller', InstanceID: id, ResourceSubType: 'vmware.nvme.controller', ResourceType: 20 });
const disk = (id: number, parent: number, aop: number, diskId: string, host = `ovf:/disk/${diskId}`) =>
  item({ AddressOnParent: aop, ElementName: `Hard disk ${id}`, HostResource: host, InstanceID: id, Parent: parent, ResourceType: 17 });
const cd = (id: number, parent: number, aop: number, host?: string) =>
  item({ AddressOnParent: aop, AutomaticAllocation: 'false', ElementName: `CD/DVD drive ${id}`, ...(host ? { HostResource: host } : {}), InstanceID: id, Parent: parent, ResourceType: 15 });
const nic = (id: number, sub: string, connection = 'VM Network', extra: Fields = {}) =>
  item({ AutomaticAllocation: 'true', Connection: connection, ElementName: `Network adapter ${id}`, InstanceID: id, ...(sub ? { ResourceSubType: sub } : {}), ResourceType: 10, ...extra });

const file = (id: string, href: string, extra = '') => `<File ovf:id="${id}" ovf:href="${href}"${extra ? ` ${extra}` : ''}/>`;
const vmdk = (diskId: string, fileRef: string | null, capacity: string | number = 16, units = 'byte * 2^30', extra = '') =>
  `<Disk ovf:diskId="${diskId}"${fileRef ? ` ovf:fileRef="${fileRef}"` : ''} ovf:capacity="${capacity}"${units ? ` ovf:capacityAllocationUnits="${units}"` : ''} ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"${extra ? ` ${extra}` : ''}/>`;

interface EnvOpts {
  refs?: string;
  disks?: string;
  head?: string;
  tail?: string;
}
const envelope = (body: string, o: EnvOpts = {}) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Envelope ${NS} ovf:version="1.0">${o.head ?? ''}<References>${o.refs ?? ''}</References><DiskSection><Info>disks</Info>${o.disks ?? ''}</DiskSection>${body}${o.tail ?? ''}</Envelope>`;

interface SysOpts {
  id?: string;
  name?: string | null;
  os?: string;
  type?: string;
  hwExtra?: string;
  extra?: string;
}
const system = (items: string, o: SysOpts = {}) =>
  `<VirtualSystem ovf:id="${o.id ?? 'vm'}"><Info>A virtual machine</Info>${o.name === null ? '' : `<Name>${o.name ?? 'test-vm'}</Name>`}` +
  `${o.os ?? '<OperatingSystemSection ovf:id="101"><Info/><Description>Linux</Description></OperatingSystemSection>'}` +
  `<VirtualHardwareSection><Info>hw</Info><System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemIdentifier>${o.id ?? 'vm'}</vssd:VirtualSystemIdentifier><vssd:VirtualSystemType>${o.type ?? 'vmx-19'}</vssd:VirtualSystemType></System>${items}${o.hwExtra ?? ''}</VirtualHardwareSection>${o.extra ?? ''}</VirtualSystem>`;
const vmwOs = (osType: string, id = 1) => `<OperatingSystemSection ovf:id="${id}" vmw:osType="${osType}"><Info/><Description>os</Description></OperatingSystemSection>`;

const plan = (xml: string): AppliancePlan => planAppliance(xml, 'test.ovf');
const one = (xml: string): MachinePlan => {
  const p = plan(xml);
  assert.equal(p.machines.length, 1);
  return p.machines[0]!;
};
const warned = (m: { warnings: string[] }, pattern: RegExp) => assert.ok(m.warnings.some((w) => pattern.test(w)), `no warning matching ${pattern}:\n  ${m.warnings.join('\n  ')}`);
const notWarned = (m: { warnings: string[] }, pattern: RegExp) => assert.ok(!m.warnings.some((w) => pattern.test(w)), `unexpected warning matching ${pattern}:\n  ${m.warnings.join('\n  ')}`);
const refused = (pattern: RegExp) => (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && pattern.test(e.message);

// ---------------------------------------------------------------------------------------------

describe('planAppliance: VMware', () => {
  const vmware = (o: SysOpts & EnvOpts & { items?: string } = {}) =>
    envelope(
      system(
        o.items ??
          [cpu(4, '<vmw:CoresPerSocket ovf:required="false">2</vmw:CoresPerSocket>'), mem(8192), ide(3, 1), ide(4, 0), scsi(5, 'lsilogic'), disk(6, 5, 0, 'vmdisk1'), disk(7, 5, 1, 'vmdisk2'), cd(8, 3, 0, 'ovf:/file/file2'), nic(9, 'VmxNet3')].join(''),
        { os: vmwOs('ubuntu64Guest'), ...o },
      ),
      {
        refs: o.refs ?? file('file1', 'vm-disk1.vmdk', 'ovf:size="706671104"') + file('file2', 'vm-file1.iso'),
        disks: o.disks ?? vmdk('vmdisk1', 'file1', 32) + vmdk('vmdisk2', null, 10),
        ...(o.head ? { head: o.head } : {}),
      },
    );

  test('a typical vSphere export', () => {
    const p = plan(vmware());
    assert.equal(p.ovfVersion, '1.x');
    assert.deepEqual(
      p.files.map((f) => f.href),
      ['vm-disk1.vmdk', 'vm-file1.iso'],
    );
    const m = p.machines[0]!;
    assert.equal(m.name, 'test-vm');
    assert.equal(m.systemId, 'vm');
    assert.equal(m.osType, 'linux');
    assert.match(m.osSource, /vmw:osType 'ubuntu64Guest'/);
    assert.equal(m.cpus, 4, 'the count is VirtualQuantity, not the hertz units');
    assert.equal(m.memoryMiB, 8192);
    assert.equal(m.firmware, 'bios');
    assert.equal(m.chipset, 'pc');
    assert.deepEqual(
      m.disks.map((d) => [d.diskId, d.bus, d.capacityBytes, d.file?.href ?? null, d.include]),
      [
        ['vmdisk1', 'scsi', 32 * 2 ** 30, 'vm-disk1.vmdk', true],
        ['vmdisk2', 'scsi', 10 * 2 ** 30, null, true],
      ],
    );
    assert.equal(m.disks[0]!.sourceController, 'SCSI controller (lsilogic), unit 0');
    assert.match(m.disks[0]!.formatUri, /streamOptimized/);
    assert.deepEqual(m.opticals, [{ bus: 'ide', file: { fileId: 'file2', href: 'vm-file1.iso', sizeBytes: null, compression: 'none', chunkSize: null }, sourceController: 'IDE 1 master' }]);
    assert.deepEqual(m.nics, [{ model: 'vmxnet3', sourceModel: 'VmxNet3', mac: null, network: 'VM Network' }]);
    warned(m, /SCSI controller \(lsilogic\).*no exact equivalent.*VirtIO SCSI/);
    warned(m, /4 virtual CPUs as 2 cores per socket/);
    warned(m, /network 'VM Network' is mapped at import to the Hangar network of the same name/);
    assert.deepEqual(p.warnings, []);
  });

  test('the CIM id says Other; vmw:osType says Windows 10', () => {
    const m = one(vmware({ os: vmwOs('windows9_64Guest', 1) }));
    assert.equal(m.osType, 'windows10');
    assert.equal(m.osSource, "vmw:osType 'windows9_64Guest' (Windows 10 64-bit)");
  });

  test('SCSI variants without an exact device: VirtIO SCSI for guests with virtio, SATA otherwise, naming the controller', () => {
    for (const sub of ['lsilogic', 'buslogic', 'lsilogicsas', 'VirtualSCSI', 'buslogic lsilogic', 'buslogic,lsilogic']) {
      const linux = one(vmware({ items: [cpu(1), mem(1024), scsi(5, sub), disk(6, 5, 0, 'vmdisk1')].join('') }));
      assert.equal(linux.disks[0]!.bus, 'scsi', sub);
      warned(linux, new RegExp(`SCSI controller \\(${sub.split(/[ ,]/)[0]!.toLowerCase()}\\)`));
      const windows = one(vmware({ os: vmwOs('windows9_64Guest'), items: [cpu(1), mem(1024), scsi(5, sub), disk(6, 5, 0, 'vmdisk1')].join('') }));
      assert.equal(windows.disks[0]!.bus, 'sata', sub);
      warned(windows, /no exact equivalent.*SATA \(AHCI\), since Windows 10 has no VirtIO drivers/);
    }
  });

  test('exact controllers: AHCI, NVMe, VirtIO SCSI; no warning', () => {
    const m = one(
      vmware({
        items: [cpu(1), mem(1024), sata(5), nvme(6), item({ InstanceID: 7, ResourceSubType: 'VirtioSCSI', ResourceType: 20 }), disk(8, 6, 0, 'vmdisk1'), disk(9, 5, 0, 'vmdisk2'), disk(10, 7, 0, 'vmdisk3')].join(''),
        disks: vmdk('vmdisk1', 'file1') + vmdk('vmdisk2', null) + vmdk('vmdisk3', null),
      }),
    );
    assert.deepEqual(
      m.disks.map((d) => [d.diskId, d.bus]),
      [
        ['vmdisk2', 'sata'],
        ['vmdisk1', 'nvme'],
        ['vmdisk3', 'scsi'],
      ],
    );
    notWarned(m, /controller/);
  });

  test('EFI from vmw:Config (or ExtraConfig) means UEFI and q35; IDE devices move to SATA with a warning', () => {
    for (const hwExtra of ['<vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>', '<vmw:ExtraConfig ovf:required="false" vmw:key="firmware" vmw:value="efi"/>']) {
      const m = one(vmware({ hwExtra, items: [cpu(2), mem(2048), ide(3, 0), disk(4, 3, 0, 'vmdisk1'), cd(5, 3, 1)].join('') }));
      assert.equal(m.firmware, 'uefi');
      assert.equal(m.chipset, 'q35');
      assert.equal(m.disks[0]!.bus, 'sata');
      assert.equal(m.opticals[0]!.bus, 'sata');
      warned(m, /Disk "Hard disk 4" \(IDE 0 master\) moves from IDE to SATA: UEFI needs the q35 chipset/);
      warned(m, /CD\/DVD drive "CD\/DVD drive 5" \(IDE 0 slave\) moves from IDE to SATA/);
    }
  });

  test('firmware=bios, Secure Boot, NVRAM, nested virtualization, VMCI, video, vTPM, USB, sound, serial, floppy', () => {
    const m = one(
      vmware({
        hwExtra:
          '<vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/><vmw:Config ovf:required="false" vmw:key="bootOptions.efiSecureBootEnabled" vmw:value="true"/>' +
          '<vmw:Config ovf:required="false" vmw:key="nestedHVEnabled" vmw:value="true"/><vmw:ExtraConfig ovf:required="false" vmw:key="nvram" vmw:value="ovf:/file/file3"/>',
        items: [
          cpu(2),
          mem(2048),
          item({ ElementName: 'VMCI device', InstanceID: 10, ResourceSubType: 'vmware.vmci', ResourceType: 1 }, 'ovf:required="false"'),
          item({ ElementName: 'Video card', InstanceID: 11, ResourceType: 24 }, 'ovf:required="false"'),
          item({ ElementName: 'Virtual TPM', InstanceID: 12, ResourceSubType: 'vmware.vtpm', ResourceType: 1 }, 'ovf:required="false"'),
          item({ ElementName: 'USB controller', InstanceID: 13, ResourceSubType: 'vmware.usb.xhci', ResourceType: 23 }, 'ovf:required="false"'),
          item({ ElementName: 'Sound card', InstanceID: 14, ResourceSubType: 'vmware.soundcard.hdaudio', ResourceType: 1 }, 'ovf:required="false"'),
          item({ ElementName: 'Serial port 1', InstanceID: 15, ResourceType: 21 }, 'ovf:required="false"'),
          item({ ElementName: 'Floppy drive 1', InstanceID: 16, ResourceType: 14 }, 'ovf:required="false"'),
          item({ ElementName: 'PCI device 0', InstanceID: 17, ResourceSubType: 'vmware.pci.passthrough-dvx', ResourceType: 1 }, 'ovf:required="false"'),
        ].join(''),
      }),
    );
    assert.equal(m.firmware, 'uefi');
    warned(m, /Secure Boot/);
    warned(m, /saved UEFI variables \(NVRAM\) are not imported/);
    warned(m, /Nested virtualization/);
    warned(m, /VMware VMCI device "VMCI device" is left out/);
    warned(m, /video card "Video card" is left out/);
    warned(m, /virtual TPM "Virtual TPM" is left out/);
    warned(m, /USB controller "USB controller" \(vmware\.usb\.xhci\) is left out/);
    warned(m, /sound card "Sound card" .* is left out/);
    warned(m, /serial port "Serial port 1" is left out/);
    warned(m, /floppy drive "Floppy drive 1" is left out/);
    warned(m, /PCI passthrough device "PCI device 0" is left out/);
    const bios = one(vmware({ hwExtra: '<vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="bios"/><vmw:ExtraConfig vmw:key="nvram" vmw:value="x.nvram"/>' }));
    assert.equal(bios.firmware, 'bios');
    warned(bios, /saved BIOS settings \(NVRAM\)/);
  });

  test('NIC adapter types', () => {
    const m = one(
      vmware({
        items: [cpu(1), mem(512), nic(3, 'E1000'), nic(4, 'E1000e'), nic(5, 'vmxnet3'), nic(6, 'PCNet32'), nic(7, 'Vmxnet'), nic(8, 'SriovEthernetCard'), nic(9, ''), nic(10, 'VMXNET3 ')].join(''),
      }),
    );
    assert.deepEqual(
      m.nics.map((n) => [n.model, n.sourceModel]),
      [
        ['e1000', 'E1000'],
        ['e1000e', 'E1000e'],
        ['vmxnet3', 'vmxnet3'],
        ['pcnet', 'PCNet32'],
        ['virtio', 'Vmxnet'],
        ['virtio', 'SriovEthernetCard'],
        ['virtio', ''],
        ['vmxnet3', 'VMXNET3'],
      ],
    );
    warned(m, /NIC 5 \("Network adapter 7"\): the Vmxnet adapter has no equivalent in Hangar; it becomes VirtIO \(paravirtual\), the default for Linux/);
    warned(m, /NIC 6 .*SriovEthernetCard/);
    warned(m, /NIC 7 \("Network adapter 9"\) does not say which adapter it is; it becomes VirtIO/);
    notWarned(m, /NIC 1 |NIC 2 |NIC 3 |NIC 4 |NIC 8 /);
  });

  test('a NIC without a subtype gets the OS type default: e1000 for Windows', () => {
    const m = one(vmware({ os: vmwOs('windows7_64Guest'), items: [cpu(1), mem(512), nic(3, '')].join('') }));
    assert.equal(m.nics[0]!.model, 'e1000');
    warned(m, /default for Windows 7/);
  });

  test('MAC addresses are kept, normalised', () => {
    const m = one(vmware({ items: [cpu(1), mem(512), nic(3, 'E1000', 'n', { MACAddress: '00-50-56-AB-CD-EF' }), nic(4, 'E1000', 'n', { Address: '005056ABCDF0' }), nic(5, 'E1000', 'n', { MACAddress: 'garbage' })].join('') }));
    assert.deepEqual(
      m.nics.map((n) => n.mac),
      ['00:50:56:ab:cd:ef', '00:50:56:ab:cd:f0', null],
    );
  });

  test('file references: gzip and chunks', () => {
    const p = plan(
      vmware({
        items: [cpu(1), mem(512), scsi(3, 'VirtualSCSI'), disk(4, 3, 0, 'vmdisk1')].join(''),
        refs: file('file1', 'big.vmdk.gz', 'ovf:size="123" ovf:compression="gzip" ovf:chunkSize="7516192768"'),
        disks: vmdk('vmdisk1', 'file1'),
      }),
    );
    assert.deepEqual(p.machines[0]!.disks[0]!.file, { fileId: 'file1', href: 'big.vmdk.gz', sizeBytes: 123, compression: 'gzip', chunkSize: 7516192768 });
  });

  test('every capacity unit form', () => {
    const cases: [string | number, string, number][] = [
      [53687091200, '', 53687091200],
      [53687091200, 'byte', 53687091200],
      [512, 'byte * 2^20', 512 * 2 ** 20],
      [32, 'byte * 2^30', 32 * 2 ** 30],
      [32, 'byte * 2 ^ 30', 32 * 2 ** 30],
      [32, 'byte*2^30', 32 * 2 ** 30],
      [2, 'GigaBytes', 2 * 2 ** 30],
      [1, 'byte * 2^40', 2 ** 40],
    ];
    for (const [capacity, units, bytes] of cases) {
      const m = one(vmware({ items: [cpu(1), mem(512), scsi(3, 'lsilogic'), disk(4, 3, 0, 'd')].join(''), refs: '', disks: vmdk('d', null, capacity, units) }));
      assert.equal(m.disks[0]!.capacityBytes, bytes, `${capacity} ${units}`);
      assert.equal(m.disks[0]!.file, null);
    }
  });

  test('capacity from a ProductSection property; a missing or default-less one is refused', () => {
    const product = (prop: string) => `<ProductSection><Info/><Product>P</Product>${prop}</ProductSection>`;
    const base = { items: [cpu(1), mem(512), scsi(3, 'lsilogic'), disk(4, 3, 0, 'data')].join(''), refs: '', disks: vmdk('data', null, '${disksize}', 'byte * 2^30') };
    const ok = one(vmware({ ...base, extra: product('<Property ovf:key="disksize" ovf:type="int" ovf:value="5" ovf:userConfigurable="true"/>') }));
    assert.equal(ok.disks[0]!.capacityBytes, 5 * 2 ** 30);
    warned(ok, /appliance setting 'disksize'.*default, 5/);
    const classed = one(vmware({ ...base, disks: vmdk('data', null, '${vm.disksize}'), extra: '<ProductSection ovf:class="vm"><Info/><Property ovf:key="disksize" ovf:type="int" ovf:value="7"/></ProductSection>' }));
    assert.equal(classed.disks[0]!.capacityBytes, 7 * 2 ** 30);
    assert.throws(() => plan(vmware({ ...base, extra: product('') })), refused(/disk 'data' takes its capacity from the property 'disksize', which the descriptor does not define/));
    assert.throws(() => plan(vmware({ ...base, extra: product('<Property ovf:key="disksize" ovf:type="int"/>') })), refused(/'disksize', which has no default value/));
    assert.throws(() => plan(vmware({ ...base, extra: product('<Property ovf:key="disksize" ovf:type="int" ovf:value="big"/>') })), refused(/whose default 'big' is not a number/));
  });

  test('a property value for the chosen deployment configuration wins over the default', () => {
    const m = one(
      vmware({
        head: '<DeploymentOptionSection><Info/><Configuration ovf:id="small"><Label>Small</Label></Configuration><Configuration ovf:id="large" ovf:default="true"><Label>Large</Label></Configuration></DeploymentOptionSection>',
        items: [cpu(1), mem(512), scsi(3, 'lsilogic'), disk(4, 3, 0, 'data')].join(''),
        refs: '',
        disks: vmdk('data', null, '${disksize}'),
        extra: '<ProductSection><Info/><Property ovf:key="disksize" ovf:type="int" ovf:value="5"><Value ovf:value="50" ovf:configuration="large"/></Property></ProductSection>',
      }),
    );
    assert.equal(m.disks[0]!.capacityBytes, 50 * 2 ** 30);
  });

  test('unreadable capacities: from the image when there is one, else the OS default size', () => {
    const withFile = one(vmware({ items: [cpu(1), mem(512), scsi(3, 'lsilogic'), disk(4, 3, 0, 'd')].join(''), refs: file('f', 'a.vmdk'), disks: vmdk('d', 'f', 'lots', 'byte') }));
    assert.equal(withFile.disks[0]!.capacityBytes, 0);
    warned(withFile, /capacity Hangar cannot read \('lots'\); its size comes from the image file/);
    const empty = one(vmware({ items: [cpu(1), mem(512), scsi(3, 'lsilogic'), disk(4, 3, 0, 'd')].join(''), refs: '', disks: vmdk('d', null, 4, 'furlongs') }));
    assert.equal(empty.disks[0]!.capacityBytes, defaultsFor('linux').diskGiB * 2 ** 30);
    warned(empty, /units Hangar does not know \('furlongs'\); the new empty disk gets 20 GiB/);
  });

  test('a disk attached twice is imported once; an empty disk template attached twice gives two disks', () => {
    const m = one(
      vmware({
        items: [cpu(1), mem(512), scsi(3, 'lsilogic'), disk(4, 3, 0, 'vmdisk1'), disk(5, 3, 1, 'vmdisk1'), disk(6, 3, 2, 'vmdisk2'), disk(7, 3, 3, 'vmdisk2')].join(''),
      }),
    );
    assert.deepEqual(
      m.disks.map((d) => d.diskId),
      ['vmdisk1', 'vmdisk2', 'vmdisk2'],
    );
    warned(m, /Disk 'vmdisk1' is attached twice \("Hard disk 5"\)/);
  });

  test('an ISO referenced through the DiskSection; an empty drive; a drive holding something else', () => {
    const m = one(
      vmware({
        items: [cpu(1), mem(512), ide(3, 0), cd(4, 3, 0, 'ovf:/disk/iso1'), cd(5, 3, 1), ide(6, 1), cd(7, 6, 0, 'ovf:/disk/iso2'), cd(8, 6, 1, 'ovf:/disk/vmdisk1')].join(''),
        refs: file('f1', 'a.vmdk') + file('f2', 'tools.iso') + file('f3', 'other-name'),
        disks: vmdk('vmdisk1', 'f1') + '<Disk ovf:diskId="iso1" ovf:fileRef="f2" ovf:capacity="0"/>' + '<Disk ovf:diskId="iso2" ovf:fileRef="f3" ovf:capacity="0" ovf:format="http://www.ecma-international.org/publications/standards/Ecma-119.htm"/>',
      }),
    );
    assert.deepEqual(
      m.opticals.map((o) => [o.bus, o.file?.href ?? null, o.sourceController]),
      [
        ['ide', 'tools.iso', 'IDE 0 master'],
        ['ide', null, 'IDE 0 slave'],
        ['ide', 'other-name', 'IDE 1 master'],
        ['ide', null, 'IDE 1 slave'],
      ],
    );
    warned(m, /"CD\/DVD drive 8" holds 'a\.vmdk', which is not an ISO image; it becomes an empty drive/);
    assert.deepEqual(m.disks, []);
  });

  test('references that lead nowhere are refused, naming what is missing', () => {
    assert.throws(() => plan(vmware({ items: [cpu(1), mem(512), scsi(3, 'lsilogic'), disk(4, 3, 0, 'vmdisk9')].join('') })), refused(/test\.ovf: the disk "Hard disk 4" refers to disk 'vmdisk9', which the DiskSection does not list/));
    assert.throws(() => plan(vmware({ items: [cpu(1), mem(512), ide(3, 0), cd(4, 3, 0, 'ovf:/file/nofile')].join('') })), refused(/refers to file 'nofile', which the References section does not list/));
    assert.throws(() => plan(vmware({ disks: vmdk('vmdisk1', 'file7') })), refused(/disk 'vmdisk1' refers to file 'file7'/));
    assert.throws(() => plan(vmware({ items: [cpu(1), mem(512), scsi(3, 'lsilogic'), disk(4, 3, 0, 'x', 'somewhere/else')].join('') })), refused(/'somewhere\/else', which is neither a disk/));
  });

  test('HostResource spellings', () => {
    for (const host of ['ovf:/disk/vmdisk1', '/disk/vmdisk1', 'ovf://disk/vmdisk1', ' ovf:/disk/vmdisk1 ']) {
      const m = one(vmware({ items: [cpu(1), mem(512), scsi(3, 'lsilogic'), disk(4, 3, 0, 'vmdisk1', host)].join('') }));
      assert.equal(m.disks[0]!.diskId, 'vmdisk1', host);
    }
  });

  test('disks unattached to any machine are reported for the appliance', () => {
    const p = plan(vmware({ items: [cpu(1), mem(512), scsi(3, 'lsilogic'), disk(4, 3, 0, 'vmdisk1')].join('') }));
    warned(p, /Disk 'vmdisk2' is not attached to any machine of the appliance; it is not imported/);
  });

  test('deployment options: the default configuration, with a warning naming the others', () => {
    const m = plan(
      vmware({
        head: '<DeploymentOptionSection><Info/><Configuration ovf:id="small"><Label>Small</Label></Configuration><Configuration ovf:id="medium" ovf:default="true"><Label>Medium</Label></Configuration><Configuration ovf:id="large"><Label>Large</Label></Configuration></DeploymentOptionSection>',
        items: [
          item({ InstanceID: 1, ResourceType: 3, VirtualQuantity: 2 }, 'ovf:configuration="small"'),
          item({ InstanceID: 1, ResourceType: 3, VirtualQuantity: 4 }, 'ovf:configuration="medium large"'),
          item({ InstanceID: 2, ResourceType: 4, VirtualQuantity: 4096, AllocationUnits: 'byte * 2^20' }, 'ovf:configuration="small medium"'),
          item({ InstanceID: 2, ResourceType: 4, VirtualQuantity: 16384, AllocationUnits: 'byte * 2^20' }, 'ovf:configuration="large"'),
          scsi(3, 'lsilogic'),
          disk(4, 3, 0, 'vmdisk1'),
          item({ ElementName: 'Hard disk 2', HostResource: 'ovf:/disk/vmdisk2', InstanceID: 5, Parent: 3, AddressOnParent: 1, ResourceType: 17 }, 'ovf:configuration="large"'),
        ].join(''),
      }),
    );
    const m0 = p0(m);
    assert.equal(m0.cpus, 4);
    assert.equal(m0.memoryMiB, 4096);
    assert.deepEqual(
      m0.disks.map((d) => d.diskId),
      ['vmdisk1'],
    );
    warned(m, /3 deployment configurations \(small, medium, large\); Hangar imports the default one, 'medium' \(Medium\)/);
    notWarned(m, /vmdisk2/);
  });

  test('ovf:bound min/max items are ranges, not devices', () => {
    const m = one(vmware({ items: [item({ InstanceID: 1, ResourceType: 3, VirtualQuantity: 1 }, 'ovf:bound="min"'), item({ InstanceID: 1, ResourceType: 3, VirtualQuantity: 2 }, 'ovf:bound="normal"'), item({ InstanceID: 1, ResourceType: 3, VirtualQuantity: 8 }, 'ovf:bound="max"'), mem(512)].join('') }));
    assert.equal(m.cpus, 2);
    notWarned(m, /processor items/);
  });

  test('unknown items are left out with a warning naming them, required or not', () => {
    const m = one(vmware({ items: [cpu(1), mem(512), item({ ElementName: 'Mystery', InstanceID: 20, ResourceType: 29999 }), item({ ElementName: 'Optional thing', InstanceID: 21, ResourceType: 12 }, 'ovf:required="false"'), item({ ElementName: 'Tape', InstanceID: 22, ResourceType: 18 })].join('') }));
    warned(m, /device "Mystery" has resource type 29999, which Hangar does not know; it is left out although the appliance marks it as required/);
    warned(m, /I\/O slot "Optional thing" is left out/);
    warned(m, /tape drive "Tape" is left out/);
  });

  test('two hardware variants: one is chosen, with a warning', () => {
    const xml = envelope(
      `<VirtualSystem ovf:id="vm"><Name>v</Name>${vmwOs('ubuntu64Guest')}` +
        `<VirtualHardwareSection><System><vssd:VirtualSystemType>xen-3.0-x86_64</vssd:VirtualSystemType></System>${cpu(1)}${mem(256)}</VirtualHardwareSection>` +
        `<VirtualHardwareSection><System><vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType></System>${cpu(3)}${mem(768)}</VirtualHardwareSection></VirtualSystem>`,
    );
    const m = one(xml);
    assert.equal(m.cpus, 3);
    warned(m, /hardware in 2 variants \(xen-3\.0-x86_64, vmx-13\); Hangar uses the 'vmx-13' one/);
  });
});

function p0(p: AppliancePlan): MachinePlan {
  return p.machines[0]!;
}

describe('planAppliance: VirtualBox', () => {
  const vboxItems = (controllers: string, devices: string, nics = '') =>
    [
      item({ Caption: '2 virtual CPU', Description: 'Number of virtual CPUs', ElementName: '2 virtual CPU', InstanceID: 1, ResourceType: 3, VirtualQuantity: 2 }),
      item({ AllocationUnits: 'MegaBytes', Caption: '2048 MB of memory', ElementName: '2048 MB of memory', InstanceID: 2, ResourceType: 4, VirtualQuantity: 2048 }),
      controllers,
      nics,
      item({ ElementName: 'usb', InstanceID: 9, ResourceType: 23, Address: 0 }),
      item({ AddressOnParent: 3, AutomaticAllocation: 'false', ElementName: 'sound', InstanceID: 10, ResourceSubType: 'ensoniq1371', ResourceType: 35 }),
      devices,
    ].join('');
  const vboxIde = item({ Address: 0, ElementName: 'ideController0', InstanceID: 3, ResourceSubType: 'PIIX4', ResourceType: 5 }) + item({ Address: 1, ElementName: 'ideController1', InstanceID: 4, ResourceSubType: 'PIIX4', ResourceType: 5 });
  const vboxSata = item({ Address: 0, ElementName: 'sataController0', InstanceID: 5, ResourceSubType: 'AHCI', ResourceType: 20 });
  const vboxNic = (id: number, sub: string, conn = 'NAT') => item({ AutomaticAllocation: 'true', Caption: `Ethernet adapter on '${conn}'`, Connection: conn, ElementName: `Ethernet adapter on '${conn}'`, InstanceID: id, ...(sub ? { ResourceSubType: sub } : {}), ResourceType: 10 });
  const vboxDisk = (id: number, parent: number, aop: number, diskId: string, rt = 17) => item({ AddressOnParent: aop, Caption: diskId, ElementName: diskId, HostResource: `/disk/${diskId}`, InstanceID: id, Parent: parent, ResourceType: rt });
  const vboxOs = (id: number, osType: string) => `<OperatingSystemSection ovf:id="${id}"><Info/><Description>${osType}</Description><vbox:OSType ovf:required="false">${osType}</vbox:OSType></OperatingSystemSection>`;
  const machine = (hardware: string, attrs = 'OSType="Ubuntu_64"') =>
    `<vbox:Machine ovf:required="false" version="1.19-linux" uuid="{0c4f0f0e-0000-4000-8000-000000000001}" name="vb" ${attrs}><ovf:Info>Complete VirtualBox machine configuration in VirtualBox format</ovf:Info><Hardware>${hardware}</Hardware></vbox:Machine>`;
  const vbox = (items: string, o: { os?: string; machine?: string; refs?: string; disks?: string } = {}) =>
    envelope(system(items, { id: 'my-vbox-vm', name: null, os: o.os ?? vboxOs(94, 'Ubuntu_64'), type: 'virtualbox-2.2', extra: o.machine ?? '' }), {
      refs: o.refs ?? file('file1', 'my-vbox-vm-disk001.vmdk'),
      disks: o.disks ?? '<Disk ovf:capacity="53687091200" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" vbox:uuid="{0000}"/>',
    });

  test('a VirtualBox 1.0 export: name from ovf:id, capacity in bytes, SATA disk, IDE CD, sound and USB left out', () => {
    const m = one(vbox(vboxItems(vboxIde + vboxSata, vboxDisk(11, 5, 0, 'vmdisk1') + item({ AddressOnParent: 0, AutomaticAllocation: 'true', ElementName: 'cdrom1', InstanceID: 12, Parent: 4, ResourceType: 15 }), vboxNic(6, 'E1000'))));
    assert.equal(m.name, 'my-vbox-vm');
    assert.equal(m.osType, 'linux');
    assert.match(m.osSource, /vbox:OSType 'Ubuntu_64'/);
    assert.equal(m.cpus, 2);
    assert.equal(m.memoryMiB, 2048);
    assert.deepEqual(
      m.disks.map((d) => [d.bus, d.capacityBytes, d.sourceController]),
      [['sata', 53687091200, 'SATA (AHCI) controller, port 0']],
    );
    assert.deepEqual(
      m.opticals.map((o) => [o.bus, o.file, o.sourceController]),
      [['ide', null, 'IDE 1 master']],
    );
    assert.equal(m.chipset, 'pc');
    assert.deepEqual(m.nics, [{ model: 'e1000', sourceModel: 'E1000', mac: null, network: 'NAT' }]);
    warned(m, /sound card "sound" \(ensoniq1371\) is left out/);
    warned(m, /USB controller "usb" is left out/);
    notWarned(m, /NAT network/);
  });

  test('vbox:Machine is authoritative: firmware, CPUs, memory, NIC types and MACs', () => {
    const m = one(
      vbox(vboxItems(vboxIde + vboxSata, vboxDisk(11, 5, 0, 'vmdisk1'), vboxNic(6, '') + vboxNic(7, 'E1000', 'Bridged')), {
        machine: machine(
          '<CPU count="6"><PAE enabled="true"/></CPU><Memory RAMSize="3072"/><Firmware type="EFI"/>' +
            '<Network><Adapter slot="0" enabled="true" MACAddress="080027AABBCC" type="virtio"><NAT/></Adapter><Adapter slot="1" enabled="true" MACAddress="080027AABBCD" type="82545EM"><BridgedInterface name="eth0"/></Adapter></Network>',
        ),
      }),
    );
    assert.equal(m.firmware, 'uefi');
    assert.equal(m.chipset, 'q35');
    assert.equal(m.cpus, 6);
    assert.equal(m.memoryMiB, 3072);
    assert.deepEqual(m.nics, [
      { model: 'virtio', sourceModel: 'virtio', mac: '08:00:27:aa:bb:cc', network: 'NAT' },
      { model: 'e1000', sourceModel: '82545EM', mac: '08:00:27:aa:bb:cd', network: 'Bridged' },
    ]);
    notWarned(m, /does not say which adapter/);
    warned(m, /network 'Bridged' is mapped at import to the Hangar network of the same name, or else to user-mode NAT/);
  });

  test('vbox:Machine firmware BIOS wins; EFI32 warns; an unknown adapter type gets the default', () => {
    const bios = one(vbox(vboxItems(vboxSata, vboxDisk(11, 5, 0, 'vmdisk1')), { machine: machine('<Firmware type="BIOS"/>') }));
    assert.equal(bios.firmware, 'bios');
    const efi32 = one(vbox(vboxItems(vboxSata, vboxDisk(11, 5, 0, 'vmdisk1'), vboxNic(6, '')), { machine: machine('<Firmware type="EFI32"/><Network><Adapter slot="0" enabled="true" type="NE2000"><NAT/></Adapter></Network>') }));
    assert.equal(efi32.firmware, 'uefi');
    warned(efi32, /32-bit UEFI/);
    assert.equal(efi32.nics[0]!.model, 'virtio');
    warned(efi32, /VirtualBox's NE2000 adapter has no equivalent/);
  });

  test('a NIC without a subtype and no vbox:Machine: the OS default, with a warning', () => {
    const m = one(vbox(vboxItems(vboxSata, vboxDisk(11, 5, 0, 'vmdisk1'), vboxNic(6, ''))));
    assert.equal(m.nics[0]!.model, 'virtio');
    warned(m, /NIC 1 \("Ethernet adapter on 'NAT'"\) does not say which adapter it is/);
  });

  test('IDE flat index = 2 × Address + AddressOnParent; the boot disk comes first', () => {
    const m = one(
      vbox(vboxItems(vboxIde, vboxDisk(11, 4, 1, 'd3') + vboxDisk(12, 4, 0, 'd2') + vboxDisk(13, 3, 1, 'd1')), {
        refs: '',
        disks: vmdk('d1', null, 1) + vmdk('d2', null, 1) + vmdk('d3', null, 1),
      }),
    );
    assert.deepEqual(
      m.disks.map((d) => [d.diskId, d.sourceController]),
      [
        ['d1', 'IDE 0 slave'],
        ['d2', 'IDE 1 master'],
        ['d3', 'IDE 1 slave'],
      ],
    );
    assert.ok(m.disks.every((d) => d.bus === 'ide'));
    assert.equal(m.chipset, 'pc', 'IDE disks keep the pc chipset');
  });

  test('pre-3.2 VirtualBox: one IDE controller with AddressOnParent 0–3', () => {
    const m = one(
      vbox(vboxItems(item({ Address: 0, ElementName: 'ideController0', InstanceID: 3, ResourceSubType: 'PIIX3', ResourceType: 5 }), vboxDisk(11, 3, 3, 'd4') + vboxDisk(12, 3, 2, 'd3') + vboxDisk(13, 3, 0, 'd1')), {
        refs: '',
        disks: vmdk('d1', null, 1) + vmdk('d3', null, 1) + vmdk('d4', null, 1),
      }),
    );
    assert.deepEqual(
      m.disks.map((d) => [d.diskId, d.sourceController]),
      [
        ['d1', 'IDE 0 master'],
        ['d3', 'IDE 1 master'],
        ['d4', 'IDE 1 slave'],
      ],
    );
  });

  test('ICH6 IDE has no twin: a warning when disks sit on it', () => {
    const m = one(vbox(vboxItems(item({ Address: 0, ElementName: 'ide', InstanceID: 3, ResourceSubType: 'ICH6', ResourceType: 5 }), vboxDisk(11, 3, 0, 'vmdisk1'))));
    warned(m, /ICH6 IDE controller becomes the PIIX3/);
  });

  test('VirtualBox controllers: VirtioSCSI and NVMe exact, BusLogic approximated', () => {
    const m = one(
      vbox(
        vboxItems(
          item({ Address: 0, ElementName: 'VirtioSCSI', InstanceID: 3, ResourceSubType: 'VirtioSCSI', ResourceType: 20 }) +
            item({ Address: 0, ElementName: 'NVMe', InstanceID: 4, ResourceSubType: 'NVMe', ResourceType: 20 }) +
            item({ Address: 0, ElementName: 'SCSI', InstanceID: 5, ResourceSubType: 'buslogic', ResourceType: 6 }),
          vboxDisk(11, 3, 0, 'd1') + vboxDisk(12, 4, 0, 'd2') + vboxDisk(13, 5, 0, 'd3'),
        ),
        { refs: '', disks: vmdk('d1', null, 1) + vmdk('d2', null, 1) + vmdk('d3', null, 1) },
      ),
    );
    assert.deepEqual(
      m.disks.map((d) => d.bus),
      ['scsi', 'nvme', 'scsi'],
    );
    warned(m, /SCSI controller \(buslogic\) "SCSI" has no exact equivalent/);
  });

  test('the NVRAM item of newer VirtualBox is left out with a warning', () => {
    const m = one(
      vbox(vboxItems(vboxSata, vboxDisk(11, 5, 0, 'vmdisk1') + item({ ElementName: 'nvram', HostResource: 'ovf:/file/file2', InstanceID: 20, ResourceType: 32768 })), {
        refs: file('file1', 'a.vmdk') + file('file2', 'vm.nvram'),
        machine: machine('<Firmware type="EFI"/>'),
      }),
    );
    warned(m, /saved UEFI variables \(NVRAM\) are not imported/);
  });

  test('OVF 2.0 export: StorageItem and EthernetPortItem matched by local name', () => {
    const xml = `<?xml version="1.0"?>
<Envelope ovf:version="2.0" xml:lang="en-US" xmlns="http://schemas.dmtf.org/ovf/envelope/2" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/2" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData.xsd" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData.xsd" xmlns:sasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_StorageAllocationSettingData.xsd" xmlns:epasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPortAllocationSettingData.xsd" xmlns:vbox="http://www.virtualbox.org/ovf/machine">
  <References><File ovf:id="file1" ovf:href="vm2-disk001.vmdk"/></References>
  <DiskSection><Info/><Disk ovf:capacity="10737418240" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/></DiskSection>
  <VirtualSystem ovf:id="vm2">
    <Info>A virtual machine</Info>
    <OperatingSystemSection ovf:id="107"><Info/><Description>RedHat_64</Description><vbox:OSType ovf:required="false">RedHat_64</vbox:OSType></OperatingSystemSection>
    <VirtualHardwareSection>
      <Info/>
      <System><vssd:ElementName>Virtual Hardware Family</vssd:ElementName><vssd:InstanceID>0</vssd:InstanceID><vssd:VirtualSystemIdentifier>vm2</vssd:VirtualSystemIdentifier><vssd:VirtualSystemType>virtualbox-2.2</vssd:VirtualSystemType></System>
      <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>
      <Item><rasd:Address>0</rasd:Address><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceSubType>AHCI</rasd:ResourceSubType><rasd:ResourceType>20</rasd:ResourceType></Item>
      <StorageItem><sasd:AddressOnParent>0</sasd:AddressOnParent><sasd:Caption>disk1</sasd:Caption><sasd:HostResource>/disk/vmdisk1</sasd:HostResource><sasd:InstanceID>4</sasd:InstanceID><sasd:Parent>3</sasd:Parent><sasd:ResourceType>17</sasd:ResourceType></StorageItem>
      <StorageItem><sasd:AddressOnParent>1</sasd:AddressOnParent><sasd:Caption>cdrom1</sasd:Caption><sasd:InstanceID>5</sasd:InstanceID><sasd:Parent>3</sasd:Parent><sasd:ResourceType>15</sasd:ResourceType></StorageItem>
      <EthernetPortItem><epasd:Address>08:00:27:01:02:03</epasd:Address><epasd:AutomaticAllocation>true</epasd:AutomaticAllocation><epasd:Connection>NAT</epasd:Connection><epasd:InstanceID>6</epasd:InstanceID><epasd:ResourceSubType>E1000</epasd:ResourceSubType><epasd:ResourceType>10</epasd:ResourceType></EthernetPortItem>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>`;
    const p = plan(xml);
    assert.equal(p.ovfVersion, '2.x');
    const m = p.machines[0]!;
    assert.equal(m.osType, 'linux');
    assert.deepEqual(
      m.disks.map((d) => [d.diskId, d.bus, d.capacityBytes]),
      [['vmdisk1', 'sata', 10737418240]],
    );
    assert.deepEqual(
      m.opticals.map((o) => o.bus),
      ['sata'],
    );
    assert.deepEqual(m.nics, [{ model: 'e1000', sourceModel: 'E1000', mac: '08:00:27:01:02:03', network: 'NAT' }]);
  });
});

describe('planAppliance: OVF 0.9', () => {
  test('Section xsi:type, Content xsi:type, InstanceId, BusNumber', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ovf:Envelope xmlns:ovf="http://www.vmware.com/schema/ovf/1/envelope" xmlns="http://www.vmware.com/schema/ovf/1/envelope" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vmw="http://www.vmware.com/schema/ovf" ovf:version="0.9">
  <References><File ovf:href="system.vmdk" ovf:size="53680128" ovf:id="system_id"/><File ovf:href="custom.iso" ovf:id="isofile"/></References>
  <Section xsi:type="ovf:NetworkSection_Type"><Info/><Network ovf:name="Network 1"/></Section>
  <Section xsi:type="ovf:DiskSection_Type"><Info/><Disk ovf:diskId="system" ovf:fileRef="system_id" ovf:format="http://www.vmware.com/specifications/vmdk.html#sparse" ovf:capacity="2147483648"/></Section>
  <Content ovf:id="JeOS 0.9" xsi:type="ovf:VirtualSystem_Type">
    <Info>A virtual machine</Info>
    <Section xsi:type="ovf:ProductSection_Type" ovf:required="false"><Info/><Product>JeOS</Product><Vendor>Someone</Vendor><Version>1.0</Version><Full-version>1.0.0</Full-version></Section>
    <Section ovf:id="36" ovf:version="6" vmw:osType="centosGuest" xsi:type="ovf:OperatingSystemSection_Type"><Info/><Description>CentOS Linux 6.0</Description></Section>
    <Section xsi:type="ovf:VirtualHardwareSection_Type">
      <Info/>
      <System><vssd:VirtualSystemType>vmx-07</vssd:VirtualSystemType></System>
      <Item><rasd:Caption>1 virtual CPU</rasd:Caption><rasd:InstanceId>1</rasd:InstanceId><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:Caption>512 MB of memory</rasd:Caption><rasd:InstanceId>2</rasd:InstanceId><rasd:ResourceType>4</rasd:ResourceType><rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>
      <Item><rasd:Caption>Ethernet adapter on vmnet</rasd:Caption><rasd:InstanceId>3</rasd:InstanceId><rasd:ResourceType>10</rasd:ResourceType><rasd:ResourceSubType>PCNet32</rasd:ResourceSubType><rasd:Connection>Network 1</rasd:Connection></Item>
      <Item><rasd:Caption>SCSI Controller 0 - LSI Logic</rasd:Caption><rasd:InstanceId>4</rasd:InstanceId><rasd:ResourceType>6</rasd:ResourceType><rasd:ResourceSubType>lsilogic</rasd:ResourceSubType><rasd:BusNumber>0</rasd:BusNumber></Item>
      <Item><rasd:Caption>Harddisk 0</rasd:Caption><rasd:InstanceId>5</rasd:InstanceId><rasd:ResourceType>17</rasd:ResourceType><rasd:HostResource>/disk/system</rasd:HostResource><rasd:Parent>4</rasd:Parent><rasd:AddressOnParent>0</rasd:AddressOnParent></Item>
      <Item><rasd:Caption>IDE Controller 0</rasd:Caption><rasd:InstanceId>6</rasd:InstanceId><rasd:ResourceType>5</rasd:ResourceType><rasd:BusNumber>1</rasd:BusNumber></Item>
      <Item><rasd:Caption>cdrom 1</rasd:Caption><rasd:InstanceId>8</rasd:InstanceId><rasd:ResourceType>15</rasd:ResourceType><rasd:HostResource>ovf:/file/isofile</rasd:HostResource><rasd:Parent>6</rasd:Parent><rasd:AddressOnParent>1</rasd:AddressOnParent></Item>
    </Section>
  </Content>
</ovf:Envelope>`;
    const p = plan(xml);
    assert.equal(p.ovfVersion, '0.9');
    const m = p.machines[0]!;
    assert.equal(m.name, 'JeOS 0.9');
    assert.equal(m.osType, 'linux');
    assert.equal(m.cpus, 1);
    assert.equal(m.memoryMiB, 512);
    assert.deepEqual(
      m.disks.map((d) => [d.diskId, d.bus, d.capacityBytes, d.file?.href]),
      [['system', 'scsi', 2147483648, 'system.vmdk']],
    );
    assert.deepEqual(
      m.opticals.map((o) => [o.bus, o.file?.href, o.sourceController]),
      [['ide', 'custom.iso', 'IDE 1 slave']],
    );
    assert.deepEqual(m.nics, [{ model: 'pcnet', sourceModel: 'PCNet32', mac: null, network: 'Network 1' }]);
    assert.deepEqual(m.product, { product: 'JeOS', vendor: 'Someone', version: '1.0', fullVersion: '1.0.0', productUrl: '', vendorUrl: '' });
  });
});

describe('planAppliance: XenServer', () => {
  const xen = (hw: string, osId = 1) => `<?xml version="1.0" encoding="utf-8"?>
<ovf:Envelope xmlns:xenovf="http://schemas.citrix.com/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xml:lang="en-US">
<ovf:References><ovf:File ovf:id="6a8e3b5c-0000-4000-8000-000000000001" ovf:href="6a8e3b5c-0000-4000-8000-000000000001.vhd" ovf:size="16777216"/><ovf:File ovf:id="6a8e3b5c-0000-4000-8000-000000000002" ovf:href="6a8e3b5c-0000-4000-8000-000000000002.vhd"/></ovf:References>
<ovf:DiskSection><ovf:Info>Available Disks</ovf:Info>
  <ovf:Disk ovf:diskId="6a8e3b5c-0000-4000-8000-000000000001" ovf:fileRef="6a8e3b5c-0000-4000-8000-000000000001" ovf:capacity="10737418240" ovf:format="http://www.microsoft.com/technet/virtualserver/downloads/vhdspec.mspx"/>
  <ovf:Disk ovf:diskId="6a8e3b5c-0000-4000-8000-000000000002" ovf:fileRef="6a8e3b5c-0000-4000-8000-000000000002" ovf:capacity="1073741824" ovf:format="http://www.microsoft.com/technet/virtualserver/downloads/vhdspec.mspx"/>
</ovf:DiskSection>
<ovf:VirtualSystem ovf:id="xen-vm-uuid"><ovf:Info>XenOVF Generated</ovf:Info><ovf:Name>Web server</ovf:Name>
<ovf:OperatingSystemSection ovf:id="${osId}"><ovf:Info>Guest Operating System</ovf:Info><ovf:Description>XenOVF Created Export</ovf:Description></ovf:OperatingSystemSection>
<ovf:VirtualHardwareSection><ovf:Info>Virtual Hardware Requirements</ovf:Info>
<ovf:System><vssd:ElementName>Web server</vssd:ElementName><vssd:InstanceID>b1ad27d4</vssd:InstanceID><vssd:VirtualSystemType>hvm-3.0-x86_64</vssd:VirtualSystemType></ovf:System>
<ovf:Item><rasd:AllocationUnits>Processor Cores</rasd:AllocationUnits><rasd:InstanceID>c389</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>2</rasd:VirtualQuantity></ovf:Item>
<ovf:Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:InstanceID>7f8e</rasd:InstanceID><rasd:ResourceSubType>Machine Memory</rasd:ResourceSubType><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></ovf:Item>
<ovf:Item><rasd:AddressOnParent>1</rasd:AddressOnParent><rasd:AllocationUnits>Disk</rasd:AllocationUnits><rasd:Caption>Hard Disk Image</rasd:Caption><rasd:Connection>6a8e3b5c-0000-4000-8000-000000000002,device=1</rasd:Connection><rasd:ElementName>data disk</rasd:ElementName><rasd:HostResource>ovf:/disk/6a8e3b5c-0000-4000-8000-000000000002</rasd:HostResource><rasd:InstanceID>6a8e-2</rasd:InstanceID><rasd:ResourceSubType>Virtual Hard Disk Image</rasd:ResourceSubType><rasd:ResourceType>19</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></ovf:Item>
<ovf:Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:AllocationUnits>Disk</rasd:AllocationUnits><rasd:Caption>Hard Disk Image</rasd:Caption><rasd:Connection>6a8e3b5c-0000-4000-8000-000000000001,device=0</rasd:Connection><rasd:ElementName>system disk</rasd:ElementName><rasd:HostResource>ovf:/disk/6a8e3b5c-0000-4000-8000-000000000001</rasd:HostResource><rasd:InstanceID>6a8e-1</rasd:InstanceID><rasd:ResourceSubType>Virtual Hard Disk Image</rasd:ResourceSubType><rasd:ResourceType>19</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></ovf:Item>
<ovf:Item ovf:required="false"><rasd:AddressOnParent>3</rasd:AddressOnParent><rasd:AllocationUnits>DVD Drives</rasd:AllocationUnits><rasd:Caption>DVD Drive</rasd:Caption><rasd:ElementName>DVD Drive</rasd:ElementName><rasd:InstanceID>dvd</rasd:InstanceID><rasd:ResourceType>16</rasd:ResourceType></ovf:Item>
<ovf:Item><rasd:Address>7a:1b:2c:3d:4e:5f</rasd:Address><rasd:AllocationUnits>Ports</rasd:AllocationUnits><rasd:Caption>Ethernet Adapter</rasd:Caption><rasd:Connection>network-uuid</rasd:Connection><rasd:ElementName>Network 0</rasd:ElementName><rasd:InstanceID>nic</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType></ovf:Item>
${hw}
</ovf:VirtualHardwareSection>
</ovf:VirtualSystem></ovf:Envelope>`;

  test('RT19 disks without a controller go on IDE, ordered by userdevice; MAC from rasd:Address', () => {
    const m = one(xen(''));
    assert.equal(m.name, 'Web server');
    assert.equal(m.cpus, 2);
    assert.equal(m.memoryMiB, 1024);
    assert.equal(m.firmware, 'bios');
    assert.deepEqual(
      m.disks.map((d) => [d.file?.href, d.bus, d.capacityBytes, d.sourceController]),
      [
        ['6a8e3b5c-0000-4000-8000-000000000001.vhd', 'ide', 10737418240, 'XenServer device 0 (no controller)'],
        ['6a8e3b5c-0000-4000-8000-000000000002.vhd', 'ide', 1073741824, 'XenServer device 1 (no controller)'],
      ],
    );
    assert.deepEqual(
      m.opticals.map((o) => [o.bus, o.file]),
      [['ide', null]],
    );
    assert.equal(m.chipset, 'pc');
    assert.equal(m.nics[0]!.mac, '7a:1b:2c:3d:4e:5f');
    assert.equal(m.nics[0]!.model, defaultsFor(m.osType).nicModel);
    warned(m, /no controller \(XenServer\): they go on IDE/);
    warned(m, /NIC 1 \("Network 0"\) does not say which adapter it is/);
    warned(m, /does not say which operating system/);
  });

  test('HVM_boot_params firmware=uefi: UEFI, q35, the IDE disks move to SATA', () => {
    const m = one(
      xen(
        '<xenovf:VirtualSystemOtherConfigurationData Name="HVM_boot_params"><xenovf:Info>x</xenovf:Info><xenovf:Value>order=dc;firmware=uefi;</xenovf:Value></xenovf:VirtualSystemOtherConfigurationData>' +
          '<xenovf:VirtualSystemOtherConfigurationData Name="platform"><xenovf:Info>x</xenovf:Info><xenovf:Value>secureboot=true;viridian=true</xenovf:Value></xenovf:VirtualSystemOtherConfigurationData>' +
          '<xenovf:VirtualSystemOtherConfigurationData Name="NVRAM"><xenovf:Info>x</xenovf:Info><xenovf:Value>EFI-variables=abc</xenovf:Value></xenovf:VirtualSystemOtherConfigurationData>',
        103,
      ),
    );
    assert.equal(m.osType, 'windows7');
    assert.equal(m.firmware, 'uefi');
    assert.equal(m.chipset, 'q35');
    assert.ok(m.disks.every((d) => d.bus === 'sata'));
    assert.equal(m.opticals[0]!.bus, 'sata');
    warned(m, /moves from IDE to SATA: UEFI needs the q35 chipset/);
    warned(m, /Secure Boot/);
    warned(m, /NVRAM/);
  });

  test('a paravirtualized (xen-3.0) guest is flagged', () => {
    const m = one(xen('').replace('hvm-3.0-x86_64', 'xen-3.0-x86_64'));
    warned(m, /Xen paravirtualized \(PV\) guest/);
  });
});

describe('planAppliance: oVirt', () => {
  const ovirtOva = (o: { biosType?: string; osSection?: string; extraItems?: string } = {}) => `<?xml version="1.0" encoding="UTF-8"?>
<ovf:Envelope xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovirt="http://www.ovirt.org/ovf">
<References><File ovf:href="11111111-aaaa-4000-8000-000000000001" ovf:id="11111111-aaaa-4000-8000-000000000001" ovf:size="2000000"/><File ovf:href="22222222-aaaa-4000-8000-000000000002" ovf:id="22222222-aaaa-4000-8000-000000000002" ovf:size="1000000"/></References>
<NetworkSection><Info>List of networks</Info><Network ovf:name="ovirtmgmt"/></NetworkSection>
<DiskSection><Info>List of Virtual Disks</Info>
  <Disk ovf:diskId="d-data" ovf:capacity="5" ovf:capacityAllocationUnits="byte * 2^30" ovf:populatedSize="1000000" ovf:parentRef="" ovf:fileRef="22222222-aaaa-4000-8000-000000000002" ovf:format="http://www.gnome.org/~markmc/qcow-image-format.html" ovf:volume-format="COW" ovf:volume-type="Sparse" ovf:disk-interface="VirtIO_SCSI" ovf:boot="false" ovf:pass-discard="false" ovf:disk-alias="data"/>
  <Disk ovf:diskId="d-boot" ovf:capacity="20" ovf:capacityAllocationUnits="byte * 2^30" ovf:populatedSize="2000000" ovf:parentRef="" ovf:fileRef="11111111-aaaa-4000-8000-000000000001" ovf:format="http://www.vmware.com/specifications/vmdk.html#sparse" ovf:volume-format="RAW" ovf:volume-type="Preallocated" ovf:disk-interface="VirtIO" ovf:boot="true" ovf:pass-discard="false" ovf:disk-alias="boot"/>
</DiskSection>
<VirtualSystem ovf:id="33333333-aaaa-4000-8000-000000000003">
<Name>ovirt-vm</Name><Description>made in oVirt</Description><Comment/><BiosType>${o.biosType ?? '0'}</BiosType>
${o.osSection ?? '<OperatingSystemSection ovf:id="80" ovirt:id="33" ovf:required="false"><Info>Guest Operating System</Info><Description>Red Hat Enterprise Linux 8.x x64</Description></OperatingSystemSection>'}
<VirtualHardwareSection><Info>4 CPU, 4096 Memory</Info><System><vssd:VirtualSystemType>ENGINE 4.4.0.0</vssd:VirtualSystemType></System>
<Item><rasd:Caption>4 virtual cpu</rasd:Caption><rasd:Description>Number of virtual CPU</rasd:Description><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:num_of_sockets>2</rasd:num_of_sockets><rasd:cpu_per_socket>2</rasd:cpu_per_socket><rasd:threads_per_cpu>1</rasd:threads_per_cpu><rasd:max_num_of_vcpus>16</rasd:max_num_of_vcpus><rasd:VirtualQuantity>4</rasd:VirtualQuantity></Item>
<Item><rasd:Caption>4096 MB of memory</rasd:Caption><rasd:Description>Memory Size</rasd:Description><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits><rasd:VirtualQuantity>4096</rasd:VirtualQuantity></Item>
<Item><rasd:Caption>data</rasd:Caption><rasd:InstanceID>22222222-aaaa-4000-8000-000000000002</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType><rasd:HostResource>ovf:/disk/d-data</rasd:HostResource><rasd:Parent>00000000-0000-0000-0000-000000000000</rasd:Parent><Type>disk</Type><Device>disk</Device><rasd:Address>{type=drive, bus=0, controller=0, target=0, unit=1}</rasd:Address><BootOrder>0</BootOrder></Item>
<Item><rasd:Caption>boot</rasd:Caption><rasd:InstanceID>11111111-aaaa-4000-8000-000000000001</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType><rasd:HostResource>ovf:/disk/d-boot</rasd:HostResource><rasd:Parent>00000000-0000-0000-0000-000000000000</rasd:Parent><Type>disk</Type><Device>disk</Device><rasd:Address>{type=pci, slot=0x05}</rasd:Address><BootOrder>1</BootOrder></Item>
<Item><rasd:Caption>Ethernet adapter on ovirtmgmt</rasd:Caption><rasd:InstanceID>nic1</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType><rasd:OtherResourceType>ovirtmgmt</rasd:OtherResourceType><rasd:ResourceSubType>3</rasd:ResourceSubType><rasd:Connection>ovirtmgmt</rasd:Connection><rasd:Linked>true</rasd:Linked><rasd:Name>nic1</rasd:Name><rasd:ElementName>nic1</rasd:ElementName><rasd:MACAddress>56:6f:1a:2b:00:01</rasd:MACAddress><rasd:speed>10000</rasd:speed><Type>interface</Type><Device>bridge</Device></Item>
<Item><rasd:Caption>Ethernet adapter on ovirtmgmt</rasd:Caption><rasd:InstanceID>nic2</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType><rasd:ResourceSubType>2</rasd:ResourceSubType><rasd:Connection>ovirtmgmt</rasd:Connection><rasd:ElementName>nic2</rasd:ElementName><rasd:MACAddress>56:6f:1a:2b:00:02</rasd:MACAddress></Item>
<Item><rasd:Caption>Ethernet adapter on ovirtmgmt</rasd:Caption><rasd:InstanceID>nic3</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType><rasd:ResourceSubType>5</rasd:ResourceSubType><rasd:Connection>ovirtmgmt</rasd:Connection><rasd:ElementName>nic3</rasd:ElementName></Item>
<Item><rasd:Caption>USB Controller</rasd:Caption><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>23</rasd:ResourceType><rasd:UsbPolicy>DISABLED</rasd:UsbPolicy></Item>
<Item><rasd:Caption>Graphical Controller</rasd:Caption><rasd:InstanceID>video</rasd:InstanceID><rasd:ResourceType>32768</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity><Type>video</Type><Device>qxl</Device></Item>
<Item><rasd:Caption>Graphical Framebuffer</rasd:Caption><rasd:InstanceID>graphics</rasd:InstanceID><rasd:ResourceType>24</rasd:ResourceType><Type>graphics</Type><Device>spice</Device></Item>
<Item><rasd:Caption>CDROM</rasd:Caption><rasd:InstanceID>cdrom</rasd:InstanceID><rasd:ResourceType>15</rasd:ResourceType><Type>disk</Type><Device>cdrom</Device></Item>
<Item><rasd:ResourceType>0</rasd:ResourceType><rasd:InstanceId>balloon</rasd:InstanceId><Type>balloon</Type><Device>memballoon</Device></Item>
<Item><rasd:ResourceType>0</rasd:ResourceType><rasd:InstanceId>rng</rasd:InstanceId><Type>rng</Type><Device>virtio</Device></Item>
${o.extraItems ?? ''}
</VirtualHardwareSection></VirtualSystem></ovf:Envelope>`;

  test('an oVirt OVA: no controllers, the bus from ovf:disk-interface, the boot disk first, numeric NIC types', () => {
    const m = one(ovirtOva());
    assert.equal(m.name, 'ovirt-vm');
    assert.equal(m.description, 'made in oVirt');
    assert.equal(m.osType, 'linux');
    assert.match(m.osSource, /ovirt:id '33'/);
    assert.equal(m.cpus, 4);
    assert.equal(m.memoryMiB, 4096);
    assert.equal(m.firmware, 'bios');
    assert.deepEqual(
      m.disks.map((d) => [d.diskId, d.bus, d.capacityBytes, d.sourceController]),
      [
        ['d-boot', 'virtio', 20 * 2 ** 30, 'oVirt VirtIO disk'],
        ['d-data', 'scsi', 5 * 2 ** 30, 'oVirt VirtIO_SCSI disk'],
      ],
    );
    assert.deepEqual(
      m.nics.map((n) => [n.model, n.sourceModel, n.mac, n.network]),
      [
        ['virtio', '3', '56:6f:1a:2b:00:01', 'ovirtmgmt'],
        ['e1000', '2', '56:6f:1a:2b:00:02', 'ovirtmgmt'],
        ['virtio', '5', null, 'ovirtmgmt'],
      ],
    );
    assert.equal(m.opticals.length, 1);
    warned(m, /NIC 3 \("nic3"\): the 5 adapter has no equivalent/);
    warned(m, /video card "Graphical Controller" is left out/);
    warned(m, /video card "Graphical Framebuffer" is left out/);
    warned(m, /memory balloon #balloon is left out/);
    warned(m, /random number generator #rng is left out/);
    notWarned(m, /USB/);
  });

  test('BiosType 2 is UEFI on q35, 3 adds Secure Boot, 1 asks for q35 with BIOS', () => {
    const uefi = one(ovirtOva({ biosType: '2' }));
    assert.equal(uefi.firmware, 'uefi');
    assert.equal(uefi.chipset, 'q35');
    const secure = one(ovirtOva({ biosType: '3' }));
    assert.equal(secure.firmware, 'uefi');
    warned(secure, /Secure Boot/);
    const q35 = one(ovirtOva({ biosType: '1' }));
    assert.equal(q35.firmware, 'bios');
    assert.equal(q35.chipset, 'q35');
  });

  test('a Windows guest from ovirt:id with the CIM id oVirt writes for it', () => {
    const m = one(ovirtOva({ osSection: '<OperatingSystemSection ovf:id="121" ovirt:id="27" ovf:required="false"><Info/><Description>Windows 10 x64</Description></OperatingSystemSection>' }));
    assert.equal(m.osType, 'windows10');
  });

  test("oVirt's engine-internal OVF: trailing-slash namespace, 0.9-style sections, image paths, size in GiB", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ovf:Envelope xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1/" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ovf:version="4.4.0.0">
<References><File ovf:href="group1/image1" ovf:id="image1" ovf:size="1073741824" ovf:description="Active VM"/></References>
<Section xsi:type="ovf:NetworkSection_Type"><Info>The list of logical networks</Info><Network ovf:name="ovirtmgmt"/></Section>
<Section xsi:type="ovf:DiskSection_Type"><Info>List of Virtual Disks</Info><Disk ovf:diskId="image1" ovf:size="8" ovf:actual_size="1" ovf:vm_snapshot_id="s" ovf:parentRef="" ovf:fileRef="group1/image1" ovf:format="http://www.vmware.com/specifications/vmdk.html#sparse" ovf:volume-format="RAW" ovf:volume-type="Sparse" ovf:disk-interface="VirtIO" ovf:boot="true"/></Section>
<Content ovf:id="out" xsi:type="ovf:VirtualSystem_Type"><Name>engine-vm</Name><Description/><BiosType>2</BiosType>
<Section ovf:id="44444444-aaaa-4000-8000-000000000004" ovf:required="false" xsi:type="ovf:OperatingSystemSection_Type"><Info>Guest Operating System</Info><Description>rhel_7x64</Description></Section>
<Section xsi:type="ovf:VirtualHardwareSection_Type"><Info>1 CPU, 1024 Memory</Info><System><vssd:VirtualSystemType>ENGINE 4.4.0.0</vssd:VirtualSystemType></System>
<Item><rasd:Caption>1 virtual cpu</rasd:Caption><rasd:InstanceId>1</rasd:InstanceId><rasd:ResourceType>3</rasd:ResourceType><rasd:num_of_sockets>1</rasd:num_of_sockets><rasd:cpu_per_socket>1</rasd:cpu_per_socket><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
<Item><rasd:Caption>1024 MB of memory</rasd:Caption><rasd:InstanceId>2</rasd:InstanceId><rasd:ResourceType>4</rasd:ResourceType><rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits><rasd:VirtualQuantity>1024</rasd:VirtualQuantity></Item>
<Item><rasd:Caption>disk1</rasd:Caption><rasd:InstanceId>image1</rasd:InstanceId><rasd:ResourceType>17</rasd:ResourceType><rasd:HostResource>group1/image1</rasd:HostResource><rasd:Parent>00000000-0000-0000-0000-000000000000</rasd:Parent></Item>
<Item><rasd:Caption>Graphical Controller</rasd:Caption><rasd:InstanceId>m</rasd:InstanceId><rasd:ResourceType>20</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity><Type>video</Type><Device>qxl</Device></Item>
<Item><rasd:Caption>Graphical Framebuffer</rasd:Caption><rasd:InstanceId>g</rasd:InstanceId><rasd:ResourceType>26</rasd:ResourceType><Type>graphics</Type><Device>vnc</Device></Item>
</Section></Content></ovf:Envelope>`;
    const p = plan(xml);
    assert.equal(p.ovfVersion, '1.x');
    const m = p.machines[0]!;
    assert.equal(m.name, 'engine-vm');
    assert.equal(m.osType, 'linux');
    assert.match(m.osSource, /rhel_7x64/);
    assert.equal(m.firmware, 'uefi');
    assert.deepEqual(
      m.disks.map((d) => [d.diskId, d.bus, d.capacityBytes, d.file?.href]),
      [['image1', 'virtio', 8 * 2 ** 30, 'group1/image1']],
    );
    warned(m, /video card "Graphical Controller" is left out/);
    warned(m, /video card "Graphical Framebuffer" is left out/);
  });
});

describe('planAppliance: collections', () => {
  test('nested VirtualSystemCollections give one machine per VirtualSystem, with inherited EULAs and product', () => {
    const vm = (id: string, name: string) => system([cpu(1), mem(512)].join(''), { id, name });
    const xml = envelope(
      `<VirtualSystemCollection ovf:id="vapp"><Info/><Name>My vApp</Name>` +
        `<ProductSection><Info/><Product>Stack</Product><Vendor>Acme</Vendor><Version>2</Version></ProductSection>` +
        `<EulaSection><Info/><License>Outer licence</License></EulaSection>` +
        `${vm('web', 'web')}<VirtualSystemCollection ovf:id="db-tier"><Info/><EulaSection><Info/><License>DB licence</License></EulaSection>${vm('db1', 'db one')}${vm('db2', 'db two')}</VirtualSystemCollection>` +
        `</VirtualSystemCollection>`,
    );
    const p = plan(xml);
    assert.deepEqual(
      p.machines.map((m) => [m.systemId, m.name, m.eulas]),
      [
        ['web', 'web', ['Outer licence']],
        ['db1', 'db one', ['Outer licence', 'DB licence']],
        ['db2', 'db two', ['Outer licence', 'DB licence']],
      ],
    );
    assert.deepEqual(p.machines[1]!.product, { product: 'Stack', vendor: 'Acme', version: '2', fullVersion: '', productUrl: '', vendorUrl: '' });
    warned(p, /group of 3 machines \('My vApp'\)/);
  });

  test("a machine's own EULA and product", () => {
    const m = one(envelope(system([cpu(1), mem(512)].join(''), { extra: '<ProductSection><Info/><Product>Thing</Product><Vendor>V</Vendor><Version>1</Version><FullVersion>1.0.1</FullVersion><ProductUrl>http://thing</ProductUrl><VendorUrl>http://v</VendorUrl></ProductSection><EulaSection><Info/><License>Use it well.</License></EulaSection>' })));
    assert.deepEqual(m.product, { product: 'Thing', vendor: 'V', version: '1', fullVersion: '1.0.1', productUrl: 'http://thing', vendorUrl: 'http://v' });
    assert.deepEqual(m.eulas, ['Use it well.']);
    assert.equal(one(envelope(system(cpu(1) + mem(512)))).product, null);
  });
});

describe('planAppliance: names and descriptions', () => {
  test('Name, else VirtualSystem ovf:id, else VirtualSystemIdentifier', () => {
    assert.equal(one(envelope(system(cpu(1) + mem(512), { id: 'the-id', name: 'The Name' }))).name, 'The Name');
    assert.equal(one(envelope(system(cpu(1) + mem(512), { id: 'the-id', name: null }))).name, 'the-id');
    const noId = envelope(system(cpu(1) + mem(512), { id: 'sysident', name: null }).replace('ovf:id="sysident"', ''));
    assert.equal(one(noId).name, 'sysident');
    const nothing = envelope(`<VirtualSystem><Info/><VirtualHardwareSection><Info/>${cpu(1)}${mem(512)}</VirtualHardwareSection></VirtualSystem>`);
    const m = one(nothing);
    assert.equal(m.name, 'Imported VM');
    warned(m, /no usable name/);
  });

  test('names are made valid, with a warning', () => {
    const m = one(envelope(system(cpu(1) + mem(512), { name: 'web/db\\cache&#x85;&#x9;end  ' })));
    assert.equal(m.name, 'web-db-cache end');
    assert.deepEqual(vmNameProblems(m.name), []);
    warned(m, /is not a valid VM name; it becomes 'web-db-cache end'/);
    const long = one(envelope(system(cpu(1) + mem(512), { name: 'x'.repeat(300) })));
    assert.equal(long.name.length, 128);
    warned(long, /not a valid VM name/);
    const fine = one(envelope(system(cpu(1) + mem(512), { name: '\n   Spaced Name\n  ' })));
    assert.equal(fine.name, 'Spaced Name');
    notWarned(fine, /valid VM name/);
  });

  test('toVmName', () => {
    assert.equal(toVmName('a\nb'), 'a b');
    assert.equal(toVmName('..'), '');
    assert.equal(toVmName(' / '), '', 'a name that reads as an option loses its dashes');
    assert.equal(toVmName('--force'), 'force');
    assert.equal(toVmName('9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d'), 'Appliance 9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d', 'an id-shaped name is not taken for an id');
    assert.equal(toVmName('ab\u202ecd\u2066'), 'abcd');
    assert.equal(toVmName('é'.repeat(200)).length, 128);
    for (const s of ['a\u0000b', '\u0085x', 'x'.repeat(1000), ' . ', 'C:\\VMs\\x', '-x', '\u202e--y', '00000000-0000-4000-8000-000000000000']) {
      const n = toVmName(s);
      if (n !== '') assert.deepEqual(newVmNameProblems(n), [], s);
    }
  });

  test('the description: AnnotationSection, cut to the model limit', () => {
    const m = one(envelope(system(cpu(1) + mem(512), { extra: '<AnnotationSection><Info/><Annotation>Some notes.</Annotation></AnnotationSection>' })));
    assert.equal(m.description, 'Some notes.');
    const long = one(envelope(system(cpu(1) + mem(512), { extra: `<AnnotationSection><Info/><Annotation>${'n'.repeat(5000)}</Annotation></AnnotationSection>` })));
    assert.equal(long.description.length, 4096);
    warned(long, /description is cut/);
  });
});

describe('planAppliance: CPU and memory', () => {
  test('every memory AllocationUnits form', () => {
    const cases: [number, string, number][] = [
      [2048, 'byte * 2^20', 2048],
      [2048, 'byte * 2 ^ 20', 2048],
      [2048, 'MegaBytes', 2048],
      [2048, 'MB', 2048],
      [4, 'byte * 2^30', 4096],
      [4, 'byte*2^30', 4096],
      [4, 'GigaBytes', 4096],
      [4, 'GB', 4096],
      [1048576, 'byte * 2^10', 1024],
      [1048576, 'KiloBytes', 1024],
      [2147483648, 'byte', 2048],
    ];
    for (const [q, units, mib] of cases) {
      const m = one(envelope(system(cpu(1) + mem(q, units))));
      assert.equal(m.memoryMiB, mib, units);
      notWarned(m, /memory/);
    }
  });

  test('memory without units is MiB (bytes when huge); unknown units and nonsense get the default', () => {
    const noUnits = one(envelope(system(cpu(1) + item({ InstanceID: 2, ResourceType: 4, VirtualQuantity: 1024 }))));
    assert.equal(noUnits.memoryMiB, 1024);
    warned(noUnits, /gives no units; Hangar reads 1024 as MiB/);
    const bytes = one(envelope(system(cpu(1) + item({ InstanceID: 2, ResourceType: 4, VirtualQuantity: 1073741824 }))));
    assert.equal(bytes.memoryMiB, 1024);
    const weird = one(envelope(system(cpu(1) + mem(4, 'hertz * 10^6'))));
    assert.equal(weird.memoryMiB, defaultsFor('linux').memoryMiB);
    warned(weird, /units Hangar does not know \('hertz \* 10\^6'\)/);
    const nonsense = one(envelope(system(cpu(1) + mem('lots'))));
    assert.equal(nonsense.memoryMiB, defaultsFor('linux').memoryMiB);
    warned(nonsense, /says 'lots', which is not an amount/);
  });

  test('missing CPU and memory: the OS type defaults, with warnings', () => {
    const m = one(envelope(system('', { os: vmwOs('windows9_64Guest') })));
    assert.equal(m.cpus, defaultsFor('windows10').cpus);
    assert.equal(m.memoryMiB, defaultsFor('windows10').memoryMiB);
    warned(m, /does not say how many virtual CPUs.*default for Windows 10/);
    warned(m, /does not say how much memory.*default for Windows 10/);
  });

  test("out of Hangar's limits: clamped, with warnings", () => {
    const big = one(envelope(system(cpu(500) + mem(4, 'byte * 2^40'))));
    assert.equal(big.cpus, MAX_CPUS);
    assert.equal(big.memoryMiB, MAX_MEMORY_MIB);
    warned(big, /500 virtual CPUs; Hangar gives a VM at most 64/);
    warned(big, /at most 1048576 MiB/);
    const small = one(envelope(system(cpu(1) + mem(4))));
    assert.equal(small.memoryMiB, MIN_MEMORY_MIB);
    warned(small, /4 MiB of memory; Hangar gives a VM at least 16 MiB/);
    const zero = one(envelope(system(cpu(0) + mem(512))));
    assert.equal(zero.cpus, defaultsFor('linux').cpus);
    warned(zero, /says '0' virtual CPUs, which is not a count/);
  });

  test("oVirt's socket arithmetic when VirtualQuantity is missing", () => {
    const m = one(envelope(system(item({ InstanceID: 1, ResourceType: 3, num_of_sockets: 2, cpu_per_socket: 4, threads_per_cpu: 2 }) + mem(512))));
    assert.equal(m.cpus, 16);
  });
});

describe('planAppliance: the chipset and bus limits', () => {
  test('Windows 10 prefers q35: an IDE CD drive moves to SATA, an IDE disk keeps pc', () => {
    const cdOnly = one(envelope(system([cpu(2), mem(4096), sata(3), disk(4, 3, 0, 'd1'), ide(5, 0), cd(6, 5, 0)].join(''), { os: vmwOs('windows9_64Guest') }), { disks: vmdk('d1', null) }));
    assert.equal(cdOnly.chipset, 'q35');
    assert.equal(cdOnly.opticals[0]!.bus, 'sata');
    warned(cdOnly, /CD\/DVD drive "CD\/DVD drive 6" \(IDE 0 master\) moves from IDE to SATA: Windows 10 gets the q35 chipset/);
    const ideDisk = one(envelope(system([cpu(2), mem(4096), ide(5, 0), disk(4, 5, 0, 'd1'), cd(6, 5, 1)].join(''), { os: vmwOs('windows9_64Guest') }), { disks: vmdk('d1', null) }));
    assert.equal(ideDisk.chipset, 'pc');
    assert.equal(ideDisk.disks[0]!.bus, 'ide');
    assert.equal(ideDisk.opticals[0]!.bus, 'ide');
  });

  test('Windows 11 without a firmware hint gets UEFI, with a warning', () => {
    const m = one(envelope(system([cpu(2), mem(4096)].join(''), { os: vmwOs('windows11_64Guest') })));
    assert.equal(m.firmware, 'uefi');
    assert.equal(m.chipset, 'q35');
    warned(m, /does not say which firmware.*Windows 11 needs UEFI/);
  });

  test('more than 4 IDE devices on pc: the rest move to SATA', () => {
    const items = [cpu(1), mem(512), ide(3, 0), ide(4, 1), disk(10, 3, 0, 'd1'), disk(11, 3, 1, 'd2'), disk(12, 4, 0, 'd3'), disk(13, 4, 1, 'd4'), item({ AddressOnParent: 2, ElementName: 'Hard disk 14', HostResource: 'ovf:/disk/d5', InstanceID: 14, Parent: 3, ResourceType: 17 }), cd(15, 4, 2)];
    const m = one(envelope(system(items.join(''), { os: vmwOs('winXPProGuest') }), { disks: ['d1', 'd2', 'd3', 'd4', 'd5'].map((d) => vmdk(d, null, 1)).join('') }));
    assert.equal(m.chipset, 'pc');
    // Disk 14 sits at IDE 0 position 2, which pre-3.2 VirtualBox reads as the secondary master.
    assert.deepEqual(
      m.disks.map((d) => [d.diskId, d.bus]),
      [
        ['d1', 'ide'],
        ['d2', 'ide'],
        ['d3', 'ide'],
        ['d5', 'ide'],
        ['d4', 'sata'],
      ],
    );
    assert.equal(m.opticals[0]!.bus, 'sata');
    warned(m, /Disk "Hard disk 13" moves from IDE to SATA: the pc chipset has room for 4 IDE devices/);
    warned(m, /CD\/DVD drive "CD\/DVD drive 15" moves from IDE to SATA/);
  });

  test('more than 16 disks: the rest are not included; more than 6 SATA devices: VirtIO SCSI or left out', () => {
    const many = Array.from({ length: 18 }, (_, i) => `d${i}`);
    const linux = one(envelope(system([cpu(1), mem(512), scsi(3, 'VirtioSCSI'), ...many.map((d, i) => disk(10 + i, 3, i, d))].join('')), { disks: many.map((d) => vmdk(d, null, 1)).join('') }));
    assert.equal(linux.disks.length, 18);
    assert.equal(linux.disks.filter((d) => d.include).length, MAX_DISKS);
    assert.deepEqual(
      linux.disks.slice(16).map((d) => [d.diskId, d.include]),
      [
        ['d16', false],
        ['d17', false],
      ],
    );
    warned(linux, /Disk "Hard disk 26" is not imported: a VM has at most 16 disks/);

    const seven = many.slice(0, 7);
    const sataLinux = one(envelope(system([cpu(1), mem(512), sata(3), ...seven.map((d, i) => disk(10 + i, 3, i, d))].join('')), { disks: seven.map((d) => vmdk(d, null, 1)).join('') }));
    assert.deepEqual(
      sataLinux.disks.map((d) => d.bus),
      ['sata', 'sata', 'sata', 'sata', 'sata', 'sata', 'scsi'],
    );
    warned(sataLinux, /moves to VirtIO SCSI: the SATA controller has 6 ports/);
    const sataWindows = one(envelope(system([cpu(1), mem(512), sata(3), ...seven.map((d, i) => disk(10 + i, 3, i, d))].join(''), { os: vmwOs('windows9_64Guest') }), { disks: seven.map((d) => vmdk(d, null, 1)).join('') }));
    assert.deepEqual(
      sataWindows.disks.map((d) => d.include),
      [true, true, true, true, true, true, false],
    );
    warned(sataWindows, /is not imported: the SATA controller has 6 ports and Windows 10 has no VirtIO drivers/);
  });

  test('more than 4 optical drives and more than 8 NICs: the rest are left out', () => {
    const cds = Array.from({ length: 5 }, (_, i) => cd(10 + i, 3, i));
    const nics = Array.from({ length: 10 }, (_, i) => nic(30 + i, 'E1000'));
    const m = one(envelope(system([cpu(1), mem(512), sata(3), ...cds, ...nics].join(''))));
    assert.equal(m.opticals.length, MAX_OPTICALS);
    assert.equal(m.nics.length, MAX_NICS);
    warned(m, /CD\/DVD drive "CD\/DVD drive 14" is left out: a VM has at most 4 optical drives/);
    warned(m, /NIC 9 \("Network adapter 38"\) is left out: a VM has at most 8 network cards/);
    warned(m, /NIC 10 /);
  });

  test('disks without any controller get the OS default bus, with a warning', () => {
    const m = one(envelope(system([cpu(1), mem(512), item({ ElementName: 'loose', HostResource: 'ovf:/disk/d1', InstanceID: 5, ResourceType: 17 })].join('')), { disks: vmdk('d1', null, 1) }));
    assert.equal(m.disks[0]!.bus, 'virtio');
    warned(m, /Disk "loose" has no controller in the appliance; it goes on VirtIO \(paravirtual\), the default for Linux/);
  });

  test('an OVF 2 StorageItem without an image becomes an empty disk of the size it asks for', () => {
    const m = one(envelope(system([cpu(1), mem(512), '<StorageItem xmlns:sasd="urn:sasd"><sasd:AllocationUnits>byte*2^30</sasd:AllocationUnits><sasd:ElementName>100 GByte Virtual Disk</sasd:ElementName><sasd:InstanceID>4</sasd:InstanceID><sasd:Reservation>100</sasd:Reservation><sasd:ResourceType>31</sasd:ResourceType><sasd:VirtualQuantity>1</sasd:VirtualQuantity></StorageItem>'].join(''))));
    assert.deepEqual(
      m.disks.map((d) => [d.file, d.capacityBytes]),
      [[null, 100 * 2 ** 30]],
    );
    warned(m, /creates an empty 100 GiB disk/);
  });
});

describe('planAppliance: OS type', () => {
  test('the first specific hint wins; the CIM id is used when nothing better is said', () => {
    assert.equal(one(envelope(system(cpu(1) + mem(512), { os: '<OperatingSystemSection ovf:id="105"><Info/></OperatingSystemSection>' }))).osType, 'windows7');
    assert.equal(one(envelope(system(cpu(1) + mem(512), { os: '<OperatingSystemSection ovf:id="1"><Info/><Description>Ubuntu</Description></OperatingSystemSection>' }))).osType, 'linux');
    const m = one(envelope(system(cpu(1) + mem(512), { os: '<OperatingSystemSection ovf:id="79"><Info/><Description>Red Hat Enterprise Linux 4 (32-bit)</Description></OperatingSystemSection>' })));
    assert.equal(m.osType, 'linux-legacy');
    assert.match(m.osSource, /^OS description/);
  });

  test('no OS section: Other, with a warning', () => {
    const m = one(envelope(system(cpu(1) + mem(512), { os: '' })));
    assert.equal(m.osType, 'other');
    assert.equal(m.osSource, 'not stated in the appliance');
    warned(m, /does not say which operating system/);
  });

  test('a guest the catalogue has no entry for, and one for another architecture', () => {
    const xp = one(envelope(system(cpu(1) + mem(512), { os: vmwOs('winXPProGuest') })));
    assert.equal(xp.osType, 'other');
    warned(xp, /The guest is Windows XP, which Hangar's OS catalogue has no entry for/);
    const arm = one(envelope(system(cpu(1) + mem(512), { os: '<OperatingSystemSection ovf:id="94"><Info/><vbox:OSType>Ubuntu_arm64</vbox:OSType></OperatingSystemSection>' })));
    warned(arm, /made for ARM processors/);
  });
});

describe('planAppliance: appliance-level warnings', () => {
  test('duplicate files and unknown required sections', () => {
    const p = plan(envelope(system(cpu(1) + mem(512)), { refs: file('f', 'a.vmdk') + file('f', 'b.vmdk'), head: '<MysterySection><Info/></MysterySection>' }));
    warned(p, /lists file 'f' more than once/);
    warned(p, /section Hangar does not read \('MysterySection'\)/);
  });
});

describe('helpers', () => {
  test('normaliseMac', () => {
    assert.equal(normaliseMac('00:50:56:AB:CD:EF'), '00:50:56:ab:cd:ef');
    assert.equal(normaliseMac('00-50-56-ab-cd-ef'), '00:50:56:ab:cd:ef');
    assert.equal(normaliseMac('005056ABCDEF'), '00:50:56:ab:cd:ef');
    assert.equal(normaliseMac('0050.56ab.cdef'), '00:50:56:ab:cd:ef');
    for (const s of [null, undefined, '', '00:50:56', '{type=pci}', 'zz:zz:zz:zz:zz:zz', '0'.repeat(40)]) assert.equal(normaliseMac(s), null);
  });

  test('nicModelFor', () => {
    assert.deepEqual(nicModelFor('E1000'), { model: 'e1000' });
    assert.deepEqual(nicModelFor('E1000E'), { model: 'e1000e' });
    assert.deepEqual(nicModelFor('VmxNet3'), { model: 'vmxnet3' });
    assert.equal(nicModelFor('vmxnet3vrdma').model, 'vmxnet3');
    assert.ok(nicModelFor('vmxnet3vrdma').note);
    assert.deepEqual(nicModelFor('PCNet32'), { model: 'pcnet' });
    assert.deepEqual(nicModelFor('VirtioNet'), { model: 'virtio' });
    assert.deepEqual(nicModelFor('virtio-net'), { model: 'virtio' });
    assert.deepEqual(nicModelFor('rtl8139'), { model: 'rtl8139' });
    assert.deepEqual(nicModelFor('E10000'), { model: 'e1000' });
    assert.equal(nicModelFor('0').model, 'rtl8139');
    assert.deepEqual(nicModelFor('1'), { model: 'rtl8139' });
    assert.deepEqual(nicModelFor('3'), { model: 'virtio' });
    assert.deepEqual(nicModelFor('Vmxnet'), { model: null });
    assert.deepEqual(nicModelFor(''), { model: null });
  });
});

// ---------------------------------------------------------------------------------------------
// Robustness: whatever the bytes, only HangarError; time grows with the input, not faster.

describe('planAppliance: hostile input', () => {
  const samples = () => [
    envelope(system([cpu(4), mem(8192), ide(3, 1), ide(4, 0), scsi(5, 'lsilogic'), disk(6, 5, 0, 'vmdisk1'), cd(8, 3, 0, 'ovf:/file/file2'), nic(9, 'VmxNet3'), item({ ResourceType: 35, InstanceID: 77 })].join(''), { os: vmwOs('ubuntu64Guest') }), {
      refs: file('file1', 'a.vmdk') + file('file2', 'b.iso'),
      disks: vmdk('vmdisk1', 'file1') + vmdk('vmdisk2', null, '${x}'),
      head: '<DeploymentOptionSection><Configuration ovf:id="a"/></DeploymentOptionSection>',
    }),
  ];

  test('random mutations never throw anything but HangarError', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const tokens = ['<', '>', '/', '"', '=', 'Item', 'rasd:ResourceType', '17', '5', '6', '15', '10', '20', '${', '}', 'ovf:/disk/', 'ovf:/file/', '&amp;', '<![CDATA[', ' ', '-1', '99999999999999999999', 'VirtualSystem', 'Section', 'xsi:type="ovf:VirtualSystem_Type"', '\u0000', '\uffff', 'é'];
    let hangar = 0;
    let ok = 0;
    for (let round = 0; round < 1500; round++) {
      let s = samples()[0]!;
      const edits = 1 + rand(6);
      for (let e = 0; e < edits; e++) {
        const at = rand(s.length);
        const kind = rand(3);
        if (kind === 0) s = s.slice(0, at) + s.slice(at + 1 + rand(40));
        else if (kind === 1) s = s.slice(0, at) + tokens[rand(tokens.length)]! + s.slice(at);
        else {
          const from = rand(s.length);
          s = s.slice(0, at) + s.slice(from, from + rand(200)) + s.slice(at);
        }
      }
      try {
        planAppliance(s, 'fuzz.ovf');
        ok++;
      } catch (e) {
        assert.ok(e instanceof HangarError, `round ${round}: ${String(e)}\n${s}`);
        assert.notEqual(e.code, 'INTERNAL', `round ${round}: ${e.message}\n${s}`);
        hangar++;
      }
    }
    assert.ok(ok > 0 && hangar > 0);
  });

  test('bytes that are not text, and empty input', () => {
    assert.throws(() => planAppliance(new Uint8Array([0xff, 0x00, 0xc3, 0x28]), 'x.ovf'), (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT');
    assert.throws(() => planAppliance('', 'x.ovf'), (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT');
    assert.throws(() => planAppliance(new TextEncoder().encode('<nope/>'), 'x.ovf'), refused(/x\.ovf is not an OVF descriptor \(root element is <nope>\)/));
  });

  test('work grows linearly: thousands of items, disks and warnings', () => {
    const build = (n: number) =>
      envelope(
        system(
          [
            cpu(1),
            mem(512),
            scsi(3, 'lsilogic'),
            ...Array.from({ length: n }, (_, i) => disk(100 + i, 3, i, `d${i}`)),
            ...Array.from({ length: n }, (_, i) => nic(100000 + i, 'E1000', `net${i}`)),
            ...Array.from({ length: n }, (_, i) => item({ ElementName: `thing ${i}`, InstanceID: 200000 + i, ResourceType: 29999 })),
          ].join(''),
        ),
        { disks: Array.from({ length: n }, (_, i) => vmdk(`d${i}`, null, 1)).join('') },
      );
    const work = (n: number) => {
      const xml = build(n);
      let m: ReturnType<typeof one> | undefined;
      const count = countWork(() => (m = one(xml)));
      assert.equal(m!.disks.length, n);
      assert.ok(m!.warnings.length <= 101);
      return count;
    };
    const small = work(1000);
    const large = work(8000);
    assert.ok(large / small < 8 * 1.5, `1000 items: ${small} operations, 8000 items: ${large} (${(large / small).toFixed(1)}x)`);
  });
});

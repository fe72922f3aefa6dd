// Units of measure as OVF descriptors write them: DMTF DSP0004 "programmatic units" (`byte * 2^20`,
// `byte * 2 ^ 30`, `byte*2^10`), the older CIM words (`MegaBytes`, `KiloBytes`) and the short forms
// hand-written descriptors use (`MB`, `GB`). Pure: a unit string becomes a byte multiplier or null.
//
// Byte words are read as binary multiples (`MegaBytes` = 2^20, `GB` = 2^30), as every producer
// means them for memory and disk sizes (VirtualBox, VMware, oVirt); DSP0004's decimal reading of
// "kilo" has not been seen in a descriptor.

/** 2^20: bytes per MiB. */
export const MIB = 1_048_576;

/** Unit strings longer than this are nonsense, not units: refused without parsing. */
const MAX_UNITS_LENGTH = 200;

const BYTE_WORDS: Readonly<Record<string, number>> = {
  bit: 1 / 8,
  bits: 1 / 8,
  byte: 1,
  bytes: 1,
  octet: 1,
  octets: 1,
  kilobyte: 2 ** 10,
  kilobytes: 2 ** 10,
  kibibyte: 2 ** 10,
  kibibytes: 2 ** 10,
  kbyte: 2 ** 10,
  kbytes: 2 ** 10,
  kb: 2 ** 10,
  kib: 2 ** 10,
  megabyte: 2 ** 20,
  megabytes: 2 ** 20,
  mebibyte: 2 ** 20,
  mebibytes: 2 ** 20,
  mbyte: 2 ** 20,
  mbytes: 2 ** 20,
  mb: 2 ** 20,
  mib: 2 ** 20,
  gigabyte: 2 ** 30,
  gigabytes: 2 ** 30,
  gibibyte: 2 ** 30,
  gibibytes: 2 ** 30,
  gbyte: 2 ** 30,
  gbytes: 2 ** 30,
  gb: 2 ** 30,
  gib: 2 ** 30,
  terabyte: 2 ** 40,
  terabytes: 2 ** 40,
  tebibyte: 2 ** 40,
  tebibytes: 2 ** 40,
  tb: 2 ** 40,
  tib: 2 ** 40,
  petabyte: 2 ** 50,
  petabytes: 2 ** 50,
  pebibyte: 2 ** 50,
  pb: 2 ** 50,
  pib: 2 ** 50,
};

/**
 * Bytes per unit for a memory or capacity unit string; null when the string is not a byte unit
 * (`hertz * 10^6`, `Processor Cores`, `percent`, garbage). Products of factors are multiplied:
 * `byte * 2^20`, `2^10 * KiloBytes`, `byte * 1024 * 1024`. A product without a byte word is taken
 * as bytes (`2^20`), the reading Xen Orchestra and hand-written descriptors share.
 */
export function byteMultiplier(units: string): number | null {
  if (units.length > MAX_UNITS_LENGTH) return null;
  const compact = units
    .trim()
    .toLowerCase()
    .replace(/\s*\^\s*/g, '^')
    .replace(/\s*\*\s*/g, '*');
  if (compact === '') return null;
  let factor = 1;
  let words = 0;
  for (const part of compact.split('*')) {
    const p = part.trim();
    if (p === '') return null;
    const power = /^(\d{1,4})\^(-?\d{1,3})$/.exec(p);
    if (power) {
      const base = Number(power[1]);
      const exp = Number(power[2]);
      if (base < 2) return null;
      factor *= base ** exp;
      continue;
    }
    if (/^\d{1,16}(\.\d{1,16})?$/.test(p)) {
      factor *= Number(p);
      continue;
    }
    const word = BYTE_WORDS[p];
    if (word === undefined) return null;
    words++;
    factor *= word;
  }
  if (words > 1) return null;
  if (!Number.isFinite(factor) || factor <= 0) return null;
  return factor;
}

/**
 * A non-negative decimal number as descriptors write quantities ('512', ' 2048 ', '1.5');
 * null for anything else (empty, negative, '${prop}', hex, exponents).
 */
export function parseQuantity(text: string | undefined | null): number | null {
  if (text === undefined || text === null) return null;
  const t = text.trim();
  if (t.length > 40 || !/^\+?\d+(\.\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** A whole number of bytes from a quantity and its units; null when the units are not byte units. */
export function toBytes(quantity: number, units: string): number | null {
  const m = byteMultiplier(units);
  if (m === null) return null;
  const bytes = quantity * m;
  return Number.isFinite(bytes) ? Math.round(bytes) : null;
}

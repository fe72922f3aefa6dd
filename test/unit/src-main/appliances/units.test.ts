import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MIB, byteMultiplier, parseQuantity, toBytes } from '../../../../src-main/appliances/units.js';

describe('byteMultiplier', () => {
  test('DSP0004 programmatic units with every spacing producers write', () => {
    for (const u of ['byte * 2^20', 'byte * 2 ^ 20', 'byte*2^20', 'Byte * 2^20', ' byte  *  2^20 ', '2^20 * byte', 'byte * 1024 * 1024', 'byte * 2^10 * 2^10']) {
      assert.equal(byteMultiplier(u), MIB, u);
    }
    assert.equal(byteMultiplier('byte * 2^30'), 2 ** 30);
    assert.equal(byteMultiplier('byte * 2 ^ 30'), 2 ** 30);
    assert.equal(byteMultiplier('byte*2^30'), 2 ** 30);
    assert.equal(byteMultiplier('byte * 2^10'), 1024);
    assert.equal(byteMultiplier('byte * 10^6'), 1e6);
    assert.equal(byteMultiplier('byte * 10^9'), 1e9);
    assert.equal(byteMultiplier('byte'), 1);
    assert.equal(byteMultiplier('bytes'), 1);
    assert.equal(byteMultiplier('bit'), 1 / 8);
    assert.equal(byteMultiplier('bit * 2^23'), MIB);
  });

  test('the words CIM and hand-written descriptors use, read as binary multiples', () => {
    assert.equal(byteMultiplier('KiloBytes'), 1024);
    assert.equal(byteMultiplier('kilobyte'), 1024);
    assert.equal(byteMultiplier('KB'), 1024);
    assert.equal(byteMultiplier('KiB'), 1024);
    assert.equal(byteMultiplier('MegaBytes'), MIB);
    assert.equal(byteMultiplier('MB'), MIB);
    assert.equal(byteMultiplier('MiB'), MIB);
    assert.equal(byteMultiplier('mebibyte'), MIB);
    assert.equal(byteMultiplier('GigaBytes'), 2 ** 30);
    assert.equal(byteMultiplier('GB'), 2 ** 30);
    assert.equal(byteMultiplier('gibibytes'), 2 ** 30);
    assert.equal(byteMultiplier('TB'), 2 ** 40);
    assert.equal(byteMultiplier('KiloBytes * 2^10'), MIB);
  });

  test('a product without a byte word is bytes', () => {
    assert.equal(byteMultiplier('2^20'), MIB);
    assert.equal(byteMultiplier('1048576'), MIB);
  });

  test('anything that is not a byte unit is null', () => {
    for (const u of ['', '   ', 'hertz * 10^6', 'Hertz*10^9', 'Processor Cores', 'percent', 'Disk', 'DVD Drives', 'Ports', 'byte *', '* byte', 'byte ** 2', 'byte * MegaBytes', 'byte * 0^3', 'byte * 1^3', 'byte * 2^x', 'x'.repeat(300), '${units}', 'byte * -1']) {
      assert.equal(byteMultiplier(u), null, JSON.stringify(u.slice(0, 30)));
    }
  });

  test('absurd exponents give null instead of Infinity', () => {
    assert.equal(byteMultiplier('byte * 10^999'), null);
    assert.equal(byteMultiplier('byte * 2^999 * 2^999'), null);
  });
});

describe('parseQuantity', () => {
  test('non-negative decimals only', () => {
    assert.equal(parseQuantity('512'), 512);
    assert.equal(parseQuantity(' 2048 '), 2048);
    assert.equal(parseQuantity('1.5'), 1.5);
    assert.equal(parseQuantity('+4'), 4);
    for (const s of [null, undefined, '', '-1', '0x10', '1e3', '${disksize}', 'four', '1.', '.5', '1'.repeat(50)]) assert.equal(parseQuantity(s), null, String(s));
  });
});

describe('toBytes', () => {
  test('quantity times units, rounded; null for unknown units', () => {
    assert.equal(toBytes(32, 'byte * 2^30'), 32 * 2 ** 30);
    assert.equal(toBytes(1.5, 'KiloBytes'), 1536);
    assert.equal(toBytes(3, 'hertz * 10^6'), null);
  });
});

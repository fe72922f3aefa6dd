// The PNG reader behind the interface preview's check ("a picture of the interface, not a blank
// page") must read what Chromium writes: all five row filters; and the fake display's test card must
// be a varied picture whose text shows.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';
import { colourStats, decodePng, encodePng, pngSize } from '../../helpers/png.js';
import { drawTestCard, SCREEN_HEIGHT, SCREEN_WIDTH } from '../../helpers/testCard.js';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** An RGBA PNG whose row y uses filter y % 5 (none, sub, up, average, Paeth), as encoders choose per row. */
function filteredPng(rgba: Uint8Array, w: number, h: number): Buffer {
  const stride = w * 4;
  const rows: Buffer[] = [];
  for (let y = 0; y < h; y++) {
    const filter = y % 5;
    const cur = rgba.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? rgba.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    const out = Buffer.alloc(stride + 1);
    out[0] = filter;
    for (let i = 0; i < stride; i++) {
      const a = i >= 4 ? cur[i - 4]! : 0;
      const b = prev[i]!;
      const c = i >= 4 ? prev[i - 4]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
      out[i + 1] = (cur[i]! - predictor) & 0xff;
    }
    rows.push(out);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

function noise(w: number, h: number): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  let s = 7;
  for (let i = 0; i < px.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    px[i] = i % 4 === 3 ? 255 : s >>> 24;
  }
  return px;
}

describe('PNG for the interface preview', () => {
  test('reads every row filter back to the same pixels', () => {
    const px = noise(23, 17);
    const img = decodePng(filteredPng(px, 23, 17));
    assert.deepEqual([img.width, img.height], [23, 17]);
    assert.deepEqual(Buffer.from(img.rgba), Buffer.from(px));
  });

  test('what encodePng writes reads back (RGB: alpha becomes opaque)', () => {
    const px = noise(9, 5);
    const png = encodePng(px, 9, 5);
    assert.deepEqual(pngSize(png), { width: 9, height: 5 });
    const back = decodePng(png).rgba;
    for (let i = 0; i < px.length; i += 4) assert.deepEqual([...back.subarray(i, i + 4)], [px[i], px[i + 1], px[i + 2], 255]);
  });

  test('refuses what is not a PNG', () => {
    assert.throws(() => decodePng(Buffer.from('not a png at all, not even close to one')), /not a PNG/);
  });

  test('a blank page is one colour; the test card is many, and its text shows', () => {
    const blank = new Uint8Array(40 * 30 * 4).fill(255);
    assert.deepEqual(colourStats({ width: 40, height: 30, rgba: blank }), { colours: 1, dominantShare: 1 });
    const empty = drawTestCard([]);
    const card = drawTestCard([{ text: 'HANGAR 0123456789 :;./-' }]);
    const stats = colourStats({ width: SCREEN_WIDTH, height: SCREEN_HEIGHT, rgba: card });
    assert.ok(stats.colours > 200, `${stats.colours} colours`);
    assert.ok(stats.dominantShare < 0.8);
    const differing = card.reduce((n, v, i) => n + (v !== empty[i] ? 1 : 0), 0);
    assert.ok(differing > 1000, 'the text changes the picture');
  });
});

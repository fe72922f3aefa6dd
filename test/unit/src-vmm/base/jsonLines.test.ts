import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_LINE_BYTES, encodeJsonLine, exceedsJsonDepth, JsonLineDecoder } from '../../../../src-vmm/base/jsonLines.js';
import { HangarError } from '../../../../src-vmm/base/errors.js';

const isInvalidInput = (pattern: RegExp) => (e: unknown) => e instanceof HangarError && e.code === 'INVALID_INPUT' && pattern.test(e.message);

describe('JsonLineDecoder', () => {
  test('a whole line, several lines in one chunk, a line split over chunks', () => {
    const d = new JsonLineDecoder();
    assert.deepEqual(d.push('{"a":1}\n'), [{ a: 1 }]);
    assert.deepEqual(d.push('1\n"two"\n[3]\nnull\n'), [1, 'two', [3], null]);
    assert.deepEqual(d.push('{"sp'), []);
    assert.deepEqual(d.push('lit":'), []);
    assert.equal(d.bufferedBytes, 9);
    assert.deepEqual(d.push('true}\n{"next"'), [{ split: true }]);
    assert.deepEqual(d.push(':0}\n'), [{ next: 0 }]);
    assert.equal(d.bufferedBytes, 0);
  });

  test('CRLF endings (QMP uses them), with the CR and LF in different chunks', () => {
    const d = new JsonLineDecoder();
    assert.deepEqual(d.push('{"return": {}}\r\n{"event": "STOP"}\r'), [{ return: {} }]);
    assert.deepEqual(d.push('\n'), [{ event: 'STOP' }]);
  });

  test('empty and blank lines are skipped', () => {
    const d = new JsonLineDecoder();
    assert.deepEqual(d.push('\n\r\n  \n1\n\n2\n'), [1, 2]);
  });

  test('multibyte UTF-8 split inside a character, across chunks', () => {
    const d = new JsonLineDecoder();
    const bytes = Buffer.from(encodeJsonLine({ name: 'Zürich 🚀 東京' }));
    const values: unknown[] = [];
    // One byte at a time splits every multibyte sequence.
    for (let i = 0; i < bytes.length; i++) values.push(...d.push(bytes.subarray(i, i + 1)));
    assert.deepEqual(values, [{ name: 'Zürich 🚀 東京' }]);
  });

  test('chunks may be Buffer, Uint8Array or string, and the caller may reuse its buffer', () => {
    const d = new JsonLineDecoder();
    const reused = new Uint8Array(4);
    reused.set(Buffer.from('[1,'));
    assert.deepEqual(d.push(reused.subarray(0, 3)), []);
    reused.set(Buffer.from('2]\n'));
    assert.deepEqual(d.push(reused.subarray(0, 3)), [[1, 2]]);
    assert.deepEqual(d.push(Buffer.from('3\n')), [3]);
  });

  test('a line of exactly the limit passes; one byte more fails, and the decoder stays failed', () => {
    const d = new JsonLineDecoder({ maxLineBytes: 10 });
    assert.deepEqual(d.push('"12345678"\r\n'), ['12345678']); // 10 bytes; the CR does not count
    assert.throws(() => d.push('"123456789"\n'), isInvalidInput(/line 2 is longer than the 10 bytes limit/));
    assert.throws(() => d.push('1\n'), isInvalidInput(/already failed .*open a new one/));
  });

  test('an overlong line fails before its end arrives (memory stays bounded)', () => {
    const d = new JsonLineDecoder({ maxLineBytes: 1024 });
    assert.deepEqual(d.push('"' + 'x'.repeat(1000)), []);
    assert.throws(() => d.push('x'.repeat(100)), isInvalidInput(/longer than the 1 KiB limit/));
    assert.equal(d.bufferedBytes, 0);
  });

  test('the default limit is 10 MiB', () => {
    assert.equal(DEFAULT_MAX_LINE_BYTES, 10 * 1024 * 1024);
    const d = new JsonLineDecoder();
    const big = JSON.stringify('y'.repeat(DEFAULT_MAX_LINE_BYTES - 2));
    assert.equal((d.push(big + '\n')[0] as string).length, DEFAULT_MAX_LINE_BYTES - 2);
    assert.throws(() => new JsonLineDecoder().push(Buffer.alloc(DEFAULT_MAX_LINE_BYTES + 1, 0x20)), isInvalidInput(/10 MiB limit/));
  });

  test('invalid JSON names the line and shows its start', () => {
    const d = new JsonLineDecoder();
    assert.deepEqual(d.push('{"ok":1}\n'), [{ ok: 1 }]);
    assert.throws(() => d.push('{"broken": tru}\n'), isInvalidInput(/^line 2 is not valid JSON \(.+\): \{"broken": tru\}$/));
    assert.throws(() => d.push('1\n'), isInvalidInput(/already failed/));
  });

  test('invalid UTF-8 is refused', () => {
    assert.throws(() => new JsonLineDecoder().push(Uint8Array.from([0x22, 0xff, 0x22, 0x0a])), isInvalidInput(/line 1 is not valid UTF-8/));
  });

  test('a bad limit is refused', () => {
    assert.throws(() => new JsonLineDecoder({ maxLineBytes: 0 }), isInvalidInput(/positive integer/));
  });
});

describe('encodeJsonLine', () => {
  test('one line, newlines in strings escaped, round trip', () => {
    const value = { text: 'a\nb\r\nc\u2028', n: [1, 2.5, null], nested: { t: true } };
    const line = encodeJsonLine(value);
    assert.equal(line.indexOf('\n'), line.length - 1);
    assert.deepEqual(new JsonLineDecoder().push(line), [value]);
  });

  test('values JSON cannot hold are refused', () => {
    assert.throws(() => encodeJsonLine(undefined), isInvalidInput(/cannot encode a value of type undefined/));
    assert.throws(() => encodeJsonLine(() => 1), isInvalidInput(/cannot encode a value of type function/));
  });
});

describe('nesting depth', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  test('exceedsJsonDepth counts arrays and objects, not brackets inside strings', () => {
    assert.equal(exceedsJsonDepth('[[1]]', 2), false);
    assert.equal(exceedsJsonDepth('[[1]]', 1), true);
    assert.equal(exceedsJsonDepth('{"a":{"b":[]}}', 3), false);
    assert.equal(exceedsJsonDepth('{"a":{"b":[]}}', 2), true);
    assert.equal(exceedsJsonDepth('["[[[[", "\\"[[[["]', 1), false, 'brackets in strings, after an escaped quote');
    assert.equal(exceedsJsonDepth('[1][2][3]', 1), false, 'siblings do not add up');
    assert.equal(exceedsJsonDepth(Buffer.from(deep(100_000)), DEFAULT_MAX_DEPTH), true);
  });

  test('a line nested deeper than the limit fails before parsing, with its line number; the limit itself passes', () => {
    const d = new JsonLineDecoder({ maxDepth: 8 });
    assert.deepEqual(d.push(`${deep(8)}\n`), [JSON.parse(deep(8))]);
    assert.throws(() => d.push(`${deep(9)}\n`), isInvalidInput(/line 2 nests arrays or objects deeper than the 8-level limit/));
  });

  test('100,000 levels with the default limit: a typed error, no stack overflow', () => {
    const d = new JsonLineDecoder();
    assert.throws(() => d.push(`{"t":"req","id":1,"method":"x","input":${deep(100_000)}}\n`), isInvalidInput(/deeper than the 1024-level limit/));
  });

  test('a bad maxDepth is refused', () => {
    assert.throws(() => new JsonLineDecoder({ maxDepth: 0 }), isInvalidInput(/maxDepth/));
  });
});

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { filterTerminalOutput, MAX_SEQUENCE_LENGTH, TerminalFilter } from '../../../../src-main/cli/terminalFilter.js';

const f = (s: string | Uint8Array) => filterTerminalOutput(typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
const hasControl = (s: string) => [...s].some((ch) => {
  const c = ch.codePointAt(0)!;
  return (c < 0x20 && c !== 0x0a && c !== 0x09) || (c >= 0x7f && c <= 0x9f);
});

describe('TerminalFilter', () => {
  test('text, newlines and tabs pass; CR LF becomes LF; UTF-8 stays', () => {
    assert.equal(f('hello\tworld\r\nZürich 🚀\n'), 'hello\tworld\nZürich 🚀\n');
  });

  test('colours, cursor moves, erases and terminal queries are removed, the text around them kept', () => {
    assert.equal(f('\x1b[1;31mred\x1b[0m plain'), 'red plain');
    assert.equal(f('a\x1b[2J\x1b[H\x1b[10;20Hb\x1b[6n\x1b[c\x1b[>0c\x1b[?1049h'), 'ab');
    assert.equal(f('x\x1b[38;2;255;0;0my'), 'xy');
  });

  test('OSC (title, hyperlink, clipboard), DCS, SOS, PM and APC strings are removed with either terminator', () => {
    assert.equal(f('\x1b]0;pwned title\x07after'), 'after');
    assert.equal(f('\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\ done'), 'click me done');
    assert.equal(f('\x1b]52;c;ZXZpbA==\x07ok'), 'ok');
    assert.equal(f('\x1bP$q"p\x1b\\\x1bX sos \x1b\\\x1b^pm\x1b\\\x1b_apc\x1b\\end'), 'end');
  });

  test('C1 introducers (U+009B CSI, U+009D OSC) and other C1 and C0 controls are removed', () => {
    assert.equal(f('a\u009b31mb\u009d0;title\u009cc'), 'abc');
    assert.equal(f('bell\x07 back\x08space nul\x00 del\x7f nel\u0085 ff\x0c vt\x0b so\x0e'), 'bell backspace nul del nel ff vt so');
  });

  test('a carriage return that does not end a line is dropped (it would let the next text overwrite the line)', () => {
    assert.equal(f('rm -rf / # harmless\rls'), 'rm -rf / # harmlessls');
    assert.equal(f('progress 1\rprogress 2\r\n'), 'progress 1progress 2\n');
  });

  test('two- and three-byte escapes (ESC c reset, ESC 7, ESC ( B) are removed; a control after ESC counts as itself', () => {
    assert.equal(f('a\x1bcb\x1b7c\x1b(Bd\x1b#8e'), 'abcde');
    assert.equal(f('a\x1b\nb'), 'a\nb');
    assert.equal(f('a\x1b\x1b[31mb'), 'ab');
  });

  test('a sequence split across chunks, at every byte, gives the same result', () => {
    const input = Buffer.from('pre\x1b]8;;https://x.example/\x1b\\link\x1b]8;;\x07 \x1b[1;32mgreen\x1b[0m é\r\n🚀\x1bP1$r0m\x1b\\post', 'utf8');
    const whole = f(input);
    assert.equal(whole, 'prelink green é\n🚀post');
    for (let size = 1; size <= 7; size++) {
      const t = new TerminalFilter();
      let out = '';
      for (let i = 0; i < input.length; i += size) out += t.push(input.subarray(i, i + size));
      out += t.end();
      assert.equal(out, whole, `chunks of ${size}`);
    }
  });

  test('an unterminated string sequence is given up after a bound, so it cannot swallow everything after it', () => {
    const out = f(`\x1b]0;${'t'.repeat(MAX_SEQUENCE_LENGTH + 10)}`);
    assert.ok(out.length <= 20, `at most the overflow shows: ${out.length}`);
    assert.equal(f(`\x1b]0;${'x'.repeat(MAX_SEQUENCE_LENGTH + 2)}visible`).endsWith('visible'), true);
  });

  test('invalid UTF-8 becomes U+FFFD, never a C1 control (0xC2 0x9B is CSI in UTF-8)', () => {
    assert.equal(f(Buffer.from([0x61, 0xc2, 0x9b, 0x33, 0x31, 0x6d, 0x62])), 'ab');
    assert.equal(f(Buffer.from([0x61, 0xff, 0x9b, 0x62])), 'a\ufffd\ufffdb');
  });

  test('random bytes never leave a control character or ESC in the output', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = [0x1b, 0x5b, 0x5d, 0x07, 0x9b, 0x9c, 0x0d, 0x0a, 0x08, 0x00, 0x41, 0x3b, 0x30, 0x6d, 0xc2, 0x5c, 0x50];
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => (rnd() < 0.7 ? alphabet[Math.floor(rnd() * alphabet.length)]! : Math.floor(rnd() * 256))));
      const out = f(bytes);
      assert.equal(hasControl(out), false, JSON.stringify(out));
    }
  });
});

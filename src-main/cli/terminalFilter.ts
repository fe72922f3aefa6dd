// Guest output made safe for the user's terminal (`hangar serial`): a guest must not be able to
// retitle the terminal, query it (the answer would be typed into the user's shell), redefine keys,
// write files through terminal extensions, hide text or move the cursor over what was printed.
// Pure: bytes in, text out, one instance per stream (an escape sequence may span chunks).
//
// Kept: printable text (invalid UTF-8 becomes U+FFFD), newline and tab; CR LF becomes LF.
// Removed: every escape sequence (CSI such as colours and cursor moves, OSC such as titles and
// hyperlinks, DCS, SOS, PM, APC, and the two- and three-byte ones such as ESC c), the same
// introduced by C1 code points (U+009B is CSI to some terminals), all other C0 and C1 controls,
// DEL, and a carriage return that does not end a line (it would let later text overwrite it).
// The visible text of an OSC 8 hyperlink stays; its target goes.

const ESC = 0x1b;
const BEL = 0x07;
const CAN = 0x18;
const SUB = 0x1a;
const CR = 0x0d;
const LF = 0x0a;
const TAB = 0x09;
/** C1 introducers of string sequences: DCS, SOS, OSC, PM, APC. */
const C1_STRINGS = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
/** The same after ESC: P, X, ], ^, _. */
const ESC_STRINGS = new Set([0x50, 0x58, 0x5d, 0x5e, 0x5f]);
/** String sequences (OSC, DCS, …) longer than this are given up: an unterminated one must not swallow the rest of the output. */
export const MAX_SEQUENCE_LENGTH = 4096;

type State =
  | 'text'
  | 'esc' // after ESC
  | 'escIntermediate' // ESC followed by 0x20..0x2f bytes, waiting for the final one
  | 'csi' // parameters and intermediates until a final byte
  | 'string' // OSC, DCS, SOS, PM or APC body until ST (ESC \, U+009C), or BEL for any of them
  | 'stringEsc'; // an ESC inside a string: ST if '\' follows

export class TerminalFilter {
  private state: State = 'text';
  private length = 0;
  private pendingCr = false;
  private readonly decoder = new TextDecoder('utf-8');

  /** Filters the next chunk of the stream. */
  push(chunk: Uint8Array): string {
    return this.feed(this.decoder.decode(chunk, { stream: true }));
  }

  /** The end of the stream: an unfinished sequence or character is dropped (a bad one is U+FFFD). */
  end(): string {
    const rest = this.feed(this.decoder.decode());
    this.state = 'text';
    this.pendingCr = false;
    return rest;
  }

  private feed(text: string): string {
    let out = '';
    for (const ch of text) {
      const c = ch.codePointAt(0)!;
      switch (this.state) {
        case 'text':
          out += this.text(ch, c);
          break;
        case 'esc':
          out += this.afterEsc(ch, c);
          break;
        case 'escIntermediate':
          if (c >= 0x20 && c <= 0x2f) this.grow();
          else if (c >= 0x30 && c <= 0x7e) this.state = 'text';
          else out += this.abandon(ch, c);
          break;
        case 'csi':
          if (c >= 0x40 && c <= 0x7e) this.state = 'text';
          else if (c >= 0x20 && c <= 0x3f) this.grow();
          else out += this.abandon(ch, c);
          break;
        case 'string':
          if (c === BEL || c === 0x9c || c === CAN || c === SUB) this.state = 'text';
          else if (c === ESC) this.state = 'stringEsc';
          else this.grow();
          break;
        case 'stringEsc':
          // ESC \ ends the string; ESC and anything else ends it too and starts a new sequence.
          if (c === 0x5c) this.state = 'text';
          else out += this.afterEsc(ch, c);
          break;
      }
    }
    return out;
  }

  private text(ch: string, c: number): string {
    if (this.pendingCr) {
      this.pendingCr = false;
      if (c === LF) return '\n'; // a lone CR is dropped
    }
    if (c === CR) {
      this.pendingCr = true;
      return '';
    }
    if (c === ESC) return this.start('esc');
    if (c === 0x9b) return this.start('csi');
    if (C1_STRINGS.has(c)) return this.start('string');
    if (c === LF || c === TAB) return ch;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return ''; // other C0, DEL, other C1
    return ch;
  }

  private afterEsc(ch: string, c: number): string {
    if (c === 0x5b) return this.start('csi'); // ESC [
    if (ESC_STRINGS.has(c)) return this.start('string'); // ESC ] P X ^ _
    if (c >= 0x20 && c <= 0x2f) return this.start('escIntermediate'); // ESC ( B and the like
    this.state = 'text';
    // A control after ESC ends the sequence and counts as itself (ESC ESC starts a new one); any
    // other character is the second byte of a two-byte sequence (ESC c, ESC 7, ESC M…): dropped.
    return c < 0x20 || c === 0x7f ? this.text(ch, c) : '';
  }

  private start(state: State): '' {
    this.state = state;
    this.length = 0;
    return '';
  }

  private grow(): void {
    if (++this.length > MAX_SEQUENCE_LENGTH) this.state = 'text';
  }

  /** A character that cannot continue the sequence: the sequence is dropped, the character read as text. */
  private abandon(ch: string, c: number): string {
    this.state = 'text';
    return this.text(ch, c);
  }
}

/** A whole buffer, filtered. */
export function filterTerminalOutput(bytes: Uint8Array): string {
  const f = new TerminalFilter();
  return f.push(bytes) + f.end();
}

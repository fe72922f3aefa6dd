// JSON lines: one JSON value per '\n'-terminated line. Used by the RPC socket transport and by QMP.
// Pure: bytes in, values out; the caller owns the stream.
import { HangarError } from './errors.js';

/** The longest line accepted by default (QMP's query-qmp-schema reply is about 200 KiB; 10 MiB leaves room). */
export const DEFAULT_MAX_LINE_BYTES = 10 * 1024 * 1024;
/**
 * The deepest nesting of arrays and objects accepted by default: QEMU's own JSON parser stops at the
 * same 1024 (MAX_NESTING in qobject/json-streamer.c), and a `query-block` reply nests one level per
 * image of a backing chain. Far deeper values parse, but every recursive walk of them afterwards
 * (JSON.stringify, String(), a schema) overflows the stack.
 */
export const DEFAULT_MAX_DEPTH = 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const encoder = new TextEncoder();
/** What parse() returns for an empty line. */
const NOTHING: unique symbol = Symbol('no value');

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function preview(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > 60 ? `${oneLine.slice(0, 60)}…` : oneLine;
}

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth` (`[[1]]` is 2 deep). One pass
 * over the bytes, no recursion and no parsing, so it is safe on any input: brackets inside strings
 * do not count, and UTF-8 continuation bytes never look like ASCII. Text that is not JSON gets an
 * answer too; the parser then says what is wrong with it.
 */
export function exceedsJsonDepth(text: Uint8Array | string, maxDepth: number): boolean {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++; // the escaped character cannot end the string
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACKET || b === OPEN_BRACE) {
      if (++depth > maxDepth) return true;
    } else if ((b === CLOSE_BRACKET || b === CLOSE_BRACE) && depth > 0) depth--;
  }
  return false;
}

/**
 * Splits a byte stream into JSON values. Handles lines split across chunks (multibyte UTF-8
 * included: '\n' never occurs inside a UTF-8 sequence), several lines per chunk, CRLF and empty
 * lines. After any error the framing is lost: the decoder refuses further input and the caller
 * should close the stream.
 */
export class JsonLineDecoder {
  private readonly maxLineBytes: number;
  private readonly maxDepth: number;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private lineNumber = 0;
  private failure: HangarError | undefined;

  constructor(opts: { maxLineBytes?: number; maxDepth?: number } = {}) {
    const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) throw new HangarError('INVALID_INPUT', `maxLineBytes must be a positive integer, not ${max}`);
    const depth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (!Number.isSafeInteger(depth) || depth < 1) throw new HangarError('INVALID_INPUT', `maxDepth must be a positive integer, not ${depth}`);
    this.maxLineBytes = max;
    this.maxDepth = depth;
  }

  /** Bytes received after the last complete line. */
  get bufferedBytes(): number {
    return this.partBytes;
  }

  /** Feeds a chunk; returns the values of the lines it completed, in order. */
  push(chunk: Uint8Array | string): unknown[] {
    if (this.failure) {
      throw new HangarError('INVALID_INPUT', `this JSON-lines stream already failed (${this.failure.message}); open a new one`, {
        cause: this.failure,
      });
    }
    const bytes = typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
    const values: unknown[] = [];
    let start = 0;
    while (start <= bytes.length) {
      const nl = bytes.indexOf(NEWLINE, start);
      if (nl === -1) {
        this.keep(bytes.subarray(start));
        break;
      }
      const line = this.take(bytes.subarray(start, nl));
      start = nl + 1;
      const value = this.parse(line);
      if (value !== NOTHING) values.push(value);
    }
    return values;
  }

  private fail(e: HangarError): never {
    this.failure = e;
    this.parts = [];
    this.partBytes = 0;
    throw e;
  }

  private tooLong(bytes: number): never {
    return this.fail(
      new HangarError('INVALID_INPUT', `line ${this.lineNumber + 1} is longer than the ${formatBytes(this.maxLineBytes)} limit (${bytes}+ bytes)`, {
        details: { line: this.lineNumber + 1, maxLineBytes: this.maxLineBytes },
      }),
    );
  }

  /** Keeps the start of an unfinished line, failing early when it is already too long. */
  private keep(piece: Uint8Array): void {
    if (piece.length === 0) return;
    // A trailing '\r' may belong to a CRLF whose '\n' is in the next chunk: do not count it yet.
    const counted = this.partBytes + piece.length - (piece[piece.length - 1] === CR ? 1 : 0);
    if (counted > this.maxLineBytes) this.tooLong(counted);
    // Copy: the caller may reuse its buffer.
    this.parts.push(piece.slice());
    this.partBytes += piece.length;
  }

  /** The complete line ending with `tail` (the bytes before its '\n'), without a trailing '\r'. */
  private take(tail: Uint8Array): Uint8Array {
    let line: Uint8Array;
    if (this.parts.length === 0) line = tail;
    else {
      line = new Uint8Array(this.partBytes + tail.length);
      let at = 0;
      for (const p of this.parts) {
        line.set(p, at);
        at += p.length;
      }
      line.set(tail, at);
      this.parts = [];
      this.partBytes = 0;
    }
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length > this.maxLineBytes) this.tooLong(line.length);
    return line;
  }

  private parse(line: Uint8Array): unknown {
    this.lineNumber++;
    let text: string;
    try {
      text = this.utf8.decode(line);
    } catch (e) {
      return this.fail(new HangarError('INVALID_INPUT', `line ${this.lineNumber} is not valid UTF-8`, { cause: e, details: { line: this.lineNumber } }));
    }
    if (text.trim() === '') return NOTHING;
    // Checked before parsing: nothing deeper than the limit is ever handed to the caller.
    if (exceedsJsonDepth(line, this.maxDepth)) {
      return this.fail(
        new HangarError('INVALID_INPUT', `line ${this.lineNumber} nests arrays or objects deeper than the ${this.maxDepth}-level limit`, {
          details: { line: this.lineNumber, maxDepth: this.maxDepth },
        }),
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      return this.fail(
        new HangarError('INVALID_INPUT', `line ${this.lineNumber} is not valid JSON (${(e as Error).message}): ${preview(text)}`, {
          cause: e,
          details: { line: this.lineNumber },
        }),
      );
    }
  }
}

/** One value as a JSON line (JSON.stringify escapes newlines inside strings, so the line stays one line). */
export function encodeJsonLine(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new HangarError('INVALID_INPUT', `cannot encode a value of type ${typeof value} as JSON`);
  return `${text}\n`;
}

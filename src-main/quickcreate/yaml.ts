// A YAML reader (pure), enough to check cloud-config the way cloud-init reads it (PyYAML's safe_load,
// YAML 1.1): block mappings and sequences (also compact ones, `- key: value`), flow collections,
// plain, single- and double-quoted scalars over several lines, literal and folded block scalars with
// their indentation and chomping indicators, comments, anchors and aliases, the standard tags, one
// document. It exists so that user-data a VM could never use is refused before the VM is made, with
// the line and column of the problem. (A YAML library from npm would do the same; see the README.)
// Not read: complex keys (`? key`), which cloud-config never uses; they are reported as unsupported.

export type YamlValue = null | boolean | number | string | YamlValue[] | { [key: string]: YamlValue };

export class YamlError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${message}`);
  }
}

/** Tags safe_load constructs; any other tag is refused, as cloud-init would. */
const STANDARD_TAGS = new Set(['!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq', '!!binary', '!!timestamp', '!!set', '!!omap', '!!pairs', '!']);
const MAX_DEPTH = 200;
const MAX_ALIAS_EXPANSION = 100_000;

export function parseYaml(text: string): YamlValue {
  return new Reader(text).document();
}

class Reader {
  private pos = 0;
  private readonly anchors = new Map<string, YamlValue>();
  private depth = 0;
  private expanded = 0;

  constructor(private readonly src: string) {
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  // ------------------------------------------------------------ positions

  private fail(message: string, at = this.pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.src.length; i++) {
      if (this.src[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    throw new YamlError(message, line, at - lineStart + 1);
  }

  private ch(at = this.pos): string {
    return this.src[at] ?? '';
  }

  private eof(at = this.pos): boolean {
    return at >= this.src.length;
  }

  private lineStart(at = this.pos): number {
    const i = this.src.lastIndexOf('\n', at - 1);
    return i + 1;
  }

  private column(at = this.pos): number {
    return at - this.lineStart(at);
  }

  private isBreak(c: string): boolean {
    return c === '\n' || c === '\r';
  }

  private isBlank(c: string): boolean {
    return c === ' ' || c === '\t';
  }

  /** A character that ends a token: blank, line break or the end. */
  private isSep(c: string): boolean {
    return c === '' || this.isBlank(c) || this.isBreak(c);
  }

  private skipBlanks(): void {
    while (this.isBlank(this.ch())) this.pos++;
  }

  /** Blanks, then a comment, up to (not over) the line break; false when something else is there. */
  private restOfLineIsEmpty(): boolean {
    this.skipBlanks();
    if (this.ch() === '#') {
      if (this.pos > 0 && !this.isSep(this.ch(this.pos - 1))) return false;
      while (!this.eof() && !this.isBreak(this.ch())) this.pos++;
    }
    return this.eof() || this.isBreak(this.ch());
  }

  private skipBreak(): void {
    if (this.ch() === '\r') this.pos++;
    if (this.ch() === '\n') this.pos++;
  }

  /**
   * From anywhere on a line whose rest is empty: past every empty or comment-only line, to the start
   * of the next line with content. Returns its indentation, or -1 at the end of the text.
   */
  private nextContentLine(): number {
    if (this.column() === 0 && !this.eof()) {
      // At the start of a line a caller stopped before: that line may be the one.
      let indent = 0;
      while (this.ch(this.pos + indent) === ' ') indent++;
      const c = this.ch(this.pos + indent);
      if (c === '\t') {
        let j = this.pos + indent;
        while (this.isBlank(this.ch(j))) j++;
        if (!(this.eof(j) || this.isBreak(this.ch(j)) || this.ch(j) === '#')) this.fail('a tab cannot indent YAML: use spaces', this.pos + indent);
      } else if (!(this.eof(this.pos + indent) || this.isBreak(c) || c === '#')) return indent;
    }
    for (;;) {
      if (!this.restOfLineIsEmpty()) this.fail('unexpected text after a value');
      if (this.eof()) return -1;
      this.skipBreak();
      const start = this.pos;
      let indent = 0;
      while (this.ch(start + indent) === ' ') indent++;
      const c = this.ch(start + indent);
      if (c === '\t') {
        // A tab may not indent; on an otherwise empty line it is only white space.
        let j = start + indent;
        while (this.isBlank(this.ch(j))) j++;
        if (!(this.eof(j) || this.isBreak(this.ch(j)) || this.ch(j) === '#')) this.fail('a tab cannot indent YAML: use spaces', start + indent);
        this.pos = j;
        continue;
      }
      if (this.eof(start + indent) || this.isBreak(c) || c === '#') {
        this.pos = start + indent;
        continue;
      }
      this.pos = start;
      return indent;
    }
  }

  // ------------------------------------------------------------ document

  document(): YamlValue {
    this.pos = this.pos === 1 ? 1 : 0;
    // The rest of the first line may hold content; treat the text as starting on a fresh line.
    let indent = this.firstLine();
    let explicitStart = false;
    // Directives (%YAML 1.1) and the document start marker.
    while (indent === 0 && this.ch() === '%') {
      while (!this.eof() && !this.isBreak(this.ch())) this.pos++;
      indent = this.nextContentLine();
    }
    if (indent === 0 && this.startsMarker('---')) {
      explicitStart = true;
      this.pos += 3;
      if (!this.restOfLineIsEmpty()) {
        // `--- value` on the marker's line
        const v = this.inlineValue(-1, 'document');
        return this.endOfDocument(v);
      }
      indent = this.nextContentLine();
    }
    if (indent < 0) return null;
    if (indent === 0 && (this.startsMarker('...') || this.startsMarker('---'))) {
      if (!explicitStart && this.startsMarker('---')) return this.endOfDocument(null);
      return this.endOfDocument(null);
    }
    this.pos += indent;
    const value = this.blockNode(-1);
    return this.endOfDocument(value);
  }

  private firstLine(): number {
    let indent = 0;
    while (this.ch(this.pos + indent) === ' ') indent++;
    const c = this.ch(this.pos + indent);
    if (this.eof(this.pos + indent) || this.isBreak(c) || c === '#' || c === '\t') {
      this.pos += indent;
      return this.nextContentLine();
    }
    return indent;
  }

  private startsMarker(marker: string): boolean {
    return this.column() === 0 && this.src.startsWith(marker, this.pos) && this.isSep(this.ch(this.pos + 3));
  }

  private endOfDocument(value: YamlValue): YamlValue {
    const indent = this.nextContentLine();
    if (indent < 0) return value;
    if (indent === 0 && this.startsMarker('...')) {
      this.pos += 3;
      const after = this.restOfLineIsEmpty() ? this.nextContentLine() : this.fail('unexpected text after the end of the document');
      if (after < 0) return value;
    }
    if (indent === 0 && this.startsMarker('---')) this.fail('user-data must be one YAML document, and this text holds several');
    this.pos += Math.max(indent, 0);
    return this.fail(indent > 0 ? 'this line is indented, but nothing above it takes a nested value here' : 'unexpected text: is an indentation or a colon (:) missing above?');
  }

  // ------------------------------------------------------------ block nodes

  /** A node that starts at the current position (the first character of a line's content). */
  private blockNode(parentIndent: number): YamlValue {
    if (++this.depth > MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`);
    try {
      const col = this.column();
      if (this.ch() === '-' && this.isSep(this.ch(this.pos + 1))) return this.blockSequence(col);
      if (this.looksLikeKey()) return this.blockMapping(col);
      return this.inlineValue(parentIndent, 'block');
    } finally {
      this.depth--;
    }
  }

  /** Whether the text here is a mapping key: a scalar followed on the same line by ': ' or ':' at the end. */
  private looksLikeKey(): boolean {
    let i = this.pos;
    const c = this.ch(i);
    if (c === '?' && this.isSep(this.ch(i + 1))) this.fail('complex mapping keys (? key) are not supported here');
    // properties before the key
    while (this.ch(i) === '&' || this.ch(i) === '!') {
      while (!this.isSep(this.ch(i))) i++;
      while (this.isBlank(this.ch(i))) i++;
    }
    const q = this.ch(i);
    if (q === '"' || q === "'") {
      i++;
      while (!this.eof(i)) {
        const d = this.ch(i);
        if (this.isBreak(d)) return false;
        if (q === "'" && d === "'") {
          if (this.ch(i + 1) === "'") {
            i += 2;
            continue;
          }
          break;
        }
        if (q === '"' && d === '\\') {
          i += 2;
          continue;
        }
        if (q === '"' && d === '"') break;
        i++;
      }
      i++;
      while (this.isBlank(this.ch(i))) i++;
      return this.ch(i) === ':' && this.isSep(this.ch(i + 1));
    }
    if (q === '[' || q === '{' || q === '*' || q === '|' || q === '>' || q === '#') return false;
    for (; !this.eof(i) && !this.isBreak(this.ch(i)); i++) {
      if (this.ch(i) === ':' && this.isSep(this.ch(i + 1))) return true;
      if (this.ch(i) === '#' && this.isBlank(this.ch(i - 1))) return false;
    }
    return false;
  }

  private blockSequence(indent: number): YamlValue[] {
    const items: YamlValue[] = [];
    for (;;) {
      if (!(this.ch() === '-' && this.isSep(this.ch(this.pos + 1)))) this.fail('expected a sequence entry (- item) at this indentation');
      this.pos++;
      items.push(this.valueAfterIndicator(indent, false));
      const next = this.nextContentLine();
      if (next < 0) return items;
      if (next < indent) return items;
      if (next === 0 && (this.startsMarker('---') || this.startsMarker('...'))) return items;
      this.pos += next;
      if (next > indent) this.fail('bad indentation of a sequence entry');
      if (!(this.ch() === '-' && this.isSep(this.ch(this.pos + 1)))) {
        // a sequence that is a mapping's value at the mapping's own indentation ends at the next key
        this.pos -= next;
        return items;
      }
    }
  }

  private blockMapping(indent: number): { [key: string]: YamlValue } {
    const map: { [key: string]: YamlValue } = {};
    for (;;) {
      const keyAt = this.pos;
      const key = this.mappingKey();
      this.skipBlanks();
      if (this.ch() !== ':' || !this.isSep(this.ch(this.pos + 1))) this.fail("expected ': ' after a mapping key", keyAt);
      this.pos++;
      const value = this.valueAfterIndicator(indent, true);
      if (key === '<<' && value !== null && typeof value === 'object') {
        // a merge key: the mapping (or each of a list of mappings) goes in first; own keys win
        for (const m of Array.isArray(value) ? value : [value]) {
          if (m === null || typeof m !== 'object' || Array.isArray(m)) this.fail('a merge key (<<) takes a mapping or a list of mappings', keyAt);
          for (const [k, v] of Object.entries(m)) if (!(k in map)) map[k] = v;
        }
      } else {
        map[key] = value;
      }
      const next = this.nextContentLine();
      if (next < 0 || next < indent) return map;
      if (next === 0 && (this.startsMarker('---') || this.startsMarker('...'))) return map;
      this.pos += next;
      if (next > indent) this.fail('bad indentation of a mapping entry');
      if (this.ch() === '-' && this.isSep(this.ch(this.pos + 1))) this.fail('a sequence entry (- item) cannot stand between the keys of a mapping');
      if (!this.looksLikeKey()) this.fail("expected a mapping key ('key: value') at this indentation");
    }
  }

  private mappingKey(): string {
    const props = this.properties();
    const c = this.ch();
    let key: YamlValue;
    if (c === '"') key = this.doubleQuoted(-1);
    else if (c === "'") key = this.singleQuoted(-1);
    else {
      const start = this.pos;
      while (!(this.ch() === ':' && this.isSep(this.ch(this.pos + 1)))) this.pos++;
      key = resolvePlain(this.src.slice(start, this.pos).trimEnd());
    }
    this.remember(props.anchor, key);
    return keyString(key);
  }

  /**
   * The value after a mapping's ':' or a sequence's '-' whose indicator sits at column `indent`: on
   * the same line, or on the lines below (indented more; a mapping's sequence may also sit at the
   * mapping's own indentation), or nothing (null).
   */
  private valueAfterIndicator(indent: number, inMapping: boolean): YamlValue {
    this.skipBlanks();
    const props = this.properties();
    if (this.restOfLineIsEmpty()) {
      const save = this.pos;
      const next = this.nextContentLine();
      if (next > indent || (inMapping && next === indent && this.ch(this.pos + next) === '-' && this.isSep(this.ch(this.pos + next + 1)))) {
        if (next === 0 && (this.src.startsWith('---', this.pos) || this.src.startsWith('...', this.pos))) {
          this.pos = save;
          return this.remember(props.anchor, null);
        }
        this.pos += next;
        const v = this.blockNode(indent);
        return this.remember(props.anchor, applyTag(props.tag, v));
      }
      this.pos = save;
      return this.remember(props.anchor, null);
    }
    if (this.ch() === '-' && this.isSep(this.ch(this.pos + 1))) {
      if (inMapping) this.fail('a sequence cannot start on the line of its mapping key: put it on the next line');
      return this.remember(props.anchor, this.blockSequence(this.column()));
    }
    if (!inMapping && this.looksLikeKey()) return this.remember(props.anchor, this.blockMapping(this.column()));
    return this.inlineValue(indent, 'block', props);
  }

  /** Anchors and tags before a node. */
  private properties(): { anchor?: string; tag?: string } {
    let anchor: string | undefined;
    let tag: string | undefined;
    for (;;) {
      const c = this.ch();
      if (c === '&') {
        const start = ++this.pos;
        while (!this.isSep(this.ch()) && !',[]{}'.includes(this.ch())) this.pos++;
        if (this.pos === start) this.fail('an anchor (&) needs a name');
        anchor = this.src.slice(start, this.pos);
      } else if (c === '!') {
        const start = this.pos;
        while (!this.isSep(this.ch()) && !',[]{}'.includes(this.ch())) this.pos++;
        tag = this.src.slice(start, this.pos);
        if (!STANDARD_TAGS.has(tag) && !tag.startsWith('!<tag:yaml.org,2002:')) this.fail(`the tag ${tag} is not one cloud-init can read (only the standard tags such as !!str)`, start);
      } else return { ...(anchor !== undefined ? { anchor } : {}), ...(tag !== undefined ? { tag } : {}) };
      this.skipBlanks();
    }
  }

  private remember(anchor: string | undefined, v: YamlValue): YamlValue {
    if (anchor !== undefined) this.anchors.set(anchor, v);
    return v;
  }

  /** A value that starts here on this line: alias, flow collection, quoted, block or plain scalar. */
  private inlineValue(parentIndent: number, context: 'block' | 'document', outer: { anchor?: string; tag?: string } = {}): YamlValue {
    const props = { ...outer, ...this.properties() };
    const c = this.ch();
    let v: YamlValue;
    if (c === '*') v = this.alias();
    else if (c === '[' || c === '{') v = this.flowCollection();
    else if (c === '"') v = this.doubleQuoted(parentIndent);
    else if (c === "'") v = this.singleQuoted(parentIndent);
    else if (c === '|' || c === '>') return this.remember(props.anchor, this.blockScalar(parentIndent));
    else if (c === '@' || c === '`') this.fail(`a plain value cannot start with '${c}': quote it`);
    else if ((c === '%' && this.column() === 0) || c === '\t') this.fail(`unexpected '${c === '\t' ? 'tab' : c}'`);
    else v = this.plainBlock(parentIndent, props.tag === '!!str');
    this.skipBlanks();
    if (this.ch() === ':' && this.isSep(this.ch(this.pos + 1))) this.fail(context === 'block' ? 'a mapping cannot start here: is a line break or an indentation missing?' : 'unexpected mapping');
    if (!this.restOfLineIsEmpty()) this.fail('unexpected text after a value');
    return this.remember(props.anchor, applyTag(props.tag, v));
  }

  private alias(): YamlValue {
    const start = ++this.pos;
    while (!this.isSep(this.ch()) && !',[]{}'.includes(this.ch())) this.pos++;
    const name = this.src.slice(start, this.pos);
    if (!this.anchors.has(name)) this.fail(`the alias *${name} names no anchor (&${name}) above it`, start - 1);
    const v = this.anchors.get(name)!;
    this.expanded += size(v);
    if (this.expanded > MAX_ALIAS_EXPANSION) this.fail('aliases expand to too many values');
    return v;
  }

  /** A plain scalar in block context, with its continuation lines (indented more than the parent). */
  private plainBlock(parentIndent: number, raw = false): YamlValue {
    const parts: string[] = [this.plainLine()];
    let single = true;
    for (;;) {
      const save = this.pos;
      if (!this.restOfLineIsEmpty()) break;
      let blankLines = 0;
      let next = -1;
      // count the empty lines between this line and the next with content
      for (let i = this.pos; ; ) {
        if (this.eof(i)) break;
        if (this.ch(i) === '\r') i++;
        if (this.ch(i) === '\n') i++;
        let j = i;
        while (this.ch(j) === ' ') j++;
        let k = j;
        while (this.isBlank(this.ch(k))) k++;
        if (this.eof(k) || this.isBreak(this.ch(k))) {
          blankLines++;
          i = k;
          continue;
        }
        if (this.ch(k) === '#') break;
        next = j - i;
        if (next > parentIndent && !(next === 0 && (this.src.startsWith('---', j) || this.src.startsWith('...', j)))) {
          this.pos = j;
        } else next = -1;
        break;
      }
      if (next < 0) {
        this.pos = save;
        break;
      }
      while (this.isBlank(this.ch())) this.pos++;
      if (this.ch() === '-' && this.isSep(this.ch(this.pos + 1)) && next <= parentIndent + 1) {
        this.pos = save;
        break;
      }
      const line = this.plainLine();
      parts.push(blankLines ? '\n'.repeat(blankLines) : ' ');
      parts.push(line);
      single = false;
      this.skipBlanks();
      if (this.ch() === ':' && this.isSep(this.ch(this.pos + 1))) this.fail('a mapping key cannot span lines: is an indentation missing above?');
    }
    const text = parts.join('');
    return single && !raw ? resolvePlain(text) : text;
  }

  /** One line of a plain scalar: up to ': ', ' #' or the line's end; trailing blanks dropped. */
  private plainLine(): string {
    const start = this.pos;
    while (!this.eof() && !this.isBreak(this.ch())) {
      const c = this.ch();
      if (c === ':' && this.isSep(this.ch(this.pos + 1))) break;
      if (c === '#' && this.isBlank(this.ch(this.pos - 1))) break;
      this.pos++;
    }
    return this.src.slice(start, this.pos).trimEnd();
  }

  private blockScalar(parentIndent: number): string {
    const literal = this.ch() === '|';
    this.pos++;
    let chomp: 'clip' | 'strip' | 'keep' = 'clip';
    let explicit = 0;
    for (let i = 0; i < 2; i++) {
      const c = this.ch();
      if (c === '-' || c === '+') chomp = c === '-' ? 'strip' : 'keep';
      else if (c >= '1' && c <= '9') explicit = Number(c);
      else break;
      this.pos++;
    }
    if (!this.restOfLineIsEmpty()) this.fail(`unexpected text after the block scalar indicator (${literal ? '|' : '>'})`);
    const base = Math.max(parentIndent, 0);
    let indent = explicit ? (parentIndent < 0 ? 0 : parentIndent) + explicit : 0;
    const lines: string[] = [];
    let i = this.pos;
    for (;;) {
      if (this.eof(i)) break;
      const lineStart = i + (this.ch(i) === '\r' ? 1 : 0) + (this.ch(i + (this.ch(i) === '\r' ? 1 : 0)) === '\n' ? 1 : 0);
      if (lineStart === i || this.eof(lineStart)) break;
      let j = lineStart;
      while (this.ch(j) === ' ') j++;
      let end = j;
      while (!this.eof(end) && !this.isBreak(this.ch(end))) end++;
      const empty = this.src.slice(j, end).trim() === '';
      if (!indent && !empty) {
        indent = j - lineStart;
        if (indent <= parentIndent || (parentIndent < 0 && indent < base)) break;
        // leading empty lines longer than the content's indentation are an error in YAML
      }
      if (!empty && j - lineStart < indent) break;
      if (empty && indent && j - lineStart < indent) {
        lines.push('');
      } else if (empty && !indent) {
        lines.push('');
      } else {
        if (this.ch(lineStart + indent - 1) === '\t' || this.src.slice(lineStart, lineStart + indent).includes('\t')) this.fail('a tab cannot indent a block scalar', lineStart);
        lines.push(this.src.slice(lineStart + indent, end));
      }
      i = end;
      this.pos = end;
    }
    // Lines kept: the content; trailing empty lines are chomped.
    let last = lines.length;
    while (last > 0 && lines[last - 1] === '') last--;
    const body = lines.slice(0, last);
    const trailing = lines.length - last;
    let text: string;
    if (literal) text = body.join('\n');
    else {
      text = '';
      for (let k = 0; k < body.length; k++) {
        const line = body[k]!;
        if (k === 0) {
          text = line;
          continue;
        }
        const prev = body[k - 1]!;
        const moreIndented = line.startsWith(' ') || prev.startsWith(' ');
        if (line === '') text += '\n';
        else if (prev === '' || moreIndented) text += (prev === '' ? '' : '\n') + line;
        else text += ` ${line}`;
      }
    }
    if (body.length === 0) return chomp === 'keep' ? '\n'.repeat(trailing) : '';
    if (chomp === 'strip') return text;
    if (chomp === 'keep') return `${text}\n${'\n'.repeat(trailing)}`;
    return `${text}\n`;
  }

  // ------------------------------------------------------------ quoted scalars

  private doubleQuoted(parentIndent: number): string {
    const open = this.pos++;
    let out = '';
    for (;;) {
      if (this.eof()) this.fail('a double-quoted value is not closed', open);
      const c = this.ch();
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === '\\') {
        const e = this.ch(this.pos + 1);
        if (this.isBreak(e)) {
          // an escaped line break joins the lines without a space
          this.pos++;
          this.skipBreak();
          this.skipQuotedIndent(parentIndent, open);
          continue;
        }
        this.pos += 2;
        out += this.escape(e);
        continue;
      }
      if (this.isBreak(c)) {
        out = out.replace(/[ \t]+$/, '');
        out += this.foldQuotedBreaks(parentIndent, open);
        continue;
      }
      out += c;
      this.pos++;
    }
  }

  private escape(e: string): string {
    const simple: Record<string, string> = { '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029' };
    if (e in simple) return simple[e]!;
    const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (width) {
      const hex = this.src.slice(this.pos, this.pos + width);
      if (!new RegExp(`^[0-9A-Fa-f]{${width}}$`).test(hex)) this.fail(`\\${e} needs ${width} hexadecimal digits`);
      this.pos += width;
      const code = Number.parseInt(hex, 16);
      if (code > 0x10ffff) this.fail(`\\${e}${hex} is not a Unicode character`);
      return String.fromCodePoint(code);
    }
    return this.fail(`unknown escape \\${e} in a double-quoted value`, this.pos - 2);
  }

  /** A line break inside a quoted scalar: one break is a space, more are that many less one line breaks. */
  private foldQuotedBreaks(parentIndent: number, open: number): string {
    let breaks = 0;
    while (this.isBreak(this.ch())) {
      this.skipBreak();
      breaks++;
      this.skipQuotedIndent(parentIndent, open);
      while (this.isBlank(this.ch())) this.pos++;
    }
    return breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
  }

  private skipQuotedIndent(parentIndent: number, open: number): void {
    let n = 0;
    while (this.ch() === ' ') {
      this.pos++;
      n++;
    }
    if (this.eof()) this.fail('a quoted value is not closed', open);
    const c = this.ch();
    if (!this.isBreak(c) && !this.isBlank(c) && n <= parentIndent) this.fail('a quoted value that goes on over lines must be indented more than its key', this.pos);
    if (n === 0 && (this.src.startsWith('---', this.pos) || this.src.startsWith('...', this.pos)) && this.isSep(this.ch(this.pos + 3))) this.fail('a quoted value is not closed before the document marker', open);
  }

  private singleQuoted(parentIndent: number): string {
    const open = this.pos++;
    let out = '';
    for (;;) {
      if (this.eof()) this.fail('a single-quoted value is not closed', open);
      const c = this.ch();
      if (c === "'") {
        if (this.ch(this.pos + 1) === "'") {
          out += "'";
          this.pos += 2;
          continue;
        }
        this.pos++;
        return out;
      }
      if (this.isBreak(c)) {
        out = out.replace(/[ \t]+$/, '');
        out += this.foldQuotedBreaks(parentIndent, open);
        continue;
      }
      out += c;
      this.pos++;
    }
  }

  // ------------------------------------------------------------ flow collections

  private skipFlowSpace(): void {
    for (;;) {
      const c = this.ch();
      if (this.isBlank(c) || this.isBreak(c)) this.pos++;
      else if (c === '#' && (this.pos === 0 || this.isSep(this.ch(this.pos - 1)))) {
        while (!this.eof() && !this.isBreak(this.ch())) this.pos++;
      } else return;
    }
  }

  private flowCollection(): YamlValue {
    if (++this.depth > MAX_DEPTH) this.fail(`nested more than ${MAX_DEPTH} levels deep`);
    try {
      return this.ch() === '[' ? this.flowSequence() : this.flowMapping();
    } finally {
      this.depth--;
    }
  }

  private flowSequence(): YamlValue[] {
    const open = this.pos++;
    const items: YamlValue[] = [];
    for (;;) {
      this.skipFlowSpace();
      if (this.eof()) this.fail('a flow sequence ([) is not closed', open);
      if (this.ch() === ']') {
        this.pos++;
        return items;
      }
      const item = this.flowNode();
      this.skipFlowSpace();
      if (this.ch() === ':' && (this.isSep(this.ch(this.pos + 1)) || ',[]{}'.includes(this.ch(this.pos + 1)))) {
        // a single pair: [key: value]
        this.pos++;
        this.skipFlowSpace();
        const value = this.ch() === ',' || this.ch() === ']' ? null : this.flowNode();
        items.push({ [keyString(item)]: value });
        this.skipFlowSpace();
      } else items.push(item);
      if (this.eof()) this.fail('a flow sequence ([) is not closed', open);
      if (this.ch() === ',') this.pos++;
      else if (this.ch() !== ']') this.fail("expected ',' or ']' in a flow sequence");
    }
  }

  private flowMapping(): { [key: string]: YamlValue } {
    const open = this.pos++;
    const map: { [key: string]: YamlValue } = {};
    for (;;) {
      this.skipFlowSpace();
      if (this.eof()) this.fail('a flow mapping ({) is not closed', open);
      if (this.ch() === '}') {
        this.pos++;
        return map;
      }
      if (this.ch() === '?' && this.isSep(this.ch(this.pos + 1))) this.fail('complex mapping keys (? key) are not supported here');
      const key = this.flowNode(true);
      this.skipFlowSpace();
      let value: YamlValue = null;
      if (this.ch() === ':') {
        this.pos++;
        this.skipFlowSpace();
        if (this.ch() !== ',' && this.ch() !== '}') value = this.flowNode();
        this.skipFlowSpace();
      }
      map[keyString(key)] = value;
      if (this.eof()) this.fail('a flow mapping ({) is not closed', open);
      if (this.ch() === ',') this.pos++;
      else if (this.ch() !== '}') this.fail("expected ',' or '}' in a flow mapping");
    }
  }

  private flowNode(isKey = false): YamlValue {
    const props = this.properties();
    this.skipFlowSpace();
    const c = this.ch();
    let v: YamlValue;
    if (c === '*') v = this.alias();
    else if (c === '[' || c === '{') v = this.flowCollection();
    else if (c === '"') v = this.doubleQuoted(-1);
    else if (c === "'") v = this.singleQuoted(-1);
    else if (c === ']' || c === '}' || c === ',') v = null;
    else {
      const start = this.pos;
      while (!this.eof()) {
        const d = this.ch();
        if (',[]{}'.includes(d)) break;
        if (d === ':' && (this.isSep(this.ch(this.pos + 1)) || ',[]{}'.includes(this.ch(this.pos + 1)) || isKey)) {
          if (this.isSep(this.ch(this.pos + 1)) || ',[]{}'.includes(this.ch(this.pos + 1))) break;
        }
        if (d === '#' && this.isSep(this.ch(this.pos - 1))) break;
        this.pos++;
      }
      if (this.pos === start) this.fail(`unexpected '${this.ch()}' in a flow collection`);
      const text = this.src.slice(start, this.pos).replace(/\s*\r?\n\s*/g, ' ').trim();
      v = props.tag === '!!str' ? text : resolvePlain(text);
    }
    return this.remember(props.anchor, applyTag(props.tag, v));
  }
}

/** A standard tag's meaning for a scalar (what safe_load constructs); collections keep their value. */
function applyTag(tag: string | undefined, v: YamlValue): YamlValue {
  if (tag === undefined || v === null || typeof v === 'object') return tag === '!!null' ? null : v;
  const text = String(v);
  switch (tag) {
    case '!!str':
      return text;
    case '!!int':
    case '!!float': {
      const n = resolvePlain(text);
      if (typeof n !== 'number') throw new YamlError(`'${text}' is not a number (${tag})`, 0, 0);
      return n;
    }
    case '!!bool': {
      const b = resolvePlain(text);
      if (typeof b !== 'boolean') throw new YamlError(`'${text}' is not a boolean (${tag})`, 0, 0);
      return b;
    }
    case '!!null':
      return null;
    default:
      return v;
  }
}

/** A mapping key as the string PyYAML's dict would hold (scalars only). */
function keyString(key: YamlValue): string {
  if (key === null) return 'null';
  if (typeof key === 'object') return JSON.stringify(key);
  return String(key);
}

function size(v: YamlValue): number {
  if (v === null || typeof v !== 'object') return 1;
  if (Array.isArray(v)) return v.reduce<number>((n, x) => n + size(x), 1);
  return Object.values(v).reduce<number>((n, x) => n + size(x), 1);
}

/** YAML 1.1's resolution of a plain scalar (what PyYAML's safe_load does): null, booleans, numbers, strings. */
export function resolvePlain(s: string): YamlValue {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (/^(y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(s)) return /^(y|Y)$/.test(s) ? s : true;
  if (/^(n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/.test(s)) return /^(n|N)$/.test(s) ? s : false;
  if (/^[-+]?(0|[1-9][0-9_]*)$/.test(s)) return Number(s.replace(/_/g, ''));
  if (/^[-+]?0x[0-9a-fA-F_]+$/.test(s)) return Number.parseInt(s.replace(/_/g, ''), 16);
  if (/^[-+]?0[0-7_]+$/.test(s)) return Number.parseInt(s.replace(/_/g, ''), 8);
  if (/^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?$/.test(s) && /[0-9]/.test(s)) return Number(s.replace(/_/g, ''));
  if (/^[-+]?\.(inf|Inf|INF)$/.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(s)) return Number.NaN;
  return s;
}

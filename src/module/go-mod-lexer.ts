// The go.mod tokenizer (as in x/mod/modfile/read.go) and Go string unquoting: turns go.mod text
// into tokens with line/column positions, telling apart line comments and end-of-line comments.

/** Token kinds: punctuation is its own kind; 'eol' is a newline. */
export type TokenKind = 'eol' | 'eof' | 'comment' | 'eolComment' | 'string' | 'ident' | '(' | ')' | '[' | ']' | '{' | '}' | ',';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** 1-based line and column (in characters) where the token starts. */
  readonly line: number;
  readonly col: number;
}

/** A go.mod syntax error at a position; the parser turns these into ModgateErrors. */
export class GoModSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly col: number,
    message: string,
  ) {
    super(message);
    this.name = 'GoModSyntaxError';
  }
}

/** Go's unicode.IsSpace. */
export const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

const PUNCT = new Set(['(', ')', '[', ']', '{', '}', ',']);

/** Go's modfile isIdent: printable, not space, not punctuation. */
function isIdent(c: string): boolean {
  if (c === ' ' || PUNCT.has(c)) return false;
  return !GO_SPACE.test(c) && /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(c);
}

/** Splits go.mod text into tokens. Throws GoModSyntaxError on malformed input. */
export function tokenize(text: string): Token[] {
  const chars = [...text];
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  let lineHasToken = false;
  const advance = (): string => {
    const c = chars[i++] ?? '';
    if (c === '\n') {
      line++;
      col = 1;
      lineHasToken = false;
    } else {
      col++;
    }
    return c;
  };
  const at = (k: number): string => chars[i + k] ?? '';
  const push = (kind: TokenKind, start: number, l: number, c: number): void => {
    tokens.push({ kind, text: chars.slice(start, i).join(''), line: l, col: c });
  };
  for (;;) {
    while (at(0) === ' ' || at(0) === '\t' || at(0) === '\r') advance();
    const start = i;
    const l = line;
    const c = col;
    if (i >= chars.length) {
      push('eof', start, l, c);
      return tokens;
    }
    if (at(0) === '/' && at(1) === '/') {
      const suffix = lineHasToken;
      while (i < chars.length && at(0) !== '\n') advance();
      push(suffix ? 'eolComment' : 'comment', start, l, c);
      if (i < chars.length) advance(); // the newline belongs to the comment
      continue;
    }
    if (at(0) === '/' && at(1) === '*') throw new GoModSyntaxError(l, c, 'mod files must use // comments (not /* */ comments)');
    lineHasToken = true;
    const ch = at(0);
    if (ch === '\n') {
      advance();
      push('eol', start, l, c);
    } else if (PUNCT.has(ch)) {
      advance();
      push(ch as TokenKind, start, l, c);
    } else if (ch === '"' || ch === '`') {
      advance();
      for (;;) {
        if (i >= chars.length) throw new GoModSyntaxError(l, c, 'unexpected EOF in string');
        if (at(0) === '\n') throw new GoModSyntaxError(line, col, 'unexpected newline in string');
        const d = advance();
        if (d === ch) break;
        if (d === '\\' && ch !== '`') {
          if (i >= chars.length) throw new GoModSyntaxError(l, c, 'unexpected EOF in string');
          advance();
        }
      }
      push('string', start, l, c);
    } else {
      if (!isIdent(ch)) throw new GoModSyntaxError(l, c, `unexpected input character ${goRuneQuote(ch)}`);
      while (i < chars.length && isIdent(at(0))) {
        if (at(0) === '/' && at(1) === '/') break;
        if (at(0) === '/' && at(1) === '*') throw new GoModSyntaxError(line, col, 'mod files must use // comments (not /* */ comments)');
        advance();
      }
      push('ident', start, l, c);
    }
  }
}

function goRuneQuote(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f) return `'\\x${cp.toString(16).padStart(2, '0')}'`;
  return cp > 0xffff ? `'\\U${cp.toString(16).padStart(8, '0')}'` : `'\\u${cp.toString(16).padStart(4, '0')}'`;
}

const SIMPLE: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"' };

/**
 * Go's strconv.Unquote for a double-quoted or back-quoted string; undefined if it is not a
 * valid Go string literal.
 */
export function goUnquote(s: string): string | undefined {
  if (s.length >= 2 && s.startsWith('`') && s.endsWith('`')) {
    const body = s.slice(1, -1);
    return body.includes('`') ? undefined : body.replaceAll('\r', '');
  }
  if (s.length < 2 || !s.startsWith('"') || !s.endsWith('"')) return undefined;
  const body = s.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; ) {
    const c = body[i] ?? '';
    if (c === '"' || c === '\n') return undefined;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = body[i + 1] ?? '';
    const simple = SIMPLE[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
      continue;
    }
    const width = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : /[0-7]/.test(e) ? 3 : 0;
    if (width === 0) return undefined;
    const digits = e >= '0' && e <= '7' ? body.slice(i + 1, i + 4) : body.slice(i + 2, i + 2 + width);
    const valid = e >= '0' && e <= '7' ? /^[0-7]{3}$/.test(digits) : new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits);
    if (!valid) return undefined;
    const n = parseInt(digits, e >= '0' && e <= '7' ? 8 : 16);
    if (e === 'u' || e === 'U') {
      if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return undefined;
      out += String.fromCodePoint(n);
    } else {
      if (n > 255) return undefined;
      // \x and octal escapes are bytes; only ASCII ones form text on their own.
      if (n > 0x7f) return undefined;
      out += String.fromCharCode(n);
    }
    i += e >= '0' && e <= '7' ? 4 : 2 + width;
  }
  return out;
}

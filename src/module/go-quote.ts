// Go's %q formatting (strconv.Quote / QuoteRune), so error messages read exactly like the go
// command's: `malformed module path "x": invalid char '*'`.

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
};

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrint(ch: string): boolean {
  return ch === ' ' || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function quoteWith(s: string, quote: '"' | "'"): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote) {
      out += '\\' + ch;
    } else if (SIMPLE_ESCAPES[ch] !== undefined) {
      out += SIMPLE_ESCAPES[ch];
    } else if (cp >= 0xd800 && cp <= 0xdfff) {
      // A lone surrogate is JavaScript's nearest thing to an invalid UTF-8 byte.
      out += '\\ufffd';
    } else if (isPrint(ch)) {
      out += ch;
    } else if (cp < 0x80) {
      out += '\\x' + hex(cp, 2);
    } else if (cp <= 0xffff) {
      out += '\\u' + hex(cp, 4);
    } else {
      out += '\\U' + hex(cp, 8);
    }
  }
  return out + quote;
}

/** Formats a string the way Go's `%q` verb does: double quotes, Go escapes. */
export function goQuote(s: string): string {
  return quoteWith(s, '"');
}

/** Formats one character (a rune) the way Go's `%q` verb does for runes: single quotes. */
export function goQuoteRune(ch: string): string {
  return quoteWith(ch, "'");
}

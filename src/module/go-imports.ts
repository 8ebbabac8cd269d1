// The import paths of a Go source file, read from its head the way `go list` reads imports: the
// package clause, then the import declarations, ending at the first other declaration. Comments and
// `//go:build` lines before the package clause are scanned; a file constrained by `ignore` (generators,
// examples run by hand) is reported as ignored. Used by the prefetch to guess which modules a
// build opens next; a file it cannot read yields no imports (a guess, never a check).

export interface GoFileImports {
  /** The file carries a `//go:build` line that names `ignore` (never built). */
  readonly ignored: boolean;
  readonly imports: readonly string[];
}

/** Reads the imports of a Go file's text (at least its head up to the end of its imports). */
export function goFileImports(src: string): GoFileImports {
  const s = new Scanner(src);
  let ignored = false;
  // Leading comments: build constraints live there.
  for (;;) {
    const c = s.comment();
    if (c === undefined) break;
    const m = /^\/\/go:build\s+(.*)$/.exec(c);
    if (m && /(^|[^\w.])ignore([^\w.]|$)/.test(m[1]!) && !/!\s*ignore/.test(m[1]!)) ignored = true;
  }
  const imports: string[] = [];
  if (s.word() !== 'package' || s.word() === undefined) return { ignored, imports };
  s.semi();
  while (s.word() === 'import') {
    if (s.punct('(')) {
      while (!s.punct(')')) {
        const p = s.importSpec();
        if (p === undefined) return { ignored, imports };
        imports.push(p);
        s.semi();
      }
    } else {
      const p = s.importSpec();
      if (p === undefined) return { ignored, imports };
      imports.push(p);
    }
    s.semi();
  }
  return { ignored, imports };
}

/** A tiny tokenizer over the head of a Go file: words, punctuation, strings; skips comments. */
class Scanner {
  private i = 0;
  constructor(private readonly src: string) {}

  /** Skips blanks; returns the next comment's text (line comments only) and consumes it, if any. */
  comment(): string | undefined {
    for (;;) {
      this.blank();
      if (this.src.startsWith('//', this.i)) {
        const end = this.src.indexOf('\n', this.i);
        const text = this.src.slice(this.i, end < 0 ? this.src.length : end).trimEnd();
        this.i = end < 0 ? this.src.length : end + 1;
        return text;
      }
      if (this.src.startsWith('/*', this.i)) {
        const end = this.src.indexOf('*/', this.i + 2);
        this.i = end < 0 ? this.src.length : end + 2;
        continue;
      }
      return undefined;
    }
  }

  private blank(): void {
    while (this.i < this.src.length && /\s/.test(this.src[this.i]!)) this.i++;
  }

  private skip(): void {
    while (this.comment() !== undefined);
  }

  word(): string | undefined {
    this.skip();
    const m = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(this.src.slice(this.i, this.i + 256));
    if (!m) return undefined;
    this.i += m[0].length;
    return m[0];
  }

  punct(ch: string): boolean {
    this.skip();
    if (this.src[this.i] !== ch) return false;
    this.i++;
    return true;
  }

  /** Optional semicolons (newlines are blanks here). */
  semi(): void {
    while (this.punct(';'));
  }

  /** `[name | . | _] "path"` (or a raw string); the path, or undefined when malformed. */
  importSpec(): string | undefined {
    this.skip();
    if (this.src[this.i] === '.') this.i++;
    else if (this.src[this.i] !== '"' && this.src[this.i] !== '`') this.word();
    this.skip();
    const q = this.src[this.i];
    if (q !== '"' && q !== '`') return undefined;
    const end = this.src.indexOf(q, this.i + 1);
    if (end < 0) return undefined;
    const p = this.src.slice(this.i + 1, end);
    this.i = end + 1;
    return p.includes('\\') ? undefined : p;
  }
}

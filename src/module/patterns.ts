// GOPRIVATE / GONOPROXY / GONOSUMDB pattern matching: Go's path.Match globs and
// module.MatchPrefixPatterns ("a glob with k slashes matches the first k+1 path elements").

/** The outcome of matching one glob; badPattern is true when the glob is malformed. */
export interface GlobMatch {
  readonly matched: boolean;
  readonly badPattern: boolean;
}

const BAD: GlobMatch = { matched: false, badPattern: true };

/** Code points, so that "?" and "[...]" consume whole characters as Go's runes do. */
type Chars = readonly string[];

/** Splits off leading stars and the chunk up to the next star outside a class. */
function scanChunk(p: Chars): { star: boolean; chunk: Chars; rest: Chars } {
  let k = 0;
  while (p[k] === '*') k++;
  const star = k > 0;
  const pattern = p.slice(k);
  let inRange = false;
  let i = 0;
  for (; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      if (i + 1 < pattern.length) i++;
    } else if (c === '[') {
      inRange = true;
    } else if (c === ']') {
      inRange = false;
    } else if (c === '*' && !inRange) {
      break;
    }
  }
  return { star, chunk: pattern.slice(0, i), rest: pattern.slice(i) };
}

/** Reads one (possibly escaped) class character; undefined for a malformed class. */
function getEsc(chunk: Chars, at: number): [ch: string, next: number] | undefined {
  let i = at;
  const c = chunk[i];
  if (c === undefined || c === '-' || c === ']') return undefined;
  if (c === '\\') {
    i++;
    if (i >= chunk.length) return undefined;
  }
  const ch = chunk[i] ?? '';
  i++;
  if (i >= chunk.length) return undefined; // a class must be closed
  return [ch, i];
}

const cp = (c: string): number => c.codePointAt(0) ?? 0;

/**
 * Matches chunk (no stars) against a prefix of s. Returns the unmatched rest of s, null for
 * no match, or 'bad' for a malformed chunk. Like Go, it keeps scanning after a mismatch so
 * that malformed patterns are always reported.
 */
function matchChunk(chunk: Chars, s: Chars): Chars | null | 'bad' {
  let failed = false;
  let si = 0;
  let ci = 0;
  while (ci < chunk.length) {
    if (!failed && si >= s.length) failed = true;
    const c = chunk[ci];
    if (c === '[') {
      let r = -1;
      if (!failed) r = cp(s[si++] ?? '');
      ci++;
      let negated = false;
      if (chunk[ci] === '^') {
        negated = true;
        ci++;
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (chunk[ci] === ']' && nrange > 0) {
          ci++;
          break;
        }
        const lo = getEsc(chunk, ci);
        if (!lo) return 'bad';
        let hi = lo;
        if (chunk[lo[1]] === '-') {
          const h = getEsc(chunk, lo[1] + 1);
          if (!h) return 'bad';
          hi = h;
        }
        ci = hi[1];
        if (cp(lo[0]) <= r && r <= cp(hi[0])) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (c === '?') {
      if (!failed) {
        if (s[si] === '/') failed = true;
        si++;
      }
      ci++;
    } else {
      if (c === '\\') {
        ci++;
        if (ci >= chunk.length) return 'bad';
      }
      if (!failed) {
        if (chunk[ci] !== s[si]) failed = true;
        si++;
      }
      ci++;
    }
  }
  return failed ? null : s.slice(si);
}

/**
 * Go's path.Match: reports whether name matches the shell pattern. `*` matches any run of
 * non-"/" characters, `?` one non-"/" character, `[abc]`, `[a-z]`, `[^a-z]` classes, `\\`
 * escapes the next character. A malformed pattern never matches (badPattern is set).
 */
export function pathMatch(pattern: string, name: string): GlobMatch {
  let p: Chars = [...pattern];
  let n: Chars = [...name];
  outer: while (p.length > 0) {
    const { star, chunk, rest } = scanChunk(p);
    p = rest;
    if (star && chunk.length === 0) {
      // A trailing star matches the rest of the name unless it has a slash.
      return { matched: !n.includes('/'), badPattern: false };
    }
    const t = matchChunk(chunk, n);
    if (t !== null && t !== 'bad' && (t.length === 0 || p.length > 0)) {
      n = t;
      continue;
    }
    if (t === 'bad') return BAD;
    if (star) {
      // Let the star swallow more characters (never a slash) and try again.
      for (let i = 0; i < n.length && n[i] !== '/'; i++) {
        const t2 = matchChunk(chunk, n.slice(i + 1));
        if (t2 === 'bad') return BAD;
        if (t2 !== null) {
          if (p.length === 0 && t2.length > 0) continue;
          n = t2;
          continue outer;
        }
      }
    }
    // No match; still report a malformed remainder of the pattern, as Go does.
    while (p.length > 0) {
      const next = scanChunk(p);
      p = next.rest;
      if (matchChunk(next.chunk, []) === 'bad') return BAD;
    }
    return { matched: false, badPattern: false };
  }
  return { matched: n.length === 0, badPattern: false };
}

/**
 * Go's module.MatchPrefixPatterns: reports whether any glob in the comma-separated list
 * matches a prefix of target. Empty entries are skipped, a trailing "/" is trimmed, and a
 * glob with k slashes is matched against the first k+1 elements of target
 * ("*.corp.example.com" matches "git.corp.example.com/x/y"). Malformed globs match nothing.
 */
export function matchPrefixPatterns(patternList: string, target: string): boolean {
  for (const entry of patternList.split(',')) {
    const glob = entry.endsWith('/') ? entry.slice(0, -1) : entry;
    if (glob === '') continue;
    let slashes = glob.split('/').length - 1;
    let prefix = target;
    for (let i = 0; i < target.length; i++) {
      if (target[i] === '/') {
        if (slashes === 0) {
          prefix = target.slice(0, i);
          break;
        }
        slashes--;
      }
    }
    if (slashes > 0) continue;
    if (pathMatch(glob, prefix).matched) return true;
  }
  return false;
}

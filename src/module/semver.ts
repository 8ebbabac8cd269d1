// Go's semantic versions (golang.org/x/mod/semver), which differ from npm semver: a leading "v"
// is required, "vMAJOR" and "vMAJOR.MINOR" are valid shorthands, and build metadata is ignored.

interface Parsed {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  /** What Canonical appends to a shorthand: ".0.0", ".0" or "". */
  readonly short: string;
  readonly prerelease: string;
  readonly build: string;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

function isIdentChar(c: string): boolean {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || isDigit(c) || c === '-';
}

/** True for an all-digit identifier with a leading zero ("01"), which semver forbids. */
function isBadNum(s: string): boolean {
  return /^0[0-9]+$/.test(s);
}

function isNum(s: string): boolean {
  return /^[0-9]*$/.test(s);
}

/** Reads a number without leading zeros at the start of s; undefined if there is none. */
function parseInt(s: string): [num: string, rest: string] | undefined {
  if (!isDigit(s[0])) return undefined;
  let i = 1;
  while (isDigit(s[i])) i++;
  if (s[0] === '0' && i !== 1) return undefined;
  return [s.slice(0, i), s.slice(i)];
}

/** Reads "-ident(.ident)*" up to a "+" or the end; s starts with "-". */
function parseDotted(s: string, stopAtPlus: boolean, checkNums: boolean): [string, string] | undefined {
  let i = 1;
  let start = 1;
  for (; i < s.length && !(stopAtPlus && s[i] === '+'); i++) {
    const c = s[i] ?? '';
    if (c === '.') {
      if (start === i || (checkNums && isBadNum(s.slice(start, i)))) return undefined;
      start = i + 1;
    } else if (!isIdentChar(c)) {
      return undefined;
    }
  }
  if (start === i || (checkNums && isBadNum(s.slice(start, i)))) return undefined;
  return [s.slice(0, i), s.slice(i)];
}

function parse(v: string): Parsed | undefined {
  if (v[0] !== 'v') return undefined;
  const maj = parseInt(v.slice(1));
  if (!maj) return undefined;
  const major = maj[0];
  let rest = maj[1];
  if (rest === '') return { major, minor: '0', patch: '0', short: '.0.0', prerelease: '', build: '' };
  if (rest[0] !== '.') return undefined;
  const min = parseInt(rest.slice(1));
  if (!min) return undefined;
  const minor = min[0];
  rest = min[1];
  if (rest === '') return { major, minor, patch: '0', short: '.0', prerelease: '', build: '' };
  if (rest[0] !== '.') return undefined;
  const pat = parseInt(rest.slice(1));
  if (!pat) return undefined;
  const patch = pat[0];
  rest = pat[1];
  let prerelease = '';
  let build = '';
  if (rest[0] === '-') {
    const pre = parseDotted(rest, true, true);
    if (!pre) return undefined;
    [prerelease, rest] = pre;
  }
  if (rest[0] === '+') {
    const b = parseDotted(rest, false, false);
    if (!b) return undefined;
    [build, rest] = b;
  }
  if (rest !== '') return undefined;
  return { major, minor, patch, short: '', prerelease, build };
}

/** Reports whether v is a valid Go semantic version ("v1", "v1.2", "v1.2.3-pre+build"). */
export function isValid(v: string): boolean {
  return parse(v) !== undefined;
}

/**
 * The canonical form of v: shorthands filled in ("v1" → "v1.0.0"), build metadata dropped
 * ("v1.2.3+meta" → "v1.2.3"). '' if v is invalid.
 */
export function canonical(v: string): string {
  const p = parse(v);
  if (!p) return '';
  if (p.build !== '') return v.slice(0, v.length - p.build.length);
  return v + p.short;
}

/** The major version prefix ("v2" for "v2.1.0"); '' if v is invalid. */
export function major(v: string): string {
  const p = parse(v);
  return p ? v.slice(0, 1 + p.major.length) : '';
}

/** The major.minor prefix ("v2.1" for "v2.1.0", "v2.0" for "v2"); '' if v is invalid. */
export function majorMinor(v: string): string {
  const p = parse(v);
  if (!p) return '';
  const i = 1 + p.major.length;
  const j = i + 1 + p.minor.length;
  if (j <= v.length && v[i] === '.' && v.slice(i + 1, j) === p.minor) return v.slice(0, j);
  return `${v.slice(0, i)}.${p.minor}`;
}

/** The prerelease suffix including its "-" ("-pre.1"); '' if none or v is invalid. */
export function prerelease(v: string): string {
  return parse(v)?.prerelease ?? '';
}

/** The build suffix including its "+" ("+incompatible"); '' if none or v is invalid. */
export function build(v: string): string {
  return parse(v)?.build ?? '';
}

/** Reports whether v is a valid version with a prerelease part. */
export function isPrerelease(v: string): boolean {
  return prerelease(v) !== '';
}

function compareInt(x: string, y: string): number {
  if (x === y) return 0;
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : 1;
}

function comparePrerelease(x: string, y: string): number {
  if (x === y) return 0;
  if (x === '') return 1;
  if (y === '') return -1;
  // Both start with "-": compare dot-separated identifiers pairwise.
  const xs = x.slice(1).split('.');
  const ys = y.slice(1).split('.');
  for (let k = 0; k < xs.length && k < ys.length; k++) {
    const dx = xs[k] ?? '';
    const dy = ys[k] ?? '';
    if (dx === dy) continue;
    const ix = isNum(dx);
    const iy = isNum(dy);
    if (ix !== iy) return ix ? -1 : 1;
    if (ix && dx.length !== dy.length) return dx.length < dy.length ? -1 : 1;
    return dx < dy ? -1 : 1;
  }
  return xs.length < ys.length ? -1 : 1;
}

/**
 * Compares two versions: -1, 0 or +1. An invalid version is less than any valid one, and two
 * invalid versions are equal. Build metadata is ignored ("v1.0.0+a" equals "v1.0.0+b").
 */
export function compare(a: string, b: string): -1 | 0 | 1 {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa && !pb) return 0;
  if (!pa) return -1;
  if (!pb) return 1;
  const c =
    compareInt(pa.major, pb.major) ||
    compareInt(pa.minor, pb.minor) ||
    compareInt(pa.patch, pb.patch) ||
    comparePrerelease(pa.prerelease, pb.prerelease);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

/** The canonical form of the larger of a and b (b on a tie); like Go's semver.Max. */
export function max(a: string, b: string): string {
  const ca = canonical(a);
  const cb = canonical(b);
  return compare(ca, cb) > 0 ? ca : cb;
}

/** A comparator for Array.prototype.sort: semver order, ties broken by string order. */
export function compareForSort(a: string, b: string): number {
  return compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Returns a new array sorted in semver order (invalid first), ties broken by string order. */
export function sortVersions(list: readonly string[]): string[] {
  return [...list].sort(compareForSort);
}

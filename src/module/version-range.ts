// Version ranges in Go's semver order (not npm's): `>=v1.2.0 <v1.4.0`, `<v1.0.0`, `v1.2.3`
// (exact), `=v1.2.3`, alternatives joined by `||`. Comparators in one alternative must all hold.
// Prereleases and pseudo-versions are ordered as Go orders them: v1.4.0-rc.1 and
// v1.3.1-0.20240101000000-abcdefabcdef are both below v1.4.0, so `<v1.4.0` matches them (npm's
// rule of excluding prereleases does not apply); build metadata is ignored.
import { canonical, compare, isValid } from './semver.js';

type Op = '<' | '<=' | '>' | '>=' | '=';

interface Comparator {
  readonly op: Op;
  readonly version: string;
}

export interface VersionRange {
  /** The range as written. */
  readonly text: string;
  matches(version: string): boolean;
}

const COMPARATOR = /^(<=|>=|<|>|=)?(.+)$/;

function holds(c: Comparator, v: string): boolean {
  const d = compare(v, c.version);
  switch (c.op) {
    case '<': return d < 0;
    case '<=': return d <= 0;
    case '>': return d > 0;
    case '>=': return d >= 0;
    case '=': return d === 0;
  }
}

/** Parses a range; throws an Error saying which part is wrong and the accepted form. */
export function parseVersionRange(text: string): VersionRange {
  const alternatives = text.split('||').map((alt) => {
    const parts = alt.trim().split(/\s+/).filter((p) => p !== '');
    if (parts.length === 0) throw new Error(`"${text}": an empty range (expected comparators like ">=v1.2.0 <v1.4.0")`);
    return parts.map((p): Comparator => {
      const m = COMPARATOR.exec(p)!;
      const version = m[2]!;
      if (!isValid(version)) throw new Error(`"${text}": "${version}" is not a Go semantic version (expected e.g. v1.2.3, with the leading v)`);
      return { op: (m[1] ?? '=') as Op, version: canonical(version) };
    });
  });
  return {
    text,
    matches: (v) => isValid(v) && alternatives.some((cs) => cs.every((c) => holds(c, v))),
  };
}

// Retractions as the go command applies them: the intervals of the `retract` directives of the
// module's newest version's go.mod (the highest release, else prerelease, else pseudo-version,
// retracted or not), and whether a version falls in one of them (Go's semver order, inclusive).
import { isPseudoVersion } from './pseudo.js';
import { compare, isPrerelease, sortVersions } from './semver.js';

export interface RetractInterval {
  readonly low: string;
  readonly high: string;
}

/** The interval that retracts `v`, if any. */
export function retractionOf<T extends RetractInterval>(retracted: readonly T[], v: string): T | undefined {
  return retracted.find((r) => compare(r.low, v) <= 0 && compare(v, r.high) <= 0);
}

/** The version the go command reads retractions from: highest release, else prerelease, else pseudo-version. */
export function newestVersion(versions: readonly string[]): string | undefined {
  const sorted = sortVersions(versions);
  const tagged = sorted.filter((v) => !isPseudoVersion(v));
  return tagged.filter((v) => !isPrerelease(v)).at(-1) ?? tagged.at(-1) ?? sorted.at(-1);
}

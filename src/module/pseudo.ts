// Pseudo-versions (Go's module/pseudo.go): versions naming an untagged commit,
// "vX.0.0-yyyymmddhhmmss-abcdef123456", "vX.Y.(Z+1)-0.TIME-REV", "vX.Y.Z-pre.0.TIME-REV".

import { ModgateError } from '../errors/modgate-error.js';
import { goQuote } from './go-quote.js';
import { build, canonical, isValid, major, prerelease } from './semver.js';

const PSEUDO_VERSION_RE =
  /^v[0-9]+\.(0\.0-|[0-9]+\.[0-9]+-([^+]*\.)?0\.)[0-9]{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** Go's zero time.Time (0001-01-01T00:00:00Z), the time of zero pseudo-versions. */
export const ZERO_TIME: Date = new Date(-62135596800000);

interface PseudoParts {
  /** "vX.0.0", "vX.Y.(Z+1)-0" or "vX.Y.Z-pre.0". */
  readonly base: string;
  readonly timestamp: string;
  readonly rev: string;
  readonly build: string;
}

function invalidPseudo(v: string, reason: string): ModgateError {
  return new ModgateError('INVALID_VERSION', `pseudo-version ${goQuote(v)} invalid: ${reason}`, {
    details: { version: v, reason },
  });
}

/** Reports whether v has the form of a pseudo-version (and is valid semver). */
export function isPseudoVersion(v: string): boolean {
  return v.split('-').length - 1 >= 2 && isValid(v) && PSEUDO_VERSION_RE.test(v);
}

/**
 * Formats t (in UTC) as a pseudo-version timestamp, yyyymmddhhmmss
 * (Go's PseudoVersionTimestampFormat "20060102150405").
 */
export function formatPseudoVersionTime(t: Date): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    pad(t.getUTCFullYear(), 4) +
    pad(t.getUTCMonth() + 1) +
    pad(t.getUTCDate()) +
    pad(t.getUTCHours()) +
    pad(t.getUTCMinutes()) +
    pad(t.getUTCSeconds())
  );
}

/** Parses yyyymmddhhmmss as UTC with Go's range checks; undefined if out of range. */
function parseTimestamp(ts: string): Date | undefined {
  const m = /^([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})$/.exec(ts);
  if (!m) return undefined;
  const [year, month, day, hour, min, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1) return undefined;
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month, 0); // day 0 of the next month
  if (day > lastDay.getUTCDate()) return undefined;
  if (hour > 23 || min > 59 || sec > 59) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years 0-99 literal
  d.setUTCHours(hour, min, sec, 0);
  return d;
}

/**
 * The pseudo-version for a commit at time t with revision identifier rev (usually the first
 * 12 hex digits of the hash). older is the newest tag before the commit ('' if none) and major
 * the major version to use when there is none ('' means "v0"):
 * no tag → "vX.0.0-TIME-REV"; release vX.Y.Z → "vX.Y.(Z+1)-0.TIME-REV";
 * prerelease vX.Y.Z-pre → "vX.Y.Z-pre.0.TIME-REV"; older's build suffix (+incompatible) is kept.
 */
export function pseudoVersion(majorVersion: string, older: string, t: Date, rev: string): string {
  const segment = `${formatPseudoVersionTime(t)}-${rev}`;
  const olderBuild = build(older);
  const base = canonical(older);
  if (base === '') return `${majorVersion || 'v0'}.0.0-${segment}`;
  if (prerelease(base) !== '') return `${base}.0.${segment}${olderBuild}`;
  const i = base.lastIndexOf('.') + 1;
  return `${base.slice(0, i)}${incDecimal(base.slice(i))}-0.${segment}${olderBuild}`;
}

/** The pseudo-version at Go's zero time with revision "000000000000" for a major version. */
export function zeroPseudoVersion(majorVersion: string): string {
  return pseudoVersion(majorVersion, '', ZERO_TIME, '000000000000');
}

/** Reports whether v is the zero pseudo-version of its major version. */
export function isZeroPseudoVersion(v: string): boolean {
  return v === zeroPseudoVersion(major(v));
}

/** Adds one to a decimal string of any length ("99" → "100"). */
export function incDecimal(decimal: string): string {
  return (BigInt(decimal) + 1n).toString();
}

/** Subtracts one from a decimal string; '' if the result would be negative. */
export function decDecimal(decimal: string): string {
  if (!/^[0-9]+$/.test(decimal) || /^0+$/.test(decimal)) return '';
  return (BigInt(decimal) - 1n).toString();
}

function parsePseudoVersion(v: string): PseudoParts {
  if (!isPseudoVersion(v)) throw invalidPseudo(v, 'syntax error');
  const b = build(v);
  let rest = v.slice(0, v.length - b.length);
  const j = rest.lastIndexOf('-');
  const rev = rest.slice(j + 1);
  rest = rest.slice(0, j);
  const dash = rest.lastIndexOf('-');
  const dot = rest.lastIndexOf('.');
  if (dot > dash) return { base: rest.slice(0, dot), timestamp: rest.slice(dot + 1), rev, build: b };
  return { base: rest.slice(0, dash), timestamp: rest.slice(dash + 1), rev, build: b };
}

/**
 * The commit time recorded in a pseudo-version, as a UTC Date.
 * Throws ModgateError('INVALID_VERSION') if v is not a pseudo-version or its time is malformed.
 */
export function pseudoVersionTime(v: string): Date {
  const { timestamp } = parsePseudoVersion(v);
  const t = parseTimestamp(timestamp);
  if (!t) throw invalidPseudo(v, `malformed time ${goQuote(timestamp)}`);
  return t;
}

/** The revision identifier of a pseudo-version. Throws ModgateError('INVALID_VERSION'). */
export function pseudoVersionRev(v: string): string {
  return parsePseudoVersion(v).rev;
}

/**
 * The tag a pseudo-version was derived from ('' if it had none): "v1.2.4-0.TIME-REV" → "v1.2.3",
 * "v1.2.3-pre.0.TIME-REV" → "v1.2.3-pre", build suffix kept. Throws ModgateError('INVALID_VERSION')
 * if v is not a pseudo-version or cannot have been derived from a tag.
 */
export function pseudoVersionBase(v: string): string {
  const parts = parsePseudoVersion(v);
  let base = parts.base;
  const pre = prerelease(base);
  if (pre === '') {
    if (parts.build !== '') throw invalidPseudo(v, `lacks base version, but has build metadata ${goQuote(parts.build)}`);
    return '';
  }
  if (pre === '-0') {
    base = base.slice(0, -pre.length);
    const i = base.lastIndexOf('.');
    const patch = decDecimal(base.slice(i + 1));
    if (patch === '') throw invalidPseudo(v, `version before ${base} would have negative patch number`);
    return base.slice(0, i + 1) + patch + parts.build;
  }
  // "vX.Y.Z-pre.0": the regexp guarantees the ".0".
  return base.slice(0, -'.0'.length) + parts.build;
}

// go.sum files and lines: parsing (as the go command reads them) and formatting (sorted the way
// the go command writes them: by path, then semver of the version, then "/go.mod" after).

import { ModgateError } from '../errors/modgate-error.js';
import { compare } from './semver.js';

/** One go.sum line: `<path> <version>[/go.mod] <hash>`. */
export interface GoSumEntry {
  readonly path: string;
  /** The version without the "/go.mod" suffix. */
  readonly version: string;
  /** True for the hash of the go.mod file alone (the line's version ends in "/go.mod"). */
  readonly isGoMod: boolean;
  /** Usually "h1:" + base64 SHA-256; other algorithms are kept as they are. */
  readonly hash: string;
}

const GO_MOD_SUFFIX = '/go.mod';

/**
 * A hash an old go command wrote by mistake for every go.mod; the go command drops such lines
 * when reading go.sum, and so does parseGoSum. (It is the h1 of an empty go.mod.)
 */
export const EMPTY_GO_MOD_HASH = 'h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=';

/** Go's unicode.IsSpace set, which strings.Fields splits on. */
const FIELD_SEPARATORS = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

function fields(line: string): string[] {
  return line.split(FIELD_SEPARATORS).filter((f) => f !== '');
}

/**
 * Parses go.sum text like the go command: blank lines are skipped, every other line must have
 * exactly three whitespace-separated fields, lines with EMPTY_GO_MOD_HASH are dropped. Paths,
 * versions and hashes are not validated (the go command does not either).
 * Throws ModgateError('UPSTREAM_BAD_RESPONSE') naming the file and line of a malformed line.
 */
export function parseGoSum(text: string, fileName = 'go.sum'): GoSumEntry[] {
  const entries: GoSumEntry[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, index) => {
    const f = fields(line);
    if (f.length === 0) return;
    const [path, version, hash] = f;
    if (f.length !== 3 || path === undefined || version === undefined || hash === undefined) {
      throw new ModgateError(
        'UPSTREAM_BAD_RESPONSE',
        `malformed go.sum:\n${fileName}:${index + 1}: wrong number of fields ${f.length}`,
        { hint: 'each go.sum line must be "<module path> <version>[/go.mod] <hash>"' },
      );
    }
    if (hash === EMPTY_GO_MOD_HASH) return;
    const isGoMod = version.endsWith(GO_MOD_SUFFIX);
    entries.push({ path, version: isGoMod ? version.slice(0, -GO_MOD_SUFFIX.length) : version, isGoMod, hash });
  });
  return entries;
}

/** The text of one go.sum line, without the newline: `<path> <version>[/go.mod] <hash>`. */
export function formatGoSumLine(entry: GoSumEntry): string {
  return `${entry.path} ${entry.version}${entry.isGoMod ? GO_MOD_SUFFIX : ''} ${entry.hash}`;
}

/**
 * The two go.sum lines of a module version, as the checksum database records them:
 * `<path> <version> <zipHash>\n<path> <version>/go.mod <modHash>\n`.
 */
export function goSumLines(path: string, version: string, zipHash: string, modHash: string): string {
  return (
    formatGoSumLine({ path, version, isGoMod: false, hash: zipHash }) +
    '\n' +
    formatGoSumLine({ path, version, isGoMod: true, hash: modHash }) +
    '\n'
  );
}

/** Go's order for go.sum entries (module.Sort, then hashes by string); a sort comparator. */
export function compareGoSumEntries(a: GoSumEntry, b: GoSumEntry): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  if (a.version !== b.version) return compare(a.version, b.version) || (a.version < b.version ? -1 : 1);
  if (a.isGoMod !== b.isGoMod) return a.isGoMod ? 1 : -1;
  if (a.hash !== b.hash) return a.hash < b.hash ? -1 : 1;
  return 0;
}

/**
 * Formats entries as go.sum text the way the go command writes it: sorted by path, then by
 * semver of the version, the "/go.mod" line after the module line, hashes in string order,
 * duplicates removed, each line ending in "\n". '' for no entries.
 */
export function formatGoSum(entries: readonly GoSumEntry[]): string {
  const sorted = [...entries].sort(compareGoSumEntries);
  let out = '';
  let previous: GoSumEntry | undefined;
  for (const entry of sorted) {
    if (previous && compareGoSumEntries(previous, entry) === 0) continue;
    out += formatGoSumLine(entry) + '\n';
    previous = entry;
  }
  return out;
}

// Name rules the go command applies to module zip entries (x/mod/zip checkZip): Go's path.Clean
// comparison, case-fold collision checking (including parent directories), and the size limits.

import { ModgateError } from '../errors/modgate-error.js';

/** Largest module zip, and largest total uncompressed content (Go's MaxZipFile). */
export const MAX_ZIP_FILE = 500 * 1024 * 1024;
/** Largest root go.mod (Go's MaxGoMod). */
export const MAX_GO_MOD = 16 * 1024 * 1024;
/** Largest root LICENSE (Go's MaxLICENSE). */
export const MAX_LICENSE = 16 * 1024 * 1024;

/** Go's path.Clean. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const elem of p.split('/')) {
    if (elem === '' || elem === '.') continue;
    if (elem === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(elem);
  }
  const s = (rooted ? '/' : '') + out.join('/');
  return s === '' ? '.' : s;
}

/** Go's path.Dir for slash-separated paths. */
function dirOf(p: string): string {
  const i = p.lastIndexOf('/');
  return cleanPath(i < 0 ? '' : p.slice(0, i + 1));
}

/**
 * Go's strToFold approximated with JavaScript case mapping: each code point becomes the smallest
 * member of its simple case-folding orbit, with A-Z mapped to a-z.
 */
export function strToFold(s: string): string {
  if (/^[\u0000-\u0040\u005b-\u007f]*$/.test(s)) return s;
  let out = '';
  for (const c of s) {
    let min = c;
    const lower = c.toLowerCase();
    const upper = c.toUpperCase();
    for (const cand of [lower, upper, upper.toLowerCase(), lower.toUpperCase()]) {
      if ([...cand].length === 1 && cand.codePointAt(0)! < min.codePointAt(0)!) min = cand;
    }
    out += min >= 'A' && min <= 'Z' ? min.toLowerCase() : min;
  }
  return out;
}

/** Finds case-insensitive collisions, file/directory clashes and duplicate files (Go's collisionChecker). */
export class CollisionChecker {
  private readonly seen = new Map<string, { path: string; isDir: boolean }>();

  /** Records path p (and its parent directories); throws ZIP_INVALID naming `entry` on a clash. */
  check(p: string, isDir: boolean, entry: string): void {
    const fold = strToFold(p);
    const other = this.seen.get(fold);
    const bad = (reason: string): never => {
      throw new ModgateError('ZIP_INVALID', `${entry}: ${reason}`, { details: { file: entry } });
    };
    if (other) {
      if (other.path !== p) bad(`case-insensitive file name collision: ${JSON.stringify(other.path)} and ${JSON.stringify(p)}`);
      if (other.isDir !== isDir) bad(`entry ${JSON.stringify(p)} is both a file and a directory`);
      if (!isDir) bad(`multiple entries for file ${JSON.stringify(p)}`);
    } else {
      this.seen.set(fold, { path: p, isDir });
    }
    const parent = dirOf(p);
    if (parent !== '.') this.check(parent, true, entry);
  }
}

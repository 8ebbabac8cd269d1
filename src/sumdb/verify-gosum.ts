// Checks go.sum lines against checksum databases: each line's hash must equal the database's.
// Lines for paths excluded by nosumdb patterns are skipped; lines the database does not know are
// reported separately (they are not mismatches).
import { isNotFound } from '../errors/modgate-error.js';
import { parseGoSum } from '../module/go-sum.js';
import { matchPrefixPatterns } from '../module/patterns.js';

export type GoSumLineStatus = 'ok' | 'mismatch' | 'unknown' | 'skipped' | 'error';

export interface GoSumLineResult {
  readonly file: string;
  readonly line: string;
  readonly module: string;
  readonly version: string;
  readonly goMod: boolean;
  readonly status: GoSumLineStatus;
  readonly expected?: string;
  readonly reason?: string;
}

export interface VerifyGoSumReport {
  readonly results: GoSumLineResult[];
  readonly counts: Record<GoSumLineStatus, number>;
}

export interface VerifyGoSumOptions {
  readonly files: ReadonlyArray<{ readonly name: string; readonly text: string }>;
  /** Verified hashes of path@version from the checksum database(s). */
  readonly lookup: (path: string, version: string) => Promise<{ modHash: string; zipHash: string | undefined }>;
  readonly nosumdb: string;
  readonly concurrency?: number;
}

export async function verifyGoSum(opts: VerifyGoSumOptions): Promise<VerifyGoSumReport> {
  const work: Array<() => Promise<GoSumLineResult>> = [];
  for (const f of opts.files) {
    for (const e of parseGoSum(f.text, f.name)) {
      const base = { file: f.name, line: `${e.path} ${e.version}${e.isGoMod ? '/go.mod' : ''} ${e.hash}`, module: e.path, version: e.version, goMod: e.isGoMod };
      work.push(async () => {
        if (matchPrefixPatterns(opts.nosumdb, e.path)) return { ...base, status: 'skipped', reason: 'matches nosumdb/private patterns' };
        try {
          const r = await opts.lookup(e.path, e.version);
          const want = e.isGoMod ? r.modHash : r.zipHash;
          if (want === undefined) return { ...base, status: 'unknown', reason: 'the database has no zip hash for this version' };
          return want === e.hash ? { ...base, status: 'ok' } : { ...base, status: 'mismatch', expected: want };
        } catch (err) {
          if (isNotFound(err)) return { ...base, status: 'unknown', reason: (err as Error).message };
          return { ...base, status: 'error', reason: (err as Error).message };
        }
      });
    }
  }
  const results: GoSumLineResult[] = new Array<GoSumLineResult>(work.length);
  let next = 0;
  const worker = async () => {
    while (next < work.length) {
      const i = next++;
      results[i] = await work[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 8, work.length) }, worker));
  const counts: Record<GoSumLineStatus, number> = { ok: 0, mismatch: 0, unknown: 0, skipped: 0, error: 0 };
  for (const r of results) counts[r.status]++;
  return { results, counts };
}

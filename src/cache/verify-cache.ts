// Re-verifies everything in the cache: each zip is re-checked and re-hashed against its recorded
// .ziphash and the checksum database (or its pinned hash), each .mod against the database; with
// `purge`, every version with a finding is removed. Returns the findings; never throws for one.
import { mkdtemp, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isModgateError } from '../errors/modgate-error.js';
import { unescapePath, unescapeVersion } from '../module/escape.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import type { Storage } from '../storage/storage.js';
import { hashGoMod } from '../zip/dirhash.js';
import { checkModuleZip } from '../zip/zip-check.js';
import { versionKey } from './cache-keys.js';
import { pinKey } from './verifying-gate.js';

export interface VerifyFinding {
  readonly module: string;
  readonly version: string;
  readonly file: 'zip' | 'mod';
  readonly problem: string;
  readonly expected?: string;
  readonly actual?: string;
  purged?: boolean;
}

export interface VerifyCacheReport {
  readonly checked: { zip: number; mod: number };
  readonly findings: VerifyFinding[];
  /** Versions not checked against a database because the database was unreachable. */
  readonly unverified: Array<{ module: string; version: string; reason: string }>;
}

export interface VerifyCacheOptions {
  readonly storage: Storage;
  /** Verified hashes from the checksum database(s); undefined when verification is off. */
  readonly expected: ((path: string, version: string) => Promise<{ mod?: string; zip?: string }>) | undefined;
  readonly nosumdb: string;
  readonly purge: boolean;
  /** Hashes recorded in modgate's own checksum database (checked first, for every path), when it is on. */
  readonly recorded?: (path: string, version: string) => Promise<{ mod: string; zip: string } | undefined>;
}

const FILE_RE = /^(.+)\/@v\/([^/]+)\.(zip|mod)$/;

export async function verifyCache(opts: VerifyCacheOptions): Promise<VerifyCacheReport> {
  const { storage } = opts;
  const report: VerifyCacheReport = { checked: { zip: 0, mod: 0 }, findings: [], unverified: [] };
  const keys: string[] = [];
  for await (const key of storage.list('')) {
    if (!key.startsWith('.modgate/') && !key.startsWith('sumdb/') && FILE_RE.test(key)) keys.push(key);
  }
  keys.sort();
  const tmp = await mkdtemp(join(tmpdir(), 'modgate-verify-'));
  try {
    for (const key of keys) {
      const m = FILE_RE.exec(key)!;
      let path: string;
      let version: string;
      try {
        path = unescapePath(m[1]!);
        version = unescapeVersion(m[2]!);
      } catch {
        continue; // not a module file
      }
      const file = m[3] as 'zip' | 'mod';
      const finding = (problem: string, expected?: string, actual?: string) =>
        report.findings.push({ module: path, version, file, problem, ...(expected ? { expected } : {}), ...(actual ? { actual } : {}) });
      let actual: string;
      if (file === 'mod') {
        report.checked.mod++;
        actual = hashGoMod((await storage.get(key)) ?? Buffer.alloc(0));
      } else {
        report.checked.zip++;
        let local = storage.localPath?.(key);
        if (!local) {
          local = join(tmp, 'zip');
          const src = await storage.open(key);
          if (!src) continue;
          await pipeline(src, createWriteStream(local));
        }
        try {
          actual = (await checkModuleZip(local, { path, version })).h1;
        } catch (err) {
          finding(`invalid zip: ${(err as Error).message}`);
          continue;
        }
        const recorded = (await storage.get(versionKey(path, version, 'ziphash')))?.toString('utf8').trim();
        if (recorded === undefined) finding('no recorded .ziphash', undefined, actual);
        else if (recorded !== actual) {
          finding('zip does not match its recorded .ziphash (changed on disk)', recorded, actual);
          continue;
        }
      }
      let want: string | undefined;
      let source: string;
      const rec = await opts.recorded?.(path, version);
      if (rec) {
        want = file === 'mod' ? rec.mod : rec.zip;
        source = 'record in the own checksum database';
      } else if (matchPrefixPatterns(opts.nosumdb, path) || !opts.expected) {
        want = (await storage.get(pinKey(path, version, file)))?.toString('utf8');
        source = 'pinned hash';
      } else {
        try {
          const exp = await opts.expected(path, version);
          want = file === 'mod' ? exp.mod : exp.zip;
        } catch (err) {
          report.unverified.push({ module: path, version, reason: isModgateError(err) ? err.message : String(err) });
          continue;
        }
        source = 'checksum database';
      }
      if (want !== undefined && want !== actual) finding(`does not match the ${source}`, want, actual);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if (opts.purge) {
    for (const f of report.findings) {
      for (const kind of ['zip', 'ziphash', 'mod', 'info'] as const) await storage.delete(versionKey(f.module, f.version, kind));
      f.purged = true;
    }
  }
  return report;
}

// Admission into modgate's own checksum database on demand (a lookup of a version not recorded
// yet): the version is fetched and verified through the cache, whose gate records it; a version
// cached before the log existed is recorded from the hashes it was verified with.
import { ModgateError } from '../errors/modgate-error.js';
import { isCanonical } from '../module/version.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import type { Storage } from '../storage/storage.js';
import type { RecordHashes } from '../sumdb/log-record.js';
import { hashGoMod } from '../zip/dirhash.js';
import type { ModuleCache } from './module-cache.js';
import type { VersionRecorder } from './recording-gate.js';
import { versionKey } from './cache-keys.js';

export interface AdmissionOptions {
  readonly cache: ModuleCache;
  readonly recorder: VersionRecorder;
  readonly storage: Storage;
  readonly nosumdb: string;
  /** Hashes the upstream databases vouch for (public paths). */
  readonly expected: (path: string, version: string) => Promise<{ mod?: string; zip?: string }>;
}

/** Returns admit(path, version): resolves once path@version is recorded; throws like the cache does. */
export function createAdmission(opts: AdmissionOptions): (path: string, version: string) => Promise<void> {
  return async (path, version) => {
    if (!isCanonical(version)) {
      throw new ModgateError('INVALID_VERSION', `${path}@${version}: a checksum database records canonical versions only`);
    }
    await opts.cache.zip(path, version);
    if (await opts.recorder.recorded(path, version)) return;
    // Cached before the log existed (no gate ran): record what the cache holds, as it was verified.
    let hashes: RecordHashes | undefined;
    if (matchPrefixPatterns(opts.nosumdb, path)) {
      const mod = (await opts.cache.mod(path, version)).body ?? (await opts.storage.get(versionKey(path, version, 'mod')));
      const zip = (await opts.storage.get(versionKey(path, version, 'ziphash')))?.toString('utf8');
      if (mod && zip) hashes = { modHash: hashGoMod(mod), zipHash: zip };
    } else {
      const e = await opts.expected(path, version);
      if (e.mod && e.zip) hashes = { modHash: e.mod, zipHash: e.zip };
    }
    if (!hashes) throw new ModgateError('SUMDB_ERROR', `${path}@${version}: cannot record it: its hashes are not known`);
    await opts.recorder.record(path, version, hashes);
  };
}

// The integrity gate with checksum databases: a .mod or .zip is accepted only when its h1 equals
// what the checksum databases say (sumdb/sumdb-verifier.ts: every one that knows it), or, for
// paths excluded from the databases (nosumdb/private), equals the hash pinned on first fetch.
// A mismatch is a pollution event: logged, counted, recorded, and refused (the chain moves on).
// Zip-rule refusals are recorded by the cache (module-cache.ts), whichever gate is in use.
import { ModgateError } from '../errors/modgate-error.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import type { MultiVerifier, VerifiedHashes } from '../sumdb/sumdb-verifier.js';
import type { Storage } from '../storage/storage.js';
import { isStorageFailure } from '../storage/storage-errors.js';
import type { StorageFailure } from './module-cache.js';
import { hashGoMod } from '../zip/dirhash.js';
import { checkModuleZip } from '../zip/zip-check.js';
import type { EventLog } from '../observe/event-log.js';
import type { GateSubject, IntegrityGate } from './integrity-gate.js';
import { STATE_PREFIX } from './cache-keys.js';
import { escapePath, escapeVersion } from '../module/escape.js';

export type { SumdbHandle } from '../sumdb/sumdb-verifier.js';

export interface VerifyingGateOptions {
  /** The checksum databases, behind one verifier. */
  readonly verifier: MultiVerifier;
  /** GONOSUMDB-style patterns. */
  readonly nosumdb: string;
  readonly storage: Storage;
  readonly events: EventLog;
  /**
   * Called when a first-fetch pin cannot be stored (store full or read-only): the bytes are accepted
   * (first use, as with a stored pin) and served uncached like every other file then.
   */
  readonly onStorageFailure?: (f: StorageFailure) => void;
  /** Called for each verification outcome (metrics). */
  readonly onVerify?: (result: 'ok' | 'mismatch' | 'pinned' | 'pin_mismatch' | 'error', kind: 'mod' | 'zip') => void;
}

/** Storage key of the hash pinned on first fetch for a path excluded from checksum databases. */
export function pinKey(path: string, version: string, kind: 'mod' | 'zip'): string {
  return `${STATE_PREFIX}pins/${escapePath(path)}/@v/${escapeVersion(version)}.${kind}`;
}

export function createVerifyingGate(opts: VerifyingGateOptions): IntegrityGate & { expected(path: string, version: string): Promise<VerifiedHashes> } {
  const verifier = opts.verifier;
  const lookups = new Map<string, Promise<VerifiedHashes>>();

  function expected(path: string, version: string): Promise<VerifiedHashes> {
    const key = `${path}@${version}`;
    let p = lookups.get(key);
    if (!p) {
      p = verifier.lookup(path, version);
      lookups.set(key, p);
      // Failures are not remembered (a later request retries); successes are small and stable.
      p.catch(() => lookups.delete(key));
      if (lookups.size > 50_000) lookups.delete(lookups.keys().next().value as string);
    }
    return p;
  }


  async function compare(subject: GateSubject, kind: 'mod' | 'zip', got: string): Promise<void> {
    const { path, version, source } = subject;
    if (matchPrefixPatterns(opts.nosumdb, path)) {
      const key = pinKey(path, version, kind);
      const pinned = (await opts.storage.get(key))?.toString('utf8');
      if (pinned === undefined) {
        try {
          await opts.storage.put(key, Buffer.from(got));
        } catch (err) {
          if (!isStorageFailure(err)) throw err;
          opts.onStorageFailure?.({ op: 'write', key, error: err });
        }
        opts.onVerify?.('pinned', kind);
        return;
      }
      if (pinned === got) {
        opts.onVerify?.('ok', kind);
        return;
      }
      opts.onVerify?.('pin_mismatch', kind);
      await opts.events.record('pin_mismatch', `${path}@${version} .${kind} from ${source} differs from the hash pinned on first fetch`, {
        module: path, version, kind, upstream: source, expected: pinned, received: got,
      });
      throw new ModgateError('CHECKSUM_MISMATCH', `${source}: ${path}@${version} .${kind}: checksum mismatch\n  pinned on first fetch: ${pinned}\n  received:              ${got}`, {
        hint: 'the module\'s history changed (force-pushed tag?) or the upstream is polluted; the new bytes were refused',
      });
    }
    const exp = await expected(path, version);
    const want = kind === 'mod' ? exp.mod : exp.zip;
    if (want === undefined) {
      throw new ModgateError('SUMDB_ERROR', `${path}@${version}: checksum database ${exp.by} has no ${kind} hash`);
    }
    if (want === got) {
      opts.onVerify?.('ok', kind);
      return;
    }
    opts.onVerify?.('mismatch', kind);
    await opts.events.record('pollution', `${source} served ${path}@${version} .${kind} that does not match the checksum database`, {
      module: path, version, kind, upstream: source, expected: want, received: got, sumdb: exp.by,
    });
    throw new ModgateError('CHECKSUM_MISMATCH', `${source}: ${path}@${version} .${kind}: checksum mismatch\n  checksum database (${exp.by}): ${want}\n  upstream served:   ${got}`, {
      hint: 'the upstream is polluted; its bytes were refused and not cached',
    });
  }

  return {
    expected,
    prepare(path, version) {
      // Paths excluded from the databases are never looked up (their names must not leak).
      if (matchPrefixPatterns(opts.nosumdb, path)) return;
      expected(path, version).catch(() => undefined); // a failure is retried by the check itself
    },
    async checkMod(subject, bytes) {
      const h1 = hashGoMod(bytes);
      await compare(subject, 'mod', h1);
      return { h1 };
    },
    async checkZip(subject, file) {
      let h1: string;
      try {
        ({ h1 } = await checkModuleZip(file, { path: subject.path, version: subject.version }));
      } catch (err) {
        // A zip-rule refusal: counted here; named and recorded by the cache, as for every gate.
        if (err instanceof ModgateError && err.code === 'ZIP_INVALID') opts.onVerify?.('mismatch', 'zip');
        throw err;
      }
      await compare(subject, 'zip', h1);
      return { h1 };
    },
  };
}

// The cache service: lookup → fill (single-flight, upstream chain, integrity gate) → store → serve.
// Canonical .info/.mod/.zip are immutable once stored. list/@latest have a TTL, are revalidated in
// the background while a little stale, and are served stale (marked) when every upstream fails.
// Not-found answers are remembered briefly. A zip becomes visible only after its .info and .mod are
// stored and it was fully downloaded (staged in storage) and checked. The cache records when each
// version was served (for GC) and looks a vanished file up again itself. When the store fails (full,
// read-only), verified bytes are still served, uncached, and the failure is reported.
import { Transform, pipeline, type Readable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { LRUCache } from 'lru-cache';
import { entryBound } from './lru-bound.js';
import { ModgateError, isModgateError, isNotFound } from '../errors/modgate-error.js';
import type { StagedObject, Storage } from '../storage/storage.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { isStorageFailure } from '../storage/storage-errors.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { createMemoryFreshnessStore, type FreshnessStore } from '../coordination/freshness-store.js';
import type { UpstreamChain } from '../upstream/upstream-chain.js';
import { MAX_ZIP_BYTES } from '../upstream/upstream.js';
import { checkInfo, checkModFile, type GateSubject, type IntegrityGate } from './integrity-gate.js';
import { latestKey, listKey, versionKey } from './cache-keys.js';
import { escapePath } from '../module/escape.js';
import { createPrefetcher, type PrefetchOutcome } from './prefetcher.js';
import { openZipPackages } from '../zip/zip-imports.js';
import { objectFromBytes, storedObject, type CachedObject, type CacheStatus } from './cached-object.js';
import type { AccessTimes } from './access-times.js';
import { createZipMemory } from './zip-memory.js';

export type { CachedObject, CacheStatus, OpenedObject, ByteRange } from './cached-object.js';

/** A store operation that failed (reported once per failure; the request is still answered). */
export interface StorageFailure {
  readonly op: 'write' | 'stage' | 'commit';
  readonly key: string;
  readonly error: ModgateError;
}

/**
 * Bytes an upstream served that modgate's checks refused (zip rules, .mod/.info checks); the chain
 * then moves on as after a 404. Checksum mismatches are reported by the gate itself.
 */
export interface Refusal {
  readonly upstream: string;
  readonly path: string;
  readonly version: string;
  readonly kind: 'info' | 'mod' | 'zip';
  /** The rule that refused them (no server paths). */
  readonly rule: string;
}

/** Codes of refusals reported through onRefusal (CHECKSUM_MISMATCH: by the verifying gate). */
const REFUSAL_CODES = new Set(['ZIP_INVALID', 'UPSTREAM_BAD_RESPONSE']);

export interface ModuleCacheOptions {
  readonly storage: Storage;
  readonly chain: UpstreamChain;
  /** Picks the chain for a module path (private paths go direct only); default: always `chain`. */
  readonly route?: (path: string) => UpstreamChain;
  readonly gate: IntegrityGate;
  readonly coordinator: Coordinator;
  /** Offer presigned storage URLs for full zip downloads (when the storage can make them). */
  readonly zipRedirect?: boolean;
  /** Records when versions are served (GC order); default: not recorded. */
  readonly accessTimes?: Pick<AccessTimes, 'touch'>;
  /** Where a verified zip waits to be served when the store cannot take it (default: memory). */
  readonly passThrough?: Storage;
  /** Called when the store fails to take a file (which is then served uncached). */
  readonly onStorageFailure?: (f: StorageFailure) => void;
  /** Called when an upstream's bytes are refused by a check (for events, metrics, upstream health). */
  readonly onRefusal?: (r: Refusal) => void;
  /**
   * Whether a version may be fetched into the cache (the version policy): throws to refuse. Asked
   * before a zip is fetched (for clients and prefetch alike); .info and .mod are not asked.
   */
  readonly admit?: (path: string, version: string) => Promise<void>;
  readonly listTtlMs: number;
  /** How long past its TTL a list may be served while it is revalidated in the background. */
  readonly staleWhileRevalidateMs: number;
  readonly negativeTtlMs: number;
  readonly queryTtlMs: number;
  readonly now?: () => number;
  /** Bytes of small files (and zip metadata) kept in memory for hits (default 64 MiB; 0 = none). */
  readonly memoryCacheBytes?: number;
  /** Bytes of stored zips copied into memory for hits (zip-memory.ts; default 0 = none), and the largest zip copied. */
  readonly zipMemory?: { readonly bytes: number; readonly maxZipBytes: number };
  /** Prefetch of requirements after a .mod miss (default off). */
  readonly prefetch?: {
    readonly concurrency: number;
    readonly depth: number;
    /** Levels of requirements whose zips are prefetched below a zip (or list) a client asked for. */
    readonly zipDepth?: number;
    /** When a client asks for a .mod, fetch that version's .info and zip too. */
    readonly modZips?: boolean;
    readonly zipConcurrency?: number;
    readonly onOutcome?: (o: PrefetchOutcome) => void;
  };
  /** Shared not-found answers (default: this process's memory). */
  readonly freshness?: FreshnessStore;
  /** Called with background revalidation failures (they never reach a client). */
  readonly onBackgroundError?: (err: unknown, what: string) => void;
}

/** A lookup of a small file (or a zip's metadata), as inMemory takes it: the kind, the module path and (for a version's files) the version. */
export type MemoryQuery =
  | { readonly kind: 'list' | 'latest'; readonly path: string }
  | { readonly kind: 'info'; readonly path: string; readonly version: string; readonly canonical: boolean }
  | { readonly kind: 'mod'; readonly path: string; readonly version: string }
  | { readonly kind: 'zip'; readonly path: string; readonly version: string };

export interface ModuleCache {
  /**
   * The answer the lookup of `q` would give from this process's memory, with the same bookkeeping
   * (access time, prefetch), synchronously; undefined when the lookup would have to go further
   * (storage, a fill): ask the async method then. Never reads storage, never fills.
   */
  inMemory(q: MemoryQuery): CachedObject | undefined;
  list(path: string): Promise<CachedObject>;
  latest(path: string): Promise<CachedObject>;
  /** `version` canonical → immutable .info; otherwise a query resolved by the upstreams. */
  info(path: string, version: string, canonical: boolean): Promise<CachedObject>;
  mod(path: string, version: string): Promise<CachedObject>;
  zip(path: string, version: string): Promise<CachedObject>;
  /** Refetches list and @latest from the upstreams now (ignoring freshness). */
  revalidate(path: string): Promise<{ list: CachedObject; latest: CachedObject | undefined }>;
  /** Forgets negative and query answers of a module path (after a purge); `path` '' forgets all. */
  forget(path: string): Promise<void>;
  /** Prefetches queued or running. */
  readonly prefetchPending: number;
  /** Aborts every fill in progress (shutdown); their temp files are removed. */
  abort(reason: string): void;
}

/** What refreshes one list/@latest answer: its storage key, its name in errors, the upstream call and the check of its bytes. */
interface RefreshSpec {
  readonly path: string;
  readonly key: string;
  readonly what: string;
  readonly fetchOne: Parameters<UpstreamChain['run']>[1];
  readonly validate: (b: Buffer, source: string) => void;
}

/** The store could not stage a zip (full, read-only): it is then fetched again to be passed through. */
class StageFailed extends Error {
  constructor(readonly error: ModgateError) {
    super(error.message, { cause: error });
  }
}

/**
 * The stream, failing once more than `limit` bytes came through. Destroying it (the store gave up
 * before reading, the fill was aborted) destroys `body` too, so the upstream's transfer ends there
 * (a body left open would later fail its rate limit and count against the upstream's health).
 */
function sizeLimited(body: Readable, limit: number, what: string): Readable {
  let seen = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      cb(seen > limit ? new ModgateError('UPSTREAM_BAD_RESPONSE', `${what}: larger than ${limit} bytes`) : null, chunk);
    },
  });
  pipeline(body, out, () => undefined);
  return out;
}

export function createModuleCache(opts: ModuleCacheOptions): ModuleCache {
  const { storage, chain, gate, coordinator } = opts;
  const now = opts.now ?? Date.now;
  const freshness = opts.freshness ?? createMemoryFreshnessStore({ now });
  // Resolved queries (branch, commit, prefix → version), for queryTtlMs on the cache's clock.
  const queries = new LRUCache<string, CachedObject>({ ...entryBound(10_000), ttl: Math.max(opts.queryTtlMs, 1), ttlResolution: 0, perf: { now } });
  const passThrough = opts.passThrough ?? createMemoryStorage();
  const touch = (path: string, version: string, o: CachedObject): CachedObject => {
    opts.accessTimes?.touch(path, version);
    return o;
  };

  /** Reports a store failure; the caller serves the verified bytes anyway. */
  const storageFailed = (op: StorageFailure['op'], key: string, err: unknown): void => {
    if (!isStorageFailure(err)) throw err;
    opts.onStorageFailure?.({ op, key, error: err });
  };
  /** Stores small bytes; false (after reporting) when the store failed. */
  const putReporting = async (key: string, bytes: Buffer): Promise<boolean> => {
    try {
      await storage.put(key, bytes);
      return true;
    } catch (err) {
      storageFailed('write', key, err);
      return false;
    }
  };
  /**
   * Runs a check of bytes `subject.source` served: a refusal names that upstream (whatever its
   * kind: http, file://, direct) and is reported once, here, for every gate.
   */
  async function checked<T>(subject: GateSubject, kind: Refusal['kind'], check: () => T | Promise<T>): Promise<T> {
    try {
      return await check();
    } catch (err) {
      if (!(err instanceof ModgateError) || !REFUSAL_CODES.has(err.code)) throw err;
      const prefix = `${subject.source}: `;
      const rule = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
      opts.onRefusal?.({ upstream: subject.source, path: subject.path, version: subject.version, kind, rule });
      if (err.message.startsWith(prefix)) throw err;
      throw new ModgateError(err.code, `${prefix}${subject.path}@${subject.version}.${kind}: ${err.message}`, {
        cause: err,
        ...(err.hint ? { hint: err.hint } : {}),
        ...(err.details ? { details: err.details } : {}),
      });
    }
  }
  let controller = new AbortController();

  const hotBytes = opts.memoryCacheBytes ?? 64 << 20;
  const hot = hotBytes > 0 ? new LRUCache<string, CachedObject>({ maxSize: hotBytes, sizeCalculation: (o, k) => (o.body?.length ?? 0) + k.length + 256 }) : undefined;
  /** Keeps a stored object in memory for later hits (under its storage key). */
  const remember = (key: string, o: CachedObject, asHit: () => CachedObject): CachedObject => {
    if (hot && o.staleReason === undefined) hot.set(key, asHit());
    return o;
  };
  const fromBytes = (body: Buffer, cache: CacheStatus, source: string, immutable: boolean, modified = new Date(now())): CachedObject =>
    objectFromBytes(body, { cache, source }, immutable, modified);
  const rememberBytes = (key: string, body: Buffer, cache: CacheStatus, source: string, immutable: boolean, modified = new Date(now())): CachedObject =>
    remember(key, fromBytes(body, cache, source, immutable, modified), () => fromBytes(body, 'hit', 'cache', immutable, modified));
  const zipMemory = opts.zipMemory && opts.zipMemory.bytes > 0 ? createZipMemory({ budgetBytes: opts.zipMemory.bytes, maxZipBytes: opts.zipMemory.maxZipBytes }) : undefined;
  const fromStat = (key: string, stat: { size: number; modified: Date }, cache: CacheStatus, source: string, lookAgain?: () => Promise<CachedObject>): CachedObject =>
    storedObject({ storage, key, stat, how: { cache, source }, redirect: opts.zipRedirect === true, ...(lookAgain ? { lookAgain } : {}), ...(zipMemory ? { memory: zipMemory } : {}) });

  const route = opts.route ?? (() => chain);

  /** Runs a chain lookup for `path`, remembering not-found answers under `negKey`. */
  async function fetchRemembering<T>(path: string, negKey: string, what: string, attempt: Parameters<UpstreamChain['run']>[1], stop?: AbortSignal): Promise<{ value: T; source: string }> {
    try {
      return (await route(path).run(what, attempt, stop ? AbortSignal.any([controller.signal, stop]) : controller.signal)) as { value: T; source: string };
    } catch (err) {
      // A store failure out of the chain came from a gate's own write (an own-sumdb record): the
      // bytes cannot be vouched for, so the request fails (507/503), reported like every store failure.
      if (isStorageFailure(err)) opts.onStorageFailure?.({ op: 'write', key: negKey, error: err });
      if (isNotFound(err) || isModgateError(err, 'UPSTREAMS_OFF')) {
        const e = err as ModgateError;
        await freshness.setNegative(negKey, { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }, opts.negativeTtlMs);
      }
      throw err;
    }
  }

  async function checkNegative(negKey: string): Promise<void> {
    const remembered = await freshness.negative(negKey);
    if (remembered) {
      throw new ModgateError(remembered.code, remembered.message, {
        ...(remembered.hint ? { hint: remembered.hint } : {}),
        details: { cache: 'negative' },
      });
    }
  }

  const prefetcher = opts.prefetch
    ? createPrefetcher({
        concurrency: opts.prefetch.concurrency,
        depth: opts.prefetch.depth,
        ...(opts.prefetch.zipDepth !== undefined ? { zipDepth: opts.prefetch.zipDepth } : {}),
        ...(opts.prefetch.zipConcurrency !== undefined ? { zipConcurrency: opts.prefetch.zipConcurrency } : {}),
        ...(opts.prefetch.modZips !== undefined ? { modZips: opts.prefetch.modZips } : {}),
        ...(opts.prefetch.onOutcome ? { onOutcome: opts.prefetch.onOutcome } : {}),
        fetch: async (kind, path, version, depthLeft) => {
          const o = kind === 'zip' ? await downloadZip(path, version, false, true) : await immutableSmall(kind, path, version, depthLeft, true);
          if (o.cache === 'miss') prefetcher?.markPrefetched(versionKey(path, version, kind));
          return o.cache === 'miss';
        },
        goMod: async (path, version) => (await immutableSmall('mod', path, version, 0, true)).body ?? Buffer.alloc(0),
        // The stored (verified) zip's packages, to follow its imports; none when it was not stored.
        packages: async (path, version) => {
          const zip = await storage.get(versionKey(path, version, 'zip'));
          return zip === undefined ? undefined : openZipPackages(zip, { path, version });
        },
      })
    : undefined;

  /**
   * An immutable .info/.mod: memory, storage, else one fill. After a .mod miss its requirements
   * are prefetched `depthLeft` levels down (client requests start at the configured depth).
   */
  async function immutableSmall(file: 'info' | 'mod', path: string, version: string, depthLeft = opts.prefetch?.depth ?? 0, byPrefetch = false): Promise<CachedObject> {
    const key = versionKey(path, version, file);
    if (!byPrefetch) prefetcher?.clientAsked(key);
    const inMemory = hot?.get(key);
    if (inMemory) return inMemory;
    const stored = await storage.get(key);
    if (stored) return rememberBytes(key, stored, 'hit', 'cache', true);
    await checkNegative(key);
    return coordinator.run(key, async () => {
      const again = await storage.get(key);
      if (again) return rememberBytes(key, again, 'hit', 'cache', true);
      // The .mod's checksum-database lookup runs while the upstream answers (the go command asks
      // for the .info just before the .mod, so it starts there too).
      gate.prepare?.(path, version);
      const { value, source } = await fetchRemembering<Buffer>(path, key, `${path}@${version}`, async (u, signal) => {
        const subject = { path, version, source: u.name };
        if (file === 'info') {
          const bytes = await u.info(path, version, signal);
          await checked(subject, 'info', () => checkInfo({ ...subject, query: false }, bytes));
          return bytes;
        }
        const bytes = await u.mod(path, version, signal);
        await checked(subject, 'mod', async () => {
          checkModFile(subject, bytes);
          await gate.checkMod(subject, bytes);
        });
        return bytes;
      });
      const stored = await putReporting(key, value);
      if (file === 'mod') prefetcher?.afterModFetched(value, depthLeft);
      return stored ? rememberBytes(key, value, 'miss', source, true) : fromBytes(value, 'miss', source, true);
    });
  }

  /** A canonical .info/.mod remembered here (under `key`), noted as asked for and served (what immutableSmall and its callers note). */
  const immutableInMemory = (key: string, q: { readonly path: string; readonly version: string }): CachedObject | undefined => {
    const o = hot?.get(key);
    if (!o) return undefined;
    prefetcher?.clientAsked(key);
    return touch(q.path, q.version, o);
  };
  /** The memory key of a lookup (storage key, or the query memo's), computed once per query object. */
  const memoryKeys = new WeakMap<MemoryQuery, string>();
  const keyOf = (q: MemoryQuery): string => {
    let k = memoryKeys.get(q);
    if (k === undefined) {
      switch (q.kind) {
        case 'list':
          k = listKey(q.path);
          break;
        case 'latest':
          k = latestKey(q.path);
          break;
        case 'info':
          k = q.canonical ? versionKey(q.path, q.version, 'info') : `${q.path}@${q.version}`;
          break;
        case 'mod':
          k = versionKey(q.path, q.version, 'mod');
          break;
        case 'zip':
          k = versionKey(q.path, q.version, 'zip');
      }
      memoryKeys.set(q, k);
    }
    return k;
  };

  /**
   * Stale list/@latest answers whose refresh failed, kept for the list TTL: until then they are
   * answered as they are, without another refresh per request (an unreachable upstream, or an
   * offline rebuild that cannot be made, would otherwise cost every request a failing fill).
   */
  const keptStale = new LRUCache<string, CachedObject>({ ...entryBound(10_000), ttl: Math.max(opts.listTtlMs, 1), ttlResolution: 0, perf: { now } });
  /** Keys of list/@latest answers being revalidated in the background (one refresh at a time). */
  const refreshing = new Set<string>();
  /** The stale-marked answer made once per remembered object (its validator computed once). */
  const staleOf = new WeakMap<CachedObject, CachedObject>();

  /** Fetches a list/@latest answer (unless another replica or fill refreshed it meanwhile) and stores it. */
  const fillRefreshable = (path: string, spec: RefreshSpec, force: boolean): Promise<CachedObject> =>
    coordinator.run(spec.key, async (ctx) => {
      const { key } = spec;
      // Another replica (or an earlier fill) may have refreshed it meanwhile.
      const current = force ? undefined : await storage.stat(key);
      if (current && now() - current.modified.getTime() < opts.listTtlMs) {
        const body = await storage.get(key);
        if (body) {
          keptStale.delete(key);
          return rememberBytes(key, body, 'hit', 'cache', false, current.modified);
        }
      }
      const { value, source } = await fetchRemembering<Buffer>(path, key, spec.what, async (u, signal) => {
        const bytes = (await spec.fetchOne(u, signal)) as Buffer;
        spec.validate(bytes, u.name);
        return bytes;
      });
      const stored = (await ctx.stillOwner()) && (await putReporting(key, value));
      await freshness.deleteNegative(key);
      keptStale.delete(key);
      return stored ? rememberBytes(key, value, 'miss', source, false) : fromBytes(value, 'miss', source, false);
    });

  /** Starts one background refresh of `spec` (none while one runs); if it fails, `stale` is kept for the TTL. */
  const revalidateInBackground = (path: string, spec: RefreshSpec, stale: CachedObject): void => {
    if (refreshing.has(spec.key)) return;
    refreshing.add(spec.key);
    fillRefreshable(path, spec, false)
      .catch((err: unknown) => {
        keptStale.set(spec.key, stale);
        opts.onBackgroundError?.(err, spec.what);
      })
      .finally(() => refreshing.delete(spec.key));
  };

  /**
   * The list/@latest answer memory gives, as refreshable would: within the TTL the remembered one;
   * a kept stale one; within stale-while-revalidate the remembered bytes marked stale, with one
   * background refresh started. Undefined past both (the client then waits for the refresh).
   */
  const refreshableInMemory = (key: string, spec: () => RefreshSpec): CachedObject | undefined => {
    const o = hot?.get(key);
    const age = o === undefined ? Infinity : now() - o.modified.getTime();
    if (age < opts.listTtlMs) return o;
    const kept = keptStale.get(key);
    if (kept !== undefined || o?.body === undefined || age >= opts.listTtlMs + opts.staleWhileRevalidateMs) return kept;
    let stale = staleOf.get(o);
    if (stale === undefined) staleOf.set(o, (stale = fromBytes(o.body, 'stale', 'cache', false, o.modified)));
    const s = spec();
    revalidateInBackground(s.path, s, stale);
    return stale;
  };

  /** list and @latest: TTL, stale-while-revalidate, stale-if-error; `force` skips freshness. */
  async function refreshable(path: string, spec: RefreshSpec, force = false): Promise<CachedObject> {
    const { key } = spec;
    if (force) {
      await freshness.deleteNegative(key);
      keptStale.delete(key);
      return fillRefreshable(path, spec, true);
    }
    const inMemory = refreshableInMemory(key, () => spec);
    if (inMemory) return inMemory;
    const st = await storage.stat(key);
    if (st) {
      const age = now() - st.modified.getTime();
      const body = await storage.get(key);
      if (body) {
        if (age < opts.listTtlMs) return rememberBytes(key, body, 'hit', 'cache', false, st.modified);
        if (age < opts.listTtlMs + opts.staleWhileRevalidateMs) {
          const stale = fromBytes(body, 'stale', 'cache', false, st.modified);
          revalidateInBackground(path, spec, stale);
          return stale;
        }
        try {
          return await fillRefreshable(path, spec, false);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          const stale = { ...fromBytes(body, 'stale', 'cache', false, st.modified), staleReason: reason };
          keptStale.set(key, stale);
          return stale;
        }
      }
    }
    await checkNegative(key);
    return fillRefreshable(path, spec, false);
  }

  /** Stages one upstream's zip in `store` (limited to MAX_ZIP_BYTES) and checks it. */
  async function stageZip(store: Storage, u: Parameters<Parameters<UpstreamChain['run']>[1]>[0], path: string, version: string, signal: AbortSignal, metadata?: Promise<unknown>): Promise<{ staged: StagedObject; h1: string }> {
    const key = versionKey(path, version, 'zip');
    const subject = { path, version, source: u.name };
    const body = sizeLimited(await u.zip(path, version, signal), MAX_ZIP_BYTES, `${u.name}: ${path}@${version}.zip`);
    const staged = await checked(subject, 'zip', () => store.stage(key, body, signal)).catch((err: unknown) => {
      body.destroy(); // whatever the store left unread
      throw isStorageFailure(err) ? new StageFailed(err) : err;
    });
    try {
      // The gate checks a zip only once its .info and .mod are stored (fetched concurrently).
      await metadata;
      const { h1 } = await checked(subject, 'zip', () => gate.checkZip(subject, staged.path));
      return { staged, h1 };
    } catch (err) {
      await staged.abort();
      throw err;
    }
  }

  /** A verified zip that could not be stored: its bytes, served from memory to the waiting clients. */
  async function passedThrough(staged: StagedObject, source: string): Promise<CachedObject> {
    try {
      return fromBytes(await readFile(staged.path), 'miss', source, true);
    } finally {
      await staged.abort();
    }
  }

  async function downloadZip(path: string, version: string, vanishedOnce = false, byPrefetch = false): Promise<CachedObject> {
    const key = versionKey(path, version, 'zip');
    if (!byPrefetch) prefetcher?.clientAsked(key);
    // A stored zip removed behind our back: forget what this process remembers about the module
    // and look again, once.
    const lookAgain = vanishedOnce
      ? undefined
      : async () => {
          await forget(path);
          return downloadZip(path, version, true);
        };
    const stat = (st: { size: number; modified: Date }, cache: CacheStatus, source: string) =>
      remember(key, fromStat(key, st, cache, source, lookAgain), () => fromStat(key, st, 'hit', 'cache', lookAgain));
    const inMemory = hot?.get(key);
    if (inMemory) return inMemory;
    const st = await storage.stat(key);
    if (st) return stat(st, 'hit', 'cache');
    await checkNegative(key);
    return coordinator.run(key, async () => {
      const again = await storage.stat(key);
      if (again) return stat(again, 'hit', 'cache');
      await opts.admit?.(path, version);
      // A version is complete only with its .info and .mod: they are fetched alongside the zip
      // (no-ops when cached), and the zip is checked only once both are stored (the recording gate
      // reads the stored .mod) and made visible after that. If either fails, so does the zip fill.
      gate.prepare?.(path, version); // the checksum lookup runs while the files download
      // The .mod fetched for a zip starts no requirement walk: a client asking for the zip first
      // builds with a complete go.mod and go.sum, and asks for no other .mod before its zips.
      const metadata = Promise.all([immutableSmall('info', path, version, 0, byPrefetch), immutableSmall('mod', path, version, 0, byPrefetch)]);
      const stop = new AbortController();
      metadata.catch((err: unknown) => stop.abort(err));
      const { value, source } = await fetchRemembering<{ staged: StagedObject; h1: string; stored: boolean }>(path, key, `${path}@${version}`, async (u, signal) => {
        try {
          return { ...(await stageZip(storage, u, path, version, signal, metadata)), stored: true };
        } catch (err) {
          if (!(err instanceof StageFailed)) throw err;
          // The store cannot take it: fetch again into the pass-through area to serve it uncached.
          storageFailed('stage', key, err.error);
          return { ...(await stageZip(passThrough, u, path, version, signal)), stored: false };
        }
      }, stop.signal);
      await metadata;
      if (!value.stored) return passedThrough(value.staged, source);
      try {
        await storage.put(versionKey(path, version, 'ziphash'), Buffer.from(value.h1));
        await value.staged.commit();
      } catch (err) {
        storageFailed('commit', key, err);
        return passedThrough(value.staged, source);
      }
      const done = await storage.stat(key);
      if (!done) throw new ModgateError('STORAGE_ERROR', `stored ${key} but cannot find it`);
      return stat(done, 'miss', source);
    });
  }

  async function forget(path: string): Promise<void> {
    const dropPrefix = (cache: LRUCache<string, CachedObject>, prefix: string) => {
      for (const k of [...cache.keys()]) if (k.startsWith(prefix)) cache.delete(k);
    };
    if (hot) dropPrefix(hot, path === '' ? '' : `${escapePath(path)}/`);
    zipMemory?.dropPrefix(path === '' ? '' : `${escapePath(path)}/`);
    dropPrefix(keptStale, path === '' ? '' : `${escapePath(path)}/`);
    if (path === '') {
      queries.clear();
      await freshness.forgetPrefix('');
      return;
    }
    dropPrefix(queries, `${path}@`);
    await freshness.forgetPrefix(`query:${path}@`);
    await freshness.forgetPrefix(`${escapePath(path)}/@`);
  }

  const listSpec = (path: string): RefreshSpec => ({ path, key: listKey(path), what: `${path}/@v/list`, fetchOne: (u, signal) => u.list(path, signal), validate: () => undefined });
  const latestSpec = (path: string): RefreshSpec => ({
    path,
    key: latestKey(path),
    what: `${path}@latest`,
    fetchOne: (u, signal) => u.latest(path, signal),
    validate: (b, source) => checkInfo({ path, version: 'latest', source, query: true }, b),
  });
  const list = async (path: string, force = false) => {
    const o = await refreshable(path, listSpec(path), force);
    // A list just fetched for a client: the go command's "latest" query asks next for the .info,
    // .mod and zip of the version it picks from it.
    if (o.cache === 'miss' && !force && o.body) prefetcher?.afterListFetched(path, o.body);
    return o;
  };
  const latest = (path: string, force = false) => refreshable(path, latestSpec(path), force);

  return {
    list: (path) => list(path),
    latest: (path) => latest(path),
    async revalidate(path) {
      const l = await list(path, true);
      const lt = await latest(path, true).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      return { list: l, latest: lt };
    },
    async info(path, version, canonical) {
      if (canonical) return touch(path, version, await immutableSmall('info', path, version));
      const memoKey = `${path}@${version}`;
      const memo = queries.get(memoKey);
      if (memo) return memo;
      await checkNegative(`query:${memoKey}`);
      return coordinator.run(`query:${memoKey}`, async () => {
        const { value, source } = await fetchRemembering<Buffer>(path, `query:${memoKey}`, memoKey, async (u, signal) => {
          const bytes = await u.info(path, version, signal);
          checkInfo({ path, version, source: u.name, query: true }, bytes);
          return bytes;
        });
        if (opts.queryTtlMs > 0) queries.set(memoKey, fromBytes(value, 'hit', 'cache', false));
        return fromBytes(value, 'miss', source, false);
      });
    },
    async mod(path, version) {
      const o = immutableSmall('mod', path, version);
      // Started alongside the .mod fill: the go command asks for the zip next (its fill joins this one).
      prefetcher?.afterModAsked(path, version);
      return touch(path, version, await o);
    },
    inMemory(q) {
      switch (q.kind) {
        case 'list':
          return refreshableInMemory(keyOf(q), () => listSpec(q.path));
        case 'latest':
          return refreshableInMemory(keyOf(q), () => latestSpec(q.path));
        case 'info':
          return q.canonical ? immutableInMemory(keyOf(q), q) : queries.get(keyOf(q));
        case 'mod':
          return immutableInMemory(keyOf(q), q);
        case 'zip': {
          // (What zip() notes too; a zip's bytes may still be in storage only: see CachedObject.memoryCopy.)
          const key = keyOf(q);
          const o = hot?.get(key);
          if (!o) return undefined;
          prefetcher?.clientAsked(key);
          touch(q.path, q.version, o);
          prefetcher?.afterZipAsked(q.path, q.version);
          return o;
        }
      }
    },
    get prefetchPending() {
      return prefetcher?.pending ?? 0;
    },
    async zip(path, version) {
      // Noted before the fill: no lower version of it is guessed, and no zip prefetch starts, meanwhile.
      prefetcher?.zipAsked(path, version);
      let got;
      try {
        got = await downloadZip(path, version);
      } finally {
        prefetcher?.zipAnswered();
      }
      const o = touch(path, version, got);
      // A build's next downloads are (mostly) this version's requirements.
      prefetcher?.afterZipAsked(path, version);
      return o;
    },
    forget,
    abort(reason) {
      prefetcher?.clear();
      controller.abort(new ModgateError('SHUTTING_DOWN', reason));
      controller = new AbortController();
    },
  };
}

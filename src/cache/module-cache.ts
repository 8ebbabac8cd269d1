// The cache service: lookup → fill (single-flight, upstream chain, integrity gate) → store → serve.
// Canonical .info/.mod/.zip are immutable once stored. list/@latest have a TTL, are revalidated in
// the background while a little stale, and are served stale (marked) when every upstream fails.
// Not-found answers are remembered briefly. A zip becomes visible only after its .info and .mod are
// stored and it was fully downloaded and checked.
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ModgateError, isModgateError, isNotFound } from '../errors/modgate-error.js';
import type { Storage } from '../storage/storage.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { createMemoryFreshnessStore, type FreshnessStore } from '../coordination/freshness-store.js';
import type { UpstreamChain } from '../upstream/upstream-chain.js';
import { MAX_ZIP_BYTES } from '../upstream/upstream.js';
import { checkInfo, type IntegrityGate } from './integrity-gate.js';
import { latestKey, listKey, versionKey } from './cache-keys.js';
import { createExpiringMemo } from './expiring-memo.js';
import { escapePath } from '../module/escape.js';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { createPrefetcher, type PrefetchOutcome } from './prefetcher.js';

export type CacheStatus = 'hit' | 'miss' | 'stale' | 'negative' | 'bypass';

export interface CachedObject {
  /** Storage key (undefined for answers kept only in memory, like resolved queries). */
  readonly key: string | undefined;
  /** The bytes, for small files; zips are streamed from storage by key. */
  readonly body: Buffer | undefined;
  readonly size: number;
  readonly modified: Date;
  readonly cache: CacheStatus;
  /** 'cache' or the name of the upstream that answered. */
  readonly source: string;
  readonly immutable: boolean;
  /** Why a stale answer was served (the upstream failure), when it was. */
  readonly staleReason?: string;
  /** Strong validator, computed once per object. */
  readonly etag: string;
}

export interface ModuleCacheOptions {
  readonly storage: Storage;
  readonly chain: UpstreamChain;
  /** Picks the chain for a module path (private paths go direct only); default: always `chain`. */
  readonly route?: (path: string) => UpstreamChain;
  readonly gate: IntegrityGate;
  readonly coordinator: Coordinator;
  /** Local directory for in-progress downloads (same filesystem as an fs cache). */
  readonly tempDir: string;
  readonly listTtlMs: number;
  /** How long past its TTL a list may be served while it is revalidated in the background. */
  readonly staleWhileRevalidateMs: number;
  readonly negativeTtlMs: number;
  readonly queryTtlMs: number;
  readonly now?: () => number;
  /** Bytes of small files (and zip metadata) kept in memory for hits (default 64 MiB; 0 = none). */
  readonly memoryCacheBytes?: number;
  /** Prefetch of requirements after a .mod miss (default off). */
  readonly prefetch?: { readonly concurrency: number; readonly depth: number; readonly onOutcome?: (o: PrefetchOutcome) => void };
  /** Shared not-found answers (default: this process's memory). */
  readonly freshness?: FreshnessStore;
  /** Called with background revalidation failures (they never reach a client). */
  readonly onBackgroundError?: (err: unknown, what: string) => void;
}

export interface ModuleCache {
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

function sizeLimit(limit: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > limit) cb(new ModgateError('UPSTREAM_BAD_RESPONSE', `${what}: larger than ${limit} bytes`));
      else cb(null, chunk);
    },
  });
}

export function createModuleCache(opts: ModuleCacheOptions): ModuleCache {
  const { storage, chain, gate, coordinator } = opts;
  const now = opts.now ?? Date.now;
  const freshness = opts.freshness ?? createMemoryFreshnessStore({ now });
  const queries = createExpiringMemo<CachedObject>(10_000, now);
  let controller = new AbortController();

  const hotBytes = opts.memoryCacheBytes ?? 64 << 20;
  const hot = hotBytes > 0 ? new LRUCache<string, CachedObject>({ maxSize: hotBytes, sizeCalculation: (o, k) => (o.body?.length ?? 0) + k.length + 256 }) : undefined;
  const remember = (o: CachedObject): CachedObject => {
    if (hot && o.key !== undefined && o.staleReason === undefined) hot.set(o.key, { ...o, cache: 'hit', source: 'cache' });
    return o;
  };

  const etagOf = (body: Buffer): string => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const fromBytes = (key: string | undefined, body: Buffer, cache: CacheStatus, source: string, immutable: boolean, modified = new Date(now())): CachedObject => ({
    key,
    body,
    size: body.length,
    modified,
    cache,
    source,
    immutable,
    etag: etagOf(body),
  });
  const fromStat = (key: string, st: { size: number; modified: Date }, cache: CacheStatus, source: string): CachedObject => ({
    key,
    body: undefined,
    size: st.size,
    modified: st.modified,
    cache,
    source,
    immutable: true,
    etag: `"${st.size.toString(16)}-${st.modified.getTime().toString(16)}"`,
  });

  const route = opts.route ?? (() => chain);

  /** Runs a chain lookup for `path`, remembering not-found answers under `negKey`. */
  async function fetchRemembering<T>(path: string, negKey: string, what: string, attempt: Parameters<UpstreamChain['run']>[1]): Promise<{ value: T; source: string }> {
    try {
      return (await route(path).run(what, attempt, controller.signal)) as { value: T; source: string };
    } catch (err) {
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
        ...(opts.prefetch.onOutcome ? { onOutcome: opts.prefetch.onOutcome } : {}),
        fetch: async (kind, path, version, depthLeft) => {
          const o = await immutableSmall(kind, path, version, depthLeft, true);
          if (o.cache === 'miss') prefetcher?.markPrefetched(versionKey(path, version, kind));
          return o.cache === 'miss';
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
    if (stored) return remember(fromBytes(key, stored, 'hit', 'cache', true));
    await checkNegative(key);
    return coordinator.run(key, async () => {
      const again = await storage.get(key);
      if (again) return remember(fromBytes(key, again, 'hit', 'cache', true));
      const { value, source } = await fetchRemembering<Buffer>(path, key, `${path}@${version}`, async (u, signal) => {
        const subject = { path, version, source: u.name };
        if (file === 'info') {
          const bytes = await u.info(path, version, signal);
          checkInfo({ ...subject, query: false }, bytes);
          return bytes;
        }
        const bytes = await u.mod(path, version, signal);
        await gate.checkMod(subject, bytes);
        return bytes;
      });
      await storage.put(key, value);
      if (file === 'mod') prefetcher?.afterModFetched(value, depthLeft);
      return remember(fromBytes(key, value, 'miss', source, true));
    });
  }

  /** list and @latest: TTL, stale-while-revalidate, stale-if-error; `force` skips freshness. */
  async function refreshable(path: string, key: string, what: string, fetchOne: Parameters<UpstreamChain['run']>[1], validate: (b: Buffer, source: string) => void, force = false): Promise<CachedObject> {
    const fill = () =>
      coordinator.run(key, async (ctx) => {
        // Another replica (or an earlier fill) may have refreshed it meanwhile.
        const current = force ? undefined : await storage.stat(key);
        if (current && now() - current.modified.getTime() < opts.listTtlMs) {
          const body = await storage.get(key);
          if (body) return fromBytes(key, body, 'hit', 'cache', false, current.modified);
        }
        const { value, source } = await fetchRemembering<Buffer>(path, key, what, async (u, signal) => {
          const bytes = (await fetchOne(u, signal)) as Buffer;
          validate(bytes, u.name);
          return bytes;
        });
        if (await ctx.stillOwner()) await storage.put(key, value);
        await freshness.deleteNegative(key);
        return remember(fromBytes(key, value, 'miss', source, false));
      });

    if (force) {
      await freshness.deleteNegative(key);
      return fill();
    }
    const inMemory = hot?.get(key);
    if (inMemory && now() - inMemory.modified.getTime() < opts.listTtlMs) return inMemory;
    const st = await storage.stat(key);
    if (st) {
      const age = now() - st.modified.getTime();
      const body = await storage.get(key);
      if (body) {
        if (age < opts.listTtlMs) return remember(fromBytes(key, body, 'hit', 'cache', false, st.modified));
        if (age < opts.listTtlMs + opts.staleWhileRevalidateMs) {
          fill().catch((err: unknown) => opts.onBackgroundError?.(err, what));
          return fromBytes(key, body, 'stale', 'cache', false, st.modified);
        }
        try {
          return await fill();
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          return { ...fromBytes(key, body, 'stale', 'cache', false, st.modified), staleReason: reason };
        }
      }
    }
    await checkNegative(key);
    return fill();
  }

  async function downloadZip(path: string, version: string): Promise<CachedObject> {
    const key = versionKey(path, version, 'zip');
    const inMemory = hot?.get(key);
    if (inMemory) return inMemory;
    const st = await storage.stat(key);
    if (st) return remember(fromStat(key, st, 'hit', 'cache'));
    await checkNegative(key);
    return coordinator.run(key, async () => {
      const again = await storage.stat(key);
      if (again) return remember(fromStat(key, again, 'hit', 'cache'));
      // A version is complete only with its .info and .mod: fetch them first (no-ops when cached).
      await immutableSmall('info', path, version);
      await immutableSmall('mod', path, version);
      await mkdir(opts.tempDir, { recursive: true });
      const { value, source } = await fetchRemembering<{ tmp: string; h1: string }>(path, key, `${path}@${version}`, async (u, signal) => {
        const tmp = join(opts.tempDir, `.tmp-zip-${randomBytes(8).toString('hex')}`);
        try {
          const body = await u.zip(path, version, signal);
          await pipeline(body, sizeLimit(MAX_ZIP_BYTES, `${u.name}: ${path}@${version}.zip`), createWriteStream(tmp), { signal });
          const { h1 } = await gate.checkZip({ path, version, source: u.name }, tmp);
          return { tmp, h1 };
        } catch (err) {
          await rm(tmp, { force: true });
          throw err;
        }
      });
      try {
        await storage.put(versionKey(path, version, 'ziphash'), Buffer.from(value.h1));
        await storage.putFile(key, value.tmp);
      } finally {
        await rm(value.tmp, { force: true });
      }
      const done = await storage.stat(key);
      if (!done) throw new ModgateError('STORAGE_ERROR', `stored ${key} but cannot find it`);
      return remember(fromStat(key, done, 'miss', source));
    });
  }

  const list = (path: string, force = false) =>
    refreshable(path, listKey(path), `${path}/@v/list`, (u, signal) => u.list(path, signal), () => undefined, force);
  const latest = (path: string, force = false) =>
    refreshable(path, latestKey(path), `${path}@latest`, (u, signal) => u.latest(path, signal), (b, source) => {
      checkInfo({ path, version: 'latest', source, query: true }, b);
    }, force);

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
      if (canonical) return immutableSmall('info', path, version);
      const memoKey = `${path}@${version}`;
      const memo = queries.get(memoKey);
      if (memo) return { ...memo, cache: 'hit', source: 'cache' };
      await checkNegative(`query:${memoKey}`);
      return coordinator.run(`query:${memoKey}`, async () => {
        const { value, source } = await fetchRemembering<Buffer>(path, `query:${memoKey}`, memoKey, async (u, signal) => {
          const bytes = await u.info(path, version, signal);
          checkInfo({ path, version, source: u.name, query: true }, bytes);
          return bytes;
        });
        const answer = fromBytes(undefined, value, 'miss', source, false);
        queries.set(memoKey, answer, opts.queryTtlMs);
        return answer;
      });
    },
    mod: (path, version) => immutableSmall('mod', path, version),
    get prefetchPending() {
      return prefetcher?.pending ?? 0;
    },
    zip: downloadZip,
    async forget(path) {
      if (hot) {
        const prefix = path === '' ? '' : `${escapePath(path)}/`;
        for (const k of [...hot.keys()]) if (k.startsWith(prefix)) hot.delete(k);
      }
      if (path === '') {
        queries.deletePrefix('');
        await freshness.forgetPrefix('');
        return;
      }
      queries.deletePrefix(`${path}@`);
      await freshness.forgetPrefix(`query:${path}@`);
      await freshness.forgetPrefix(`${escapePath(path)}/@`);
    },
    abort(reason) {
      prefetcher?.clear();
      controller.abort(new ModgateError('SHUTTING_DOWN', reason));
      controller = new AbortController();
    },
  };
}

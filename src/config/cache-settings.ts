// The module cache's settings as a config gives them: times in milliseconds (the schema takes
// seconds), the prefetch limits only when prefetch is on, the memory budgets and zip redirects.
import type { Config } from './config-schema.js';

export interface CacheSettings {
  readonly memoryCacheBytes: number;
  readonly zipMemory: { readonly bytes: number; readonly maxZipBytes: number };
  readonly zipRedirect: boolean;
  readonly listTtlMs: number;
  /** A list past its TTL is served for this long while it is revalidated (the TTL again). */
  readonly staleWhileRevalidateMs: number;
  readonly negativeTtlMs: number;
  readonly queryTtlMs: number;
  /** Absent when prefetch is off. */
  readonly prefetch?: { readonly concurrency: number; readonly depth: number; readonly zipDepth: number; readonly zipConcurrency: number; readonly modZips: boolean };
}

export function cacheSettings(config: Config): CacheSettings {
  return {
    memoryCacheBytes: config.memoryCacheBytes,
    zipMemory: { bytes: config.zipMemoryBytes, maxZipBytes: config.zipMemoryMaxBytes },
    zipRedirect: config.s3ZipRedirect,
    listTtlMs: config.listTtlSeconds * 1000,
    staleWhileRevalidateMs: config.listTtlSeconds * 1000,
    negativeTtlMs: config.negativeTtlSeconds * 1000,
    queryTtlMs: config.queryTtlSeconds * 1000,
    ...(config.prefetch
      ? { prefetch: { concurrency: config.prefetchConcurrency, depth: config.prefetchDepth, zipDepth: config.prefetchZipDepth, zipConcurrency: config.prefetchZipConcurrency, modZips: config.prefetchModZips } }
      : {}),
  };
}

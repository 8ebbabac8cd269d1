// Composition of the parts that change when modgate scales out: storage (a driver of the storage
// registry: fs, S3, memory), coordination (in-process or Redis), shared freshness state and purge
// announcements. The Redis parts (ioredis) are loaded only when a Redis URL is configured.
import { mkdir, rm } from 'node:fs/promises';
import { defaultStagingDir } from './storage/local-staging.js';
import { join } from 'node:path';
import type { Config } from './config/config-schema.js';
import type { Logger } from './observe/logger.js';
import type { Storage } from './storage/storage.js';
import { sweepFsTempFiles } from './storage/fs-storage.js';
import type { OpenedStorage } from './storage/storage-driver.js';
import { openStorage } from './storage/storage-registry.js';
import type { Coordinator, CoordinatorHealth } from './coordination/coordinator.js';
import { createLocalCoordinator } from './coordination/local-coordinator.js';
import { createLocalPurgeBus, createMemoryFreshnessStore, type FreshnessStore, type PurgeBus } from './coordination/freshness-store.js';
import { STATE_PREFIX } from './cache/cache-keys.js';
import type { ReadinessCheck } from './http/proxy-server.js';

export interface ScaleParts {
  readonly storage: Storage;
  /** Local directory for staged downloads (fs: under the cache; S3: the staging directory). */
  readonly tempDir: string;
  readonly coordinator: Coordinator;
  readonly freshness: FreshnessStore;
  readonly purgeBus: PurgeBus;
  readonly readiness: readonly ReadinessCheck[];
  /** Counts single-flight joins (in this process). */
  readonly localStats: { joins: number; fills: number };
  close(): Promise<void>;
}

/** The storage a config names (`--storage URL`, else the filesystem at the cache dir). */
export function createStorage(config: Config): Promise<OpenedStorage> {
  return openStorage(config.storage, config);
}

/** Checks the storage and removes temp files an interrupted run left (fs only). */
export async function prepareStorage(config: Config, logger: Logger): Promise<OpenedStorage> {
  const opened = await createStorage(config);
  await opened.storage.checkWritable();
  if (opened.localRoot !== undefined) {
    const swept = await sweepFsTempFiles(opened.localRoot);
    if (swept > 0) logger.warn({ swept }, 'removed temp files left by an interrupted run');
  }
  return opened;
}

export interface ScaleOptions {
  /** Remove temp files of an interrupted run (default true; false in cluster workers). */
  readonly sweepTemp?: boolean;
  /** The storage, already opened and checked (prepareStorage) by the caller. */
  readonly prepared?: OpenedStorage;
}

export async function createScaleParts(config: Config, logger: Logger, opts: ScaleOptions = {}): Promise<ScaleParts> {
  const { storage, localRoot } = opts.prepared ?? (opts.sweepTemp === false ? await createStorage(config) : await prepareStorage(config, logger));
  let tempDir: string;
  if (localRoot !== undefined) {
    tempDir = join(localRoot, STATE_PREFIX, 'tmp');
  } else {
    tempDir = defaultStagingDir(); // the S3 driver's staging directory
    await rm(tempDir, { recursive: true, force: true });
  }
  await mkdir(tempDir, { recursive: true });

  const local = createLocalCoordinator();
  if (!config.redis) {
    return {
      storage,
      tempDir,
      coordinator: local,
      freshness: createMemoryFreshnessStore(),
      purgeBus: createLocalPurgeBus(),
      readiness: [],
      localStats: local.stats,
      async close() {
        if (localRoot === undefined) await rm(tempDir, { recursive: true, force: true });
      },
    };
  }
  const [{ createRedisCoordinator }, { createRedisFreshnessStore, createRedisPurgeBus }, { redactRedisUrl }] = await Promise.all([
    import('./coordination/redis-coordinator.js'),
    import('./coordination/redis-freshness.js'),
    import('./coordination/redis-client.js'),
  ]);
  const coordLogger = { warn: (o: object, m: string) => logger.warn(o, m), info: (o: object, m: string) => logger.info(o, m) };
  const coordinator = createRedisCoordinator({
    redis: config.redis,
    local,
    leaseMs: config.redisLeaseMs,
    renewEveryMs: Math.max(250, Math.floor(config.redisLeaseMs / 3)),
    logger: coordLogger,
  });
  const freshness = createRedisFreshnessStore({ redis: config.redis, logger: coordLogger });
  const purgeBus = createRedisPurgeBus({ redis: config.redis, logger: coordLogger });
  const shown = redactRedisUrl(config.redis);
  return {
    storage,
    tempDir,
    coordinator,
    freshness,
    purgeBus,
    localStats: local.stats,
    readiness: [
      {
        name: `coordination (redis ${shown})`,
        check: async () => {
          const h: CoordinatorHealth = coordinator.health();
          // Degraded is not unready: replicas keep serving and fill with local single-flight.
          return h.status === 'ok' ? undefined : `degraded: ${h.detail ?? 'redis unreachable'}; fills are coordinated in this process only`;
        },
      },
    ],
    async close() {
      await coordinator.close();
      await freshness.close();
      await purgeBus.close();
      if (localRoot === undefined) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

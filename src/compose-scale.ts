// Composition of the parts that change when modgate scales out: storage (fs or S3), coordination
// (in-process or Redis), shared freshness state and purge announcements. Knows the concrete drivers.
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from './config/config-schema.js';
import type { Logger } from './observe/logger.js';
import type { Storage } from './storage/storage.js';
import { createFsStorage, sweepFsTempFiles } from './storage/fs-storage.js';
import { createS3Storage } from './storage/s3-storage.js';
import type { Coordinator, CoordinatorHealth } from './coordination/coordinator.js';
import { createLocalCoordinator } from './coordination/local-coordinator.js';
import { createRedisCoordinator } from './coordination/redis-coordinator.js';
import { createLocalPurgeBus, createMemoryFreshnessStore, type FreshnessStore, type PurgeBus } from './coordination/freshness-store.js';
import { createRedisFreshnessStore, createRedisPurgeBus } from './coordination/redis-freshness.js';
import { redactRedisUrl } from './coordination/redis-client.js';
import { STATE_PREFIX } from './cache/cache-keys.js';
import type { ReadinessCheck } from './http/proxy-server.js';

export interface ScaleParts {
  readonly storage: Storage;
  /** Local directory for downloads in progress. */
  readonly tempDir: string;
  readonly coordinator: Coordinator;
  readonly freshness: FreshnessStore;
  readonly purgeBus: PurgeBus;
  readonly readiness: readonly ReadinessCheck[];
  /** Counts single-flight joins (in this process). */
  readonly localStats: { joins: number; fills: number };
  close(): Promise<void>;
}

/** The storage a config names: `s3://BUCKET[/PREFIX]`, `fs://DIR`, or the cache dir. */
export function createStorage(config: Config): Storage {
  if (config.storage.startsWith('s3://')) {
    const rest = config.storage.slice('s3://'.length);
    const slash = rest.indexOf('/');
    const bucket = slash >= 0 ? rest.slice(0, slash) : rest;
    const prefix = slash >= 0 ? rest.slice(slash + 1).replace(/^\/+|\/+$/g, '') : '';
    return createS3Storage({
      bucket,
      ...(prefix ? { prefix } : {}),
      ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      region: config.s3Region,
      forcePathStyle: config.s3ForcePathStyle,
    });
  }
  const dir = config.storage.startsWith('fs://') ? config.storage.slice('fs://'.length) : config.cacheDir;
  return createFsStorage(resolve(dir));
}

const fsRoot = (config: Config): string => resolve(config.storage.startsWith('fs://') ? config.storage.slice('fs://'.length) : config.cacheDir);

/** Checks the storage and removes temp files an interrupted run left (fs only). */
export async function prepareStorage(config: Config, logger: Logger): Promise<Storage> {
  const storage = createStorage(config);
  await storage.checkWritable();
  if (storage.localPath) {
    const swept = await sweepFsTempFiles(fsRoot(config));
    if (swept > 0) logger.warn({ swept }, 'removed temp files left by an interrupted run');
  }
  return storage;
}

export async function createScaleParts(config: Config, logger: Logger, opts: { sweepTemp?: boolean } = {}): Promise<ScaleParts> {
  const storage = opts.sweepTemp === false ? createStorage(config) : await prepareStorage(config, logger);
  let tempDir: string;
  if (storage.localPath) {
    tempDir = join(fsRoot(config), STATE_PREFIX, 'tmp');
  } else {
    tempDir = join(tmpdir(), `modgate-${process.pid}`);
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
        if (!storage.localPath) await rm(tempDir, { recursive: true, force: true });
      },
    };
  }
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
      if (!storage.localPath) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

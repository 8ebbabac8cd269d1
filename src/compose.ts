// The only place that knows concrete classes: turns a frozen Config into running parts.
import type { FastifyInstance } from 'fastify';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { Config } from './config/config-schema.js';
import { nosumdbPatterns } from './config/effective-patterns.js';
import { cacheSettings } from './config/cache-settings.js';
import type { Logger } from './observe/logger.js';
import { createScaleParts } from './compose-scale.js';
import { createVerification } from './compose-verification.js';
import { mirrorDirOf, routingFor } from './compose-routing.js';
import { createObservation } from './compose-observe.js';
import { serverRoutes } from './compose-routes.js';
import { createPolicy } from './compose-policy.js';
import { createAccess } from './compose-access.js';
import { createModuleCache, type ModuleCache } from './cache/module-cache.js';
import { createAccessTimes } from './cache/access-times.js';
import { objectsByKind } from './cache/cache-inventory.js';
import { createProxyServer } from './http/proxy-server.js';
import { createOperations } from './service/operations-service.js';
import { createOwnSumdb } from './compose-own-sumdb.js';
import { workerMetricsText } from './observe/cluster-metrics.js';
import type { EarlyListener } from './http/early-listener.js';
import type { OpenedStorage } from './storage/storage-driver.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly cache: ModuleCache;
  /** The base URL clients use (with the path prefix). */
  readonly url: string;
  /** Where the cache lives (the storage's description: a directory or s3://BUCKET/PREFIX at ENDPOINT). */
  readonly storage: string;
  /** Where /metrics is served when --metrics-listen gives it its own listener. */
  readonly metricsUrl?: string;
  /** Re-reads the identity and policy files (SIGHUP). */
  reload(): Promise<void>;
  /** Stops accepting, lets in-flight requests finish for up to graceMs, then aborts fills. */
  close(graceMs: number): Promise<void>;
}

export interface StartOptions {
  /** Remove temp files of an interrupted run at start (false in cluster workers: the primary did). */
  readonly sweepTemp?: boolean;
  /** Serve /metrics summed over all cluster workers. */
  readonly clusterWorker?: boolean;
  /**
   * Already listening (serve's early start): the server takes over this socket and the connections
   * that waited on it, and `storage` is the storage opened and checked before listening.
   */
  readonly early?: { readonly listener: EarlyListener; readonly storage: OpenedStorage };
}

export async function startServer(config: Config, logger: Logger, opts: StartOptions = {}): Promise<RunningServer> {
  const scale = await createScaleParts(config, logger, { ...(opts.sweepTemp !== undefined ? { sweepTemp: opts.sweepTemp } : {}), ...(opts.early ? { prepared: opts.early.storage } : {}) });
  const { storage } = scale;
  const observe = createObservation(config, logger, {
    storage,
    singleflightJoins: () => scale.localStats.joins,
    cacheContents: async () => {
      const inv = await operations.inventory.scan();
      return { bytes: inv.bytes, objects: objectsByKind(inv) };
    },
  });
  const { metrics, stats, events, onStorageFailure } = observe;
  const routing = await routingFor(config, logger, metrics, stats, storage);
  const accessTimes = createAccessTimes({ storage });
  const verification = createVerification(config, { storage, events, metrics, logger, onStorageFailure });
  const nosumdb = nosumdbPatterns(config);
  const own = createOwnSumdb(config, { storage, coordinator: scale.coordinator, events, metrics, logger, nosumdb });
  const expected = verification.expected ?? (() => Promise.resolve({}));
  const settings = cacheSettings(config);
  // The version policy reads its inputs through the cache it is applied to (created just below).
  const policy = await createPolicy(config, { source: () => cache, rememberMs: settings.listTtlMs, observe });
  const cache = createModuleCache({
    ...settings,
    ...(settings.prefetch ? { prefetch: { ...settings.prefetch, onOutcome: observe.onPrefetch } } : {}),
    storage,
    chain: routing.publicChain,
    route: (path) => routing.route(path),
    gate: own ? own.wrapGate(verification.gate, expected) : verification.gate,
    coordinator: scale.coordinator,
    freshness: scale.freshness,
    accessTimes,
    ...(policy ? { admit: (path: string, version: string) => policy.service.admit(path, version) } : {}),
    onStorageFailure,
    onRefusal: observe.onRefusal,
    onBackgroundError: observe.onBackgroundError,
  });
  const operations = createOperations({
    config,
    accessTimes,
    storage,
    importer: { databases: config.sumdb === 'off' ? [] : config.sumdb, tempDir: tmpdir() },
    cache,
    events,
    purgeBus: scale.purgeBus,
    logger,
    nosumdb,
    stats,
    ownSumdb: own && (() => own.status()),
    forked: () => verification.forkState(),
  });
  const accessParts = await createAccess(config, observe);
  const { auth, access, tls } = accessParts;
  const metricsText = opts.clusterWorker ? workerMetricsText(metrics.registry) : () => metrics.registry.metrics();
  const app = await createProxyServer({
    ...(tls ? { tls } : {}),
    access,
    cache: policy ? policy.service.wrap(cache) : cache,
    logger,
    pathPrefix: config.pathPrefix,
    shortMaxAge: config.listTtlSeconds,
    negativeMaxAge: config.negativeTtlSeconds,
    metrics,
    metricsText,
    metricsRoute: config.metricsListen === undefined,
    onFlow: (e, timeMs, latencyMs) => operations.stats.recordAt(e, timeMs, latencyMs),
    serverPaths: [resolve(config.cacheDir), tmpdir(), mirrorDirOf(config)],
    onAudit: (json, time) => observe.audit.recordJson(json, time),
    readiness: [
      { name: 'config', check: async () => undefined },
      { name: `storage (${storage.description})`, check: () => storage.checkWritable() },
      verification.readiness,
      ...(own ? [own.readiness] : []),
      ...scale.readiness,
    ],
    plugins: serverRoutes({ pathPrefix: config.pathPrefix, cache, access, auth, observe, ops: operations.ops, verification, own, expected, nosumdb }),
  });
  // A purge on any replica makes every replica forget its remembered answers for that path.
  const unsubscribe = scale.purgeBus.subscribe((path) => void cache.forget(path));
  const { url, metricsUrl } = await accessParts.listen(app, metricsText, metrics.registry.contentType, opts.early?.listener);
  return {
    app,
    cache,
    url,
    storage: storage.description,
    ...(metricsUrl ? { metricsUrl } : {}),
    reload: async () => {
      await auth.reload();
      await policy?.reload();
    },
    async close(graceMs) {
      const timer = setTimeout(() => cache.abort('server shutting down'), graceMs);
      try {
        await opts.early?.listener.read();
        await app.close();
        // (node:http waits only for the connections it accepted itself, not for those that waited.)
        await opts.early?.listener.drained();
        await accessParts.closeListeners();
      } finally {
        accessParts.close();
        policy?.close();
        await observe.audit.close();
        clearTimeout(timer);
        cache.abort('server stopped');
        unsubscribe();
        await own?.close();
        await operations.close();
        await routing.close();
        await scale.close();
      }
    },
  };
}

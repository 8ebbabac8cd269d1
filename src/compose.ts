// The only place that knows concrete classes: turns a frozen Config into running parts.
import type { FastifyInstance } from 'fastify';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import type { Config } from './config/config-schema.js';
import { nosumdbPatterns } from './config/effective-patterns.js';
import type { Logger } from './observe/logger.js';
import { createScaleParts } from './compose-scale.js';
import { createVerification } from './compose-verification.js';
import { mirrorDirOf, routingFor } from './compose-routing.js';
import { createModuleCache, type ModuleCache, type StorageFailure } from './cache/module-cache.js';
import { createAccessTimes } from './cache/access-times.js';
import { objectsByKind } from './cache/cache-inventory.js';
import type { PrefetchOutcome } from './cache/prefetcher.js';
import { createProxyServer } from './http/proxy-server.js';
import { sumdbRoutes } from './http/sumdb-routes.js';
import { adminRoutes } from './http/admin-routes.js';
import { apiRoutes } from './http/api-routes.js';
import { dashboardRoutes } from './http/dashboard/dashboard-routes.js';
import { createOperations } from './service/operations-service.js';
import { createOwnSumdb } from './compose-own-sumdb.js';
import { createAdmission } from './cache/own-sumdb-admission.js';
import { ownSumdbRoutes } from './http/own-sumdb-routes.js';
import { createRequestStats } from './observe/request-stats.js';
import { workerMetricsText } from './observe/cluster-metrics.js';
import { createTokenChecker } from './http/admin-auth.js';
import { createAccessPolicy } from './http/access-policy.js';
import { createEventLog } from './observe/event-log.js';
import { createMetrics } from './observe/metrics.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly cache: ModuleCache;
  /** The base URL clients use (with the path prefix). */
  readonly url: string;
  /** Where the cache lives (the storage's description: a directory or s3://BUCKET/PREFIX at ENDPOINT). */
  readonly storage: string;
  /** Stops accepting, lets in-flight requests finish for up to graceMs, then aborts fills. */
  close(graceMs: number): Promise<void>;
}

export interface StartOptions {
  /** Remove temp files of an interrupted run at start (false in cluster workers: the primary did). */
  readonly sweepTemp?: boolean;
  /** Serve /metrics summed over all cluster workers. */
  readonly clusterWorker?: boolean;
}

export async function startServer(config: Config, logger: Logger, opts: StartOptions = {}): Promise<RunningServer> {
  const scale = await createScaleParts(config, logger, opts);
  const { storage } = scale;
  const metrics = createMetrics({
    singleflightJoins: () => scale.localStats.joins,
    cacheContents: async () => {
      const inv = await operations.inventory.scan();
      return { bytes: inv.bytes, objects: objectsByKind(inv) };
    },
  });
  const stats = createRequestStats();
  const routing = await routingFor(config, logger, metrics, stats, storage);
  const chain = routing.publicChain;
  const events = createEventLog(storage, (e) => {
    if (e.type === 'pollution' || e.type === 'pin_mismatch') {
      // A refused answer counts against the upstream: metrics, and its health on the dashboard.
      const upstream = String(e.details.upstream);
      metrics.pollutionEvents.inc({ upstream, kind: String(e.details.kind) });
      metrics.upstreamFetches.inc({ upstream, kind: String(e.details.kind), outcome: 'refused' });
      stats.recordRefusal(upstream, e.message);
    }
    logger.warn({ event: e.type, ...e.details }, e.message);
  });
  const accessTimes = createAccessTimes({ storage });
  const reportStorageFailure = (f: StorageFailure): void => {
    const errno = typeof f.error.details?.errno === 'string' ? f.error.details.errno : f.error.code;
    metrics.storageErrors.inc({ op: f.op, code: errno });
    logger.error({ err: f.error.message, code: f.error.code, errno, op: f.op, key: f.key }, 'storage failure: served without caching');
    events.record('storage_error', `storage ${f.op} of ${f.key} failed: ${f.error.message}`, { op: f.op, code: f.error.code, errno, key: f.key }).catch(() => undefined);
  };
  const verification = createVerification(config, { storage, events, metrics, logger, onStorageFailure: reportStorageFailure });
  const own = createOwnSumdb(config, { storage, coordinator: scale.coordinator, events, metrics, logger, nosumdb: nosumdbPatterns(config) });
  const expected = verification.expected ?? (() => Promise.resolve({}));
  const cache = createModuleCache({
    storage,
    chain,
    route: (path) => routing.route(path),
    gate: own ? own.wrapGate(verification.gate, expected) : verification.gate,
    coordinator: scale.coordinator,
    freshness: scale.freshness,
    memoryCacheBytes: config.memoryCacheBytes,
    ...(config.prefetch
      ? {
          prefetch: {
            concurrency: config.prefetchConcurrency,
            depth: config.prefetchDepth,
            zipDepth: config.prefetchZipDepth,
            zipConcurrency: config.prefetchZipConcurrency,
            onOutcome: (o: PrefetchOutcome) => metrics.prefetches.inc({ outcome: o }),
          },
        }
      : {}),
    zipRedirect: config.s3ZipRedirect,
    accessTimes,
    onStorageFailure: (f) => reportStorageFailure(f),
    onRefusal: (r) => {
      events.record('pollution', `${r.upstream} served ${r.path}@${r.version}.${r.kind} that modgate's checks refused: ${r.rule}`, {
        module: r.path, version: r.version, kind: r.kind, upstream: r.upstream, rule: r.rule,
      }).catch(() => undefined);
    },
    listTtlMs: config.listTtlSeconds * 1000,
    staleWhileRevalidateMs: config.listTtlSeconds * 1000,
    negativeTtlMs: config.negativeTtlSeconds * 1000,
    queryTtlMs: config.queryTtlSeconds * 1000,
    onBackgroundError: (err, what) => logger.warn({ err: (err as Error).message, what }, 'background revalidation failed'),
  });
  const operations = createOperations({
    config,
    accessTimes,
    storage,
    importer: { databases: config.sumdb === 'off' ? [] : config.sumdb.map((d) => ({ name: d.name, vkey: d.vkey })), tempDir: tmpdir() },
    cache,
    events,
    purgeBus: scale.purgeBus,
    logger,
    nosumdb: nosumdbPatterns(config),
    stats,
    ownSumdb: own && (() => own.status()),
    forked: () => (verification.databases.length === 0 ? 'off' : verification.databases.map((d) => ({ name: d.name, forked: d.client.forked }))),
  });
  const access = createAccessPolicy({
    clients: createTokenChecker(config.clientTokens, events, 'proxy'),
    allow: config.allow,
    deny: config.deny,
  });
  const app = await createProxyServer({
    access,
    cache,
    logger,
    pathPrefix: config.pathPrefix,
    shortMaxAge: config.listTtlSeconds,
    negativeMaxAge: config.negativeTtlSeconds,
    metrics,
    ...(opts.clusterWorker ? { metricsText: workerMetricsText(metrics.registry) } : {}),
    onFlow: (e) => operations.stats.record(e),
    serverPaths: [resolve(config.cacheDir), tmpdir(), mirrorDirOf(config)],
    readiness: [
      { name: 'config', check: async () => undefined },
      { name: `storage (${storage.description})`, check: () => storage.checkWritable() },
      verification.readiness,
      ...(own ? [own.readiness] : []),
      ...scale.readiness,
    ],
    plugins: [
      ...(own
        ? [ownSumdbRoutes({ pathPrefix: config.pathPrefix, server: own.server, access, admit: createAdmission({ cache, recorder: own.writer, storage, nosumdb: nosumdbPatterns(config), expected }) })]
        : []),
      sumdbRoutes({ pathPrefix: config.pathPrefix, databases: verification.databases, nosumdb: nosumdbPatterns(config), access }),
      adminRoutes({ pathPrefix: config.pathPrefix, auth: createTokenChecker(config.adminTokens, events, 'admin API'), events, ops: operations.ops }),
      apiRoutes({ pathPrefix: config.pathPrefix, ops: operations.ops }),
      // Usage lines left empty: the page shows the ones /api/overview computes for the address it was reached at.
      dashboardRoutes({ pathPrefix: config.pathPrefix, usage: { goproxy: '', gosumdb: '', goprivate: '' }, admin: config.adminTokens.length > 0 }),
    ],
  });
  // A purge on any replica makes every replica forget its remembered answers for that path.
  const unsubscribe = scale.purgeBus.subscribe((path) => void cache.forget(path));
  const { host } = config.listen;
  await app.listen({ host, port: config.listen.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}${config.pathPrefix}`;
  return {
    app,
    cache,
    url,
    storage: storage.description,
    async close(graceMs) {
      const timer = setTimeout(() => cache.abort('server shutting down'), graceMs);
      try {
        await app.close();
      } finally {
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

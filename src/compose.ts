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
import { createAccessPolicy } from './http/access-policy.js';
import { createAuthenticator } from './auth/authenticator.js';
import { createAuditLog } from './observe/audit-log.js';
import { startMetricsServer } from './http/metrics-server.js';
import { readTlsPair, watchTlsPair } from './http/tls-context.js';
import { ModgateError } from './errors/modgate-error.js';
import type { Server as TlsServer } from 'node:tls';
import { createEventLog } from './observe/event-log.js';
import { createMetrics } from './observe/metrics.js';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly cache: ModuleCache;
  /** The base URL clients use (with the path prefix). */
  readonly url: string;
  /** Where the cache lives (the storage's description: a directory or s3://BUCKET/PREFIX at ENDPOINT). */
  readonly storage: string;
  /** Where /metrics is served when --metrics-listen gives it its own listener. */
  readonly metricsUrl?: string;
  /** Re-reads the identity file (SIGHUP). */
  reload(): Promise<void>;
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
  const auth = await createAuthenticator({
    clientTokens: config.clientTokens,
    adminTokens: config.adminTokens,
    identitiesFile: config.identities,
    onReload: (r) => {
      if ('error' in r) logger.error({ err: r.error.message }, 'identity file not reloaded: the previous identities stay in force');
      else logger.info(r, 'identities reloaded');
    },
  });
  const access = createAccessPolicy({ auth, events, allow: config.allow, deny: config.deny, metricsToken: config.metricsToken });
  const audit = createAuditLog({
    storage,
    retentionDays: config.auditRetentionDays,
    onError: (err) => logger.warn({ err: err.message }, 'audit batch not stored yet (kept in memory)'),
  });
  const metricsText = opts.clusterWorker ? workerMetricsText(metrics.registry) : () => metrics.registry.metrics();
  if ((config.tlsCert === '') !== (config.tlsKey === '')) {
    throw new ModgateError('CONFIG_INVALID', 'give both --tls-cert and --tls-key (or neither)');
  }
  const tlsFiles = config.tlsCert ? { cert: config.tlsCert, key: config.tlsKey } : undefined;
  const app = await createProxyServer({
    ...(tlsFiles ? { tls: await readTlsPair(tlsFiles) } : {}),
    access,
    cache,
    logger,
    pathPrefix: config.pathPrefix,
    shortMaxAge: config.listTtlSeconds,
    negativeMaxAge: config.negativeTtlSeconds,
    metrics,
    metricsText,
    metricsRoute: config.metricsListen === undefined,
    onFlow: (e) => operations.stats.record(e),
    serverPaths: [resolve(config.cacheDir), tmpdir(), mirrorDirOf(config)],
    onAudit: (e) => audit.record(e),
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
      sumdbRoutes({ pathPrefix: config.pathPrefix, databases: verification.databases, nosumdb: nosumdbPatterns(config) }),
      adminRoutes({ pathPrefix: config.pathPrefix, events, audit, ops: operations.ops }),
      apiRoutes({ pathPrefix: config.pathPrefix, ops: operations.ops, access }),
      // Usage lines left empty: the page shows the ones /api/overview computes for the address it was reached at.
      dashboardRoutes({ pathPrefix: config.pathPrefix, usage: { goproxy: '', gosumdb: '', goprivate: '' }, admin: auth.adminEnabled, auth: auth.required }),
    ],
  });
  // A purge on any replica makes every replica forget its remembered answers for that path.
  const unsubscribe = scale.purgeBus.subscribe((path) => void cache.forget(path));
  const { host } = config.listen;
  await app.listen({ host, port: config.listen.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.listen.port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `${tlsFiles ? 'https' : 'http'}://${shownHost}:${port}${config.pathPrefix}`;
  const tlsWatch = tlsFiles && watchTlsPair(app.server as unknown as TlsServer, tlsFiles, (err) => {
    if (err) logger.error({ err: err.message }, 'TLS certificate not reloaded: the previous one stays in force');
    else logger.info({ cert: tlsFiles.cert }, 'TLS certificate reloaded');
  });
  const metricsServer = config.metricsListen && (await startMetricsServer({
    listen: config.metricsListen, pathPrefix: config.pathPrefix, contentType: metrics.registry.contentType, text: metricsText, access,
  }));
  return {
    app,
    cache,
    url,
    storage: storage.description,
    ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
    reload: () => auth.reload(),
    async close(graceMs) {
      const timer = setTimeout(() => cache.abort('server shutting down'), graceMs);
      try {
        await app.close();
        await metricsServer?.app.close();
      } finally {
        auth.close();
        tlsWatch?.close();
        await audit.close();
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

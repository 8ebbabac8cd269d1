// The only place that knows concrete classes: turns a frozen Config into running parts.
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config-schema.js';
import { ModgateError, isNotFound } from './errors/modgate-error.js';
import { createMemoryStorage } from './storage/memory-storage.js';
import type { Logger } from './observe/logger.js';
import { createScaleParts } from './compose-scale.js';
import { parseProxyList } from './upstream/proxy-list.js';
import { createHttpUpstream } from './upstream/http-upstream.js';
import { createFileUpstream } from './upstream/file-upstream.js';
import { createUpstreamChain, type ChainEntry, type UpstreamChain } from './upstream/upstream-chain.js';
import { createDirectUpstream, type HostCredentials } from './upstream/direct-upstream.js';
import { observeUpstream, type FetchObservation } from './upstream/observed-upstream.js';
import type { Upstream } from './upstream/upstream.js';
import { matchPrefixPatterns } from './module/patterns.js';
import { STATE_PREFIX } from './cache/cache-keys.js';
import { join, resolve } from 'node:path';
import { createModuleCache, type ModuleCache } from './cache/module-cache.js';
import type { PrefetchOutcome } from './cache/prefetcher.js';
import { createBasicGate } from './cache/basic-gate.js';
import { createVerifyingGate, type SumdbHandle } from './cache/verifying-gate.js';
import { createStorageSumdbStore } from './cache/storage-sumdb-store.js';
import type { IntegrityGate } from './cache/integrity-gate.js';
import { createProxyServer, type ReadinessCheck } from './http/proxy-server.js';
import { sumdbRoutes } from './http/sumdb-routes.js';
import { adminRoutes } from './http/admin-routes.js';
import { apiRoutes } from './http/api-routes.js';
import { dashboardRoutes } from './http/dashboard/dashboard-routes.js';
import { createOperations } from './compose-operations.js';
import { createOwnSumdb } from './compose-own-sumdb.js';
import { createAdmission } from './cache/own-sumdb-admission.js';
import { ownSumdbRoutes } from './http/own-sumdb-routes.js';
import { createRequestStats } from './observe/request-stats.js';
import { workerMetricsText } from './observe/cluster-metrics.js';
import { createTokenChecker, parseTokens } from './http/admin-auth.js';
import { createAccessPolicy } from './http/access-policy.js';
import { parseGosumdb, type GosumdbConfig } from './sumdb/gosumdb.js';
import { createSumdbClient } from './sumdb/sumdb-client.js';
import { createSumdbTransport } from './upstream/sumdb-transport.js';
import { createEventLog, type EventLog } from './observe/event-log.js';
import { createMetrics, type Metrics } from './observe/metrics.js';
import type { Storage } from './storage/storage.js';

export interface Routing {
  /** The chain for a module path: private/noproxy paths go direct only. */
  route(path: string): UpstreamChain;
  /** The chain for public paths. */
  readonly publicChain: UpstreamChain;
  close(): Promise<void>;
}

/** Effective GONOPROXY: noproxy, else private. */
export function noproxyPatterns(config: Config): string {
  return config.noproxy || config.private;
}

/** Effective GONOSUMDB: nosumdb, else private. */
export function nosumdbPatterns(config: Config): string {
  return config.nosumdb || config.private;
}

function parseGitCredentials(v: Config['gitCredentials']): HostCredentials[] {
  if (Array.isArray(v)) return v.map((c) => ({ ...c })) as HostCredentials[];
  if (v.trim() === '') return [];
  try {
    const parsed = JSON.parse(v) as unknown;
    if (!Array.isArray(parsed)) throw new Error('not an array');
    return parsed as HostCredentials[];
  } catch {
    throw new ModgateError('CONFIG_INVALID', 'gitCredentials (flag --git-credentials, env MODGATE_GIT_CREDENTIALS): expected a JSON array of {host, username?, password?, token?, netrcFile?}');
  }
}

function parseGitConfig(v: Config['gitConfig']): Array<[string, string]> {
  const items = Array.isArray(v) ? v : v.split(/[;\n]/);
  return items
    .map((i) => i.trim())
    .filter((i) => i !== '')
    .map((i) => {
      const eq = i.indexOf('=');
      if (eq <= 0) throw new ModgateError('CONFIG_INVALID', `gitConfig: expected key=value, got ${JSON.stringify(i)}`);
      return [i.slice(0, eq), i.slice(eq + 1)] as [string, string];
    });
}

export function createRouting(config: Config, deps: { logger: Logger; observe?: (o: FetchObservation) => void; onHedge?: (from: string, to: string) => void }): Routing {
  const entries = parseProxyList(config.upstream);
  const noproxy = noproxyPatterns(config);
  const observed = (u: Upstream): Upstream => (deps.observe ? observeUpstream(u, deps.observe) : u);
  let direct: Upstream | undefined;
  const directUpstream = (): Upstream => {
    direct ??= observed(
      createDirectUpstream({
        mirrorDir: resolve(config.gitMirrorDir || join(config.cacheDir, STATE_PREFIX, 'git')),
        sizeBudgetBytes: config.gitMirrorBudgetBytes,
        gitTimeoutMs: config.gitTimeoutSeconds * 1000,
        refreshIntervalMs: config.gitRefreshSeconds * 1000,
        insecure: config.insecure,
        credentials: parseGitCredentials(config.gitCredentials),
        gitConfig: parseGitConfig(config.gitConfig),
        logger: (e) => deps.logger.info({ direct: e }, `git ${e.event}`),
      }),
    );
    return direct;
  };
  const publicEntries: ChainEntry[] = entries.map((e) => {
    if (e.kind === 'off') return { upstream: 'off', fallBackOnError: false };
    if (e.kind === 'direct') return { upstream: directUpstream(), fallBackOnError: e.fallBackOnError };
    const upstream = e.url.startsWith('file:')
      ? createFileUpstream(e.url)
      : createHttpUpstream({
          url: e.url,
          connectTimeoutMs: config.upstreamConnectTimeoutMs,
          timeoutMs: config.upstreamTimeoutMs,
          retries: config.upstreamRetries,
          retryBackoffMs: config.upstreamRetryBackoffMs,
          limits: { deadlineMs: config.upstreamAttemptTimeoutMs, minBytesPerSecond: config.upstreamMinBytesPerSecond, rateWindowMs: config.upstreamRateWindowMs },
        });
    return { upstream: observed(upstream), fallBackOnError: e.fallBackOnError };
  });
  const publicChain = createUpstreamChain(publicEntries, { hedgeAfterMs: config.hedgeAfterMs, ...(deps.onHedge ? { onHedge: deps.onHedge } : {}) });
  const privateChain = noproxy ? createUpstreamChain([{ upstream: directUpstream(), fallBackOnError: false }]) : publicChain;
  return {
    publicChain,
    route: (path) => (noproxy && matchPrefixPatterns(noproxy, path) ? privateChain : publicChain),
    async close() {
      await publicChain.close();
      if (privateChain !== publicChain) await privateChain.close();
    },
  };
}

/** Parses the sumdb setting: 'off', or one or more databases (comma-separated GOSUMDB values). */
export function parseSumdbSetting(setting: string): GosumdbConfig[] | 'off' {
  const parts = setting.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const parsed = parts.length === 0 ? [parseGosumdb('')] : parts.map(parseGosumdb);
  if (parsed.includes('off')) {
    if (parsed.length > 1) throw new ModgateError('CONFIG_INVALID', 'sumdb: "off" cannot be combined with databases');
    return 'off';
  }
  return parsed as GosumdbConfig[];
}

export interface Verification {
  readonly gate: IntegrityGate;
  /** Verified hashes from the databases; undefined when verification is off. */
  readonly expected: ((path: string, version: string) => Promise<{ mod?: string; zip?: string }>) | undefined;
  readonly databases: readonly SumdbHandle[];
  readonly readiness: ReadinessCheck;
}

/** Checksum database clients and the integrity gate for a config (verification off → basic gate). */
export function createVerification(config: Config, deps: { storage: Storage; events: EventLog; metrics: Metrics; logger: Logger }): Verification {
  const setting = parseSumdbSetting(config.sumdb);
  if (setting === 'off') {
    deps.logger.warn('checksum verification is OFF (--sumdb off): modgate will cache and serve bytes no checksum database vouched for');
    return {
      gate: createBasicGate(),
      expected: undefined,
      databases: [],
      readiness: { name: 'sumdb', check: async () => 'verification is off (--sumdb off): bytes are not checked against a checksum database' },
    };
  }
  const proxies = parseProxyList(config.upstream);
  const databases: SumdbHandle[] = setting.map((db) => ({
    name: db.name,
    client: createSumdbClient({
      name: db.name,
      vkey: db.vkey,
      transport: createSumdbTransport({ name: db.name, explicitUrl: db.explicitUrl ? db.url : undefined, proxies, timeoutMs: config.upstreamTimeoutMs }),
      store: createStorageSumdbStore(deps.storage, db.name),
      onFork: (info) => {
        deps.metrics.sumdbForks.inc({ sumdb: db.name });
        deps.logger.error({ sumdb: db.name, older: info.olderNote, newer: info.newerNote }, `SECURITY: checksum database ${db.name} forked: ${info.message}`);
        void deps.events.record('sumdb_fork', `checksum database ${db.name} presented a tree inconsistent with one it signed before`, {
          sumdb: db.name, olderNote: info.olderNote, newerNote: info.newerNote, reason: info.message,
        });
      },
    }),
  }));
  const gate = createVerifyingGate({
    databases,
    nosumdb: nosumdbPatterns(config),
    storage: deps.storage,
    events: deps.events,
    onVerify: (result, kind) => deps.metrics.verifications.inc({ kind, result }),
  });
  return {
    gate,
    expected: (path, version) => gate.expected(path, version),
    databases,
    readiness: {
      name: 'sumdb',
      check: async () => {
        const forked = databases.filter((d) => d.client.forked).map((d) => d.name);
        if (forked.length > 0) throw new Error(`checksum database ${forked.join(', ')} FORKED: refusing to verify anything (see /admin/events)`);
      },
    },
  };
}

/** A lookup function over checksum database clients that keep their state in memory (CLI use). */
export function createSumdbLookup(opts: { sumdb: string; proxies: string; timeoutMs: number }): {
  readonly names: string[];
  lookup(path: string, version: string): Promise<{ modHash: string; zipHash: string | undefined }>;
} {
  const setting = parseSumdbSetting(opts.sumdb);
  if (setting === 'off') throw new ModgateError('CONFIG_INVALID', 'sumdb is off: there is nothing to verify against', { hint: 'pass --sumdb (GOSUMDB syntax)' });
  const proxies = opts.proxies ? parseProxyList(opts.proxies) : [];
  const storage = createMemoryStorage();
  const clients = setting.map((db) =>
    createSumdbClient({
      name: db.name,
      vkey: db.vkey,
      transport: createSumdbTransport({ name: db.name, explicitUrl: db.explicitUrl ? db.url : undefined, proxies, timeoutMs: opts.timeoutMs }),
      store: createStorageSumdbStore(storage, db.name),
    }),
  );
  return {
    names: setting.map((d) => d.name),
    async lookup(path, version) {
      let lastNotFound: unknown;
      let found: { modHash: string; zipHash: string | undefined } | undefined;
      for (const c of clients) {
        try {
          const r = await c.lookup(path, version);
          if (found && (found.modHash !== r.modHash || (found.zipHash && r.zipHash && found.zipHash !== r.zipHash))) {
            throw new ModgateError('SUMDB_ERROR', `checksum databases disagree about ${path}@${version}`);
          }
          found = r;
        } catch (err) {
          if (!isNotFound(err)) throw err;
          lastNotFound = err;
        }
      }
      if (found) return found;
      throw lastNotFound as Error;
    },
  };
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly cache: ModuleCache;
  /** The base URL clients use (with the path prefix). */
  readonly url: string;
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
  const { storage, tempDir } = scale;
  const metrics = createMetrics({ singleflightJoins: () => scale.localStats.joins });
  const stats = createRequestStats();
  const routing = createRouting(config, {
    logger,
    onHedge: (from, to) => metrics.hedges.inc({ from, to }),
    observe: (o) => {
      stats.recordUpstream(o.upstream, o.outcome, o.ms, o.error);
      metrics.upstreamFetches.inc({ upstream: o.upstream, kind: o.kind, outcome: o.outcome });
      if (o.outcome === 'ok') metrics.upstreamDuration.observe({ upstream: o.upstream, kind: o.kind }, o.ms / 1000);
    },
  });
  const chain = routing.publicChain;
  const events = createEventLog(storage, (e) => {
    if (e.type === 'pollution' || e.type === 'pin_mismatch') metrics.pollutionEvents.inc({ upstream: String(e.details.upstream), kind: String(e.details.kind) });
    logger.warn({ event: e.type, ...e.details }, e.message);
  });
  const verification = createVerification(config, { storage, events, metrics, logger });
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
      ? { prefetch: { concurrency: config.prefetchConcurrency, depth: config.prefetchDepth, onOutcome: (o: PrefetchOutcome) => metrics.prefetches.inc({ outcome: o }) } }
      : {}),
    tempDir,
    listTtlMs: config.listTtlSeconds * 1000,
    staleWhileRevalidateMs: config.listTtlSeconds * 1000,
    negativeTtlMs: config.negativeTtlSeconds * 1000,
    queryTtlMs: config.queryTtlSeconds * 1000,
    onBackgroundError: (err, what) => logger.warn({ err: (err as Error).message, what }, 'background revalidation failed'),
  });
  const operations = createOperations({
    config,
    storage,
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
    clients: createTokenChecker(parseTokens(config.clientTokens), events, 'proxy'),
    allow: config.allow,
    deny: config.deny,
  });
  const app = await createProxyServer({
    access,
    cache,
    storage,
    logger,
    pathPrefix: config.pathPrefix,
    shortMaxAge: config.listTtlSeconds,
    negativeMaxAge: config.negativeTtlSeconds,
    metrics,
    ...(opts.clusterWorker ? { metricsText: workerMetricsText(metrics.registry) } : {}),
    ...(config.s3ZipRedirect && storage.presignedUrl ? { zipRedirect: (key: string) => storage.presignedUrl!(key) } : {}),
    onFlow: (e) => {
      operations.stats.record(e);
      if (e.status === 200 && e.module !== undefined && e.version !== undefined && (e.kind === 'info' || e.kind === 'mod' || e.kind === 'zip')) {
        operations.inventory.touch(e.module, e.version);
      }
    },
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
      adminRoutes({ pathPrefix: config.pathPrefix, auth: createTokenChecker(parseTokens(config.adminTokens), events, 'admin API'), events, ops: operations.ops }),
      apiRoutes({ pathPrefix: config.pathPrefix, ops: operations.ops }),
      // Usage lines left empty: the page shows the ones /api/overview computes for the address it was reached at.
      dashboardRoutes({ pathPrefix: config.pathPrefix, usage: { goproxy: '', gosumdb: '', goprivate: '' } }),
    ],
  });
  // A purge on any replica makes every replica forget its remembered answers for that path.
  const unsubscribe = scale.purgeBus.subscribe((path) => void cache.forget(path));
  const m = /^(.*):(\d+)$/.exec(config.listen)!;
  const host = m[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0';
  await app.listen({ host, port: Number(m[2]) });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : Number(m[2]);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}${config.pathPrefix}`;
  return {
    app,
    cache,
    url,
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

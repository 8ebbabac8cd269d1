// Wiring of the upstream side: the chains for a config (URL upstreams, direct git mode, GONOPROXY
// routing, or the offline upstream over storage) with their observation (metrics, statistics,
// circuit-breaker state in logs and the request-flow scope).
import { join, resolve } from 'node:path';
import type { Config } from './config/config-schema.js';
import { noproxyPatterns } from './config/effective-patterns.js';
import { isOffline } from './config/offline-mode.js';
import type { Logger } from './observe/logger.js';
import type { Metrics } from './observe/metrics.js';
import type { RequestStats } from './observe/request-stats.js';
import { noteSkippedUpstream } from './observe/flow-scope.js';
import type { Storage } from './storage/storage.js';
import { STATE_PREFIX } from './cache/cache-keys.js';
import { createOfflineUpstream } from './cache/offline-upstream.js';
import { createRouting, type Routing } from './upstream/upstream-routing.js';
import { createUpstreamChain } from './upstream/upstream-chain.js';

/** Where direct mode keeps its bare git mirrors. */
export const mirrorDirOf = (config: Config): string => resolve(config.gitMirrorDir || join(config.cacheDir, STATE_PREFIX, 'git'));

/** The upstream chains for a config: URL upstreams, direct (git) mode, GONOPROXY routing. */
export async function routingFor(config: Config, logger: Logger, metrics: Metrics, stats: RequestStats, storage: Storage): Promise<Routing> {
  if (isOffline(config)) {
    const offline = createUpstreamChain([{ upstream: createOfflineUpstream(storage), fallBackOnError: false }]);
    return { publicChain: offline, route: () => offline, close: () => offline.close() };
  }
  return createRouting({
    entries: config.upstream,
    noproxy: noproxyPatterns(config),
    upstream: {
      connectTimeoutMs: config.upstreamConnectTimeoutMs,
      timeoutMs: config.upstreamTimeoutMs,
      retries: config.upstreamRetries,
      retryBackoffMs: config.upstreamRetryBackoffMs,
      limits: { deadlineMs: config.upstreamAttemptTimeoutMs, minBytesPerSecond: config.upstreamMinBytesPerSecond, rateWindowMs: config.upstreamRateWindowMs },
    },
    direct: {
      mirrorDir: mirrorDirOf(config),
      sizeBudgetBytes: config.gitMirrorBudgetBytes,
      gitTimeoutMs: config.gitTimeoutSeconds * 1000,
      refreshIntervalMs: config.gitRefreshSeconds * 1000,
      insecure: config.insecure,
      credentials: config.gitCredentials,
      gitConfig: config.gitConfig,
      logger: (e) => logger.info({ direct: e }, `git ${e.event}`),
    },
    hedgeAfterMs: config.hedgeAfterMs,
    onHedge: (from, to) => metrics.hedges.inc({ from, to }),
    breaker: {
      failures: config.upstreamBreakerFailures,
      coolDownMs: config.upstreamBreakerCoolDownMs,
      onState: (name, state) => {
        stats.recordCircuit(name, state);
        metrics.circuitState.set({ upstream: name }, state === 'closed' ? 0 : state === 'open' ? 1 : 2);
        logger.warn({ upstream: name, circuit: state }, `upstream circuit ${state}: ${name}`);
      },
      onSkip: (name) => {
        noteSkippedUpstream(name);
        metrics.circuitSkips.inc({ upstream: name });
      },
    },
    observe: (o) => {
      stats.recordUpstream(o.upstream, o.outcome, o.ms, o.error);
      metrics.upstreamFetches.inc({ upstream: o.upstream, kind: o.kind, outcome: o.outcome });
      if (o.outcome === 'ok') metrics.upstreamDuration.observe({ upstream: o.upstream, kind: o.kind }, o.ms / 1000);
    },
  });
}

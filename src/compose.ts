// The only place that knows concrete classes: turns a frozen Config into running parts.
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config-schema.js';
import { ModgateError } from './errors/modgate-error.js';
import type { Logger } from './observe/logger.js';
import { createFsStorage, sweepFsTempFiles } from './storage/fs-storage.js';
import { createLocalCoordinator } from './coordination/local-coordinator.js';
import { parseProxyList } from './upstream/proxy-list.js';
import { createHttpUpstream } from './upstream/http-upstream.js';
import { createFileUpstream } from './upstream/file-upstream.js';
import { createUpstreamChain, type ChainEntry, type UpstreamChain } from './upstream/upstream-chain.js';
import { createModuleCache, type ModuleCache } from './cache/module-cache.js';
import { createBasicGate } from './cache/basic-gate.js';
import { STATE_PREFIX } from './cache/cache-keys.js';
import { createProxyServer } from './http/proxy-server.js';

export function createChain(config: Config): UpstreamChain {
  const entries: ChainEntry[] = parseProxyList(config.upstream).map((e) => {
    if (e.kind === 'off') return { upstream: 'off', fallBackOnError: false };
    if (e.kind === 'direct') {
      throw new ModgateError('CONFIG_INVALID', 'upstream list: "direct" (fetching from version control) is not supported yet', {
        hint: 'list proxy URLs (https://..., file:///...) and optionally "off"',
      });
    }
    const upstream = e.url.startsWith('file:')
      ? createFileUpstream(e.url)
      : createHttpUpstream({
          url: e.url,
          connectTimeoutMs: config.upstreamConnectTimeoutMs,
          timeoutMs: config.upstreamTimeoutMs,
          retries: config.upstreamRetries,
          retryBackoffMs: config.upstreamRetryBackoffMs,
        });
    return { upstream, fallBackOnError: e.fallBackOnError };
  });
  return createUpstreamChain(entries);
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly cache: ModuleCache;
  /** The base URL clients use (with the path prefix). */
  readonly url: string;
  /** Stops accepting, lets in-flight requests finish for up to graceMs, then aborts fills. */
  close(graceMs: number): Promise<void>;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const cacheDir = resolve(config.cacheDir);
  const storage = createFsStorage(cacheDir);
  await storage.checkWritable();
  const tempDir = join(cacheDir, STATE_PREFIX, 'tmp');
  const swept = await sweepFsTempFiles(cacheDir);
  if (swept > 0) logger.warn({ swept }, 'removed temp files left by an interrupted run');
  const chain = createChain(config);
  const cache = createModuleCache({
    storage,
    chain,
    gate: createBasicGate(),
    coordinator: createLocalCoordinator(),
    tempDir,
    listTtlMs: config.listTtlSeconds * 1000,
    staleWhileRevalidateMs: config.listTtlSeconds * 1000,
    negativeTtlMs: config.negativeTtlSeconds * 1000,
    queryTtlMs: config.queryTtlSeconds * 1000,
    onBackgroundError: (err, what) => logger.warn({ err: (err as Error).message, what }, 'background revalidation failed'),
  });
  const app = await createProxyServer({
    cache,
    storage,
    logger,
    pathPrefix: config.pathPrefix,
    shortMaxAge: config.listTtlSeconds,
    negativeMaxAge: config.negativeTtlSeconds,
    readiness: [
      { name: 'config', check: async () => undefined },
      { name: `storage (${storage.description})`, check: () => storage.checkWritable() },
    ],
  });
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
        await chain.close();
      }
    },
  };
}

// An in-process modgate proxy whose only upstream is a direct (git) upstream, listening on a real
// loopback port so the go command can use it as GOPROXY. For direct-mode interop tests and benches.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createBasicGate } from '../../src/cache/basic-gate.js';
import { createModuleCache } from '../../src/cache/module-cache.js';
import { createLocalCoordinator } from '../../src/coordination/local-coordinator.js';
import { createProxyServer } from '../../src/http/proxy-server.js';
import { createFsStorage } from '../../src/storage/fs-storage.js';
import { createDirectUpstream, type DirectUpstreamOptions } from '../../src/upstream/direct-upstream.js';
import { createUpstreamChain } from '../../src/upstream/upstream-chain.js';

export interface DirectProxy {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1:0 with its cache under dir/cache. */
export async function startDirectProxy(dir: string, direct: DirectUpstreamOptions): Promise<DirectProxy> {
  const cacheDir = join(dir, 'cache');
  const storage = createFsStorage(cacheDir);
  const chain = createUpstreamChain([{ upstream: createDirectUpstream(direct), fallBackOnError: false }]);
  const cache = createModuleCache({
    storage,
    chain,
    gate: createBasicGate(),
    coordinator: createLocalCoordinator(),
    listTtlMs: 0,
    staleWhileRevalidateMs: 0,
    negativeTtlMs: 0,
    queryTtlMs: 0,
  });
  const app = await createProxyServer({
    cache,
    logger: pino({ level: 'silent' }),
    pathPrefix: '',
    shortMaxAge: 0,
    negativeMaxAge: 0,
    readiness: [],
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    app,
    async close() {
      await app.close();
      await chain.close();
    },
  };
}

// The Redis FreshnessStore and PurgeBus against the shared freshness compliance suite (a real
// redis-server on loopback; each replica has its own connections).
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { startRedis, type RedisTestServer } from '../../test/support/redis-server.js';
import { createRedisFreshnessStore, createRedisPurgeBus } from './redis-freshness.js';
import { runFreshnessCompliance, type FreshnessReplica } from './freshness-compliance.js';

let redis: RedisTestServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

runFreshnessCompliance(
  'redis',
  async () => {
    const keyPrefix = `test-${randomBytes(4).toString('hex')}:`;
    const replicas: FreshnessReplica[] = [];
    return {
      replica() {
        const r = {
          store: createRedisFreshnessStore({ redis: redis.url, keyPrefix, commandTimeoutMs: 500 }),
          bus: createRedisPurgeBus({ redis: redis.url, keyPrefix, commandTimeoutMs: 500 }),
        };
        replicas.push(r);
        return r;
      },
      backend: { stop: () => redis.kill(), start: () => redis.restart() },
      async cleanup() {
        await Promise.all(replicas.flatMap((r) => [r.store.close(), r.bus.close()]));
      },
    };
  },
  'shared',
);

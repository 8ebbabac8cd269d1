// The Redis coordinator against the shared coordinator compliance suite: a real redis-server on
// loopback; each replica is a coordinator with its own ioredis connections.
import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { startRedis, type RedisTestServer } from '../../test/support/redis-server.js';
import { createLocalCoordinator } from './local-coordinator.js';
import { createRedisCoordinator, type RedisCoordinator } from './redis-coordinator.js';
import { runCoordinatorCompliance } from './coordinator-compliance.js';

let redis: RedisTestServer;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
});

const LEASE_MS = 600;

runCoordinatorCompliance(
  'redis',
  async () => {
    const keyPrefix = `test-${randomBytes(4).toString('hex')}:`;
    const replicas: RedisCoordinator[] = [];
    return {
      replica(opts = {}) {
        const c = createRedisCoordinator({
          redis: redis.url,
          local: createLocalCoordinator(),
          leaseMs: LEASE_MS,
          renewEveryMs: opts.renew === false ? 3_600_000 : LEASE_MS / 4,
          waitPollMs: 50,
          commandTimeoutMs: 500,
          keyPrefix,
        });
        replicas.push(c);
        return c;
      },
      lockService: {
        leaseMs: LEASE_MS,
        kill: (c) => (c as RedisCoordinator).close(),
        stop: () => redis.kill(),
        start: () => redis.restart(),
      },
      async cleanup() {
        await Promise.all(replicas.map((c) => c.close()));
      },
    };
  },
  'distributed',
);

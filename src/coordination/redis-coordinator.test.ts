// The Redis coordinator against the shared coordinator compliance suite: a real redis-server on
// loopback; each replica is a coordinator with its own ioredis connections. Plus a real SIGKILL of
// a holder process.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { trackChild } from '../../test/support/process-runner.js';
import { startRedis, type RedisTestServer } from '../../test/support/redis-server.js';
import { createLocalCoordinator } from './local-coordinator.js';
import { createRedisCoordinator, type RedisCoordinator } from './redis-coordinator.js';
import { runCoordinatorCompliance, waitFor } from './coordinator-compliance.js';

const HOLDER = fileURLToPath(new URL('../../test/support/redis-lock-holder.ts', import.meta.url));

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

test('a SIGKILLed holder process loses its lock after the lease; a waiter takes over', async () => {
  const keyPrefix = `kill-${randomBytes(4).toString('hex')}:`;
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, redis.url, keyPrefix, 'k', String(LEASE_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  trackChild(child);
  const exited = once(child, 'exit');
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await waitFor('the child to hold the lock', () => /holding fence \d+/.test(out) || child.exitCode !== null, 20_000);
  const childFence = Number(/holding fence (\d+)/.exec(out)?.[1]);
  assert.ok(childFence > 0, `child output: ${out}`);
  const c = createRedisCoordinator({ redis: redis.url, local: createLocalCoordinator(), leaseMs: LEASE_MS, renewEveryMs: LEASE_MS / 4, waitPollMs: 50, keyPrefix });
  try {
    let ran = false;
    const waiting = c.run('k', async (ctx) => {
      ran = true;
      return ctx.fence;
    });
    await waitFor('the waiter to register', () => c.stats.waits === 1);
    assert.equal(ran, false, 'the lock of a live holder is respected');
    child.kill('SIGKILL');
    await exited;
    assert.ok((await waiting) > childFence);
  } finally {
    child.kill('SIGKILL');
    await c.close();
  }
});

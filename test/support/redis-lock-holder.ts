// A child process for the SIGKILL takeover test: takes the Redis fill lock of one key, prints
// `holding fence N`, and keeps the fill running (renewing its lease) until it is killed.
// Usage: node --import tsx test/support/redis-lock-holder.ts REDIS_URL KEY_PREFIX KEY LEASE_MS
import { createLocalCoordinator } from '../../src/coordination/local-coordinator.js';
import { createRedisCoordinator } from '../../src/coordination/redis-coordinator.js';

const [url, keyPrefix, key, lease] = process.argv.slice(2);
if (!url || !keyPrefix || !key || !lease) throw new Error('usage: redis-lock-holder.ts REDIS_URL KEY_PREFIX KEY LEASE_MS');
const leaseMs = Number(lease);
const coordinator = createRedisCoordinator({ redis: url, local: createLocalCoordinator(), leaseMs, renewEveryMs: leaseMs / 4, keyPrefix });
process.stdin.on('end', () => process.exit(0)).resume();
await coordinator.run(key, async (ctx) => {
  process.stdout.write(`holding fence ${ctx.fence}\n`);
  await new Promise<never>(() => setInterval(() => undefined, 60_000));
});

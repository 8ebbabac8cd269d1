// Distributed single-flight over Redis: the in-process coordinator stays in front (one fill per key
// per process), and behind it a Redis lock (SET NX PX with a unique token) makes one fill per key
// run at a time across replicas. The lease is renewed while a fill runs (compare-and-pexpire), each
// grant carries a fencing token (INCR), and a waiter sleeps until the holder's release is published
// (or a poll finds the lock free or expired), then runs its own fill, which re-reads storage first
// (see the fill contract in coordinator.ts). When Redis cannot be reached, fills run with local
// single-flight only: a warning is logged and health() reports 'degraded'; it is never an error.
import { randomBytes } from 'node:crypto';
import { localFillContext, type Coordinator, type CoordinatorHealth, type Fill, type FillContext } from './coordinator.js';
import { linkRedis, type CoordinationLogger, type Redis } from './redis-client.js';

export interface RedisCoordinatorOptions {
  /** redis://HOST:PORT[/DB] or an ioredis client (used as is; not closed by close()). */
  readonly redis: string | Redis;
  /** The in-process coordinator in front (createLocalCoordinator()). */
  readonly local: Coordinator;
  /** Lock lifetime without renewal: how long a dead holder blocks a key. E.g. 30000. */
  readonly leaseMs: number;
  /** Renewal period while a fill runs; well below leaseMs (e.g. leaseMs / 3). */
  readonly renewEveryMs: number;
  /** How often a waiter retries the lock when no release is announced; default 500. */
  readonly waitPollMs?: number;
  /** Bound on each Redis command; default 2000. */
  readonly commandTimeoutMs?: number;
  /** Prefix of every Redis key and channel; default 'modgate:'. */
  readonly keyPrefix?: string;
  readonly logger?: CoordinationLogger;
}

export interface RedisCoordinatorStats {
  /** Fills run under the distributed lock. */
  locked: number;
  /** Times a caller found the lock held by another replica and waited. */
  waits: number;
  /** Fills run local-only because Redis was unreachable. */
  fallbacks: number;
  /** Fills that learned they had lost their lock. */
  lost: number;
}

export interface RedisCoordinator extends Coordinator {
  readonly stats: RedisCoordinatorStats;
  /** 'degraded' while Redis is unreachable (fills are then coordinated in this process only). */
  health(): CoordinatorHealth;
  /** Stops renewals and closes the connections made here. */
  close(): Promise<void>;
}

// KEYS[1] lock, KEYS[2] fence counter; ARGV token, lease. Returns the fence, or 0 when held.
const ACQUIRE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('INCR', KEYS[2]) end return 0`;
// KEYS[1] lock; ARGV token, lease. 1 when renewed, 0 when the lock is someone else's (or gone).
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
// KEYS[1] lock; ARGV token, channel, key. Deletes our lock and announces the release.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) redis.call('PUBLISH', ARGV[2], ARGV[3]) return 1 end return 0`;

export function createRedisCoordinator(opts: RedisCoordinatorOptions): RedisCoordinator {
  const prefix = opts.keyPrefix ?? 'modgate:';
  const fenceKey = `${prefix}fence`;
  const channel = `${prefix}released`;
  const lockKey = (key: string) => `${prefix}lock:${key}`;
  const pollMs = opts.waitPollMs ?? 500;
  const link = linkRedis({ redis: opts.redis, ...(opts.commandTimeoutMs ? { commandTimeoutMs: opts.commandTimeoutMs } : {}) });
  const stats: RedisCoordinatorStats = { locked: 0, waits: 0, fallbacks: 0, lost: 0 };
  const wakers = new Map<string, Set<() => void>>();
  const holders = new Set<{ stop(): void }>();
  let subscriber: Redis | undefined;
  let closed = false;
  let degraded: string | undefined;

  const setDegraded = (reason: string) => {
    if (degraded === undefined) opts.logger?.warn({ reason }, 'redis unreachable: cache fills are coordinated in this process only');
    degraded = reason;
  };
  const setHealthy = () => {
    if (degraded !== undefined) opts.logger?.info({}, 'redis reachable again: distributed fill locks resumed');
    degraded = undefined;
  };
  link.client.on('ready', setHealthy);
  link.client.on('close', () => !closed && setDegraded(link.lastError() ?? 'connection closed'));
  const failed = (err: unknown) => setDegraded(err instanceof Error ? err.message : String(err));

  function subscribe(): void {
    if (subscriber || closed) return;
    const sub = link.duplicate();
    subscriber = sub;
    sub.on('message', (_channel: string, key: string) => {
      for (const wake of wakers.get(key) ?? []) wake();
    });
    const listen = () => void sub.subscribe(channel).catch(() => undefined);
    sub.on('ready', listen);
    if (sub.status === 'ready') listen();
  }

  /** Resolves when a release of `key` is announced or after one poll period. */
  function waitForRelease(key: string): Promise<void> {
    subscribe();
    return new Promise((resolve) => {
      const set = wakers.get(key) ?? new Set();
      wakers.set(key, set);
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && wakers.get(key) === set) wakers.delete(key);
        resolve();
      };
      const timer = setTimeout(wake, pollMs);
      set.add(wake);
    });
  }

  /** The fence of a new grant, 'held' when another holder has it, 'down' when Redis can't answer. */
  async function acquire(key: string, token: string): Promise<number | 'held' | 'down'> {
    await link.started;
    if (closed) return 'down';
    try {
      const fence = Number(await link.command((c) => c.eval(ACQUIRE, 2, lockKey(key), fenceKey, token, opts.leaseMs)));
      setHealthy();
      return fence > 0 ? fence : 'held';
    } catch (err) {
      failed(err);
      return 'down';
    }
  }

  async function holdAndRun<T>(key: string, token: string, fence: number, fill: Fill<T>): Promise<T> {
    const controller = new AbortController();
    let lost = false;
    const markLost = () => {
      if (lost) return;
      lost = true;
      stats.lost++;
      opts.logger?.warn({ key, fence }, 'fill lock lost: another replica holds the key now');
      controller.abort(new Error(`lock on ${key} lost`));
    };
    const timer = setInterval(() => {
      link.command((c) => c.eval(RENEW, 1, lockKey(key), token, opts.leaseMs)).then(
        (renewed) => (Number(renewed) === 1 ? setHealthy() : markLost()),
        failed,
      );
    }, opts.renewEveryMs);
    timer.unref();
    const holder = { stop: () => clearInterval(timer) };
    holders.add(holder);
    const ctx: FillContext = {
      fence,
      signal: controller.signal,
      async stillOwner() {
        if (lost) return false;
        try {
          const current = await link.command((c) => c.get(lockKey(key)));
          if (current !== token) markLost();
          return current === token;
        } catch (err) {
          // Redis unreachable: nobody can take the key over through Redis; atomic writes are the net.
          failed(err);
          return true;
        }
      },
    };
    stats.locked++;
    try {
      return await fill(ctx);
    } finally {
      holder.stop();
      holders.delete(holder);
      if (!lost && !closed && link.isReady()) {
        await link.command((c) => c.eval(RELEASE, 1, lockKey(key), token, channel, key)).catch(failed);
      }
    }
  }

  async function distributed<T>(key: string, fill: Fill<T>): Promise<T> {
    const token = randomBytes(16).toString('hex');
    let waited = false;
    for (;;) {
      const got = await acquire(key, token);
      if (got === 'down') {
        stats.fallbacks++;
        return fill(localFillContext());
      }
      if (got !== 'held') return holdAndRun(key, token, got, fill);
      if (!waited) stats.waits++;
      waited = true;
      await waitForRelease(key);
    }
  }

  return {
    stats,
    get inFlight() {
      return opts.local.inFlight;
    },
    run<T>(key: string, fill: Fill<T>): Promise<T> {
      return opts.local.run(key, () => distributed(key, fill));
    },
    health() {
      if (closed) return { status: 'degraded', detail: 'coordinator closed' };
      if (!link.isReady()) return { status: 'degraded', detail: `redis unreachable: ${link.lastError() ?? link.client.status}` };
      return degraded === undefined ? { status: 'ok' } : { status: 'degraded', detail: degraded };
    },
    async close() {
      closed = true;
      for (const h of holders) h.stop();
      subscriber?.disconnect();
      await link.close();
    },
  };
}

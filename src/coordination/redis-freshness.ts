// Redis implementations of FreshnessStore and PurgeBus (freshness-store.ts), so every replica sees
// the same fetch times, negative answers and purges. Writes go to this process's memory as well,
// and reads fall back to it when Redis is unreachable: an outage degrades to per-replica state
// (logged once per outage), never to an error.
import { randomBytes } from 'node:crypto';
import { createMemoryFreshnessStore, type FreshnessStore, type NegativeEntry, type PurgeBus } from './freshness-store.js';
import { linkRedis, type CoordinationLogger, type Redis, type RedisLink } from './redis-client.js';

export interface RedisFreshnessOptions {
  /** redis://HOST:PORT[/DB] or an ioredis client (used as is; not closed by close()). */
  readonly redis: string | Redis;
  /** Prefix of every Redis key and channel; default 'modgate:'. */
  readonly keyPrefix?: string;
  /** Bound on each Redis command; default 2000. */
  readonly commandTimeoutMs?: number;
  readonly logger?: CoordinationLogger;
}

/** Logs the first failure of an outage and the recovery, not every failed command. */
function outageLog(link: RedisLink, what: string, logger: CoordinationLogger | undefined) {
  let down = false;
  return {
    failed(err: unknown) {
      if (down) return;
      down = true;
      const reason = err instanceof Error ? err.message : String(err);
      logger?.warn({ reason }, `redis unreachable: ${what} is kept in this process only`);
    },
    ok() {
      if (!down) return;
      down = false;
      logger?.info({}, `redis reachable again: ${what} is shared again`);
    },
    link,
  };
}

/** Escapes Redis glob characters so a key prefix matches literally in SCAN MATCH. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export function createRedisFreshnessStore(opts: RedisFreshnessOptions): FreshnessStore {
  const prefix = opts.keyPrefix ?? 'modgate:';
  const fresh = (key: string) => `${prefix}fresh:${key}`;
  const neg = (key: string) => `${prefix}neg:${key}`;
  const link = linkRedis({ redis: opts.redis, ...(opts.commandTimeoutMs ? { commandTimeoutMs: opts.commandTimeoutMs } : {}) });
  const log = outageLog(link, 'cache freshness state', opts.logger);
  const memory = createMemoryFreshnessStore();

  /** Runs a Redis command; on failure answers `fallback()` (the memory copy). */
  async function shared<T>(run: (c: Redis) => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    await link.started;
    try {
      const v = await link.command(run);
      log.ok();
      return v;
    } catch (err) {
      log.failed(err);
      return fallback();
    }
  }

  async function deleteMatching(pattern: string, c: Redis): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await c.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await c.unlink(...keys);
    } while (cursor !== '0');
  }

  return {
    fetchedAt: (key) =>
      shared(
        async (c) => {
          const v = await c.get(fresh(key));
          return v === null ? undefined : Number(v);
        },
        () => memory.fetchedAt(key),
      ),
    async setFetchedAt(key, at, ttlMs) {
      await memory.setFetchedAt(key, at, ttlMs);
      await shared((c) => c.set(fresh(key), String(at), 'PX', Math.max(1, Math.ceil(ttlMs))), async () => 'OK');
    },
    negative: (key) =>
      shared(
        async (c) => {
          const v = await c.get(neg(key));
          return v === null ? undefined : (JSON.parse(v) as NegativeEntry);
        },
        () => memory.negative(key),
      ),
    async setNegative(key, entry, ttlMs) {
      await memory.setNegative(key, entry, ttlMs);
      const value = JSON.stringify({ code: entry.code, message: entry.message, ...(entry.hint ? { hint: entry.hint } : {}) });
      await shared((c) => c.set(neg(key), value, 'PX', Math.max(1, Math.ceil(ttlMs))), async () => 'OK');
    },
    async deleteNegative(key) {
      await memory.deleteNegative(key);
      await shared((c) => c.del(neg(key)), async () => 0);
    },
    async forgetPrefix(p) {
      await memory.forgetPrefix(p);
      // SCAN walks the whole keyspace in pages: fine for purges, which are rare.
      await shared(
        async (c) => {
          await deleteMatching(`${globEscape(fresh(p))}*`, c);
          await deleteMatching(`${globEscape(neg(p))}*`, c);
        },
        async () => undefined,
      );
    },
    async close() {
      await link.close();
    },
  };
}

/**
 * Purges announced on a Redis channel. Subscribers of this replica are called directly on publish;
 * messages from the channel that this replica sent are skipped. Purges published while Redis is
 * unreachable reach this replica only (publish resolves false).
 */
export function createRedisPurgeBus(opts: RedisFreshnessOptions): PurgeBus {
  const channel = `${opts.keyPrefix ?? 'modgate:'}purged`;
  const origin = randomBytes(8).toString('hex');
  const link = linkRedis({ redis: opts.redis, ...(opts.commandTimeoutMs ? { commandTimeoutMs: opts.commandTimeoutMs } : {}) });
  const log = outageLog(link, 'purge announcement', opts.logger);
  const subscribers = new Set<(path: string) => void>();
  const deliver = (path: string) => {
    for (const s of [...subscribers]) s(path);
  };
  const sub = link.duplicate();
  sub.on('message', (_ch: string, message: string) => {
    try {
      const m = JSON.parse(message) as { origin?: string; path?: string };
      if (m.origin !== origin && typeof m.path === 'string') deliver(m.path);
    } catch {
      // not one of ours
    }
  });
  const listen = () => void sub.subscribe(channel).catch(() => undefined);
  sub.on('ready', listen);
  if (sub.status === 'ready') listen();

  return {
    async publish(path) {
      deliver(path);
      await link.started;
      try {
        await link.command((c) => c.publish(channel, JSON.stringify({ origin, path })));
        log.ok();
        return true;
      } catch (err) {
        log.failed(err);
        return false;
      }
    },
    subscribe(onPurge) {
      subscribers.add(onPurge);
      return () => subscribers.delete(onPurge);
    },
    async close() {
      sub.disconnect();
      await link.close();
    },
  };
}

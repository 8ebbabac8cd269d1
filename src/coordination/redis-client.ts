// The Redis connection used by the coordination parts (lock, freshness, purge bus): made from a URL
// with settings that fail fast instead of queueing while Redis is down, every command bounded by a
// timeout, and the connection state exposed so callers can fall back to local behaviour.
import { Redis } from 'ioredis';

export type { Redis };

/** The few logger methods coordination uses (a pino logger fits). */
export interface CoordinationLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
}

export interface RedisLink {
  readonly client: Redis;
  /** True when the connection is up. */
  isReady(): boolean;
  /** Resolves once the first connection attempt has ended (connected or not), at most after timeoutMs. */
  readonly started: Promise<void>;
  /** Runs one command, rejecting after the command timeout (Redis hung or unreachable). */
  command<T>(run: (client: Redis) => Promise<T>): Promise<T>;
  /** The last connection error message (no credentials), if any. */
  lastError(): string | undefined;
  /** A second connection with the same settings (for pub/sub). */
  duplicate(): Redis;
  /** Closes the connection if it was made here (a client passed in is left to its owner). */
  close(): Promise<void>;
}

export interface RedisLinkOptions {
  /** A redis:// or rediss:// URL (with optional /DB), or a client to use as is. */
  readonly redis: string | Redis;
  /** Bound on every command; default 2000 ms. */
  readonly commandTimeoutMs?: number;
}

/** Removes a password from a redis URL for messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

export function linkRedis(opts: RedisLinkOptions): RedisLink {
  const timeoutMs = opts.commandTimeoutMs ?? 2000;
  const owned = typeof opts.redis === 'string';
  const client =
    typeof opts.redis === 'string'
      ? new Redis(opts.redis, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: timeoutMs,
          retryStrategy: (times) => Math.min(100 * times, 2000),
        })
      : opts.redis;
  let error: string | undefined;
  const noteError = (err: Error) => {
    error = err.message;
  };
  client.on('error', noteError);
  const started = new Promise<void>((resolve) => {
    if (client.status === 'ready') return resolve();
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', done);
    client.once('error', done);
    client.once('end', done);
  });
  return {
    client,
    isReady: () => client.status === 'ready',
    started,
    command<T>(run: (c: Redis) => Promise<T>): Promise<T> {
      if (client.status !== 'ready') return Promise.reject(new Error(`redis not connected (${client.status})`));
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`redis command timed out after ${timeoutMs} ms`)), timeoutMs);
        run(client).then(
          (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
      });
    },
    lastError: () => (error === undefined ? undefined : redactRedisUrl(error)),
    duplicate() {
      const dup = client.duplicate();
      dup.on('error', noteError);
      return dup;
    },
    async close() {
      if (owned) client.disconnect();
    },
  };
}

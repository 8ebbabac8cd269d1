// Freshness state the replicas of one cache share: when a mutable object (list, @latest, a version
// query) was last fetched, the not-found answers being remembered, and purge announcements. The
// interfaces are here with in-memory implementations (the single-process default);
// redis-freshness.ts has the Redis ones. Both pass freshness-compliance.ts.
//
// Keys are the cache's own keys (storage keys, or `query:PATH@VERSION`); a purge of a module path
// forgets every key that starts with the prefix it is given.
import type { ErrorCode } from '../errors/modgate-error.js';

/** A remembered not-found answer (what the cache throws again, with cache 'negative'). */
export interface NegativeEntry {
  readonly code: ErrorCode;
  readonly message: string;
  readonly hint?: string;
}

/**
 * Shared fetch times and negative answers. Methods never reject because a backend is unreachable:
 * a shared store then answers from, and writes to, this process's memory (and logs it).
 */
export interface FreshnessStore {
  /** When `key` was last fetched from upstream (ms since the epoch); undefined when unknown. */
  fetchedAt(key: string): Promise<number | undefined>;
  /** Records a fetch; it is forgotten after `ttlMs` (use at least the TTL + stale window that reads it). */
  setFetchedAt(key: string, at: number, ttlMs: number): Promise<void>;
  /** The not-found answer remembered for `key`; undefined when none or expired. */
  negative(key: string): Promise<NegativeEntry | undefined>;
  setNegative(key: string, entry: NegativeEntry, ttlMs: number): Promise<void>;
  deleteNegative(key: string): Promise<void>;
  /** Forgets fetch times and negative answers of every key starting with `prefix` (after a purge). */
  forgetPrefix(prefix: string): Promise<void>;
  /** Closes connections made by the store. */
  close(): Promise<void>;
}

export interface PurgeBus {
  /**
   * Announces that `path` was purged to every subscriber of every replica (this one included,
   * synchronously). Resolves false when only this replica could be told (backend unreachable).
   */
  publish(path: string): Promise<boolean>;
  /** Calls `onPurge` for every purge announced by any replica; returns the unsubscribe function. */
  subscribe(onPurge: (path: string) => void): () => void;
  close(): Promise<void>;
}

interface Expiring<T> {
  value: T;
  expires: number;
}

/** A bounded map of values with expiry times (oldest entries dropped beyond `max`). */
class ExpiringMap<T> {
  private readonly map = new Map<string, Expiring<T>>();
  constructor(
    private readonly now: () => number,
    private readonly max: number,
  ) {}

  get(key: string): T | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: T, ttlMs: number): void {
    this.map.delete(key);
    this.map.set(key, { value, expires: this.now() + ttlMs });
    while (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  deletePrefix(prefix: string): void {
    for (const k of this.map.keys()) if (k.startsWith(prefix)) this.map.delete(k);
  }
}

export interface MemoryFreshnessOptions {
  readonly now?: () => number;
  /** Most entries of each kind kept; default 100000. */
  readonly maxEntries?: number;
}

export function createMemoryFreshnessStore(opts: MemoryFreshnessOptions = {}): FreshnessStore {
  const now = opts.now ?? Date.now;
  const max = opts.maxEntries ?? 100_000;
  const fetched = new ExpiringMap<number>(now, max);
  const negatives = new ExpiringMap<NegativeEntry>(now, max);
  return {
    fetchedAt: async (key) => fetched.get(key),
    setFetchedAt: async (key, at, ttlMs) => fetched.set(key, at, ttlMs),
    negative: async (key) => negatives.get(key),
    setNegative: async (key, entry, ttlMs) => negatives.set(key, entry, ttlMs),
    deleteNegative: async (key) => negatives.delete(key),
    async forgetPrefix(prefix) {
      fetched.deletePrefix(prefix);
      negatives.deletePrefix(prefix);
    },
    close: () => Promise.resolve(),
  };
}

/** A purge bus for one process: publish calls the subscribers directly. */
export function createLocalPurgeBus(): PurgeBus {
  const subscribers = new Set<(path: string) => void>();
  return {
    async publish(path) {
      for (const s of [...subscribers]) s(path);
      return true;
    },
    subscribe(onPurge) {
      subscribers.add(onPurge);
      return () => subscribers.delete(onPurge);
    },
    close: () => Promise.resolve(),
  };
}

// A bounded in-memory map whose entries expire: used for negative answers and resolved queries.
// Oldest entries are dropped first when full.

export interface ExpiringMemo<V> {
  get(key: string): V | undefined;
  set(key: string, value: V, ttlMs: number): void;
  delete(key: string): void;
  /** Deletes every key starting with prefix. */
  deletePrefix(prefix: string): void;
  readonly size: number;
}

export function createExpiringMemo<V>(maxEntries: number, now: () => number = Date.now): ExpiringMemo<V> {
  const map = new Map<string, { value: V; expires: number }>();
  return {
    get(key) {
      const e = map.get(key);
      if (!e) return undefined;
      if (e.expires <= now()) {
        map.delete(key);
        return undefined;
      }
      return e.value;
    },
    set(key, value, ttlMs) {
      if (ttlMs <= 0) return;
      map.delete(key);
      map.set(key, { value, expires: now() + ttlMs });
      while (map.size > maxEntries) map.delete(map.keys().next().value as string);
    },
    delete(key) {
      map.delete(key);
    },
    deletePrefix(prefix) {
      for (const k of [...map.keys()]) if (k.startsWith(prefix)) map.delete(k);
    },
    get size() {
      return map.size;
    },
  };
}

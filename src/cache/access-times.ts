// When each cached version was last served, for GC's least-recently-used order. The module cache
// records accesses as it serves .info/.mod/.zip; each replica writes its own times to storage
// (`.modgate/access/<replica>.json`) now and then, and readers merge every replica's file.
import { hostname } from 'node:os';
import type { Storage } from '../storage/storage.js';
import { STATE_PREFIX } from './cache-keys.js';

const ACCESS_PREFIX = `${STATE_PREFIX}access/`;

export interface AccessTimes {
  /** Records that module@version was served now. */
  touch(path: string, version: string): void;
  /** Writes this replica's pending times to storage. */
  flush(): Promise<void>;
  /** Every replica's times (this one's unflushed ones included), keyed `path@version`. */
  merged(): Promise<Map<string, number>>;
}

export function createAccessTimes(opts: { readonly storage: Storage; readonly now?: () => number }): AccessTimes {
  const { storage } = opts;
  const now = opts.now ?? Date.now;
  /** module path → version → time (two lookups and no new key string per touch). */
  const access = new Map<string, Map<string, number>>();
  const entries = function* (): Generator<[string, number]> {
    for (const [path, versions] of access) for (const [version, t] of versions) yield [`${path}@${version}`, t];
  };
  let dirty = false;
  const replica = `${hostname()}-${process.pid}`.replace(/[^A-Za-z0-9._-]/g, '_');
  return {
    touch(path, version) {
      let versions = access.get(path);
      if (versions === undefined) access.set(path, (versions = new Map<string, number>()));
      versions.set(version, now());
      dirty = true;
    },
    async flush() {
      if (!dirty) return;
      dirty = false;
      await storage.put(`${ACCESS_PREFIX}${replica}.json`, Buffer.from(JSON.stringify(Object.fromEntries(entries()))));
    },
    async merged() {
      const merged = new Map<string, number>();
      for await (const key of storage.list(ACCESS_PREFIX)) {
        const b = await storage.get(key);
        if (!b) continue;
        try {
          for (const [k, t] of Object.entries(JSON.parse(b.toString('utf8')) as Record<string, number>)) merged.set(k, Math.max(merged.get(k) ?? 0, t));
        } catch {
          // a torn or foreign file: ignore
        }
      }
      for (const [k, t] of entries()) merged.set(k, Math.max(merged.get(k) ?? 0, t));
      return merged;
    },
  };
}

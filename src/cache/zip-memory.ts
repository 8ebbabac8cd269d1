// Hot zips in memory: byte-budgeted copies of stored (so verified and committed) zips, so a hit is
// answered from one buffer instead of a file stream. A copy is keyed by storage key and tied to
// the size and time of the stored file it was read from (a zip stored again is read again). The
// budget counts copies held and copies being read: the two together never exceed it, and a zip
// above the per-zip maximum is never held (it is streamed from storage). Least recently used
// copies make room for new ones; forgetting a module path (purge, GC) drops its copies.
import { LRUCache } from 'lru-cache';
import type { ObjectStat } from '../storage/storage.js';

export interface ZipMemoryOptions {
  /** Bytes of zip copies held (and being read) at most; 0 = none. */
  readonly budgetBytes: number;
  /** Bytes of the largest zip held. */
  readonly maxZipBytes: number;
}

export interface ZipMemory {
  /** The bytes held for `key` when they are the stored file `stat` describes (counts as a use). */
  get(key: string, stat: ObjectStat): Buffer | undefined;
  /**
   * Reads the zip through `read` (the whole stored file) and keeps it, when it fits the budget;
   * concurrent reads of one key share one read. Undefined when it is not kept (too large, no room
   * beside the reads in progress, or `read` found other bytes than `stat` describes): stream it then.
   */
  load(key: string, stat: ObjectStat, read: () => Promise<Buffer | undefined>): Promise<Buffer | undefined> | undefined;
  /** Drops the copy of `key` (the stored file changed or vanished). */
  drop(key: string): void;
  /** Drops every copy whose key starts with `prefix` ('' = all), and any read in progress for one. */
  dropPrefix(prefix: string): void;
  /** Bytes of the copies held now. */
  readonly heldBytes: number;
  /** Copies held now. */
  readonly count: number;
}

interface Held {
  readonly body: Buffer;
  readonly modified: number;
}

interface Loading {
  readonly modified: number;
  readonly size: number;
  readonly done: Promise<Buffer | undefined>;
}

export function createZipMemory(opts: ZipMemoryOptions): ZipMemory {
  const budget = opts.budgetBytes;
  const maxZip = Math.min(opts.maxZipBytes, budget);
  const held = new LRUCache<string, Held>({ maxSize: Math.max(budget, 1), sizeCalculation: (h) => Math.max(h.body.length, 1) });
  const loading = new Map<string, Loading>();
  let loadingBytes = 0;

  const matches = (h: { modified: number }, stat: ObjectStat): boolean => h.modified === stat.modified.getTime();

  return {
    get(key, stat) {
      const h = held.get(key);
      return h !== undefined && h.body.length === stat.size && matches(h, stat) ? h.body : undefined;
    },
    load(key, stat, read) {
      if (budget <= 0 || stat.size > maxZip) return undefined;
      const modified = stat.modified.getTime();
      const l = loading.get(key);
      if (l !== undefined) return l.modified === modified && l.size === stat.size ? l.done : undefined;
      // Room for this copy beside those held and those being read: the oldest copies go first.
      const before = held.get(key);
      if (before !== undefined && !matches(before, stat)) held.delete(key);
      while (held.size > 0 && held.calculatedSize + loadingBytes + stat.size > budget) held.pop();
      if (held.calculatedSize + loadingBytes + stat.size > budget) return undefined;
      loadingBytes += stat.size;
      const entry: Loading = {
        modified,
        size: stat.size,
        done: read().then(
          (body) => {
            const current = loading.get(key) === entry;
            if (current) finish();
            if (body === undefined || body.length !== stat.size) return undefined;
            if (current) held.set(key, { body, modified });
            return body;
          },
          (err: unknown) => {
            if (loading.get(key) === entry) finish();
            throw err;
          },
        ),
      };
      const finish = (): void => {
        loading.delete(key);
        loadingBytes -= entry.size;
      };
      loading.set(key, entry);
      return entry.done;
    },
    drop(key) {
      held.delete(key);
    },
    dropPrefix(prefix) {
      for (const k of [...held.keys()]) if (k.startsWith(prefix)) held.delete(k);
      for (const [k, l] of [...loading]) {
        if (!k.startsWith(prefix)) continue;
        loading.delete(k);
        loadingBytes -= l.size;
      }
    },
    get heldBytes() {
      return held.calculatedSize;
    },
    get count() {
      return held.size;
    },
  };
}

// Prefetch: when a .mod is fetched for a client, the .mod (and .info) of its requirements are
// fetched ahead of the client, a bounded number at a time and a bounded depth down the graph,
// through the same cache fill (single-flight, integrity gate, private routing). The go command
// walks the graph level by level; this keeps the next level ready.
import { parseGoMod } from '../module/go-mod.js';
import { checkVersion, isCanonical } from '../module/version.js';
import { LRUCache } from 'lru-cache';
import pLimit from 'p-limit';

export type PrefetchOutcome = 'fetched' | 'hit' | 'used' | 'error';

export interface PrefetcherOptions {
  readonly concurrency: number;
  readonly depth: number;
  /** Fetches one file for prefetch; resolves with whether it came from the upstream (a miss). */
  readonly fetch: (kind: 'mod' | 'info', path: string, version: string, depthLeft: number) => Promise<boolean>;
  readonly onOutcome?: (o: PrefetchOutcome) => void;
}

export interface Prefetcher {
  /** Schedules the requirements of a go.mod that was just fetched, `depthLeft` levels down. */
  afterModFetched(goMod: Buffer, depthLeft: number): void;
  /** Tells the prefetcher a client asked for a key: counts a prefetch that was used. */
  clientAsked(key: string): void;
  /** Marks a key as filled by prefetch. */
  markPrefetched(key: string): void;
  readonly pending: number;
  /** Drops queued work (shutdown). */
  clear(): void;
}

export function createPrefetcher(opts: PrefetcherOptions): Prefetcher {
  const limit = pLimit(Math.max(1, opts.concurrency));
  const scheduled = new LRUCache<string, true>({ max: 100_000 });
  const filled = new LRUCache<string, true>({ max: 100_000 });

  const enqueue = (kind: 'mod' | 'info', path: string, version: string, depthLeft: number): void => {
    const id = `${kind} ${path}@${version}`;
    if (scheduled.has(id)) return;
    scheduled.set(id, true);
    void limit(async () => {
      try {
        const fetched = await opts.fetch(kind, path, version, depthLeft);
        opts.onOutcome?.(fetched ? 'fetched' : 'hit');
      } catch {
        opts.onOutcome?.('error');
      }
    });
  };

  return {
    afterModFetched(goMod, depthLeft) {
      if (depthLeft <= 0) return;
      let requires;
      try {
        requires = parseGoMod(goMod.toString('utf8')).require;
      } catch {
        return; // an unparsable go.mod: the client will see it; nothing to prefetch
      }
      for (const r of requires) {
        if (!isCanonical(r.version)) continue;
        try {
          checkVersion(r.path, r.version);
        } catch {
          continue;
        }
        enqueue('mod', r.path, r.version, depthLeft - 1);
        if (depthLeft === opts.depth) enqueue('info', r.path, r.version, 0);
      }
    },
    clientAsked(key) {
      if (filled.has(key)) {
        filled.delete(key);
        opts.onOutcome?.('used');
      }
    },
    markPrefetched(key) {
      filled.set(key, true);
    },
    get pending() {
      return limit.pendingCount + limit.activeCount;
    },
    clear() {
      limit.clearQueue();
    },
  };
}

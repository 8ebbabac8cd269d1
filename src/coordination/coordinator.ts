// The Coordinator role: single-flight around cache fills. `run(key, fill)` runs `fill` once for any
// number of concurrent callers with the same key and hands every caller the same outcome.
// Implementations: in-process (local-coordinator.ts); redis-coordinator.ts wraps the local one with
// a distributed lock so that, across replicas, one fill per key runs at a time.
//
// The fill contract (what callers of run() must write):
//  1. A fill starts by re-reading storage and returns what it finds there, if anything. Only then
//     does it fetch and store. A caller that waited for another replica's fill does not get that
//     replica's result handed over: its own fill runs after the other one ended, and step 1 finds
//     the stored object (or, when the other fill failed, it fetches itself).
//  2. Before making its result visible (the last storage write), a fill that may have run for long
//     calls `ctx.stillOwner()`; on false, another replica has taken over the key (this one's lease
//     expired), so it drops its result and re-reads storage instead of writing. Storage writes are
//     atomic, so a late duplicate write of an immutable file is harmless; the check avoids
//     overwriting a newer mutable object (list, @latest) with an older one.
//  3. A lock that cannot be had never becomes an error: when the lock service is unreachable, fills
//     run with in-process single-flight only (and health() says so).

export interface FillContext {
  /**
   * Fencing token: strictly increases with every distributed lock grant (any key); 0 when the fill
   * runs without a distributed lock (local coordinator, or the lock service is unreachable).
   */
  readonly fence: number;
  /**
   * True while this fill still holds its key: always true without a distributed lock; with one,
   * false once another holder has the key (checked against the lock service).
   */
  stillOwner(): Promise<boolean>;
  /** Aborted when the coordinator learns the lock was lost (a lease renewal found another holder). */
  readonly signal: AbortSignal;
}

/** `fill` may ignore its context: `() => Promise<T>` is a valid fill. */
export type Fill<T> = (ctx: FillContext) => Promise<T>;

export interface Coordinator {
  run<T>(key: string, fill: Fill<T>): Promise<T>;
  /** Number of fills currently running (for shutdown and metrics). */
  readonly inFlight: number;
}

export interface CoordinatorStats {
  /** Callers that joined a fill already running instead of starting their own. */
  joins: number;
  /** Fills started. */
  fills: number;
}

export interface CoordinatorHealth {
  /** 'ok', or 'degraded' when a distributed coordinator runs local-only (lock service unreachable). */
  readonly status: 'ok' | 'degraded';
  /** What is wrong, when degraded (no credentials). */
  readonly detail?: string;
}

/** The context of a fill that runs without a distributed lock. */
export function localFillContext(): FillContext {
  return { fence: 0, stillOwner: () => Promise.resolve(true), signal: new AbortController().signal };
}

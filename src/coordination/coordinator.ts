// The Coordinator role: single-flight around cache fills. `run(key, fill)` runs `fill` once for any
// number of concurrent callers with the same key and hands every caller the same outcome.
// Implementations: in-process (local-coordinator.ts); a distributed one wraps the local one.

export interface Coordinator {
  run<T>(key: string, fill: () => Promise<T>): Promise<T>;
  /** Number of fills currently running (for shutdown and metrics). */
  readonly inFlight: number;
}

export interface CoordinatorStats {
  /** Callers that joined a fill already running instead of starting their own. */
  joins: number;
  /** Fills started. */
  fills: number;
}

// In-process single-flight: concurrent callers with one key share one running promise.
import { localFillContext, type Coordinator, type CoordinatorStats, type Fill } from './coordinator.js';

export function createLocalCoordinator(stats: CoordinatorStats = { joins: 0, fills: 0 }): Coordinator & { stats: CoordinatorStats } {
  const running = new Map<string, Promise<unknown>>();
  return {
    stats,
    get inFlight() {
      return running.size;
    },
    run<T>(key: string, fill: Fill<T>): Promise<T> {
      const existing = running.get(key);
      if (existing) {
        stats.joins++;
        return existing as Promise<T>;
      }
      stats.fills++;
      const p = (async () => {
        try {
          return await fill(localFillContext());
        } finally {
          running.delete(key);
        }
      })();
      running.set(key, p);
      return p;
    },
  };
}

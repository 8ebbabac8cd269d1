// An entry bound for lru-cache that grows with use: `{ max: n }` makes lru-cache allocate its
// arrays for n entries up front (keys, values, links, free list; with a TTL two more), about
// 0.5 MiB for 10 000 entries that an idle server never fills (issue #10: idle RSS). The same bound
// given as a size budget of one per entry lets those arrays grow as entries arrive; what is kept
// and what is evicted (least recently used first) is the same.
export interface EntryBound {
  readonly maxSize: number;
  readonly sizeCalculation: () => number;
}

const one = (): number => 1;

/** lru-cache options holding at most `entries` entries, with storage allocated as they arrive. */
export function entryBound(entries: number): EntryBound {
  return { maxSize: entries, sizeCalculation: one };
}

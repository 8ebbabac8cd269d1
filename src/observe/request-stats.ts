// In-memory request statistics for the dashboard: a one-hour time series in 10 s buckets (counts
// and latency percentiles), the most recent request-flow entries, and per-upstream health.

export interface FlowEntry {
  readonly time: string;
  readonly method: string;
  readonly path: string;
  readonly module?: string;
  readonly version?: string;
  readonly kind: string;
  readonly cache: string;
  readonly source: string;
  readonly status: number;
  readonly bytes: number;
  readonly latencyMs: number;
  /** Upstreams skipped because their circuit was open. */
  readonly skipped?: readonly string[];
  /** Who asked (identity name or jwt:<subject>); absent for anonymous requests. */
  readonly identity?: string;
}

/** A flow entry without its time and latency: the constant part of many answers (the request path's templates). */
export type FlowBase = Omit<FlowEntry, 'time' | 'latencyMs'>;

export interface SeriesPoint {
  readonly t: number;
  readonly requests: number;
  readonly hits: number;
  readonly misses: number;
  readonly errors: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Circuit breaker state (closed | open | half_open), when the upstream has a breaker. */
  readonly circuit?: string;
}

export interface UpstreamHealth {
  readonly name: string;
  readonly requests: number;
  readonly errors: number;
  readonly notFound: number;
  /** Answers refused by modgate's checks (zip rules, .mod/.info checks, checksum mismatches). */
  readonly refused: number;
  readonly lastError?: string;
  readonly lastErrorAt?: string;
  readonly lastRefusal?: string;
  readonly lastRefusalAt?: string;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface Totals {
  requests: number;
  hits: number;
  misses: number;
  stale: number;
  /** Answers from the negative cache (a remembered not-found). */
  negative: number;
  /** Every not-found answer (404/410): from the negative cache or from the upstreams. */
  notFound: number;
  errors: number;
}

const STEP_MS = 10_000;
const BUCKETS = 360;
const SAMPLES_PER_BUCKET = 256;
const RECENT = 500;

interface Bucket {
  t: number;
  requests: number;
  hits: number;
  misses: number;
  errors: number;
  latencies: number[];
}

interface UpstreamState {
  requests: number;
  errors: number;
  notFound: number;
  refused: number;
  lastError?: string;
  lastErrorAt?: string;
  lastRefusal?: string;
  lastRefusalAt?: string;
  latencies: number[];
  circuit?: string;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i]! * 100) / 100;
}

export interface RequestStats {
  readonly totals: Readonly<Totals>;
  record(e: FlowEntry): void;
  /** Records an answer like `e` finished at `timeMs` (epoch ms) after `latencyMs` (what record() records, without a new object). */
  recordAt(e: FlowBase, timeMs: number, latencyMs: number): void;
  recordUpstream(name: string, outcome: 'ok' | 'not_found' | 'error', ms: number, error?: string): void;
  /** Records that an upstream's answer was refused by a check (it then counts as unhealthy). */
  recordRefusal(name: string, reason: string): void;
  series(minutes: number): SeriesPoint[];
  recent(limit: number): FlowEntry[];
  upstreams(): UpstreamHealth[];
  /** Records an upstream's circuit breaker state. */
  recordCircuit(name: string, state: string): void;
}

export function createRequestStats(now: () => number = Date.now): RequestStats {
  const buckets: Bucket[] = [];
  // The most recent entries, a ring: base entry, time and latency in parallel slots.
  const recentBase: FlowBase[] = [];
  const recentAt = new Float64Array(RECENT);
  const recentLatency = new Float64Array(RECENT);
  let recentNext = 0;
  const totals: Totals = { requests: 0, hits: 0, misses: 0, stale: 0, negative: 0, notFound: 0, errors: 0 };
  const ups = new Map<string, UpstreamState>();

  const upstreamState = (name: string): UpstreamState => {
    let s = ups.get(name);
    if (!s) ups.set(name, (s = { requests: 0, errors: 0, notFound: 0, refused: 0, latencies: [] }));
    return s;
  };

  const bucketFor = (t: number): Bucket => {
    const start = Math.floor(t / STEP_MS) * STEP_MS;
    let last = buckets.at(-1);
    if (!last || last.t !== start) {
      last = { t: start, requests: 0, hits: 0, misses: 0, errors: 0, latencies: [] };
      buckets.push(last);
      while (buckets.length > BUCKETS) buckets.shift();
    }
    return last;
  };


  /** Counts an answer in the bucket of `bucketMs` and keeps it among the recent ones (finished at `atMs`). */
  const add = (e: FlowBase, bucketMs: number, atMs: number, latencyMs: number): void => {
      if (e.kind === 'other' || e.kind === 'admin' || e.kind === 'metrics' || e.kind === 'api' || e.kind === 'dashboard') return;
      const b = bucketFor(bucketMs);
      b.requests++;
      totals.requests++;
      if (e.status >= 500) {
        b.errors++;
        totals.errors++;
      } else if (e.cache === 'hit') {
        b.hits++;
        totals.hits++;
      } else if (e.cache === 'miss') {
        b.misses++;
        totals.misses++;
      } else if (e.cache === 'stale') totals.stale++;
      else if (e.cache === 'negative') totals.negative++;
      if (e.status === 404 || e.status === 410) totals.notFound++;
      if (b.latencies.length < SAMPLES_PER_BUCKET) b.latencies.push(latencyMs);
      else b.latencies[Math.floor(Math.random() * SAMPLES_PER_BUCKET)] = latencyMs;
      const i = recentNext % RECENT;
      recentBase[i] = e;
      recentAt[i] = atMs;
      recentLatency[i] = latencyMs;
      recentNext++;
  };

  const stats: RequestStats = {
    totals,
    record(e) {
      const { time, latencyMs, ...base } = e;
      add(base, now(), Date.parse(time), latencyMs);
    },
    recordAt: (e, timeMs, latencyMs) => add(e, timeMs, timeMs, latencyMs),

    recordCircuit(name, state) {
      upstreamState(name).circuit = state;
    },
    recordRefusal(name, reason) {
      const s = upstreamState(name);
      s.refused++;
      s.lastRefusal = reason;
      s.lastRefusalAt = new Date(now()).toISOString();
    },
    recordUpstream(name, outcome, ms, error) {
      const s = upstreamState(name);
      s.requests++;
      if (outcome === 'error') {
        s.errors++;
        s.lastError = error ?? 'error';
        s.lastErrorAt = new Date(now()).toISOString();
      } else if (outcome === 'not_found') s.notFound++;
      else {
        s.latencies.push(ms);
        if (s.latencies.length > 1000) s.latencies.shift();
      }
    },
    series(minutes) {
      const from = now() - minutes * 60_000;
      return buckets
        .filter((b) => b.t >= from - STEP_MS)
        .map((b) => {
          const sorted = [...b.latencies].sort((x, y) => x - y);
          return { t: b.t, requests: b.requests, hits: b.hits, misses: b.misses, errors: b.errors, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
        });
    },
    recent(limit) {
      const out: FlowEntry[] = [];
      for (let n = recentNext - 1; n >= 0 && n >= recentNext - RECENT && out.length < limit; n--) {
        const i = n % RECENT;
        out.push({ ...recentBase[i]!, time: new Date(recentAt[i]!).toISOString(), latencyMs: recentLatency[i]! });
      }
      return out;
    },
    upstreams() {
      return [...ups.entries()].map(([name, s]) => {
        const sorted = [...s.latencies].sort((x, y) => x - y);
        return {
          name,
          requests: s.requests,
          errors: s.errors,
          notFound: s.notFound,
          refused: s.refused,
          ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
          ...(s.lastErrorAt !== undefined ? { lastErrorAt: s.lastErrorAt } : {}),
          ...(s.lastRefusal !== undefined ? { lastRefusal: s.lastRefusal } : {}),
          ...(s.lastRefusalAt !== undefined ? { lastRefusalAt: s.lastRefusalAt } : {}),
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          ...(s.circuit !== undefined ? { circuit: s.circuit } : {}),
        };
      });
    },
  };
  return stats;
}

// Prometheus metrics (prom-client) on a registry of modgate's own: requests, latency, upstream
// fetches, single-flight joins, checksum verifications, pollution events, cache contents, process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { createRequestMetrics, type BoundHistogram, type RequestSlot } from './request-metrics.js';

export type { RequestSlot } from './request-metrics.js';

export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'kind' | 'result' | 'status'>;
  readonly requestDuration: BoundHistogram<'kind' | 'result'>;
  readonly bytesServed: Counter<'kind'>;
  /** The three request metrics of one label set, bound once (plain counts, read at scrape time). */
  requestSlot(kind: string, result: string, status: number): RequestSlot;
  readonly upstreamFetches: Counter<'upstream' | 'kind' | 'outcome'>;
  readonly upstreamDuration: Histogram<'upstream' | 'kind'>;
  readonly bytesFetched: Counter<'upstream'>;
  /** Circuit breaker state per upstream: 0 closed, 1 open, 2 half-open (probing). */
  readonly circuitState: Gauge<'upstream'>;
  readonly circuitSkips: Counter<'upstream'>;
  readonly singleflightJoins: Counter;
  readonly verifications: Counter<'kind' | 'result'>;
  readonly pollutionEvents: Counter<'upstream' | 'kind'>;
  readonly sumdbForks: Counter<'sumdb'>;
  readonly prefetches: Counter<'outcome'>;
  readonly hedges: Counter<'from' | 'to'>;
  readonly cacheObjects: Gauge<'kind'>;
  readonly cacheBytes: Gauge;
  readonly storageErrors: Counter<'op' | 'code'>;
  readonly policyRefusals: Counter<'rule' | 'mode'>;
}

export interface MetricsOptions {
  readonly processMetrics?: boolean;
  /** Source of the single-flight join count (read at scrape time). */
  readonly singleflightJoins?: () => number;
  /**
   * What the cache holds (read at scrape time from the inventory's scan, so the numbers the
   * dashboard shows): bytes and objects by kind. A failing read leaves the last values.
   */
  readonly cacheContents?: () => Promise<{ readonly bytes: number; readonly objects: Readonly<Record<string, number>> }>;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'modgate_' });
  const registers = [registry];
  const readContents = async () => opts.cacheContents?.().catch(() => undefined);
  return {
    registry,
    ...createRequestMetrics(registers),
    upstreamFetches: new Counter({ name: 'modgate_upstream_fetches_total', help: 'Upstream fetches by upstream, kind and outcome (ok|not_found|error|refused)', labelNames: ['upstream', 'kind', 'outcome'], registers }),
    upstreamDuration: new Histogram({
      name: 'modgate_upstream_fetch_duration_seconds',
      help: 'Upstream fetch latency (until the body is stored and checked)',
      labelNames: ['upstream', 'kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    bytesFetched: new Counter({ name: 'modgate_bytes_fetched_total', help: 'Bytes fetched from upstreams', labelNames: ['upstream'], registers }),
    circuitState: new Gauge({ name: 'modgate_upstream_circuit_state', help: 'Upstream circuit breaker state: 0 closed, 1 open (skipped), 2 half-open (one probe let through)', labelNames: ['upstream'], registers }),
    circuitSkips: new Counter({ name: 'modgate_upstream_circuit_skips_total', help: 'Upstream calls skipped because the circuit was open', labelNames: ['upstream'], registers }),
    singleflightJoins: new Counter({
      name: 'modgate_singleflight_joins_total',
      help: 'Requests that joined a fill already in progress instead of fetching again',
      registers,
      collect() {
        if (!opts.singleflightJoins) return;
        this.reset();
        this.inc(opts.singleflightJoins());
      },
    }),
    verifications: new Counter({ name: 'modgate_checksum_verifications_total', help: 'Checksum verifications by kind and result (ok|pinned|mismatch|pin_mismatch|error)', labelNames: ['kind', 'result'], registers }),
    pollutionEvents: new Counter({ name: 'modgate_pollution_events_total', help: 'Upstream answers refused because they did not match the checksum database or a pinned hash', labelNames: ['upstream', 'kind'], registers }),
    sumdbForks: new Counter({ name: 'modgate_sumdb_fork_detected_total', help: 'Checksum database forks detected (security incident)', labelNames: ['sumdb'], registers }),
    prefetches: new Counter({ name: 'modgate_prefetch_total', help: 'Prefetched go.mod files by outcome (fetched|hit|used|error)', labelNames: ['outcome'], registers }),
    hedges: new Counter({ name: 'modgate_upstream_hedges_total', help: 'Hedged upstream requests: the next "|" upstream was asked because the first was slow', labelNames: ['from', 'to'], registers }),
    cacheObjects: new Gauge({
      name: 'modgate_cache_objects',
      help: 'Cached objects by kind (from the last cache scan)',
      labelNames: ['kind'],
      registers,
      async collect() {
        const c = await readContents();
        if (!c) return;
        this.reset();
        for (const [kind, n] of Object.entries(c.objects)) this.set({ kind }, n);
      },
    }),
    cacheBytes: new Gauge({
      name: 'modgate_cache_bytes',
      help: 'Bytes in the cache (from the last cache scan; the number the dashboard shows)',
      registers,
      async collect() {
        const c = await readContents();
        if (c) this.set(c.bytes);
      },
    }),
    policyRefusals: new Counter({ name: 'modgate_policy_refusals_total', help: 'Requests for versions the version policy refuses, by rule and mode (enforce: refused with 403; dry-run: served)', labelNames: ['rule', 'mode'], registers }),
    storageErrors: new Counter({ name: 'modgate_storage_errors_total', help: 'Store operations that failed (the file was served uncached) by op and errno code', labelNames: ['op', 'code'], registers }),
  };
}

// The request metrics (requests, latency histogram, bytes served) counted in plain numbers per label
// set bound once, and handed to prom-client when the registry is read: a counter's collect() adds
// what was counted since the last read, the latency histogram reports its own buckets. prom-client's
// inc/observe validate and hash the labels on every call, which costs more than answering a hit
// from memory. What a scrape (or a cluster worker's JSON) shows is what prom-client would show.
import { Counter, Histogram, type Registry, type HistogramConfiguration, type LabelValues, type MetricObjectWithValues, type MetricValueWithName } from 'prom-client';

/** The request metrics of one kind/result/status, bound once. */
export interface RequestSlot {
  /** One answered request: its latency in seconds and, for a GET, its body bytes (undefined otherwise). */
  add(seconds: number, getBytes: number | undefined): void;
}

interface Series {
  readonly labels: Record<string, string | number>;
  readonly buckets: Float64Array;
  sum: number;
  count: number;
  /** Shown with zero counts (zero() was called). */
  zeroed: boolean;
}

/** A histogram whose series are bound once (series()); observe() also works, through the same series. */
export class BoundHistogram<T extends string> extends Histogram<T> {
  readonly #series = new Map<string, Series>();
  readonly #bounds: readonly number[];
  readonly #name: string;
  readonly #labelNames: readonly string[];

  constructor(config: HistogramConfiguration<T> & { readonly buckets: number[] }) {
    super(config);
    this.#bounds = [...config.buckets].sort((a, b) => a - b);
    this.#name = config.name;
    this.#labelNames = config.labelNames ?? [];
    // (prom-client sets observe as an instance property: replaced the same way.)
    const observe = (a: LabelValues<T> | number, b?: number): void => {
      if (typeof a === 'number') this.series({})(a);
      else this.series(a)(b ?? Number.NaN);
    };
    Object.assign(this, { observe });
  }

  /** The observer of one label set (made once per set; hold on to it). */
  series(labels: LabelValues<T>): (value: number) => void {
    const key = this.#labelNames.map((n) => String(labels[n as T] ?? '')).join('\u0000');
    let s = this.#series.get(key);
    if (s === undefined) {
      s = { labels: { ...labels } as Record<string, string | number>, buckets: new Float64Array(this.#bounds.length), sum: 0, count: 0, zeroed: false };
      this.#series.set(key, s);
    }
    const series = s;
    const bounds = this.#bounds;
    return (value) => {
      if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
      for (let i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]!) {
          series.buckets[i]!++;
          break;
        }
      }
      series.sum += value;
      series.count++;
    };
  }

  override zero(labels: LabelValues<T>): void {
    this.series(labels);
    const key = this.#labelNames.map((n) => String(labels[n as T] ?? '')).join('\u0000');
    const s = this.#series.get(key)!;
    s.buckets.fill(0);
    s.sum = 0;
    s.count = 0;
    s.zeroed = true;
  }

  override reset(): void {
    // (Also called by prom-client's constructor, before this class's fields exist.)
    if (!(#series in this)) return;
    for (const s of this.#series.values()) {
      s.buckets.fill(0);
      s.sum = 0;
      s.count = 0;
      s.zeroed = false;
    }
  }

  /** What prom-client's Histogram reports for the same observations (text form: labels and shared labels apart). */
  async getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    const bucketName = `${this.#name}_bucket`;
    const values: Array<Record<string, unknown>> = [];
    for (const s of this.#series.values()) {
      if (s.count === 0 && !s.zeroed) continue;
      let acc = 0;
      for (let i = 0; i < this.#bounds.length; i++) {
        acc += s.buckets[i]!;
        values.push({ labels: { le: this.#bounds[i] }, sharedLabels: s.labels, value: acc, metricName: bucketName, exemplar: null });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucketName, exemplar: null },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.#name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.#name}_count`, exemplar: undefined },
      );
    }
    const self = this as unknown as { help: string; type: string; aggregator: string };
    const name = this.#name;
    return { name, help: self.help, type: self.type, values, aggregator: self.aggregator } as unknown as MetricObjectWithValues<MetricValueWithName<T>>;
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    const data = await this.getForPromString();
    const values = (data.values as unknown as Array<Record<string, unknown>>).map(({ sharedLabels, labels, ...rest }) => ({ ...rest, labels: { ...(labels as object), ...(sharedLabels as object) } }));
    return { ...data, values } as unknown as MetricObjectWithValues<MetricValueWithName<T>>;
  }
}

interface Slot extends RequestSlot {
  readonly counterLabels: { kind: string; result: string; status: string };
  readonly bytesLabels: { kind: string };
  requests: number;
  /** Bytes of GETs since the last read (undefined: no GET since). */
  bytes: number | undefined;
}

export interface RequestMetricsParts {
  readonly requests: Counter<'kind' | 'result' | 'status'>;
  readonly requestDuration: BoundHistogram<'kind' | 'result'>;
  readonly bytesServed: Counter<'kind'>;
  /** The slot of one label set (made once per set). */
  requestSlot(kind: string, result: string, status: number): RequestSlot;
}

export function createRequestMetrics(registers: Registry[]): RequestMetricsParts {
  const slots = new Map<string, Slot>();
  const requests = new Counter({
    name: 'modgate_requests_total',
    help: 'Proxy requests by file kind, cache result (hit|miss|stale|negative|bypass|error) and status',
    labelNames: ['kind', 'result', 'status'],
    registers,
    collect() {
      for (const s of slots.values()) {
        if (s.requests === 0) continue;
        this.inc(s.counterLabels, s.requests);
        s.requests = 0;
      }
    },
  });
  const requestDuration = new BoundHistogram({
    name: 'modgate_request_duration_seconds',
    help: 'Proxy request latency by file kind and cache result',
    labelNames: ['kind', 'result'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const bytesServed = new Counter({
    name: 'modgate_bytes_served_total',
    help: 'Response body bytes served by file kind',
    labelNames: ['kind'],
    registers,
    collect() {
      for (const s of slots.values()) {
        if (s.bytes === undefined) continue;
        this.inc(s.bytesLabels, s.bytes);
        s.bytes = undefined;
      }
    },
  });
  return {
    requests,
    requestDuration,
    bytesServed,
    requestSlot(kind, result, status) {
      const key = `${kind} ${result} ${status}`;
      let s = slots.get(key);
      if (s === undefined) {
        const observe = requestDuration.series({ kind, result });
        const slot: Slot = {
          counterLabels: { kind, result, status: String(status) },
          bytesLabels: { kind },
          requests: 0,
          bytes: undefined,
          add(seconds, getBytes) {
            slot.requests++;
            observe(seconds);
            // (A GET with no body is counted too, as an increment of 0: the series exists.)
            if (getBytes !== undefined) slot.bytes = (slot.bytes ?? 0) + getBytes;
          },
        };
        s = slot;
        slots.set(key, s);
      }
      return s;
    },
  };
}

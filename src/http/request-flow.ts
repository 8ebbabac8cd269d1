// One record per answered request: the request-flow log line, the request metrics and the
// dashboard statistics. The same recorder serves fastify's onResponse hook and the fast path for
// hits, so both write the same line and count the same way.
import type { Logger } from 'pino';
import type { Metrics } from '../observe/metrics.js';
import type { FlowEntry } from '../observe/request-stats.js';
import type { FlowNotes } from '../observe/flow-scope.js';
import { withoutQuery } from './redact-url.js';
import type { AuditRecord } from '../observe/audit-log.js';

/** What one request did, for the request-flow log line. */
export interface RequestFlow extends FlowNotes {
  kind?: string;
  module?: string;
  version?: string;
  cache?: string;
  source?: string;
  /** The caller's identity name (absent for anonymous requests). */
  identity?: string;
  /** The client's address, taken when the request arrives (over HTTP/2 it is gone by the response). */
  ip?: string;
}

/** A request once its answer was handed to the socket. */
export interface FinishedRequest {
  readonly reqId: string;
  readonly method: string;
  /** The request target as received (its query string is redacted here). */
  readonly url: string;
  readonly flow: RequestFlow;
  readonly status: number;
  /** Body bytes (the Content-Length sent; 0 when none). */
  readonly bytes: number;
  readonly elapsedMs: number;
}

export interface FlowRecorderOptions {
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Called with each finished request's flow entry (dashboard statistics). */
  readonly onFlow?: (e: FlowEntry) => void;
  /** Called for each finished request that named a module (the audit log). */
  readonly onAudit?: (e: AuditRecord) => void;
}

/** Request ids unique within the process, `req-<base36>` (one sequence for both paths). */
export function createRequestIds(): () => string {
  let next = 0;
  return () => {
    next = (next + 1) & 0x7fffffff;
    return `req-${next.toString(36)}`;
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export function createFlowRecorder(opts: FlowRecorderOptions): (r: FinishedRequest) => void {
  const { logger, metrics, onFlow, onAudit } = opts;
  // Label objects made once per label set (prom-client validates and hashes them on every update).
  const labelSets = new Map<string, { counter: { kind: string; result: string; status: string }; timer: { kind: string; result: string }; bytes: { kind: string } }>();
  const labelsFor = (kind: string, result: string, status: number) => {
    const key = `${kind} ${result} ${status}`;
    let l = labelSets.get(key);
    if (l === undefined) {
      l = { counter: { kind, result, status: String(status) }, timer: { kind, result }, bytes: { kind } };
      if (labelSets.size < 10_000) labelSets.set(key, l);
    }
    return l;
  };
  return (r) => {
    const f = r.flow;
    const kind = f.kind ?? 'other';
    const cache = f.cache ?? 'bypass';
    if (metrics && f.kind !== undefined && kind !== 'admin' && kind !== 'metrics') {
      const l = labelsFor(kind, r.status >= 500 ? 'error' : cache, r.status);
      metrics.requests.inc(l.counter);
      metrics.requestDuration.observe(l.timer, r.elapsedMs / 1000);
      if (r.method === 'GET') metrics.bytesServed.inc(l.bytes, r.bytes);
    }
    const latencyMs = Math.round(r.elapsedMs * 100) / 100;
    const path = withoutQuery(r.url);
    const source = f.source ?? 'none';
    if (onFlow) {
      const entry: Mutable<FlowEntry> = { time: new Date().toISOString(), method: r.method, path, kind, cache, source, status: r.status, bytes: r.bytes, latencyMs };
      if (f.module !== undefined) entry.module = f.module;
      if (f.version !== undefined) entry.version = f.version;
      if (f.skipped) entry.skipped = f.skipped;
      if (f.identity !== undefined) entry.identity = f.identity;
      onFlow(entry);
    }
    if (onAudit && f.module !== undefined) {
      const a: Mutable<AuditRecord> = { time: new Date().toISOString(), identity: f.identity ?? 'anonymous', ip: f.ip ?? 'unknown', method: r.method, module: f.module, kind, status: r.status };
      if (f.version !== undefined) a.version = f.version;
      onAudit(a);
    }
    // Built field by field in the order the line has always had (no spreads on the hot path).
    const line: Record<string, unknown> = { reqId: r.reqId, method: r.method, path };
    if (f.module !== undefined) line.module = f.module;
    if (f.version !== undefined) line.version = f.version;
    line.kind = kind;
    line.cache = cache;
    line.source = source;
    line.status = r.status;
    line.bytes = r.bytes;
    if (f.skipped) line.skipped = f.skipped;
    if (f.identity !== undefined) line.identity = f.identity;
    line.latency_ms = latencyMs;
    logger.info(line, 'request');
  };
}

// One record per answered request: the request-flow log line, the request metrics, the dashboard
// statistics and the audit record. The same recorder serves fastify's onResponse hook and the fast
// path for hits, so both write the same line and count the same way. The line is built as a string,
// field by field in the order it has always had (what pino writes for the same object), and handed
// to the logger's raw line writer; a hit's constant part (everything but its id, time, latency and
// the client's address) is built once per kind of answer (template) and reused by each answer.
import type { Logger } from 'pino';
import type { Metrics, RequestSlot } from '../observe/metrics.js';
import type { FlowBase } from '../observe/request-stats.js';
import type { FlowNotes } from '../observe/flow-scope.js';
import { rawLineWriter } from '../observe/logger.js';
import { withoutQuery } from './redact-url.js';

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
  /** Called with each finished request's flow entry, its end (epoch ms) and latency (dashboard statistics). */
  readonly onFlow?: (e: FlowBase, timeMs: number, latencyMs: number) => void;
  /** Called for each finished request that named a module (the audit log), with the JSON of its AuditRecord. */
  readonly onAudit?: (json: string, time: string) => void;
}

/** What stays the same between answers of one kind of hit (made by FlowRecorder.template). */
export interface HitTemplate {
  readonly request: Omit<FinishedRequest, 'reqId' | 'elapsedMs'>;
  readonly slot: RequestSlot | undefined;
  readonly getBytes: number | undefined;
  /** The line between the id and the latency. */
  readonly middle: string;
  readonly entry: FlowBase;
  /** The audit record's JSON around its time and address (undefined: the request named no module). */
  readonly audit: AuditParts | undefined;
}

/** The JSON of a request's AuditRecord in pieces: `{"time":T` identity `,"ip":` address rest. */
interface AuditParts {
  /** `,"identity":"..."`. */
  readonly identity: string;
  /** The address the template was made for, and its JSON. */
  readonly ip: string;
  readonly ipJson: string;
  /** From `,"method"` to the closing brace. */
  readonly rest: string;
}

export interface FlowRecorder {
  /** Records a finished request. */
  record(r: FinishedRequest): void;
  /** The constant part of the records of answers like `r` (same method, target, flow, status, bytes). */
  template(r: Omit<FinishedRequest, 'reqId' | 'elapsedMs'>): HitTemplate;
  /** Records one answer made from `t` (what record() would record for it) to a client at `ip` (default: the template's). */
  hit(t: HitTemplate, reqId: string, elapsedMs: number, ip?: string): void;
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

const str = JSON.stringify;
/** A number as pino writes it (not finite: null). */
const num = (n: number): string => (Number.isFinite(n) ? `${n}` : 'null');

/** JSON of a client address, remembered for the last one asked (a busy client asks many times in a row). */
let lastAddr = '';
let lastAddrJson = '""';
function addrJson(addr: string): string {
  if (addr !== lastAddr) {
    lastAddr = addr;
    lastAddrJson = str(addr);
  }
  return lastAddrJson;
}

/** The ISO time of now, made once per millisecond. */
let isoAt = 0;
let iso = '';
function isoNow(t: number): string {
  if (t !== isoAt) {
    isoAt = t;
    iso = new Date(t).toISOString();
  }
  return iso;
}

/** The pieces of the audit JSON of requests like `r` (the order of an AuditRecord's fields as made: version last). */
function auditParts(r: Omit<FinishedRequest, 'reqId' | 'elapsedMs'>, f: RequestFlow, kind: string): AuditParts {
  const ip = f.ip ?? 'unknown';
  let rest = `,"method":${str(r.method)},"module":${str(f.module)},"kind":${str(kind)},"status":${num(r.status)}`;
  if (f.version !== undefined) rest += `,"version":${str(f.version)}`;
  return { identity: `,"identity":${str(f.identity ?? 'anonymous')}`, ip, ipJson: str(ip), rest: `${rest}}` };
}

export function createFlowRecorder(opts: FlowRecorderOptions): FlowRecorder {
  const { logger, metrics, onFlow, onAudit } = opts;
  const writeLine = rawLineWriter(logger);

  const template = (r: Omit<FinishedRequest, 'reqId' | 'elapsedMs'>): HitTemplate => {
    const f = r.flow;
    const kind = f.kind ?? 'other';
    const cache = f.cache ?? 'bypass';
    const source = f.source ?? 'none';
    const path = withoutQuery(r.url);
    const counted = metrics !== undefined && f.kind !== undefined && kind !== 'admin' && kind !== 'metrics';
    let middle = `,"method":${str(r.method)},"path":${str(path)}`;
    if (f.module !== undefined) middle += `,"module":${str(f.module)}`;
    if (f.version !== undefined) middle += `,"version":${str(f.version)}`;
    middle += `,"kind":${str(kind)},"cache":${str(cache)},"source":${str(source)},"status":${num(r.status)},"bytes":${num(r.bytes)}`;
    if (f.skipped) middle += `,"skipped":${str(f.skipped)}`;
    if (f.identity !== undefined) middle += `,"identity":${str(f.identity)}`;
    const entry: Mutable<FlowBase> = { method: r.method, path, kind, cache, source, status: r.status, bytes: r.bytes };
    if (f.module !== undefined) entry.module = f.module;
    if (f.version !== undefined) entry.version = f.version;
    if (f.skipped) entry.skipped = f.skipped;
    if (f.identity !== undefined) entry.identity = f.identity;
    return {
      request: r,
      slot: counted ? metrics.requestSlot(kind, r.status >= 500 ? 'error' : cache, r.status) : undefined,
      getBytes: r.method === 'GET' ? r.bytes : undefined,
      middle,
      entry,
      audit: f.module === undefined ? undefined : auditParts(r, f, kind),
    };
  };

  const hit = (t: HitTemplate, reqId: string, elapsedMs: number, ip?: string): void => {
    t.slot?.add(elapsedMs / 1000, t.getBytes);
    const latencyMs = Math.round(elapsedMs * 100) / 100;
    const now = Date.now();
    const f = t.request.flow;
    if (onFlow) onFlow(t.entry, now, latencyMs);
    const a = t.audit;
    if (onAudit && a !== undefined) {
      const time = isoNow(now);
      const addr = ip ?? f.ip ?? 'unknown';
      onAudit(`{"time":"${time}"${a.identity},"ip":${addr === a.ip ? a.ipJson : addrJson(addr)}${a.rest}`, time);
    }
    if (!logger.isLevelEnabled('info')) return;
    if (writeLine) {
      writeLine(`{"level":30,"time":${now},"reqId":${str(reqId)}${t.middle},"latency_ms":${num(latencyMs)},"msg":"request"}\n`);
      return;
    }
    // Another logger (pretty output): the same fields as an object.
    const e = t.entry;
    const line: Record<string, unknown> = { reqId, method: e.method, path: e.path };
    if (e.module !== undefined) line.module = e.module;
    if (e.version !== undefined) line.version = e.version;
    line.kind = e.kind;
    line.cache = e.cache;
    line.source = e.source;
    line.status = e.status;
    line.bytes = e.bytes;
    if (e.skipped) line.skipped = e.skipped;
    if (e.identity !== undefined) line.identity = e.identity;
    line.latency_ms = latencyMs;
    logger.info(line, 'request');
  };

  return {
    template,
    hit,
    record: (r) => hit(template(r), r.reqId, r.elapsedMs),
  };
}

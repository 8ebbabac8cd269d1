// The request-flow line built as a string is the line pino writes for the same request (the fields
// in the order they have always had, strings escaped as JSON, numbers as pino writes them); the
// records of a hit made from a template are those of the request recorded in full.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { createLogger } from '../observe/logger.js';
import { createFlowRecorder, type FinishedRequest } from './request-flow.js';
import { withoutQuery } from './redact-url.js';
import type { FlowEntry } from '../observe/request-stats.js';
import type { AuditRecord } from '../observe/audit-log.js';

const REQUESTS: FinishedRequest[] = [
  { reqId: 'req-1', method: 'GET', url: '/example.com/m/@v/v1.0.0.info', flow: { kind: 'info', module: 'example.com/m', version: 'v1.0.0', cache: 'hit', source: 'cache', ip: '127.0.0.1' }, status: 200, bytes: 52, elapsedMs: 0.123456 },
  { reqId: 'req-2', method: 'HEAD', url: '/github.com/!azure/x/@v/list?token=secret', flow: { kind: 'list', module: 'github.com/Azure/x', cache: 'stale', source: 'cache', identity: 'ci "bot" \\ 1' }, status: 200, bytes: 0, elapsedMs: 12.3 },
  { reqId: 'req-3', method: 'GET', url: '/x/@v/v1.zip', flow: { kind: 'zip', module: 'x', version: 'v1', cache: 'miss', source: 'https://proxy.golang.org', skipped: ['https://a.example', 'https://b.example'] }, status: 502, bytes: 80, elapsedMs: 1500.005 },
  { reqId: 'req-4', method: 'GET', url: '/nope\u0001', flow: {}, status: 404, bytes: Number.NaN, elapsedMs: 0 },
  { reqId: 'req-5', method: 'POST', url: '/admin/purge', flow: { kind: 'admin' }, status: 204, bytes: 0, elapsedMs: 3 },
];

/** The line as the recorder used to log it: the object pino serialises. */
function pinoLine(r: FinishedRequest): Record<string, unknown> {
  const f = r.flow;
  const line: Record<string, unknown> = { reqId: r.reqId, method: r.method, path: withoutQuery(r.url) };
  if (f.module !== undefined) line.module = f.module;
  if (f.version !== undefined) line.version = f.version;
  line.kind = f.kind ?? 'other';
  line.cache = f.cache ?? 'bypass';
  line.source = f.source ?? 'none';
  line.status = r.status;
  line.bytes = r.bytes;
  if (f.skipped) line.skipped = f.skipped;
  if (f.identity !== undefined) line.identity = f.identity;
  line.latency_ms = Math.round(r.elapsedMs * 100) / 100;
  return line;
}

const capture = (): { out: PassThrough; text: () => string } => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  return { out, text: () => text };
};
const untimed = (s: string): string => s.replace(/"time":\d+/g, '"time":0');

test('request flow: the line built as a string is the line pino writes for the same request, for each path', async () => {
  const ours = capture();
  const theirs = capture();
  const logger = createLogger({ level: 'info', format: 'json', destination: ours.out });
  const reference = pino({ level: 'info', base: null }, theirs.out);
  const flows: FlowEntry[] = [];
  const audits: AuditRecord[] = [];
  const recorder = createFlowRecorder({
    logger,
    onFlow: (e, timeMs, latencyMs) => flows.push({ ...e, time: new Date(timeMs).toISOString(), latencyMs }),
    onAudit: (json, time) => {
      const a = JSON.parse(json) as AuditRecord;
      assert.equal(a.time, time);
      // What JSON.stringify writes for the record as the audit log's record() is given it.
      const { version, ...rest } = a;
      assert.equal(json, JSON.stringify({ time: a.time, identity: rest.identity, ip: rest.ip, method: rest.method, module: rest.module, kind: rest.kind, status: rest.status, ...(version !== undefined ? { version } : {}) }));
      audits.push(a);
    },
  });
  for (const r of REQUESTS) {
    recorder.record(r);
    reference.info(pinoLine(r), 'request');
    // A hit recorded from a template: the same line and records again.
    const { reqId, elapsedMs, ...rest } = r;
    recorder.hit(recorder.template(rest), reqId, elapsedMs);
    reference.info(pinoLine(r), 'request');
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(untimed(ours.text()), untimed(theirs.text()));
  assert.equal(ours.text().split('\n').length, 2 * REQUESTS.length + 1);
  // Each record twice, the same both times (times aside); the audit log has those naming a module.
  const timeless = <T extends { time: string }>(xs: T[]) => xs.map(({ time, ...x }) => (assert.ok(!Number.isNaN(Date.parse(time))), x));
  const f = timeless(flows);
  for (let i = 0; i < f.length; i += 2) assert.deepEqual(f[i + 1], f[i]);
  assert.deepEqual(timeless(audits).map((a) => `${a.identity} ${a.ip} ${a.method} ${a.module} ${a.version ?? '-'} ${a.kind} ${a.status}`), [
    'anonymous 127.0.0.1 GET example.com/m v1.0.0 info 200', 'anonymous 127.0.0.1 GET example.com/m v1.0.0 info 200',
    'ci "bot" \\ 1 unknown HEAD github.com/Azure/x - list 200', 'ci "bot" \\ 1 unknown HEAD github.com/Azure/x - list 200',
    'anonymous unknown GET x v1 zip 502', 'anonymous unknown GET x v1 zip 502',
  ]);
});

test('request flow: no line below the logger\'s level', async () => {
  const ours = capture();
  const recorder = createFlowRecorder({ logger: createLogger({ level: 'warn', format: 'json', destination: ours.out }) });
  recorder.record(REQUESTS[0]!);
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(ours.text(), '');
});

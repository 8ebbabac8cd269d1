// The request metrics counted in bound slots read exactly as prom-client's own Counter/Histogram
// read for the same requests: the /metrics text, the JSON a cluster worker sends, and the sum the
// primary makes of two workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { createRequestMetrics } from './request-metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
type Req = [kind: string, result: string, status: number, seconds: number, getBytes: number | undefined];
const REQS: Req[] = [
  ['info', 'hit', 200, 0.0002, 120],
  ['info', 'hit', 200, 0.0005, 120], // on a bucket's bound
  ['mod', 'hit', 304, 0.003, 0], // a GET with no body
  ['mod', 'hit', 200, 0.001, undefined], // a HEAD
  ['zip', 'miss', 200, 42, 1 << 20], // above every bound
  ['list', 'error', 502, 1.5, 80],
];

function reference(registers: Registry[]) {
  const requests = new Counter({ name: 'modgate_requests_total', help: 'Proxy requests by file kind, cache result (hit|miss|stale|negative|bypass|error) and status', labelNames: ['kind', 'result', 'status'], registers });
  const duration = new Histogram({ name: 'modgate_request_duration_seconds', help: 'Proxy request latency by file kind and cache result', labelNames: ['kind', 'result'], buckets: BUCKETS, registers });
  const bytes = new Counter({ name: 'modgate_bytes_served_total', help: 'Response body bytes served by file kind', labelNames: ['kind'], registers });
  return (r: Req) => {
    requests.inc({ kind: r[0], result: r[1], status: String(r[2]) });
    duration.observe({ kind: r[0], result: r[1] }, r[3]);
    if (r[4] !== undefined) bytes.inc({ kind: r[0] }, r[4]);
  };
}

test('request metrics: bound slots read as prom-client reads the same requests (text, JSON, summed workers), counted again after a read', async () => {
  const [ref, ours] = [new Registry(), new Registry()];
  const refAdd = reference([ref]);
  const m = createRequestMetrics([ours]);
  for (let round = 0; round < 2; round++) {
    for (const r of REQS) {
      refAdd(r);
      m.requestSlot(r[0], r[1], r[2]).add(r[3], r[4]);
    }
    assert.equal(await ours.metrics(), await ref.metrics(), `text after round ${round + 1}`);
    assert.deepEqual(await ours.getMetricsAsJSON(), await ref.getMetricsAsJSON());
  }
  const sum = async (json: object[]) => AggregatorRegistry.aggregate(json).metrics();
  assert.equal(await sum([await ours.getMetricsAsJSON(), await ours.getMetricsAsJSON()]), await sum([await ref.getMetricsAsJSON(), await ref.getMetricsAsJSON()]));
  assert.match(await ours.metrics(), /modgate_requests_total\{kind="info",result="hit",status="200"\} 4/);
  ours.resetMetrics();
  ref.resetMetrics();
  assert.equal(await ours.metrics(), await ref.metrics(), 'after a reset');
});

// Request statistics: buckets, totals, percentiles, recent entries and upstream health.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequestStats, percentile, type FlowEntry } from './request-stats.js';

const entry = (over: Partial<FlowEntry>): FlowEntry => ({
  time: '2026-01-01T00:00:00Z', method: 'GET', path: '/x', kind: 'zip', cache: 'hit', source: 'cache', status: 200, bytes: 1, latencyMs: 1, ...over,
});

test('percentile picks nearest-rank values', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile([], 50), null);
  assert.equal(percentile([7], 99), 7);
});

test('series buckets by 10 s, totals count results, admin traffic is ignored', () => {
  let t = 1_000_000_000_000;
  const s = createRequestStats(() => t);
  s.record(entry({ cache: 'hit', latencyMs: 2 }));
  s.record(entry({ cache: 'miss', latencyMs: 40 }));
  s.record(entry({ kind: 'admin' }));
  t += 10_000;
  s.record(entry({ status: 502, cache: 'bypass', latencyMs: 9 }));
  s.record(entry({ cache: 'stale' }));
  const pts = s.series(60);
  assert.equal(pts.length, 2);
  assert.deepEqual([pts[0]!.requests, pts[0]!.hits, pts[0]!.misses, pts[0]!.errors], [2, 1, 1, 0]);
  assert.equal(pts[0]!.p99Ms, 40);
  assert.equal(pts[1]!.errors, 1);
  assert.deepEqual({ ...s.totals }, { requests: 4, hits: 1, misses: 1, stale: 1, negative: 0, notFound: 0, errors: 1 });
  assert.equal(s.recent(2)[0]!.cache, 'stale');
});

test('recent entries: newest first, the last 500 only, times and latencies as recorded (recordAt and record alike)', () => {
  const s = createRequestStats();
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const { time: _t, latencyMs: _l, ...base } = entry({});
  for (let i = 0; i < 620; i++) {
    if (i % 2 === 0) s.recordAt({ ...base, path: `/p${i}` }, t0 + i, i / 4);
    else s.record(entry({ path: `/p${i}`, time: new Date(t0 + i).toISOString(), latencyMs: i / 4 }));
  }
  assert.deepEqual(s.recent(3).map((e) => [e.path, e.time, e.latencyMs]), [
    ['/p619', '2026-01-01T00:00:00.619Z', 154.75], ['/p618', '2026-01-01T00:00:00.618Z', 154.5], ['/p617', '2026-01-01T00:00:00.617Z', 154.25],
  ]);
  const all = s.recent(10_000);
  assert.equal(all.length, 500);
  assert.equal(all.at(-1)!.path, '/p120');
  assert.equal(s.totals.requests, 620);
  // Admin traffic is neither counted nor kept.
  s.recordAt({ ...base, kind: 'admin', path: '/admin/x' }, t0 + 999, 1);
  assert.equal(s.recent(1)[0]!.path, '/p619');
});

test('the not-found total counts every 404/410, not only negative-cache answers', () => {
  const s = createRequestStats();
  s.record(entry({ status: 404, cache: 'bypass' })); // from the upstreams
  s.record(entry({ status: 404, cache: 'negative' })); // remembered
  s.record(entry({ status: 410, cache: 'bypass' }));
  s.record(entry({ status: 200, cache: 'hit' }));
  assert.equal(s.totals.notFound, 3);
  assert.equal(s.totals.negative, 1);
});

test('a refused answer is kept in the upstream\'s health: count, last reason and time', () => {
  let t = Date.parse('2026-01-01T00:00:00Z');
  const s = createRequestStats(() => t);
  s.recordUpstream('file:///mirror', 'ok', 3);
  t += 1000;
  s.recordRefusal('file:///mirror', 'zip entry "../x": file path is not clean');
  const [u] = s.upstreams();
  assert.equal(u!.refused, 1);
  assert.match(u!.lastRefusal ?? '', /not clean/);
  assert.equal(u!.lastRefusalAt, '2026-01-01T00:00:01.000Z');
});

test('upstream health keeps errors, last error and latency', () => {
  const s = createRequestStats();
  s.recordUpstream('https://a', 'ok', 10);
  s.recordUpstream('https://a', 'not_found', 1);
  s.recordUpstream('https://a', 'error', 5, 'boom');
  const [a] = s.upstreams();
  assert.equal(a!.requests, 3);
  assert.equal(a!.errors, 1);
  assert.equal(a!.notFound, 1);
  assert.equal(a!.lastError, 'boom');
  assert.equal(a!.p50Ms, 10);
});

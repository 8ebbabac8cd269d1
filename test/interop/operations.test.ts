// Operations end to end against a real modgate: metrics after a known sequence of requests, the
// admin API (auth, purge with dry-run, refresh, prewarm job, GC with prewarm pins), dashboard JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FixtureModule } from '../support/gohelper.js';
import { waitFor } from '../support/wait-for.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { useTestStack } from '../support/test-stack.js';

const TOKEN = 'ops-secret-token';
const stack = useTestStack({
  name: 'ops',
  modgate: { args: ['--admin-tokens', TOKEN, '--gc-min-age-seconds', '0', '--prefetch', 'false'] },
});

const url = (m: FixtureModule, ext: string) => `${stack.mg.url}/${escapePath(m.path)}/@v/${escapeVersion(m.selected)}.${ext}`;
const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${stack.mg.url}/admin${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.body && typeof init.body === 'string' && init.body.startsWith('{') ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string> | undefined) } });

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels);
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && want.every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
}

test('metrics count a known sequence of requests', async () => {
  const three = stack.mods.slice(0, 3);
  for (const m of three) assert.equal((await fetch(url(m, 'zip'))).status, 200);
  for (const m of three) assert.equal((await fetch(url(m, 'zip'))).status, 200);
  assert.equal((await fetch(`${stack.mg.url}/example.com/does-not-exist/@v/list`)).status, 404);
  assert.equal((await fetch(`${stack.mg.url}/example.com/does-not-exist/@v/list`)).status, 404);
  const joinTarget = stack.mods[3]!;
  stack.upstream.addFault({ match: `${escapeVersion(joinTarget.selected)}.zip`, delayMs: 300, times: 1 });
  await Promise.all(Array.from({ length: 10 }, () => fetch(url(joinTarget, 'zip')).then((r) => r.arrayBuffer())));

  const text = await (await fetch(`${stack.mg.url}/metrics`)).text();
  // 3 cold zips, then the 10 concurrent requests that shared one fill; the second round hit.
  assert.equal(metricValue(text, 'modgate_requests_total', { kind: 'zip', result: 'miss', status: '200' }), 13);
  assert.equal(metricValue(text, 'modgate_requests_total', { kind: 'zip', result: 'hit', status: '200' }), 3);
  assert.equal(metricValue(text, 'modgate_requests_total', { kind: 'list', result: 'negative', status: '404' }), 1);
  assert.equal(metricValue(text, 'modgate_requests_total', { kind: 'list', result: 'bypass', status: '404' }), 1);
  assert.equal(metricValue(text, 'modgate_checksum_verifications_total', { kind: 'zip', result: 'ok' }), 4);
  assert.equal(metricValue(text, 'modgate_checksum_verifications_total', { kind: 'mod', result: 'ok' }), 4);
  assert.equal(metricValue(text, 'modgate_upstream_fetches_total', { kind: 'zip', outcome: 'ok' }), 4);
  assert.equal(metricValue(text, 'modgate_upstream_fetches_total', { kind: 'list', outcome: 'not_found' }), 1);
  const joins = Number(/^modgate_singleflight_joins_total (\d+)/m.exec(text)?.[1]);
  assert.ok(joins >= 9, `joins ${joins}`);
  assert.ok(metricValue(text, 'modgate_bytes_served_total', { kind: 'zip' }) > 0);
  assert.match(text, /modgate_request_duration_seconds_bucket\{/);
  assert.match(text, /modgate_process_resident_memory_bytes/);
});

test('admin API: auth, purge (dry-run first), refresh, events', async () => {
  assert.equal((await fetch(`${stack.mg.url}/admin/stats`)).status, 401);
  assert.equal((await fetch(`${stack.mg.url}/admin/stats`, { headers: { authorization: 'Bearer wrong' } })).status, 403);
  const authEvents = (await (await admin('/events?type=auth_failure')).json()) as { events: unknown[] };
  assert.ok(authEvents.events.length >= 2);

  const m = stack.mods[0]!;
  const zipFile = join(stack.work, 'cache', escapePath(m.path), '@v', `${escapeVersion(m.selected)}.zip`);
  await stat(zipFile);
  const dry = (await (await admin('/purge', { method: 'POST', body: JSON.stringify({ module: m.path, version: m.selected, dryRun: true }) })).json()) as { dryRun: boolean; removed: unknown[] };
  assert.equal(dry.dryRun, true);
  assert.equal(dry.removed.length, 1);
  await stat(zipFile);
  const real = await admin('/purge', { method: 'POST', body: JSON.stringify({ module: m.path, version: m.selected }) });
  assert.equal(real.status, 200);
  await assert.rejects(stat(zipFile));
  const again = await fetch(url(m, 'zip'));
  assert.equal(again.headers.get('x-modgate-cache'), 'miss');
  const bad = await admin('/purge', { method: 'POST', body: JSON.stringify({ version: 'v1.0.0' }) });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /module|pattern/);

  const before = stack.upstream.count(`/${escapePath(m.path)}/@v/list`);
  assert.equal((await fetch(`${stack.mg.url}/${escapePath(m.path)}/@v/list`)).status, 200);
  const refreshed = (await (await admin('/refresh', { method: 'POST', body: JSON.stringify({ module: m.path }) })).json()) as { list: string[] };
  assert.ok(refreshed.list.includes(m.selected));
  assert.equal(stack.upstream.count(`/${escapePath(m.path)}/@v/list`), before + 2);
  const purges = (await (await admin('/events?type=purge')).json()) as { events: Array<{ details: { module?: string } }> };
  assert.ok(purges.events.some((e) => e.details.module === m.path));
});

test('prewarm job with progress, then GC keeps the prewarmed versions and drops least recently used', async () => {
  const warm = stack.mods.slice(5, 8);
  const res = await admin('/prewarm', { method: 'POST', body: warm.map((m) => `${m.path}@${m.selected}`).join('\n'), headers: { 'content-type': 'text/plain' } });
  assert.equal(res.status, 202);
  const { id } = (await res.json()) as { id: string };
  const job = await waitFor('prewarm job', async () => {
    const j = (await (await admin(`/jobs/${id}`)).json()) as { state: string; total: number; done: number; failed: number };
    return j.state !== 'running' ? j : undefined;
  });
  assert.equal(job.state, 'done');
  assert.equal(job.total, 9);
  assert.equal(job.done, 9);
  for (const m of warm) await stat(join(stack.work, 'cache', escapePath(m.path), '@v', `${escapeVersion(m.selected)}.zip`));

  const dry = (await (await admin('/gc', { method: 'POST', body: JSON.stringify({ maxBytes: 0, dryRun: true }) })).json()) as { removed: Array<{ module: string }>; keptPinned: number };
  assert.ok(dry.removed.length > 0);
  assert.ok(dry.keptPinned >= 3);
  assert.ok(!dry.removed.some((r) => warm.some((w) => w.path === r.module)));
  const gc = (await (await admin('/gc', { method: 'POST', body: JSON.stringify({ maxBytes: 0 }) })).json()) as { removed: Array<{ module: string; version: string }> };
  assert.equal(gc.removed.length, dry.removed.length);
  for (const m of warm) await stat(join(stack.work, 'cache', escapePath(m.path), '@v', `${escapeVersion(m.selected)}.zip`));
  for (const r of gc.removed) {
    for (const ext of ['zip', 'mod', 'info']) await assert.rejects(stat(join(stack.work, 'cache', escapePath(r.module), '@v', `${escapeVersion(r.version)}.${ext}`)));
  }
});

test('dashboard JSON: overview, time series, recent requests, module browser', async () => {
  const overview = (await (await fetch(`${stack.mg.url}/api/overview`)).json()) as { totals: { requests: number; hitRatio: number }; cache: { modules: number }; usage: { goproxy: string }; upstreams: Array<{ name: string; requests: number }> };
  assert.ok(overview.totals.requests > 10);
  assert.ok(overview.totals.hitRatio > 0 && overview.totals.hitRatio < 1);
  assert.ok(overview.cache.modules >= 3);
  assert.equal(overview.usage.goproxy, `export GOPROXY=${stack.mg.url}`);
  assert.ok(overview.upstreams.some((u) => u.name === stack.upstream.url && u.requests > 0));
  const series = (await (await fetch(`${stack.mg.url}/api/timeseries`)).json()) as { points: Array<{ requests: number; p99Ms: number | null }> };
  assert.ok(series.points.reduce((n, p) => n + p.requests, 0) > 10);
  const recent = (await (await fetch(`${stack.mg.url}/api/requests?limit=5`)).json()) as { requests: Array<{ kind: string }> };
  assert.equal(recent.requests.length, 5);
  const m = stack.mods[6]!;
  const found = (await (await fetch(`${stack.mg.url}/api/modules?q=${encodeURIComponent(m.path)}`)).json()) as { modules: Array<{ path: string }> };
  assert.ok(found.modules.some((x) => x.path === m.path));
  const versions = (await (await fetch(`${stack.mg.url}/api/modules/versions?path=${encodeURIComponent(m.path)}`)).json()) as { versions: Array<{ version: string; verified: string; files: string[] }> };
  const v = versions.versions.find((x) => x.version === m.selected)!;
  assert.equal(v.verified, 'sumdb');
  assert.deepEqual(v.files, ['info', 'mod', 'zip']);
});

test('CLI: modgate stats, purge and gc against the running server', async () => {
  const { runProcess } = await import('../support/process-runner.js');
  const { fileURLToPath } = await import('node:url');
  const bin = fileURLToPath(new URL('../../bin/modgate', import.meta.url));
  const cli = (args: string[], token = TOKEN) => runProcess(process.execPath, [bin, ...args, '--server', stack.mg.url, '--token', token], { timeoutMs: 60_000 });
  const stats = await cli(['stats']);
  assert.equal(stats.code, 0, stats.stderr);
  assert.match(stats.stdout, /cache: \d+ modules, \d+ versions/);
  assert.ok(stats.stdout.includes(stack.upstream.url));
  const m = stack.mods[9]!;
  assert.equal((await fetch(url(m, 'zip'))).status, 200);
  const dry = await cli(['purge', '--module', m.path, '--version', m.selected, '--dry-run', '--json']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal((JSON.parse(dry.stdout) as { removed: unknown[] }).removed.length, 1);
  await stat(join(stack.work, 'cache', escapePath(m.path), '@v', `${escapeVersion(m.selected)}.zip`));
  const real = await cli(['purge', '--module', m.path, '--version', m.selected]);
  assert.equal(real.code, 0, real.stderr);
  assert.match(real.stdout, /removed 1 entry/);
  await assert.rejects(stat(join(stack.work, 'cache', escapePath(m.path), '@v', `${escapeVersion(m.selected)}.zip`)));
  const gc = await cli(['gc', '--max-bytes', '1000000000', '--dry-run']);
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /would free 0 B/);
  // A module path that is not one is refused by the server (400) like refresh does, and nothing is removed.
  const victim = await cli(['purge', '--module', '../victim']);
  assert.equal(victim.code, 1, victim.stdout);
  assert.match(victim.stderr, /400: invalid request body: module: malformed module path "\.\.\/victim"/);
  const bad = await cli(['stats'], 'wrong');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /403/);
});

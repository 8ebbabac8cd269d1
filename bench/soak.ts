// Soak (issue #5; a script, not a test): N clients for M minutes against 3 modgate replicas sharing
// s3rver (S3) and redis-server, over the fixture's modules (.info/.mod/.zip, every version). The
// cache starts cold and warms up; every --purge-seconds a few module versions are purged through
// the admin API so cold requests keep coming. Every answer is checked against the fixture file's
// size. Reports requests, errors, p50/p99 latency (all, hits, misses) and each replica's RSS every
// --sample-seconds. Bounded by time (--minutes) and count (--max-requests); loopback only.
// Usage: node --import tsx bench/soak.ts [--clients 20] [--minutes 2] [--max-requests 500000]
//        [--sample-seconds 10] [--purge-seconds 15] [--purge-count 3] [--upstream-delay-ms 10]
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { buildFixture, startSumdb } from '../test/support/gohelper.js';
import { startFileProxy } from '../test/support/file-proxy-server.js';
import { startS3Server } from '../test/support/s3-server.js';
import { startRedis } from '../test/support/redis-server.js';
import type { ModgateProcess } from '../test/support/modgate-process.js';
import { withScope } from './support/bench-scope.js';
import { startBenchModgate } from './support/bench-modgate.js';
import { listProxyFiles, type ProxyFile } from './support/fixture-files.js';
import { get } from './support/net-util.js';
import { readTreeMemory } from './support/rss-sampler.js';
import { flag, fmtBytes, note, percentile, printRow } from './support/bench-stats.js';

const clients = flag('clients', 20);
const minutes = flag('minutes', 2);
const maxRequests = flag('max-requests', 500_000);
const sampleSeconds = flag('sample-seconds', 10);
const purgeSeconds = flag('purge-seconds', 15);
const purgeCount = flag('purge-count', 3);
const upstreamDelayMs = flag('upstream-delay-ms', 10);
const TOKEN = 'soak-admin-token';

interface Outcome {
  ms: number;
  ok: boolean;
  cache: string;
  kind: ProxyFile['kind'];
}

interface Target extends ProxyFile {
  size: number;
  module: string;
  version: string;
}

/** GET with a keep-alive agent; resolves with the outcome, never rejects. */
function fetchOne(agent: Agent, base: string, t: Target): Promise<Outcome & { why?: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const done = (ok: boolean, cache: string, why?: string): void => {
      const o: Outcome & { why?: string } = { ms: performance.now() - t0, ok, cache, kind: t.kind };
      if (why !== undefined) o.why = why;
      resolve(o);
    };
    const req = request(base + t.path, { agent }, (res) => {
      let bytes = 0;
      let head = '';
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (res.statusCode !== 200 && head.length < 300) head += c.toString('utf8', 0, 300);
      });
      res.once('end', () => {
        const cache = String(res.headers['x-modgate-cache'] ?? '-');
        if (res.statusCode !== 200) done(false, cache, `HTTP ${res.statusCode} ${t.path}: ${head.slice(0, 300).replace(/\s+/g, ' ')}`);
        else if (bytes !== t.size) done(false, cache, `${bytes} B instead of ${t.size} B: ${t.path}`);
        else done(true, cache);
      });
      res.once('error', (err) => done(false, '-', `${err.message} ${t.path}`));
    });
    req.setTimeout(60_000, () => req.destroy(new Error('timeout after 60 s')));
    req.once('error', (err) => done(false, '-', `${err.message} ${t.path}`));
    req.end();
  });
}

const unescape = (p: string): string => p.replace(/!([a-z])/g, (_, c: string) => c.toUpperCase());

await withScope(async (scope) => {
  const work = await scope.tempDir('modgate-bench-soak-');
  const fixture = await buildFixture();
  const [sumdb, upstream, s3, redis] = await Promise.all([startSumdb({ proxyDir: fixture.proxyDir }), startFileProxy({ dir: fixture.proxyDir }), startS3Server(), startRedis()]);
  scope.defer(() => sumdb.stop());
  scope.defer(() => upstream.stop());
  scope.defer(() => s3.stop());
  scope.defer(() => redis.stop());
  upstream.setDelay(upstreamDelayMs);

  const targets: Target[] = [];
  for (const f of await listProxyFiles(fixture.proxyDir)) {
    const [mod, rest] = f.path.slice(1).split('/@v/') as [string, string];
    targets.push({ ...f, size: (await stat(join(fixture.proxyDir, ...f.path.slice(1).split('/')))).size, module: unescape(mod), version: unescape(rest.replace(/\.(info|mod|zip)$/, '')) });
  }
  const versions = [...new Map(targets.map((t) => [`${t.module}@${t.version}`, t])).values()];

  const replicas: ModgateProcess[] = [];
  for (const name of ['r1', 'r2', 'r3']) {
    replicas.push(
      await startBenchModgate(scope, {
        args: [
          '--storage', `s3://${s3.bucket}/soak`, '--s3-endpoint', s3.endpoint, '--s3-region', s3.region, '--s3-force-path-style', 'true',
          '--redis', redis.url, '--cache-dir', join(work, name), '--upstream', upstream.url, '--sumdb', sumdb.gosumdb, '--admin-tokens', TOKEN,
        ],
        env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region },
      }),
    );
  }
  for (const r of replicas) await get(`${r.url}/healthz`);

  const t0 = Date.now();
  const deadline = t0 + minutes * 60_000;
  const outcomes: Outcome[] = [];
  const errors = new Map<string, number>();
  let started = 0;
  let purges = 0;
  let purgeFailures = 0;
  const rss: Array<{ s: number; mib: number[] }> = [];
  const sample = (): void => {
    rss.push({ s: Math.round((Date.now() - t0) / 1000), mib: replicas.map((r) => (readTreeMemory(r.proc.pid!)?.rss ?? Number.NaN) / 1024 / 1024) });
  };
  sample();
  const sampler = setInterval(() => {
    sample();
    const last = outcomes.slice(-2000);
    note(`${rss.at(-1)!.s} s: ${outcomes.length} requests, ${[...errors.values()].reduce((a, b) => a + b, 0)} errors, recent p50 ${percentile(last.map((o) => o.ms), 50).toFixed(1)} ms, RSS ${rss.at(-1)!.mib.map((m) => m.toFixed(0)).join('/')} MiB`);
  }, sampleSeconds * 1000);
  const purger = setInterval(() => {
    for (let i = 0; i < purgeCount; i++) {
      const v = versions[Math.floor(Math.random() * versions.length)]!;
      const r = replicas[Math.floor(Math.random() * replicas.length)]!;
      const body = JSON.stringify({ module: v.module, version: v.version });
      purges++;
      const req = request(`${r.url}/admin/purge`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        if (res.statusCode !== 200) purgeFailures++;
      });
      req.once('error', () => purgeFailures++);
      req.end(body);
    }
  }, purgeSeconds * 1000);

  const client = async (i: number): Promise<void> => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (Date.now() < deadline && started < maxRequests) {
        started++;
        const t = targets[Math.floor(Math.random() * targets.length)]!;
        const o = await fetchOne(agent, replicas[(i + started) % replicas.length]!.url, t);
        outcomes.push(o);
        if (!o.ok) errors.set(o.why ?? 'unknown', (errors.get(o.why ?? 'unknown') ?? 0) + 1);
      }
    } finally {
      agent.destroy();
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
  } finally {
    clearInterval(sampler);
    clearInterval(purger);
  }
  sample();
  const elapsedS = (Date.now() - t0) / 1000;

  const errCount = outcomes.filter((o) => !o.ok).length;
  const lat = (os: Outcome[]): string => (os.length === 0 ? 'n/a' : `p50 ${percentile(os.map((o) => o.ms), 50).toFixed(1)} ms, p99 ${percentile(os.map((o) => o.ms), 99).toFixed(1)} ms`);
  const hits = outcomes.filter((o) => o.ok && o.cache === 'hit');
  const misses = outcomes.filter((o) => o.ok && o.cache !== 'hit');
  const first = rss[0]!.mib;
  const last = rss.at(-1)!.mib;
  const peak = replicas.map((_, i) => Math.max(...rss.map((s) => s.mib[i]!)));
  printRow({
    benchmark: `soak: ${clients} clients × ${minutes} min, 3 replicas + s3rver + redis, upstream +${upstreamDelayMs} ms, purge ${purgeCount} versions / ${purgeSeconds} s`,
    modgate: `${outcomes.length} requests (${(outcomes.length / elapsedS).toFixed(0)}/s), ${errCount} errors; all ${lat(outcomes.filter((o) => o.ok))}; hits ${hits.length} ${lat(hits)}; misses ${misses.length} ${lat(misses)}; RSS start→end ${first.map((m) => m.toFixed(0)).join('/')} → ${last.map((m) => m.toFixed(0)).join('/')} MiB (peak ${peak.map((m) => m.toFixed(0)).join('/')})`,
    baseline: 'n/a',
    ratio: 'n/a',
    target: '0 errors, RSS flat',
    met: errCount === 0 ? 'yes' : 'no',
  });

  console.log(`\n#### Soak details\n`);
  console.log(`${outcomes.length} requests in ${elapsedS.toFixed(0)} s by ${clients} clients over ${targets.length} fixture files (${versions.length} module versions); ${purges} purges (${purgeFailures} failed); upstream saw ${upstream.requests.length} requests.\n`);
  console.log('| kind | requests | hits | p50 ms | p99 ms |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const kind of ['info', 'mod', 'zip'] as const) {
    const os = outcomes.filter((o) => o.ok && o.kind === kind);
    console.log(`| .${kind} | ${os.length} | ${os.filter((o) => o.cache === 'hit').length} | ${percentile(os.map((o) => o.ms), 50).toFixed(1)} | ${percentile(os.map((o) => o.ms), 99).toFixed(1)} |`);
  }
  console.log(`\nRSS of each replica (MiB), every ${sampleSeconds} s:\n`);
  console.log('| t (s) | r1 | r2 | r3 |');
  console.log('| --- | --- | --- | --- |');
  for (const s of rss) console.log(`| ${s.s} | ${s.mib.map((m) => m.toFixed(0)).join(' | ')} |`);
  if (errors.size > 0) {
    console.log('\nErrors:\n');
    for (const [why, n] of [...errors.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`- ${n} × ${why}`);
  }
  note(`peak RSS per replica: ${peak.map((m) => fmtBytes(m * 1024 * 1024)).join(', ')}`);
});

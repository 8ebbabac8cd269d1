// Benchmark (a script, not a test): N concurrent cold requests for one module zip through a fresh
// modgate; counts the upstream requests for that zip (expected: exactly 1) and checks every client
// got the full, identical file. One round per zip (different real fixture modules, verified against
// the fixture's checksum DB); the upstream adds --delay-ms to each response, like a real network.
// Usage: node --import tsx bench/single-flight.ts [--clients 100] [--rounds 3] [--delay-ms 50]
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { withScope } from './support/bench-scope.js';
import { startBenchModgate } from './support/bench-modgate.js';
import { listProxyFiles } from './support/fixture-files.js';
import { get } from './support/net-util.js';
import { flag, median, note, printRow } from './support/bench-stats.js';
import { startFixtureServices } from './support/fixture-services.js';

const clients = flag('clients', 100);
const rounds = flag('rounds', 3);
const delayMs = flag('delay-ms', 50);

await withScope(async (scope) => {
  const work = await scope.tempDir('modgate-bench-sf-');
  const { fixture, sumdb, upstream } = await startFixtureServices(scope);
  upstream.setDelay(delayMs);
  // the largest zips, one per module
  const zips: Array<{ path: string; size: number }> = [];
  for (const f of (await listProxyFiles(fixture.proxyDir)).filter((x) => x.kind === 'zip')) {
    zips.push({ path: f.path, size: (await stat(join(fixture.proxyDir, ...f.path.slice(1).split('/')))).size });
  }
  zips.sort((a, b) => b.size - a.size);
  const picked: typeof zips = [];
  for (const z of zips) if (picked.length < rounds && !picked.some((p) => p.path.split('/@v/')[0] === z.path.split('/@v/')[0])) picked.push(z);

  const counts: number[] = [];
  const times: number[] = [];
  for (let r = 0; r < picked.length; r++) {
    const z = picked[r]!;
    const mg = await startBenchModgate(scope, { args: ['--cache-dir', join(work, `cache-${r}`), '--upstream', upstream.url, '--sumdb', sumdb.gosumdb] });
    upstream.clearRequests();
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: clients }, () => get(mg.url + z.path, { timeoutMs: 120_000 })));
    times.push(performance.now() - t0);
    await mg.stop();
    const bad = results.filter((x) => x.status !== 200 || x.bytes !== z.size);
    if (bad.length > 0) throw new Error(`${bad.length}/${clients} clients failed for ${z.path}: ${bad.map((x) => `${x.status}/${x.bytes} B`).slice(0, 3).join(', ')}`);
    const n = upstream.requests.filter((p) => p === z.path).length;
    counts.push(n);
    note(`round ${r + 1}: ${z.path} (${z.size} B): ${n} upstream zip request(s), ${upstream.requests.length} upstream requests in all, ${times.at(-1)!.toFixed(0)} ms for ${clients} clients`);
  }
  printRow({
    benchmark: `single-flight: ${clients} concurrent cold requests for one zip, upstream +${delayMs} ms, ${picked.length} rounds (different zips)`,
    modgate: `upstream zip requests per round: ${counts.join(', ')} (all ${clients} clients got the full zip; median ${(median(times) / 1000).toFixed(2)} s)`,
    baseline: 'n/a',
    ratio: 'n/a',
    target: '1 per round',
    met: counts.every((c) => c === 1) ? 'yes' : 'no',
  });
});

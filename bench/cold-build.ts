// Benchmark (a script, not a test): `go mod download all` for the fixture app into an empty module
// cache through a cold modgate (fresh cache each round) whose upstream adds 50 ms to every response,
// vs the go command talking to that same slow upstream directly. Alternating, several rounds.
// modgate runs with its defaults (prefetch as configured by default); --prefetch false|true overrides.
// Usage: node --import tsx bench/cold-build.ts [--rounds 3] [--delay-ms 50] [--prefetch default|true|false]
import { join } from 'node:path';
import { withScope } from './support/bench-scope.js';
import { startBenchModgate } from './support/bench-modgate.js';
import { prepareApp, timedDownloadAll } from './support/go-download.js';
import { flag, fmtRatio, median, note, printRow } from './support/bench-stats.js';
import { startFixtureServices } from './support/fixture-services.js';

const rounds = flag('rounds', 3);
const delayMs = flag('delay-ms', 50);
const prefetch = flag('prefetch', 'default');
const TARGET = 0.7;

await withScope(async (scope) => {
  const work = await scope.tempDir('modgate-bench-cold-');
  const { fixture, sumdb, upstream } = await startFixtureServices(scope);
  const app = await prepareApp(scope, fixture, sumdb.gosumdb);
  upstream.setDelay(delayMs);
  const directMs: number[] = [];
  const mgMs: number[] = [];
  const directReqs: number[] = [];
  const mgReqs: number[] = [];
  let modules = 0;
  const runDirect = async (): Promise<void> => {
    upstream.clearRequests();
    const x = await timedDownloadAll(app, upstream.url, sumdb.gosumdb);
    directMs.push(x.ms);
    directReqs.push(upstream.requests.length);
    modules = x.modules;
  };
  const runModgate = async (r: number): Promise<void> => {
    const args = ['--cache-dir', join(work, `cache-${r}`), '--upstream', upstream.url, '--sumdb', sumdb.gosumdb];
    if (prefetch !== 'default') args.push('--prefetch', prefetch);
    const mg = await startBenchModgate(scope, { args });
    upstream.clearRequests();
    try {
      mgMs.push((await timedDownloadAll(app, mg.url, sumdb.vkey)).ms);
      mgReqs.push(upstream.requests.length);
    } finally {
      await mg.stop();
    }
  };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      await runDirect();
      await runModgate(r);
    } else {
      await runModgate(r);
      await runDirect();
    }
    note(`round ${r + 1}: direct ${directMs.at(-1)!.toFixed(0)} ms (${directReqs.at(-1)} upstream requests), cold modgate ${mgMs.at(-1)!.toFixed(0)} ms (${mgReqs.at(-1)} upstream requests)`);
  }
  const d = median(directMs);
  const m = median(mgMs);
  printRow({
    benchmark: `cold build: go mod download all (${modules} modules), upstream +${delayMs} ms/request, prefetch ${prefetch}, ${rounds} rounds`,
    modgate: `${m.toFixed(0)} ms (${median(mgReqs)} upstream req)`,
    baseline: `go → upstream directly: ${d.toFixed(0)} ms (${median(directReqs)} req)`,
    ratio: fmtRatio(m / d),
    target: `≤ ${TARGET}×`,
    met: m / d <= TARGET ? 'yes' : 'no',
  });
});

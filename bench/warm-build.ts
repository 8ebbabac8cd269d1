// Benchmark (a script, not a test): `go mod download all` for the fixture app (~80 modules) into an
// empty module cache through a warm modgate vs GOPROXY=file:// over the same fixture files, with
// nginx serving those files over HTTP as a third contender (what plain HTTP costs the go command);
// the target (issue #10) is ≤ 1.05× both.
// The contenders alternate, several rounds; the app has a complete go.sum.
// Usage: node --import tsx bench/warm-build.ts [--rounds 5]
import { withScope } from './support/bench-scope.js';
import { startBenchModgate } from './support/bench-modgate.js';
import { startNginx } from './support/nginx-server.js';
import { prepareApp, timedDownloadAll } from './support/go-download.js';
import { flag, fmtRatio, median, note, printRow } from './support/bench-stats.js';
import { join } from 'node:path';
import { startFixtureServices } from './support/fixture-services.js';

const rounds = flag('rounds', 5);
const TARGET = 1.05;

await withScope(async (scope) => {
  const work = await scope.tempDir('modgate-bench-warm-');
  const { fixture, sumdb, upstream } = await startFixtureServices(scope);
  const app = await prepareApp(scope, fixture, sumdb.gosumdb);
  const mg = await startBenchModgate(scope, { args: ['--cache-dir', join(work, 'cache'), '--upstream', upstream.url, '--sumdb', sumdb.gosumdb] });
  // Through modgate the go command is given only the database key: it uses modgate's /sumdb/ proxy.
  const warmup = await timedDownloadAll(app, mg.url, sumdb.vkey);
  note(`warm-up through modgate (cold): ${warmup.ms.toFixed(0)} ms, ${warmup.modules} modules`);
  const ngx = await startNginx(scope, fixture.proxyDir);
  const fileMs: number[] = [];
  const mgMs: number[] = [];
  const ngxMs: number[] = [];
  let modules = 0;
  const runners = [
    async (): Promise<void> => {
      const x = await timedDownloadAll(app, `file://${fixture.proxyDir}`, sumdb.gosumdb);
      fileMs.push(x.ms);
      modules = x.modules;
    },
    async (): Promise<void> => void mgMs.push((await timedDownloadAll(app, mg.url, sumdb.vkey)).ms),
    async (): Promise<void> => void ngxMs.push((await timedDownloadAll(app, ngx.url, sumdb.gosumdb)).ms),
  ];
  for (let r = 0; r < rounds; r++) {
    // rotate the order so no contender always runs first
    for (let i = 0; i < runners.length; i++) await runners[(i + r) % runners.length]!();
    note(`round ${r + 1}: file:// ${fileMs.at(-1)!.toFixed(0)} ms, modgate warm ${mgMs.at(-1)!.toFixed(0)} ms, nginx ${ngxMs.at(-1)!.toFixed(0)} ms`);
  }
  const f = median(fileMs);
  const m = median(mgMs);
  const n = median(ngxMs);
  printRow({
    benchmark: `warm build: go mod download all (${modules} modules), empty module cache, ${rounds} rounds`,
    modgate: `${m.toFixed(0)} ms`,
    baseline: `GOPROXY=file://: ${f.toFixed(0)} ms`,
    ratio: fmtRatio(m / f),
    target: `≤ ${TARGET}×`,
    met: m / f <= TARGET ? 'yes' : 'no',
  });
  // Issue #10's target: no slower than nginx serving the same files over HTTP.
  printRow({
    benchmark: `warm build, same as above: modgate vs nginx serving the fixture files over HTTP`,
    modgate: `${m.toFixed(0)} ms`,
    baseline: `nginx (1 worker): ${n.toFixed(0)} ms`,
    ratio: fmtRatio(m / n),
    target: `≤ ${TARGET}×`,
    met: m / n <= TARGET ? 'yes' : 'no',
  });
});

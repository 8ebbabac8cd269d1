// Benchmark (a script, not a test): cold builds through a cold modgate (fresh cache each round)
// vs the go command talking to the upstream and the checksum DB directly; the upstream and the
// checksum DB each add --delay-ms to every response; the client verifies through modgate's /sumdb/
// (GOSUMDB names the database only) and directly otherwise. Alternating, several rounds.
// Scenarios (--scenario, default all):
//   ci       a CI checkout, complete go.mod and go.sum: `go build` (-trimpath; compiled packages are
//            shared in one warm build cache, so module fetching is what is measured)
//   fresh    the same main.go, go.mod listing nothing, no go.sum: `go mod tidy -e` then `go build`
//   download `go mod download all` of the fixture app (complete go.sum)
// Usage: node --import tsx bench/cold-build.ts [--rounds 3] [--delay-ms 50] [--scenario all|ci|fresh|download] [--prefetch default|true|false]
import { join } from 'node:path';
import { withScope } from './support/bench-scope.js';
import { startBenchModgate } from './support/bench-modgate.js';
import { prepareApp, timedDownloadAll } from './support/go-download.js';
import { scenarioTemplate, timedBuild, type BuildScenario } from './support/go-build-run.js';
import { flag, fmtRatio, median, note, printRow } from './support/bench-stats.js';
import { startFixtureServices } from './support/fixture-services.js';
import { startForwarder } from '../test/support/switchable-forwarder.js';

const rounds = flag('rounds', 3);
const delayMs = flag('delay-ms', 50);
const prefetch = flag('prefetch', 'default');
const which = flag('scenario', 'all');
const TARGET = 0.6;
type Scenario = BuildScenario | 'download';
const scenarios: Scenario[] = which === 'all' ? ['ci', 'fresh', 'download'] : [which as Scenario];

const describe: Record<Scenario, string> = {
  ci: 'cold go build, CI checkout (complete go.mod + go.sum)',
  fresh: 'cold go mod tidy + go build, fresh project (go.mod lists nothing)',
  download: 'cold go mod download all',
};

await withScope(async (scope) => {
  const work = await scope.tempDir('modgate-bench-cold-');
  const { fixture, sumdb, upstream } = await startFixtureServices(scope);
  const app = await prepareApp(scope, fixture, sumdb.gosumdb);
  // The checksum DB behind a forwarder that adds the same delay (and counts its requests).
  const slowSumdb = await startForwarder(sumdb.url);
  scope.defer(() => slowSumdb.stop());
  const sumdbSetting = `${sumdb.vkey} ${slowSumdb.url}`;
  for (const scenario of scenarios) {
    const template = scenario === 'download' ? app : await scenarioTemplate(app, scenario, work);
    const run = async (goproxy: string, gosumdb: string): Promise<number> =>
      scenario === 'download' ? (await timedDownloadAll(template, goproxy, gosumdb)).ms : (await timedBuild(template, scenario, { goproxy, gosumdb })).ms;
    // One untimed direct run fills the shared build cache (compiling is not what is compared).
    slowSumdb.setFault(undefined);
    upstream.setDelay(0);
    if (scenario !== 'download') await run(upstream.url, sumdbSetting);
    slowSumdb.setFault({ delayMs });
    upstream.setDelay(delayMs);
    const directMs: number[] = [];
    const mgMs: number[] = [];
    const directReqs: string[] = [];
    const mgReqs: string[] = [];
    const counted = async (body: () => Promise<number>, ms: number[], reqs: string[]): Promise<void> => {
      upstream.clearRequests();
      const before = slowSumdb.faulted;
      ms.push(await body());
      reqs.push(`${upstream.requests.length}+${slowSumdb.faulted - before}`);
    };
    const runDirect = () => counted(() => run(upstream.url, sumdbSetting), directMs, directReqs);
    const runModgate = async (r: number): Promise<void> => {
      const args = ['--cache-dir', join(work, `cache-${scenario}-${r}`), '--upstream', upstream.url, '--sumdb', sumdbSetting];
      if (prefetch !== 'default') args.push('--prefetch', prefetch);
      const mg = await startBenchModgate(scope, { args });
      try {
        await counted(() => run(mg.url, sumdb.vkey), mgMs, mgReqs);
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
      note(`${scenario} round ${r + 1}: direct ${directMs.at(-1)!.toFixed(0)} ms (${directReqs.at(-1)} upstream+sumdb requests), cold modgate ${mgMs.at(-1)!.toFixed(0)} ms (${mgReqs.at(-1)})`);
    }
    const d = median(directMs);
    const m = median(mgMs);
    printRow({
      benchmark: `${describe[scenario]}, upstream and checksum DB +${delayMs} ms/response, prefetch ${prefetch}, ${rounds} rounds`,
      modgate: `${m.toFixed(0)} ms (upstream+sumdb requests ${mgReqs.join(', ')})`,
      baseline: `go → upstream and DB directly: ${d.toFixed(0)} ms (${directReqs.join(', ')})`,
      ratio: fmtRatio(m / d),
      target: `≤ ${TARGET}×`,
      met: m / d <= TARGET ? 'yes' : 'no',
    });
  }
});

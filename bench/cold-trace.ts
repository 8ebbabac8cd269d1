// Diagnostic script (not a benchmark row): one cold run of a cold-build scenario going direct and
// one through a cold modgate, printing the timelines side by side in files: every upstream and
// checksum-DB request (start ms, path) and, for modgate, the go command's requests from its
// request-flow log (start ms, latency, kind, cache). Shows what the go command waits on.
// Usage: node --import tsx bench/cold-trace.ts [--scenario ci|fresh|download] [--delay-ms 50] [--out DIR] [-- modgate args [-- other modgate args ...]]
// (one modgate run per `--`-separated argument list, e.g. `-- --prefetch false -- --prefetch-zip-depth 1`)
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { withScope } from './support/bench-scope.js';
import { prepareApp, timedDownloadAll } from './support/go-download.js';
import { scenarioTemplate, timedBuild, type BuildScenario } from './support/go-build-run.js';
import { flag, note } from './support/bench-stats.js';
import { startFixtureServices } from './support/fixture-services.js';
import { startModgate } from '../test/support/modgate-process.js';

const delayMs = flag('delay-ms', 50);
const scenario = flag('scenario', 'ci') as BuildScenario | 'download';
const out = flag('out', '/tmp/cold-trace');
const dashdash = process.argv.indexOf('--');
const configs: string[][] = [[]];
for (const a of dashdash >= 0 ? process.argv.slice(dashdash + 1) : []) {
  if (a === '--') configs.push([]);
  else configs.at(-1)!.push(a);
}

interface Event { t: number; what: string }

await withScope(async (scope) => {
  await mkdir(out, { recursive: true });
  const work = await scope.tempDir('modgate-cold-trace-');
  const { fixture, sumdb, upstream } = await startFixtureServices(scope);
  const app = await prepareApp(scope, fixture, sumdb.gosumdb);
  let events: Event[] = [];
  let t0 = 0;
  let delay = 0;
  const stamp = (what: string): void => void events.push({ t: performance.now() - t0, what });
  upstream.setHandler((req, _res, next) => {
    stamp(`upstream ${req.url}`);
    next();
  });
  // The checksum DB behind a delaying, recording forwarder.
  const target = new URL(sumdb.url);
  const db = createServer((req, res) => {
    stamp(`sumdb    ${req.url}`);
    setTimeout(() => {
      const up = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end();
    }, delay);
  });
  await new Promise<void>((r) => db.listen(0, '127.0.0.1', () => r()));
  scope.defer(() => new Promise<void>((r) => {
    db.closeAllConnections();
    db.close(() => r());
  }));
  const gosumdb = `${sumdb.vkey} http://127.0.0.1:${(db.address() as AddressInfo).port}`;
  const template = scenario === 'download' ? app : await scenarioTemplate(app, scenario, work);
  const run = async (goproxy: string, gs: string): Promise<number> =>
    scenario === 'download' ? (await timedDownloadAll(template, goproxy, gs)).ms : (await timedBuild(template, scenario, { goproxy, gosumdb: gs })).ms;
  if (scenario !== 'download') await run(upstream.url, gosumdb); // fills the shared build cache
  upstream.setDelay(delayMs);
  delay = delayMs;
  const render = (evs: Event[]): string => evs.sort((a, b) => a.t - b.t).map((e) => `${e.t.toFixed(0).padStart(6)} ${e.what}`).join('\n') + '\n';

  events = [];
  t0 = performance.now();
  const directMs = await run(upstream.url, gosumdb);
  await writeFile(join(out, `${scenario}-direct.txt`), render(events));
  const directUp = events.filter((e) => e.what.startsWith('upstream')).length;
  const directDb = events.filter((e) => e.what.startsWith('sumdb')).length;

  for (const [i, extra] of configs.entries()) {
    events = [];
    const mg = await startModgate({ args: ['--cache-dir', join(work, `cache-${i}`), '--upstream', upstream.url, '--sumdb', gosumdb, '--log-level', 'info', ...extra] });
    scope.trackPid(mg.proc.pid);
    t0 = performance.now();
    const wall0 = Date.now();
    const mgMs = await run(mg.url, sumdb.vkey);
    await mg.stop();
    for (const l of mg.logs) {
      if (l.msg !== 'request' || typeof l.latency_ms !== 'number' || typeof l.time !== 'number') continue;
      const start = l.time - wall0 - l.latency_ms;
      events.push({ t: start, what: `client   ${String(l.path)} ${String(l.cache)} ${l.latency_ms.toFixed(0)}ms` });
    }
    const up = events.filter((e) => e.what.startsWith('upstream')).length;
    const dbn = events.filter((e) => e.what.startsWith('sumdb')).length;
    await writeFile(join(out, `${scenario}-modgate-${i}.txt`), render(events));
    note(`${scenario} [${extra.join(' ')}]: direct ${directMs.toFixed(0)} ms (${directUp}+${directDb} requests), modgate ${mgMs.toFixed(0)} ms (${(mgMs / directMs).toFixed(2)}x, ${up}+${dbn} upstream+sumdb requests); timelines in ${out}`);
  }
});

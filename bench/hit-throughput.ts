// Benchmark (a script, not a test): cache-hit throughput of modgate vs nginx serving the very same
// cache directory as static files (sendfile on, same number of worker processes), measured with wrk
// over loopback: small files (every fixture .info) and a ~1.7 MB real module zip (golang.org/x/crypto
// v0.4.0, fetched and verified against the fixture's checksum DB). Contenders alternate, several rounds.
// A third contender, plain node:http serving the same files from memory (support/node-floor-server.mjs,
// 1 process), shows the ceiling of any single Node.js process here (reported, no target).
// Usage: node --import tsx bench/hit-throughput.ts [--rounds 3] [--seconds 5] [--workers 1|2|both]
//        [--connections 32] [--case info|zip|both]
//        [--cpu-prof DIR (profile modgate; writes .cpuprofile files into DIR; see cpuprofile-summary.ts)]
// Needs Debian packages nginx (or nginx-light) and wrk.
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { runProcess } from '../test/support/process-runner.js';
import { withScope } from './support/bench-scope.js';
import { startBenchModgate } from './support/bench-modgate.js';
import { startNginx } from './support/nginx-server.js';
import { runWrk, type WrkResult } from './support/wrk-runner.js';
import { listProxyFiles } from './support/fixture-files.js';
import { get } from './support/net-util.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { flag, fmtBytes, fmtRatio, median, note, printRow } from './support/bench-stats.js';
import { startFixtureServices } from './support/fixture-services.js';

const rounds = flag('rounds', 3);
const seconds = flag('seconds', 5);
const connections = flag('connections', 32);
const workersFlag = flag('workers', 'both');
const cpuProfDir = flag('cpu-prof', '');
const only = flag('case', 'both');
const ZIP = '/golang.org/x/crypto/@v/v0.4.0.zip';

async function modgateHasWorkers(): Promise<boolean> {
  const r = await runProcess(process.execPath, [join(import.meta.dirname, '..', 'bin', 'modgate'), 'serve', '--help']);
  return r.stdout.includes('--workers');
}

interface Case {
  name: string;
  paths: string[];
  connections: number;
  /** "req" compares requests/s, "bytes" bytes/s */
  metric: 'req' | 'bytes';
  target: number;
}

/** Starts support/node-floor-server.mjs over root; it exits when our stdin pipe closes. */
async function startNodeFloor(scope: Parameters<Parameters<typeof withScope>[0]>[0], root: string): Promise<string> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'support', 'node-floor-server.mjs'), root], { stdio: ['pipe', 'pipe', 'inherit'] });
  scope.trackPid(child.pid);
  scope.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return `http://127.0.0.1:${chunk.toString().trim()}`;
}

await withScope(async (scope) => {
  const work = await scope.tempDir('modgate-bench-hit-');
  const { fixture, sumdb, upstream } = await startFixtureServices(scope);
  const cacheDir = join(work, 'cache');
  const infos = (await listProxyFiles(fixture.proxyDir)).filter((f) => f.kind === 'info').map((f) => f.path);

  const hasWorkers = await modgateHasWorkers();
  const workerCounts = !hasWorkers ? [1] : workersFlag === 'both' ? [1, 2] : [Number(workersFlag)];
  if (!hasWorkers) note('modgate has no --workers flag: comparing 1 process vs 1 nginx worker');

  // Warm the cache once through a throwaway modgate, then check nginx sees identical bytes.
  {
    const mg = await startBenchModgate(scope, { args: ['--cache-dir', cacheDir, '--upstream', upstream.url, '--sumdb', sumdb.gosumdb] });
    for (const p of [...infos, ZIP]) {
      const r = await get(mg.url + p);
      if (r.status !== 200) throw new Error(`warming ${p}: HTTP ${r.status}`);
    }
    await mg.stop();
  }
  const zipBytes = (await readFile(join(cacheDir, ...ZIP.slice(1).split('/')))).length;
  const allCases: Case[] = [
    { name: `hit .info (${infos.length} files, ~${Math.round((await readFile(join(cacheDir, ...infos[0]!.slice(1).split('/')))).length)} B)`, paths: infos, connections, metric: 'req', target: 0.9 },
    { name: `hit .zip (${fmtBytes(zipBytes)})`, paths: [ZIP], connections: Math.max(1, connections >> 2), metric: 'bytes', target: 0.85 },
  ];
  const cases = allCases.filter((c) => only === 'both' || (only === 'zip') === (c.metric === 'bytes'));

  const floorUrl = await startNodeFloor(scope, cacheDir);
  const floor = new Map<string, WrkResult[]>(allCases.map((c) => [c.name, []]));
  for (const workers of workerCounts) {
    const modgateArgs = ['--cache-dir', cacheDir, '--upstream', 'off', '--sumdb', sumdb.gosumdb];
    if (hasWorkers) modgateArgs.push('--workers', String(workers));
    const mg = await startBenchModgate(scope, cpuProfDir !== '' ? { args: modgateArgs, cpuProfDir } : { args: modgateArgs });
    const ngx = await startNginx(scope, cacheDir, workers);
    for (const p of [infos[0]!, ZIP]) {
      const [a, b] = await Promise.all([get(mg.url + p), get(ngx.url + p)]);
      if (a.status !== 200 || b.status !== 200 || a.bytes !== b.bytes) throw new Error(`${p}: modgate ${a.status}/${a.bytes} B vs nginx ${b.status}/${b.bytes} B`);
    }
    const results = new Map<string, { modgate: WrkResult[]; nginx: WrkResult[] }>();
    for (const c of cases) results.set(c.name, { modgate: [], nginx: [] });
    for (let r = 0; r < rounds; r++) {
      for (const c of cases) {
        const order = r % 2 === 0 ? (['modgate', 'nginx'] as const) : (['nginx', 'modgate'] as const);
        for (const who of order) {
          const res = await runWrk({ url: who === 'modgate' ? mg.url : ngx.url, paths: c.paths, durationS: seconds, connections: c.connections, threads: 1, dir: work });
          if (res.errors > 0) throw new Error(`${who} ${c.name}: ${res.errors} wrk errors`);
          results.get(c.name)![who].push(res);
          note(`workers=${workers} round ${r + 1} ${c.name} ${who}: ${res.reqPerSec.toFixed(0)} req/s, ${fmtBytes(res.bytesPerSec)}/s`);
        }
        if (workers === 1) {
          const res = await runWrk({ url: floorUrl, paths: c.paths, durationS: seconds, connections: c.connections, threads: 1, dir: work });
          floor.get(c.name)!.push(res);
          note(`round ${r + 1} ${c.name} plain node:http from memory: ${res.reqPerSec.toFixed(0)} req/s, ${fmtBytes(res.bytesPerSec)}/s`);
        }
      }
    }
    await mg.stop();
    await ngx.stop();
    for (const c of cases) {
      const res = results.get(c.name)!;
      const m = { req: median(res.modgate.map((x) => x.reqPerSec)), bytes: median(res.modgate.map((x) => x.bytesPerSec)) };
      const n = { req: median(res.nginx.map((x) => x.reqPerSec)), bytes: median(res.nginx.map((x) => x.bytesPerSec)) };
      const ratio = c.metric === 'req' ? m.req / n.req : m.bytes / n.bytes;
      const show = (x: { req: number; bytes: number }): string => `${x.req.toFixed(0)} req/s, ${fmtBytes(x.bytes)}/s`;
      printRow({
        benchmark: `${c.name}, ${workers} vs ${workers} worker${workers > 1 ? 's' : ''}, wrk -t1 -c${c.connections} ${seconds}s × ${rounds} rounds`,
        modgate: show(m),
        baseline: `nginx: ${show(n)}`,
        ratio: `${fmtRatio(ratio)} ${c.metric === 'req' ? 'req/s' : 'bytes/s'}`,
        target: `≥ ${c.target}×`,
        met: ratio >= c.target ? 'yes' : 'no',
      });
      if (workers === 1) {
        const f = { req: median(floor.get(c.name)!.map((x) => x.reqPerSec)), bytes: median(floor.get(c.name)!.map((x) => x.bytesPerSec)) };
        const fr = c.metric === 'req' ? f.req / n.req : f.bytes / n.bytes;
        printRow({
          benchmark: `${c.name}, reference: plain node:http from memory (1 process) vs the same nginx runs`,
          modgate: `node:http floor: ${show(f)} (modgate = ${fmtRatio(c.metric === 'req' ? m.req / f.req : m.bytes / f.bytes)} of it)`,
          baseline: `nginx: ${show(n)}`,
          ratio: `${fmtRatio(fr)} ${c.metric === 'req' ? 'req/s' : 'bytes/s'}`,
          target: 'n/a',
          met: 'n/a',
        });
      }
    }
  }
});

// Benchmark (a script, not a test): cache-hit throughput of modgate against the servers a team would
// otherwise put in front of the same cache directory, measured with wrk over loopback (issue #10):
//   - the Go proxies' way of serving a disk cache: a Go net/http server that opens the file and calls
//     http.ServeContent for every request (support/go-file-server/main.go, built with the Debian Go);
//   - nginx (sendfile on, access log off);
//   - plain node:http answering from memory (support/node-floor-server.mjs): the ceiling of any
//     single Node.js process here (reference, no target).
// Cases: small files (every cached .info, .mod and @v/list of the fixture, cycled), the largest
// fixture zip, and a 20 MiB zip. modgate runs with its default request-flow log (info level, every
// request logged and counted), the contenders with no access log.
// Placement (2 cores): every single-process server is pinned to CPU 0 and wrk to CPU 1; modgate
// --workers 2 is left unpinned (both cores, sharing CPU 1 with wrk), compared with modgate 1 worker.
// Usage: node --import tsx bench/hit-throughput.ts [--rounds 3] [--seconds 5] [--connections 32]
//        [--case small|zip|zip20|all] [--workers 1|2|both] [--pin true|false]
//        [--pipeline N (wrk sends N requests at once per connection; default 1)]
//        [--cpu-prof DIR (profile modgate; writes .cpuprofile files into DIR; see cpuprofile-summary.ts)]
// Needs Debian packages nginx (or nginx-light), wrk and golang-go.
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { readdir, stat } from 'node:fs/promises';
import { withScope, type BenchScope } from './support/bench-scope.js';
import { startBenchModgate } from './support/bench-modgate.js';
import { startNginx } from './support/nginx-server.js';
import { startGoFileServer, pinProcess, spawnPortServer } from './support/go-file-server.js';
import { runWrk, type WrkResult } from './support/wrk-runner.js';
import { listProxyFiles } from './support/fixture-files.js';
import { get } from './support/net-util.js';
import { flag, fmtBytes, fmtRatio, median, note, printRow } from './support/bench-stats.js';
import { startFixtureServices } from './support/fixture-services.js';
import { writeSyntheticModule } from './support/synthetic-module.js';
import { processTree } from './support/rss-sampler.js';
import { cpuSeconds } from './support/cpu-time.js';

const rounds = flag('rounds', 3);
const seconds = flag('seconds', 5);
const connections = flag('connections', 32);
const workersFlag = flag('workers', 'both');
const pin = flag('pin', 'true') !== 'false';
const cpuProfDir = flag('cpu-prof', '');
/** Requests wrk sends at once per connection (HTTP/1.1 pipelining): fewer syscalls per request on both sides, so on 2 cores wrk takes less of the CPU that --workers 2 needs. */
const pipeline = flag('pipeline', 1);
const only = flag('case', 'all');
const SERVER_CPU = '0';
const WRK_CPU = '1';

interface Case {
  key: 'small' | 'zip' | 'zip20';
  name: string;
  paths: string[];
  connections: number;
  /** "req" compares requests/s, "bytes" bytes/s */
  metric: 'req' | 'bytes';
  /** minimum ratios modgate / contender */
  targets: { go: number; nginx: number };
}

type Who = 'modgate' | 'go' | 'nginx' | 'node';
/** A wrk run with the server's CPU time per request over it. */
type Run = WrkResult & { cpuUsPerReq: number };
const value = (c: Case, r: WrkResult): number => (c.metric === 'req' ? r.reqPerSec : r.bytesPerSec);
const show = (xs: Run[]): string =>
  `${median(xs.map((x) => x.reqPerSec)).toFixed(0)} req/s, ${fmtBytes(median(xs.map((x) => x.bytesPerSec)))}/s, server CPU ${median(xs.map((x) => x.cpuUsPerReq)).toFixed(1)} µs/req`;

/** Starts support/node-floor-server.mjs over root; it exits when our stdin pipe closes. */
function startNodeFloor(scope: BenchScope, root: string): Promise<{ url: string; pid: number }> {
  return spawnPortServer(scope, process.execPath, [join(import.meta.dirname, 'support', 'node-floor-server.mjs'), root]);
}

async function pinTree(pid: number): Promise<void> {
  if (!pin) return;
  for (const p of processTree(pid)) await pinProcess(p, SERVER_CPU);
}

/** Every @v/list under a GOPROXY-layout directory, as request paths. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name === 'list' && e.parentPath.endsWith('@v') && !e.parentPath.includes('.modgate'))
    .map((e) => `/${join(e.parentPath, e.name).slice(dir.length + 1)}`)
    .sort();
}

await withScope(async (scope) => {
  const work = await scope.tempDir('modgate-bench-hit-');
  const { fixture, sumdb, upstream } = await startFixtureServices(scope);
  const cacheDir = join(work, 'cache');
  const fixtureFiles = await listProxyFiles(fixture.proxyDir);
  const small = fixtureFiles.filter((f) => f.kind !== 'zip').map((f) => f.path);
  let largestZip = { path: '', size: 0 };
  for (const f of fixtureFiles.filter((x) => x.kind === 'zip')) {
    const size = (await stat(join(fixture.proxyDir, ...f.path.slice(1).split('/')))).size;
    if (size > largestZip.size) largestZip = { path: f.path, size };
  }

  // Warm the cache through throwaway modgates: the fixture (verified against its checksum DB) and a
  // 20 MiB synthetic module (in no checksum DB, so from a file upstream with --sumdb off).
  {
    const mg = await startBenchModgate(scope, { args: ['--cache-dir', cacheDir, '--upstream', upstream.url, '--sumdb', sumdb.gosumdb, '--prefetch', 'false'] });
    const modules = [...new Set(small.map((p) => p.slice(0, p.indexOf('/@v/'))))];
    for (const p of [...small, largestZip.path, ...modules.map((m) => `${m}/@v/list`)]) {
      const r = await get(mg.url + p);
      if (r.status !== 200) throw new Error(`warming ${p}: HTTP ${r.status}`);
    }
    await mg.stop();
    const synthDir = join(work, 'synthetic');
    const zip20 = await writeSyntheticModule(synthDir, { path: 'example.com/bench20', version: 'v1.0.0', bytes: 20 * 1024 * 1024 });
    const mg2 = await startBenchModgate(scope, { args: ['--cache-dir', cacheDir, '--upstream', `file://${synthDir}`, '--sumdb', 'off', '--prefetch', 'false'] });
    for (const p of [zip20.replace(/\.zip$/, '.info'), zip20.replace(/\.zip$/, '.mod'), zip20]) {
      const r = await get(mg2.url + p);
      if (r.status !== 200) throw new Error(`warming ${p}: HTTP ${r.status}`);
    }
    await mg2.stop();
  }
  const cachedSmall = (await listProxyFiles(cacheDir)).filter((f) => f.kind !== 'zip' && !f.path.includes('/.modgate/')).map((f) => f.path);
  const smallPaths = [...cachedSmall, ...(await listFiles(cacheDir))];
  const zip20Path = '/example.com/bench20/@v/v1.0.0.zip';
  const zip20Size = (await stat(join(cacheDir, ...zip20Path.slice(1).split('/')))).size;
  const allCases: Case[] = [
    { key: 'small', name: `small hits (.info/.mod/list, ${smallPaths.length} files)`, paths: smallPaths, connections, metric: 'req', targets: { go: 1.0, nginx: 0.6 } },
    { key: 'zip', name: `zip hit ${largestZip.path.slice(1)} (${fmtBytes(largestZip.size)})`, paths: [largestZip.path], connections: Math.max(1, connections >> 2), metric: 'bytes', targets: { go: 1.0, nginx: 0.85 } },
    { key: 'zip20', name: `zip hit (${fmtBytes(zip20Size)})`, paths: [zip20Path], connections: Math.max(1, connections >> 3), metric: 'bytes', targets: { go: 1.0, nginx: 0.85 } },
  ];
  const cases = allCases.filter((c) => only === 'all' || only === c.key);

  const modgateArgs = (workers: number): string[] => ['--cache-dir', cacheDir, '--upstream', 'off', '--sumdb', sumdb.gosumdb, '--log-level', 'info', '--workers', String(workers)];
  const startMg = (workers: number): ReturnType<typeof startBenchModgate> =>
    startBenchModgate(scope, cpuProfDir !== '' ? { args: modgateArgs(workers), cpuProfDir } : { args: modgateArgs(workers) });
  const mg1 = await startMg(1);
  await pinTree(mg1.proc.pid!);
  const gofs = await startGoFileServer(scope, cacheDir, pin ? SERVER_CPU : undefined);
  const ngx = await startNginx(scope, cacheDir, 1);
  await pinTree(ngx.pid);
  const floor = await startNodeFloor(scope, cacheDir);
  await pinTree(floor.pid);
  const urls: Record<Who, string> = { modgate: mg1.url, go: gofs.url, nginx: ngx.url, node: floor.url };
  const pids: Record<Who, number> = { modgate: mg1.proc.pid!, go: gofs.pid, nginx: ngx.pid, node: floor.pid };
  /** wrk against one server, with the server's CPU time over the run. */
  const measure = async (pid: number, o: Parameters<typeof runWrk>[0]): Promise<Run> => {
    const cpu0 = cpuSeconds(pid);
    const res = await runWrk(o);
    return { ...res, cpuUsPerReq: ((cpuSeconds(pid) - cpu0) * 1e6) / Math.max(1, res.requests) };
  };

  // Same answer from every contender before measuring anything.
  for (const c of cases) {
    for (const p of [c.paths[0]!, c.paths[c.paths.length - 1]!]) {
      const answers = await Promise.all((Object.keys(urls) as Who[]).map(async (w) => ({ w, r: await get(urls[w] + p) })));
      const ref = answers.find((a) => a.w === 'go')!.r;
      for (const { w, r } of answers) {
        if (r.status !== 200 || r.bytes !== ref.bytes) throw new Error(`${p}: ${w} answered ${r.status}/${r.bytes} B, the Go server ${ref.status}/${ref.bytes} B`);
      }
    }
  }

  // Every path once, then one unrecorded second per server and case: modgate's memory holds every
  // file and its JIT warms up (the Go server and nginx need neither). Without the single pass, a
  // loaded machine's one second may not reach every path, and a connection whose request is not in
  // memory yet is handed to node:http for good (src/http/raw-front.ts), so round 1 would measure that.
  const warmUp = async (url: string, c: Case): Promise<void> => {
    for (const p of c.paths) {
      const r = await get(url + p);
      if (r.status !== 200) throw new Error(`warming ${url}${p}: HTTP ${r.status}`);
    }
    await runWrk({ url, paths: c.paths, durationS: 1, connections: c.connections, threads: 1, dir: work, pipeline, ...(pin ? { cpus: WRK_CPU } : {}) });
  };
  for (const c of cases) for (const who of Object.keys(urls) as Who[]) await warmUp(urls[who], c);
  const load = (): string => loadavg().map((x) => x.toFixed(1)).join(' ');
  note(`load average before measuring: ${load()}`);
  const results = new Map<string, Record<Who | 'modgate2', Run[]>>(cases.map((c) => [c.key, { modgate: [], go: [], nginx: [], node: [], modgate2: [] }]));
  const order: Who[] = ['modgate', 'go', 'nginx', 'node'];
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const turn = [...order.slice(r % order.length), ...order.slice(0, r % order.length)];
      for (const who of turn) {
        const res = await measure(pids[who], { url: urls[who], paths: c.paths, durationS: seconds, connections: c.connections, threads: 1, dir: work, pipeline, ...(pin ? { cpus: WRK_CPU } : {}) });
        if (res.errors > 0) throw new Error(`${who} ${c.name}: ${res.errors} wrk errors`);
        results.get(c.key)![who].push(res);
        note(`round ${r + 1} ${c.name} ${who}: ${res.reqPerSec.toFixed(0)} req/s, ${fmtBytes(res.bytesPerSec)}/s, server CPU ${res.cpuUsPerReq.toFixed(1)} µs/req`);
      }
    }
  }
  await mg1.stop();

  const small2 = cases.find((c) => c.key === 'small');
  if (small2 && (workersFlag === 'both' || workersFlag === '2')) {
    const mg2 = await startMg(2);
    await warmUp(mg2.url, small2);
    for (let r = 0; r < rounds; r++) {
      const res = await measure(mg2.proc.pid!, { url: mg2.url, paths: small2.paths, durationS: seconds, connections: small2.connections, threads: 1, dir: work, pipeline });
      if (res.errors > 0) throw new Error(`modgate --workers 2: ${res.errors} wrk errors`);
      results.get('small')!.modgate2.push(res);
      note(`round ${r + 1} ${small2.name} modgate --workers 2 (unpinned): ${res.reqPerSec.toFixed(0)} req/s`);
    }
    await mg2.stop();
  }

  note(`load average after measuring: ${load()}`);
  for (const c of cases) {
    const res = results.get(c.key)!;
    const m = median(res.modgate.map((x) => value(c, x)));
    const unit = c.metric === 'req' ? 'req/s' : 'bytes/s';
    const bench = `${c.name}, 1 process each, wrk -t1 -c${c.connections}${pipeline > 1 ? ` pipelining ${pipeline}` : ''} ${seconds}s × ${rounds} rounds${pin ? ', servers on CPU 0, wrk on CPU 1' : ''}`;
    for (const [who, label, target] of [['go', 'Go net/http ServeContent', c.targets.go], ['nginx', 'nginx', c.targets.nginx]] as const) {
      const ratio = m / median(res[who].map((x) => value(c, x)));
      // Per request, CPU: the ratio the two would reach each on a core of its own (contender CPU / modgate CPU).
      const cpuRatio = median(res[who].map((x) => x.cpuUsPerReq)) / median(res.modgate.map((x) => x.cpuUsPerReq));
      printRow({ benchmark: `${bench}: vs ${label}`, modgate: show(res.modgate), baseline: `${label}: ${show(res[who])}`, ratio: `${fmtRatio(ratio)} ${unit} (${fmtRatio(cpuRatio)} by server CPU per request)`, target: `≥ ${target}×`, met: ratio >= target ? 'yes' : 'no' });
    }
    const f = median(res.node.map((x) => value(c, x)));
    printRow({ benchmark: `${bench}: reference, plain node:http from memory`, modgate: show(res.modgate), baseline: `node:http: ${show(res.node)}`, ratio: `${fmtRatio(m / f)} ${unit}`, target: 'n/a', met: 'n/a' });
    if (c.key === 'small' && res.modgate2.length > 0) {
      const ratio = median(res.modgate2.map((x) => x.reqPerSec)) / median(res.modgate.map((x) => x.reqPerSec));
      printRow({ benchmark: `${c.name}${pipeline > 1 ? `, wrk pipelining ${pipeline}` : ''}: modgate --workers 2 (unpinned, wrk shares the cores) vs 1 worker (CPU 0, wrk on CPU 1)`, modgate: `2 workers: ${show(res.modgate2)}`, baseline: `1 worker: ${show(res.modgate)}`, ratio: `${fmtRatio(ratio)} req/s`, target: '≥ 1.7×', met: ratio >= 1.7 ? 'yes' : 'no' });
    }
  }
});

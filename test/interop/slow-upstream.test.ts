// Slow and dead upstreams, judged by the real go command: a slow-drip zip (Content-Length 100000,
// then 1 byte every 0.5 s) trips the minimum transfer rate, so the go command fails fast with
// modgate's 504 naming the upstream (every client joined to the fill gets the same answer), and
// `drip|file://mirror` succeeds through the mirror.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildFixture, startSumdb, type Fixture, type FixtureModule, type SumdbServer } from '../support/gohelper.js';
import { startFileProxy, type FileProxyServer } from '../support/file-proxy-server.js';
import { createGoEnv, parseJsonStream, type GoModDownload } from '../support/go-env.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';

let fixture: Fixture;
let sumdb: SumdbServer;
let drip: FileProxyServer;
let work: string;
let mods: FixtureModule[];
const cleanups: Array<() => Promise<unknown>> = [];

before(async () => {
  fixture = await buildFixture();
  work = await mkdtemp(join(tmpdir(), 'modgate-slow-'));
  sumdb = await startSumdb({ proxyDir: fixture.proxyDir });
  drip = await startFileProxy({ dir: fixture.proxyDir });
  // .info/.mod/list are served normally; every zip drips one byte per 0.5 s of a declared 100000.
  drip.setHandler((req, res, next) => {
    if (!(req.url ?? '').endsWith('.zip')) return next();
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': 100_000 });
    const timer = setInterval(() => res.write(Buffer.from('P')), 500);
    res.on('close', () => clearInterval(timer));
  });
  cleanups.push(() => drip.stop());
  mods = fixture.manifest.modules.filter((m) => !m.stub && m.selected !== '');
  assert.ok(mods.length >= 4);
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  await sumdb?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function modgateWith(name: string, args: string[]): Promise<ModgateProcess> {
  const m = await startModgate({ args: ['--cache-dir', join(work, name), '--sumdb', sumdb.gosumdb, '--upstream-retries', '0', ...args] });
  cleanups.push(() => m.kill());
  return m;
}

/** `go mod download -json target` in a fresh module cache, killed after 60 s (a hang fails the test). */
async function download(goproxy: string, target: string): Promise<{ code: number; text: string; modules: GoModDownload[] }> {
  const env = await createGoEnv({ GOPROXY: goproxy, GOSUMDB: sumdb.gosumdb, GOFLAGS: '-modcacherw' });
  try {
    const dir = await mkdtemp(join(work, 'dl-'));
    const r = await env.run(['mod', 'download', '-json', target], { cwd: dir, timeoutMs: 60_000 });
    const modules = parseJsonStream<GoModDownload>(r.stdout);
    return { code: r.code, text: `${r.stderr}\n${modules.map((x) => x.Error ?? '').join('\n')}`, modules };
  } finally {
    await env.cleanup();
  }
}

const target = (m: FixtureModule) => `${m.path}@${m.selected}`;
const zipPath = (m: FixtureModule) => `/${escapePath(m.path)}/@v/${escapeVersion(m.selected)}.zip`;
const rateArgs = ['--upstream-min-bytes-per-second', '1000', '--upstream-rate-window-ms', '1500'];

test('slow-drip upstream alone: the go command fails fast with modgate\'s 504 naming it; joined clients get the same answer', async () => {
  const m = await modgateWith('drip-alone', ['--upstream', drip.url, ...rateArgs]);
  const mod = mods[0]!;
  const started = performance.now();
  const [a, b] = await Promise.all([download(m.url, target(mod)), download(m.url, target(mod))]);
  const seconds = (performance.now() - started) / 1000;
  for (const r of [a, b]) {
    assert.notEqual(r.code, 0, r.text);
    assert.match(r.text, /504 Gateway Timeout/, r.text);
    assert.match(r.text, /transfer too slow/, r.text);
    assert.ok(r.text.includes(drip.url), r.text);
  }
  // Both go commands waited on one fill: one zip request reached the drip upstream.
  assert.equal(drip.count(zipPath(mod)), 1);
  assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`);
});

test('`drip|file://mirror`: the chain moves on after the rate limit and the go command succeeds', async () => {
  const mirror = pathToFileURL(fixture.proxyDir).href;
  const m = await modgateWith('drip-mirror', ['--upstream', `${drip.url}|${mirror}`, ...rateArgs]);
  const mod = mods[1]!;
  const r = await download(m.url, target(mod));
  assert.equal(r.code, 0, r.text);
  assert.equal(r.modules[0]?.Version, mod.selected);
  assert.ok(r.modules[0]?.Sum?.startsWith('h1:'));
  assert.equal(drip.count(zipPath(mod)), 1);
});

test('attempt deadline: a drip fast enough for the rate still ends at the deadline with a 504', async () => {
  const m = await modgateWith('drip-deadline', ['--upstream', drip.url, '--upstream-min-bytes-per-second', '0', '--upstream-attempt-timeout-ms', '2000']);
  const mod = mods[2]!;
  const r = await download(m.url, target(mod));
  assert.notEqual(r.code, 0, r.text);
  assert.match(r.text, /504 Gateway Timeout/, r.text);
  assert.match(r.text, /within 2000 ms \(attempt deadline\)/, r.text);
  assert.ok(r.text.includes(drip.url), r.text);
});

test('circuit breaker: with `hang|file://mirror` only the first cold requests wait; later ones skip the dead upstream', async () => {
  const hang = await startFileProxy({ dir: fixture.proxyDir });
  hang.setHandler(() => undefined); // accepts and never answers
  cleanups.push(() => hang.stop());
  const mirror = pathToFileURL(fixture.proxyDir).href;
  const timeoutMs = 1500;
  const m = await startModgate({
    args: ['--cache-dir', join(work, 'breaker'), '--sumdb', sumdb.gosumdb, '--upstream', `${hang.url}|${mirror}`, '--upstream-retries', '0',
      '--upstream-timeout-ms', String(timeoutMs), '--upstream-breaker-failures', '2', '--upstream-breaker-cool-down-ms', '600000'],
    env: { MODGATE_PREFETCH: 'false' },
  });
  cleanups.push(() => m.kill());
  const [first, ...later] = [mods[4]!, mods[5]!, mods[6]!];
  const r1 = await download(m.url, target(first));
  assert.equal(r1.code, 0, r1.text);
  // The first two cold files each waited for the timeout, then the circuit opened.
  assert.equal(hang.requests.length, 2, hang.requests.join('\n'));
  for (const mod of later) {
    const r = await download(m.url, target(mod));
    assert.equal(r.code, 0, r.text);
    assert.equal(r.modules[0]?.Version, mod.selected);
  }
  assert.equal(hang.requests.length, 2, 'no request reached the dead upstream once its circuit was open');
  const flows = m.logs.filter((l) => l.msg === 'request' && typeof l.module === 'string');
  const waited = flows.filter((l) => l.module === first.path && (l.latency_ms as number) >= timeoutMs);
  assert.equal(waited.length, 2, JSON.stringify(flows));
  for (const mod of later) {
    const lines = flows.filter((l) => l.module === mod.path && l.cache === 'miss');
    assert.ok(lines.length >= 3, `${mod.path}: ${JSON.stringify(lines)}`);
    for (const l of lines) {
      assert.deepEqual(l.skipped, [hang.url], JSON.stringify(l));
      assert.equal(l.source, mirror);
      assert.ok((l.latency_ms as number) < timeoutMs, JSON.stringify(l));
    }
  }
  const metrics = await (await fetch(`${m.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`modgate_upstream_circuit_state\\{upstream="${hang.url}"\\} 1`));
  assert.match(metrics, new RegExp(`modgate_upstream_circuit_skips_total\\{upstream="${hang.url}"\\} [1-9]`));
  const overview = (await (await fetch(`${m.url}/api/overview`)).json()) as { upstreams: Array<{ name: string; circuit?: string }> };
  assert.equal(overview.upstreams.find((u) => u.name === hang.url)?.circuit, 'open');
});

test('a cold zip fetches its .info, .mod and .zip concurrently; the zip is stored after them', async () => {
  const mod = mods[7]!;
  const files = ['.info', '.mod', '.zip'].map((ext) => `/${escapePath(mod.path)}/@v/${escapeVersion(mod.selected)}${ext}`);
  const held: Array<() => void> = [];
  const arrived = new Set<string>();
  let concurrent = false;
  const proxy = await startFileProxy({ dir: fixture.proxyDir });
  cleanups.push(() => proxy.stop());
  // Holds the version's files until all three were asked for (released anyway after 5 s).
  let fallback: NodeJS.Timeout | undefined;
  const releaseAll = (): void => {
    clearTimeout(fallback);
    for (const next of held.splice(0)) next();
  };
  proxy.setHandler((req, _res, next) => {
    const p = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    if (!files.includes(p)) return next();
    arrived.add(p);
    held.push(next);
    if (arrived.size === files.length) {
      concurrent = true;
      releaseAll();
    } else fallback ??= setTimeout(releaseAll, 5000);
  });
  const m = await modgateWith('concurrent', ['--upstream', proxy.url]);
  const res = await fetch(m.url + files[2]);
  assert.equal(res.status, 200, await res.clone().text());
  assert.ok(Buffer.from(await res.arrayBuffer()).length > 0);
  assert.ok(concurrent, `the upstream saw ${[...arrived].join(', ')} one after another`);
  for (const f of files) assert.equal(proxy.count(f), 1, f);
});

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

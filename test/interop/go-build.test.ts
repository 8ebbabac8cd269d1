// The go command is the judge: a program importing a realistic module graph (Debian's Go module
// sources packed by Go's own x/mod) builds through modgate from a cold cache and again warm, and
// `go mod download -json all` through modgate equals a run against the upstream directly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture, startSumdb, type Fixture, type SumdbServer } from '../support/gohelper.js';
import { startFileProxy, type FileProxyServer } from '../support/file-proxy-server.js';
import type { GoModDownload } from '../support/go-env.js';
import { buildAndDownloadAll } from '../support/fixture-build.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';

let fixture: Fixture;
let sumdb: SumdbServer;
let upstream: FileProxyServer;
let modgate: ModgateProcess;
let work: string;

before(async () => {
  fixture = await buildFixture();
  work = await mkdtemp(join(tmpdir(), 'modgate-interop-'));
  sumdb = await startSumdb({ proxyDir: fixture.proxyDir });
  upstream = await startFileProxy({ dir: fixture.proxyDir });
  modgate = await startModgate({ args: ['--cache-dir', join(work, 'cache'), '--upstream', upstream.url, '--sumdb', sumdb.gosumdb] });
});

after(async () => {
  await modgate?.stop();
  await upstream?.stop();
  await sumdb?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** go build + go mod download -json all in a fresh module cache through GOPROXY. */
const buildThrough = (goproxy: string, name: string, gosumdb = sumdb.gosumdb) => buildAndDownloadAll({ fixture, goproxy, gosumdb, work, name });

const summary = (mods: GoModDownload[]) => mods.map((m) => `${m.Path}@${m.Version} ${m.Sum ?? '-'} ${m.GoModSum ?? '-'}`).sort();

test('the go command builds the fixture app through modgate, cold then warm, identical to going direct', async () => {
  assert.ok(fixture.manifest.modules.length >= 50, `fixture has ${fixture.manifest.modules.length} modules`);
  const direct = await buildThrough(upstream.url, 'direct');
  upstream.clearRequests();

  // Through modgate the go command gets only the database's key: it finds modgate's /sumdb/ proxy.
  const cold = await buildThrough(modgate.url, 'cold', sumdb.vkey);
  assert.deepEqual(summary(cold.modules), summary(direct.modules));
  assert.equal(cold.goSum, direct.goSum);
  assert.ok(cold.modules.length >= 40, `download all listed ${cold.modules.length} modules`);
  const coldUpstream = upstream.requests.length;
  assert.ok(coldUpstream > 0);
  // Each immutable file was fetched from the upstream at most once.
  const immutable = upstream.requests.filter((p) => /\.(info|mod|zip)$/.test(p));
  assert.equal(new Set(immutable).size, immutable.length, 'an immutable file was fetched twice');

  upstream.clearRequests();
  const warm = await buildThrough(modgate.url, 'warm', sumdb.vkey);
  assert.deepEqual(summary(warm.modules), summary(direct.modules));
  assert.equal(warm.goSum, direct.goSum);
  assert.deepEqual(upstream.requests.filter((p) => /\.(info|mod|zip)$/.test(p)), [], 'warm build fetched immutable files again');

  // The request-flow log says what happened.
  const zipLines = modgate.logs.filter((l) => l.kind === 'zip');
  assert.ok(zipLines.some((l) => l.cache === 'miss' && l.source === upstream.url));
  assert.ok(zipLines.some((l) => l.cache === 'hit' && l.source === 'cache'));
  for (const l of zipLines) {
    assert.equal(typeof l.latency_ms, 'number');
    assert.equal(typeof l.module, 'string');
    assert.equal(l.status, 200);
  }

  // The go command verified through modgate's checksum DB proxy.
  const sumdbLines = modgate.logs.filter((l) => l.kind === 'sumdb');
  assert.ok(sumdbLines.some((l) => String(l.path).includes(`/sumdb/${sumdb.name}/supported`) && l.status === 200));
  assert.ok(sumdbLines.some((l) => String(l.path).includes(`/sumdb/${sumdb.name}/lookup/`) && l.status === 200));
  assert.ok(sumdbLines.some((l) => String(l.path).includes(`/sumdb/${sumdb.name}/tile/`) && l.status === 200));

  // The cache directory is itself a usable GOPROXY=file:// for everything the build needed.
  const offline = await buildThrough(`file://${join(work, 'cache')}`, 'offline');
  assert.deepEqual(summary(offline.modules), summary(direct.modules));
});

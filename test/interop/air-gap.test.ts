// Air-gapped operation end to end: a connected modgate (fixture upstream + Go's test checksum DB)
// exports the fixture app's go.mod; a second modgate with `--upstream off` imports it and the real
// go command builds the app through it with GOSUMDB=<key only> (verifying via modgate's /sumdb/),
// getting the same go.sum; `go list -m -versions` and `go get @latest` work; importing again is a
// no-op. (Refusals and incremental bundles: air-gap-refusals.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { buildFixture, copyFixtureApp, startSumdb, type Fixture, type SumdbServer } from '../support/gohelper.js';
import { startFileProxy, type FileProxyServer } from '../support/file-proxy-server.js';
import { buildAndDownloadAll } from '../support/fixture-build.js';
import { createGoEnv } from '../support/go-env.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { hashTree } from '../support/bundle-rewrite.js';
import { bundleCli } from '../support/bundle-cli.js';
import type { BundleManifest } from '../../src/bundle/bundle-manifest.js';

const TOKEN = 'air-gap-admin-token';

let fixture: Fixture;
let sumdb: SumdbServer;
let upstream: FileProxyServer;
let connected: ModgateProcess;
let work: string;
let offDir: string;
let connectedSum: string;
const cleanups: Array<() => Promise<unknown>> = [];

const { importCli, exportCli } = bundleCli(() => sumdb.vkey);

before(async () => {
  fixture = await buildFixture();
  work = await mkdtemp(join(tmpdir(), 'modgate-airgap-'));
  offDir = join(work, 'offline-storage');
  sumdb = await startSumdb({ proxyDir: fixture.proxyDir, keyFile: join(work, 'sumdb.key'), log: true });
  upstream = await startFileProxy({ dir: fixture.proxyDir });
  connected = await startModgate({ timeoutMs: 90_000, args: ['--cache-dir', join(work, 'connected'), '--upstream', upstream.url, '--sumdb', sumdb.gosumdb, '--prefetch', 'false'] });
  cleanups.push(() => connected.kill());
  connectedSum = (await buildAndDownloadAll({ fixture, goproxy: connected.url, gosumdb: sumdb.vkey, work, name: 'connected-build' })).goSum;
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  await upstream?.stop();
  await sumdb?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('export → import → go build with --upstream off and GOSUMDB=<key>: same go.sum; list and @latest work', async () => {
  const b1 = join(work, 'b1.tgz');
  await exportCli([join(fixture.appDir, 'go.mod'), '-o', b1], connected.url);
  const first = await importCli(b1, offDir);
  assert.equal(first.code, 0, JSON.stringify(first.report.problems, null, 2));
  assert.equal(first.report.status, 'imported');
  assert.ok(first.report.written > 0);

  const offline = await startModgate({ timeoutMs: 90_000, args: ['--cache-dir', offDir, '--upstream', 'off', '--sumdb', sumdb.vkey, '--admin-tokens', TOKEN] });
  cleanups.push(() => offline.kill());
  upstream.clearRequests();
  sumdb.requests.length = 0;
  const built = await buildAndDownloadAll({ fixture, goproxy: offline.url, gosumdb: sumdb.vkey, work, name: 'offline-build' });
  assert.equal(built.goSum, connectedSum, 'the offline build wrote a different go.sum');
  assert.deepEqual(upstream.requests, [], 'the offline side reached the upstream');
  assert.deepEqual(sumdb.requests, [], 'the offline side reached the checksum database');

  // go list -m -versions and go get @latest for a bundled module.
  const manifest = JSON.parse(await readFile(`${b1}.manifest.json`, 'utf8')) as BundleManifest;
  const mod = 'golang.org/x/text';
  const bundled = manifest.modules.filter((m) => m.path === mod && m.files.includes('info')).map((m) => m.version);
  assert.ok(bundled.length > 0);
  const env = await createGoEnv({ GOPROXY: offline.url, GOSUMDB: sumdb.vkey, sharedBuildCache: true });
  try {
    const app = await copyFixtureApp(fixture, join(work, 'offline-get'));
    const list = await env.run(['list', '-m', '-versions', mod], { cwd: app });
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout.trim(), `${mod} ${bundled.join(' ')}`);
    const get = await env.run(['get', `${mod}@latest`], { cwd: app });
    assert.equal(get.code, 0, get.stderr);
    assert.match(await readFile(join(app, 'go.mod'), 'utf8'), new RegExp(`${mod.replace(/\./g, '\\.')} ${bundled.at(-1)!.replace(/\./g, '\\.')}`));
  } finally {
    await env.cleanup();
  }

  // What it cannot answer offline: a clear 404 saying so and what to export.
  const missing = await request(`${offline.url}/example.com/not-bundled/@v/list`);
  assert.equal(missing.statusCode, 404);
  assert.match(await missing.body.text(), /offline.*\n.*modgate export example\.com\/not-bundled@VERSION/);
  const lookup = await request(`${offline.url}/sumdb/${sumdb.name}/lookup/example.com/not-bundled@v1.0.0`);
  assert.equal(lookup.statusCode, 404);
  assert.match(await lookup.body.text(), /offline/);

  // The same bundle again: a no-op.
  await offline.stop();
  const before = await hashTree(offDir);
  const again = await importCli(b1, offDir);
  assert.equal(again.report.status, 'unchanged');
  assert.equal(again.report.written, 0);
  assert.deepEqual(await hashTree(offDir), before);
});


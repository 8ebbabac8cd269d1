// Air-gapped operation end to end, the real go command as the judge. One connected modgate (fixture
// upstream + Go's test checksum database, and modgate's own checksum database recording a private
// git module) exports the fixture app's go.mod and a small app using the private module, proven
// against both databases, once; a second modgate with `--upstream off` and no network path to either
// imports the bundle, and through it:
// - the go command builds the fixture app with GOSUMDB=<test database key only> (verifying via
//   modgate's /sumdb/) and writes the go.sum of the go command's direct build (go-build.test.ts shows
//   the build through a connected modgate writes the same); `go list -m -versions` and
//   `go get @latest` work; what is not bundled gets a 404 saying the server is offline;
// - the go command builds the private app with GOSUMDB=<own database key>, GONOSUMDB and GOPRIVATE
//   empty (docs/own-sumdb.md) and writes the go.sum of the same build through the connected modgate;
// - an incremental export (--since) uploaded to the admin API proves consistency with both trees.
// Importing the bundles again changes nothing; a tampered own-database record or a forged own tree
// head is refused (`modgate import` exits 1) with storage byte-for-byte unchanged. (Every refusal
// case on the public database, and imports into S3 storage, run in process:
// src/bundle/bundle-import.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { buildFixture, copyFixtureApp, startSumdb, type Fixture, type SumdbServer } from '../support/gohelper.js';
import { startFileProxy, type FileProxyServer } from '../support/file-proxy-server.js';
import { directReference } from '../support/fixture-build.js';
import { createGoEnv, goModDownloadJson, type GoEnv } from '../support/go-env.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { createTestRepo, gitRewriteConfig } from '../support/git-repos.js';
import { waitFor } from '../support/wait-for.js';
import { hashTree, readBundle, tamperRecord, writeBundle } from '../support/bundle-rewrite.js';
import { bundleCli } from '../support/bundle-cli.js';
import { generateKey, parseSignerKey, signNote } from '../../src/sumdb/note.js';
import { createFsStorage } from '../../src/storage/fs-storage.js';
import { importBundle, type ImportReport } from '../../src/bundle/bundle-import.js';
import type { BundleManifest } from '../../src/bundle/bundle-manifest.js';

const TOKEN = 'air-gap-admin-token';
const OWN = 'sum.corp.example.com';
const PRIVATE = 'example.com/secret.git';
/** A small public module (no requirements) the private app uses beside the private one. */
const PUBLIC = ['github.com/pmezard/go-difflib', 'v1.0.0', 'github.com/pmezard/go-difflib/difflib'] as const;

let fixture: Fixture;
let sumdb: SumdbServer;
let upstream: FileProxyServer;
let connected: ModgateProcess;
let offline: ModgateProcess;
let work: string;
let offDir: string;
let ownKey: { skey: string; vkey: string };
let privateApp: string;
/** go.sum of the private app built through the connected modgate against its own database. */
let connectedPrivateSum: string;
let b1Manifest: BundleManifest;
const cleanups: Array<() => Promise<unknown>> = [];

const { modgateCli, importCli, exportCli } = bundleCli(() => `${sumdb.vkey},${ownKey.vkey}`);
const ownEnv = (goproxy: string) => createGoEnv({ GOPROXY: goproxy, GOSUMDB: ownKey.vkey, GONOSUMDB: '', GOPRIVATE: '', sharedBuildCache: true });

/** Builds the private app (a copy of it named `name`) with `env`; returns its go.sum. */
async function buildPrivateApp(env: GoEnv, name: string): Promise<string> {
  const app = join(work, name);
  await mkdir(app);
  for (const f of ['go.mod', 'main.go']) await writeFile(join(app, f), await readFile(join(privateApp, f)));
  const build = await env.run(['build', '-o', join(work, `${name}.bin`), '.'], { cwd: app });
  assert.equal(build.code, 0, build.stderr);
  return readFile(join(app, 'go.sum'), 'utf8');
}

before(async () => {
  fixture = await buildFixture();
  work = await mkdtemp(join(tmpdir(), 'modgate-airgap-'));
  offDir = join(work, 'offline-storage');
  [sumdb, upstream] = await Promise.all([startSumdb({ proxyDir: fixture.proxyDir, log: true }), startFileProxy({ dir: fixture.proxyDir })]);
  const repo = await createTestRepo(work, 'secret');
  await repo.write({ 'go.mod': `module ${PRIVATE}\n\ngo 1.17\n`, 'secret.go': 'package secret\n\nconst Answer = 42\n' });
  await repo.commit('first', 1_700_000_000);
  await repo.tag('v1.0.0');
  ownKey = generateKey(OWN);
  const keyFile = join(work, 'own-sumdb.key');
  await writeFile(keyFile, `${ownKey.skey}\n`, { mode: 0o600 });
  connected = await startModgate({
    timeoutMs: 90_000,
    args: ['--cache-dir', join(work, 'connected'), '--upstream', upstream.url, '--sumdb', sumdb.gosumdb, '--prefetch', 'false',
      '--private', PRIVATE, '--git-config', gitRewriteConfig(work).map(([k, v]) => `${k}=${v}`).join(';'),
      '--own-sumdb', OWN, '--own-sumdb-key-file', keyFile],
  });
  cleanups.push(() => connected.kill());
  privateApp = join(work, 'private-app');
  await mkdir(privateApp);
  await writeFile(join(privateApp, 'go.mod'), `module example.com/user\n\ngo 1.17\n\nrequire (\n\t${PRIVATE} v1.0.0\n\t${PUBLIC[0]} ${PUBLIC[1]}\n)\n`);
  await writeFile(join(privateApp, 'main.go'), `package main\n\nimport (\n\tsecret "${PRIVATE}"\n\t"${PUBLIC[2]}"\n)\n\nfunc main() { println(secret.Answer, difflib.SplitLines("a\\nb")[0]) }\n`);
  const env = await ownEnv(connected.url);
  try {
    connectedPrivateSum = await buildPrivateApp(env, 'connected-private');
  } finally {
    await env.cleanup();
  }

  // The one export of the connected side, imported once.
  const b1 = join(work, 'b1.tgz');
  await exportCli([join(fixture.appDir, 'go.mod'), join(privateApp, 'go.mod'), '-o', b1], connected.url);
  b1Manifest = JSON.parse(await readFile(`${b1}.manifest.json`, 'utf8')) as BundleManifest;
  assert.deepEqual(b1Manifest.sumdb.map((t) => t.name).sort(), [OWN, sumdb.name].sort());
  // The own database's record of the private module, its tiles and its signed head are in it.
  const names = b1Manifest.files.map((f) => f.name);
  assert.ok(names.includes(`cache/download/sumdb/${OWN}/lookup/${PRIVATE}@v1.0.0`), 'the own record of the private module');
  assert.ok(names.some((n) => n.startsWith(`cache/download/sumdb/${OWN}/tile/8/`)), 'the own database\'s tiles');
  assert.ok(!names.some((n) => n.startsWith(`cache/download/sumdb/${sumdb.name}/lookup/${PRIVATE}@`)), 'no public record of the private module');
  assert.deepEqual(sumdb.requests.filter((p) => p.includes('secret')), [], 'the private path never reached the public database');
  const first = await importCli(b1, offDir);
  assert.equal(first.code, 0, JSON.stringify(first.report.problems, null, 2));
  assert.equal(first.report.status, 'imported');
  assert.ok(first.report.written > 0);
  offline = await startModgate({ timeoutMs: 90_000, args: ['--cache-dir', offDir, '--upstream', 'off', '--sumdb', `${sumdb.vkey},${ownKey.vkey}`, '--admin-tokens', TOKEN] });
  cleanups.push(() => offline.kill());
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  await upstream?.stop();
  await sumdb?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('go build with --upstream off and GOSUMDB=<key>: the direct build\'s go.sum; list and @latest work; the rest is a clear 404', async () => {
  const reference = await directReference({ fixture, gosumdb: sumdb.gosumdb, work });
  upstream.clearRequests();
  sumdb.requests.length = 0;
  const env = await createGoEnv({ GOPROXY: offline.url, GOSUMDB: sumdb.vkey, sharedBuildCache: true });
  try {
    const app = await copyFixtureApp(fixture, join(work, 'offline-build'));
    const build = await env.run(['build', '-o', join(work, 'offline-build.bin'), '.'], { cwd: app });
    assert.equal(build.code, 0, build.stderr);
    const dl = await goModDownloadJson(app, env);
    assert.equal(dl.code, 0, dl.stderr);
    assert.equal(await readFile(join(app, 'go.sum'), 'utf8'), reference.goSum, 'the offline build wrote a different go.sum');

    // go list -m -versions and go get @latest for a bundled module, in a fresh copy of the app (the
    // module cache is the build's: queries ask the proxy, they are not answered from the cache).
    const mod = 'golang.org/x/text';
    const bundled = b1Manifest.modules.filter((m) => m.path === mod && m.files.includes('info')).map((m) => m.version);
    assert.ok(bundled.length > 0);
    const fresh = await copyFixtureApp(fixture, join(work, 'offline-get'));
    const list = await env.run(['list', '-m', '-versions', mod], { cwd: fresh });
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout.trim(), `${mod} ${bundled.join(' ')}`);
    const get = await env.run(['get', `${mod}@latest`], { cwd: fresh });
    assert.equal(get.code, 0, get.stderr);
    assert.match(await readFile(join(fresh, 'go.mod'), 'utf8'), new RegExp(`${mod.replace(/\./g, '\\.')} ${bundled.at(-1)!.replace(/\./g, '\\.')}`));
  } finally {
    await env.cleanup();
  }
  assert.deepEqual(upstream.requests, [], 'the offline side reached the upstream');
  assert.deepEqual(sumdb.requests, [], 'the offline side reached the checksum database');

  // What it cannot answer offline: a clear 404 saying so and what to export.
  const missing = await request(`${offline.url}/example.com/not-bundled/@v/list`);
  assert.equal(missing.statusCode, 404);
  assert.match(await missing.body.text(), /offline.*\n.*modgate export example\.com\/not-bundled@VERSION/);
  const lookup = await request(`${offline.url}/sumdb/${sumdb.name}/lookup/example.com/not-bundled@v1.0.0`);
  assert.equal(lookup.statusCode, 404);
  assert.match(await lookup.body.text(), /offline/);
});

test('own checksum database: the private module builds offline with GOSUMDB=<own key>, GONOSUMDB empty; the connected build\'s go.sum', async () => {
  assert.equal((await request(`${offline.url}/sumdb/${OWN}/supported`)).statusCode, 200);
  upstream.clearRequests();
  sumdb.requests.length = 0;
  const env = await ownEnv(offline.url);
  let goSum: string;
  try {
    goSum = await buildPrivateApp(env, 'offline-private');
  } finally {
    await env.cleanup();
  }
  assert.equal(goSum, connectedPrivateSum, 'the offline build wrote a different go.sum');
  assert.equal(goSum.split('\n').filter((l) => l.startsWith(`${PRIVATE} `)).length, 2, 'the go command verified the private module against the own database');
  assert.ok(goSum.includes(`${PUBLIC[0]} ${PUBLIC[1]} `), 'and the public one against it too');
  assert.deepEqual(upstream.requests, [], 'the offline side reached the upstream');
  assert.deepEqual(sumdb.requests, [], 'the offline side reached the checksum database');
});

test('incremental export (--since) uploaded to the admin API proves consistency with both earlier trees', async () => {
  const have = new Set(b1Manifest.modules.map((m) => `${m.path}@${m.version}`));
  const extra = fixture.manifest.modules.flatMap((m) => (m.stub ? [] : m.versions.map((v) => `${m.path}@${v}`))).find((mv) => !have.has(mv));
  assert.ok(extra, 'the fixture has a version outside the app\'s graph');
  const b2 = join(work, 'b2.tgz');
  await exportCli([extra, '-o', b2, '--since', join(work, 'b1.tgz.manifest.json')], connected.url);
  const m2 = JSON.parse(await readFile(`${b2}.manifest.json`, 'utf8')) as BundleManifest;
  assert.deepEqual(m2.modules.map((m) => `${m.path}@${m.version}`), [extra]);
  for (const name of [sumdb.name, OWN]) {
    const t1 = b1Manifest.sumdb.find((t) => t.name === name)!;
    const t2 = m2.sumdb.find((t) => t.name === name);
    assert.ok(t2, `b2 is proven against ${name}`);
    assert.equal(t2.consistency?.size, t1.size);
    assert.ok(t2.size > t1.size);
  }

  const [path, version] = extra.split('@') as [string, string];
  const beforeText = await (await request(`${offline.url}/${path}/@v/list`)).body.text();
  const up = await request(`${offline.url}/admin/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/gzip' },
    body: createReadStream(b2),
  });
  const upText = await up.body.text();
  assert.equal(up.statusCode, 202, upText);
  const { id } = JSON.parse(upText) as { id: string };
  const job = await waitFor('import job', async () => {
    const r = await request(`${offline.url}/admin/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const j = (await r.body.json()) as { state: string; result?: ImportReport; errors: string[] };
    return j.state === 'running' ? undefined : j;
  }, 120_000);
  assert.equal(job.state, 'done', job.errors.join('\n'));
  assert.equal(job.result?.status, 'imported');
  assert.deepEqual(job.result?.sumdb, m2.sumdb.map((t) => ({ name: t.name, size: t.size, newer: true })));
  // The running server answers the new version at once (its remembered list was dropped).
  const listAfter = await (await request(`${offline.url}/${path}/@v/list`)).body.text();
  assert.ok(listAfter.split('\n').includes(version), `list after import: ${listAfter} (before: ${beforeText})`);
});

test('the bundles again change nothing; a tampered own-database record and a forged own tree head are refused; storage unchanged', async () => {
  await offline.stop();
  const snapshot = await hashTree(offDir);
  for (const b of ['b2.tgz', 'b1.tgz']) {
    const r = await importCli(join(work, b), offDir);
    assert.equal(r.report.status, 'unchanged', JSON.stringify(r.report.problems));
    assert.equal(r.report.written, 0);
  }
  assert.deepEqual(await hashTree(offDir), snapshot);

  // A bundle of the private module alone: proven against the own database only.
  const own = join(work, 'own.tgz');
  const r = await modgateCli(['export', `${PRIVATE}@v1.0.0`, '-o', own, '--proxy', connected.url, '--sumdb', `${sumdb.vkey},${ownKey.vkey}`]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const tampered = await readBundle(own);
  assert.deepEqual(tampered.manifest.sumdb.map((t) => t.name), [OWN]);
  const recordName = tamperRecord(tampered, `/${OWN}/lookup/`);
  await writeBundle(tampered, join(work, 'own-record.tgz'));
  const rec = await importCli(join(work, 'own-record.tgz'), offDir);
  assert.equal(rec.code, 1);
  assert.equal(rec.report.status, 'refused');
  assert.ok(rec.report.problems.some((p) => p.file === recordName.replace('cache/download/', '') && /not in the signed tree/.test(p.reason) && p.expected !== undefined && p.actual !== undefined), JSON.stringify(rec.report.problems));
  assert.deepEqual(await hashTree(offDir), snapshot);

  // The own tree head signed by another key of the same name.
  const forged = await readBundle(own);
  const tree = forged.manifest.sumdb[0]!;
  tree.note = signNote(tree.note.slice(0, tree.note.lastIndexOf('\n\n') + 1), [parseSignerKey(generateKey(OWN).skey)]).toString('utf8');
  await writeBundle(forged, join(work, 'own-forged.tgz'));
  const head = await importBundle({
    input: createReadStream(join(work, 'own-forged.tgz')),
    storage: createFsStorage(offDir),
    databases: [{ name: sumdb.name, vkey: sumdb.vkey }, { name: OWN, vkey: ownKey.vkey }],
    tempDir: work,
  });
  assert.equal(head.status, 'refused');
  assert.ok(head.problems.some((p) => p.file === `sumdb/${OWN}/latest` && /does not verify with the configured key/.test(p.reason)), JSON.stringify(head.problems));
  assert.deepEqual(await hashTree(offDir), snapshot);
});

// Air-gap bundles that build on earlier ones, and the import command's refusal: an incremental
// export (--since) uploaded to the admin API proves consistency with the earlier tree; a tampered
// bundle makes `modgate import` exit 1 with the report, storage byte-for-byte unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { buildFixture, startSumdb, type Fixture, type SumdbServer } from '../support/gohelper.js';
import { startFileProxy, type FileProxyServer } from '../support/file-proxy-server.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { waitFor } from '../support/wait-for.js';
import { hashTree, readBundle, tamperRecord, writeBundle } from '../support/bundle-rewrite.js';
import type { ImportReport } from '../../src/bundle/bundle-import.js';
import { bundleCli } from '../support/bundle-cli.js';
import type { BundleManifest } from '../../src/bundle/bundle-manifest.js';

const TOKEN = 'air-gap-admin-token';

let fixture: Fixture;
let sumdb: SumdbServer;
let upstream: FileProxyServer;
let connected: ModgateProcess;
let work: string;
let offDir: string;
const cleanups: Array<() => Promise<unknown>> = [];

const { importCli, exportCli } = bundleCli(() => sumdb.vkey);

before(async () => {
  fixture = await buildFixture();
  work = await mkdtemp(join(tmpdir(), 'modgate-airgap-refuse-'));
  offDir = join(work, 'offline-storage');
  sumdb = await startSumdb({ proxyDir: fixture.proxyDir, keyFile: join(work, 'sumdb.key') });
  upstream = await startFileProxy({ dir: fixture.proxyDir });
  connected = await startModgate({ timeoutMs: 90_000, args: ['--cache-dir', join(work, 'connected'), '--upstream', upstream.url, '--sumdb', sumdb.gosumdb, '--prefetch', 'false'] });
  cleanups.push(() => connected.kill());
  await exportCli([join(fixture.appDir, 'go.mod'), '-o', join(work, 'b1.tgz')], connected.url);
  const first = await importCli(join(work, 'b1.tgz'), offDir);
  assert.equal(first.report.status, 'imported', JSON.stringify(first.report.problems));
});

after(async () => {
  for (const c of cleanups.reverse()) await c();
  await upstream?.stop();
  await sumdb?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('incremental export (--since) uploaded to the admin API proves consistency with the earlier tree', async () => {
  const b1Manifest = JSON.parse(await readFile(join(work, 'b1.tgz.manifest.json'), 'utf8')) as BundleManifest;
  const have = new Set(b1Manifest.modules.map((m) => `${m.path}@${m.version}`));
  const extra = fixture.manifest.modules.flatMap((m) => (m.stub ? [] : m.versions.map((v) => `${m.path}@${v}`))).find((mv) => !have.has(mv));
  assert.ok(extra, 'the fixture has a version outside the app\'s graph');
  const b2 = join(work, 'b2.tgz');
  await exportCli([extra, '-o', b2, '--since', join(work, 'b1.tgz.manifest.json')], connected.url);
  const m2 = JSON.parse(await readFile(`${b2}.manifest.json`, 'utf8')) as BundleManifest;
  assert.deepEqual(m2.modules.map((m) => `${m.path}@${m.version}`), [extra]);
  assert.equal(m2.sumdb[0]!.consistency?.size, b1Manifest.sumdb[0]!.size);
  assert.ok(m2.sumdb[0]!.size > b1Manifest.sumdb[0]!.size);

  const offline = await startModgate({ timeoutMs: 90_000, args: ['--cache-dir', offDir, '--upstream', 'off', '--sumdb', sumdb.vkey, '--admin-tokens', TOKEN] });
  cleanups.push(() => offline.kill());
  const [path] = extra.split('@') as [string];
  const listBefore = await request(`${offline.url}/${path}/@v/list`);
  const beforeText = await listBefore.body.text();
  const up = await request(`${offline.url}/admin/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/gzip' },
    body: (await import('node:fs')).createReadStream(b2),
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
  assert.deepEqual(job.result?.sumdb, [{ name: sumdb.name, size: m2.sumdb[0]!.size, newer: true }]);
  // The running server answers the new version at once (its remembered list was dropped).
  const listAfter = await (await request(`${offline.url}/${path}/@v/list`)).body.text();
  assert.ok(listAfter.split('\n').includes(extra.split('@')[1]!), `list after import: ${listAfter} (before: ${beforeText})`);
  await offline.stop();

  // Both bundles again: nothing changes (the older tree is consistent with the newer one).
  const snapshot = await hashTree(offDir);
  for (const b of [b2, join(work, 'b1.tgz')]) {
    const r = await importCli(b, offDir);
    assert.equal(r.report.status, 'unchanged', JSON.stringify(r.report.problems));
  }
  assert.deepEqual(await hashTree(offDir), snapshot);
});

test('modgate import refuses a tampered bundle with exit status 1 and the report; storage unchanged', async () => {
  // (Every refusal case — tampered zip, record, forged head, forked tree — runs in process in
  // src/bundle/bundle-import.test.ts; this is the command's side of one.)
  const b = await readBundle(join(work, 'b1.tgz'));
  const recordName = tamperRecord(b);
  const file = join(work, 'tampered-record.tgz');
  await writeBundle(b, file);
  const before = await hashTree(offDir);
  const r = await importCli(file, offDir);
  assert.equal(r.code, 1);
  assert.equal(r.report.status, 'refused');
  assert.ok(r.report.problems.some((p) => p.file === recordName.replace('cache/download/', '') && /not in the signed tree/.test(p.reason)), JSON.stringify(r.report.problems));
  assert.deepEqual(await hashTree(offDir), before);
});

// Air-gap bundles that must be refused and bundles that build on earlier ones: a tampered zip, a
// tampered record, a forged tree head and a tree inconsistent with the importer's known tree are
// refused with a report naming the file and both hashes, and storage stays byte-for-byte unchanged;
// an incremental export (--since) uploaded to the admin API proves consistency with the earlier tree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { buildFixture, hashZipGo, startSumdb, type Fixture, type SumdbServer } from '../support/gohelper.js';
import { startFileProxy, type FileProxyServer } from '../support/file-proxy-server.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { waitFor } from '../support/wait-for.js';
import { hashTree, readBundle, setEntry, writeBundle } from '../support/bundle-rewrite.js';
import { readZipEntries } from '../support/zip-tamper.js';
import { buildZip } from '../../src/zip/zip-test-writer.js';
import { generateKey, parseSignerKey, signNote } from '../../src/sumdb/note.js';
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

const { modgateCli, importCli, exportCli } = bundleCli(() => sumdb.vkey);

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

/** Imports a tampered bundle; asserts it is refused, storage unchanged, and returns the problems. */
async function refused(name: string, mutate: (b: Awaited<ReturnType<typeof readBundle>>) => Promise<void> | void, dir = offDir): Promise<ImportReport['problems']> {
  const b = await readBundle(join(work, 'b1.tgz'));
  await mutate(b);
  const file = join(work, `${name}.tgz`);
  await writeBundle(b, file);
  const before = await hashTree(dir);
  const r = await importCli(file, dir);
  assert.equal(r.code, 1);
  assert.equal(r.report.status, 'refused');
  assert.deepEqual(await hashTree(dir), before, `${name}: storage changed`);
  return r.report.problems;
}

test('a tampered zip, a tampered record, a forged tree head and an inconsistent tree are refused; storage unchanged', async () => {
  // A zip with one file's content changed (manifest updated to match, as an attacker would).
  const fresh = join(work, 'fresh-storage');
  let zipName = '';
  let tamperedH1 = '';
  let recordH1 = '';
  const zipProblems = await refused('tampered-zip', async (b) => {
    const entry = b.manifest.files.find((f) => f.name.endsWith('.zip'))!;
    zipName = entry.name;
    recordH1 = entry.h1!;
    const files = await readZipEntries(b.entries.get(zipName)!);
    const victim = files.find((f) => f.name.endsWith('.go')) ?? files[0]!;
    const zip = buildZip(files.map((f) => ({ name: f.name, data: f === victim ? Buffer.concat([f.data, Buffer.from('\n// injected\n')]) : f.data })));
    await writeFile(join(work, 'tampered.zip'), zip);
    tamperedH1 = await hashZipGo(join(work, 'tampered.zip'));
    setEntry(b, zipName, zip, { h1: tamperedH1 });
  }, fresh);
  const zp = zipProblems.find((p) => p.file === zipName);
  assert.ok(zp, JSON.stringify(zipProblems));
  assert.equal(zp.expected, recordH1);
  assert.equal(zp.actual, tamperedH1);

  // A record whose zip hash was changed: not in the signed tree.
  let recordName = '';
  const recProblems = await refused('tampered-record', (b) => {
    recordName = [...b.entries.keys()].find((n) => n.includes('/lookup/'))!;
    const text = b.entries.get(recordName)!.toString('utf8');
    const forged = text.replace(/ h1:(.)/, (_m, c: string) => ` h1:${c === 'A' ? 'B' : 'A'}`);
    setEntry(b, recordName, Buffer.from(forged), {});
  });
  assert.ok(recProblems.some((p) => p.file === recordName.replace('cache/download/', '') && /not in the signed tree/.test(p.reason)), JSON.stringify(recProblems));

  // A tree head signed by another key of the same name.
  const forgedProblems = await refused('forged-head', (b) => {
    const tree = b.manifest.sumdb[0]!;
    const text = tree.note.slice(0, tree.note.lastIndexOf('\n\n') + 1);
    tree.note = signNote(text, [parseSignerKey(generateKey(sumdb.name).skey)]).toString('utf8');
  });
  assert.ok(forgedProblems.some((p) => p.file === `sumdb/${sumdb.name}/latest` && /does not verify with the configured key/.test(p.reason)), JSON.stringify(forgedProblems));

  // The same database key, a different tree (a fork): a second database instance, fresh state.
  const sumdb2 = await startSumdb({ proxyDir: fixture.proxyDir, keyFile: join(work, 'sumdb.key') });
  cleanups.push(() => sumdb2.stop());
  const forkSide = await startModgate({ timeoutMs: 90_000, args: ['--cache-dir', join(work, 'fork-side'), '--upstream', upstream.url, '--sumdb', sumdb2.gosumdb, '--prefetch', 'false'] });
  cleanups.push(() => forkSide.kill());
  const b1 = await readBundle(join(work, 'b1.tgz'));
  const first = [...b1.entries].find(([n, d]) => n.includes('/lookup/') && d.toString('utf8').startsWith('0\n'))!;
  const other = b1.manifest.modules.find((m) => m.files.includes('zip') && !first[1].toString('utf8').includes(`${m.path} ${m.version} `))!;
  const fork = join(work, 'fork.tgz');
  const r = await modgateCli(['export', `${other.path}@${other.version}`, '-o', fork, '--proxy', forkSide.url, '--sumdb', sumdb.vkey]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const before = await hashTree(offDir);
  const forked = await importCli(fork, offDir);
  assert.equal(forked.report.status, 'refused');
  assert.ok(forked.report.problems.some((p) => /inconsistent with the tree \d+ this server already knows/.test(p.reason) && p.expected !== undefined && p.actual !== undefined), JSON.stringify(forked.report.problems));
  assert.deepEqual(await hashTree(offDir), before);
});

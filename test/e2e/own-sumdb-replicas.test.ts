// modgate's own checksum database across three replicas over one S3-compatible store (s3rver) and
// a real redis-server: versions admitted concurrently through all replicas end up in one consistent
// log (x/mod's reference code verifies it through every replica), and a writer SIGKILLed while
// admitting is replaced by another replica without a lost or duplicated record.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture, startSumdb, verifyLogGo, type Fixture, type SumdbServer } from '../support/gohelper.js';
import { startFileProxy, type FileProxyServer } from '../support/file-proxy-server.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';
import { startRedis, type RedisTestServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { runKeygen } from '../../src/cli/sumdb-commands.js';

const NAME = 'sum.corp.example.com';
let fixture: Fixture;
let sumdb: SumdbServer;
let upstream: FileProxyServer;
let s3: S3TestServer;
let redis: RedisTestServer;
let work: string;
let keyFile: string;
let vkey: string;
let replicas: ModgateProcess[] = [];
const extra: ModgateProcess[] = [];
/** Module versions of the fixture (each admitted once in these tests). */
let pool: string[];
const notes: string[] = [];

async function startReplica(name: string): Promise<ModgateProcess> {
  return startModgate({
    args: [
      '--storage', `s3://${s3.bucket}/cache`, '--s3-endpoint', s3.endpoint, '--s3-region', s3.region, '--s3-force-path-style', 'true',
      '--redis', redis.url, '--redis-lease-ms', '2000', '--cache-dir', join(work, name), '--upstream', upstream.url, '--sumdb', sumdb.gosumdb,
      '--upstream-retries', '0', '--prefetch', 'false', '--own-sumdb', NAME, '--own-sumdb-key-file', keyFile,
    ],
    env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region },
  });
}

const dbUrl = (r: ModgateProcess) => `${r.url}/sumdb/${NAME}`;
const lookupUrl = (r: ModgateProcess, mv: string) => {
  const at = mv.lastIndexOf('@');
  return `${dbUrl(r)}/lookup/${escapePath(mv.slice(0, at))}@${escapeVersion(mv.slice(at + 1))}`;
};
async function latestSize(r: ModgateProcess): Promise<number> {
  const text = await (await fetch(`${dbUrl(r)}/latest`)).text();
  notes.push(text);
  return Number(text.split('\n')[1]);
}

before(async () => {
  fixture = await buildFixture();
  work = await mkdtemp(join(tmpdir(), 'modgate-own-sumdb-replicas-'));
  [sumdb, upstream, s3, redis] = await Promise.all([startSumdb({ proxyDir: fixture.proxyDir }), startFileProxy({ dir: fixture.proxyDir }), startS3Server(), startRedis()]);
  pool = fixture.manifest.modules.filter((m) => !m.stub).flatMap((m) => m.versions.map((v) => `${m.path}@${v}`));
  assert.ok(pool.length >= 40, `only ${pool.length} versions`);
  keyFile = join(work, 'sumdb.key');
  vkey = (await runKeygen(NAME, keyFile, 'http://modgate.test')).vkey;
  replicas = await Promise.all(['r1', 'r2', 'r3'].map(startReplica));
});

after(async () => {
  for (const r of [...replicas, ...extra]) await r.kill();
  await upstream?.stop();
  await sumdb?.stop();
  await s3?.stop();
  await redis?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('three replicas admitting concurrently produce one consistent log', async () => {
  const batch = pool.slice(0, 24);
  // Every version asked through two replicas at once, all replicas busy at the same time.
  const answers = await Promise.all(batch.flatMap((mv, i) => [replicas[i % 3]!, replicas[(i + 1) % 3]!].map(async (r) => {
    const res = await fetch(lookupUrl(r, mv));
    return { mv, status: res.status, body: await res.text() };
  })));
  for (const a of answers) assert.equal(a.status, 200, `${a.mv}: ${a.body}`);
  for (const r of replicas) await latestSize(r);
  await waitFor('every replica publishes the whole log', async () => {
    const sizes = await Promise.all(replicas.map(latestSize));
    return sizes.every((n) => n === batch.length) || undefined;
  });
  for (const r of replicas) {
    const v = await verifyLogGo({ url: dbUrl(r), vkey, lookups: batch, notes });
    assert.deepEqual(v.errors, []);
    assert.deepEqual(v.duplicates, []);
    assert.deepEqual([...v.records].sort(), [...batch].sort());
  }
  // The same record id for a version, whichever replica answers.
  const ids = await Promise.all(replicas.map(async (r) => (await (await fetch(lookupUrl(r, batch[5]!))).text()).split('\n')[0]));
  assert.equal(new Set(ids).size, 1);
});

test('a writer SIGKILLed while admitting is replaced: no record lost, none duplicated', async (t) => {
  const before = await latestSize(replicas[1]!);
  const victim = replicas[0]!;
  const batch = pool.slice(24, 40);
  // Admissions go to the victim only, so it is the writer; kill it once its first batch is published,
  // while the slow half of the versions is still being fetched.
  const slow = batch.slice(8).map((mv) => {
    const at = mv.lastIndexOf('@');
    return upstream.addFault({ match: `/${escapePath(mv.slice(0, at))}/@v/${escapeVersion(mv.slice(at + 1))}.zip`, delayMs: 4000, times: 1 });
  });
  const inflight = batch.map((mv) => fetch(lookupUrl(victim, mv)).then((r) => r.status, () => 'killed' as const));
  await waitFor('the victim published a batch', async () => ((await latestSize(replicas[1]!)) > before) || undefined, 60_000, 20);
  await victim.kill();
  const outcomes = await Promise.all(inflight);
  for (const remove of slow) remove();
  assert.ok(outcomes.every((o) => o === 200 || o === 'killed'), String(outcomes));
  assert.ok(outcomes.includes('killed'), 'the writer died with admissions in flight');
  t.diagnostic(`admissions answered before the kill: ${outcomes.filter((o) => o === 200).length} of ${outcomes.length}`);
  // Clients retry through another replica; the lease of the dead writer expires and r2 writes.
  for (const mv of batch) {
    const res = await fetch(lookupUrl(replicas[1]!, mv));
    assert.equal(res.status, 200, `${mv}: ${await res.text()}`);
  }
  const replacement = await startReplica('r4');
  extra.push(replacement);
  for (const r of [replicas[1]!, replicas[2]!, replacement]) {
    await waitFor('the log holds every version', async () => ((await latestSize(r)) === 40) || undefined);
    const v = await verifyLogGo({ url: dbUrl(r), vkey, lookups: batch, notes });
    assert.deepEqual(v.errors, [], 'every tree head seen (before, during and after the kill) is a prefix of the last');
    assert.deepEqual(v.duplicates, []);
    assert.deepEqual([...v.records].sort(), pool.slice(0, 40).sort());
  }
});

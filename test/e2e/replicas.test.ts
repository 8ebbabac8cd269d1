// Scale-out: three modgate processes over one S3-compatible store (s3rver) and a real redis-server.
// Cold requests spread over the replicas cause exactly one upstream fetch per file; the go command
// builds through any replica; a purge on one is seen by all; and faults (a lock holder SIGKILLed
// mid-fetch, an upstream reset mid-zip, Redis down and back, S3 down) never serve a partial or
// unverified file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Client, HeadObjectCommand } from '@aws-sdk/client-s3';
import { copyFixtureApp } from '../support/gohelper.js';
import { createGoEnv } from '../support/go-env.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { startForwarder } from '../support/switchable-forwarder.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { useTestStack } from '../support/test-stack.js';

const TOKEN = 'replica-token';
const stack = useTestStack({ name: 'replicas', s3: true, redis: true });
/** Module versions the fixture app does not build with (never fetched by the go command here). */
let pool: Target[];

interface Target {
  readonly path: string;
  readonly selected: string;
}
let replicas: ModgateProcess[] = [];

function replicaArgs(name: string): string[] {
  return [
    '--storage', `s3://${stack.s3.bucket}/cache`, '--s3-endpoint', stack.s3.endpoint, '--s3-region', stack.s3.region, '--s3-force-path-style', 'true',
    '--redis', stack.redis.url, '--redis-lease-ms', '2000', '--cache-dir', join(stack.work, name),
    '--upstream', stack.upstream.url, '--sumdb', stack.sumdb.gosumdb, '--admin-tokens', TOKEN, '--upstream-retries', '0',
  ];
}

/** Kills the modgate in after(). */
async function trackReplica(started: Promise<ModgateProcess>): Promise<ModgateProcess> {
  const r = await started;
  stack.defer(() => r.kill());
  return r;
}

async function startReplica(name: string): Promise<ModgateProcess> {
  return trackReplica(startModgate({
    args: replicaArgs(name),
    env: { AWS_ACCESS_KEY_ID: stack.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: stack.s3.secretAccessKey, AWS_REGION: stack.s3.region },
  }));
}

stack.before(async () => {
  pool = stack.fixture.manifest.modules.flatMap((m) => m.versions.filter((v) => v !== m.selected).map((v) => ({ path: m.path, selected: v })));
  assert.ok(pool.length >= 32, `only ${pool.length} spare versions`);
  replicas = await Promise.all(['r1', 'r2', 'r3'].map(startReplica));
});


const rel = (m: Target, ext: string) => `/${escapePath(m.path)}/@v/${escapeVersion(m.selected)}.${ext}`;
const s3Client = () =>
  new S3Client({ endpoint: stack.s3.endpoint, region: stack.s3.region, forcePathStyle: true, credentials: { accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey } });
async function s3Has(key: string): Promise<boolean> {
  try {
    await s3Client().send(new HeadObjectCommand({ Bucket: stack.s3.bucket, Key: `cache/${key}` }));
    return true;
  } catch {
    return false;
  }
}

test('200 concurrent cold requests over 3 replicas for 20 versions: one upstream fetch per file', async () => {
  const twenty = pool.slice(0, 20);
  assert.equal(twenty.length, 20);
  // Slow the upstream a little so that requests really overlap across replicas.
  stack.upstream.setDelay(100);
  stack.upstream.clearRequests();
  const results = await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const m = twenty[i % 20]!;
      const res = await fetch(replicas[i % 3]!.url + rel(m, 'zip'));
      return { m, status: res.status, body: Buffer.from(await res.arrayBuffer()) };
    }),
  );
  stack.upstream.setDelay(0);
  for (const r of results) {
    assert.equal(r.status, 200, `${r.m.path}: ${r.body.toString('utf8').slice(0, 300)}`);
    assert.ok(r.body.equals(await readFile(join(stack.fixture.proxyDir, rel(r.m, 'zip')))), `${r.m.path}: wrong bytes`);
  }
  for (const m of twenty) {
    for (const ext of ['zip', 'mod', 'info']) assert.equal(stack.upstream.count(rel(m, ext)), 1, `${rel(m, ext)} fetched ${stack.upstream.count(rel(m, ext))} times`);
  }
});

test('the go command builds through any replica; a purge on one is seen by all', async () => {
  const env = await createGoEnv({ GOPROXY: replicas[1]!.url, GOSUMDB: stack.sumdb.vkey, sharedBuildCache: true });
  try {
    const app = await copyFixtureApp(stack.fixture, join(stack.work, 'app'));
    const r = await env.run(['build', '-o', join(stack.work, 'app.bin'), '.'], { cwd: app });
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await env.cleanup();
  }
  const m = stack.mods[0]!;
  assert.equal((await fetch(replicas[2]!.url + rel(m, 'zip'))).headers.get('x-modgate-cache'), 'hit');
  const purge = await fetch(`${replicas[0]!.url}/admin/purge`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ module: m.path, version: m.selected }),
  });
  assert.equal(purge.status, 200);
  const purged = (await purge.json()) as { removed: Array<{ files: number }> };
  assert.equal(purged.removed[0]?.files, 4, JSON.stringify(purged));
  assert.equal(await s3Has(`${escapePath(m.path)}/@v/${escapeVersion(m.selected)}.zip`), false);
  // Another replica no longer has it: it fetches again (once), and then a third one hits.
  const before = stack.upstream.count(rel(m, 'zip'));
  const again = await fetch(replicas[1]!.url + rel(m, 'zip'));
  assert.equal(again.status, 200);
  assert.equal(again.headers.get('x-modgate-cache'), 'miss', 'a replica still served the purged file');
  assert.equal(stack.upstream.count(rel(m, 'zip')), before + 1);
  assert.equal((await fetch(replicas[2]!.url + rel(m, 'zip'))).headers.get('x-modgate-cache'), 'hit');
});

test('SIGKILL of the replica holding the lock mid-fetch: another replica completes after the lease', async () => {
  const m = pool[20]!;
  const path = rel(m, 'zip');
  let stalled = 0;
  let firstSeen!: () => void;
  const seen = new Promise<void>((r) => (firstSeen = r));
  stack.upstream.setHandler((req, res, next) => {
    if (decodeURIComponent(req.url ?? '') !== path || stalled > 0) return next();
    stalled++;
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': 10_000_000 });
    res.write(Buffer.alloc(1000));
    firstSeen();
  });
  const victim = await startReplica('victim');
  const doomed = fetch(victim.url + path).catch(() => undefined);
  await seen;
  await victim.kill();
  await doomed;
  const res = await fetch(replicas[1]!.url + path);
  stack.upstream.setHandler(null);
  assert.equal(res.status, 200);
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(await readFile(join(stack.fixture.proxyDir, path))));
});

test('upstream connection reset mid-zip: nothing partial is stored; a retry succeeds', async () => {
  // The replicas prefetch the requirements of the zips fetched above, so pick a version nothing has
  // asked the upstream for yet, and reset every fetch of it (a prefetch's too) until the client has
  // seen the failure: a prefetch that took a one-time fault would leave the client a clean 200.
  const m = [pool[21]!, ...pool.slice(32)].find((t) => stack.upstream.count(rel(t, 'zip')) === 0 && stack.upstream.count(rel(t, 'mod')) === 0);
  assert.ok(m, 'every spare version was already fetched (prefetched) by earlier tests');
  const path = rel(m, 'zip');
  const undo = stack.upstream.addFault({ match: path, resetAfterBytes: 500 });
  const first = await fetch(replicas[0]!.url + path);
  undo();
  assert.equal(first.status, 502);
  assert.match(await first.text(), new RegExp(stack.upstream.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.equal(await s3Has(`${escapePath(m.path)}/@v/${escapeVersion(m.selected)}.zip`), false);
  const second = await fetch(replicas[2]!.url + path);
  assert.equal(second.status, 200);
  assert.ok(Buffer.from(await second.arrayBuffer()).equals(await readFile(join(stack.fixture.proxyDir, path))));
});

test('Redis stopped and restarted during load: every request still succeeds with verified bytes', async () => {
  const batch = pool.slice(22, 28);
  const load = async (from: number) =>
    Promise.all(batch.map(async (m, i) => {
      const res = await fetch(replicas[(i + from) % 3]!.url + rel(m, 'mod'));
      return { m, status: res.status, body: await res.text() };
    }));
  const during = load(0);
  await stack.redis.kill();
  const down = await load(1);
  await stack.redis.restart();
  const back = await load(2);
  for (const r of [...(await during), ...down, ...back]) {
    assert.equal(r.status, 200, `${r.m.path}: ${r.body}`);
    assert.equal(r.body, await readFile(join(stack.fixture.proxyDir, rel(r.m, 'mod')), 'utf8'));
  }
  const ready = await (await fetch(`${replicas[0]!.url}/readyz`)).text();
  assert.match(ready, /coordination \(redis/);
});

test('with --s3-zip-redirect, zips are redirected to presigned S3 URLs that serve the verified bytes', async () => {
  const r = await startModgate({
    args: [...replicaArgs('redirect'), '--s3-zip-redirect', 'true'],
    env: { AWS_ACCESS_KEY_ID: stack.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: stack.s3.secretAccessKey, AWS_REGION: stack.s3.region },
  });
  stack.defer(() => r.kill());
  const m = pool[28]!;
  assert.equal((await fetch(r.url + rel(m, 'zip'))).status, 200); // cold: fetched, verified, stored
  const res = await fetch(r.url + rel(m, 'zip'), { redirect: 'manual' });
  assert.equal(res.status, 302);
  const location = res.headers.get('location')!;
  assert.ok(location.startsWith(stack.s3.endpoint), location);
  const bytes = Buffer.from(await (await fetch(location)).arrayBuffer());
  assert.ok(bytes.equals(await readFile(join(stack.fixture.proxyDir, rel(m, 'zip')))));
});

test('S3 returning errors or slow responses: retried, served uncached when writes fail, never partial', async () => {
  const fwd = await startForwarder(stack.s3.endpoint);
  const args = replicaArgs('flaky-s3').map((a) => (a === stack.s3.endpoint ? fwd.url : a));
  const r = await startModgate({ args, env: { AWS_ACCESS_KEY_ID: stack.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: stack.s3.secretAccessKey, AWS_REGION: stack.s3.region } });
  stack.defer(() => r.kill());
  try {
    const [a, b, c] = [pool[29]!, pool[30]!, pool[31]!];
    // Two transient 500s: the S3 client retries; the request succeeds with the right bytes.
    fwd.setFault({ status: 500, times: 2 });
    const first = await fetch(r.url + rel(a, 'mod'));
    assert.equal(first.status, 200, await first.clone().text());
    assert.equal(await first.text(), await readFile(join(stack.fixture.proxyDir, rel(a, 'mod')), 'utf8'));
    assert.equal(fwd.faulted, 2);
    // Every write fails: the verified bytes are still served (uncached, issue 14 item 6), the
    // failure is counted as a storage failure, and nothing is stored.
    fwd.setFault({ status: 500, method: 'PUT' });
    const passed = await fetch(r.url + rel(b, 'zip'));
    assert.equal(passed.status, 200, await passed.clone().text());
    assert.ok(Buffer.from(await passed.arrayBuffer()).equals(await readFile(join(stack.fixture.proxyDir, rel(b, 'zip')))));
    fwd.setFault(undefined);
    assert.match(await (await fetch(`${r.url}/metrics`)).text(), /modgate_storage_errors_total\{op="(write|stage|commit)",code="STORAGE_(ERROR|UNAVAILABLE)"\} [1-9]/);
    assert.equal(await s3Has(`${escapePath(b.path)}/@v/${escapeVersion(b.selected)}.zip`), false);
    const retried = await fetch(r.url + rel(b, 'zip'));
    assert.equal(retried.status, 200);
    assert.ok(Buffer.from(await retried.arrayBuffer()).equals(await readFile(join(stack.fixture.proxyDir, rel(b, 'zip')))));
    // Slow S3 (300 ms per call): slower, still correct.
    fwd.setFault({ delayMs: 300 });
    const slow = await fetch(r.url + rel(c, 'zip'));
    assert.equal(slow.status, 200);
    assert.ok(Buffer.from(await slow.arrayBuffer()).equals(await readFile(join(stack.fixture.proxyDir, rel(c, 'zip')))));
    fwd.setFault(undefined);
  } finally {
    await fwd.stop();
  }
});

test('S3 unavailable: misses get a clear 503; small files already in memory are still served', async () => {
  const warm = stack.mods[1]!;
  assert.equal((await fetch(replicas[0]!.url + rel(warm, 'mod'))).status, 200);
  await stack.s3.stop();
  const hot = await fetch(replicas[0]!.url + rel(warm, 'mod'));
  assert.equal(hot.status, 200);
  assert.equal(await hot.text(), await readFile(join(stack.fixture.proxyDir, rel(warm, 'mod')), 'utf8'));
  // A version no replica has seen (prefetch may have warmed others): storage must be consulted.
  const res = await fetch(`${replicas[0]!.url}/example.com/never-cached/@v/v1.0.0.info`);
  assert.equal(res.status, 503);
  assert.match(await res.text(), /storage|S3|unavailable/i);
  const ready = await fetch(`${replicas[0]!.url}/readyz`);
  assert.equal(ready.status, 503);
});

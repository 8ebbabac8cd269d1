// Scale-out under a cold burst (issue 14 item 16): three replicas over s3rver and redis-server, 540
// concurrent cold requests (.info, .mod and .zip of 20 versions, spread over the replicas) with the
// upstream 300 ms slow. Slowness must give a later answer, never a 503: every answer is 200 with
// the right bytes, and each file is fetched from the upstream exactly once (counted at the upstream).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModgateProcess } from '../support/modgate-process.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { useTestStack } from '../support/test-stack.js';
import { waitFor } from '../support/wait-for.js';

const stack = useTestStack({ name: 'burst', s3: true, redis: true });
let replicas: ModgateProcess[] = [];

stack.before(async () => {
  const s3 = stack.s3;
  replicas = await Promise.all(['r1', 'r2', 'r3'].map((name) => stack.startModgate({
    cache: name,
    args: [
      '--storage', `s3://${s3.bucket}/cache`, '--s3-endpoint', s3.endpoint, '--s3-region', s3.region, '--s3-force-path-style',
      '--redis', stack.redis.url, '--upstream-retries', '0', '--no-prefetch',
    ],
    env: { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, AWS_REGION: s3.region },
  })));
});

test('the listening line names the storage in use (S3), not a cache directory', async () => {
  const line = await waitFor('the listening log line', async () => replicas[0]!.logs.find((l) => l.msg === 'listening'));
  assert.match(String(line.storage), new RegExp(`^s3://${stack.s3.bucket}/cache\\b`), JSON.stringify(line));
  assert.doesNotMatch(JSON.stringify(line), /cacheDir|\.\/data|fs:/, JSON.stringify(line));
});

test('540 concurrent cold requests for 20 versions over 3 replicas (upstream +300 ms): all 200, one fetch per file', async () => {
  const versions = stack.fixture.manifest.modules.flatMap((m) => m.versions.map((v) => ({ path: m.path, version: v }))).slice(0, 20);
  assert.equal(versions.length, 20);
  const rel = (v: { path: string; version: string }, ext: string) => `/${escapePath(v.path)}/@v/${escapeVersion(v.version)}.${ext}`;
  const files = versions.flatMap((v) => ['info', 'mod', 'zip'].map((ext) => rel(v, ext)));
  stack.upstream.setDelay(300);
  stack.upstream.clearRequests();
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: 540 }, async (_, i) => {
      const file = files[i % files.length]!;
      const res = await fetch(replicas[i % 3]!.url + file);
      return { file, replica: i % 3, status: res.status, body: Buffer.from(await res.arrayBuffer()) };
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  stack.upstream.setDelay(0);
  const failed = results.filter((r) => r.status !== 200);
  assert.deepEqual(failed.map((r) => `r${r.replica + 1} ${r.file}: ${r.status} ${r.body.toString('utf8').slice(0, 300)}`), []);
  const expected = new Map(await Promise.all(files.map(async (f) => [f, await readFile(join(stack.fixture.proxyDir, f))] as const)));
  for (const r of results) assert.ok(r.body.equals(expected.get(r.file)!), `${r.file}: wrong bytes`);
  const fetched = files.map((f) => `${f} ${stack.upstream.requests.filter((p) => p === f).length}`);
  assert.deepEqual(fetched, files.map((f) => `${f} 1`), 'upstream fetches per file');
  console.log(`burst: 540 requests in ${seconds.toFixed(1)} s`);
});

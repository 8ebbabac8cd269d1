// Private modules done right: with --private, a private module is fetched from git (direct mode)
// and never reaches the public upstream or the public checksum DB (asserted on their request logs),
// while public modules still come verified from the upstream; its hash is pinned on first fetch,
// so a force-pushed tag is refused instead of silently served with a new hash.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture, startSumdb, type Fixture, type SumdbServer } from '../support/gohelper.js';
import { startFileProxy, type FileProxyServer } from '../support/file-proxy-server.js';
import { createGoEnv, goModDownloadJson } from '../support/go-env.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { createTestRepo, gitRewriteConfig, type TestRepo } from '../support/git-repos.js';

const PRIVATE = 'example.com/secret.git';
let fixture: Fixture;
let sumdb: SumdbServer;
let upstream: FileProxyServer;
let work: string;
let repo: TestRepo;
let mg: ModgateProcess;

before(async () => {
  fixture = await buildFixture();
  work = await mkdtemp(join(tmpdir(), 'modgate-private-'));
  sumdb = await startSumdb({ proxyDir: fixture.proxyDir, log: true });
  upstream = await startFileProxy({ dir: fixture.proxyDir });
  repo = await createTestRepo(work, 'secret');
  await repo.write({ 'go.mod': `module ${PRIVATE}\n\ngo 1.17\n`, 'secret.go': 'package secret\n\nconst Answer = 42\n' });
  await repo.commit('first', 1_700_000_000);
  await repo.tag('v1.0.0');
  const gitConfig = gitRewriteConfig(work).map(([k, v]) => `${k}=${v}`).join(';');
  mg = await startModgate({
    args: ['--cache-dir', join(work, 'cache'), '--upstream', upstream.url, '--sumdb', sumdb.gosumdb, '--private', 'example.com/secret.git',
      '--git-config', gitConfig, '--git-refresh-seconds', '0'],
  });
});

after(async () => {
  await mg?.kill();
  await upstream?.stop();
  await sumdb?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('a private module comes from git; neither the public upstream nor the checksum DB ever sees its path', async () => {
  const pub = fixture.manifest.modules.find((m) => !m.stub && m.selected !== '')!;
  // The client routes everything through modgate; only the checksum DB lookup is skipped for the private path.
  const env = await createGoEnv({ GOPROXY: mg.url, GOSUMDB: sumdb.vkey, GONOSUMDB: PRIVATE, GOFLAGS: '-modcacherw' });
  try {
    const r = await goModDownloadJson(await mkdtemp(join(work, 'dl-')), env, [`${PRIVATE}@v1.0.0`, `${pub.path}@${pub.selected}`]);
    assert.equal(r.code, 0, r.stderr);
    const priv = r.modules.find((m) => m.Path === PRIVATE)!;
    assert.equal(priv.Version, 'v1.0.0');
    assert.match(priv.Sum ?? '', /^h1:/);
    assert.equal(r.modules.find((m) => m.Path === pub.path)?.Version, pub.selected);
  } finally {
    await env.cleanup();
  }
  // A misconfigured client asking modgate's checksum DB proxy about the private path is refused, not forwarded.
  const leak = await fetch(`${mg.url}/sumdb/${sumdb.name}/lookup/${PRIVATE}@v1.0.0`);
  assert.equal(leak.status, 404);
  assert.match(await leak.text(), /private/);
  assert.ok(upstream.requests.length > 0 && sumdb.requests.length > 0, 'the public side was used for the public module');
  assert.deepEqual(upstream.requests.filter((p) => p.includes('secret')), []);
  assert.deepEqual(sumdb.requests.filter((p) => p.includes('secret')), []);
});

test('a force-pushed tag of a private module is refused against the hash pinned on first fetch', async () => {
  const zipUrl = `${mg.url}/${PRIVATE}/@v/v1.0.0.zip`;
  const first = await fetch(zipUrl);
  assert.equal(first.status, 200);
  // History rewritten: v1.0.0 now points at different content.
  await repo.write({ 'secret.go': 'package secret\n\nconst Answer = 43\n' });
  await repo.commit('rewritten', 1_700_000_100);
  await repo.git(['tag', '-f', 'v1.0.0']);
  // Purge the cached version (as an operator would) so modgate fetches it again from git.
  for (const ext of ['zip', 'ziphash', 'mod', 'info']) await rm(join(work, 'cache', PRIVATE, '@v', `v1.0.0.${ext}`), { force: true });
  // Listing versions makes modgate re-check the repository (and fetch the moved tag).
  assert.equal((await fetch(`${mg.url}/${PRIVATE}/@v/list`)).status, 200);
  const again = await fetch(zipUrl);
  assert.equal(again.status, 502);
  const body = await again.text();
  assert.match(body, /checksum mismatch/);
  assert.match(body, /pinned on first fetch: h1:/);
  assert.deepEqual(upstream.requests.filter((p) => p.includes('secret')), []);
});

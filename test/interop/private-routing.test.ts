// Private modules done right: with --private, a private module is fetched from git (direct mode)
// and never reaches the public upstream or the public checksum DB (asserted on their request logs),
// while public modules still come verified from the upstream; its hash is pinned on first fetch,
// so a force-pushed tag is refused instead of silently served with a new hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createGoEnv, goModDownloadJson } from '../support/go-env.js';
import { createTestRepo, gitRewriteConfig, type TestRepo } from '../support/git-repos.js';
import { useTestStack } from '../support/test-stack.js';

const PRIVATE = 'example.com/secret.git';
let repo: TestRepo;
const stack = useTestStack({
  name: 'private',
  sumdb: { log: true },
  modgate: async (s) => {
    repo = await createTestRepo(s.work, 'secret');
    await repo.write({ 'go.mod': `module ${PRIVATE}\n\ngo 1.17\n`, 'secret.go': 'package secret\n\nconst Answer = 42\n' });
    await repo.commit('first', 1_700_000_000);
    await repo.tag('v1.0.0');
    const gitConfig = gitRewriteConfig(s.work).map(([k, v]) => `${k}=${v}`).join(';');
    return { args: ['--private', 'example.com/secret.git', '--git-config', gitConfig, '--git-refresh-seconds', '0'] };
  },
});
test('a private module comes from git; neither the public upstream nor the checksum DB ever sees its path', async () => {
  const pub = stack.fixture.manifest.modules.find((m) => !m.stub && m.selected !== '')!;
  // The client routes everything through modgate; only the checksum DB lookup is skipped for the private path.
  const env = await createGoEnv({ GOPROXY: stack.mg.url, GOSUMDB: stack.sumdb.vkey, GONOSUMDB: PRIVATE, GOFLAGS: '-modcacherw' });
  try {
    const r = await goModDownloadJson(await mkdtemp(join(stack.work, 'dl-')), env, [`${PRIVATE}@v1.0.0`, `${pub.path}@${pub.selected}`]);
    assert.equal(r.code, 0, r.stderr);
    const priv = r.modules.find((m) => m.Path === PRIVATE)!;
    assert.equal(priv.Version, 'v1.0.0');
    assert.match(priv.Sum ?? '', /^h1:/);
    assert.equal(r.modules.find((m) => m.Path === pub.path)?.Version, pub.selected);
  } finally {
    await env.cleanup();
  }
  // A misconfigured client asking modgate's checksum DB proxy about the private path is refused, not forwarded.
  const leak = await fetch(`${stack.mg.url}/sumdb/${stack.sumdb.name}/lookup/${PRIVATE}@v1.0.0`);
  assert.equal(leak.status, 404);
  assert.match(await leak.text(), /private/);
  assert.ok(stack.upstream.requests.length > 0 && stack.sumdb.requests.length > 0, 'the public side was used for the public module');
  assert.deepEqual(stack.upstream.requests.filter((p) => p.includes('secret')), []);
  assert.deepEqual(stack.sumdb.requests.filter((p) => p.includes('secret')), []);
});

test('a force-pushed tag of a private module is refused against the hash pinned on first fetch', async () => {
  const zipUrl = `${stack.mg.url}/${PRIVATE}/@v/v1.0.0.zip`;
  const first = await fetch(zipUrl);
  assert.equal(first.status, 200);
  // History rewritten: v1.0.0 now points at different content.
  await repo.write({ 'secret.go': 'package secret\n\nconst Answer = 43\n' });
  await repo.commit('rewritten', 1_700_000_100);
  await repo.git(['tag', '-f', 'v1.0.0']);
  // Purge the cached version (as an operator would) so modgate fetches it again from git.
  for (const ext of ['zip', 'ziphash', 'mod', 'info']) await rm(join(stack.work, 'cache', PRIVATE, '@v', `v1.0.0.${ext}`), { force: true });
  // Listing versions makes modgate re-check the repository (and fetch the moved tag).
  assert.equal((await fetch(`${stack.mg.url}/${PRIVATE}/@v/list`)).status, 200);
  const again = await fetch(zipUrl);
  assert.equal(again.status, 502);
  const body = await again.text();
  assert.match(body, /checksum mismatch/);
  assert.match(body, /pinned on first fetch: h1:/);
  assert.deepEqual(stack.upstream.requests.filter((p) => p.includes('secret')), []);
});

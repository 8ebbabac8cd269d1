// The direct upstream against real git repositories built on the fly (no network): incremental
// fetch after a new tag (no second clone), single-flight cloning, not-found and auth errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModgateError } from '../errors/modgate-error.js';
import { createDirectUpstream, type DirectEvent } from './direct-upstream.js';
import { createTestRepo, gitRewriteConfig, type TestRepo } from '../../test/support/git-repos.js';
import { runUpstreamCompliance } from './upstream-compliance.js';

let root: string;
let repo: TestRepo;
const T0 = 1_700_000_000;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'modgate-direct-up-'));
  repo = await createTestRepo(root, 'inc');
  await repo.write({ 'go.mod': 'module example.com/inc.git\n', 'a.go': 'package inc\n' });
  await repo.commit('one', T0);
  await repo.tag('v1.0.0');
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

function upstream(events: DirectEvent[], extra: { credentials?: { host: string; token: string }[] } = {}) {
  return createDirectUpstream({
    mirrorDir: join(root, `mirrors-${events.length}-${Math.random().toString(36).slice(2)}`),
    gitConfig: gitRewriteConfig(root),
    refreshIntervalMs: 0,
    logger: (e) => events.push(e),
    ...extra,
  });
}

test('a new tag appears after an incremental fetch of the existing mirror, never a second clone', async () => {
  const events: DirectEvent[] = [];
  const up = upstream(events);
  assert.equal((await up.list('example.com/inc.git')).toString(), 'v1.0.0\n');
  await repo.write({ 'b.go': 'package inc // b\n' });
  await repo.commit('two', T0 + 60);
  await repo.tag('v1.1.0');
  assert.equal((await up.list('example.com/inc.git')).toString(), 'v1.0.0\nv1.1.0\n');
  const info = JSON.parse((await up.info('example.com/inc.git', 'v1.1.0')).toString()) as { Version: string; Time: string };
  assert.deepEqual({ Version: info.Version, Time: info.Time }, { Version: 'v1.1.0', Time: '2023-11-14T22:14:20Z' });
  assert.equal((await up.list('example.com/inc.git')).toString(), 'v1.0.0\nv1.1.0\n');
  const kinds = events.filter((e) => e.event !== 'resolve' && e.event !== 'error').map((e) => e.event);
  assert.deepEqual(kinds, ['clone', 'fetch', 'up-to-date']);
});

test('concurrent first requests for one repository share a single clone', async () => {
  const events: DirectEvent[] = [];
  const up = upstream(events);
  const answers = await Promise.all([
    up.list('example.com/inc.git'),
    up.info('example.com/inc.git', 'v1.0.0'),
    up.mod('example.com/inc.git', 'v1.0.0'),
    up.latest('example.com/inc.git'),
  ]);
  assert.equal(answers[2]?.toString(), 'module example.com/inc.git\n');
  assert.equal(events.filter((e) => e.event === 'clone').length, 1);
});

test('missing repositories, revisions and versions are NOT_FOUND with a plain reason', async () => {
  const up = upstream([]);
  const cases: { run: () => Promise<unknown>; code: string; re: RegExp }[] = [
    { run: () => up.list('example.com/nope.git'), code: 'NOT_FOUND', re: /repository .* not found/ },
    { run: () => up.info('example.com/inc.git', 'no-such-branch'), code: 'NOT_FOUND', re: /unknown revision no-such-branch/ },
    { run: () => up.info('example.com/inc.git', 'v9.9.9'), code: 'NOT_FOUND', re: /unknown revision v9\.9\.9/ },
    { run: () => up.mod('example.com/inc.git/sub', 'v1.0.0'), code: 'NOT_FOUND', re: /reading example\.com\/inc\.git\/sub\/go\.mod at revision sub\/v1\.0\.0: unknown revision sub\/v1\.0\.0/ },
    { run: () => up.mod('example.com/inc.git/v2', 'v2.0.0'), code: 'NOT_FOUND', re: /reading example\.com\/inc\.git\/go\.mod at revision v2\.0\.0: unknown revision v2\.0\.0/ },
    { run: () => up.info('example.com/inc.git', 'v2.0.0+incompatible'), code: 'NOT_FOUND', re: /unknown revision v2\.0\.0/ },
  ];
  for (const c of cases) {
    await assert.rejects(c.run(), (err: unknown) => {
      assert.ok(err instanceof ModgateError, String(err));
      assert.equal(err.code, c.code, err.message);
      assert.match(err.message, c.re);
      return true;
    });
  }
});

test('refused credentials name the host and never leak the secret', async () => {
  const http = await import('node:http');
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
    res.end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const up = createDirectUpstream({
      mirrorDir: join(root, 'mirrors-auth'),
      gitConfig: [[`url.http://127.0.0.1:${port}/.insteadOf`, 'https://private.example.com/']],
      credentials: [
        { host: `127.0.0.1:${port}`, token: 's3cret-token' },
        { host: 'private.example.com', username: 'me', password: 'other' },
      ],
      insecure: 'private.example.com',
    });
    await assert.rejects(up.list('private.example.com/team/repo.git'), (err: unknown) => {
      assert.ok(err instanceof ModgateError);
      assert.equal(err.code, 'VCS_ERROR', err.message);
      assert.match(err.message, /^private\.example\.com: credentials were refused/);
      assert.doesNotMatch(JSON.stringify({ m: err.userMessage, d: err.details }), /s3cret|czNjcmV0/);
      return true;
    });
    assert.ok(seen.includes(`Basic ${Buffer.from('x-access-token:s3cret-token').toString('base64')}`), 'the token was sent to its host');
  } finally {
    await new Promise((r) => server.close(r));
  }
});

runUpstreamCompliance('direct (git)', async (v) => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-direct-compliance-'));
  const r = await createTestRepo(dir, v.path.slice('example.com/'.length));
  await r.write(v.files);
  await r.commit('the published version', Date.parse(v.time) / 1000);
  await r.tag(v.version);
  const upstream = createDirectUpstream({ mirrorDir: join(dir, 'mirrors'), gitConfig: gitRewriteConfig(dir), refreshIntervalMs: 0 });
  return {
    upstream,
    async cleanup() {
      await upstream.close?.();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

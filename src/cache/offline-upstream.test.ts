// The offline upstream: list and @latest from stored versions, retractions from the newest go.mod,
// and not-found answers that say the server is offline and what to export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { createOfflineUpstream, pickLatest } from './offline-upstream.js';
import { listKey, versionKey } from './cache-keys.js';
import { ModgateError } from '../errors/modgate-error.js';

const M = 'example.com/Mod';

async function store(versions: Record<string, string>) {
  const s = createMemoryStorage();
  for (const [v, mod] of Object.entries(versions)) {
    await s.put(versionKey(M, v, 'info'), Buffer.from(JSON.stringify({ Version: v, Time: '2024-01-02T03:04:05Z' })));
    await s.put(versionKey(M, v, 'mod'), Buffer.from(mod));
  }
  return s;
}

test('pickLatest: highest release, else prerelease, else pseudo; retracted versions skipped', () => {
  const cases: Array<[string[], Array<{ low: string; high: string }>, string | undefined]> = [
    [['v1.0.0', 'v1.1.0', 'v1.2.0-rc.1'], [], 'v1.1.0'],
    [['v1.0.0', 'v1.1.0'], [{ low: 'v1.1.0', high: 'v1.1.0' }], 'v1.0.0'],
    [['v1.0.0', 'v1.1.0', 'v1.2.0'], [{ low: 'v1.1.0', high: 'v1.2.0' }], 'v1.0.0'],
    [['v0.1.0-pre', 'v0.0.0-20240101000000-abcdefabcdef'], [], 'v0.1.0-pre'],
    [['v0.0.0-20240101000000-abcdefabcdef'], [], 'v0.0.0-20240101000000-abcdefabcdef'],
    [['v1.0.0'], [{ low: 'v1.0.0', high: 'v1.0.0' }], 'v1.0.0'],
    [[], [], undefined],
  ];
  for (const [versions, retracted, want] of cases) assert.equal(pickLatest(versions, retracted), want, JSON.stringify({ versions, retracted }));
});

test('list and @latest come from stored versions; the newest go.mod retracts', async () => {
  const s = await store({
    'v1.0.0': 'module example.com/Mod\n',
    'v1.1.0': 'module example.com/Mod\n',
    'v1.2.0': 'module example.com/Mod\n\nretract (\n\tv1.2.0 // oops\n\tv1.1.0\n)\n',
  });
  await s.put(versionKey(M, 'v1.3.0', 'mod'), Buffer.from('module example.com/Mod\n')); // go.mod only: not listed
  const u = createOfflineUpstream(s);
  assert.equal((await u.list(M)).toString(), 'v1.0.0\nv1.1.0\nv1.2.0\n');
  assert.equal((JSON.parse((await u.latest(M)).toString()) as { Version: string }).Version, 'v1.0.0');
});

test('a module with only pseudo-versions stored: an empty list, and @latest names the newest pseudo-version', async () => {
  const pseudo = 'v0.0.0-20200101000000-0123456789ab';
  const s = await store({ [pseudo]: 'module example.com/Mod\n' });
  const u = createOfflineUpstream(s);
  assert.equal((await u.list(M)).toString(), '');
  assert.equal((JSON.parse((await u.latest(M)).toString()) as { Version: string }).Version, pseudo);
});

test('a module with only go.mod files stored: the stored list is kept as the offline answer', async () => {
  const s = createMemoryStorage();
  await s.put(versionKey(M, 'v1.0.0', 'mod'), Buffer.from('module example.com/Mod\n'));
  await s.put(listKey(M), Buffer.from('v1.0.0\n'));
  assert.equal((await createOfflineUpstream(s).list(M)).toString(), 'v1.0.0\n');
});

test('what is not stored: not found, saying the server is offline and what to export', async () => {
  const u = createOfflineUpstream(createMemoryStorage());
  for (const p of [u.list(M), u.latest(M), u.info(M, 'v1.0.0'), u.mod(M, 'v1.0.0'), u.zip(M, 'v1.0.0'), u.info(M, 'master')]) {
    await assert.rejects(p, (err: unknown) => err instanceof ModgateError && err.code === 'NOT_FOUND' && /offline/.test(err.message));
  }
  await assert.rejects(u.zip(M, 'v1.0.0'), /modgate export example\.com\/Mod@v1\.0\.0/);
});

// Storage failures with the go command as client, on real filesystems: a cache on a small tmpfs
// filled to the last block (ENOSPC), and a cache on a tmpfs remounted read-only while modgate runs
// (EROFS; chmod does not stop root). The build still succeeds: verified files are served uncached
// (pass-through). Each failure is logged, counted in modgate_storage_errors_total{code} and
// recorded as a storage_error event; first-fetch pins (--nosumdb) that cannot be written are
// reported the same way; no answer blames the upstream or shows a server path. Needs root (mount);
// skipped with the reason otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runProcess } from '../support/process-runner.js';
import { buildAndDownloadAll } from '../support/fixture-build.js';
import type { ModgateProcess } from '../support/modgate-process.js';
import { goModDownloadJson } from '../support/go-env.js';
import { useTestStack } from '../support/test-stack.js';

const TOKEN = 'storage-admin-token';
const stack = useTestStack({ name: 'storage-failures' });

/** Mounts a tmpfs of `mib` MiB at dir (unmounted in after()); the reason when mounting is not allowed. */
async function tmpfs(dir: string, mib: number): Promise<string | undefined> {
  await mkdir(dir, { recursive: true });
  const r = await runProcess('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir], { timeoutMs: 30_000 });
  if (r.code !== 0) return `mount -t tmpfs is not permitted here (${r.stderr.trim() || `exit ${r.code}`}); run the test as root`;
  stack.defer(() => runProcess('umount', ['-l', dir], { timeoutMs: 30_000 }));
  return undefined;
}

const start = (cache: string, extra: readonly string[] = []) =>
  stack.startModgate({ cache, args: ['--admin-tokens', TOKEN, ...extra] });

interface StorageEvent { details: { errno?: string; key?: string; op?: string } }

async function storageEvents(mg: ModgateProcess): Promise<StorageEvent[]> {
  const res = await fetch(`${mg.url}/admin/events?type=storage_error&limit=500`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { events: StorageEvent[] }).events;
}

/** The failure is reported everywhere: log line, metric, event; no request was answered 5xx. */
async function assertReported(mg: ModgateProcess, errno: string): Promise<void> {
  const logged = mg.logs.filter((l) => l.msg === 'storage failure: served without caching');
  assert.ok(logged.some((l) => l.errno === errno), `no storage failure log line with ${errno}:\n${mg.output().slice(-3000)}`);
  const metrics = await (await fetch(`${mg.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`^modgate_storage_errors_total\\{op="(write|stage|commit)",code="${errno}"\\} [1-9]`, 'm'), metrics.split('\n').filter((l) => l.includes('storage_errors')).join('\n'));
  const events = await storageEvents(mg);
  assert.ok(events.some((e) => e.details.errno === errno), `no storage_error event with ${errno}`);
  const failed = mg.logs.filter((l) => l.msg === 'request' && typeof l.status === 'number' && l.status >= 500);
  assert.deepEqual(failed.map((l) => `${String(l.status)} ${String(l.path)}`), [], 'requests answered 5xx');
  // A store failure never counts against the upstream (a body the store left unread is closed, not
  // left to fail its rate limit later and open the upstream's circuit).
  assert.deepEqual(mg.logs.filter((l) => l.circuit === 'open' || l.circuit === 'half_open').map((l) => l.msg), [], 'an upstream circuit opened');
  // The log line says what failed; nothing blames the upstream.
  assert.ok(!mg.logs.some((l) => typeof l.code === 'string' && l.code.startsWith('UPSTREAM')), 'a storage failure was reported as the upstream\'s');
}

test('a full filesystem (tmpfs, ENOSPC): the go command builds through modgate; the failure is logged, counted, recorded; pins too', async (t) => {
  const mount = join(stack.work, 'full');
  const skip = await tmpfs(mount, 4);
  if (skip) return t.skip(skip);
  const pinned = stack.mods[0]!;
  const mg = await start('full/cache', ['--nosumdb', pinned.path]);
  // Fill the filesystem to its last block.
  const fs = await statfs(mount);
  await writeFile(join(mount, 'filler'), Buffer.alloc(fs.bavail * fs.bsize)).catch(() => undefined);
  assert.equal((await statfs(mount)).bavail, 0, 'the tmpfs is not full');

  const built = await buildAndDownloadAll({ fixture: stack.fixture, goproxy: mg.url, gosumdb: stack.sumdb.gosumdb, work: stack.work, name: 'full-build' });
  assert.ok(built.modules.length >= 10);
  await assertReported(mg, 'ENOSPC');
  // The first-fetch pin of the --nosumdb module could not be written: reported the same way.
  const events = await storageEvents(mg);
  assert.ok(events.some((e) => e.details.errno === 'ENOSPC' && (e.details.key ?? '').includes('pins/')), `no storage_error event for a pin: ${JSON.stringify(events.map((e) => e.details.key))}`);
  // Nothing was cached (no zip fits).
  const zips = (await readdir(join(mount, 'cache'), { recursive: true })).filter((f) => String(f).endsWith('.zip'));
  assert.deepEqual(zips, []);
});

test('a cache remounted read-only at run time (EROFS): cached files still served, new ones passed through and reported', async (t) => {
  const mount = join(stack.work, 'ro');
  const skip = await tmpfs(mount, 256);
  if (skip) return t.skip(skip);
  const mg = await start('ro/cache');
  const warm = stack.mods[0]!;
  const env = await stack.goEnv({ GOPROXY: mg.url, GOSUMDB: stack.sumdb.gosumdb });
  const first = await goModDownloadJson(await mkdtemp(join(stack.work, 'ro-warm-')), env, [`${warm.path}@${warm.selected}`]);
  assert.equal(first.code, 0, first.stderr);

  const r = await runProcess('mount', ['-o', 'remount,ro', mount], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `remount,ro failed: ${r.stderr}`);
  const built = await buildAndDownloadAll({ fixture: stack.fixture, goproxy: mg.url, gosumdb: stack.sumdb.gosumdb, work: stack.work, name: 'ro-build' });
  assert.ok(built.modules.some((m) => m.Path === warm.path));
  await assertReported(mg, 'EROFS');
  // The version cached before the remount is a hit; readiness says the store is not writable.
  const hit = mg.logs.filter((l) => l.msg === 'request' && l.module === warm.path && l.kind === 'zip' && l.cache === 'hit');
  assert.ok(hit.length >= 1, 'the zip cached before the remount was not served from the cache');
  const ready = await fetch(`${mg.url}/readyz`);
  const text = await ready.text();
  assert.equal(ready.status, 503, text);
  assert.match(text, /not writable \(EROFS\)/);
  assert.ok(!text.includes(mount), `/readyz shows the cache path:\n${text}`);
});

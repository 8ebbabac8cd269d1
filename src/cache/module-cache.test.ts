// The module cache in process: memory storage, a scripted upstream, an injected clock. One table of
// cases (hit, miss, stale, stale-while-revalidate, stale-on-error, negative TTL, revalidate, forget,
// vanished, single-flight, access times, store failures) against the same small world.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ModgateError, isModgateError } from '../errors/modgate-error.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import type { Storage } from '../storage/storage.js';
import { createLocalCoordinator } from '../coordination/local-coordinator.js';
import { createUpstreamChain } from '../upstream/upstream-chain.js';
import type { FileKind, Upstream } from '../upstream/upstream.js';
import { writeModuleZip } from '../../test/support/module-zip.js';
import { waitFor } from '../../test/support/wait-for.js';
import { createBasicGate } from './basic-gate.js';
import { latestKey, listKey, versionKey } from './cache-keys.js';
import { createOfflineUpstream } from './offline-upstream.js';
import { createModuleCache, type MemoryQuery, type ModuleCache, type ModuleCacheOptions, type Refusal, type StorageFailure } from './module-cache.js';
import type { OpenedBytes } from './cached-object.js';

const M = 'example.com/m';
/** Mutable-file TTL, stale-while-revalidate window and negative TTL of the cache under test (ms). */
const [TTL, SWR, NEG] = [1_000, 1_000, 500];

/** An upstream answering from a script, counting calls; `fail` makes it fail, `hold` delays zips. */
interface Script {
  list: string;
  latest: string;
  versions: Map<string, { mod: string; zip: Buffer }>;
  queries: Map<string, string>;
  fail: boolean;
  hold: Promise<void> | undefined;
  calls: Record<FileKind, number>;
  /** every zip body handed out */
  bodies: Readable[];
}

function scriptedUpstream(script: Script): Upstream {
  const check = (kind: FileKind): void => {
    script.calls[kind]++;
    if (script.fail) throw new ModgateError('UPSTREAM_ERROR', 'scripted: connection refused');
  };
  const version = (v: string) => {
    const found = script.versions.get(v);
    if (!found) throw new ModgateError('NOT_FOUND', `not found: ${M}@${v}`);
    return found;
  };
  return {
    name: 'https://scripted.example',
    list: async () => (check('list'), Buffer.from(script.list)),
    latest: async () => (check('latest'), Buffer.from(script.latest)),
    info: async (_p, v) => {
      check('info');
      const q = script.queries.get(v);
      if (q !== undefined) return Buffer.from(JSON.stringify({ Version: q }));
      version(v);
      return Buffer.from(JSON.stringify({ Version: v, Time: '2024-01-02T03:04:05Z' }));
    },
    mod: async (_p, v) => (check('mod'), Buffer.from(version(v).mod)),
    zip: async (_p, v) => {
      check('zip');
      const bytes = version(v).zip;
      await script.hold;
      const body = Readable.from([bytes]);
      script.bodies.push(body);
      return body;
    },
  };
}

interface World {
  readonly cache: ModuleCache;
  readonly storage: Storage;
  readonly script: Script;
  readonly clock: { t: number };
  readonly touched: string[];
  readonly failures: StorageFailure[];
  readonly refusals: Refusal[];
  readonly zip: Buffer;
}

/** The bytes an opened object holds (streamed, or in memory). */
async function readAll(o: OpenedBytes): Promise<Buffer> {
  if (o.bytes) return o.bytes;
  const chunks: Buffer[] = [];
  for await (const c of o.stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let zipBytes: Buffer | undefined;
async function moduleZip(): Promise<Buffer> {
  if (!zipBytes) {
    const dir = await mkdtemp(join(tmpdir(), 'modgate-mc-'));
    await writeModuleZip(join(dir, 'm.zip'), M, 'v1.0.0', { 'go.mod': `module ${M}\n`, 'm.go': 'package m\n' });
    zipBytes = await readFile(join(dir, 'm.zip'));
    await rm(dir, { recursive: true, force: true });
  }
  return zipBytes;
}

async function world(extra: { storage?: (s: Storage) => Storage } = {}): Promise<World> {
  const clock = { t: 1_700_000_000_000 };
  const now = () => clock.t;
  const zip = await moduleZip();
  const script: Script = {
    list: 'v1.0.0\n',
    latest: JSON.stringify({ Version: 'v1.0.0' }),
    versions: new Map([['v1.0.0', { mod: `module ${M}\n`, zip }]]),
    queries: new Map([['master', 'v1.0.0']]),
    fail: false,
    hold: undefined,
    calls: { list: 0, latest: 0, info: 0, mod: 0, zip: 0 },
    bodies: [],
  };
  const base = createMemoryStorage({ now });
  const storage = extra.storage ? extra.storage(base) : base;
  const touched: string[] = [];
  const failures: StorageFailure[] = [];
  const refusals: Refusal[] = [];
  const opts: ModuleCacheOptions = {
    storage,
    chain: createUpstreamChain([{ upstream: scriptedUpstream(script), fallBackOnError: false }]),
    gate: createBasicGate(),
    coordinator: createLocalCoordinator(),
    listTtlMs: TTL,
    staleWhileRevalidateMs: SWR,
    negativeTtlMs: NEG,
    queryTtlMs: TTL,
    now,
    accessTimes: { touch: (p, v) => touched.push(`${p}@${v}`) },
    onStorageFailure: (f) => failures.push(f),
    onRefusal: (r) => refusals.push(r),
  };
  return { cache: createModuleCache(opts), storage, script, clock, touched, failures, refusals, zip };
}

/** A storage whose writes fail the way a full disk does. */
function fullDisk(s: Storage): Storage {
  const full = () => Promise.reject(new ModgateError('STORAGE_FULL', 'storage write failed: the store is full (ENOSPC)', { details: { errno: 'ENOSPC' } }));
  return { ...s, put: full, putFile: full, stage: full };
}

const cases: Array<{ name: string; storage?: (s: Storage) => Storage; run: (w: World) => Promise<void> }> = [
  {
    name: 'miss then hit: the upstream is asked once per immutable file',
    async run({ cache, script }) {
      for (const [get, kind] of [[() => cache.mod(M, 'v1.0.0'), 'mod'], [() => cache.info(M, 'v1.0.0', true), 'info'], [() => cache.zip(M, 'v1.0.0'), 'zip']] as const) {
        const first = await get();
        assert.equal(first.cache, 'miss', kind);
        const second = await get();
        assert.equal(second.cache, 'hit', kind);
        assert.equal(second.source, 'cache', kind);
        assert.equal(second.immutable, true);
      }
      assert.deepEqual({ mod: script.calls.mod, info: script.calls.info, zip: script.calls.zip }, { mod: 1, info: 1, zip: 1 });
    },
  },
  {
    name: 'list: fresh within the TTL, stale-while-revalidate after it, refetched after both',
    async run({ cache, script, clock }) {
      assert.equal((await cache.list(M)).cache, 'miss');
      clock.t += TTL / 2;
      assert.equal((await cache.list(M)).cache, 'hit');
      assert.equal(script.calls.list, 1);
      script.list = 'v1.0.0\nv1.1.0\n';
      clock.t += TTL; // past the TTL, within stale-while-revalidate
      const stale = await cache.list(M);
      assert.equal(stale.cache, 'stale');
      assert.equal(stale.body?.toString(), 'v1.0.0\n');
      assert.equal(stale.staleReason, undefined);
      await waitFor('background revalidation', async () => (await cache.list(M)).body?.toString() === 'v1.0.0\nv1.1.0\n');
      assert.equal(script.calls.list, 2);
      clock.t += TTL + SWR + 1; // past both: fetched while the client waits
      script.list = 'v1.2.0\n';
      const refetched = await cache.list(M);
      assert.equal(refetched.cache, 'miss');
      assert.equal(refetched.body?.toString(), 'v1.2.0\n');
    },
  },
  {
    name: 'stale-on-error: an expired list is served stale, with the reason, when every upstream fails',
    async run({ cache, script, clock }) {
      await cache.latest(M);
      clock.t += TTL + SWR + 1;
      script.fail = true;
      const o = await cache.latest(M);
      assert.equal(o.cache, 'stale');
      assert.match(o.staleReason ?? '', /connection refused/);
      assert.match(o.body?.toString() ?? '', /v1\.0\.0/);
    },
  },
  {
    name: 'stale-on-error is kept for the TTL: later requests get it without another failing refresh, then it is tried again',
    async run({ cache, script, clock }) {
      await cache.latest(M);
      clock.t += TTL + SWR + 1;
      script.fail = true;
      assert.match((await cache.latest(M)).staleReason ?? '', /connection refused/);
      const calls = script.calls.latest;
      const again = await cache.latest(M);
      assert.equal(again.cache, 'stale');
      assert.match(again.staleReason ?? '', /connection refused/);
      assert.equal(script.calls.latest, calls, 'a kept stale answer asks no upstream');
      clock.t += TTL + 1;
      script.fail = false;
      assert.equal((await cache.latest(M)).cache, 'miss');
      assert.equal(script.calls.latest, calls + 1);
    },
  },
  {
    name: 'a failed background refresh (stale-while-revalidate) is not started again by every request within the TTL',
    async run({ cache, script, clock }) {
      await cache.list(M);
      clock.t += TTL + 1;
      script.fail = true;
      assert.equal((await cache.list(M)).cache, 'stale');
      // Once the failed refresh is kept, a request starts none (before the fix, every one did).
      await waitFor('a request that starts no refresh', async () => {
        const before = script.calls.list;
        await cache.list(M);
        await new Promise<void>((resolve) => setImmediate(resolve));
        return script.calls.list === before;
      });
      const calls = script.calls.list;
      for (let i = 0; i < 3; i++) assert.equal((await cache.list(M)).cache, 'stale');
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.equal(script.calls.list, calls);
      await cache.forget(M);
      script.fail = false;
      await cache.list(M);
      await waitFor('forget drops the kept answer: the next request refreshes', () => Promise.resolve(script.calls.list === calls + 1));
    },
  },
  {
    name: 'negative TTL: a not-found is remembered for negativeTtlMs, then asked again',
    async run({ cache, script, clock }) {
      await assert.rejects(cache.mod(M, 'v9.0.0'), (e) => isModgateError(e, 'NOT_FOUND') && e.details?.cache === undefined);
      await assert.rejects(cache.mod(M, 'v9.0.0'), (e) => isModgateError(e, 'NOT_FOUND') && e.details?.cache === 'negative');
      assert.equal(script.calls.mod, 1);
      clock.t += NEG + 1;
      script.versions.set('v9.0.0', { mod: `module ${M}\n`, zip: Buffer.alloc(0) });
      assert.equal((await cache.mod(M, 'v9.0.0')).cache, 'miss');
      assert.equal(script.calls.mod, 2);
    },
  },
  {
    name: 'revalidate refetches list and @latest now, ignoring freshness and negative answers',
    async run({ cache, script }) {
      await cache.list(M);
      await cache.latest(M);
      script.list = 'v1.0.0\nv1.0.1\n';
      const r = await cache.revalidate(M);
      assert.equal(r.list.cache, 'miss');
      assert.equal(r.list.body?.toString(), 'v1.0.0\nv1.0.1\n');
      assert.equal(r.latest?.cache, 'miss');
      assert.deepEqual([script.calls.list, script.calls.latest], [2, 2]);
    },
  },
  {
    name: 'queries: remembered for queryTtlMs on the clock; forget drops them and the negative answers',
    async run({ cache, script, clock }) {
      assert.equal((await cache.info(M, 'master', false)).cache, 'miss');
      assert.equal((await cache.info(M, 'master', false)).cache, 'hit');
      assert.equal(script.calls.info, 1);
      clock.t += TTL + 1;
      assert.equal((await cache.info(M, 'master', false)).cache, 'miss');
      await assert.rejects(cache.mod(M, 'v8.0.0'), /not found/);
      await cache.forget(M);
      assert.equal((await cache.info(M, 'master', false)).cache, 'miss');
      await assert.rejects(cache.mod(M, 'v8.0.0'), (e) => isModgateError(e, 'NOT_FOUND') && e.details?.cache === undefined);
      assert.deepEqual([script.calls.info, script.calls.mod], [3, 2]);
    },
  },
  {
    name: 'vanished: a stored zip removed between lookup and open is fetched again, once',
    async run({ cache, storage, script, zip }) {
      await cache.zip(M, 'v1.0.0');
      const found = await cache.zip(M, 'v1.0.0');
      assert.equal(found.cache, 'hit');
      await storage.delete(versionKey(M, 'v1.0.0', 'zip'));
      const opened = await found.open();
      assert.deepEqual(await readAll(opened), zip);
      assert.equal(opened.cache, 'miss');
      assert.equal(script.calls.zip, 2);
      const part = await (await cache.zip(M, 'v1.0.0')).open({ start: 0, end: 1 });
      assert.equal((await readAll(part)).toString(), 'PK');
    },
  },
  {
    name: 'single-flight: 10 concurrent cold requests make one upstream call',
    async run({ cache, script, zip }) {
      let release!: () => void;
      script.hold = new Promise<void>((r) => (release = r));
      const all = Promise.all(Array.from({ length: 10 }, () => cache.zip(M, 'v1.0.0')));
      await waitFor('the first zip fetch', async () => script.calls.zip === 1);
      release();
      const got = await all;
      assert.ok(got.every((o) => o.size === zip.length && o.cache === 'miss'));
      assert.deepEqual([script.calls.zip, script.calls.mod, script.calls.info], [1, 1, 1]);
    },
  },
  {
    name: 'access times: served .info/.mod/.zip are recorded; list and queries are not',
    async run({ cache, touched }) {
      await cache.list(M);
      await cache.info(M, 'master', false);
      await cache.zip(M, 'v1.0.0');
      await cache.mod(M, 'v1.0.0');
      assert.deepEqual(touched, [`${M}@v1.0.0`, `${M}@v1.0.0`]);
    },
  },
  {
    name: '.mod checked by the go command\'s rules whatever the sumdb setting: an HTML page or another module path is refused, not cached',
    async run({ cache, script, storage, refusals }) {
      const bad: Array<[string, string, RegExp]> = [
        ['v2.0.0+incompatible', '<!DOCTYPE html>\n<html><body>Sign in to the portal</body></html>\n', /has no module directive/],
        ['v1.1.0', 'module example.com/other\n', /declares module path example\.com\/other, not the requested example\.com\/m/],
        ['v1.2.0', 'module example.com/m/v2\n', /declares module path example\.com\/m\/v2/],
        ['v1.3.0', 'module example.com/m\nrequire (\n', /not a valid go\.mod/],
      ];
      for (const [v, mod, why] of bad) {
        script.versions.set(v, { mod, zip: Buffer.alloc(0) });
        await assert.rejects(cache.mod(M, v), (e) => isModgateError(e, 'UPSTREAM_BAD_RESPONSE') && why.test(e.message) && e.message.includes('https://scripted.example'), v);
        assert.equal(await storage.stat(versionKey(M, v, 'mod')), undefined, v);
      }
      // each refusal reported once, with the upstream and the rule (events, metrics, upstream health)
      assert.deepEqual(refusals.map((r) => `${r.upstream} ${r.kind} ${r.version}`), bad.map(([v]) => `https://scripted.example mod ${v}`));
      for (const [i, [, , why]] of bad.entries()) assert.match(refusals[i]!.rule, why);
    },
  },
  {
    name: 'a zip breaking the zip rules is refused naming the upstream, reported, and not cached',
    async run({ cache, script, storage, refusals }) {
      const { buildZip } = await import('../zip/zip-test-writer.js');
      const slip = buildZip([{ name: `${M}@v1.5.0/go.mod`, data: `module ${M}\n` }, { name: `${M}@v1.5.0/../../etc/cron.d/x`, data: 'x' }]);
      script.versions.set('v1.5.0', { mod: `module ${M}\n`, zip: slip });
      await assert.rejects(cache.zip(M, 'v1.5.0'), (e) => isModgateError(e, 'ZIP_INVALID') && e.message.startsWith(`https://scripted.example: ${M}@v1.5.0.zip: `) && /invalid path element/.test(e.message));
      assert.equal(await storage.stat(versionKey(M, 'v1.5.0', 'zip')), undefined);
      assert.deepEqual(refusals.map((r) => `${r.upstream} ${r.kind} ${r.version}`), ['https://scripted.example zip v1.5.0']);
    },
  },
  {
    name: 'a full store: verified files are served uncached (the zip from memory) and the failure reported',
    storage: fullDisk,
    async run({ cache, failures, zip, script }) {
      const mod = await cache.mod(M, 'v1.0.0');
      assert.equal(mod.body?.toString(), `module ${M}\n`);
      const z = await cache.zip(M, 'v1.0.0');
      assert.deepEqual(await readAll(await z.open()), zip);
      assert.equal(z.cache, 'miss');
      // .mod (twice: not cached, so the zip's fill fetched it again), .info and the zip's staging
      // (the zip's fill fetches the three concurrently, so their order is not fixed)
      assert.deepEqual(failures.map((f) => `${f.op} ${f.key} ${f.error.code}`).sort(), [
        `write ${versionKey(M, 'v1.0.0', 'mod')} STORAGE_FULL`,
        `write ${versionKey(M, 'v1.0.0', 'info')} STORAGE_FULL`,
        `write ${versionKey(M, 'v1.0.0', 'mod')} STORAGE_FULL`,
        `stage ${versionKey(M, 'v1.0.0', 'zip')} STORAGE_FULL`,
      ].sort());
      assert.equal((await cache.mod(M, 'v1.0.0')).cache, 'miss'); // nothing was cached: asked again
      assert.equal(script.calls.mod, 3);
      // The body the store refused before reading it is closed, not left open (its upstream
      // transfer would otherwise run on, fail its rate limit and count against the upstream).
      assert.equal(script.bodies.length, 2);
      await waitFor('the unread body closed', async () => script.bodies.every((b) => b.destroyed || b.readableEnded), 5_000);
    },
  },
];

test('module cache: a gate whose own write fails (a record on a full store) fails the request with the store\'s error, reported', async () => {
  const w = await world();
  const gate = createBasicGate();
  const full = new ModgateError('STORAGE_FULL', 'storage write of .modgate/own-sumdb/x failed: the store is full (ENOSPC)', { details: { errno: 'ENOSPC' } });
  const failures: StorageFailure[] = [];
  const cache = createModuleCache({
    storage: w.storage,
    chain: createUpstreamChain([{ upstream: scriptedUpstream(w.script), fallBackOnError: false }]),
    gate: { ...gate, checkZip: () => Promise.reject(full) },
    coordinator: createLocalCoordinator(),
    listTtlMs: TTL, staleWhileRevalidateMs: SWR, negativeTtlMs: NEG, queryTtlMs: TTL,
    onStorageFailure: (f) => failures.push(f),
  });
  await assert.rejects(cache.zip(M, 'v1.0.0'), (e) => isModgateError(e, 'STORAGE_FULL'));
  assert.deepEqual(failures.map((f) => `${f.op} ${f.key} ${f.error.code}`), [`write ${versionKey(M, 'v1.0.0', 'zip')} STORAGE_FULL`]);
  assert.equal(await w.storage.stat(versionKey(M, 'v1.0.0', 'zip')), undefined);
});

test('module cache offline: every kind stays answerable from memory past the list TTL (stale while refreshed, then fresh again; a failed refresh kept for the TTL)', async () => {
  const clock = { t: 1_700_000_000_000 };
  const now = () => clock.t;
  const storage = createMemoryStorage({ now });
  const ONLY_MOD = 'example.com/onlymod';
  await storage.put(versionKey(M, 'v1.0.0', 'info'), Buffer.from('{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z"}'));
  await storage.put(versionKey(M, 'v1.0.0', 'mod'), Buffer.from(`module ${M}\n`));
  await storage.put(listKey(M), Buffer.from('v1.0.0\n'));
  await storage.put(latestKey(M), Buffer.from('{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z"}'));
  // Only a go.mod of this module was fetched: its list is kept offline, its @latest cannot be rebuilt.
  await storage.put(versionKey(ONLY_MOD, 'v1.2.0', 'mod'), Buffer.from(`module ${ONLY_MOD}\n`));
  await storage.put(listKey(ONLY_MOD), Buffer.from('v1.2.0\n'));
  await storage.put(latestKey(ONLY_MOD), Buffer.from('{"Version":"v1.2.0","Time":"2024-01-02T03:04:05Z"}'));
  const backgroundErrors: string[] = [];
  const cache = createModuleCache({
    storage,
    chain: createUpstreamChain([{ upstream: createOfflineUpstream(storage), fallBackOnError: false }]),
    gate: createBasicGate(),
    coordinator: createLocalCoordinator(),
    listTtlMs: TTL, staleWhileRevalidateMs: SWR, negativeTtlMs: NEG, queryTtlMs: TTL,
    now,
    onBackgroundError: (_err, what) => backgroundErrors.push(what),
  });
  const queries: MemoryQuery[] = [
    { kind: 'list', path: M },
    { kind: 'latest', path: M },
    { kind: 'info', path: M, version: 'v1.0.0', canonical: true },
    { kind: 'mod', path: M, version: 'v1.0.0' },
    { kind: 'list', path: ONLY_MOD },
    { kind: 'mod', path: ONLY_MOD, version: 'v1.2.0' },
  ];
  const failing: MemoryQuery = { kind: 'latest', path: ONLY_MOD };
  await Promise.all([cache.list(M), cache.latest(M), cache.info(M, 'v1.0.0', true), cache.mod(M, 'v1.0.0'), cache.list(ONLY_MOD), cache.mod(ONLY_MOD, 'v1.2.0'), cache.latest(ONLY_MOD)]);
  const bodies = new Map(queries.map((q) => [q, cache.inMemory(q)?.body?.toString()]));
  for (const [q, b] of bodies) assert.ok(b !== undefined, `${q.kind} ${q.path} in memory after the first lookup`);
  assert.ok(cache.inMemory(failing));

  // Requests keep coming for ten TTLs, a little more than half a TTL apart (every one past the TTL
  // of what the previous refresh remembered, within stale-while-revalidate).
  const kinds = new Set<string>();
  for (let step = 0; step < 17; step++) {
    clock.t += TTL * 0.6;
    for (const q of queries) {
      const o = cache.inMemory(q);
      assert.ok(o, `${q.kind} ${q.path} answered from memory at +${((step + 1) * 0.6).toFixed(1)} TTL`);
      assert.equal(o.body?.toString(), bodies.get(q));
      kinds.add(`${q.kind}:${o.cache}`);
    }
    await waitFor('background refreshes done', async () => queries.every((q) => cache.inMemory(q)?.cache === 'hit'));
    // The @latest that cannot be rebuilt offline: stale while its refresh runs, then the failed
    // refresh is kept and answered from memory for the TTL; past that, one lookup refreshes again
    // (the client waits for it) and its stale answer is again kept in memory.
    if (step === 0) assert.equal(cache.inMemory(failing)?.cache, 'hit');
    if (step === 1) {
      assert.equal(cache.inMemory(failing)?.cache, 'stale');
      await waitFor('the failed background refresh', async () => backgroundErrors.includes(`${ONLY_MOD}@latest`));
    }
    if (step === 2) assert.equal(cache.inMemory(failing)?.cache, 'stale');
    if (step === 3) {
      assert.equal(cache.inMemory(failing), undefined);
      assert.ok((await cache.latest(ONLY_MOD)).staleReason);
      const kept = cache.inMemory(failing);
      assert.equal(kept?.cache, 'stale');
      assert.ok(kept.staleReason);
    }
  }
  // The lists and @latest were served stale while refreshed, the immutable files always as hits.
  assert.deepEqual([...kinds].sort(), ['info:hit', 'latest:hit', 'latest:stale', 'list:hit', 'list:stale', 'mod:hit']);
  assert.deepEqual(backgroundErrors, [`${ONLY_MOD}@latest`], 'one failing background refresh, not one per request');
});

for (const c of cases) {
  void test(`module cache: ${c.name}`, async () => {
    await c.run(await world(c.storage ? { storage: c.storage } : {}));
  });
}

// The version policy applied to a cache, in process with an injected clock: refused versions are
// VERSION_REFUSED with the rule (and never reach the zip), @v/list and @latest skip them, the memory
// step (what the hit fast path asks) serves only versions already decided admitted, a cool-down
// refusal ends on time, dry-run serves and reports, a replaced policy applies to what is cached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModgateError, isModgateError } from '../errors/modgate-error.js';
import { objectFromBytes, type CachedObject } from '../cache/cached-object.js';
import type { ModuleCache } from '../cache/module-cache.js';
import { parsePolicyFile } from './policy-file.js';
import { createVersionPolicy, type PolicyRefusal } from './policy-cache.js';

const M = 'example.com/m';
const DAY = 86_400_000;
const T0 = Date.parse('2026-06-10T12:00:00Z');
/** v1.0.0 old; v1.1.0 retracted by v1.3.0's go.mod; v1.2.0 in the denied range; v1.3.0 one day old. */
const TIMES: Record<string, number> = { 'v1.0.0': T0 - 300 * DAY, 'v1.1.0': T0 - 200 * DAY, 'v1.2.0': T0 - 100 * DAY, 'v1.3.0': T0 - DAY };
const POLICY = { coolDown: '72h', rules: [{ modules: M, deny: ['>=v1.2.0 <v1.3.0'] }] };

const iso = (t: number) => new Date(t).toISOString().replace(/\.000Z$/, 'Z');
const info = (v: string) => Buffer.from(JSON.stringify({ Version: v, Time: iso(TIMES[v]!) }));

/** A cache over the four versions, remembering small answers like the real one; counts zip calls. */
function fakeCache(clock: { t: number }) {
  const calls = { zip: 0, list: 0 };
  const memory = new Map<string, CachedObject>();
  const obj = (key: string, body: Buffer, immutable: boolean): CachedObject => {
    const o = memory.get(key) ?? objectFromBytes(body, { cache: 'miss', source: 'upstream' }, immutable, new Date(clock.t));
    memory.set(key, o);
    return o;
  };
  const version = (v: string) => {
    if (TIMES[v] === undefined) throw new ModgateError('NOT_FOUND', `${M}@${v}: not found`);
  };
  const cache: ModuleCache = {
    list: async () => (calls.list++, obj('list', Buffer.from('v1.0.0\nv1.1.0\nv1.2.0\nv1.3.0\n'), false)),
    latest: async () => obj('latest', info('v1.3.0'), false),
    info: async (_p, v, canonical) => (canonical ? (version(v), obj(`${v}.info`, info(v), true)) : obj(`q:${v}`, info('v1.2.0'), false)),
    mod: async (_p, v) => (version(v), obj(`${v}.mod`, Buffer.from(`module ${M}\n${v === 'v1.3.0' ? '\nretract v1.1.0 // broken\n' : ''}`), true)),
    zip: async (_p, v) => (calls.zip++, version(v), obj(`${v}.zip`, Buffer.from('zip'), true)),
    inMemory: (q) => memory.get(!('version' in q) ? q.kind : q.kind === 'info' && !q.canonical ? `q:${q.version}` : `${q.version}.${q.kind}`),
    revalidate: async () => ({ list: await cache.list(M), latest: undefined }),
    forget: async () => undefined,
    prefetchPending: 0,
    abort: () => undefined,
  };
  return { cache, calls };
}

function world(policy: object = POLICY, dryRun = false) {
  const clock = { t: T0 };
  const inner = fakeCache(clock);
  const refusals: PolicyRefusal[] = [];
  const service = createVersionPolicy({
    policy: parsePolicyFile(JSON.stringify(policy), 'policy.json'),
    dryRun,
    source: () => inner.cache,
    rememberMs: 60_000,
    now: () => clock.t,
    onRefusal: (r) => refusals.push(r),
  });
  return { clock, inner, refusals, service, cache: service.wrap(inner.cache) };
}

const text = async (o: Promise<CachedObject>) => (await o).body?.toString('utf8');
const versionOf = async (o: Promise<CachedObject>) => (JSON.parse((await text(o)) ?? '{}') as { Version?: string }).Version;
const refused = (rule: string, message: RegExp) => (err: unknown) => isModgateError(err, 'VERSION_REFUSED') && err.details?.rule === rule && message.test(err.message);

test('refused versions: 403 code with the rule and version, never fetched as a zip; list and @latest skip them', async () => {
  const w = world();
  await assert.rejects(w.cache.info(M, 'v1.1.0', true), refused('retracted', /^example\.com\/m@v1\.1\.0: refused by the version policy \(retracted\): retracted by the module's go\.mod at v1\.3\.0: broken$/));
  await assert.rejects(w.cache.mod(M, 'v1.2.0'), refused('deny-range', /in the denied range ">=v1\.2\.0 <v1\.3\.0"/));
  await assert.rejects(w.cache.zip(M, 'v1.3.0'), refused('cool-down', /published 2026-06-09T12:00:00Z; the 72h cool-down admits it from 2026-06-12T12:00:00Z/));
  await assert.rejects(w.cache.info(M, 'main', false), refused('deny-range', /@v1\.2\.0/), 'a query resolving to a refused version');
  assert.equal(w.inner.calls.zip, 0);
  assert.equal(await text(w.cache.zip(M, 'v1.0.0')), 'zip');
  assert.equal(await text(w.cache.list(M)), 'v1.0.0\n');
  assert.equal(await versionOf(w.cache.latest(M)), 'v1.0.0', '@latest agrees with the list');
  assert.deepEqual(w.refusals.map((r) => [r.version, r.rule, r.mode, r.first]), [['v1.1.0', 'retracted', 'enforce', true], ['v1.2.0', 'deny-range', 'enforce', true], ['v1.3.0', 'cool-down', 'enforce', true], ['v1.2.0', 'deny-range', 'enforce', false]]);
  await assert.rejects(w.cache.mod(M, 'v1.2.0'));
  assert.equal(w.refusals.at(-1)?.first, false, 'a repeated refusal is counted, not logged again');
  // Admission into the cache: the same decision (prefetches of a refused zip are refused too).
  await assert.rejects(w.service.admit(M, 'v1.3.0'), refused('cool-down', /cool-down/));
  await w.service.admit(M, 'v1.0.0');
});

test('the memory step serves only what is decided admitted; a cool-down ends on the clock', async () => {
  const w = world();
  assert.equal(w.cache.inMemory({ kind: 'info', path: M, version: 'v1.0.0', canonical: true }), undefined, 'undecided: the general path decides');
  await w.cache.info(M, 'v1.0.0', true);
  assert.ok(w.cache.inMemory({ kind: 'info', path: M, version: 'v1.0.0', canonical: true }), 'decided admitted: served from memory');
  await assert.rejects(w.cache.info(M, 'v1.3.0', true));
  assert.equal(w.cache.inMemory({ kind: 'info', path: M, version: 'v1.3.0', canonical: true }), undefined, 'refused: never from memory (the 403 is the general path\'s)');
  assert.equal(w.cache.inMemory({ kind: 'list', path: M }), undefined, 'the list is filtered first');
  const filtered = await w.cache.list(M);
  assert.equal(w.cache.inMemory({ kind: 'list', path: M }), filtered);
  assert.equal(w.cache.inMemory({ kind: 'info', path: M, version: 'main', canonical: false }), undefined, 'queries go through the general path');

  w.clock.t = T0 + 2 * DAY + 1; // v1.3.0 is now 72h old
  assert.equal(w.cache.inMemory({ kind: 'list', path: M }), undefined, 'the filtered list expires when the cool-down ends');
  assert.equal(await text(w.cache.list(M)), 'v1.0.0\nv1.3.0\n');
  assert.equal(await versionOf(w.cache.info(M, 'v1.3.0', true)), 'v1.3.0');
  assert.equal(await versionOf(w.cache.latest(M)), 'v1.3.0');
});

test('dry-run admits and reports what it would refuse (memory step included)', async () => {
  const w = world(POLICY, true);
  assert.equal(w.service.mode, 'dry-run');
  assert.equal(await text(w.cache.zip(M, 'v1.3.0')), 'zip');
  await w.service.admit(M, 'v1.3.0');
  assert.ok(w.cache.inMemory({ kind: 'info', path: M, version: 'v1.3.0', canonical: true }), 'served from memory, and reported');
  assert.equal(await text(w.cache.list(M)), 'v1.0.0\nv1.1.0\nv1.2.0\nv1.3.0\n');
  assert.equal(await versionOf(w.cache.latest(M)), 'v1.3.0');
  assert.deepEqual(w.refusals.map((r) => [r.version, r.rule, r.mode, r.first]), [['v1.3.0', 'cool-down', 'dry-run', true], ['v1.3.0', 'cool-down', 'dry-run', false]]);
});

test('a replaced policy applies to what is already cached; everything refused makes @latest a 403', async () => {
  const w = world({ coolDown: '0' });
  assert.equal(await text(w.cache.list(M)), 'v1.0.0\nv1.2.0\nv1.3.0\n');
  await w.cache.info(M, 'v1.0.0', true);
  w.service.replace(parsePolicyFile(JSON.stringify({ rules: [{ modules: 'example.com/*', allow: ['v1.1.0'] }] }), 'policy.json'));
  assert.equal(w.cache.inMemory({ kind: 'info', path: M, version: 'v1.0.0', canonical: true }), undefined);
  await assert.rejects(w.cache.info(M, 'v1.0.0', true), refused('allow-list', /not on the allow list of example\.com\/\* \(1 versions allowed\)/));
  assert.equal(await text(w.cache.list(M)), '');
  await assert.rejects(w.cache.latest(M), refused('allow-list', /^example\.com\/m@v1\.3\.0: .*; no other listed version is admitted$/));
});

// The cold path of the module cache in process: a zip fill asks for its .info, .mod, checksum
// lookup and zip at once (and still makes the zip visible only after .info and .mod are stored),
// and what clients ask for starts the prefetch of what they will ask next.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModuleCache } from './module-cache.js';
import { createBasicGate } from './basic-gate.js';
import type { IntegrityGate } from './integrity-gate.js';
import { versionKey } from './cache-keys.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { createLocalCoordinator } from '../coordination/local-coordinator.js';
import { createUpstreamChain } from '../upstream/upstream-chain.js';
import type { Upstream } from '../upstream/upstream.js';
import { ModgateError } from '../errors/modgate-error.js';
import { writeModuleZip } from '../../test/support/module-zip.js';
import { waitFor } from '../../test/support/wait-for.js';

let dir: string;
const zips = new Map<string, string>();
const goMods: Record<string, string> = {
  'example.com/app@v1.0.0': 'module example.com/app\n\ngo 1.17\n\nrequire (\n\texample.com/lib v1.2.0\n\texample.com/big v1.0.0 // a direct requirement (tests, tools) that no package imports\n)\n',
  'example.com/lib@v1.2.0': 'module example.com/lib\n',
  'example.com/lib@v1.1.0': 'module example.com/lib\n',
  'example.com/big@v1.0.0': 'module example.com/big\n',
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modgate-cold-'));
  for (const id of Object.keys(goMods)) {
    const [path, version] = id.split('@') as [string, string];
    const file = join(dir, `${id.replace(/[/@]/g, '_')}.zip`);
    // app's package imports lib (a requirement it builds) and nothing of big.
    const x = path === 'example.com/app' ? 'package x\n\nimport "example.com/lib"\n' : 'package x\n';
    await writeModuleZip(file, path, version, { 'go.mod': goMods[id]!, 'x.go': x });
    zips.set(id, file);
  }
});
after(() => rm(dir, { recursive: true, force: true }));

/** An upstream over the files above that records each request; `hold` can delay an answer. */
function upstream(hold?: (what: string) => Promise<void>) {
  const asked: string[] = [];
  const serve = async <T>(what: string, make: () => T): Promise<T> => {
    asked.push(what);
    await hold?.(what);
    return make();
  };
  const known = (path: string, version: string): string => {
    const id = `${path}@${version}`;
    if (goMods[id] === undefined) throw new ModgateError('NOT_FOUND', `${id}: not found`);
    return id;
  };
  const u: Upstream = {
    name: 'test-upstream',
    list: (path) => serve(`${path}/@v/list`, () => Buffer.from(Object.keys(goMods).filter((k) => k.startsWith(`${path}@`)).map((k) => k.split('@')[1]).join('\n'))),
    latest: (path) => serve(`${path}/@latest`, () => {
      throw new ModgateError('NOT_FOUND', `${path}@latest: not found`);
    }),
    info: (path, version) => serve(`${path}@${version}.info`, () => Buffer.from(JSON.stringify({ Version: known(path, version), Time: '2024-01-02T03:04:05Z' }).replace(/"Version":"[^"]*"/, `"Version":"${version}"`))),
    mod: (path, version) => serve(`${path}@${version}.mod`, () => Buffer.from(goMods[known(path, version)]!)),
    zip: (path, version) => serve(`${path}@${version}.zip`, () => createReadStream(zips.get(known(path, version))!)),
  };
  return { u, asked };
}

function cacheOver(u: Upstream, opts: { gate?: IntegrityGate; zipDepth?: number; modZips?: boolean } = {}) {
  const storage = createMemoryStorage();
  const cache = createModuleCache({
    storage,
    chain: createUpstreamChain([{ upstream: u, fallBackOnError: false }]),
    gate: opts.gate ?? createBasicGate(),
    coordinator: createLocalCoordinator(),
    listTtlMs: 60_000,
    staleWhileRevalidateMs: 60_000,
    negativeTtlMs: 60_000,
    queryTtlMs: 60_000,
    ...(opts.zipDepth !== undefined ? { prefetch: { concurrency: 4, depth: 1, zipDepth: opts.zipDepth, zipConcurrency: 2, modZips: opts.modZips ?? false } } : {}),
  });
  return { storage, cache };
}

test('a zip miss asks for .info, .mod and .zip at once and starts the checksum lookup first', { timeout: 20_000 }, async () => {
  // .info is answered only once the zip was asked for: a fill doing one after the other never ends.
  let zipAsked!: () => void;
  const zipRequested = new Promise<void>((res) => (zipAsked = res));
  const { u, asked } = upstream(async (what) => {
    if (what.endsWith('.zip')) zipAsked();
    if (what.endsWith('.info')) await zipRequested;
  });
  const prepared: string[] = [];
  const basic = createBasicGate();
  const gate: IntegrityGate = {
    prepare: (path, version) => void prepared.push(`${path}@${version}:${asked.length}`),
    checkMod: basic.checkMod.bind(basic),
    checkZip: basic.checkZip.bind(basic),
  };
  const { cache, storage } = cacheOver(u, { gate });
  const got = await cache.zip('example.com/lib', 'v1.2.0');
  assert.equal(got.cache, 'miss');
  assert.deepEqual(asked.slice().sort(), ['example.com/lib@v1.2.0.info', 'example.com/lib@v1.2.0.mod', 'example.com/lib@v1.2.0.zip']);
  assert.equal(prepared[0], 'example.com/lib@v1.2.0:0', 'the checksum lookup starts before any upstream request');
  for (const f of ['info', 'mod', 'zip', 'ziphash'] as const) assert.ok(await storage.stat(versionKey('example.com/lib', 'v1.2.0', f)), `${f} stored`);
});

test('a zip whose .mod is refused is not stored, and the client gets the .mod\'s error', async () => {
  const { u } = upstream();
  const basic = createBasicGate();
  const gate: IntegrityGate = {
    checkMod: async (s) => {
      throw new ModgateError('CHECKSUM_MISMATCH', `${s.source}: ${s.path}@${s.version} .mod: checksum mismatch`);
    },
    checkZip: basic.checkZip.bind(basic),
  };
  const { cache, storage } = cacheOver(u, { gate });
  await assert.rejects(cache.zip('example.com/lib', 'v1.2.0'), (err: unknown) => err instanceof ModgateError && /mod: checksum mismatch/.test(err.message));
  assert.equal(await storage.stat(versionKey('example.com/lib', 'v1.2.0', 'zip')), undefined, 'no zip without its verified .mod');
  assert.equal(await storage.stat(versionKey('example.com/lib', 'v1.2.0', 'mod')), undefined);
});

test('a client\'s zip starts the zips of the requirements its packages import; others are left alone', async () => {
  const { u, asked } = upstream();
  const { cache, storage } = cacheOver(u, { zipDepth: 1 });
  await cache.zip('example.com/app', 'v1.0.0');
  await waitFor('the requirement zip stored', async () => (await storage.stat(versionKey('example.com/lib', 'v1.2.0', 'zip'))) !== undefined, 10_000, 10);
  await waitFor('prefetch idle', async () => cache.prefetchPending === 0, 10_000, 10);
  assert.ok(!asked.includes('example.com/big@v1.0.0.zip'), 'a requirement no package imports had its zip prefetched');
  const hit = await cache.zip('example.com/lib', 'v1.2.0');
  assert.equal(hit.cache, 'hit');
});

test('a list fetched for a client starts the .info, .mod and zip of its latest version; zipDepth 0 fetches no zip', async () => {
  const on = upstream();
  const withZips = cacheOver(on.u, { zipDepth: 1 });
  await withZips.cache.list('example.com/lib');
  await waitFor('latest version prefetched', async () => (await withZips.storage.stat(versionKey('example.com/lib', 'v1.2.0', 'zip'))) !== undefined, 10_000, 10);
  assert.ok(await withZips.storage.stat(versionKey('example.com/lib', 'v1.2.0', 'info')));
  assert.ok(!on.asked.includes('example.com/lib@v1.1.0.zip'), 'only the latest version');

  const off = upstream();
  const noZips = cacheOver(off.u, { zipDepth: 0 });
  await noZips.cache.list('example.com/lib');
  await waitFor('prefetch idle', async () => noZips.cache.prefetchPending === 0 && off.asked.includes('example.com/lib@v1.2.0.mod'), 10_000, 10);
  assert.ok(!off.asked.some((a) => a.endsWith('.zip')), `zips fetched: ${off.asked.join(', ')}`);
});

test('a client\'s .mod starts that version\'s zip; the client\'s zip request joins the fill already running (one upstream zip request)', { timeout: 20_000 }, async () => {
  // The zip is held until the client has asked for it: the client's request must wait on the prefetch's fill.
  let release!: () => void;
  const released = new Promise<void>((res) => (release = res));
  const { u, asked } = upstream(async (what) => {
    if (what === 'example.com/lib@v1.2.0.zip') await released;
  });
  const { cache } = cacheOver(u, { zipDepth: 0, modZips: true });
  await cache.mod('example.com/lib', 'v1.2.0');
  await waitFor('the zip prefetch asked upstream', async () => asked.includes('example.com/lib@v1.2.0.zip'), 10_000, 5);
  const client = cache.zip('example.com/lib', 'v1.2.0');
  release();
  const got = await client;
  assert.equal(got.cache, 'miss', 'the client got the fill it joined');
  assert.deepEqual(asked.filter((a) => a.endsWith('.zip')), ['example.com/lib@v1.2.0.zip'], 'one upstream zip request');
  assert.equal(asked.filter((a) => a === 'example.com/lib@v1.2.0.info').length, 1, 'the .info once');

  const off = upstream();
  const without = cacheOver(off.u, { zipDepth: 0, modZips: false });
  await without.cache.mod('example.com/lib', 'v1.2.0');
  await waitFor('prefetch idle', async () => without.cache.prefetchPending === 0, 10_000, 5);
  assert.ok(!off.asked.some((a) => a.endsWith('.zip')), `modZips off fetched: ${off.asked.join(', ')}`);
});

test('the .mod a zip fill fetches starts no requirement walk; a .mod a client asks for does', { timeout: 20_000 }, async () => {
  const zipFirst = upstream();
  const a = cacheOver(zipFirst.u, { zipDepth: 0 }); // prefetch on, depth 1, no zips below zips
  await a.cache.zip('example.com/app', 'v1.0.0');
  await waitFor('prefetch idle', async () => a.cache.prefetchPending === 0, 10_000, 5);
  assert.deepEqual(zipFirst.asked.filter((r) => !r.startsWith('example.com/app@')), [], 'requirements fetched below a zip');

  const modFirst = upstream();
  const b = cacheOver(modFirst.u, { zipDepth: 0 });
  await b.cache.mod('example.com/app', 'v1.0.0');
  await waitFor('the walk', async () => modFirst.asked.includes('example.com/lib@v1.2.0.mod') && b.cache.prefetchPending === 0, 10_000, 5);
  assert.ok(modFirst.asked.includes('example.com/big@v1.0.0.mod'));
});

// Zips answered from memory (zip-memory.ts) against the same zips streamed from the file, over one
// fs cache: two servers whose caches differ only in the zip memory answer every zip request byte
// for byte alike (Date aside) over a real port and in process (fastify inject), with the same flow
// lines — GET, HEAD, 304 by ETag and by date, 206 (range, open-ended, suffix, If-Range), 416, a
// missing token, a denied module — while the memory side reads the stored file once and never
// opens it again. A zip above the per-zip maximum is streamed every time, and forgetting the module
// (what a purge or GC does) makes the next answer read the store again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createModuleCache, type ModuleCache } from '../cache/module-cache.js';
import { createBasicGate } from '../cache/basic-gate.js';
import { versionKey } from '../cache/cache-keys.js';
import { createFsStorage } from '../storage/fs-storage.js';
import type { Storage } from '../storage/storage.js';
import { createLocalCoordinator } from '../coordination/local-coordinator.js';
import { createUpstreamChain } from '../upstream/upstream-chain.js';
import { createFileUpstream } from '../upstream/file-upstream.js';
import { AUTH, ZIP, exchange, headerOf, hitFixture, raw, request, side, type Side } from '../testing/hit-servers.js';

const ZIP_KEY = versionKey('example.com/hello', 'v1.0.0', 'zip');

interface Counted {
  cache: ModuleCache;
  /** Whole reads (get) and stream opens of the zip's key. */
  reads: { get: number; open: number };
}

/** A cache over the fixture's upstream and cache directory, counting the zip's reads. */
function countedCache(upstream: string, cacheDir: string, zipMemory?: { bytes: number; maxZipBytes: number }): Counted {
  const fs = createFsStorage(cacheDir);
  const reads = { get: 0, open: 0 };
  const storage: Storage = {
    ...fs,
    get: (key) => {
      if (key === ZIP_KEY) reads.get++;
      return fs.get(key);
    },
    open: (key, range) => {
      if (key === ZIP_KEY) reads.open++;
      return fs.open(key, range);
    },
  };
  const cache = createModuleCache({
    storage,
    chain: createUpstreamChain([{ upstream: createFileUpstream(pathToFileURL(upstream).toString()), fallBackOnError: false }]),
    gate: createBasicGate(),
    coordinator: createLocalCoordinator(),
    listTtlMs: 60_000,
    staleWhileRevalidateMs: 60_000,
    negativeTtlMs: 60_000,
    queryTtlMs: 60_000,
    ...(zipMemory ? { zipMemory } : {}),
  });
  return { cache, reads };
}

let dir: string;
let upstream: string;
let cacheDir: string;
let fromFile: Counted;
let fromMemory: Counted;
let tooBig: Counted;
let sides: { file: Side; memory: Side; fileAuth: Side; memoryAuth: Side; big: Side };
let size: number;
let etag: string;
let lastModified: string;

before(async () => {
  const f = await hitFixture();
  dir = f.dir;
  upstream = f.upstream;
  cacheDir = join(dir, 'cache');
  fromFile = countedCache(upstream, cacheDir);
  fromMemory = countedCache(upstream, cacheDir, { bytes: 1 << 20, maxZipBytes: 1 << 20 });
  tooBig = countedCache(upstream, cacheDir, { bytes: 1 << 20, maxZipBytes: 100 });
  sides = {
    file: await side(fromFile.cache, 'raw', [], false),
    memory: await side(fromMemory.cache, 'raw', [], false),
    fileAuth: await side(fromFile.cache, 'raw'),
    memoryAuth: await side(fromMemory.cache, 'raw'),
    big: await side(tooBig.cache, 'raw', [], false),
  };
  // Filled through the file side (a miss), then every side finds it stored.
  const first = await raw(sides.file.port, 'GET', ZIP, []);
  assert.match(first, /^HTTP\/1\.1 200 /);
  size = Number(headerOf(first, 'content-length'));
  etag = headerOf(first, 'etag');
  lastModified = headerOf(first, 'last-modified');
  assert.ok(size > 100, `the fixture zip (${size} B) is above the small side's maximum`);
});

after(async () => {
  for (const s of Object.values(sides)) await s.app.close();
  await rm(dir, { recursive: true, force: true });
});

/** Every kind of zip request, with the status each must get. */
const cases = (): Array<{ name: string; method: 'GET' | 'HEAD'; headers: string[]; status: number }> => [
  { name: 'GET', method: 'GET', headers: [], status: 200 },
  { name: 'HEAD', method: 'HEAD', headers: [], status: 200 },
  { name: '304 by ETag', method: 'GET', headers: [`if-none-match: ${etag}`], status: 304 },
  { name: 'HEAD 304 by ETag', method: 'HEAD', headers: [`if-none-match: ${etag}`], status: 304 },
  { name: '304 by date', method: 'GET', headers: [`if-modified-since: ${lastModified}`], status: 304 },
  { name: 'another ETag', method: 'GET', headers: ['if-none-match: "other"'], status: 200 },
  { name: 'range', method: 'GET', headers: ['range: bytes=10-19'], status: 206 },
  { name: 'open-ended range', method: 'GET', headers: ['range: bytes=10-'], status: 206 },
  { name: 'suffix range', method: 'GET', headers: ['range: bytes=-5'], status: 206 },
  { name: 'suffix longer than the zip', method: 'GET', headers: [`range: bytes=-${size + 5}`], status: 206 },
  { name: 'HEAD range', method: 'HEAD', headers: ['range: bytes=0-1'], status: 206 },
  { name: 'If-Range matching', method: 'GET', headers: ['range: bytes=2-3', `if-range: ${etag}`], status: 206 },
  { name: 'If-Range not matching', method: 'GET', headers: ['range: bytes=2-3', 'if-range: "old"'], status: 200 },
  { name: 'several ranges (whole zip)', method: 'GET', headers: ['range: bytes=0-1,4-5'], status: 200 },
  { name: 'unsatisfiable range', method: 'GET', headers: [`range: bytes=${size + 10}-`], status: 416 },
  { name: 'HEAD unsatisfiable range', method: 'HEAD', headers: [`range: bytes=${size}-`], status: 416 },
];

const strip = (l: Record<string, unknown>) => ({ ...l, reqId: typeof l.reqId, latency_ms: typeof l.latency_ms, time: typeof l.time });
const flowSince = (s: Side, from: number) => s.lines.slice(from).map((l) => JSON.stringify(strip(l)));

test('over a real port: every zip answer from memory is the file\'s, byte for byte, with the same flow lines', async () => {
  // The first answer reads the stored zip into memory (through fastify); the rest find it there.
  const first = sides.memory.fastAnswers;
  assert.equal(await raw(sides.memory.port, 'GET', ZIP, []), await raw(sides.file.port, 'GET', ZIP, []));
  assert.equal(sides.memory.fastAnswers, first, 'the read into memory is the general path\'s');
  const reads = { ...fromMemory.reads };
  for (const c of cases()) {
    const lines = { file: sides.file.lines.length, memory: sides.memory.lines.length };
    const fast = { file: sides.file.fastAnswers, memory: sides.memory.fastAnswers };
    const want = await raw(sides.file.port, c.method, ZIP, c.headers);
    const got = await raw(sides.memory.port, c.method, ZIP, c.headers);
    assert.match(want, new RegExp(`^HTTP/1\\.1 ${c.status} `), c.name);
    assert.equal(got, want, c.name);
    // Plain GET/HEAD (no Range) of a zip held in memory: the zip fast path answered it (zip-hits.ts).
    const plain = !c.headers.some((h) => h.startsWith('range:'));
    assert.equal(sides.memory.fastAnswers - fast.memory, plain ? 1 : 0, `${c.name}: answered by the zip fast path`);
    assert.equal(sides.file.fastAnswers, fast.file, `${c.name}: a zip streamed from the file is fastify's`);
    assert.deepEqual(flowSince(sides.memory, lines.memory), flowSince(sides.file, lines.file), `${c.name}: flow lines`);
  }
  // Keep-alive, several answers on one connection (the body of each in one piece with its headers).
  const chunks = [request('GET', ZIP), request('GET', ZIP, ['range: bytes=0-3']), request('HEAD', ZIP, ['connection: close'])];
  assert.equal(await exchange(sides.memory.port, chunks), await exchange(sides.file.port, chunks));
  assert.equal(fromMemory.reads.open, reads.open, 'the memory side never opened the file');
  assert.equal(fromMemory.reads.get, reads.get, 'the memory side did not read the stored zip again');
  assert.ok(fromFile.reads.open >= 12, `the file side streamed it (${fromFile.reads.open} opens)`);
});

test('in process (inject): the same status, headers (Date aside) and body from memory as from the file', async () => {
  const opens = fromMemory.reads.open;
  for (const c of cases()) {
    const headers = Object.fromEntries(c.headers.map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 2)]));
    const [want, got] = await Promise.all([sides.file.app.inject({ method: c.method, url: ZIP, headers }), sides.memory.app.inject({ method: c.method, url: ZIP, headers })]);
    assert.equal(want.statusCode, c.status, c.name);
    assert.equal(got.statusCode, want.statusCode, c.name);
    const undated = (h: Record<string, unknown>) => ({ ...h, date: '-' });
    assert.deepEqual(undated(got.headers), undated(want.headers), c.name);
    assert.deepEqual(got.rawPayload, want.rawPayload, c.name);
  }
  assert.equal(fromMemory.reads.open, opens);
});

test('client tokens and deny rules apply to zips answered from memory as to the file', async () => {
  const denied = '/example.com/denied/@v/v1.0.0.zip';
  const fast = sides.memoryAuth.fastAnswers;
  for (const [url, headers, status] of [[ZIP, [], 401], [ZIP, ['authorization: Bearer wrong'], 403], [ZIP, [AUTH], 200], [ZIP, [AUTH], 200], [denied, [AUTH], 403], [ZIP, [], 401]] as const) {
    const want = await raw(sides.fileAuth.port, 'GET', url, headers);
    assert.match(want, new RegExp(`^HTTP/1\\.1 ${status} `), `${url} ${headers.join()}`);
    assert.equal(await raw(sides.memoryAuth.port, 'GET', url, headers), want, `${url} ${headers.join()}`);
  }
  // (The first GET with the token may have read the zip into memory, when no other test did.)
  const d = sides.memoryAuth.fastAnswers - fast;
  assert.ok(d >= 1 && d <= 2, `the GETs with the token took the zip fast path once the zip was held, no refusal did (${d})`);
});

test('a zip above the per-zip maximum is never read into memory: streamed every time', async () => {
  const before = { ...tooBig.reads };
  for (let i = 0; i < 3; i++) assert.equal(await raw(sides.big.port, 'GET', ZIP, []), await raw(sides.file.port, 'GET', ZIP, []));
  assert.equal(tooBig.reads.get, before.get, 'no whole read');
  assert.equal(tooBig.reads.open - before.open, 3);
});

test('forgetting the module (purge, GC) drops the copy: the next answer reads the store again', async () => {
  await raw(sides.memory.port, 'GET', ZIP, []);
  const gets = fromMemory.reads.get;
  await raw(sides.memory.port, 'GET', ZIP, []);
  assert.equal(fromMemory.reads.get, gets, 'held: no read');
  await fromMemory.cache.forget('example.com/hello');
  assert.equal(await raw(sides.memory.port, 'GET', ZIP, []), await raw(sides.file.port, 'GET', ZIP, []));
  assert.equal(fromMemory.reads.get, gets + 1, 'read again after forget');
  await fromMemory.cache.forget('');
  await raw(sides.memory.port, 'GET', ZIP, ['range: bytes=0-1']);
  assert.equal(fromMemory.reads.get, gets + 2, 'read again after forgetting everything');
});

test('a stored zip removed behind the cache\'s back is not answered from its copy: it is looked up again', async () => {
  await fromMemory.cache.forget('');
  const held = await raw(sides.memory.port, 'GET', ZIP, []);
  assert.match(held, /^HTTP\/1\.1 200 /);
  const gets = fromMemory.reads.get;
  assert.match(await raw(sides.memory.port, 'GET', ZIP, []), /\r\nx-modgate-cache: hit\r\n/);
  assert.equal(fromMemory.reads.get, gets, 'answered from the copy');
  await rm(join(cacheDir, 'example.com/hello/@v/v1.0.0.zip'));
  const again = await raw(sides.memory.port, 'GET', ZIP, []);
  assert.match(again, /^HTTP\/1\.1 200 /);
  assert.match(again, /\r\nx-modgate-cache: miss\r\n/, 'fetched again from the upstream, not the copy');
  assert.equal(again.slice(again.indexOf('\r\n\r\n')), held.slice(held.indexOf('\r\n\r\n')), 'the same bytes (the upstream still has them)');
});

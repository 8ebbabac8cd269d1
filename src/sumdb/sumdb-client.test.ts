// Tests for the verifier client against an in-memory checksum database built with tlog + notes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isModgateError } from '../errors/modgate-error.js';
import { createSumdbClient, type SumdbForkInfo, type SumdbTransport } from './sumdb-client.js';
import { TestSumdb, memoryStore } from './sumdb-test-db.js';
import { tilePath } from './tlog-tile.js';
import { recordHash } from './tlog.js';

const code = (c: string) => (e: unknown): boolean => isModgateError(e) && e.code === c;
const offline: SumdbTransport = { get: (p) => Promise.reject(new Error(`unexpected network request ${p}`)) };

function clientFor(db: TestSumdb, store = memoryStore(), forks: SumdbForkInfo[] = [], transport = db.transport) {
  return createSumdbClient({ name: db.name, vkey: db.vkey, transport, store, onFork: (f) => forks.push(f) });
}

function expectedHashes(db: TestSumdb, path: string, version: string): { zipHash: string; modHash: string } {
  const id = db.records.findIndex((r) => r.toString().startsWith(`${path} ${version} `));
  const [zip, mod] = db.records[id]!.toString().split('\n');
  return { zipHash: zip!.split(' ')[2]!, modHash: mod!.split(' ')[2]! };
}

void test('lookup verifies records and caches them; cached lookups need no network', async () => {
  const db = TestSumdb.create();
  await db.addMany(300);
  await db.add('github.com/Azure/go-x', 'v1.2.3-RC1');
  const store = memoryStore();
  const c = clientFor(db, store);
  assert.deepEqual(await c.lookup('github.com/Azure/go-x', 'v1.2.3-RC1'), expectedHashes(db, 'github.com/Azure/go-x', 'v1.2.3-RC1'));
  assert.ok(db.requests.includes('lookup/github.com/!azure/go-x@v1.2.3-!r!c1'));
  assert.deepEqual(await c.lookup('example.com/m7', 'v1.0.0/go.mod'), expectedHashes(db, 'example.com/m7', 'v1.0.0'));
  assert.ok(store.data.has('lookup/example.com/m7@v1.0.0'));
  assert.ok(store.data.has('tile/8/0/000'));
  assert.ok(store.data.has('tile/8/0/001.p/45'));
  assert.deepEqual(store.latest, await db.signedTree());
  assert.equal(await c.latest(), (await db.signedTree()).toString());

  const again = clientFor(db, store, [], offline);
  assert.deepEqual(await again.lookup('example.com/m7', 'v1.0.0'), expectedHashes(db, 'example.com/m7', 'v1.0.0'));
  assert.equal((await again.rawLookup('example.com/m7', 'v1.0.0')).toString(), store.data.get('lookup/example.com/m7@v1.0.0')!.toString());
});

void test('concurrent lookups share tile fetches', async () => {
  const db = TestSumdb.create();
  await db.addMany(600);
  const c = clientFor(db);
  await Promise.all(Array.from({ length: 20 }, (_, i) => c.lookup(`example.com/m${i * 29}`, 'v1.0.0')));
  const tiles = db.requests.filter((p) => p.startsWith('tile/'));
  assert.deepEqual(tiles, [...new Set(tiles)], 'each tile fetched once');
});

void test('a growing database is accepted and the stored latest advances', async () => {
  const db = TestSumdb.create();
  await db.addMany(70);
  const store = memoryStore();
  const c = clientFor(db, store);
  await c.lookup('example.com/m3', 'v1.0.0');
  await db.addMany(300, 'example.org/n');
  await c.lookup('example.org/n250', 'v1.0.0');
  assert.deepEqual(store.latest, await db.signedTree());
  // an older (consistent) tree is fine and does not regress the stored latest
  const old = db.sibling();
  for (const r of db.records.slice(0, 70)) old.records.push(r);
  Object.assign(old, { stored: db.stored, ids: db.ids, served: 70 });
  const c2 = clientFor(old, store);
  await c2.lookup('example.com/m5', 'v1.0.0').catch(() => undefined);
  assert.deepEqual(store.latest, await db.signedTree());
  assert.equal(c2.forked, false);
});

void test('unknown module is NOT_FOUND', async () => {
  const db = TestSumdb.create();
  await db.addMany(3);
  await assert.rejects(clientFor(db).lookup('example.com/nope', 'v1.0.0'), code('NOT_FOUND'));
});

void test('tampered record, tile or signature is refused', async () => {
  const db = TestSumdb.create();
  await db.addMany(300);
  db.tamper = (p, d) => (p.startsWith('lookup/') ? Buffer.from(d.toString().replace('h1:', 'h1:A')) : d);
  await assert.rejects(clientFor(db).lookup('example.com/m1', 'v1.0.0'), /cannot authenticate record data/);
  db.tamper = (p, d) => {
    if (p === 'tile/8/0/000') d[5]! ^= 1;
    return d;
  };
  const store = memoryStore();
  await assert.rejects(clientFor(db, store).lookup('example.com/m1', 'v1.0.0'), /downloaded inconsistent tile/);
  assert.equal(store.data.size, 0, 'no tile or lookup cached');
  db.tamper = (p, d) => (p.startsWith('lookup/') ? Buffer.from(d.toString().replace(/ (\S)(\S+)\n$/, (_m, a: string, b: string) => ` ${a === 'A' ? 'B' : 'A'}${b}\n`)) : d);
  await assert.rejects(clientFor(db).lookup('example.com/m1', 'v1.0.0'), code('SUMDB_ERROR'));
  db.tamper = undefined;
  const other = TestSumdb.create();
  await other.addMany(300);
  await assert.rejects(clientFor(db, memoryStore(), [], other.transport).lookup('example.com/m1', 'v1.0.0'), /reading tree note/);
});

for (const kind of ['same size, different root', 'bigger tree not extending the old']) {
  void test(`fork: ${kind}`, async () => {
    const db = TestSumdb.create();
    await db.addMany(300);
    const store = memoryStore();
    const forks: SumdbForkInfo[] = [];
    const c = clientFor(db, store, forks);
    await c.lookup('example.com/m1', 'v1.0.0');
    const before = store.latest;

    const evil = db.sibling();
    await evil.addMany(300, 'example.com/m', 'evil');
    if (kind.startsWith('bigger')) await evil.addMany(20, 'example.net/x');
    const c2 = clientFor(evil, store, forks);
    await assert.rejects(c2.lookup('example.com/m2', 'v1.0.0'), code('SUMDB_FORK'));
    assert.equal(c2.forked, true);
    assert.equal(forks.length, 1);
    assert.match(forks[0]!.message, /SECURITY ERROR/);
    assert.deepEqual(store.latest, before, 'stored latest unchanged');
    await assert.rejects(c2.lookup('example.com/m1', 'v1.0.0'), code('SUMDB_FORK'));
    await assert.rejects(c2.tile('tile/8/0/000'), code('SUMDB_FORK'));

    // the same client that saw the old tree also refuses the evil one
    const c3 = clientFor(db, store, forks, evil.transport);
    await assert.rejects(c3.lookup('example.com/m3', 'v1.0.0'), code('SUMDB_FORK'));
  });
}

void test('tile() serves only authenticated tiles', async () => {
  const db = TestSumdb.create();
  await db.addMany(600);
  db.served = 300;
  const c = clientFor(db);
  await c.lookup('example.com/m1', 'v1.0.0');
  const t = await c.tile('tile/8/0/001.p/20');
  assert.equal(t.length, 20 * 32);
  assert.deepEqual(t.subarray(0, 32), recordHash(db.records[256]!));
  const data = await c.tile(tilePath({ h: 8, l: -1, n: 0, w: 256 }));
  assert.ok(data.toString().startsWith('0\nexample.com/m0 v1.0.0 '));
  // beyond the known tree: the client refreshes latest, then serves it
  db.served = 600;
  assert.equal((await c.tile('tile/8/0/002.p/10')).length, 320);
  await assert.rejects(c.tile('tile/8/0/003'), code('NOT_FOUND'));
  await assert.rejects(c.tile('tile/8/0/1'), code('SUMDB_ERROR'));
  db.tamper = (p, d) => {
    if (p.startsWith('tile/8/data/')) d[d.length - 3]! ^= 1;
    return d;
  };
  await assert.rejects(c.tile('tile/8/data/001.p/5'), code('SUMDB_ERROR'));
  db.tamper = (p, d) => {
    if (p === 'tile/8/0/002.p/88') d[0]! ^= 1;
    return d;
  };
  await assert.rejects(clientFor(db).tile('tile/8/0/002.p/40'), /inconsistent tile/);
});

void test('a verified lookup or tile is answered again from memory (no store, no network); after a fork neither is', async () => {
  const db = TestSumdb.create();
  await db.addMany(300);
  const store = memoryStore();
  let reads = 0;
  const counting = { ...store, get: (k: string) => (reads++, store.get(k)) };
  let transport = db.transport;
  const forks: SumdbForkInfo[] = [];
  const c = createSumdbClient({ name: db.name, vkey: db.vkey, transport: { get: (p) => transport.get(p) }, store: counting, onFork: (f) => forks.push(f) });
  const first = await c.rawLookup('example.com/m1', 'v1.0.0');
  const tile = await c.tile('tile/8/0/001.p/44');
  const [readsBefore, requestsBefore] = [reads, db.requests.length];
  assert.ok(readsBefore > 0);
  for (let i = 0; i < 3; i++) {
    assert.ok((await c.rawLookup('example.com/m1', 'v1.0.0/go.mod')).equals(first));
    assert.ok((await c.tile('tile/8/0/001.p/44')).equals(tile));
  }
  assert.deepEqual([reads, db.requests.length], [readsBefore, requestsBefore], 'answered again without reading the store or the database');
  // The database forks: the next lookup that shows the other tree refuses everything, remembered answers too.
  const evil = db.sibling();
  await evil.addMany(300, 'example.com/m', 'evil');
  transport = evil.transport;
  await assert.rejects(c.rawLookup('example.com/m2', 'v1.0.0'), code('SUMDB_FORK'));
  await assert.rejects(c.rawLookup('example.com/m1', 'v1.0.0'), code('SUMDB_FORK'));
  await assert.rejects(c.tile('tile/8/0/001.p/44'), code('SUMDB_FORK'));
  assert.equal(forks.length, 1);
});

void test('name must match the key', () => {
  const db = TestSumdb.create();
  assert.throws(() => createSumdbClient({ name: 'other', vkey: db.vkey, transport: db.transport, store: memoryStore() }), code('SUMDB_ERROR'));
});

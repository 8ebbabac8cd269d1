// Tests for tlog hashing, indexing, proofs, tiles and note formats against a naive RFC 6962 tree
// built in the test, plus vectors from Go's golang.org/x/mod/sumdb/tlog (x/mod 0.7.0) produced by a
// throwaway program (/tmp/tl.go: StoredHashes over records "record <i>\n", TreeHash, ProveRecord).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isModgateError } from '../errors/modgate-error.js';
import {
  type Hash, type HashReader, checkRecord, checkTree, proveRecord, proveTree, recordHash, nodeHash, splitStoredHashIndex,
  storedHashCount, storedHashIndex, storedHashesForRecordHash, treeHash, emptyTreeHash,
} from './tlog.js';
import { type Tile, type TileReader, hashFromTile, newTiles, parseTilePath, readTileData, tileForIndex, tileHashReader, tilePath } from './tlog-tile.js';
import { formatRecord, formatTree, parseRecord, parseTree } from './tlog-note.js';

const sumdbError = (e: unknown): boolean => isModgateError(e, 'SUMDB_ERROR');

/** RFC 6962 MTH over leaf hashes, computed directly. */
function naiveRoot(leaves: readonly Hash[], lo = 0, hi = leaves.length): Hash {
  if (hi - lo === 1) return leaves[lo]!;
  let k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return nodeHash(naiveRoot(leaves, lo, lo + k), naiveRoot(leaves, lo + k, hi));
}

interface Built { stored: Hash[]; leaves: Hash[]; read: HashReader }

async function buildTree(n: number): Promise<Built> {
  const stored: Hash[] = [];
  const leaves: Hash[] = [];
  const read: HashReader = (ix) => Promise.resolve(ix.map((i) => stored[i]!));
  for (let i = 0; i < n; i++) {
    const leaf = recordHash(Buffer.from(`record ${i}\n`));
    leaves.push(leaf);
    stored.push(...(await storedHashesForRecordHash(i, leaf, read)));
  }
  return { stored, leaves, read };
}

function memTiles(b: Built, tamper?: (t: Tile, d: Buffer) => void): TileReader & { fetched: string[] } {
  const fetched: string[] = [];
  return {
    height: 8,
    fetched,
    readTiles: (tiles) => Promise.all(tiles.map(async (t) => {
      fetched.push(tilePath(t));
      const d = await readTileData(t, b.read);
      tamper?.(t, d);
      return d;
    })),
    saveTiles: () => Promise.resolve(),
  };
}

const SIZES = [1, 2, 3, 7, 8, 255, 256, 257, 511, 1000, 65535, 65536, 65537, 70001];
const built = new Map<number, Built>();
const big = buildTree(70001);

async function tree(n: number): Promise<Built> {
  const all = await big;
  let b = built.get(n);
  if (!b) {
    b = { stored: all.stored.slice(0, storedHashCount(n)), leaves: all.leaves.slice(0, n), read: all.read };
    const stored = b.stored;
    b.read = (ix) => Promise.resolve(ix.map((i) => {
      if (i >= stored.length) throw new Error(`index ${i} beyond tree`);
      return stored[i]!;
    }));
    built.set(n, b);
  }
  return b;
}

void test('Go vectors: tree of 257 records', async () => {
  const b = await tree(257);
  const root = await treeHash(257, b.read);
  assert.equal(root.toString('base64'), 'QdJ5V+Qnf4iWgvEVR9xxpPDgVMkVzgEbYXI1DVJk2Kg=');
  assert.equal(formatTree({ n: 257, hash: root }), 'go.sum database tree\n257\nQdJ5V+Qnf4iWgvEVR9xxpPDgVMkVzgEbYXI1DVJk2Kg=\n');
  const p = await proveRecord(257, 100, b.read);
  assert.equal(p.length, 9);
  assert.equal(p[0]!.toString('base64'), 'aNBhMKAAx8zoYyZNVFncggFP9oVk1p6GlJfUa2XtuOU=');
});

void test('stored hash index round-trips and counts', () => {
  for (let level = 0; level < 20; level++) {
    for (const n of [0, 1, 2, 3, 100, 12345]) {
      assert.deepEqual(splitStoredHashIndex(storedHashIndex(level, n)), { level, n });
    }
  }
  assert.equal(storedHashCount(0), 0);
  assert.equal(storedHashCount(1), 1);
  assert.equal(storedHashCount(2), 3);
  assert.equal(storedHashCount(4), 7);
  assert.equal(emptyTreeHash().toString('hex'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

void test('tree hash, record proofs and tree proofs agree with a naive tree', async () => {
  for (const n of SIZES) {
    const b = await tree(n);
    const root = await treeHash(n, b.read);
    assert.deepEqual(root, naiveRoot(b.leaves), `root of ${n}`);
    for (const i of new Set([0, 1, n >> 1, n - 2, n - 1].filter((x) => x >= 0 && x < n))) {
      const p = await proveRecord(n, i, b.read);
      checkRecord(p, n, root, i, b.leaves[i]!);
      const other = b.leaves[(i + 1) % n]!;
      if (n > 1) assert.throws(() => checkRecord(p, n, root, i, other), sumdbError);
    }
    for (const m of new Set([1, n >> 1, n - 1, n].filter((x) => x >= 1))) {
      const old = naiveRoot(b.leaves.slice(0, m));
      const p = await proveTree(n, m, b.read);
      checkTree(p, n, root, m, old);
      assert.throws(() => checkTree(p, n, root, m, recordHash(Buffer.from('x'))), sumdbError);
    }
  }
});

void test('tile paths', () => {
  assert.equal(tilePath({ h: 3, l: 4, n: 1234067, w: 1 }), 'tile/3/4/x001/x234/067.p/1');
  assert.equal(tilePath({ h: 3, l: 4, n: 1234067, w: 8 }), 'tile/3/4/x001/x234/067');
  assert.equal(tilePath({ h: 8, l: -1, n: 5, w: 256 }), 'tile/8/data/005');
  for (const p of ['tile/8/0/001.p/5', 'tile/8/1/x001/000', 'tile/8/data/x002/017.p/255', 'tile/8/0/000']) {
    assert.equal(tilePath(parseTilePath(p)), p);
  }
  for (const p of ['tile/8/0/1', 'tile/8/0/001.p/256', 'tile/8/0/001.p/0', 'tile/8/0/x001', 'tile/8/0/001/002',
    'tile/31/0/000', 'tile/8/-1/000', 'tile/8/0/0001', 'tiles/8/0/000', 'tile/8/0/000.p/05']) {
    assert.throws(() => parseTilePath(p), sumdbError, p);
  }
  assert.deepEqual(tileForIndex(8, storedHashIndex(0, 256 + 4)), { h: 8, l: 0, n: 1, w: 5 });
  assert.deepEqual(tileForIndex(8, storedHashIndex(8, 3)), { h: 8, l: 1, n: 0, w: 4 });
  assert.deepEqual(newTiles(8, 250, 258).map(tilePath), ['tile/8/0/000', 'tile/8/0/001.p/1', 'tile/8/0/001.p/2', 'tile/8/1/000.p/1']);
});

void test('tile hash reader authenticates tiles and serves hashes for many tree sizes', async () => {
  for (const n of SIZES) {
    const b = await tree(n);
    const root = naiveRoot(b.leaves);
    const r = tileHashReader({ n, hash: root }, memTiles(b));
    assert.deepEqual(await treeHash(n, r), root);
    const ids = [0, n - 1, n >> 1];
    const got = await r(ids.map((i) => storedHashIndex(0, i)));
    assert.deepEqual(got, ids.map((i) => b.leaves[i]!));
    if (n > 8) {
      const m = n - 5;
      assert.deepEqual(await treeHash(m, r), naiveRoot(b.leaves.slice(0, m)), `older tree ${m} from tiles of ${n}`);
    }
  }
});

void test('tile hash reader rejects tampered tiles', async () => {
  for (const n of [3, 257, 65537]) {
    const b = await tree(n);
    const root = naiveRoot(b.leaves);
    for (const level of [0, 1, 2]) {
      const r = tileHashReader({ n, hash: root }, memTiles(b, (t, d) => {
        if (t.l === level && d.length > 0) d[0]! ^= 1;
      }));
      if (n < 256 ** level) continue;
      await assert.rejects(r([storedHashIndex(0, 1)]), /downloaded inconsistent tile/);
    }
    await assert.rejects(tileHashReader({ n, hash: recordHash(Buffer.from('x')) }, memTiles(b))([storedHashIndex(0, 0)]), sumdbError);
    await assert.rejects(tileHashReader({ n, hash: root }, memTiles(b))([storedHashIndex(0, n)]), /not in tree/);
  }
});

void test('every non-root tile is authenticated (Go x/mod 0.7.0 skips some: tree of 300, index 1)', async () => {
  const b = await tree(300);
  const r = tileHashReader({ n: 300, hash: naiveRoot(b.leaves) }, memTiles(b, (t, d) => {
    if (t.l === 0 && t.n === 0) d[37]! ^= 1;
  }));
  await assert.rejects(r([storedHashIndex(0, 1)]), /downloaded inconsistent tile/);
});

void test('hashFromTile rejects the wrong tile', () => {
  const data = Buffer.alloc(32 * 5);
  assert.throws(() => hashFromTile({ h: 8, l: 0, n: 1, w: 5 }, data, storedHashIndex(0, 3)), sumdbError);
});

void test('tree notes and records', () => {
  const hash = recordHash(Buffer.from('a'));
  assert.deepEqual(parseTree(formatTree({ n: 42, hash })), { n: 42, hash });
  assert.deepEqual(parseTree(`go.sum database tree\n0\n${hash.toString('base64')}\nextra\n`), { n: 0, hash });
  for (const bad of ['go.sum database tree\n042\nAAAA\n', 'go.sum database tree\n1\nAAAA\n', 'go.sum database tree\n-1\n' + hash.toString('base64') + '\n',
    'go.sum database tree\n1\n' + hash.toString('base64'), 'go.sum database trie\n1\n' + hash.toString('base64') + '\n']) {
    assert.throws(() => parseTree(bad), sumdbError, bad);
  }
  const text = Buffer.from('m v1.0.0 h1:x=\nm v1.0.0/go.mod h1:y=\n');
  const msg = Buffer.concat([formatRecord(7, text), Buffer.from('note\n')]);
  const rec = parseRecord(msg);
  assert.equal(rec.id, 7);
  assert.deepEqual(rec.text, text);
  assert.equal(rec.rest.toString(), 'note\n');
  assert.throws(() => formatRecord(1, Buffer.from('a\n\nb\n')), sumdbError);
  assert.throws(() => formatRecord(1, Buffer.from('a\tb\n')), sumdbError);
  assert.throws(() => parseRecord(Buffer.from('x\nabc\n\n')), sumdbError);
  assert.throws(() => parseRecord(Buffer.from('1\nabc\n')), sumdbError);
});

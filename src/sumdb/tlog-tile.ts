// Tiles of a transparency log (golang.org/x/mod/sumdb/tlog/tile.go): coordinates and paths
// (`tile/H/L/NNN[.p/W]`, `tile/H/data/NNN`), hashes from tile data, and a HashReader that
// fetches tiles and authenticates them against a signed tree before returning any hash.

import { ModgateError } from '../errors/modgate-error.js';
import {
  HASH_SIZE, type Hash, type HashReader, type Tree, nodeHash, shr, splitStoredHashIndex, storedHashIndex, subTreeIndex,
} from './tlog.js';

/** W consecutive hashes at level h·l starting at index n·2^h (l = -1: record data tile). */
export interface Tile {
  readonly h: number;
  readonly l: number;
  readonly n: number;
  readonly w: number;
}

/** Fetches tile data; `save` is called only with tiles that have been authenticated. */
export interface TileReader {
  readonly height: number;
  /** The data of each tile, `tiles[i].w * 32` bytes each. Data is untrusted until `save` is called. */
  readTiles(tiles: readonly Tile[]): Promise<Buffer[]>;
  saveTiles(tiles: readonly Tile[], data: readonly Buffer[]): Promise<void>;
}

const pow2 = (k: number): number => 2 ** k;
const fail = (message: string): never => {
  throw new ModgateError('SUMDB_ERROR', message);
};

/** The tile's coordinate path, e.g. `tile/8/0/x001/x234/067.p/5`. */
export function tilePath(t: Tile): string {
  let n = t.n;
  let s = String(n % 1000).padStart(3, '0');
  while (n >= 1000) {
    n = Math.floor(n / 1000);
    s = `x${String(n % 1000).padStart(3, '0')}/${s}`;
  }
  const p = t.w !== pow2(t.h) ? `.p/${t.w}` : '';
  return `tile/${t.h}/${t.l === -1 ? 'data' : String(t.l)}/${s}${p}`;
}

/** Parses a tile path, accepting exactly the paths tilePath produces; throws SUMDB_ERROR otherwise. */
export function parseTilePath(path: string): Tile {
  const bad = (): never => {
    throw new ModgateError('SUMDB_ERROR', `malformed tile path ${JSON.stringify(path)}`);
  };
  const f = path.split('/');
  if (f.length < 4 || f[0] !== 'tile') bad();
  const num = (s: string): number => (/^[0-9]{1,9}$/.test(s) ? Number(s) : NaN);
  const h = num(f[1]!);
  const isData = f[2] === 'data';
  let l = isData ? 0 : num(f[2]!);
  if (!(h >= 1 && h <= 30) || !(l >= 0)) bad();
  let w = pow2(h);
  const dotP = f[f.length - 2]!;
  if (dotP.endsWith('.p')) {
    const ww = num(f[f.length - 1]!);
    if (!(ww > 0 && ww < w)) bad();
    w = ww;
    f[f.length - 2] = dotP.slice(0, -2);
    f.pop();
  }
  let n = 0;
  for (const s of f.slice(3)) {
    const nn = num(s.startsWith('x') ? s.slice(1) : s);
    if (!(nn >= 0 && nn < 1000)) bad();
    n = n * 1000 + nn;
  }
  if (!Number.isSafeInteger(n)) bad();
  if (isData) l = -1;
  const t = { h, l, n, w };
  if (tilePath(t) !== path) bad();
  return t;
}

/** The tile of height h and least width holding stored hash `index`, and the byte range to hash in it. */
function tileForIndexRange(h: number, index: number): { tile: Tile; start: number; end: number } {
  const split = splitStoredHashIndex(index);
  let level = split.level;
  let n = split.n;
  const l = Math.floor(level / h);
  level -= l * h;
  const tn = shr(n * pow2(level), h);
  n -= shr(tn * pow2(h), level);
  const tile = { h, l, n: tn, w: (n + 1) * pow2(level) };
  return { tile, start: n * pow2(level) * HASH_SIZE, end: (n + 1) * pow2(level) * HASH_SIZE };
}

/** The tile of height h and least width holding stored hash `index`. */
export function tileForIndex(h: number, index: number): Tile {
  if (h <= 0) throw new Error(`tileForIndex: invalid height ${h}`);
  return tileForIndexRange(h, index).tile;
}

/** The subtree hash of 2^k consecutive hashes. */
export function tileHash(data: Buffer): Hash {
  if (data.length === 0) throw new Error('bad math in tileHash');
  if (data.length === HASH_SIZE) return Buffer.from(data);
  const half = data.length / 2;
  return nodeHash(tileHash(data.subarray(0, half)), tileHash(data.subarray(half)));
}

/** The hash at stored index `index`, computed from the data of t (tileForIndex(t.h, index) or a wider tile). */
export function hashFromTile(t: Tile, data: Buffer, index: number): Hash {
  if (t.h < 1 || t.h > 30 || t.l < 0 || t.l >= 64 || t.w < 1 || t.w > pow2(t.h)) fail(`invalid tile ${tilePath(t)}`);
  if (data.length < t.w * HASH_SIZE) fail(`data len ${data.length} too short for tile ${tilePath(t)}`);
  const { tile: t1, start, end } = tileForIndexRange(t.h, index);
  if (t.l !== t1.l || t.n !== t1.n || t.w < t1.w) fail(`index ${index} is in ${tilePath(t1)} not ${tilePath(t)}`);
  return tileHash(data.subarray(start, end));
}

/** t's k-th parent among the tiles of a tree of size n, or undefined if there is none. */
export function tileParent(t: Tile, k: number, n: number): Tile | undefined {
  const l = t.l + k;
  const tn = shr(t.n, k * t.h);
  let w = pow2(t.h);
  const max = shr(n, l * t.h);
  const start = tn * pow2(t.h);
  if (start + w >= max) {
    if (start >= max) return undefined;
    w = max - start;
  }
  return { h: t.h, l, n: tn, w };
}

/** The (hash-)tiles a server must publish when growing the tree from oldSize to newSize records. */
export function newTiles(h: number, oldSize: number, newSize: number): Tile[] {
  const tiles: Tile[] = [];
  for (let level = 0; shr(newSize, h * level) > 0; level++) {
    const oldN = shr(oldSize, h * level);
    const newN = shr(newSize, h * level);
    for (let n = shr(oldN, h); n < shr(newN, h); n++) tiles.push({ h, l: level, n, w: pow2(h) });
    const n = shr(newN, h);
    const maxW = newN - n * pow2(h);
    const minW = oldN > n * pow2(h) ? oldN - n * pow2(h) : 1;
    for (let w = minW; w <= maxW; w++) tiles.push({ h, l: level, n, w });
  }
  return tiles;
}

/** Reads the hashes making up tile t (t.w of them) from a hash store. */
export async function readTileData(t: Tile, read: HashReader): Promise<Buffer> {
  const start = t.n * pow2(t.h);
  const indexes = Array.from({ length: t.w }, (_, i) => storedHashIndex(t.h * t.l, start + i));
  return Buffer.concat(await read(indexes));
}

const tileKey = (t: Tile): string => `${t.l}/${t.n}/${t.w}`;

/**
 * A HashReader over `tree` that fetches the needed tiles and authenticates them (the tiles covering the
 * tree hash against tree.hash, every other full tile against its parent) before trusting any hash.
 * Throws SUMDB_ERROR "downloaded inconsistent tile" when the tiles do not support the tree.
 */
export function tileHashReader(tree: Tree, tr: TileReader): HashReader {
  return async (indexes) => {
    if (tree.n === 0) {
      if (indexes.length > 0) fail('indexes not in tree');
      return [];
    }
    const h = tr.height;
    const order = new Map<string, number>();
    const tiles: Tile[] = [];
    const add = (t: Tile): number => {
      order.set(tileKey(t), tiles.length);
      tiles.push(t);
      return tiles.length - 1;
    };
    const stx = subTreeIndex(0, tree.n);
    const stxOrder = stx.map((x) => {
      const t = tileParent(tileForIndex(h, x), 0, tree.n)!;
      return order.get(tileKey(t)) ?? add(t);
    });
    // Tiles past this point are authenticated against their parents. (Go's x/mod 0.7.0 starts that
    // loop at len(stx), the number of subtree hashes, and so can skip tiles; we check every one.)
    const rootTiles = tiles.length;
    const indexOrder = indexes.map((x) => {
      if (x >= storedHashIndex(0, tree.n)) fail('indexes not in tree');
      const tile = tileForIndex(h, x);
      let k = 0;
      let found = -1;
      for (; ; k++) {
        const p = tileParent(tile, k, tree.n);
        if (!p) fail(`bad math in tileHashReader: no parent for index ${x}`);
        const j = order.get(tileKey(p!));
        if (j !== undefined) {
          found = j;
          break;
        }
      }
      let mine = k === 0 ? found : -1;
      for (k--; k >= 0; k--) {
        const p = tileParent(tile, k, tree.n)!;
        if (p.w !== pow2(p.h)) fail(`bad math in tileHashReader: ${tree.n} ${x} ${tilePath(p)}`);
        const j = add(p);
        if (k === 0) mine = j;
      }
      return mine;
    });

    const data = await tr.readTiles(tiles);
    if (data.length !== tiles.length) fail(`tile reader returned ${data.length} tiles, want ${tiles.length}`);
    tiles.forEach((t, i) => {
      if (data[i]!.length !== t.w * HASH_SIZE) {
        fail(`tile reader returned bad data for ${tilePath(t)} (len=${data[i]!.length}, want ${t.w * HASH_SIZE})`);
      }
    });

    const last = stx.length - 1;
    let th = hashFromTile(tiles[stxOrder[last]!]!, data[stxOrder[last]!]!, stx[last]!);
    for (let i = last - 1; i >= 0; i--) {
      th = nodeHash(hashFromTile(tiles[stxOrder[i]!]!, data[stxOrder[i]!]!, stx[i]!), th);
    }
    if (!th.equals(tree.hash)) fail('downloaded inconsistent tile');

    for (let i = rootTiles; i < tiles.length; i++) {
      const t = tiles[i]!;
      const p = tileParent(t, 1, tree.n);
      const j = p ? order.get(tileKey(p)) : undefined;
      if (!p || j === undefined) fail(`bad math in tileHashReader: lost parent of ${tilePath(t)}`);
      const ph = hashFromTile(p!, data[j!]!, storedHashIndex(p!.l * p!.h, t.n));
      if (!ph.equals(tileHash(data[i]!))) fail('downloaded inconsistent tile');
    }

    await tr.saveTiles(tiles, data);
    return indexes.map((x, i) => hashFromTile(tiles[indexOrder[i]!]!, data[indexOrder[i]!]!, x));
  };
}

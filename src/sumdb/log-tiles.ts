// Reading modgate's own log from its LogStore: stored hashes of a tree of n records read from the
// stored tiles (the writer stores every full tile and, per batch, the partial tiles at the new size),
// tiles served at any width the tree covers (a narrower tile is a prefix of a wider one), and the
// records of data tiles.

import { ModgateError } from '../errors/modgate-error.js';
import { HASH_SIZE, type Hash, type HashReader } from './tlog.js';
import { type Tile, hashFromTile, parseTilePath, tileForIndex, tileParent, tilePath } from './tlog-tile.js';
import { formatRecord, parseRecord } from './tlog-note.js';
import type { LogStore } from './log-store.js';

/** Tile height of modgate's log (the go command's and sum.golang.org's). */
export const LOG_TILE_HEIGHT = 8;

const broken = (message: string): never => {
  throw new ModgateError('SUMDB_ERROR', `own checksum database storage: ${message}`);
};

/** Reads stored tile data, remembering each tile read (a reader lives for one request or batch). */
export class TileCache {
  private readonly tiles = new Map<string, Promise<Buffer | undefined>>();
  constructor(private readonly store: LogStore) {}

  get(t: Tile): Promise<Buffer | undefined> {
    const path = tilePath(t);
    let p = this.tiles.get(path);
    if (!p) {
      p = this.store.get(path);
      this.tiles.set(path, p);
    }
    return p;
  }

  /** Remembers tile data just written (so a batch reads its own writes without storage). */
  set(t: Tile, data: Buffer): void {
    this.tiles.set(tilePath(t), Promise.resolve(data));
  }
}

/** The tile at t's coordinates as it stands in the tree of n records (full, or partial at that size). */
export function tileAtSize(t: Tile, n: number): Tile | undefined {
  // A data tile (l = -1) spans the same records as the level-0 hash tile.
  const at = tileParent({ ...t, l: Math.max(t.l, 0) }, 0, n);
  return at && { ...at, l: t.l };
}

/**
 * A HashReader over the tree of n records, reading hashes from the stored tiles; `pending`
 * (stored-hash index → hash) supplies hashes not stored yet (a batch being appended).
 */
export function storedHashReader(tiles: TileCache, n: number, pending?: ReadonlyMap<number, Hash>): HashReader {
  return (indexes) =>
    Promise.all(indexes.map(async (x) => {
      const p = pending?.get(x);
      if (p) return p;
      const t = tileAtSize(tileForIndex(LOG_TILE_HEIGHT, x), n);
      if (!t) return broken(`stored hash ${x} is not in the tree of ${n} records`);
      const data = await tiles.get(t);
      if (!data || data.length < t.w * HASH_SIZE) return broken(`tile ${tilePath(t)} is missing or short`);
      return hashFromTile(t, data, x);
    }));
}

/** The records (id, text) of a data tile's bytes. */
export function splitDataTile(data: Buffer): Array<{ id: number; text: Buffer }> {
  const out: Array<{ id: number; text: Buffer }> = [];
  let rest = data;
  while (rest.length > 0) {
    const { id, text, rest: after } = parseRecord(rest);
    out.push({ id, text });
    rest = after;
  }
  return out;
}

/** The bytes of a data tile holding the given records (ids from `start`). */
export function formatDataTile(start: number, texts: readonly Buffer[]): Buffer {
  return Buffer.concat(texts.map((t, i) => formatRecord(start + i, t)));
}

/**
 * The bytes of the tile at `path` (full or `.p/W`) in the tree of n records, or undefined when the
 * tree does not cover it. Throws SUMDB_ERROR for a malformed path or a tile height other than 8.
 */
export async function readServedTile(tiles: TileCache, n: number, path: string): Promise<Buffer | undefined> {
  const t = parseTilePath(path);
  if (t.h !== LOG_TILE_HEIGHT) throw new ModgateError('NOT_FOUND', `only tiles of height ${LOG_TILE_HEIGHT} are served: ${path}`);
  const stored = tileAtSize(t, n);
  if (!stored || stored.w < t.w) return undefined;
  const data = await tiles.get(stored);
  if (!data) return broken(`tile ${tilePath(stored)} is missing`);
  if (t.l !== -1) {
    if (data.length < stored.w * HASH_SIZE) return broken(`tile ${tilePath(stored)} is short`);
    return data.subarray(0, t.w * HASH_SIZE);
  }
  const records = splitDataTile(data);
  if (records.length < stored.w) return broken(`data tile ${tilePath(stored)} is short`);
  return t.w === records.length ? data : formatDataTile(t.n * 2 ** t.h, records.slice(0, t.w).map((r) => r.text));
}

// Where the verifier client gets tile data: the store (exact tile, or cut from a stored full
// tile), else the database; concurrent requests for a tile share one fetch. Data read here is
// untrusted until tlog's tile hash reader authenticates it and calls save.

import { HASH_SIZE } from './tlog.js';
import { type Tile, type TileReader, tilePath } from './tlog-tile.js';
import type { SumdbStore, SumdbTransport } from './sumdb-roles.js';

/** Tile data for the verifier client, cached in the store once authenticated. */
export class TileSource {
  private readonly inflight = new Map<string, Promise<Buffer>>();
  private readonly saved = new Set<string>();

  constructor(
    private readonly store: SumdbStore,
    private readonly transport: SumdbTransport,
    private readonly height: number,
  ) {}

  /** A TileReader reading through the store and saving authenticated tiles to it. */
  cached(): TileReader {
    return { height: this.height, readTiles: (tiles) => Promise.all(tiles.map((t) => this.read(t))), saveTiles: (t, d) => this.save(t, d) };
  }

  /** A TileReader that asks the database only and saves nothing. */
  remote(): TileReader {
    return { height: this.height, readTiles: (tiles) => Promise.all(tiles.map((t) => this.fetch(t, tilePath(t)))), saveTiles: () => Promise.resolve() };
  }

  /** Tile data from the store (exact or a truncated full tile), else the database; untrusted until saved. */
  read(t: Tile): Promise<Buffer> {
    const path = tilePath(t);
    let p = this.inflight.get(path);
    if (!p) {
      p = this.loadTile(t, path).finally(() => this.inflight.delete(path));
      this.inflight.set(path, p);
    }
    return p;
  }

  private async loadTile(t: Tile, path: string): Promise<Buffer> {
    const cached = await this.store.get(path);
    if (cached) {
      this.saved.add(path);
      return cached;
    }
    if (t.w !== 2 ** t.h) {
      const cachedFull = await this.store.get(tilePath({ ...t, w: 2 ** t.h }));
      if (cachedFull) {
        this.saved.add(path);
        return cachedFull.subarray(0, t.w * HASH_SIZE);
      }
    }
    return this.fetch(t, path);
  }

  /** Tile data from the database; a missing partial tile is cut from the full tile (Go does the same). */
  async fetch(t: Tile, path: string): Promise<Buffer> {
    const full = { ...t, w: 2 ** t.h };
    const truncate = (d: Buffer): Buffer => d.subarray(0, Math.floor(d.length / full.w) * t.w);
    try {
      return await this.transport.get(path);
    } catch (err) {
      if (t.w === full.w) throw err;
      try {
        return truncate(await this.transport.get(tilePath(full)));
      } catch {
        throw err;
      }
    }
  }

  /** Persists authenticated tiles not already in the store (full and partial, as Go's cache does). */
  async save(tiles: readonly Tile[], data: readonly Buffer[]): Promise<void> {
    const writes: Promise<void>[] = [];
    tiles.forEach((t, i) => {
      const path = tilePath(t);
      if (this.saved.has(path)) return;
      this.saved.add(path);
      writes.push(this.store.put(path, data[i]!));
    });
    if (this.saved.size > 100_000) this.saved.clear();
    await Promise.all(writes);
  }
}

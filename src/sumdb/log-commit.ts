// One batch appended to modgate's own log: new records get the next ids, their stored hashes,
// the tiles they complete or extend (every full tile and the partial tiles at the new size), their
// index entries, and finally the signed tree head — the commit point. Writes before it are
// invisible to readers (they only serve what the stored tree covers).

import { ModgateError } from '../errors/modgate-error.js';
import { signNote } from './note.js';
import { type Hash, recordHash, storedHashIndex, storedHashesForRecordHash, treeHash } from './tlog.js';
import { type Tile, newTiles, readTileData, tilePath } from './tlog-tile.js';
import { formatTree } from './tlog-note.js';
import { type LogStore, TREE_KEY, indexKey } from './log-store.js';
import { LOG_TILE_HEIGHT, TileCache, formatDataTile, splitDataTile, storedHashReader, tileAtSize } from './log-tiles.js';
import type { SignedTree } from './log-server.js';
import type { SigningKey } from './signer-key.js';

/** A record to append: its index name (escaped path@version) and its text. */
export interface NewRecord {
  readonly name: string;
  readonly text: Buffer;
}

/** Whether the writer still holds the writer role (checked before each group of writes). */
export interface WriterRole {
  stillOwner(): Promise<boolean>;
}

export interface CommitOptions {
  readonly store: LogStore;
  readonly key: SigningKey;
  /** The tree in storage this batch extends (re-checked just before the tree head is written). */
  readonly base: SignedTree;
  /** Records not in the base tree, without duplicates. */
  readonly records: readonly NewRecord[];
  readonly role: WriterRole;
}

const lostRole = (): never => {
  throw new ModgateError('SUMDB_ERROR', 'own checksum database: this replica lost the writer role during a batch; the batch is retried by the new writer');
};

/** Appends the records; resolves with the new signed tree once it is stored. */
export async function commitBatch(opts: CommitOptions): Promise<SignedTree> {
  const { store, base, records } = opts;
  const tiles = new TileCache(store);
  const pending = new Map<number, Hash>();
  const oldN = base.tree.n;
  const readOld = storedHashReader(tiles, oldN, pending);
  let n = oldN;
  for (const r of records) {
    const hashes = await storedHashesForRecordHash(n, recordHash(r.text), readOld);
    const first = storedHashIndex(0, n);
    hashes.forEach((h, i) => pending.set(first + i, h));
    n++;
  }
  const newN = n;
  // Old hashes come from the tiles of the old tree, new ones from `pending`.
  const read = readOld;
  // Only the widths a reader of the new tree looks for: full tiles and the partials at newN.
  const wanted = newTiles(LOG_TILE_HEIGHT, oldN, newN).filter((t) => t.w === tileAtSize(t, newN)?.w);
  const writes: Array<[Tile, Buffer]> = [];
  for (const t of wanted) {
    writes.push([t, await readTileData(t, read)]);
    if (t.l === 0) writes.push([{ ...t, l: -1 }, await dataTile(tiles, t, oldN, records)]);
  }
  const root = await treeHash(newN, read);
  const tree = { n: newN, hash: root };
  const note = signNote(formatTree(tree), [opts.key.signer]);

  if (!(await opts.role.stillOwner())) lostRole();
  for (const [t, data] of writes) {
    await store.put(tilePath(t), data);
  }
  await Promise.all(records.map((r, i) => store.put(indexKey(r.name), Buffer.concat([Buffer.from(`${oldN + i}\n`), r.text]))));
  if (!(await opts.role.stillOwner())) lostRole();
  const now = await store.get(TREE_KEY);
  if ((now === undefined) !== (oldN === 0) || (now !== undefined && !now.equals(base.note))) {
    throw new ModgateError('SUMDB_ERROR', 'own checksum database: the stored tree changed during a batch (two writers?); the batch was not published');
  }
  await store.put(TREE_KEY, note);
  return { tree, note };
}

async function dataTile(tiles: TileCache, t: Tile, oldN: number, records: readonly NewRecord[]): Promise<Buffer> {
  const start = t.n * 2 ** t.h;
  const texts: Buffer[] = [];
  if (start < oldN) {
    const old = tileAtSize({ ...t, l: -1 }, oldN)!;
    const data = await tiles.get(old);
    if (!data) throw new ModgateError('SUMDB_ERROR', `own checksum database storage: data tile for records ${start}… is missing`);
    texts.push(...splitDataTile(data).map((r) => r.text));
  }
  for (let id = start + texts.length; id < start + t.w; id++) texts.push(records[id - oldN]!.text);
  return formatDataTile(start, texts);
}

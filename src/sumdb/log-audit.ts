// A witness of a checksum database: fetches its latest signed tree head, checks the signature,
// that the tiles reproduce its root, and that the tree seen last time (the state) is a prefix of it
// (an RFC 6962 consistency proof built from the database's tiles and checked against both roots).
// A rewind (smaller tree) or fork (other history, same key) fails loudly with both tree heads.

import { ModgateError } from '../errors/modgate-error.js';
import { openNote, parseVerifierKey } from './note.js';
import { type Tree, checkTree, proveTree, treeHash } from './tlog.js';
import { tileHashReader, tilePath } from './tlog-tile.js';
import { parseTree } from './tlog-note.js';
import type { SumdbTransport } from './sumdb-client.js';

export interface AuditOptions {
  readonly vkey: string;
  readonly transport: SumdbTransport;
  /** The signed tree note seen last time (undefined on the first run). */
  readonly previous?: Buffer | undefined;
}

export interface AuditResult {
  /** 'first' when there was no previous tree, 'same', or 'grew'. */
  readonly status: 'first' | 'same' | 'grew';
  readonly previousSize: number | undefined;
  readonly size: number;
  readonly rootHash: string;
  /** The signed note to keep as the new state. */
  readonly note: Buffer;
}

function openTree(msg: Buffer, vkey: string, what: string): Tree {
  try {
    return parseTree(openNote(msg, [parseVerifierKey(vkey)]).text);
  } catch (err) {
    throw new ModgateError('SUMDB_ERROR', `${what} does not verify with ${vkey.split('+')[0]}: ${(err as Error).message}`);
  }
}

/** Audits the database once; throws SUMDB_FORK on a rewind or fork, SUMDB_ERROR on a bad signature or tiles. */
export async function auditLog(opts: AuditOptions): Promise<AuditResult> {
  const note = await opts.transport.get('latest');
  const tree = openTree(note, opts.vkey, 'the latest tree head');
  const reader = tileHashReader(tree, {
    height: 8,
    readTiles: (tiles) => Promise.all(tiles.map((t) => opts.transport.get(tilePath(t)))),
    saveTiles: () => Promise.resolve(),
  });
  if (!(await treeHash(tree.n, reader)).equals(tree.hash)) {
    throw new ModgateError('SUMDB_ERROR', `the database's tiles do not reproduce its tree ${tree.n}`);
  }
  const base = { size: tree.n, rootHash: tree.hash.toString('base64'), note };
  if (!opts.previous) return { status: 'first', previousSize: undefined, ...base };
  const old = openTree(opts.previous, opts.vkey, 'the tree head in the state file');
  const fork = (why: string): never => {
    throw new ModgateError('SUMDB_FORK', `SECURITY ERROR: checksum database ${why}\n\ntree seen before:\n${opts.previous!.toString('utf8')}\ntree served now:\n${note.toString('utf8')}`, {
      hint: 'the database (or someone holding its key) rewrote its history; keep both tree heads as evidence',
    });
  };
  if (tree.n < old.n) fork(`was rewound: it now has ${tree.n} records, ${old.n} were seen before`);
  if (tree.n === old.n) {
    if (!tree.hash.equals(old.hash)) fork(`forked: tree ${tree.n} has another root than before`);
    return { status: 'same', previousSize: old.n, ...base };
  }
  if (old.n > 0) {
    try {
      checkTree(await proveTree(tree.n, old.n, reader), tree.n, tree.hash, old.n, old.hash);
    } catch (err) {
      if (err instanceof ModgateError && err.code === 'SUMDB_FORK') throw err;
      fork(`forked: tree ${tree.n} does not extend tree ${old.n} seen before (${(err as Error).message})`);
    }
  }
  return { status: 'grew', previousSize: old.n, ...base };
}

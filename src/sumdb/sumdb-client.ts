// The checksum database verifier modgate consults before caching anything (Go's sumdb.Client):
// lookups authenticated by record inclusion in a signed tree, tiles authenticated against the
// signed root, the latest tree kept consistent with every tree seen (a fork is refused for good).

import { ModgateError, isModgateError } from '../errors/modgate-error.js';
import { escapePath, escapeVersion } from '../module/escape.js';
import { type Verifier, openNote, parseVerifierKey } from './note.js';
import { type Hash, type Tree, HASH_SIZE, recordHash, storedHashIndex, shr, treeHash } from './tlog.js';
import { type Tile, type TileReader, parseTilePath, tileHashReader } from './tlog-tile.js';
import { TileSource } from './sumdb-tile-source.js';
import { parseRecord, parseTree } from './tlog-note.js';
import { LRUCache } from 'lru-cache';

/** Reads from the checksum database. `path` is relative to the database (`lookup/...`, `tile/...`, `latest`). */
export type { SumdbStore, SumdbTransport } from './sumdb-roles.js';
import type { SumdbStore, SumdbTransport } from './sumdb-roles.js';

/** What a detected fork looks like: the two signed notes that cannot both be true, and the proof. */
export interface SumdbForkInfo {
  readonly name: string;
  readonly olderNote: string;
  readonly newerNote: string;
  readonly message: string;
}

export interface SumdbClientOptions {
  /** The database name; must equal the verifier key's name. */
  readonly name: string;
  readonly vkey: string;
  readonly transport: SumdbTransport;
  readonly store: SumdbStore;
  readonly onFork?: (info: SumdbForkInfo) => void;
}

export interface SumdbClient {
  /** The verified go.sum hashes of path@version (zipHash is undefined if the record lists only go.mod). */
  lookup(modulePath: string, version: string): Promise<{ zipHash: string | undefined; modHash: string }>;
  /** The latest verified signed tree note (fetching `latest` if none is known yet). */
  latest(): Promise<string>;
  /** True once a fork was detected; every call then throws SUMDB_FORK. */
  readonly forked: boolean;
  /** The bytes of a tile, only after authenticating them against the latest verified tree. */
  tile(path: string): Promise<Buffer>;
  /** The database's lookup response for path@version, only after it verified. */
  rawLookup(modulePath: string, version: string): Promise<Buffer>;
}

const HEIGHT = 8;
/**
 * Bytes of verified lookup responses and of authenticated tiles kept in memory: a build's client
 * asks for the same ones again and again (each \`go\` run, each CI job), and checking one again
 * means reading its tiles and hashing the proofs (milliseconds each). What verified once stays
 * true (the log only grows; a fork refuses everything before any memory is consulted).
 */
const VERIFIED_BYTES = 4 * 1024 * 1024;
const bytesBound = { maxSize: VERIFIED_BYTES, sizeCalculation: (b: Buffer): number => Math.max(1, b.length) };
const sumdbError = (message: string, cause?: unknown): ModgateError =>
  new ModgateError('SUMDB_ERROR', message, cause === undefined ? {} : { cause });

/** Creates a verifier client; the stored latest tree is loaded and checked on first use. */
export function createSumdbClient(opts: SumdbClientOptions): SumdbClient {
  return new Client(opts);
}

type When = 'past' | 'now' | 'future';
interface Latest { tree: Tree; msg: Buffer | undefined }

class Client implements SumdbClient {
  private readonly verifier: Verifier;
  private readonly transport: SumdbTransport;
  private readonly store: SumdbStore;
  private readonly onFork: ((info: SumdbForkInfo) => void) | undefined;
  private readonly name: string;
  private current: Latest = { tree: { n: 0, hash: Buffer.alloc(HASH_SIZE) }, msg: undefined };
  private init: Promise<void> | undefined;
  private forkError: ModgateError | undefined;
  private readonly records = new Map<string, Promise<Buffer>>();
  private readonly verifiedLookups = new LRUCache<string, Buffer>(bytesBound);
  private readonly verifiedTiles = new LRUCache<string, Buffer>(bytesBound);
  private readonly tiles: TileSource;
  private readonly tileReader: TileReader;

  constructor(opts: SumdbClientOptions) {
    this.verifier = parseVerifierKey(opts.vkey);
    if (this.verifier.name !== opts.name) {
      throw sumdbError(`checksum database name ${opts.name} does not match its key's name ${this.verifier.name}`);
    }
    this.name = opts.name;
    this.transport = opts.transport;
    this.store = opts.store;
    this.onFork = opts.onFork;
    this.tiles = new TileSource(opts.store, opts.transport, HEIGHT);
    this.tileReader = this.tiles.cached();
  }

  get forked(): boolean {
    return this.forkError !== undefined;
  }

  private refuseIfForked(): void {
    if (this.forkError) throw this.forkError;
  }

  private async ready(): Promise<void> {
    this.refuseIfForked();
    this.init ??= (async () => {
      const stored = await this.store.getLatest();
      if (stored) await this.mergeLatest(stored);
    })();
    try {
      await this.init;
    } catch (err) {
      this.init = undefined;
      throw err;
    }
    this.refuseIfForked();
  }

  async lookup(modulePath: string, version: string): Promise<{ zipHash: string | undefined; modHash: string }> {
    const data = await this.rawLookup(modulePath, version);
    const base = version.replace(/\/go\.mod$/, '');
    let zipHash: string | undefined;
    let modHash: string | undefined;
    for (const line of data.toString('utf8').split('\n')) {
      const fields = line.split(' ');
      if (fields.length !== 3 || fields[0] !== modulePath || !fields[2]!.startsWith('h1:')) continue;
      if (fields[1] === base) zipHash ??= fields[2];
      else if (fields[1] === `${base}/go.mod`) modHash ??= fields[2];
    }
    if (modHash === undefined) {
      throw sumdbError(`${modulePath}@${base}: checksum database record has no go.mod hash for this version`);
    }
    return { zipHash, modHash };
  }

  async rawLookup(modulePath: string, version: string): Promise<Buffer> {
    await this.ready();
    const base = version.replace(/\/go\.mod$/, '');
    const key = `lookup/${escapePath(modulePath)}@${escapeVersion(base)}`;
    const known = this.verifiedLookups.get(key);
    if (known !== undefined) return known;
    let p = this.records.get(key);
    if (!p) {
      p = this.fetchRecord(key).finally(() => this.records.delete(key));
      p.then((data) => void this.verifiedLookups.set(key, data), () => undefined);
      this.records.set(key, p);
    }
    try {
      return await p;
    } catch (err) {
      if (isModgateError(err) && err.code !== 'SUMDB_ERROR') throw err;
      throw sumdbError(`${modulePath}@${base}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }

  private async fetchRecord(key: string): Promise<Buffer> {
    const cached = await this.store.get(key);
    if (cached !== undefined) {
      try {
        return await this.verifyRecord(cached);
      } catch (err) {
        // A cached copy that does not verify (torn or damaged in storage) is not trusted: ask the
        // database again. A fork is never retried away.
        if (isModgateError(err, 'SUMDB_FORK') || this.forkError) throw err;
      }
    }
    const data = await this.transport.get(key);
    await this.verifyRecord(data);
    await this.store.put(key, data);
    return data;
  }

  /** Checks a lookup response: its signed tree merges with the known one and the record is in it. */
  private async verifyRecord(data: Buffer): Promise<Buffer> {
    const { id, text, rest } = parseRecord(data);
    await this.mergeLatest(rest);
    await this.checkRecord(id, text);
    return data;
  }

  async latest(): Promise<string> {
    await this.ready();
    if (this.current.msg === undefined) await this.refresh();
    if (this.current.msg === undefined) throw sumdbError(`${this.name}: no signed tree available`);
    return this.current.msg.toString('utf8');
  }

  /** Fetches the database's latest signed tree and merges it (verifying consistency). */
  private async refresh(): Promise<void> {
    await this.mergeLatest(await this.transport.get('latest'));
  }

  async tile(path: string): Promise<Buffer> {
    await this.ready();
    const known = this.verifiedTiles.get(path);
    if (known !== undefined) return known;
    const body = await this.authenticatedTile(path);
    this.verifiedTiles.set(path, body);
    return body;
  }

  private async authenticatedTile(path: string): Promise<Buffer> {
    const t = parseTilePath(path);
    if (t.h !== HEIGHT) throw new ModgateError('NOT_FOUND', `${this.name}: only tiles of height ${HEIGHT} are served: ${path}`);
    const level = t.l === -1 ? 0 : t.l;
    const need = t.n * 2 ** t.h + t.w;
    const covered = (): boolean => shr(this.current.tree.n, level * t.h) >= need;
    if (!covered()) await this.refresh();
    if (!covered()) throw new ModgateError('NOT_FOUND', `${this.name}: tile ${path} is beyond the latest signed tree`);
    const tree = this.current.tree;
    const start = t.n * 2 ** t.h;
    const indexes = Array.from({ length: t.w }, (_, i) => storedHashIndex(level * t.h, start + i));
    const hashes = await tileHashReader(tree, this.tileReader)(indexes);
    if (t.l !== -1) return Buffer.concat(hashes);
    return this.checkDataTile(t, path, hashes);
  }

  /** Fetches a record-data tile and checks each record against the authenticated leaf hashes. */
  private async checkDataTile(t: Tile, path: string, hashes: Hash[]): Promise<Buffer> {
    const data = await this.transport.get(path);
    let rest = data;
    const start = t.n * 2 ** t.h;
    for (let i = 0; i < t.w; i++) {
      const rec = parseRecord(rest);
      if (rec.id !== start + i || !recordHash(rec.text).equals(hashes[i]!)) {
        throw sumdbError(`${this.name}: data tile ${path} does not match the signed tree`);
      }
      rest = rec.rest;
    }
    if (rest.length !== 0) throw sumdbError(`${this.name}: data tile ${path} has trailing data`);
    return data;
  }

  private async checkRecord(id: number, text: Buffer): Promise<void> {
    const tree = this.current.tree;
    if (id < 0 || id >= tree.n) throw sumdbError(`cannot validate record ${id} in tree of size ${tree.n}`);
    const [h] = await tileHashReader(tree, this.tileReader)([storedHashIndex(0, id)]);
    if (!h?.equals(recordHash(text))) throw sumdbError('cannot authenticate record data in server response');
  }

  /** Merges a signed tree note into the known latest tree and persists it when it is newer. */
  private async mergeLatest(msg: Buffer): Promise<void> {
    if ((await this.mergeLatestMem(msg)) !== 'future') return;
    for (;;) {
      const stored = await this.store.getLatest();
      if ((await this.mergeLatestMem(stored)) !== 'past') return;
      if (await this.store.swapLatest(stored, this.current.msg!)) return;
    }
  }

  private async mergeLatestMem(msg: Buffer | undefined): Promise<When> {
    if (msg === undefined || msg.length === 0) return this.current.tree.n === 0 ? 'now' : 'past';
    let tree: Tree;
    try {
      tree = parseTree(openNote(msg, [this.verifier]).text);
    } catch (err) {
      throw sumdbError(`${this.name}: reading tree note: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    let latest = this.current;
    for (;;) {
      if (tree.n <= latest.tree.n) {
        await this.checkTrees({ tree, msg }, latest);
        return tree.n < latest.tree.n ? 'past' : 'now';
      }
      await this.checkTrees(latest, { tree, msg });
      if (this.current === latest) {
        this.current = { tree, msg };
        return 'future';
      }
      latest = this.current;
    }
  }

  /** Checks that `older` is a prefix of `newer` by recomputing older's root from newer's tiles. */
  private async checkTrees(older: Latest, newer: Latest): Promise<void> {
    this.refuseIfForked();
    let h: Hash;
    try {
      h = await treeHash(older.tree.n, tileHashReader(newer.tree, this.tileReader));
    } catch (err) {
      // Our stored tiles (authenticated against an older tree) may not support a forked newer
      // tree; ask the database alone, so that a self-consistent fork is proven as a fork below.
      h = await this.remoteTreeHash(older, newer, err);
    }
    if (h.equals(older.tree.hash)) return;
    this.reportFork(older, newer, h);
  }

  private async remoteTreeHash(older: Latest, newer: Latest, first: unknown): Promise<Hash> {
    const remote = this.tiles.remote();
    let err = first;
    if (isModgateError(first, 'SUMDB_ERROR') && first.message.includes('inconsistent tile')) {
      try {
        return await treeHash(older.tree.n, tileHashReader(newer.tree, remote));
      } catch (again) {
        err = again;
      }
    }
    const what = older.tree.n === newer.tree.n ? `tree#${older.tree.n}` : `tree#${older.tree.n} against tree#${newer.tree.n}`;
    throw sumdbError(`${this.name}: checking ${what}: ${err instanceof Error ? err.message : String(err)}`, err);
  }

  private reportFork(older: Latest, newer: Latest, h: Hash): never {
    const olderNote = older.msg?.toString('utf8') ?? `(empty tree)\n`;
    const newerNote = newer.msg?.toString('utf8') ?? '';
    const indent = (s: string): string => s.replace(/\n/g, '\n\t');
    const message = `SECURITY ERROR\nchecksum database ${this.name} misbehavior detected!\n\nold database:\n\t${indent(olderNote)}\n` +
      `new database:\n\t${indent(newerNote)}\nproof of misbehavior:\n\t${h.toString('base64')}`;
    this.forkError = new ModgateError('SUMDB_FORK', message, {
      hint: 'The checksum database served two inconsistent trees; modgate refuses all checksum lookups until an operator investigates.',
      details: { name: this.name, olderSize: older.tree.n, newerSize: newer.tree.n },
    });
    this.onFork?.({ name: this.name, olderNote, newerNote, message });
    throw this.forkError;
  }
}

// An in-memory checksum database for tests: records, stored hashes, signed tree notes, and a
// SumdbTransport serving lookups, tiles and latest at a chosen tree size, with tamper hooks.

import { ModgateError } from '../errors/modgate-error.js';
import { escapePath, escapeVersion } from '../module/escape.js';
import { generateKey, parseSignerKey, signNote, type Signer } from './note.js';
import type { SumdbStore, SumdbTransport } from './sumdb-client.js';
import { type Hash, type HashReader, recordHash, storedHashesForRecordHash, treeHash, shr } from './tlog.js';
import { parseTilePath, readTileData } from './tlog-tile.js';
import { formatRecord, formatTree } from './tlog-note.js';

/** A test checksum database. `served` is the tree size it currently publishes (default: all records). */
export class TestSumdb {
  readonly records: Buffer[] = [];
  readonly stored: Hash[] = [];
  readonly ids = new Map<string, number>();
  readonly requests: string[] = [];
  served: number | undefined;
  tamper: ((path: string, data: Buffer) => Buffer) | undefined;
  private readonly signer: Signer;

  constructor(readonly name: string, readonly skey: string, readonly vkey: string) {
    this.signer = parseSignerKey(skey);
  }

  static create(name = 'sum.test.example'): TestSumdb {
    const { skey, vkey } = generateKey(name);
    return new TestSumdb(name, skey, vkey);
  }

  /** A new database with the same key (for forks). */
  sibling(): TestSumdb {
    return new TestSumdb(this.name, this.skey, this.vkey);
  }

  readonly read: HashReader = (ix) => Promise.resolve(ix.map((i) => this.stored[i]!));

  /** Appends the go.sum record of path@version (fake but well-formed hashes). */
  async add(path: string, version: string, salt = ''): Promise<void> {
    const zh = recordHash(Buffer.from(`zip ${path} ${version} ${salt}`)).toString('base64');
    const mh = recordHash(Buffer.from(`mod ${path} ${version} ${salt}`)).toString('base64');
    await this.addHashes(path, version, `h1:${zh}`, `h1:${mh}`);
  }

  /** Appends the go.sum record of path@version with the given real hashes ('h1:...'). */
  async addHashes(path: string, version: string, zipHash: string, modHash: string): Promise<void> {
    const text = Buffer.from(`${path} ${version} ${zipHash}\n${path} ${version}/go.mod ${modHash}\n`);
    const id = this.records.length;
    this.records.push(text);
    this.stored.push(...(await storedHashesForRecordHash(id, recordHash(text), this.read)));
    this.ids.set(`${escapePath(path)}@${escapeVersion(version)}`, id);
  }

  async addMany(n: number, prefix = 'example.com/m', salt = ''): Promise<void> {
    for (let i = 0; i < n; i++) await this.add(`${prefix}${i}`, 'v1.0.0', salt);
  }

  size(): number {
    return this.served ?? this.records.length;
  }

  async signedTree(n = this.size()): Promise<Buffer> {
    return signNote(formatTree({ n, hash: await treeHash(n, this.read) }), [this.signer]);
  }

  readonly transport: SumdbTransport = {
    get: async (path) => {
      this.requests.push(path);
      const data = await this.serve(path);
      return this.tamper ? this.tamper(path, Buffer.from(data)) : data;
    },
  };

  private async serve(path: string): Promise<Buffer> {
    const n = this.size();
    const notFound = (): never => {
      throw new ModgateError('NOT_FOUND', `not found: ${path}`);
    };
    if (path === 'latest') return this.signedTree();
    if (path.startsWith('lookup/')) {
      const id = this.ids.get(path.slice('lookup/'.length));
      if (id === undefined || id >= n) notFound();
      return Buffer.concat([formatRecord(id!, this.records[id!]!), await this.signedTree()]);
    }
    const t = parseTilePath(path);
    if (shr(n, Math.max(t.l, 0) * t.h) < t.n * 2 ** t.h + t.w) notFound();
    if (t.l === -1) {
      const start = t.n * 2 ** t.h;
      return Buffer.concat(Array.from({ length: t.w }, (_, i) => formatRecord(start + i, this.records[start + i]!)));
    }
    return readTileData(t, this.read);
  }
}

/** An in-memory SumdbStore that counts writes. */
export function memoryStore(): SumdbStore & { data: Map<string, Buffer>; latest: Buffer | undefined } {
  const data = new Map<string, Buffer>();
  const store = {
    data,
    latest: undefined as Buffer | undefined,
    get: (key: string) => Promise.resolve(data.get(key)),
    put: (key: string, value: Buffer) => {
      data.set(key, Buffer.from(value));
      return Promise.resolve();
    },
    getLatest: () => Promise.resolve(store.latest),
    swapLatest: (expected: Buffer | undefined, next: Buffer) => {
      const same = expected === undefined ? store.latest === undefined : store.latest?.equals(expected) === true;
      if (same) store.latest = Buffer.from(next);
      return Promise.resolve(same);
    },
  };
  return store;
}

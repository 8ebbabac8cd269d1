// The read side of modgate's own checksum database: the signed tree head it publishes, lookups
// (`<id>\n<record>\n\n<signed tree>`), and tiles, all read from the LogStore. A tree read from
// storage is published only after its tiles reproduce its root and it extends the tree published
// before (a rewound or forked store raises an alarm and the old tree stays published).

import { ModgateError } from '../errors/modgate-error.js';
import { openNote, signNote } from './note.js';
import { HASH_SIZE, type Tree, recordHash, storedHashIndex, treeHash } from './tlog.js';
import { formatRecord, formatTree, parseTree } from './tlog-note.js';
import { type LogStore, TREE_KEY, indexKey } from './log-store.js';
import { TileCache, readServedTile, storedHashReader } from './log-tiles.js';
import type { SigningKey } from './signer-key.js';
import { escapedModuleVersion } from './log-record.js';

/** A published tree head with its signed note. */
export interface SignedTree {
  readonly tree: Tree;
  readonly note: Buffer;
}

/** Why a tree in storage was not published. */
export interface LogAlarm {
  readonly kind: 'rewind' | 'fork' | 'inconsistent';
  readonly message: string;
}

export interface LogServerOptions {
  readonly key: SigningKey;
  readonly store: LogStore;
  /** How long a tree read from storage is served before storage is read again; default 500 ms. */
  readonly refreshMs?: number;
  /** Milliseconds clock (tests pass a fake); default Date.now. */
  readonly now?: () => number;
  readonly onAlarm?: (alarm: LogAlarm) => void;
  /**
   * The last tree this replica published before a restart (kept outside the log's storage); the
   * stored tree must extend it. Ignored when its signature does not verify.
   */
  readonly lastPublished?: Buffer | undefined;
  /** Called with each newly published tree (to keep it as lastPublished for the next start). */
  readonly onPublish?: (tree: SignedTree) => void;
}

export class LogServer {
  readonly name: string;
  private current: SignedTree;
  private readAt = -Infinity;
  private refreshing: Promise<void> | undefined;
  private lastAlarm: LogAlarm | undefined;

  constructor(private readonly opts: LogServerOptions) {
    this.name = opts.key.name;
    const empty = { n: 0, hash: Buffer.alloc(HASH_SIZE) };
    // Ed25519 signatures are deterministic: every replica signs the empty tree identically.
    this.current = { tree: empty, note: signNote(formatTree(empty), [opts.key.signer]) };
    if (opts.lastPublished) {
      try {
        this.current = { tree: parseTree(openNote(opts.lastPublished, [opts.key.verifier]).text), note: opts.lastPublished };
      } catch {
        // not a tree head of this database: start from the empty tree
      }
    }
  }

  /** The tree published now (without reading storage). */
  get published(): SignedTree {
    return this.current;
  }

  /** The last alarm raised, if any (the published tree then stays where it was). */
  get alarm(): LogAlarm | undefined {
    return this.lastAlarm;
  }

  /** Re-reads the stored tree when the one held is older than refreshMs (or always, with force). */
  async refresh(force = false): Promise<SignedTree> {
    const now = (this.opts.now ?? Date.now)();
    if (!force && now - this.readAt < (this.opts.refreshMs ?? 500)) return this.current;
    this.refreshing ??= (async () => {
      await this.readStored();
      this.readAt = now;
    })().finally(() => (this.refreshing = undefined));
    await this.refreshing;
    return this.current;
  }

  /**
   * Publishes a signed tree note if it verifies, its tiles reproduce its root, and it extends the
   * published tree; otherwise raises an alarm (SUMDB_FORK thrown) and keeps the published tree.
   */
  async adopt(note: Buffer): Promise<void> {
    const found = await this.examine(note);
    if ('kind' in found) this.raise(found);
    this.publish(found);
  }

  /** Reads and adopts the stored tree; a tree that looks torn or half-written is read again first. */
  private async readStored(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const note = await this.opts.store.get(TREE_KEY);
      if (!note) return;
      const found = await this.examine(note);
      if (!('kind' in found)) return this.publish(found);
      if (found.kind !== 'inconsistent' || attempt >= 4) this.raise(found);
      await new Promise((r) => setTimeout(r, 25 * (attempt + 1)));
    }
  }

  private publish(t: SignedTree): void {
    if (t.tree.n >= this.current.tree.n && t !== this.current) {
      this.current = t;
      this.opts.onPublish?.(t);
    }
    this.lastAlarm = undefined;
  }

  private async examine(note: Buffer): Promise<SignedTree | LogAlarm> {
    if (note.equals(this.current.note)) return this.current;
    const alarm = (kind: LogAlarm['kind'], message: string): LogAlarm => ({ kind, message: `own checksum database ${this.name}: ${message}` });
    let tree: Tree;
    try {
      tree = parseTree(openNote(note, [this.opts.key.verifier]).text);
    } catch (err) {
      return alarm('inconsistent', `stored tree head does not verify: ${(err as Error).message}`);
    }
    const old = this.current.tree;
    if (tree.n < old.n) return alarm('rewind', `stored tree has ${tree.n} records, fewer than the ${old.n} already published`);
    const read = storedHashReader(new TileCache(this.opts.store), tree.n);
    try {
      if (!(await treeHash(tree.n, read)).equals(tree.hash)) return alarm('inconsistent', `stored tiles do not reproduce tree ${tree.n}`);
      if (old.n > 0 && !(await treeHash(old.n, read)).equals(old.hash)) {
        return alarm('fork', `stored tree ${tree.n} does not extend the published tree ${old.n} (${old.hash.toString('base64')})`);
      }
    } catch (err) {
      return alarm('inconsistent', `reading stored tiles of tree ${tree.n}: ${(err as Error).message}`);
    }
    return { tree, note };
  }

  private raise(alarm: LogAlarm): never {
    this.lastAlarm = alarm;
    this.opts.onAlarm?.(alarm);
    throw new ModgateError('SUMDB_FORK', alarm.message, {
      hint: 'the log in storage was changed behind modgate\'s back; the earlier tree stays published until an operator investigates',
    });
  }

  /** The signed tree note clients get from `latest`. */
  async latest(): Promise<Buffer> {
    await this.refreshQuietly();
    return this.current.note;
  }

  /** The committed record of path@version in the published tree, or undefined. */
  async findRecord(path: string, version: string, at: SignedTree = this.current): Promise<{ id: number; text: Buffer } | undefined> {
    const entry = await this.opts.store.get(indexKey(escapedModuleVersion(path, version)));
    if (!entry) return undefined;
    const nl = entry.indexOf(0x0a);
    const id = Number(entry.subarray(0, nl).toString('latin1'));
    const text = entry.subarray(nl + 1);
    if (nl < 0 || !Number.isSafeInteger(id) || id < 0 || id >= at.tree.n) return undefined;
    // An index entry left by a writer that died before publishing its tree names another record.
    const [h] = await storedHashReader(new TileCache(this.opts.store), at.tree.n)([storedHashIndex(0, id)]);
    return h?.equals(recordHash(text)) ? { id, text } : undefined;
  }

  /** The lookup answer for path@version, or undefined when it is not recorded (yet). */
  async lookup(path: string, version: string): Promise<Buffer | undefined> {
    let at = this.current;
    let rec = await this.findRecord(path, version, at);
    if (!rec) {
      at = await this.refreshQuietly(true);
      rec = await this.findRecord(path, version, at);
    }
    return rec && Buffer.concat([formatRecord(rec.id, rec.text), at.note]);
  }

  /** The tile at `path` in the published tree, or undefined when the tree does not cover it. */
  async tile(path: string): Promise<Buffer | undefined> {
    const at = this.current;
    const data = await readServedTile(new TileCache(this.opts.store), at.tree.n, path);
    if (data) return data;
    const now = await this.refreshQuietly(true);
    return now === at ? undefined : readServedTile(new TileCache(this.opts.store), now.tree.n, path);
  }

  /** Refreshes; an alarm (already reported) leaves the published tree served. */
  private async refreshQuietly(force = false): Promise<SignedTree> {
    try {
      return await this.refresh(force);
    } catch (err) {
      if (err instanceof ModgateError && err.code === 'SUMDB_FORK') return this.current;
      throw err;
    }
  }
}

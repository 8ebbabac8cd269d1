// The write side of modgate's own checksum database: record() queues a module version's go.sum
// record; queued records are appended in batches (one signed tree head per batch, after at most
// batchDelayMs) while holding the writer lease, so that one replica writes at a time. A version
// already recorded is never appended again; other hashes for it come back as a conflict.

import { ModgateError } from '../errors/modgate-error.js';
import { type RecordHashes, escapedModuleVersion, formatGoSumRecord, parseGoSumRecord } from './log-record.js';
import { type NewRecord, type WriterRole, commitBatch } from './log-commit.js';
import type { LogServer, SignedTree } from './log-server.js';
import type { LogStore } from './log-store.js';
import type { SigningKey } from './signer-key.js';

/** Runs fn while holding the (cross-replica) writer role; wired to the coordinator's lease. */
export interface WriterLease {
  run<T>(fn: (role: WriterRole) => Promise<T>): Promise<T>;
}

/** What record() found or did. `recorded` is the record now in the log (its hashes win a conflict). */
export type RecordOutcome =
  | { readonly status: 'recorded' | 'existing'; readonly id: number; readonly recorded: RecordHashes }
  | { readonly status: 'conflict'; readonly id: number; readonly recorded: RecordHashes };

export interface LogWriterOptions {
  readonly server: LogServer;
  readonly store: LogStore;
  readonly key: SigningKey;
  readonly lease: WriterLease;
  /** Longest wait before a queued record is appended; default 200 ms. */
  readonly batchDelayMs?: number;
  /** Called after each published batch (metrics, dashboard). */
  readonly onCommit?: (tree: SignedTree, appended: number) => void;
}

interface Queued {
  readonly path: string;
  readonly version: string;
  readonly hashes: RecordHashes;
  resolve(o: RecordOutcome): void;
  reject(err: unknown): void;
}

/** A lease for one process (tests, single replica): runs batches one after another. */
export function localWriterLease(): WriterLease {
  let chain: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: (role: WriterRole) => Promise<T>): Promise<T> {
      const next = chain.then(() => fn({ stillOwner: () => Promise.resolve(true) }));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}

export class LogWriter {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(private readonly opts: LogWriterOptions) {}

  /** Records path@version with these hashes (or finds it recorded); resolves once published. */
  async record(path: string, version: string, hashes: RecordHashes): Promise<RecordOutcome> {
    const found = await this.compareRecorded(path, version, hashes, this.opts.server.published);
    if (found) return found;
    return new Promise((resolve, reject) => {
      this.queue.push({ path, version, hashes, resolve, reject });
      this.schedule();
    });
  }

  /** The recorded hashes of path@version in the published tree (after a refresh), or undefined. */
  async recorded(path: string, version: string): Promise<{ id: number; hashes: RecordHashes } | undefined> {
    const rec = await this.opts.server.findRecord(path, version, await this.opts.server.refresh());
    const hashes = rec && parseGoSumRecord(path, version, rec.text);
    return rec && hashes ? { id: rec.id, hashes } : undefined;
  }

  /** Waits for queued records to be published (shutdown). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.flushing ??= this.flush();
      }
      await this.flushing;
    }
  }

  private async compareRecorded(path: string, version: string, hashes: RecordHashes, at: SignedTree): Promise<RecordOutcome | undefined> {
    const rec = await this.opts.server.findRecord(path, version, at);
    if (!rec) return undefined;
    const recorded = parseGoSumRecord(path, version, rec.text);
    if (!recorded) throw new ModgateError('SUMDB_ERROR', `own checksum database: record ${rec.id} of ${path}@${version} is malformed`);
    const same = recorded.zipHash === hashes.zipHash && recorded.modHash === hashes.modHash;
    return { status: same ? 'existing' : 'conflict', id: rec.id, recorded };
  }

  private schedule(): void {
    if (this.timer || this.flushing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    }, this.opts.batchDelayMs ?? 200);
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      const outcomes = await this.opts.lease.run((role) => this.appendBatch(batch, role));
      batch.forEach((q, i) => q.resolve(outcomes[i]!));
    } catch (err) {
      for (const q of batch) q.reject(err);
    }
  }

  /** Under the lease: re-reads the stored tree, drops what is recorded meanwhile, appends the rest. */
  private async appendBatch(batch: readonly Queued[], role: WriterRole): Promise<RecordOutcome[]> {
    const base = await this.opts.server.refresh(true);
    const outcomes = new Array<RecordOutcome | undefined>(batch.length);
    const fresh: NewRecord[] = [];
    const firstOf = new Map<string, { id: number; hashes: RecordHashes }>();
    for (let i = 0; i < batch.length; i++) {
      const q = batch[i]!;
      outcomes[i] = await this.compareRecorded(q.path, q.version, q.hashes, base);
      const name = escapedModuleVersion(q.path, q.version);
      if (outcomes[i] || firstOf.has(name)) continue;
      firstOf.set(name, { id: base.tree.n + fresh.length, hashes: q.hashes });
      fresh.push({ name, text: formatGoSumRecord(q.path, q.version, q.hashes) });
    }
    if (fresh.length > 0) {
      const next = await commitBatch({ store: this.opts.store, key: this.opts.key, base, records: fresh, role });
      await this.opts.server.adopt(next.note);
      this.opts.onCommit?.(next, fresh.length);
    }
    return batch.map((q, i) => {
      const done = outcomes[i];
      if (done) return done;
      const first = firstOf.get(escapedModuleVersion(q.path, q.version))!;
      const same = first.hashes.zipHash === q.hashes.zipHash && first.hashes.modHash === q.hashes.modHash;
      return { status: same ? 'recorded' : 'conflict', id: first.id, recorded: first.hashes };
    });
  }
}

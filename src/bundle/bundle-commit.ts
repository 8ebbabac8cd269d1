// Commits a verified bundle's files to storage through the storage's own staging (Storage.stage:
// fs temp files next to their targets, S3/memory local files uploaded or set on commit), in two
// steps: every file to be written is staged first — a failure there aborts every staged file, so
// nothing of the bundle becomes visible — then the staged files are committed in an order that
// makes a version visible only when complete: checksum-database records and tiles, each zip's
// .ziphash then the zip, the .mod, the .info (what makes a version listed), and last each
// database's latest tree head by compare-and-swap. Files already stored with the same content are
// not written, so importing a bundle twice changes nothing.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import pLimit from 'p-limit';
import { ModgateError } from '../errors/modgate-error.js';
import type { StagedObject, Storage } from '../storage/storage.js';
import { createStorageSumdbStore } from '../cache/storage-sumdb-store.js';
import type { StagedEntry } from './bundle-reader.js';
import { unescapePath } from '../module/escape.js';
import { latestKey, listKey } from '../cache/cache-keys.js';

export type CommitItem =
  /** Written unless stored with identical bytes. */
  | { readonly key: string; readonly entry: StagedEntry; readonly kind: 'small' }
  /** Written only when nothing is stored under the key (a stored record already verifies). */
  | { readonly key: string; readonly entry: StagedEntry; readonly kind: 'keep-existing' }
  /** A zip and its h1; skipped when the same size and h1 are stored. */
  | { readonly key: string; readonly entry: StagedEntry; readonly kind: 'zip'; readonly h1: string }
  /** A database's new latest signed tree, replacing `expected` (undefined = none). */
  | { readonly key: string; readonly data: Buffer; readonly kind: 'latest'; readonly expected: Buffer | undefined };

export interface CommitResult {
  readonly written: number;
  readonly writtenBytes: number;
  readonly unchanged: number;
  readonly changedModules: string[];
}

/** Parallel stagings and commits within one step of the order (uploads for S3). */
const PARALLEL = 8;

/** Commit order: proofs, .ziphash, .zip, .mod, .info (the version is listed from here on). */
function rankOf(key: string): number {
  if (key.startsWith('sumdb/')) return 0;
  if (key.endsWith('.ziphash')) return 1;
  if (key.endsWith('.zip')) return 2;
  if (key.endsWith('.mod')) return 3;
  return 4;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Write {
  readonly key: string;
  readonly bytes: number;
  readonly open: () => Readable;
  /** Counts as a written file (a zip's .ziphash goes with its zip). */
  readonly counted: boolean;
  staged?: StagedObject;
}

/** Writes the plan; `onItem` reports progress. Throws the storage's error when a write fails. */
export async function commitPlan(storage: Storage, plan: readonly CommitItem[], onItem?: (done: number, total: number, key: string) => void): Promise<CommitResult> {
  // What must be written: files not stored yet, or stored with other bytes.
  const writes: Write[] = [];
  const latest: Array<Extract<CommitItem, { kind: 'latest' }>> = [];
  let unchanged = 0;
  for (const item of plan) {
    if (item.kind === 'latest') {
      latest.push(item);
      continue;
    }
    const before = writes.length;
    const fromFile = (e: StagedEntry) => () => createReadStream(e.localPath);
    if (item.kind === 'small' || item.kind === 'keep-existing') {
      const current = await storage.get(item.key);
      if (!current || (item.kind === 'small' && sha(current) !== item.entry.sha256)) {
        writes.push({ key: item.key, bytes: item.entry.size, open: fromFile(item.entry), counted: true });
      }
    } else {
      const hashKey = item.key.replace(/\.zip$/, '.ziphash');
      const st = await storage.stat(item.key);
      const storedHash = st ? (await storage.get(hashKey))?.toString('utf8').trim() : undefined;
      if (!st || st.size !== item.entry.size || storedHash !== item.h1) {
        const h1 = Buffer.from(item.h1);
        writes.push({ key: hashKey, bytes: h1.length, open: () => Readable.from([h1]), counted: false });
        writes.push({ key: item.key, bytes: item.entry.size, open: fromFile(item.entry), counted: true });
      }
    }
    if (writes.length === before) unchanged++;
  }

  const total = writes.length + latest.length;
  let done = 0;
  const progress = (key: string) => onItem?.(done++, total, key);

  // Step 1: stage everything; nothing is visible yet, and a failure leaves nothing behind.
  const limit = pLimit(PARALLEL);
  /** Runs fn for each write (PARALLEL at a time), waits for all; on any failure aborts every staging and throws the first error. */
  const each = async (ws: readonly Write[], fn: (w: Write) => Promise<void>): Promise<void> => {
    const results = await Promise.allSettled(ws.map((w) => limit(() => fn(w))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failed) return;
    await Promise.all(writes.flatMap((w) => (w.staged ? [w.staged.abort()] : [])));
    throw failed.reason;
  };
  await each(writes, async (w) => {
    w.staged = await storage.stage(w.key, w.open());
  });

  // Step 2: commit in order, each step complete before the next.
  let written = 0;
  let writtenBytes = 0;
  const changed = new Set<string>();
  for (let rank = 0; rank <= 4; rank++) {
    await each(writes.filter((w) => rankOf(w.key) === rank), async (w) => {
      progress(w.key);
      await w.staged!.commit();
      if (!w.counted) return;
      written++;
      writtenBytes += w.bytes;
      if (!w.key.startsWith('sumdb/')) changed.add(unescapePath(w.key.slice(0, w.key.indexOf('/@v/'))));
    });
  }
  for (const item of latest) {
    progress(item.key);
    await swapLatest(storage, item);
    written++;
    writtenBytes += item.data.length;
  }
  // Lists and @latest are derived from the stored versions: drop them so they are built again.
  for (const m of changed) {
    await storage.delete(listKey(m));
    await storage.delete(latestKey(m));
  }
  onItem?.(total, total, '');
  return { written, writtenBytes, unchanged, changedModules: [...changed] };
}

/** Replaces a database's latest tree if it is still the one verified against; a failed write throws. */
async function swapLatest(storage: Storage, item: Extract<CommitItem, { kind: 'latest' }>): Promise<void> {
  const name = item.key.slice('sumdb/'.length, -'/latest'.length);
  let failure: ModgateError | undefined;
  const store = createStorageSumdbStore(storage, name, { onStorageFailure: (f) => (failure ??= f.error) });
  const swapped = await store.swapLatest(item.expected, item.data);
  if (failure !== undefined) throw failure;
  if (!swapped) {
    throw new ModgateError('STORAGE_ERROR', `import: the latest tree of ${name} changed while the bundle was being imported`, { hint: 'import the bundle again' });
  }
}

// Commits a verified bundle's staged files to storage: small files, then zips (their .ziphash
// first, the zip last, so a version is visible only when complete), then each database's latest
// tree head by compare-and-swap. Files already stored with the same content are not written, so
// importing a bundle twice changes nothing. (One place to switch to a storage staging operation.)
import { createHash } from 'node:crypto';
import { ModgateError } from '../errors/modgate-error.js';
import type { Storage } from '../storage/storage.js';
import { createStorageSumdbStore } from '../cache/storage-sumdb-store.js';
import type { StagedEntry } from './bundle-reader.js';
import { readStaged } from './bundle-reader.js';
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

const rank = (i: CommitItem): number => (i.kind === 'zip' ? 1 : i.kind === 'latest' ? 2 : 0);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Writes the plan; `onItem` reports progress. */
export async function commitPlan(storage: Storage, plan: readonly CommitItem[], onItem?: (done: number, total: number, key: string) => void): Promise<CommitResult> {
  const ordered = [...plan].sort((a, b) => rank(a) - rank(b));
  let written = 0;
  let writtenBytes = 0;
  let unchanged = 0;
  const changed = new Set<string>();
  const moduleOf = (key: string): string | undefined => (key.startsWith('sumdb/') ? undefined : unescapePath(key.slice(0, key.indexOf('/@v/'))));
  let done = 0;
  for (const item of ordered) {
    onItem?.(done++, ordered.length, item.key);
    let wrote = 0;
    if (item.kind === 'small' || item.kind === 'keep-existing') {
      const current = await storage.get(item.key);
      if (!current || (item.kind === 'small' && sha(current) !== item.entry.sha256)) {
        const data = await readStaged(item.entry);
        await storage.put(item.key, data);
        wrote = data.length;
      }
    } else if (item.kind === 'zip') {
      const hashKey = item.key.replace(/\.zip$/, '.ziphash');
      const st = await storage.stat(item.key);
      const storedHash = st ? (await storage.get(hashKey))?.toString('utf8').trim() : undefined;
      if (!st || st.size !== item.entry.size || storedHash !== item.h1) {
        await storage.put(hashKey, Buffer.from(item.h1));
        // Consumes the staged file (a rename when staging is on the storage's filesystem).
        await storage.putFile(item.key, item.entry.localPath);
        wrote = item.entry.size;
      }
    } else {
      const name = item.key.slice('sumdb/'.length, -'/latest'.length);
      const store = createStorageSumdbStore(storage, name);
      if (!(await store.swapLatest(item.expected, item.data))) {
        throw new ModgateError('STORAGE_ERROR', `import: the latest tree of ${name} changed while the bundle was being imported`, { hint: 'import the bundle again' });
      }
      wrote = item.data.length;
    }
    if (wrote > 0) {
      written++;
      writtenBytes += wrote;
      const m = moduleOf(item.key);
      if (m !== undefined) changed.add(m);
    } else unchanged++;
  }
  // Lists and @latest are derived from the stored versions: drop them so they are built again.
  for (const m of changed) {
    await storage.delete(listKey(m));
    await storage.delete(latestKey(m));
  }
  onItem?.(done, ordered.length, '');
  return { written, writtenBytes, unchanged, changedModules: [...changed] };
}

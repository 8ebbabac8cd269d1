// SumdbStore over modgate's Storage: verified tiles and lookups under `sumdb/<name>/` (the go
// command's cache layout, so a cache dir used as GOPROXY=file:// also serves the checksum DB),
// and the latest verified tree note, replaced only by compare-and-swap. When the store cannot take a
// write (full, read-only), verification goes on with what this process holds in memory; the failure
// is reported, never turned into a checksum database error.
import type { SumdbStore } from '../sumdb/sumdb-client.js';
import type { Storage } from '../storage/storage.js';
import { isStorageFailure } from '../storage/storage-errors.js';
import type { StorageFailure } from './module-cache.js';

/** The shape of a whole signed tree note (a torn read fails it). */
const SIGNED_TREE = /^go\.sum database tree\n\d+\n[A-Za-z0-9+/]{43}=\n(?:[^\n]*\n)*\n(?:\u2014 \S+ [A-Za-z0-9+/]+=*\n)+$/;

export function sumdbPrefix(name: string): string {
  return `sumdb/${name}/`;
}

export function createStorageSumdbStore(storage: Storage, name: string, opts: { readonly onStorageFailure?: (f: StorageFailure) => void } = {}): SumdbStore {
  const prefix = sumdbPrefix(name);
  /** A write that may fail with the store: reported, and verification goes on from memory. */
  const write = async (key: string, data: Buffer): Promise<void> => {
    try {
      await storage.put(key, data);
    } catch (err) {
      if (!isStorageFailure(err)) throw err;
      opts.onStorageFailure?.({ op: 'write', key, error: err });
    }
  };
  const latestKey = `${prefix}latest`;
  let chain: Promise<unknown> = Promise.resolve();
  /** Serialises swaps in this process (a distributed store adds a lock around it). */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };
  /**
   * The stored note; a read that looks torn (no signature block) is retried, since some
   * S3-compatible stores can expose an object while another replica replaces it.
   */
  const getLatest = async (): Promise<Buffer | undefined> => {
    for (let attempt = 0; ; attempt++) {
      const b = await storage.get(latestKey);
      if (b === undefined || SIGNED_TREE.test(b.toString('utf8')) || attempt >= 4) return b;
      await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
    }
  };
  return {
    get: (key) => storage.get(prefix + key),
    put: (key, data) => write(prefix + key, data),
    getLatest,
    swapLatest(expected, next) {
      return serial(async () => {
        const current = await getLatest();
        const same = current === undefined ? expected === undefined : expected !== undefined && current.equals(expected);
        if (!same) return false;
        await write(latestKey, next);
        // Mark the database as served here, like a proxy's /sumdb/<name>/supported.
        if (!(await storage.stat(`${prefix}supported`))) await write(`${prefix}supported`, Buffer.alloc(0));
        return true;
      });
    },
  };
}

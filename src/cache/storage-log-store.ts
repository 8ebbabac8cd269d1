// The LogStore of modgate's own checksum database over modgate's Storage (fs or S3): the log's
// tiles, index and signed tree head under `.modgate/own-sumdb/<name>/`, beside the cache.
import type { LogStore } from '../sumdb/log-store.js';
import type { Storage } from '../storage/storage.js';
import { STATE_PREFIX } from './cache-keys.js';

export function ownSumdbPrefix(name: string): string {
  return `${STATE_PREFIX}own-sumdb/${name}/`;
}

export function createStorageLogStore(storage: Storage, name: string): LogStore {
  const prefix = ownSumdbPrefix(name);
  return {
    get: (key) => storage.get(prefix + key),
    put: (key, data) => storage.put(prefix + key, data),
  };
}

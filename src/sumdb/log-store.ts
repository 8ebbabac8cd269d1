// The storage role of modgate's own checksum database: a small key → bytes store holding the
// log's tiles (`tile/8/L/NNN[.p/W]`, `tile/8/data/NNN[.p/W]`), its record index
// (`index/<escaped path>@<escaped version>` → `<id>\n<record text>`) and the signed tree head
// (`tree`). Wired to modgate's Storage outside src/sumdb; memoryLogStore() is for tests.

/** Bytes by key. Not-found contract: get() resolves undefined for a key never written. */
export interface LogStore {
  /** The bytes last put under key, or undefined when there are none. */
  get(key: string): Promise<Buffer | undefined>;
  /** Stores bytes under key atomically (readers see the old or the whole new value). */
  put(key: string, data: Buffer): Promise<void>;
}

/** Key of the signed tree head. */
export const TREE_KEY = 'tree';

/** Key of the index entry of an escaped `path@version`. */
export function indexKey(escapedPathAtVersion: string): string {
  return `index/${escapedPathAtVersion}`;
}

/** An in-memory LogStore (tests); `data` is exposed so tests can forge or damage entries. */
export function memoryLogStore(): LogStore & { readonly data: Map<string, Buffer> } {
  const data = new Map<string, Buffer>();
  return {
    data,
    get: (key) => Promise.resolve(data.has(key) ? Buffer.from(data.get(key)!) : undefined),
    put: (key, value) => {
      data.set(key, Buffer.from(value));
      return Promise.resolve();
    },
  };
}

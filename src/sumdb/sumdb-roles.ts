// The roles the checksum database client depends on: how it reaches a database (transport) and
// where it keeps verified state (store). Apart from the client so that its parts can share them.

export interface SumdbTransport {
  /** Throws ModgateError NOT_FOUND on 404/410, SUMDB_ERROR otherwise. */
  get(path: string): Promise<Buffer>;
}

/** Persistence for verified database state; implemented over modgate's Storage. */
export interface SumdbStore {
  /** The data stored under key, or undefined if there is none. */
  get(key: string): Promise<Buffer | undefined>;
  put(key: string, data: Buffer): Promise<void>;
  /** Atomically replace the latest verified tree note if it still equals `expected` (undefined = none); false if it changed meanwhile. */
  swapLatest(expected: Buffer | undefined, next: Buffer): Promise<boolean>;
  getLatest(): Promise<Buffer | undefined>;
}

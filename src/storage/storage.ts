// The Storage role: a flat key → bytes store with streaming reads/writes and atomic visibility.
// Drivers (fs, memory, s3) implement it and pass one compliance suite (storage-compliance.ts).
//
// Keys are '/'-separated relative paths (e.g. `github.com/!azure/x/@v/v1.0.0.zip`). The layout of
// module files mirrors the go command's `cache/download` tree, so an fs cache directory can be used
// directly as `GOPROXY=file://DIR`.
import type { Readable } from 'node:stream';

export interface ObjectStat {
  readonly size: number;
  /** Last modification time. */
  readonly modified: Date;
}

export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, inclusive. */
  readonly end: number;
}

/** Bytes written to a storage's staging area for one key: invisible to readers until committed. */
export interface StagedObject {
  /** A local file holding the staged bytes, readable (e.g. to check a zip) until commit or abort. */
  readonly path: string;
  readonly size: number;
  /** Makes the bytes visible under the key at once (same atomicity as put); consumes the staging. */
  commit(): Promise<void>;
  /** Discards the staged bytes; after commit (or a second abort) it does nothing. */
  abort(): Promise<void>;
}

export interface Storage {
  /** Human-readable description for logs and /readyz (never credentials). */
  readonly description: string;
  /** Whole object bytes, or undefined when the key does not exist. For small objects only. */
  get(key: string): Promise<Buffer | undefined>;
  /** A read stream (optionally of a byte range), or undefined when the key does not exist. */
  open(key: string, range?: ByteRange): Promise<Readable | undefined>;
  /** Size and time, or undefined when the key does not exist. */
  stat(key: string): Promise<ObjectStat | undefined>;
  /**
   * Writes an object atomically: readers see the previous object (or none) until the write has
   * completed, then the whole new object; a failed or aborted write leaves nothing visible.
   */
  put(key: string, data: Buffer | Readable): Promise<void>;
  /** Moves a complete local file into the store (same atomicity as put); the file is consumed. */
  putFile(key: string, localPath: string): Promise<void>;
  /**
   * Writes `data` to a staging area for `key` (fs: a temp file next to the target; others: a local
   * temp file) and hands it back for checking; nothing is visible under the key before commit(). A
   * failing `data` stream rejects with its own error and leaves nothing behind; a failing write
   * rejects with a storage error (see storage-errors.ts). A crash before commit leaves nothing
   * visible (fs temp files are skipped by list and removed by the start-up sweep).
   */
  stage(key: string, data: Readable, signal?: AbortSignal): Promise<StagedObject>;
  /** Removes an object; removing a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every key starting with `prefix` (which usually ends with '/'), in no particular order. */
  list(prefix: string): AsyncIterable<string>;
  /** A local file path for the key when the driver keeps files on local disk (fast path), else undefined. */
  localPath?(key: string): string | undefined;
  /**
   * A time-limited URL a client can GET the object from directly (S3 presigned URL), for redirecting
   * big zip downloads away from the proxy. Call it for a key known to exist: the URL is made
   * without a request, so for a missing key it leads to the store's own 404. Drivers without the
   * capability omit the method.
   */
  presignedUrl?(key: string): Promise<string>;
  /** Checks the store can be written (for /readyz); throws with a reason otherwise. */
  checkWritable(): Promise<void>;
}

/** Rejects keys that could escape the store's root or are not plain relative paths. */
export function assertSafeKey(key: string): void {
  if (
    key === '' ||
    key.startsWith('/') ||
    key.includes('\\') ||
    key.includes('\0') ||
    key.split('/').some((part) => part === '' || part === '.' || part === '..')
  ) {
    throw new Error(`unsafe storage key ${JSON.stringify(key)}`);
  }
}

// What the cache hands the http layer: metadata (size, time, validator, how it was found) and a way
// to open the bytes (a byte range of them, or a redirect URL where the storage offers one). The
// http layer never sees a storage key: a stored file removed between lookup and open (GC, a purge
// on another replica, an operator) is looked up again here, once, not by the caller. A stored zip
// with a copy in memory (zip-memory.ts) is opened as that buffer, not as a file stream.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ModgateError } from '../errors/modgate-error.js';
import type { ByteRange, ObjectStat, Storage } from '../storage/storage.js';
import type { ZipMemory } from './zip-memory.js';

export type { ByteRange } from '../storage/storage.js';

export type CacheStatus = 'hit' | 'miss' | 'stale' | 'negative' | 'bypass';

/** The bytes opened: a stream, or (in memory) a buffer. */
export type OpenedBytes = { readonly stream: Readable; readonly bytes?: undefined } | { readonly bytes: Buffer; readonly stream?: undefined };

/** The bytes of a cached object (or of the range asked for), opened, with the metadata of what was actually opened. */
export type OpenedObject = OpenedBytes & {
  /** The whole object's size. */
  readonly size: number;
  readonly modified: Date;
  readonly etag: string;
  /** How the bytes were found in the end (a vanished file fetched again is a miss). */
  readonly cache: CacheStatus;
  readonly source: string;
};

export interface CachedObject {
  /** The bytes, for small files (and for verified files that could not be stored); else undefined. */
  readonly body: Buffer | undefined;
  readonly size: number;
  readonly modified: Date;
  readonly cache: CacheStatus;
  /** 'cache' or the name of the upstream that answered. */
  readonly source: string;
  readonly immutable: boolean;
  /** Why a stale answer was served (the upstream failure), when it was. */
  readonly staleReason?: string;
  /** Strong validator, computed once per object. */
  readonly etag: string;
  /** Opens the bytes (a range: first and last byte, inclusive, within size). */
  open(range?: ByteRange): Promise<OpenedObject>;
  /** A URL the client may GET the bytes from directly (presigned S3 URL) when redirects are on. */
  redirectUrl(): Promise<string | undefined>;
  /**
   * The whole bytes when a copy is held in memory and the store still holds that file (zips,
   * zip-memory.ts); undefined = not held (open() streams or reads it). Never reads the bytes.
   */
  readonly memoryCopy?: () => Promise<Buffer | undefined>;
}

export interface ObjectSource {
  readonly cache: CacheStatus;
  readonly source: string;
}

const noRedirect = (): Promise<undefined> => Promise.resolve(undefined);

export function etagOfBytes(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** An object whose bytes are in memory. */
export function objectFromBytes(body: Buffer, how: ObjectSource, immutable: boolean, modified: Date): CachedObject {
  const etag = etagOfBytes(body);
  return {
    body,
    size: body.length,
    modified,
    immutable,
    etag,
    ...how,
    open: (range) => Promise.resolve({ bytes: range ? body.subarray(range.start, range.end + 1) : body, size: body.length, modified, etag, ...how }),
    redirectUrl: noRedirect,
  };
}

export interface StoredObjectOptions {
  readonly storage: Storage;
  readonly key: string;
  readonly stat: ObjectStat;
  readonly how: ObjectSource;
  /** Offer presigned URLs (when the storage can make them). */
  readonly redirect: boolean;
  /** Looks the object up again after it vanished (no second retry); omitted = report it. */
  readonly lookAgain?: () => Promise<CachedObject>;
  /** Copies of stored zips in memory: opened from there, read into it when it has room. */
  readonly memory?: ZipMemory;
}

/** An immutable object kept in storage, streamed from there when opened (or from its copy in memory). */
export function storedObject(opts: StoredObjectOptions): CachedObject {
  const { storage, key, stat, how, memory } = opts;
  const etag = `"${stat.size.toString(16)}-${stat.modified.getTime().toString(16)}"`;
  /**
   * The zip's copy in memory (read into it when there is room), while the store still holds the
   * same file (a stat per open: a file removed or replaced behind the cache's back is opened, and
   * so looked up again, as without the copy).
   */
  const stillStored = async (m: ZipMemory, held: Buffer): Promise<Buffer | undefined> => {
    const now = await storage.stat(key);
    if (now && now.size === stat.size && now.modified.getTime() === stat.modified.getTime()) return held;
    m.drop(key);
    return undefined;
  };
  const inMemory = async (m: ZipMemory): Promise<Buffer | undefined> => {
    const held = m.get(key, stat);
    return held === undefined ? m.load(key, stat, () => storage.get(key)) : stillStored(m, held);
  };
  return {
    body: undefined,
    size: stat.size,
    modified: stat.modified,
    immutable: true,
    etag,
    ...how,
    async open(range) {
      const bytes = memory && (await inMemory(memory));
      if (bytes) return { bytes: range ? bytes.subarray(range.start, range.end + 1) : bytes, size: stat.size, modified: stat.modified, etag, ...how };
      const stream = await storage.open(key, range);
      if (stream) return { stream, size: stat.size, modified: stat.modified, etag, ...how };
      if (opts.lookAgain) return (await opts.lookAgain()).open(range);
      throw new ModgateError('STORAGE_ERROR', `cached file ${key} disappeared while being served`, { details: { vanished: key } });
    },
    redirectUrl: opts.redirect && storage.presignedUrl ? () => storage.presignedUrl!(key) : noRedirect,
    ...(memory
      ? {
          memoryCopy: () => {
            const held = memory.get(key, stat);
            return held === undefined ? Promise.resolve(undefined) : stillStored(memory, held);
          },
        }
      : {}),
  };
}

// S3 storage driver (AWS S3 or any S3-compatible server): one object per key under an optional
// prefix, with the fs driver's key layout. S3 makes an object visible only when its PUT or its
// multipart completion succeeds, which gives the Storage contract's atomicity; a failed source
// stream aborts the multipart upload so nothing is left. Connection failures and 5xx answers become
// STORAGE_UNAVAILABLE; a missing key is `undefined`, as the contract says.
import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import pLimit from 'p-limit';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ModgateError } from '../errors/modgate-error.js';
import type { ByteRange, ObjectStat, Storage } from './storage.js';
import type { OpenedStorage, StorageSettings } from './storage-driver.js';
import { assertSafeKey } from './storage.js';
import { defaultStagingDir, stageLocally } from './local-staging.js';

export interface S3StorageOptions {
  readonly bucket: string;
  /** Key prefix inside the bucket (no leading/trailing '/' needed); default none. */
  readonly prefix?: string;
  /** Endpoint of an S3-compatible server (e.g. http://minio:9000); default AWS. */
  readonly endpoint?: string;
  /** Default: the AWS chain (AWS_REGION, profile), else us-east-1. */
  readonly region?: string;
  /** Path-style URLs (endpoint/bucket/key), needed by most S3-compatible servers; default false. */
  readonly forcePathStyle?: boolean;
  /** Static credentials; default the standard AWS chain (env, profile, IMDS, web identity). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Lifetime of presigned download URLs; default 300 seconds. */
  readonly presignTtlSeconds?: number;
  /** SDK attempts per request (retries with backoff on throttling, 5xx, connection errors); default 3. */
  readonly maxAttempts?: number;
  /** Keys per ListObjectsV2 page (1..1000); default 1000. */
  readonly listPageSize?: number;
  /** Local directory where staged bytes wait for commit (then uploaded); default under the OS temp dir. */
  readonly stagingDir?: string;
  /** Multipart part size in bytes (min 5 MiB); memory use is about 4 × this per upload; default 8 MiB. */
  readonly partSize?: number;
}

export type S3Storage = Storage & { presignedUrl(key: string): Promise<string>; readonly client: S3Client };

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(err: unknown): number | undefined {
  return (err as SdkError | undefined)?.$metadata?.httpStatusCode;
}

function isMissing(err: unknown): boolean {
  const name = (err as SdkError | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || statusOf(err) === 404;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function isUnavailable(err: unknown): boolean {
  const e = err as SdkError | undefined;
  const status = statusOf(err);
  if (status !== undefined) return status >= 500 || status === 429;
  return (e?.code !== undefined && CONNECTION_CODES.has(e.code)) || e?.name === 'TimeoutError';
}

/** Reads of a small object's body before its failure is reported (see get). */
const GET_BODY_ATTEMPTS = 3;

/** Strips user info and query from an endpoint URL for descriptions and messages. */
function safeEndpoint(endpoint: string): string {
  try {
    const u = new URL(endpoint);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(invalid endpoint)';
  }
}

export function createS3Storage(opts: S3StorageOptions): S3Storage {
  const base = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const bucket = opts.bucket;
  const where = `s3://${bucket}${base ? `/${base}` : ''}${opts.endpoint ? ` at ${safeEndpoint(opts.endpoint)}` : ''}`;
  const config: S3ClientConfig = {
    region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: opts.forcePathStyle ?? false,
    maxAttempts: opts.maxAttempts ?? 3,
    // The connection timeout measures connecting only: commands queue in front (below), so none
    // waits in the agent's socket queue while the timer runs (a burst then answers later, not 503).
    requestHandler: { connectionTimeout: 5_000, httpAgent: { maxSockets: Infinity }, httpsAgent: { maxSockets: Infinity } },
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    // S3-compatible servers often reject the SDK's default trailing CRC checksums (aws-chunked bodies).
    ...(opts.endpoint ? { endpoint: opts.endpoint, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  };
  const client = new S3Client(config);
  // At most 64 S3 commands in flight; the rest wait here, where no SDK timer runs. A GET holds its
  // slot until its response headers arrive, not while its body streams.
  const limit = pLimit(64);
  client.middlewareStack.add((next) => (args) => limit(() => next(args)), { step: 'initialize', name: 'modgateConcurrencyLimit' });
  const objectKey = (key: string): string => {
    assertSafeKey(key);
    return base ? `${base}/${key}` : key;
  };

  /** Maps SDK failures to ModgateError codes; `undefined` for a missing key where that is asked for. */
  function fail(err: unknown, op: string, key: string): never {
    if (err instanceof ModgateError) throw err;
    const status = statusOf(err);
    const what = `s3 ${op} ${key} (${where})`;
    const reason = err instanceof Error ? err.message : String(err);
    if (isUnavailable(err)) {
      throw new ModgateError('STORAGE_UNAVAILABLE', `${what}: ${reason}`, {
        hint: 'Check that the S3 endpoint is reachable and healthy.',
        cause: err,
        details: { status },
      });
    }
    throw new ModgateError('STORAGE_ERROR', `${what}: ${reason}`, {
      hint: status === 403 ? 'Check the S3 credentials and the bucket policy.' : 'Check the bucket name, region and endpoint settings.',
      cause: err,
      details: { status },
    });
  }

  async function getObject(key: string, range?: ByteRange): Promise<Readable | undefined> {
    try {
      const res = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: objectKey(key), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      return res.Body as Readable;
    } catch (err) {
      if (isMissing(err)) return undefined;
      return fail(err, 'get', key);
    }
  }

  async function upload(key: string, body: Buffer | Readable): Promise<void> {
    const k = objectKey(key);
    let sourceError: Error | undefined;
    if (!Buffer.isBuffer(body)) body.once('error', (err) => (sourceError ??= err));
    const up = new Upload({
      client,
      params: { Bucket: bucket, Key: k, Body: body },
      partSize: Math.max(opts.partSize ?? 8 * 1024 * 1024, 5 * 1024 * 1024),
      queueSize: 4,
      leavePartsOnError: false,
    });
    try {
      await up.done();
    } catch (err) {
      // A failing source is the real cause (the multipart upload was aborted because of it).
      if (sourceError !== undefined) throw sourceError;
      if (!Buffer.isBuffer(body)) body.destroy();
      fail(err, 'put', key);
    }
  }

  async function remove(key: string): Promise<void> {
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
    } catch (err) {
      if (!isMissing(err)) fail(err, 'delete', key);
    }
  }

  return {
    description: where,
    client,
    async get(key) {
      // The SDK retries a command only until its response headers; a small object whose body is
      // cut off (connection reset or aborted while the endpoint is busy) is read again, up to
      // GET_BODY_ATTEMPTS times, so a burst gets a later answer rather than a 503.
      for (let attempt = 1; ; attempt++) {
        const stream = await getObject(key);
        if (!stream) return undefined;
        try {
          const chunks: Buffer[] = [];
          for await (const c of stream) chunks.push(c as Buffer);
          return Buffer.concat(chunks);
        } catch (err) {
          if (attempt < GET_BODY_ATTEMPTS && isUnavailable(err)) continue;
          fail(err, 'get', key);
        }
      }
    },
    open: getObject,
    async stat(key): Promise<ObjectStat | undefined> {
      try {
        const res = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: objectKey(key) }));
        return { size: res.ContentLength ?? 0, modified: res.LastModified ?? new Date(0) };
      } catch (err) {
        if (isMissing(err)) return undefined;
        return fail(err, 'stat', key);
      }
    },
    put: upload,
    async putFile(key, localPath) {
      objectKey(key);
      await upload(key, createReadStream(localPath));
      await unlink(localPath);
    },
    async stage(key, data, signal) {
      objectKey(key);
      return stageLocally({ dir: opts.stagingDir ?? defaultStagingDir(), key, data, signal, publish: (path) => upload(key, createReadStream(path)) });
    },
    delete: remove,
    async *list(prefix) {
      const full = base ? `${base}/${prefix}` : prefix;
      const strip = base ? base.length + 1 : 0;
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: full,
              MaxKeys: opts.listPageSize ?? 1000,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
        } catch (err) {
          fail(err, 'list', prefix);
        }
        for (const obj of page.Contents ?? []) {
          if (obj.Key !== undefined && obj.Key.length > strip) yield obj.Key.slice(strip);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async presignedUrl(key) {
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: objectKey(key) }), {
        expiresIn: opts.presignTtlSeconds ?? 300,
      });
    },
    async checkWritable() {
      const probe = `.modgate-probe-${randomBytes(6).toString('hex')}`;
      await upload(probe, Buffer.from('probe'));
      await remove(probe);
    },
  };
}

/** The storage registry's opener: `s3://BUCKET[/PREFIX]` with the s3* settings. */
export async function openS3Storage(location: string, settings: StorageSettings): Promise<OpenedStorage> {
  const slash = location.indexOf('/');
  const bucket = slash >= 0 ? location.slice(0, slash) : location;
  const prefix = slash >= 0 ? location.slice(slash + 1).replace(/^\/+|\/+$/g, '') : '';
  return {
    storage: createS3Storage({
      bucket,
      ...(prefix ? { prefix } : {}),
      ...(settings.s3Endpoint ? { endpoint: settings.s3Endpoint } : {}),
      region: settings.s3Region,
      forcePathStyle: settings.s3ForcePathStyle,
    }),
  };
}

// The child-process side of test/support/s3-server.ts: runs s3rver on 127.0.0.1 (random port)
// over the directory given as argv[2], prints {"port":N} on stdout once listening, and exits when
// its stdin closes (the parent went away) or on SIGTERM. s3rver's filesystem store writes objects
// in place; S3 makes an object visible only when its PUT (or multipart completion) has finished, so
// the store's writes are wrapped to go through a temp file and a rename (S3's atomicity).
// Needs `node --openssl-legacy-provider`: s3rver encrypts list continuation tokens with DES.
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

interface S3rverObject {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: Record<string, string>;
}

interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
}

interface S3rverInstance {
  store: S3rverStore;
  httpServer?: Server;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const require = createRequire(import.meta.url);

/** Writes `data` to `target` through a temp file in `tmpDir` and a rename. */
async function atomicWrite(tmpDir: string, target: string, data: Buffer | Readable): Promise<{ size: number; md5: string }> {
  const tmp = join(tmpDir, randomBytes(8).toString('hex'));
  const md5 = createHash('md5');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(Buffer.isBuffer(data) ? Readable.from([data]) : data, count, createWriteStream(tmp));
    await mkdir(dirname(target), { recursive: true });
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { size, md5: md5.digest('hex') };
}

function makeStoreAtomic(store: S3rverStore, tmpDir: string): void {
  const putMetadata = store.putMetadata.bind(store);
  store.putObject = async (object) => {
    const target = store.getResourcePath(object.bucket, object.key, 'object');
    const result = await atomicWrite(tmpDir, target, object.content);
    await putMetadata(object.bucket, object.key, object.metadata);
    // The md5 file last, atomically: it only feeds the ETag.
    const md5Tmp = join(tmpDir, randomBytes(8).toString('hex'));
    await writeFile(md5Tmp, result.md5);
    await rename(md5Tmp, store.getResourcePath(object.bucket, object.key, 'object.md5'));
    return result;
  };
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  const bucket = process.argv[3];
  if (!dir || !bucket) throw new Error('usage: s3rver-child.ts DIR BUCKET');
  const S3rver = require('s3rver') as S3rverClass;
  const dataDir = join(dir, 'data');
  const tmpDir = join(dir, 'incoming');
  await mkdir(dataDir, { recursive: true });
  await mkdir(tmpDir, { recursive: true });
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dataDir, configureBuckets: [{ name: bucket, configs: [] }] });
  makeStoreAtomic(server.store, tmpDir);
  const address = await server.run();
  const shutdown = () => {
    server.httpServer?.closeAllConnections();
    process.exit(0);
  };
  process.stdin.on('end', shutdown).resume();
  process.once('SIGTERM', shutdown);
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
}

await main();

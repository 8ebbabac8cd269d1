// The S3 driver against the shared storage compliance suite (s3rver on loopback, with and without a
// key prefix), plus what only S3 has: list pagination, presigned URLs, unavailable-endpoint errors,
// and a burst of slow commands answering late rather than timing out (issue 14 item 16).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { isModgateError } from '../errors/modgate-error.js';
import { startS3Server, type S3TestServer } from '../../test/support/s3-server.js';
import { startForwarder } from '../../test/support/switchable-forwarder.js';
import { createS3Storage, type S3StorageOptions } from './s3-storage.js';
import { runStorageCompliance } from './storage-compliance.js';

let server: S3TestServer;
before(async () => {
  server = await startS3Server();
});
after(async () => {
  await server.stop();
});

function storageFor(extra: Partial<S3StorageOptions> = {}) {
  return createS3Storage({
    bucket: server.bucket,
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    ...extra,
  });
}

/** Each case gets its own prefix, so cases never see each other's objects. */
async function emptyAll(prefix: string): Promise<void> {
  const s = storageFor({ prefix });
  for await (const k of s.list('')) await s.delete(k);
  s.client.destroy();
}

runStorageCompliance('s3', async () => {
  // The bucket root is shared by the unprefixed cases: they run one at a time and clean up.
  const storage = storageFor();
  return { storage, cleanup: async () => { await emptyAll(''); storage.client.destroy(); } };
});

runStorageCompliance('s3 with a prefix', async () => {
  const prefix = `tenant-${randomBytes(4).toString('hex')}/cache`;
  const storage = storageFor({ prefix });
  return { storage, cleanup: async () => { await emptyAll(prefix); storage.client.destroy(); } };
});

test('s3: list follows continuation tokens across pages', async () => {
  const s = storageFor({ prefix: 'paged', listPageSize: 2 });
  const keys = Array.from({ length: 5 }, (_, i) => `p.com/m/@v/v1.0.${i}.mod`);
  for (const k of keys) await s.put(k, Buffer.from(k));
  const seen: string[] = [];
  for await (const k of s.list('p.com/')) seen.push(k);
  assert.deepEqual(seen.sort(), keys);
  await emptyAll('paged');
  s.client.destroy();
});

test('s3: a presigned URL downloads the object without credentials', async () => {
  const s = storageFor({ prefix: 'presign', presignTtlSeconds: 60 });
  await s.put('p.com/m/@v/v1.0.0.zip', Buffer.from('zip bytes'));
  const url = await s.presignedUrl('p.com/m/@v/v1.0.0.zip');
  assert.ok(url.startsWith(`${server.endpoint}/${server.bucket}/presign/p.com/m/`) && url.includes('X-Amz-Signature='));
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'zip bytes');
  await emptyAll('presign');
  s.client.destroy();
});

test('s3: an unreachable endpoint is STORAGE_UNAVAILABLE, never a not-found', async () => {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const s = createS3Storage({
    bucket: 'b',
    endpoint: `http://user:secret@127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
  assert.ok(!s.description.includes('secret'));
  for (const op of [() => s.get('a/b'), () => s.stat('a/b'), () => s.put('a/b', Buffer.from('x')), () => s.checkWritable()]) {
    await assert.rejects(op(), (err) => isModgateError(err, 'STORAGE_UNAVAILABLE') && !err.message.includes('secret'));
  }
  s.client.destroy();
});

test('s3: a missing bucket is a STORAGE_ERROR with a hint', async () => {
  const s = storageFor({ bucket: 'no-such-bucket' });
  await assert.rejects(s.checkWritable(), (err) => isModgateError(err, 'STORAGE_ERROR') && err.hint !== undefined);
  s.client.destroy();
});

test('s3: a burst of slow commands waits its turn and succeeds, never timing out in a socket queue', async () => {
  // 320 commands, each answered 1.2 s late: with the SDK's own 50-socket agent queue, those waiting
  // more than the 5 s connection timeout for a socket failed (STORAGE_UNAVAILABLE → 503 under a cold
  // burst); queued in front of the SDK, every one succeeds, later.
  const seed = storageFor({ prefix: 'burst' });
  await seed.put('b.com/m/@v/v1.0.0.mod', Buffer.from('module b.com/m\n'));
  seed.client.destroy();
  const fwd = await startForwarder(server.endpoint);
  const s = storageFor({ prefix: 'burst', endpoint: fwd.url, maxAttempts: 1 });
  try {
    fwd.setFault({ delayMs: 1200 });
    const outcomes = await Promise.all(Array.from({ length: 320 }, () => s.stat('b.com/m/@v/v1.0.0.mod').then((st) => (st ? 'found' : 'missing'), (err: Error) => err.message)));
    const failed = outcomes.filter((o) => o !== 'found');
    assert.deepEqual([...new Set(failed)], [], `${failed.length} of 320 failed`);
    assert.equal(fwd.faulted, 320);
  } finally {
    s.client.destroy();
    await fwd.stop();
    await emptyAll('burst');
  }
});

test('s3: a small object whose body is cut off mid-way is read again, not reported as a failure', async () => {
  const seed = storageFor({ prefix: 'cut' });
  const data = Buffer.alloc(64 * 1024, 'x');
  await seed.put('c.com/m/@v/v1.0.0.mod', data);
  seed.client.destroy();
  const fwd = await startForwarder(server.endpoint);
  const s = storageFor({ prefix: 'cut', endpoint: fwd.url });
  try {
    fwd.setFault({ method: 'GET', cutBody: true, times: 2 });
    assert.deepEqual(await s.get('c.com/m/@v/v1.0.0.mod'), data);
    assert.equal(fwd.faulted, 2, 'both cut answers were read again');
    fwd.setFault({ method: 'GET', cutBody: true });
    await assert.rejects(s.get('c.com/m/@v/v1.0.0.mod'), (err: Error & { code?: string }) => err.code === 'STORAGE_UNAVAILABLE');
  } finally {
    s.client.destroy();
    await fwd.stop();
    await emptyAll('cut');
  }
});

// The one compliance suite every Storage driver must pass; a driver's own test file is one call:
//   runStorageCompliance('fs', async () => ({ storage, cleanup }))
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { mkdtemp, writeFile, access, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from './storage.js';
import { harness } from '../testing/harness.js';
import { ModgateError } from '../errors/modgate-error.js';
import { isStorageFailure } from './storage-errors.js';

export interface StorageUnderTest {
  readonly storage: Storage;
  cleanup(): Promise<void>;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function keysOf(storage: Storage, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of storage.list(prefix)) out.push(k);
  return out.sort();
}

export function runStorageCompliance(name: string, make: () => Promise<StorageUnderTest>): void {
  const run = harness(make);
  const withStorage = (fn: (s: Storage) => Promise<void>) => run((u) => u.storage, fn);

  void describe(`storage compliance: ${name}`, () => {
    void test('missing keys: get/open/stat answer undefined, delete is a no-op', withStorage(async (s) => {
      assert.equal(await s.get('example.com/m/@v/v1.0.0.mod'), undefined);
      assert.equal(await s.open('example.com/m/@v/v1.0.0.mod'), undefined);
      assert.equal(await s.stat('example.com/m/@v/v1.0.0.mod'), undefined);
      await s.delete('example.com/m/@v/v1.0.0.mod');
    }));

    void test('put a buffer, read it back whole, as a stream, as a range, and stat it', withStorage(async (s) => {
      const key = 'example.com/!azure/m/@v/v1.0.0.info';
      const body = Buffer.from('{"Version":"v1.0.0","Time":"2020-01-01T00:00:00Z"}');
      await s.put(key, body);
      assert.deepEqual(await s.get(key), body);
      const st = await s.stat(key);
      assert.equal(st?.size, body.length);
      assert.ok(st && st.modified instanceof Date);
      const stream = await s.open(key);
      assert.ok(stream);
      assert.deepEqual(await readAll(stream), body);
      const part = await s.open(key, { start: 2, end: 10 });
      assert.ok(part);
      assert.deepEqual(await readAll(part), body.subarray(2, 11));
    }));

    void test('put a stream of many chunks (1 MiB+) and overwrite replaces the whole object', withStorage(async (s) => {
      const key = 'example.com/m/@v/v1.0.0.zip';
      const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(65536, i));
      await s.put(key, Readable.from(chunks));
      assert.deepEqual(await s.get(key), Buffer.concat(chunks));
      await s.put(key, Buffer.from('short'));
      assert.deepEqual(await s.get(key), Buffer.from('short'));
    }));

    void test('a failing source stream leaves nothing visible and the old object intact', withStorage(async (s) => {
      const key = 'example.com/m/@v/v2.0.0.zip';
      async function* failing() {
        yield Buffer.alloc(1000, 1);
        await Promise.resolve();
        throw new Error('connection reset');
      }
      await assert.rejects(s.put(key, Readable.from(failing())), /connection reset/);
      assert.equal(await s.stat(key), undefined);
      assert.deepEqual(await keysOf(s, 'example.com/m/'), []);
      await s.put(key, Buffer.from('old'));
      await assert.rejects(s.put(key, Readable.from(failing())), /connection reset/);
      assert.deepEqual(await s.get(key), Buffer.from('old'));
    }));

    void test('a large stream (several multipart parts) round-trips; one failing midway leaves nothing', withStorage(async (s) => {
      const key = 'example.com/big/@v/v1.0.0.zip';
      const chunk = (i: number) => Buffer.alloc(1024 * 1024, i);
      async function* big(n: number, failAt?: number) {
        for (let i = 0; i < n; i++) {
          if (i === failAt) throw new Error('upstream went away');
          yield chunk(i);
          await Promise.resolve();
        }
      }
      await assert.rejects(s.put(key, Readable.from(big(20, 18))), /upstream went away/);
      assert.equal(await s.stat(key), undefined);
      assert.deepEqual(await keysOf(s, 'example.com/big/'), []);
      await s.put(key, Readable.from(big(20)));
      assert.equal((await s.stat(key))?.size, 20 * 1024 * 1024);
      const tail = await s.open(key, { start: 19 * 1024 * 1024 - 2, end: 19 * 1024 * 1024 + 1 });
      assert.ok(tail);
      assert.deepEqual(await readAll(tail), Buffer.from([18, 18, 19, 19]));
    }));

    void test('putFile moves a local file in', withStorage(async (s) => {
      const dir = await mkdtemp(join(tmpdir(), 'modgate-putfile-'));
      const file = join(dir, 'upload');
      await writeFile(file, 'zip bytes');
      await s.putFile('example.com/m/@v/v1.0.0.zip', file);
      assert.deepEqual(await s.get('example.com/m/@v/v1.0.0.zip'), Buffer.from('zip bytes'));
      await assert.rejects(access(file));
    }));

    void test('list yields exactly the keys under a prefix', withStorage(async (s) => {
      for (const k of ['a.com/x/@v/list', 'a.com/x/@v/v1.0.0.mod', 'a.com/xy/@v/list', 'b.com/y/@v/list']) {
        await s.put(k, Buffer.from(k));
      }
      assert.deepEqual(await keysOf(s, 'a.com/x/'), ['a.com/x/@v/list', 'a.com/x/@v/v1.0.0.mod']);
      assert.deepEqual(await keysOf(s, 'a.com/x'), ['a.com/x/@v/list', 'a.com/x/@v/v1.0.0.mod', 'a.com/xy/@v/list']);
      assert.equal((await keysOf(s, '')).length, 4);
      await s.delete('a.com/x/@v/list');
      assert.deepEqual(await keysOf(s, 'a.com/x/'), ['a.com/x/@v/v1.0.0.mod']);
    }));

    void test('unsafe keys are refused', withStorage(async (s) => {
      for (const bad of ['../etc/passwd', '/abs', 'a/../../b', 'a//b', 'a/./b', '']) {
        await assert.rejects(s.put(bad, Buffer.from('x')), /unsafe storage key/);
        await assert.rejects(s.get(bad), /unsafe storage key/);
      }
    }));

    void test('concurrent puts of one key leave one complete object', withStorage(async (s) => {
      const key = 'example.com/race/@v/v1.0.0.zip';
      const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(200_000, i + 1));
      await Promise.all(bodies.map((b) => s.put(key, Readable.from([b.subarray(0, 100_000), b.subarray(100_000)]))));
      const got = await s.get(key);
      assert.ok(got && bodies.some((b) => b.equals(got)));
    }));

    void test('staging: nothing is visible before commit; the staged file holds the bytes; commit publishes', withStorage(async (s) => {
      const key = 'example.com/stage/@v/v1.0.0.zip';
      await s.put(key, Buffer.from('old'));
      const body = Buffer.concat(Array.from({ length: 4 }, (_, i) => Buffer.alloc(300_000, i + 1)));
      const staged = await s.stage(key, Readable.from([body.subarray(0, 500_000), body.subarray(500_000)]));
      assert.equal(staged.size, body.length);
      assert.deepEqual(await readFile(staged.path), body);
      assert.deepEqual(await s.get(key), Buffer.from('old'));
      assert.deepEqual(await keysOf(s, 'example.com/stage/'), [key]);
      await staged.commit();
      assert.deepEqual(await s.get(key), body);
      assert.equal((await s.stat(key))?.size, body.length);
      assert.deepEqual(await keysOf(s, 'example.com/stage/'), [key]);
      await assert.rejects(access(staged.path));
      await staged.commit(); // a second commit does nothing
      await staged.abort(); // nor does an abort after commit
      assert.deepEqual(await s.get(key), body);
    }));

    void test('staging: abort leaves nothing, and a staging never committed (a crash) is never visible', withStorage(async (s) => {
      const key = 'example.com/stage/@v/v2.0.0.zip';
      const staged = await s.stage(key, Readable.from([Buffer.from('aborted bytes')]));
      await staged.abort();
      await assert.rejects(access(staged.path));
      assert.equal(await s.stat(key), undefined);
      assert.deepEqual(await keysOf(s, 'example.com/stage/'), []);
      await s.stage(key, Readable.from([Buffer.from('never committed')])); // the process "crashes" here
      assert.equal(await s.get(key), undefined);
      assert.equal(await s.open(key), undefined);
      assert.deepEqual(await keysOf(s, 'example.com/stage/'), []);
    }));

    void test('staging: a failing source rejects with its own error and leaves nothing', withStorage(async (s) => {
      const key = 'example.com/stage/@v/v3.0.0.zip';
      async function* failing() {
        yield Buffer.alloc(100_000, 7);
        await Promise.resolve();
        // an errno-like source error (a socket reset) is still the source's, not a storage failure
        throw Object.assign(new Error('upstream reset'), { code: 'ECONNRESET', syscall: 'read' });
      }
      await assert.rejects(s.stage(key, Readable.from(failing())), (err: Error) => err.message === 'upstream reset');
      assert.equal(await s.stat(key), undefined);
      assert.deepEqual(await keysOf(s, 'example.com/stage/'), []);
    }));

    void test('staging: an aborted staging (a shutdown) rejects with the abort, not as a storage failure', withStorage(async (s) => {
      const key = 'example.com/stage/@v/v4.0.0.zip';
      const controller = new AbortController();
      async function* slow() {
        yield Buffer.alloc(100_000, 7);
        controller.abort(new ModgateError('SHUTTING_DOWN', 'modgate is shutting down'));
        await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
        yield Buffer.alloc(100_000, 8);
      }
      await assert.rejects(s.stage(key, Readable.from(slow()), controller.signal), (err: unknown) => {
        assert.equal(isStorageFailure(err), false, `reported as a storage failure: ${String(err)}`);
        return true;
      });
      assert.equal(await s.stat(key), undefined);
      assert.deepEqual(await keysOf(s, 'example.com/stage/'), []);
    }));

    void test('checkWritable succeeds on a working store', withStorage(async (s) => {
      await s.checkWritable();
    }));
  });
}

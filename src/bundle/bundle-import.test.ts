// The importer in process, on small bundles exported from a few tiny modules and Go's test checksum
// database (test/support/small-bundle.ts): a tampered zip, a tampered record, a forged tree head and
// a tree inconsistent with the importer's known tree are refused with a report naming the file and
// both hashes, storage byte-for-byte unchanged; the commit goes through Storage staging, so a write
// that fails leaves nothing visible, and an import into S3 storage (s3rver) is complete, repeatable
// and all-or-nothing too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashZipGo, startSumdb, type SumdbServer } from '../../test/support/gohelper.js';
import { startS3Server, type S3TestServer } from '../../test/support/s3-server.js';
import { hashTree, readBundle, setEntry, tamperRecord, writeBundle, type BundleContents } from '../../test/support/bundle-rewrite.js';
import { exportSmall, writeSmallModules } from '../../test/support/small-bundle.js';
import { readZipEntries } from '../../test/support/zip-tamper.js';
import { buildZip } from '../zip/zip-test-writer.js';
import { generateKey, parseSignerKey, signNote } from '../sumdb/note.js';
import { createFsStorage } from '../storage/fs-storage.js';
import { createS3Storage } from '../storage/s3-storage.js';
import { storageError } from '../storage/storage-errors.js';
import { isModgateError } from '../errors/modgate-error.js';
import type { Storage } from '../storage/storage.js';
import { importBundle, type ImportReport } from './bundle-import.js';

let work: string;
let modules: string;
let sumdb: SumdbServer;
let s3: S3TestServer;
/** Three versions; the importer's storage `known` has imported it. */
let b1: string;
let known: string;

const FIRST = ['example.com/small/a@v1.0.0', 'example.com/small/a@v1.1.0', 'example.com/small/b@v0.1.0'];

const importInto = (file: string, storage: Storage): Promise<ImportReport> =>
  importBundle({ input: createReadStream(file), storage, databases: [{ name: sumdb.name, vkey: sumdb.vkey }], tempDir: work });

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'modgate-bundle-import-'));
  modules = join(work, 'modules');
  await writeSmallModules(modules);
  [sumdb, s3] = await Promise.all([startSumdb({ proxyDir: modules, keyFile: join(work, 'sumdb.key') }), startS3Server()]);
  b1 = join(work, 'b1.tgz');
  await exportSmall({ dir: modules, sumdb, modules: FIRST, out: b1, tempDir: work });
  known = join(work, 'known');
  const first = await importInto(b1, createFsStorage(known));
  assert.equal(first.status, 'imported', JSON.stringify(first.problems));
});

after(async () => {
  await sumdb?.stop();
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Imports a changed copy of b1 into dir; asserts it is refused, dir unchanged; returns the problems. */
async function refused(name: string, mutate: (b: BundleContents) => Promise<void> | void, dir = known): Promise<ImportReport['problems']> {
  const b = await readBundle(b1);
  await mutate(b);
  const file = join(work, `${name}.tgz`);
  await writeBundle(b, file);
  const before = await hashTree(dir);
  const r = await importInto(file, createFsStorage(dir));
  assert.equal(r.status, 'refused', `${name}: ${JSON.stringify(r)}`);
  assert.equal(r.written, 0);
  assert.deepEqual(await hashTree(dir), before, `${name}: storage changed`);
  return r.problems;
}

test('a tampered zip, a tampered record, a forged tree head and an inconsistent tree are refused; storage unchanged', async () => {
  // A zip with one file's content changed (manifest updated to match, as an attacker would).
  let zipName = '';
  let tamperedH1 = '';
  let recordH1 = '';
  const zipProblems = await refused('tampered-zip', async (b) => {
    const entry = b.manifest.files.find((f) => f.name.endsWith('.zip'))!;
    zipName = entry.name;
    recordH1 = entry.h1!;
    const files = await readZipEntries(b.entries.get(zipName)!);
    const victim = files.find((f) => f.name.endsWith('.go')) ?? files[0]!;
    const zip = buildZip(files.map((f) => ({ name: f.name, data: f === victim ? Buffer.concat([f.data, Buffer.from('\n// injected\n')]) : f.data })));
    await writeFile(join(work, 'tampered.zip'), zip);
    tamperedH1 = await hashZipGo(join(work, 'tampered.zip'));
    setEntry(b, zipName, zip, { h1: tamperedH1 });
  }, join(work, 'fresh'));
  const zp = zipProblems.find((p) => p.file === zipName);
  assert.ok(zp, JSON.stringify(zipProblems));
  assert.equal(zp.expected, recordH1);
  assert.equal(zp.actual, tamperedH1);

  // A record whose zip hash was changed: not in the signed tree.
  let recordName = '';
  const recProblems = await refused('tampered-record', (b) => {
    recordName = tamperRecord(b);
  });
  assert.ok(recProblems.some((p) => p.file === recordName.replace('cache/download/', '') && /not in the signed tree/.test(p.reason) && p.expected !== undefined && p.actual !== undefined), JSON.stringify(recProblems));

  // A tree head signed by another key of the same name.
  const forgedProblems = await refused('forged-head', (b) => {
    const tree = b.manifest.sumdb[0]!;
    const text = tree.note.slice(0, tree.note.lastIndexOf('\n\n') + 1);
    tree.note = signNote(text, [parseSignerKey(generateKey(sumdb.name).skey)]).toString('utf8');
  });
  assert.ok(forgedProblems.some((p) => p.file === `sumdb/${sumdb.name}/latest` && /does not verify with the configured key/.test(p.reason)), JSON.stringify(forgedProblems));

  // The same database key, a different tree (a fork): a second database instance, fresh state,
  // whose first record is another version than b1's first record.
  const sumdb2 = await startSumdb({ proxyDir: modules, keyFile: join(work, 'sumdb.key') });
  try {
    assert.equal(sumdb2.vkey, sumdb.vkey);
    const fork = join(work, 'fork.tgz');
    await exportSmall({ dir: modules, sumdb: sumdb2, modules: [FIRST[2]!], out: fork, tempDir: work });
    const before = await hashTree(known);
    const forked = await importInto(fork, createFsStorage(known));
    assert.equal(forked.status, 'refused');
    assert.ok(forked.problems.some((p) => /inconsistent with the tree 3 this server already knows/.test(p.reason) && p.expected !== undefined && p.actual !== undefined), JSON.stringify(forked.problems));
    assert.deepEqual(await hashTree(known), before);
  } finally {
    await sumdb2.stop();
  }
});

/** Storage whose writes of `failKey` (staged, put or moved in) fail as a full disk does. */
function fullFor(inner: Storage, failKey: string): Storage {
  const full = (key: string) => storageError(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }), 'write', key) as Error;
  return {
    ...inner,
    put: async (key, data) => (key === failKey ? Promise.reject(full(key)) : inner.put(key, data)),
    putFile: async (key, path) => (key === failKey ? Promise.reject(full(key)) : inner.putFile(key, path)),
    stage: async (key, data, signal) => {
      if (key !== failKey) return inner.stage(key, data, signal);
      data.destroy();
      throw full(key);
    },
  };
}

test('a write that fails while the bundle is stored leaves nothing visible (staging, then commit)', async () => {
  const dir = join(work, 'full');
  const b = await readBundle(b1);
  const zipKey = b.manifest.files.map((f) => f.name).filter((n) => n.endsWith('.zip')).at(-1)!.replace('cache/download/', '');
  await assert.rejects(importInto(b1, fullFor(createFsStorage(dir), zipKey)), (err) => isModgateError(err, 'STORAGE_FULL'));
  // Not even a staged temp file is left (hashTree lists every file, temp files included).
  assert.deepEqual(await hashTree(dir), {});
  // The same bundle then imports completely.
  const r = await importInto(b1, createFsStorage(dir));
  assert.equal(r.status, 'imported');
  assert.deepEqual(Object.keys(await hashTree(dir)).sort(), Object.keys(await hashTree(known)).sort());
});

test('import into S3 storage: complete, the same bundle again changes nothing, a refused bundle leaves the bucket unchanged', async () => {
  const storage = createS3Storage({
    bucket: s3.bucket, endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, prefix: 'imported',
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }, stagingDir: join(work, 's3-staging'),
  });
  const objects = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for await (const k of storage.list('')) out[k] = createHash('sha256').update((await storage.get(k))!).digest('hex');
    return out;
  };
  try {
    const r = await importInto(b1, storage);
    assert.equal(r.status, 'imported', JSON.stringify(r.problems));
    // Every file the fs import stored is in the bucket with the same bytes.
    const inBucket = await objects();
    assert.deepEqual(inBucket, await hashTree(known));
    assert.deepEqual(await hashTree(join(work, 's3-staging')), {}, 'staged files are removed after commit');

    const again = await importInto(b1, storage);
    assert.equal(again.status, 'unchanged');
    assert.equal(again.written, 0);
    assert.deepEqual(await objects(), inBucket);

    // A bundle with a version the bucket does not have yet and one tampered record: refused, and
    // nothing of it (not the new version either) appears.
    const all = join(work, 'all.tgz');
    await exportSmall({ dir: modules, sumdb, modules: [...FIRST, 'example.com/small/c@v1.0.0'], out: all, tempDir: work });
    const b = await readBundle(all);
    tamperRecord(b, '/lookup/example.com/small/a@');
    const bad = join(work, 's3-refused.tgz');
    await writeBundle(b, bad);
    const no = await importInto(bad, storage);
    assert.equal(no.status, 'refused');
    assert.deepEqual(await objects(), inBucket);
  } finally {
    storage.client.destroy();
  }
});

// The filesystem driver against the shared storage compliance suite, plus its crash-sweep helper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFsStorage, sweepFsTempFiles } from './fs-storage.js';
import { runStorageCompliance } from './storage-compliance.js';

runStorageCompliance('fs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-fs-'));
  return { storage: createFsStorage(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

test('sweepFsTempFiles removes leftovers of interrupted writes only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-sweep-'));
  await mkdir(join(dir, 'a.com/m/@v'), { recursive: true });
  await writeFile(join(dir, 'a.com/m/@v/.tmp-abc'), 'partial');
  await writeFile(join(dir, 'a.com/m/@v/v1.0.0.mod'), 'module a.com/m\n');
  assert.equal(await sweepFsTempFiles(dir), 1);
  assert.deepEqual(await readdir(join(dir, 'a.com/m/@v')), ['v1.0.0.mod']);
  await rm(dir, { recursive: true, force: true });
});

test('fs staging: a crash before commit leaves only a temp file, which the start-up sweep removes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-stage-crash-'));
  const s = createFsStorage(dir);
  const { Readable } = await import('node:stream');
  const staged = await s.stage('a.com/m/@v/v1.0.0.zip', Readable.from([Buffer.from('partial zip')]));
  assert.deepEqual(await readdir(join(dir, 'a.com/m/@v')), [staged.path.slice(staged.path.lastIndexOf('/') + 1)]);
  assert.equal(await s.stat('a.com/m/@v/v1.0.0.zip'), undefined);
  assert.equal(await sweepFsTempFiles(dir), 1);
  assert.deepEqual(await readdir(join(dir, 'a.com/m/@v')), []);
  await rm(dir, { recursive: true, force: true });
});

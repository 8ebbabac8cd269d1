// makeDirs: creates missing parents, accepts existing dirs, and fails (instead of spinning) where
// the kernel refuses a child of an existing directory (/proc).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs } from './make-dirs.js';

test('makeDirs creates nested directories and accepts an existing one', async () => {
  const root = await mkdtemp(join(tmpdir(), 'modgate-makedirs-'));
  try {
    const deep = join(root, 'a', 'b', 'c');
    await makeDirs(deep);
    assert.ok((await stat(deep)).isDirectory());
    await makeDirs(deep);
    await writeFile(join(root, 'file'), 'x');
    await assert.rejects(makeDirs(join(root, 'file')), (err: NodeJS.ErrnoException) => err.code === 'EEXIST');
    await assert.rejects(makeDirs(join(root, 'file', 'sub')), (err: NodeJS.ErrnoException) => err.code === 'ENOTDIR');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('makeDirs under /proc fails with ENOENT, bounded', { timeout: 5000 }, async () => {
  await assert.rejects(makeDirs('/proc/modgate-no-such/x'), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
});

// Filesystem storage driver (the default): one file per key under a root directory.
// Writes (and staging) go to a temp file in the target directory, are fsynced, then renamed into
// place. Write failures are storage errors (storage-errors.ts) naming the real cause.
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile, readdir, rename, rm, stat, unlink, copyFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteRange, ObjectStat, StagedObject, Storage } from './storage.js';
import { assertSafeKey } from './storage.js';
import { makeDirs } from './make-dirs.js';
import { storageError } from './storage-errors.js';

const TMP_MARK = '.tmp-';

function isEnoent(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * mkdir -p that ends and reports the real reason (make-dirs.ts): Node's recursive mkdir spins
 * forever where a parent refuses a child with ENOENT (under /proc) and hides EROFS/EACCES.
 */
const makeDir = makeDirs;

export function createFsStorage(root: string): Storage {
  const pathOf = (key: string): string => {
    assertSafeKey(key);
    return join(root, ...key.split('/'));
  };
  const tempFor = (target: string): string => `${dirname(target)}/${TMP_MARK}${randomBytes(6).toString('hex')}`;

  async function fsyncAndRename(tmp: string, target: string): Promise<void> {
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  }

  /** Streams `data` into a temp file next to the key's file; commit = fsync + rename. */
  async function stageTo(key: string, data: Readable, signal?: AbortSignal): Promise<StagedObject> {
    const target = pathOf(key);
    const tmp = tempFor(target);
    try {
      await makeDir(dirname(target));
    } catch (err) {
      data.destroy();
      throw storageError(err, 'write', key);
    }
    // Which side failed first: a failing source is the caller's (e.g. the upstream's) error, a
    // failing write is ours (pipeline then destroys the other side with the same error).
    let first: 'source' | 'write' | undefined;
    try {
      const out = createWriteStream(tmp, { flags: 'wx' });
      data.once('error', () => (first ??= 'source'));
      out.once('error', () => (first ??= 'write'));
      await pipeline(data, out, ...(signal ? [{ signal }] : []));
    } catch (err) {
      data.destroy();
      await rm(tmp, { force: true });
      throw first === 'write' ? storageError(err, 'write', key) : err;
    }
    const size = (await stat(tmp)).size;
    let done = false;
    return {
      path: tmp,
      size,
      async commit() {
        if (done) return;
        try {
          await fsyncAndRename(tmp, target);
          done = true;
        } catch (err) {
          throw storageError(err, 'write', key);
        }
      },
      async abort() {
        if (done) return;
        done = true;
        await rm(tmp, { force: true });
      },
    };
  }

  return {
    description: `fs:${root}`,
    async get(key) {
      try {
        return await readFile(pathOf(key));
      } catch (err) {
        if (isEnoent(err) || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
        throw err;
      }
    },
    async open(key, range?: ByteRange) {
      const p = pathOf(key);
      try {
        const fh = await open(p, 'r');
        const info = await fh.stat();
        if (!info.isFile()) {
          await fh.close();
          return undefined;
        }
        return createReadStream('', {
          fd: fh,
          highWaterMark: 256 * 1024,
          ...(range ? { start: range.start, end: range.end } : {}),
        });
      } catch (err) {
        if (isEnoent(err)) return undefined;
        throw err;
      }
    },
    async stat(key): Promise<ObjectStat | undefined> {
      try {
        const s = await stat(pathOf(key));
        return s.isFile() ? { size: s.size, modified: s.mtime } : undefined;
      } catch (err) {
        if (isEnoent(err)) return undefined;
        throw err;
      }
    },
    async put(key, data) {
      const source = Buffer.isBuffer(data) ? Readable.from([data]) : data;
      const staged = await stageTo(key, source);
      await staged.commit();
    },
    stage: (key, data, signal) => stageTo(key, data, signal),
    async putFile(key, localPath) {
      const target = pathOf(key);
      await makeDir(dirname(target)).catch((err: unknown) => {
        throw storageError(err, 'write', key);
      });
      const tmp = tempFor(target);
      try {
        try {
          await rename(localPath, tmp);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
          await copyFile(localPath, tmp);
          await unlink(localPath);
        }
        await fsyncAndRename(tmp, target);
      } catch (err) {
        await rm(tmp, { force: true });
        throw storageError(err, 'write', key);
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async *list(prefix) {
      // Walk the directory holding the prefix, yielding keys that start with it; temp files are skipped.
      const slash = prefix.lastIndexOf('/');
      const baseKey = slash >= 0 ? prefix.slice(0, slash) : '';
      const start = baseKey === '' ? root : pathOf(baseKey);
      const stack: Array<[string, string]> = [[start, baseKey]];
      while (stack.length > 0) {
        const [dir, keyBase] = stack.pop()!;
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (err) {
          if (isEnoent(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
          throw err;
        }
        for (const e of entries) {
          if (e.name.startsWith(TMP_MARK)) continue;
          const key = keyBase === '' ? e.name : `${keyBase}/${e.name}`;
          if (e.isDirectory()) {
            if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) stack.push([join(dir, e.name), key]);
          } else if (e.isFile() && key.startsWith(prefix)) {
            yield key;
          }
        }
      }
    },
    localPath(key) {
      return pathOf(key);
    },
    async checkWritable() {
      try {
        await makeDir(root);
        const probe = join(root, `${TMP_MARK}probe-${randomBytes(4).toString('hex')}`);
        const fh = await open(probe, 'wx');
        await fh.close();
        await unlink(probe);
      } catch (err) {
        throw storageError(err, 'write check', root);
      }
    },
  };
}

/** Removes temp files left by a crash (called at startup). Returns how many were removed. */
export async function sweepFsTempFiles(root: string): Promise<number> {
  let removed = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isEnoent(err)) continue;
      throw err;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.name.startsWith(TMP_MARK)) {
        await rm(p, { force: true });
        removed++;
      }
    }
  }
  return removed;
}

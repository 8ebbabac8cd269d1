// Staging for drivers that do not keep files on local disk (memory, S3): the bytes go to a temp file
// in a local directory (checked there, e.g. a zip), and the driver's commit makes them visible its
// own way (a map entry; an S3 PUT or multipart completion, which S3 makes visible atomically).
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StagedObject } from './storage.js';
import { storageError } from './storage-errors.js';

/** The default local staging directory of this process. */
export function defaultStagingDir(): string {
  return join(tmpdir(), `modgate-staging-${process.pid}`);
}

/**
 * Writes `data` to a new temp file in `dir`; `publish(path)` is the driver's commit (it reads the
 * file; the file is removed afterwards either way).
 */
export async function stageLocally(opts: {
  readonly dir: string;
  readonly key: string;
  readonly data: Readable;
  readonly signal?: AbortSignal | undefined;
  readonly publish: (path: string) => Promise<void>;
}): Promise<StagedObject> {
  const path = join(opts.dir, `.tmp-${randomBytes(8).toString('hex')}`);
  // Which side failed first: a failing source is the caller's error, a failing write is ours.
  let first: 'source' | 'write' | undefined;
  try {
    await mkdir(opts.dir, { recursive: true }).catch((err: unknown) => {
      first = 'write';
      throw err;
    });
    const out = createWriteStream(path, { flags: 'wx' });
    opts.data.once('error', () => (first ??= 'source'));
    out.once('error', () => (first ??= 'write'));
    await pipeline(opts.data, out, ...(opts.signal ? [{ signal: opts.signal }] : []));
  } catch (err) {
    opts.data.destroy();
    await rm(path, { force: true });
    throw first === 'write' ? storageError(err, 'stage', opts.key) : err;
  }
  const size = (await stat(path)).size;
  let done = false;
  return {
    path,
    size,
    async commit() {
      if (done) return;
      await opts.publish(path);
      done = true;
      await rm(path, { force: true });
    },
    async abort() {
      if (done) return;
      done = true;
      await rm(path, { force: true });
    },
  };
}

// An upstream read from a directory in the go command's module cache layout (GOPROXY=file:///dir).
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { ModgateError } from '../errors/modgate-error.js';
import { escapePath, escapeVersion } from '../module/escape.js';
import { MAX_SMALL_BODY, MAX_ZIP_BYTES, type Upstream } from './upstream.js';

export function createFileUpstream(url: string): Upstream {
  const root = fileURLToPath(url);
  const name = url;

  const fileOf = (path: string, rel: string): string => join(root, ...escapePath(path).split('/'), ...rel.split('/'));

  async function read(path: string, rel: string, limit: number, signal: AbortSignal | undefined): Promise<Buffer> {
    const file = fileOf(path, rel);
    try {
      signal?.throwIfAborted();
      const s = await stat(file);
      if (!s.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      if (s.size > limit) throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${name}: ${rel} is larger than ${limit} bytes`);
      return await readFile(file, { signal });
    } catch (err) {
      if (err instanceof ModgateError || signal?.aborted) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new ModgateError('NOT_FOUND', `${name}: ${path}/${rel}: not found`);
      }
      throw new ModgateError('UPSTREAM_ERROR', `${name}: reading ${path}/${rel}: ${(err as Error).message}`, { cause: err });
    }
  }

  return {
    name,
    list: (path, signal) => read(path, '@v/list', MAX_SMALL_BODY, signal),
    latest: (path, signal) => read(path, '@latest', MAX_SMALL_BODY, signal),
    info: (path, version, signal) => read(path, `@v/${escapeVersion(version)}.info`, MAX_SMALL_BODY, signal),
    mod: (path, version, signal) => read(path, `@v/${escapeVersion(version)}.mod`, MAX_SMALL_BODY, signal),
    async zip(path, version, signal): Promise<Readable> {
      const rel = `@v/${escapeVersion(version)}.zip`;
      const file = fileOf(path, rel);
      signal?.throwIfAborted();
      try {
        const s = await stat(file);
        if (!s.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
        if (s.size > MAX_ZIP_BYTES) throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${name}: ${path}/${rel} exceeds 500 MiB`);
      } catch (err) {
        if (err instanceof ModgateError) throw err;
        throw new ModgateError('NOT_FOUND', `${name}: ${path}/${rel}: not found`);
      }
      return createReadStream(file, { highWaterMark: 256 * 1024, ...(signal ? { signal } : {}) });
    },
  };
}

// In-memory storage driver: for tests and for small ephemeral deployments.
import { Readable } from 'node:stream';
import { readFile, unlink } from 'node:fs/promises';
import type { Storage } from './storage.js';
import { assertSafeKey } from './storage.js';
import { defaultStagingDir, stageLocally } from './local-staging.js';

async function collect(data: Buffer | Readable): Promise<Buffer> {
  if (Buffer.isBuffer(data)) return Buffer.from(data);
  const chunks: Buffer[] = [];
  for await (const chunk of data) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/**
 * `stagingDir`: where staged bytes wait for commit (default: a directory under the OS temp dir);
 * `now`: the clock of modification times (tests inject one).
 */
export function createMemoryStorage(opts: { readonly stagingDir?: string; readonly now?: () => number } = {}): Storage {
  const stagingDir = opts.stagingDir ?? defaultStagingDir();
  const now = opts.now ?? Date.now;
  const objects = new Map<string, { data: Buffer; modified: Date }>();
  return {
    description: 'memory',
    async get(key) {
      assertSafeKey(key);
      return objects.get(key)?.data;
    },
    async open(key, range) {
      assertSafeKey(key);
      const o = objects.get(key);
      if (!o) return undefined;
      const slice = range ? o.data.subarray(range.start, range.end + 1) : o.data;
      return Readable.from([slice]);
    },
    async stat(key) {
      assertSafeKey(key);
      const o = objects.get(key);
      return o ? { size: o.data.length, modified: o.modified } : undefined;
    },
    async put(key, data) {
      assertSafeKey(key);
      const bytes = await collect(data);
      objects.set(key, { data: bytes, modified: new Date(now()) });
    },
    async putFile(key, localPath) {
      assertSafeKey(key);
      const bytes = await readFile(localPath);
      objects.set(key, { data: bytes, modified: new Date(now()) });
      await unlink(localPath);
    },
    async stage(key, data, signal) {
      assertSafeKey(key);
      return stageLocally({
        dir: stagingDir,
        key,
        data,
        signal,
        publish: async (path) => {
          objects.set(key, { data: await readFile(path), modified: new Date(now()) });
        },
      });
    },
    async delete(key) {
      assertSafeKey(key);
      objects.delete(key);
    },
    async *list(prefix) {
      for (const key of [...objects.keys()]) if (key.startsWith(prefix)) yield key;
    },
    async checkWritable() {
      // always writable
    },
  };
}

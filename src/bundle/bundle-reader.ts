// Reads a bundle stream (gzip → tar) into a staging directory: every entry is written to its own
// file while its sha256 is computed, names are checked (only `manifest.json` and safe keys under
// `cache/download/`), sizes are bounded. Nothing here is trusted yet: the importer verifies it.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { ModgateError } from '../errors/modgate-error.js';
import { assertSafeKey } from '../storage/storage.js';
import { MAX_ZIP_BYTES } from '../upstream/upstream.js';
import { MANIFEST_NAME, MAX_MANIFEST_BYTES, keyOfEntry, parseManifest, type BundleManifest } from './bundle-manifest.js';

export interface StagedEntry {
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  /** Where the bytes are, in the staging directory. */
  readonly localPath: string;
}

export interface StagedBundle {
  readonly manifest: BundleManifest;
  /** Every entry but the manifest, by tar name. */
  readonly entries: ReadonlyMap<string, StagedEntry>;
  readonly bytes: number;
}

const bad = (message: string): never => {
  throw new ModgateError('INVALID_REQUEST', `bundle: ${message}`);
};

/** Extracts `input` (a gzip-compressed tar) into `dir`; `onBytes` reports compressed bytes read. */
export async function stageBundle(input: Readable, dir: string, onEntry?: (e: StagedEntry) => void): Promise<StagedBundle> {
  const extract = tar.extract();
  const entries = new Map<string, StagedEntry>();
  let manifestText: string | undefined;
  let bytes = 0;
  const reading = pipeline(input, createGunzip(), extract).catch((err: unknown) => {
    extract.destroy(err as Error);
    throw err;
  });
  let n = 0;
  try {
    for await (const entry of extract) {
      const { name, type, size } = entry.header;
      if (type !== 'file') bad(`entry ${JSON.stringify(name)} is a ${type ?? 'unknown'}, not a file`);
      if (entries.has(name) || (name === MANIFEST_NAME && manifestText !== undefined)) bad(`entry ${name} appears twice`);
      const limit = name === MANIFEST_NAME ? MAX_MANIFEST_BYTES : MAX_ZIP_BYTES;
      if ((size ?? 0) > limit) bad(`entry ${name} is larger than ${limit} bytes`);
      if (name === MANIFEST_NAME) {
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        manifestText = Buffer.concat(chunks).toString('utf8');
        continue;
      }
      const key = keyOfEntry(name);
      if (key === undefined) bad(`unexpected entry ${JSON.stringify(name)} (only ${MANIFEST_NAME} and cache/download/...)`);
      try {
        assertSafeKey(key!);
      } catch {
        bad(`unsafe entry name ${JSON.stringify(name)}`);
      }
      const localPath = join(dir, String(n++));
      await mkdir(dirname(localPath), { recursive: true });
      const h = createHash('sha256');
      let seen = 0;
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          h.update(chunk);
          seen += chunk.length;
          cb(null, chunk);
        },
      });
      await pipeline(entry, hashing, createWriteStream(localPath));
      bytes += seen;
      const staged = { name, size: seen, sha256: h.digest('hex'), localPath };
      entries.set(name, staged);
      onEntry?.(staged);
    }
    await reading;
  } catch (err) {
    await reading.catch(() => undefined);
    if (err instanceof ModgateError) throw err;
    throw new ModgateError('INVALID_REQUEST', `bundle: cannot read it as a gzip-compressed tar: ${(err as Error).message}`, { cause: err });
  }
  if (manifestText === undefined) bad(`no ${MANIFEST_NAME}`);
  return { manifest: parseManifest(manifestText!, 'bundle'), entries, bytes };
}

/** Reads a staged small file. */
export function readStaged(e: StagedEntry): Promise<Buffer> {
  return readFile(e.localPath);
}

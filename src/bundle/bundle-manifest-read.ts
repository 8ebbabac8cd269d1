// Reads only the manifest of a bundle (its first entry), for `export --since BUNDLE`.
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { ModgateError } from '../errors/modgate-error.js';
import { MANIFEST_NAME, MAX_MANIFEST_BYTES, parseManifest, type BundleManifest } from './bundle-manifest.js';

export async function stageManifestOnly(input: Readable): Promise<BundleManifest> {
  const extract = tar.extract();
  input.pipe(createGunzip()).pipe(extract);
  try {
    for await (const entry of extract) {
      if (entry.header.name !== MANIFEST_NAME || (entry.header.size ?? 0) > MAX_MANIFEST_BYTES) break;
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      return parseManifest(Buffer.concat(chunks).toString('utf8'), 'bundle');
    }
  } finally {
    input.destroy();
    extract.destroy();
  }
  throw new ModgateError('INVALID_REQUEST', `bundle: its first entry is not ${MANIFEST_NAME}`);
}

// The go.sum hashes of a module version in a GOPROXY-layout directory, computed by Go's own dirhash.
import { join } from 'node:path';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { hashModGo, hashZipGo } from './gohelper.js';

export async function runGoHashes(proxyDir: string, path: string, version: string): Promise<{ zip: string; mod: string }> {
  const base = join(proxyDir, escapePath(path), '@v', escapeVersion(version));
  return { zip: await hashZipGo(`${base}.zip`), mod: await hashModGo(`${base}.mod`) };
}

// The "h1:" directory hash of golang.org/x/mod/sumdb/dirhash (Hash1), as recorded in go.sum and
// in the checksum database, plus the go.mod hash and a streaming sha256 helper.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ModgateError } from '../errors/modgate-error.js';

/** One file of a hashed tree: its name (as it appears in the hash) and the sha256 of its content. */
export interface HashedFile {
  readonly name: string;
  readonly sha256: Buffer;
}

/**
 * Hash1: sorts the names by their UTF-8 bytes (Go's sort.Strings), writes one line
 * `<lowercase hex sha256>  <name>\n` per file and returns `h1:` + base64(sha256(lines)).
 * Names containing '\n' are rejected (ZIP_INVALID); duplicate names are hashed as given.
 */
export function hash1(entries: Iterable<HashedFile>): string {
  const list = [...entries].map((e) => ({ name: e.name, key: Buffer.from(e.name, 'utf8'), sha256: e.sha256 }));
  list.sort((a, b) => Buffer.compare(a.key, b.key));
  const summary = createHash('sha256');
  for (const e of list) {
    if (e.name.includes('\n')) {
      throw new ModgateError('ZIP_INVALID', `dirhash: file name with a newline is not supported: ${JSON.stringify(e.name)}`);
    }
    if (e.sha256.length !== 32) throw new TypeError(`dirhash: sha256 of ${e.name} is not 32 bytes`);
    summary.update(`${e.sha256.toString('hex')}  ${e.name}\n`, 'utf8');
  }
  return `h1:${summary.digest('base64')}`;
}

/** The sha256 of a byte string. */
export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The go.sum hash of a go.mod file (the `<path> <version>/go.mod h1:...` line): Hash1 over the single name `go.mod`. */
export function hashGoMod(goMod: Uint8Array): string {
  return hash1([{ name: 'go.mod', sha256: sha256(goMod) }]);
}

/** Reads a stream to its end and returns the sha256 of its bytes and how many there were. */
export async function hashStream(stream: AsyncIterable<Uint8Array | string>): Promise<{ sha256: Buffer; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    h.update(buf);
    size += buf.length;
  }
  return { sha256: h.digest(), size };
}

/** The sha256 and size of a local file, read as a stream. */
export async function hashFile(filePath: string): Promise<{ sha256: Buffer; size: number }> {
  return hashStream(createReadStream(filePath));
}

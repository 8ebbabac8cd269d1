// Reads and checks a module zip from a local file the way the go command does before trusting it
// (x/mod/zip CheckZip + Unzip's size enforcement + dirhash.HashZip), without extracting anything.

import { readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { crc32, inflateRawSync } from 'node:zlib';
import type yauzl from 'yauzl';
import { ModgateError, isModgateError } from '../errors/modgate-error.js';
import { checkFilePath } from '../module/check-path.js';
import { canonicalVersion, checkModule } from '../module/version.js';
import { hash1, type HashedFile } from './dirhash.js';
import { hashStream } from './dirhash.js';
import { CollisionChecker, MAX_GO_MOD, MAX_LICENSE, MAX_ZIP_FILE, cleanPath } from './zip-rules.js';

export interface ZipCheckResult {
  /** dirhash.HashZip: h1 over every entry (raw names with prefix; directory entries included). */
  readonly h1: string;
  /** Number of file entries (directories and the bare prefix entry not counted). */
  readonly files: number;
  /** Sum of the file entries' uncompressed sizes. */
  readonly uncompressedSize: number;
  /** The root go.mod's bytes, if the zip has one. */
  readonly goMod?: Buffer;
}

const STORE = 0;
const DEFLATE = 8;

const invalid = (message: string, file?: string, cause?: unknown): ModgateError =>
  new ModgateError('ZIP_INVALID', message, {
    ...(file === undefined ? {} : { details: { file } }),
    ...(cause === undefined ? {} : { cause }),
  });

// yauzl is loaded by the first zip check (a fill), not at start (issue #10).
async function openZip(filePath: string): Promise<yauzl.ZipFile> {
  const { open } = (await import('yauzl')).default;
  return new Promise((resolve, reject) => {
    open(filePath, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, zf) => {
      if (err) reject(invalid(`module zip is not a valid zip file: ${err.message}`, undefined, err));
      else resolve(zf);
    });
  });
}

/** Every central-directory entry of an open zip (lazyEntries mode), in order. */
export function readZipEntries(zf: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zf.on('entry', (e: yauzl.Entry) => {
      entries.push(e);
      zf.readEntry();
    });
    zf.once('end', () => resolve(entries));
    zf.once('error', reject);
    zf.readEntry();
  });
}

/** The entry's name exactly as stored (Go uses the raw bytes; no Unicode-path extra field, no CP437). */
function rawName(e: yauzl.Entry): string | undefined {
  const raw = e.fileNameRaw;
  const s = raw.toString('utf8');
  return Buffer.from(s, 'utf8').equals(raw) ? s : undefined;
}

interface Planned { entry: yauzl.Entry; name: string; isFile: boolean; isGoMod: boolean }

/** Applies Go's checkZip rules to the central directory; returns the entries to read. */
function plan(entries: readonly yauzl.Entry[], prefix: string): { planned: Planned[]; files: number; size: number } {
  const collisions = new CollisionChecker();
  const planned: Planned[] = [];
  let size = 0;
  let files = 0;
  let declaredTotal = 0;
  for (const e of entries) {
    const full = rawName(e);
    const shown = full ?? e.fileNameRaw.toString('latin1');
    const bad = (reason: string): never => {
      throw invalid(`module zip entry ${JSON.stringify(shown)}: ${reason}`, shown);
    };
    if (full === undefined) bad('file name is not valid UTF-8');
    if (!full!.startsWith(prefix)) bad(`path does not have prefix ${JSON.stringify(prefix)}`);
    if (e.compressionMethod !== STORE && e.compressionMethod !== DEFLATE) bad(`unsupported compression method ${e.compressionMethod}`);
    if (e.isEncrypted()) bad('encrypted entries are not supported');
    // Zip-bomb guard: every entry's declared size counts, directories included (Go counts files only).
    declaredTotal += e.uncompressedSize;
    if (declaredTotal > MAX_ZIP_FILE) bad(`total uncompressed size of module contents too large (max size is ${MAX_ZIP_FILE} bytes)`);
    planned.push({ entry: e, name: full!, isFile: false, isGoMod: false });
    let name = full!.slice(prefix.length);
    if (name === '') continue;
    const isDir = name.endsWith('/');
    if (isDir) name = name.slice(0, -1);
    if (cleanPath(name) !== name) bad('file path is not clean');
    try {
      checkFilePath(name);
    } catch (err) {
      bad(err instanceof Error ? err.message : String(err));
    }
    collisions.check(name, isDir, shown);
    if (isDir) continue;
    const base = name.slice(name.lastIndexOf('/') + 1);
    if (base.toLowerCase() === 'go.mod') {
      if (base !== name) bad('go.mod file not in module root directory');
      if (name !== 'go.mod') bad('go.mod files must have lowercase names');
    }
    const sz = e.uncompressedSize;
    size += sz;
    if (name === 'go.mod' && sz > MAX_GO_MOD) bad(`go.mod file too large (max size is ${MAX_GO_MOD} bytes)`);
    if (name === 'LICENSE' && sz > MAX_LICENSE) bad(`LICENSE file too large (max size is ${MAX_LICENSE} bytes)`);
    files++;
    planned[planned.length - 1] = { entry: e, name: full!, isFile: true, isGoMod: name === 'go.mod' };
  }
  return { planned, files, size };
}

/** Streams one entry, checking its size (yauzl) and CRC-32; returns its sha256 and, if asked, its bytes. */
async function readEntry(zf: yauzl.ZipFile, p: Planned, keep: boolean): Promise<{ sha256: Buffer; data?: Buffer }> {
  const stream = await zf.openReadStreamPromise(p.entry);
  let crc = 0;
  const chunks: Buffer[] = [];
  async function* tap(): AsyncGenerator<Buffer> {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      crc = crc32(chunk, crc);
      if (keep) chunks.push(chunk);
      yield chunk;
    }
  }
  let sha256: Buffer;
  try {
    sha256 = (await hashStream(tap())).sha256;
  } catch (err) {
    throw invalid(`module zip entry ${JSON.stringify(p.name)}: ${err instanceof Error ? err.message : String(err)}`, p.name, err);
  }
  if (crc >>> 0 !== p.entry.crc32 >>> 0) throw invalid(`module zip entry ${JSON.stringify(p.name)}: checksum (CRC-32) error`, p.name);
  return keep ? { sha256, data: Buffer.concat(chunks) } : { sha256 };
}

/** Zips up to this size are read whole and inflated entry by entry in memory (several times less CPU than streams). */
const IN_MEMORY_MAX = 64 << 20;
/** Uncompressed bytes handled between two yields of the event loop on the in-memory path. */
const YIELD_EVERY = 4 << 20;
const LOCAL_HEADER = 0x04034b50;

/** One entry of a zip held in memory: its bytes inflated and checked as readEntry checks them. */
function entryFromBuffer(zip: Buffer, p: Planned): Buffer {
  const e = p.entry;
  const bad = (reason: string): never => {
    throw invalid(`module zip entry ${JSON.stringify(p.name)}: ${reason}`, p.name);
  };
  const off = e.relativeOffsetOfLocalHeader;
  if (off + 30 > zip.length || zip.readUInt32LE(off) !== LOCAL_HEADER) bad('invalid local file header');
  const start = off + 30 + zip.readUInt16LE(off + 26) + zip.readUInt16LE(off + 28);
  const end = start + e.compressedSize;
  if (end > zip.length) bad('file data overflows the zip file');
  const raw = zip.subarray(start, end);
  let data: Buffer;
  if (e.compressionMethod === STORE) {
    data = raw;
  } else {
    try {
      data = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.uncompressedSize) });
    } catch (err) {
      return bad(`${err instanceof Error ? err.message : String(err)} (declared size ${e.uncompressedSize})`);
    }
  }
  if (data.length !== e.uncompressedSize) bad(`uncompressed size ${data.length} does not match the declared ${e.uncompressedSize}`);
  if (crc32(data) >>> 0 !== e.crc32 >>> 0) bad('checksum (CRC-32) error');
  return data;
}

/**
 * Checks the module zip at filePath for path@version as the go command would before using it:
 * size limits, entry names (prefix, clean, valid file paths, no case-fold collisions or duplicates,
 * go.mod only at the root), Store/Deflate only, declared vs actual sizes and CRC-32 of every entry.
 * Returns the h1 hash (dirhash.HashZip), counts, and the root go.mod. Throws ZIP_INVALID naming the
 * offending file (never filePath: messages reach clients); INVALID_PATH/INVALID_VERSION if
 * path@version itself is invalid.
 */
export async function checkModuleZip(filePath: string, mod: { path: string; version: string }, opts: { inMemoryMax?: number } = {}): Promise<ZipCheckResult> {
  const cv = canonicalVersion(mod.version);
  if (cv !== mod.version) {
    throw new ModgateError('INVALID_VERSION', `version ${JSON.stringify(mod.version)} is not canonical (should be ${JSON.stringify(cv)})`);
  }
  checkModule(mod.path, mod.version);
  const { size: zipSize } = await stat(filePath);
  if (zipSize > MAX_ZIP_FILE) throw invalid(`module zip file is too large (${zipSize} bytes; limit is ${MAX_ZIP_FILE} bytes)`);
  const zf = await openZip(filePath);
  try {
    const prefix = `${mod.path}@${mod.version}/`;
    const entries = await readZipEntries(zf).catch((err: unknown) => {
      throw invalid(`module zip is not a valid zip file: ${(err as Error).message}`, undefined, err);
    });
    const { planned, files, size } = plan(entries, prefix);
    const hashed: HashedFile[] = [];
    let goMod: Buffer | undefined;
    if (zipSize <= (opts.inMemoryMax ?? IN_MEMORY_MAX)) {
      const zip = await readFile(filePath);
      let sinceYield = 0;
      for (const p of planned) {
        const data = entryFromBuffer(zip, p);
        if (p.isGoMod) goMod = Buffer.from(data);
        hashed.push({ name: p.name, sha256: createHash('sha256').update(data).digest() });
        sinceYield += data.length;
        if (sinceYield >= YIELD_EVERY) {
          sinceYield = 0;
          await yieldTurn(); // other requests are answered between large entries
        }
      }
    } else {
      for (const p of planned) {
        const r = await readEntry(zf, p, p.isGoMod);
        if (p.isGoMod) goMod = r.data;
        hashed.push({ name: p.name, sha256: r.sha256 });
      }
    }
    const h1 = hash1(hashed);
    return goMod === undefined ? { h1, files, uncompressedSize: size } : { h1, files, uncompressedSize: size, goMod };
  } catch (err) {
    if (isModgateError(err)) throw err;
    throw invalid(`module zip: ${err instanceof Error ? err.message : String(err)}`, undefined, err);
  } finally {
    zf.close();
  }
}

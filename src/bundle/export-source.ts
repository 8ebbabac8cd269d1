// Where `modgate export` reads from: a running modgate (GOPROXY protocol plus its /sumdb/ proxy,
// over HTTP) or a server's storage directly (module files by key, checksum-database data through a
// verifier client over that storage). Not-found contract: ModgateError NOT_FOUND.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { validProxyUrl } from '../service/prewarm-run.js';
import { Agent, request } from 'undici';
import { ModgateError } from '../errors/modgate-error.js';
import { escapePath, escapeVersion } from '../module/escape.js';
import type { Storage } from '../storage/storage.js';
import type { SumdbClient } from '../sumdb/sumdb-client.js';
import { versionKey } from '../cache/cache-keys.js';
import { matchPrefixPatterns } from '../module/patterns.js';

export interface ExportSource {
  readonly description: string;
  small(path: string, version: string, kind: 'info' | 'mod'): Promise<Buffer>;
  /** Streams the zip into a local file. */
  zipTo(path: string, version: string, dest: string): Promise<void>;
  /** The database's lookup response (`<id>\n<record>\n<signed tree>`). */
  lookup(db: string, path: string, version: string): Promise<Buffer>;
  tile(db: string, tilePath: string): Promise<Buffer>;
  /** The latest signed tree head. */
  latest(db: string): Promise<Buffer>;
  close(): Promise<void>;
}

const notFound = (what: string, why: string): ModgateError => new ModgateError('NOT_FOUND', `${what}: ${why}`);

/** Reads from a running modgate (or any GOPROXY that also proxies /sumdb/). */
export function createProxySource(proxyUrl: string, timeoutMs: number): ExportSource {
  const root = validProxyUrl('export', proxyUrl);
  const agent = new Agent({ connections: 16, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs });
  async function get(rel: string) {
    const res = await request(`${root}/${rel}`, { dispatcher: agent, headers: { 'user-agent': 'modgate-export' } });
    if (res.statusCode === 200) return res.body;
    const text = (await res.body.text().catch(() => '')).split('\n\n')[0]!.trim().slice(0, 400);
    const msg = `${root}/${rel}: ${res.statusCode}${text ? ` ${text}` : ''}`;
    throw new ModgateError(res.statusCode === 404 || res.statusCode === 410 ? 'NOT_FOUND' : 'UPSTREAM_ERROR', msg);
  }
  const bytes = async (rel: string): Promise<Buffer> => Buffer.from(await (await get(rel)).arrayBuffer());
  const mv = (path: string, version: string) => `${escapePath(path)}/@v/${escapeVersion(version)}`;
  return {
    description: root,
    small: (path, version, kind) => bytes(`${mv(path, version)}.${kind}`),
    async zipTo(path, version, dest) {
      await pipeline(await get(`${mv(path, version)}.zip`), createWriteStream(dest));
    },
    lookup: (db, path, version) => bytes(`sumdb/${db}/lookup/${escapePath(path)}@${escapeVersion(version)}`),
    tile: (db, tilePath) => bytes(`sumdb/${db}/${tilePath}`),
    latest: (db) => bytes(`sumdb/${db}/latest`),
    close: () => agent.close(),
  };
}

/**
 * Reads a server's storage; checksum-database data comes from verifier clients over that storage.
 * Paths matching `nosumdb` (GONOSUMDB-style patterns) are never looked up: their lookups would tell
 * the database the private path, so they are not found.
 */
export function createStorageSource(storage: Storage, databases: ReadonlyMap<string, SumdbClient>, nosumdb = ''): ExportSource {
  const client = (db: string): SumdbClient => {
    const c = databases.get(db);
    if (!c) throw new ModgateError('CONFIG_INVALID', `export: checksum database ${db} is not configured`);
    return c;
  };
  return {
    description: storage.description,
    async small(path, version, kind) {
      const b = await storage.get(versionKey(path, version, kind));
      if (!b) throw notFound(`${path}@${version}.${kind}`, `not in ${storage.description}`);
      return b;
    },
    async zipTo(path, version, dest) {
      const s = await storage.open(versionKey(path, version, 'zip'));
      if (!s) throw notFound(`${path}@${version}.zip`, `not in ${storage.description}`);
      await pipeline(s, createWriteStream(dest));
    },
    async lookup(db, path, version) {
      if (matchPrefixPatterns(nosumdb, path)) throw notFound(`${path}@${version}`, `private here (--private/--nosumdb): not looked up in ${db}`);
      return client(db).rawLookup(path, version);
    },
    tile: (db, tilePath) => client(db).tile(tilePath),
    latest: async (db) => Buffer.from(await client(db).latest(), 'utf8'),
    close: async () => undefined,
  };
}

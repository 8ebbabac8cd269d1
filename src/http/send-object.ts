// Sends a cached object with the right headers: Content-Type/Length, ETag, Cache-Control
// (immutable for canonical versions), conditional requests (304) and single byte ranges (206/416).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedObject } from '../cache/module-cache.js';
import type { Storage } from '../storage/storage.js';
import { ModgateError } from '../errors/modgate-error.js';

export type ServedKind = 'list' | 'latest' | 'info' | 'mod' | 'zip';

const CONTENT_TYPE: Readonly<Record<ServedKind, string>> = {
  list: 'text/plain; charset=utf-8',
  latest: 'application/json',
  info: 'application/json',
  mod: 'text/plain; charset=utf-8',
  zip: 'application/zip',
};

export interface SendOptions {
  readonly storage: Storage;
  /** max-age for objects that are not immutable (list, @latest, queries). */
  readonly shortMaxAge: number;
  /** When set, full zip downloads are redirected to this URL (e.g. a presigned S3 URL). */
  readonly zipRedirect?: ((key: string) => Promise<string | undefined>) | undefined;
}

function matchesEtag(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** Parses a single `bytes=` range against a size; undefined = ignore (serve whole), null = unsatisfiable. */
export function parseRange(header: string, size: number): { start: number; end: number } | undefined | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m;
  if (a === '' && b === '') return undefined;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) return null;
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return null;
  return { start, end };
}

export async function sendObject(req: FastifyRequest, reply: FastifyReply, kind: ServedKind, obj: CachedObject, opts: SendOptions): Promise<FastifyReply> {
  const etag = obj.etag;
  reply.header('content-type', CONTENT_TYPE[kind]);
  reply.header('etag', etag);
  reply.header('last-modified', obj.modified.toUTCString());
  reply.header('cache-control', obj.immutable ? 'public, max-age=31536000, immutable' : `public, max-age=${opts.shortMaxAge}`);
  reply.header('x-modgate-cache', obj.cache);
  if (obj.staleReason !== undefined) {
    reply.header('warning', '111 - "Revalidation Failed"');
    reply.header('x-modgate-stale-reason', obj.staleReason.replace(/[^\x20-\x7e]/g, ' ').slice(0, 200));
  }
  if (kind === 'zip') reply.header('accept-ranges', 'bytes');

  const inm = req.headers['if-none-match'];
  const ims = req.headers['if-modified-since'];
  if (inm !== undefined ? matchesEtag(inm, etag) : ims !== undefined && Date.parse(ims) >= Math.floor(obj.modified.getTime() / 1000) * 1000) {
    return reply.code(304).send();
  }

  if (obj.body) {
    reply.header('content-length', obj.body.length);
    return reply.code(200).send(obj.body);
  }
  if (!obj.key) throw new ModgateError('INTERNAL', 'object without body or key');
  if (kind === 'zip' && opts.zipRedirect && req.headers.range === undefined) {
    const location = await opts.zipRedirect(obj.key);
    if (location) return reply.code(302).header('location', location).header('cache-control', 'no-store').header('content-type', 'text/plain; charset=utf-8').send('');
  }

  let range: { start: number; end: number } | undefined | null;
  const rangeHeader = req.headers.range;
  const ifRange = req.headers['if-range'];
  if (kind === 'zip' && rangeHeader !== undefined && (ifRange === undefined || ifRange === etag)) {
    range = parseRange(rangeHeader, obj.size);
    if (range === null) {
      reply.header('content-range', `bytes */${obj.size}`);
      reply.header('content-type', 'text/plain; charset=utf-8');
      return reply.code(416).send(`requested range not satisfiable (size ${obj.size})\n`);
    }
  }
  const stream = await opts.storage.open(obj.key, range ?? undefined);
  if (!stream) throw new ModgateError('STORAGE_ERROR', `cached file ${obj.key} disappeared while being served`, { details: { vanished: obj.key } });
  if (range) {
    reply.header('content-range', `bytes ${range.start}-${range.end}/${obj.size}`);
    reply.header('content-length', range.end - range.start + 1);
    return reply.code(206).send(stream);
  }
  reply.header('content-length', obj.size);
  return reply.code(200).send(stream);
}

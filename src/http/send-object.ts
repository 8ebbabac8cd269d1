// Sends a cached object with the right headers: Content-Type/Length, ETag, Cache-Control
// (immutable for canonical versions), conditional requests (304, fresh) and single byte ranges
// (206/416, range-parser). The bytes come from the object itself (CachedObject.open), never from
// storage directly: a stream, or a buffer (a zip copied in memory), sent with the headers.
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedObject, OpenedObject } from '../cache/module-cache.js';
import rangeParser from 'range-parser';
import fresh from 'fresh';

export type ServedKind = 'list' | 'latest' | 'info' | 'mod' | 'zip';

const CONTENT_TYPE: Readonly<Record<ServedKind, string>> = {
  list: 'text/plain; charset=utf-8',
  latest: 'application/json',
  info: 'application/json',
  mod: 'text/plain; charset=utf-8',
  zip: 'application/zip',
};

export interface SendOptions {
  /** max-age for objects that are not immutable (list, @latest, queries). */
  readonly shortMaxAge: number;
  /** Called with what was opened when it was found differently than looked up (a vanished file fetched again). */
  readonly onReopened?: (o: OpenedObject) => void;
}

/**
 * The one range a `Range` header asks for, against a size: undefined = ignore the header and send
 * the whole body (malformed, not `bytes`, or several ranges, which are not supported), null =
 * unsatisfiable (416). Parsing is range-parser's; a suffix longer than the body means the whole
 * body (RFC 9110 section 14.1.2), which range-parser reports as unsatisfiable.
 */
export function parseRange(header: string, size: number): { start: number; end: number } | undefined | null {
  if (header.includes(',')) return undefined;
  const suffix = /^\s*bytes=\s*-\s*(\d+)\s*$/.exec(header);
  const ranges = rangeParser(size, suffix && Number(suffix[1]) > size && size > 0 ? 'bytes=0-' : header);
  if (ranges === -2) return undefined;
  if (ranges === -1) return null;
  if (ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  const [only] = ranges;
  return only ? { start: only.start, end: only.end } : undefined;
}

/** Whether a conditional GET/HEAD may be answered 304 (fresh's rules; a request's no-cache does not prevent it). */
export function notModified(headers: IncomingHttpHeaders, etag: string, lastModified: string): boolean {
  const inm = headers['if-none-match'];
  const ims = headers['if-modified-since'];
  if (inm === undefined && ims === undefined) return false;
  return fresh(
    { ...(inm !== undefined ? { 'if-none-match': inm.trim() } : {}), ...(ims !== undefined && inm === undefined ? { 'if-modified-since': ims } : {}) },
    { etag, 'last-modified': lastModified },
  );
}

/**
 * The headers of an answer with `obj`, in the order they are sent (before Content-Length and any
 * range headers): one list for fastify's reply and for the fast path's ready-made answers.
 */
export function objectHeaders(kind: ServedKind, obj: CachedObject, shortMaxAge: number): Array<[string, string]> {
  const headers: Array<[string, string]> = [
    ['content-type', CONTENT_TYPE[kind]],
    ['etag', obj.etag],
    ['last-modified', obj.modified.toUTCString()],
    ['cache-control', obj.immutable ? 'public, max-age=31536000, immutable' : `public, max-age=${shortMaxAge}`],
    ['x-modgate-cache', obj.cache],
  ];
  if (obj.staleReason !== undefined) {
    headers.push(['warning', '111 - "Revalidation Failed"'], ['x-modgate-stale-reason', obj.staleReason.replace(/[^\x20-\x7e]/g, ' ').slice(0, 200)]);
  }
  if (kind === 'zip') headers.push(['accept-ranges', 'bytes']);
  return headers;
}

export async function sendObject(req: FastifyRequest, reply: FastifyReply, kind: ServedKind, obj: CachedObject, opts: SendOptions): Promise<FastifyReply> {
  const etag = obj.etag;
  for (const [name, v] of objectHeaders(kind, obj, opts.shortMaxAge)) reply.header(name, v);
  const lastModified = reply.getHeader('last-modified') as string;

  if (notModified(req.headers, etag, lastModified)) return reply.code(304).send();

  if (obj.body) {
    reply.header('content-length', obj.body.length);
    return reply.code(200).send(obj.body);
  }
  if (kind === 'zip' && req.headers.range === undefined) {
    const location = await obj.redirectUrl();
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
  const opened = await obj.open(range ?? undefined);
  if (opened.cache !== obj.cache || opened.etag !== etag) {
    reply.header('etag', opened.etag);
    reply.header('last-modified', opened.modified.toUTCString());
    reply.header('x-modgate-cache', opened.cache);
    opts.onReopened?.(opened);
  }
  if (range) {
    reply.header('content-range', `bytes ${range.start}-${range.end}/${opened.size}`);
    reply.header('content-length', range.end - range.start + 1);
    return reply.code(206).send(opened.bytes ?? opened.stream);
  }
  reply.header('content-length', opened.size);
  return reply.code(200).send(opened.bytes ?? opened.stream);
}

// The zip hit fast path: a node:http handler in front of fastify that answers GET/HEAD of a zip
// whose verified copy is held in memory (zip-memory.ts, CachedObject.memoryCopy), without a Range
// header, with the headers and the body in one write, and leaves every other request to fastify
// untouched (ranges, zips not held, redirects, stale or refused ones, errors). It asks what the
// general route asks, in its order (path parsing, the client token check, the module allow/deny
// check, the cache's memory step), sends the headers send-object.ts sends (objectHeaders,
// notModified: 200, HEAD, 304) and records the same flow line and metrics. A zip hit costs fastify's
// per-request work otherwise, which at zip rates runs unoptimised and costs about as much as
// writing the bytes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ANONYMOUS, type Identity } from '../auth/identity.js';
import type { ProxyRequest } from './request-path.js';
import type { FinishedRequest, RequestFlow } from './request-flow.js';
import { identifyOnce, type FastHitsOptions } from './fast-hits.js';
import { notModified, objectHeaders } from './send-object.js';

/** What the small-hit fast path takes, with the plain recorder in place of the template one (a zip hit is not made twice alike often enough). */
export interface ZipHitsOptions extends Omit<FastHitsOptions, 'recorder' | 'onAnswer'> {
  readonly record: (r: FinishedRequest) => void;
}

export interface ZipHits {
  /** Answers the request (resolves true), or leaves it untouched for fastify (false, or resolves false). */
  handle(req: IncomingMessage, res: ServerResponse): false | Promise<boolean>;
}

export function createZipHits(opts: ZipHitsOptions): ZipHits {
  const { cache, access, record, nextId } = opts;
  const base = `${opts.pathPrefix}/`;

  const answer = async (req: IncomingMessage, res: ServerResponse, q: { path: string; version: string }, id: Identity, start: number): Promise<boolean> => {
    try {
      access?.checkModule(id, q.path);
    } catch {
      return false; // fastify refuses it with the same check
    }
    const obj = cache.inMemory({ kind: 'zip', path: q.path, version: q.version });
    if (obj === undefined || obj.body !== undefined || obj.staleReason !== undefined || obj.memoryCopy === undefined) return false;
    const bytes = await obj.memoryCopy();
    if (bytes === undefined || (await obj.redirectUrl()) !== undefined) return false;
    const headers = objectHeaders('zip', obj, opts.shortMaxAge).flat();
    const head = req.method === 'HEAD';
    const fresh304 = notModified(req.headers, obj.etag, obj.modified.toUTCString());
    // (As fastify answers: a 304 without Content-Length, a HEAD 304 with `content-length: 0`.)
    if (!fresh304) headers.push('content-length', String(bytes.length));
    else if (head) headers.push('content-length', '0');
    const status = fresh304 ? 304 : 200;
    res.writeHead(status, headers);
    if (fresh304 || head) res.end();
    else res.end(bytes);
    const flow: RequestFlow = { ip: req.socket.remoteAddress ?? 'unknown' };
    if (id !== ANONYMOUS) flow.identity = id.name;
    flow.kind = 'zip';
    flow.module = q.path;
    flow.version = q.version;
    flow.cache = obj.cache;
    flow.source = obj.source;
    record({ reqId: nextId(), method: req.method!, url: req.url ?? '', flow, status, bytes: status === 200 ? bytes.length : 0, elapsedMs: performance.now() - start });
    return true;
  };

  return {
    handle(req, res) {
      const method = req.method;
      if ((method !== 'GET' && method !== 'HEAD') || req.headers.range !== undefined) return false;
      const url = req.url ?? '';
      if (!url.startsWith(base) || !url.endsWith('.zip')) return false;
      const start = performance.now();
      let parsed: ProxyRequest | undefined;
      try {
        parsed = opts.parse(url.slice(base.length));
      } catch {
        return false; // fastify answers the 400 with its reason
      }
      if (parsed === undefined || parsed.kind !== 'zip') return false;
      const q = parsed;
      const ip = req.socket.remoteAddress ?? 'unknown';
      const identity = !access || (!access.required && req.headers.authorization === undefined) ? Promise.resolve(ANONYMOUS) : identifyOnce(access, req, { headers: req.headers, ip, url, raw: req });
      return identity.then(
        (id) => answer(req, res, q, id, start),
        () => false,
      );
    },
  };
}

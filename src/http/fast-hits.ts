// The hit fast path: a node:http handler in front of fastify that answers GET/HEAD of small files
// the cache already holds in memory (.info, .mod, @v/list, @latest, resolved queries) with a
// ready-made answer per cached object (headers built once, body in the same write), and hands every
// other request to fastify untouched: misses, zips, ranges, errors, admin, api, dashboard, sumdb.
// It asks the same functions the general route asks, in the same order (path parsing, the client
// token check, the module allow/deny check, the cache's memory step), sends the same headers
// (objectHeaders, notModified from send-object.ts) and records the same flow line and metrics.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CachedObject, ModuleCache, MemoryQuery } from '../cache/module-cache.js';
import type { AccessPolicy, RequestInfo } from './access-policy.js';
import { ANONYMOUS, type Identity } from '../auth/identity.js';
import type { ProxyRequest } from './request-path.js';
import type { FinishedRequest, RequestFlow } from './request-flow.js';
import { notModified, objectHeaders } from './send-object.js';

export interface FastHitsOptions {
  readonly cache: Pick<ModuleCache, 'inMemory'>;
  readonly access?: AccessPolicy;
  readonly pathPrefix: string;
  readonly shortMaxAge: number;
  /** The request a path (after the prefix, no query) asks for (memoised); throws or undefined = not a valid proxy request. */
  readonly parse: (rel: string) => ProxyRequest | undefined;
  readonly record: (r: FinishedRequest) => void;
  readonly nextId: () => string;
}

/** Answers the request (true), or leaves it untouched for fastify (false); async only when credentials are checked. */
export type FastHits = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** The ready-made answers with one object: 200 and 304 header lists (flat name, value, ...). */
interface Prepared {
  readonly ok: string[];
  readonly notModified: string[];
  readonly headNotModified: string[];
  readonly body: Buffer;
  readonly etag: string;
  readonly lastModified: string;
}

/** The identity of one request (read routes), made once whichever path asks (a refusal is recorded once). */
const clientChecks = new WeakMap<IncomingMessage, Promise<Identity>>();

export function identifyOnce(access: AccessPolicy, raw: IncomingMessage, info: RequestInfo): Promise<Identity> {
  let p = clientChecks.get(raw);
  if (p === undefined) {
    p = access.identify(info, 'read');
    p.catch(() => undefined); // the path that answers reports it
    clientChecks.set(raw, p);
  }
  return p;
}

export function createFastHits(opts: FastHitsOptions): FastHits {
  const { cache, access, record, nextId } = opts;
  const base = `${opts.pathPrefix}/`;
  const prepared = new WeakMap<CachedObject, Prepared>();

  const prepare = (kind: MemoryQuery['kind'], obj: CachedObject, body: Buffer): Prepared => {
    let p = prepared.get(obj);
    if (p === undefined) {
      const headers = objectHeaders(kind, obj, opts.shortMaxAge).flat();
      // fastify sends a 304 without Content-Length, and a HEAD 304 with `content-length: 0`.
      p = { ok: [...headers, 'content-length', String(body.length)], notModified: headers, headNotModified: [...headers, 'content-length', '0'], body, etag: obj.etag, lastModified: obj.modified.toUTCString() };
      prepared.set(obj, p);
    }
    return p;
  };

  /** The answer from memory, or false to hand the request over. */
  const answer = (req: IncomingMessage, res: ServerResponse, start: number, q: MemoryQuery, id: Identity, ip: string): boolean => {
    try {
      access?.checkModule(id, q.path);
    } catch {
      return false; // fastify refuses it with the same check
    }
    const obj = cache.inMemory(q);
    const body = obj?.body;
    if (obj === undefined || body === undefined) return false;
    const p = prepare(q.kind, obj, body);
    const head = req.method === 'HEAD';
    let status = 200;
    if (notModified(req.headers, p.etag, p.lastModified)) {
      status = 304;
      res.writeHead(304, head ? p.headNotModified : p.notModified);
      res.end();
    } else {
      res.writeHead(200, p.ok);
      if (head) res.end();
      else res.end(p.body);
    }
    const flow: RequestFlow = { kind: q.kind, module: q.path, cache: obj.cache, source: obj.source, ip };
    if (id !== ANONYMOUS) flow.identity = id.name;
    if ('version' in q) flow.version = q.version;
    record({ reqId: nextId(), method: req.method!, url: req.url!, flow, status, bytes: status === 200 ? body.length : 0, elapsedMs: performance.now() - start });
    return true;
  };

  return (req, res) => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const url = req.url ?? '';
    if (!url.startsWith(base)) return false;
    const start = performance.now();
    const qi = url.indexOf('?');
    let parsed: ProxyRequest | undefined;
    try {
      parsed = opts.parse(qi < 0 ? url.slice(base.length) : url.slice(base.length, qi));
    } catch {
      return false; // fastify answers the 400 with its reason
    }
    if (parsed === undefined || parsed.kind === 'zip') return false;
    const q = parsed;
    const ip = req.socket.remoteAddress ?? 'unknown';
    // Open proxy, no credentials: anonymous at once (no promise on the hot path).
    if (!access || (!access.required && req.headers.authorization === undefined)) return answer(req, res, start, q, ANONYMOUS, ip);
    const info: RequestInfo = { headers: req.headers, ip, url, raw: req };
    return identifyOnce(access, req, info).then(
      (id) => answer(req, res, start, q, id, ip),
      () => false,
    );
  };
}

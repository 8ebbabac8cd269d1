// The hit fast path: answers GET/HEAD of small files the cache already holds in memory (.info,
// .mod, @v/list, @latest, resolved queries) with a ready-made answer per cached object (headers
// built once, body in the same write), before fastify, and leaves every other request to fastify
// untouched: misses, zips, ranges, errors, admin, api, dashboard, sumdb. It asks the same functions
// the general route asks, in the same order (path parsing, the client token check, the module
// allow/deny check, the cache's memory step), sends the same headers (objectHeaders, notModified
// from send-object.ts) and records the same flow line and metrics. Two writers use it: a node:http
// handler (`handle`) and the raw front (raw-front.ts, `ask`), which writes the answer's bytes itself.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { CachedObject, ModuleCache, MemoryQuery } from '../cache/module-cache.js';
import type { AccessPolicy, RequestInfo } from './access-policy.js';
import { ANONYMOUS, type Identity } from '../auth/identity.js';
import type { ProxyRequest } from './request-path.js';
import type { FlowRecorder, HitTemplate, RequestFlow } from './request-flow.js';
import { notModified, objectHeaders } from './send-object.js';

export interface FastHitsOptions {
  readonly cache: Pick<ModuleCache, 'inMemory'>;
  readonly access?: AccessPolicy;
  readonly pathPrefix: string;
  readonly shortMaxAge: number;
  /** The request a path (after the prefix, no query) asks for; throws or undefined = not a valid proxy request. */
  readonly parse: (rel: string) => ProxyRequest | undefined;
  readonly recorder: FlowRecorder;
  readonly nextId: () => string;
  /** Called for each answer, once recorded (tests). */
  readonly onAnswer?: () => void;
}

/** What the fast path remembers of one request target: the lookup it asks for and the records of its answers. */
interface Target {
  readonly q: MemoryQuery;
  /** One record template per kind of answer (object, method, status, identity); a few at most. */
  readonly templates: Array<{ readonly p: Prepared; readonly method: string; readonly status: number; readonly id: Identity; readonly t: HitTemplate }>;
}

/** Request targets remembered (valid proxy requests of small files only). */
const MAX_TARGETS = 20_000;

/** What a hit's answer is made of: the request as received, whichever server read it. */
export interface HitRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Pick<IncomingHttpHeaders, 'authorization' | 'if-none-match' | 'if-modified-since'>;
  readonly ip: string;
}

/** The ready-made answers with one object: 200 and 304 header lists (flat name, value, ...). */
export interface Prepared {
  readonly ok: string[];
  readonly notModified: string[];
  readonly headNotModified: string[];
  readonly body: Buffer;
  readonly etag: string;
  readonly lastModified: string;
}

/** A hit to answer: write `headers` (and `body` when defined) with `status`, then call `done`. */
export interface Hit {
  readonly status: 200 | 304;
  readonly prepared: Prepared;
  readonly headers: string[];
  readonly body: Buffer | undefined;
  /** Records the flow line and metrics (once the answer was handed to the socket). */
  done(): void;
}

export interface FastHits {
  /** node:http: answers the request (true), or leaves it untouched for fastify (false); async only when credentials are checked. */
  handle(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean>;
  /**
   * The hit `r` is (undefined: not one, hand the request over); a promise while credentials are
   * checked. `key` stands for the request in the one-identity-check-per-request bookkeeping
   * (passIdentity hands it on with the connection).
   */
  ask(r: HitRequest, key: object): Hit | undefined | Promise<Hit | undefined>;
}

/** The identity of one request (read routes), made once whichever path asks (a refusal is recorded once). */
const clientChecks = new WeakMap<object, Promise<Identity>>();
/** Identity checks of the first request of a connection the raw front handed to node:http. */
const handedChecks = new WeakMap<Socket, Promise<Identity>>();

/** The identity check for `key` (made once; the one handed on with `socket` when there is one). */
function checkOnce(access: AccessPolicy, key: object, info: RequestInfo, socket?: Socket): Promise<Identity> {
  let p = clientChecks.get(key);
  if (p === undefined) {
    p = socket && handedChecks.get(socket);
    if (p !== undefined) handedChecks.delete(socket!);
    else {
      p = access.identify(info, 'read');
      p.catch(() => undefined); // the path that answers reports it
    }
    clientChecks.set(key, p);
  }
  return p;
}

export function identifyOnce(access: AccessPolicy, raw: IncomingMessage, info: RequestInfo): Promise<Identity> {
  return checkOnce(access, raw, info, raw.socket);
}

/** The identity check made for `key` (if any) becomes that of the next request node:http reads on `socket`. */
export function passIdentity(key: object, socket: Socket): void {
  const p = clientChecks.get(key);
  if (p !== undefined) handedChecks.set(socket, p);
}

export function createFastHits(opts: FastHitsOptions): FastHits {
  const { cache, access, recorder, nextId } = opts;
  const onAnswer = opts.onAnswer;
  const base = `${opts.pathPrefix}/`;
  const prepared = new WeakMap<CachedObject, Prepared>();
  const targets = new Map<string, Target>();

  /** The target `url` names, or undefined when it is not a small file's (fastify answers it). */
  const targetOf = (url: string): Target | undefined => {
    const known = targets.get(url);
    if (known !== undefined) return known;
    const qi = url.indexOf('?');
    let parsed: ProxyRequest | undefined;
    try {
      parsed = opts.parse(qi < 0 ? url.slice(base.length) : url.slice(base.length, qi));
    } catch {
      return undefined; // fastify answers the 400 with its reason
    }
    if (parsed === undefined || parsed.kind === 'zip') return undefined;
    if (targets.size >= MAX_TARGETS) targets.delete(targets.keys().next().value!);
    const t: Target = { q: parsed, templates: [] };
    targets.set(url, t);
    return t;
  };

  /** The record template of an answer (made the first time such an answer is given). */
  const templateOf = (target: Target, r: HitRequest, p: Prepared, obj: CachedObject, status: 200 | 304, id: Identity): HitTemplate => {
    const method = r.method;
    for (const e of target.templates) if (e.p === p && e.method === method && e.status === status && e.id === id) return e.t;
    const q = target.q;
    const flow: RequestFlow = { kind: q.kind, module: q.path, cache: obj.cache, source: obj.source, ip: r.ip };
    if (id !== ANONYMOUS) flow.identity = id.name;
    if ('version' in q) flow.version = q.version;
    const t = recorder.template({ method, url: r.url, flow, status, bytes: status === 200 ? p.body.length : 0 });
    if (target.templates.length >= 8) target.templates.shift();
    target.templates.push({ p, method, status, id, t });
    return t;
  };

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

  /** The answer from memory, or undefined to hand the request over. */
  const answer = (r: HitRequest, start: number, target: Target, id: Identity): Hit | undefined => {
    const q = target.q;
    try {
      access?.checkModule(id, q.path);
    } catch {
      return undefined; // fastify refuses it with the same check
    }
    const obj = cache.inMemory(q);
    const body = obj?.body;
    if (obj === undefined || body === undefined) return undefined;
    const p = prepare(q.kind, obj, body);
    const head = r.method === 'HEAD';
    const fresh304 = notModified(r.headers, p.etag, p.lastModified);
    const status = fresh304 ? 304 : 200;
    return {
      status,
      prepared: p,
      headers: fresh304 ? (head ? p.headNotModified : p.notModified) : p.ok,
      body: fresh304 || head ? undefined : p.body,
      done() {
        recorder.hit(templateOf(target, r, p, obj, status, id), nextId(), performance.now() - start, r.ip);
        onAnswer?.();
      },
    };
  };

  const ask = (r: HitRequest, identify: () => Promise<Identity>): Hit | undefined | Promise<Hit | undefined> => {
    const method = r.method;
    if (method !== 'GET' && method !== 'HEAD') return undefined;
    const url = r.url;
    if (!url.startsWith(base)) return undefined;
    const start = performance.now();
    const target = targetOf(url);
    if (target === undefined) return undefined;
    // Open proxy, no credentials: anonymous at once (no promise on the hot path).
    if (!access || (!access.required && r.headers.authorization === undefined)) return answer(r, start, target, ANONYMOUS);
    return identify().then(
      (id) => answer(r, start, target, id),
      () => undefined,
    );
  };

  const write = (res: ServerResponse, hit: Hit): true => {
    res.writeHead(hit.status, hit.headers);
    if (hit.body === undefined) res.end();
    else res.end(hit.body);
    hit.done();
    return true;
  };

  return {
    handle(req, res) {
      const r: HitRequest = { method: req.method!, url: req.url ?? '', headers: req.headers, ip: req.socket.remoteAddress ?? 'unknown' };
      const hit = ask(r, () => identifyOnce(access!, req, { headers: req.headers, ip: r.ip, url: r.url, raw: req }));
      if (hit === undefined) return false;
      if (!(hit instanceof Promise)) return write(res, hit);
      return hit.then((h) => h !== undefined && write(res, h));
    },
    ask(r, key) {
      return ask(r, () => checkOnce(access!, key, { headers: r.headers, ip: r.ip, url: r.url }));
    },
  };
}

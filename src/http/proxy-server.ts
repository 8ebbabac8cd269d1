// The HTTP server: GOPROXY routes, health/readiness, one request-flow log line per request.
// Parses the request, calls the cache, maps the result; status codes come from error-status.ts.
// In front of fastify, fast-hits.ts answers small files already in memory and zip-hits.ts zips
// held in memory; everything else (and every request while the server closes) is routed here. Over TLS (HTTP/2 with HTTP/1.1 fallback)
// HTTP/1.1 requests go through the fast path too (not the raw socket front); HTTP/2 requests all go
// through fastify.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer } from 'node:http2';
import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { ModgateError } from '../errors/modgate-error.js';
import type { ModuleCache, CachedObject } from '../cache/module-cache.js';
import { statusOf } from './error-status.js';
import { parseProxyPath, type ProxyRequest } from './request-path.js';
import { LRUCache } from 'lru-cache';
import { entryBound } from '../cache/lru-bound.js';
import type { AccessPolicy } from './access-policy.js';
import { sendObject } from './send-object.js';
import { clientErrorHandler, requestError } from './client-errors.js';
import { createPathRedactor, type PathRedactor } from './server-paths.js';
import type { Metrics } from '../observe/metrics.js';
import { withFlowNotes } from '../observe/flow-scope.js';
import { createFlowRecorder, createRequestIds, type FinishedRequest, type FlowRecorderOptions, type RequestFlow } from './request-flow.js';
import { identifyOnce, createFastHits } from './fast-hits.js';
import { installRawFront } from './raw-front.js';
import { createZipHits } from './zip-hits.js';
import { ANONYMOUS, type Identity } from '../auth/identity.js';
import type { TlsPair } from './tls-context.js';
import { clientAddress } from './client-address.js';

export type { RequestFlow } from './request-flow.js';

declare module 'fastify' {
  interface FastifyRequest {
    flow: RequestFlow;
  }
}

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves with an optional warning; throws when not ready. */
  check(): Promise<string | void>;
}

export interface ProxyServerOptions {
  readonly cache: ModuleCache;
  readonly logger: Logger;
  readonly pathPrefix: string;
  /** max-age for list/@latest/query answers and not-found answers. */
  readonly shortMaxAge: number;
  readonly negativeMaxAge: number;
  readonly readiness: readonly ReadinessCheck[];
  readonly metrics?: Metrics;
  /** The /metrics body (default: this process's registry; with --workers: all workers summed). */
  readonly metricsText?: () => Promise<string>;
  /** Identities, route access and module permissions (default: open to everyone, every module). */
  readonly access?: AccessPolicy;
  /** Serve /metrics on this server (false: it has its own listener, --metrics-listen). Default true. */
  readonly metricsRoute?: boolean;
  /** Called for each request that named a module (the audit log). */
  readonly onAudit?: FlowRecorderOptions['onAudit'];
  /** Serve HTTPS with this certificate: HTTP/2 when the client offers it (ALPN), else HTTP/1.1. */
  readonly tls?: TlsPair;
  /** Called with each finished request's flow entry (dashboard statistics). */
  readonly onFlow?: FlowRecorderOptions['onFlow'];
  /** Directories whose paths never appear in an error body (cache, temp, git mirrors). */
  readonly serverPaths?: readonly string[];
  /** Extra routes (sumdb proxy, admin, metrics...) registered by compose. */
  readonly plugins?: ReadonlyArray<(app: FastifyInstance) => void | Promise<void>>;
  /** Answer hits of small files in memory before fastify (fast-hits.ts); default true. */
  readonly fastPath?: boolean;
  /** Read plain requests on the socket and answer those hits there (raw-front.ts); default true (with fastPath). */
  readonly rawFront?: boolean;
  /** Called for each request the fast path answered (tests). */
  readonly onFastAnswer?: () => void;
  /** Called for each request the raw front answered itself (tests). */
  readonly onFrontAnswer?: () => void;
}

function plain(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).header('content-type', 'text/plain; charset=utf-8').send(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * The plain-text error answer: status from the code, the user message without server paths. A 5xx
 * is logged with its full message (paths included) so the operator sees the cause.
 */
function errorReply(req: FastifyRequest, reply: FastifyReply, err: unknown, opts: { negativeMaxAge: number; logger: Logger; redact: PathRedactor }): FastifyReply {
  const { negativeMaxAge, logger } = opts;
  const known = err instanceof ModgateError ? err : requestError(err);
  const e = known ?? new ModgateError('INTERNAL', `internal error (request ${req.id})`, { cause: err });
  if (!known) logger.error({ err, reqId: req.id }, 'internal error');
  const status = statusOf(e.code);
  if (known && status >= 500) logger.warn({ reqId: req.id, code: e.code, err: e.message }, `request failed: ${e.code}`);
  if (e.details?.cache === 'negative') req.flow.cache = 'negative';
  if (typeof e.details?.authenticate === 'string') reply.header('www-authenticate', e.details.authenticate);
  reply.header('cache-control', status === 404 || status === 410 ? `public, max-age=${negativeMaxAge}` : 'no-store');
  reply.header('x-modgate-error', e.code);
  return plain(reply, status, opts.redact(e.userMessage));
}

/** 405 for a method the module proxy does not answer (it is read-only: GET and HEAD). */
function methodNotAllowed(req: FastifyRequest, reply: FastifyReply): never {
  req.flow.kind = 'other';
  reply.header('allow', 'GET, HEAD');
  throw new ModgateError('METHOD_NOT_ALLOWED', `method ${req.method} not allowed: this path answers GET and HEAD only`);
}

const lazyRequire = createRequire(import.meta.url);
type Compilers = Required<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>>;
/** fastify's own schema compilers, loaded the first time a schema is compiled (modgate's routes have none). */
type Build = (...args: unknown[]) => (...args: unknown[]) => unknown;
// (cast: fastify's compiler types are overloads a forwarding function cannot restate)
const lazyCompilers = {
  buildValidator: (...args: unknown[]) => (lazyRequire('@fastify/ajv-compiler') as () => Build)()(...args),
  buildSerializer: (...args: unknown[]) => (lazyRequire('@fastify/fast-json-stringify-compiler') as () => Build)()(...args),
} as unknown as Compilers;

/** The answer to every request that arrives while the server closes (instead of fastify's JSON one). */
function shuttingDown(res: ServerResponse): void {
  const e = new ModgateError('SHUTTING_DOWN', 'modgate is shutting down: retry the request', { hint: 'another replica, or this one once restarted, answers it' });
  const body = `${e.userMessage}\n`;
  res.writeHead(statusOf(e.code), ['content-type', 'text/plain; charset=utf-8', 'cache-control', 'no-store', 'x-modgate-error', e.code, 'content-length', String(Buffer.byteLength(body)), 'connection', 'close']);
  res.end(body);
}

export async function createProxyServer(opts: ProxyServerOptions): Promise<FastifyInstance> {
  const nextId = createRequestIds();
  const recorder = createFlowRecorder({
    logger: opts.logger, ...(opts.metrics ? { metrics: opts.metrics } : {}), ...(opts.onFlow ? { onFlow: opts.onFlow } : {}), ...(opts.onAudit ? { onAudit: opts.onAudit } : {}),
  });
  const record = (r: Parameters<typeof recorder.record>[0]): void => recorder.record(r);
  const prefix = opts.pathPrefix;
  // Parsing and validating a path costs more than serving a hit from memory: remember the result
  // per raw path (valid requests only; bad ones are rare and must keep their errors).
  const parsedPaths = new LRUCache<string, ProxyRequest>(entryBound(20_000));
  const parse = (rel: string): ProxyRequest | undefined => {
    let parsed = parsedPaths.get(rel);
    if (parsed === undefined) {
      parsed = parseProxyPath(rel);
      if (parsed) parsedPaths.set(rel, parsed);
    }
    return parsed;
  };
  /** What the zip fast path records an answer with (counted for tests as a fast answer). */
  const fastRecord = opts.onFastAnswer
    ? (r: FinishedRequest) => {
        opts.onFastAnswer?.();
        record(r);
      }
    : record;
  const fast =
    opts.fastPath === false
      ? undefined
      : createFastHits({
          cache: opts.cache,
          ...(opts.access ? { access: opts.access } : {}),
          pathPrefix: prefix,
          shortMaxAge: opts.shortMaxAge,
          parse,
          nextId,
          recorder,
          ...(opts.onFastAnswer ? { onAnswer: opts.onFastAnswer } : {}),
        });
  const zips =
    opts.fastPath === false
      ? undefined
      : createZipHits({ cache: opts.cache, ...(opts.access ? { access: opts.access } : {}), pathPrefix: prefix, shortMaxAge: opts.shortMaxAge, parse, nextId, record: fastRecord });
  let closing = false;
  const started = new WeakMap<IncomingMessage, number>();

  const common = {
    logger: false,
    return503OnClosing: true,
    routerOptions: { ignoreDuplicateSlashes: false, maxParamLength: 4096 },
    bodyLimit: 32 << 20,
    genReqId: nextId,
    // No route has a schema: ajv and fast-json-stringify are loaded only if one ever asks for them.
    schemaController: { compilersFactory: lazyCompilers },
    // Requests refused before routing (by Node's parser or by fastify): plain text like ours.
    clientErrorHandler,
    frameworkErrors: (err: Error, _req: FastifyRequest, reply: FastifyReply) => {
      const e = requestError(err) ?? new ModgateError('INVALID_REQUEST', 'bad request');
      void plain(reply, statusOf(e.code), e.userMessage);
    },
  };
  // (fastify's types tie the instance type to the server kind; the routes use only what both share.)
  const create = Fastify as unknown as (o: object) => FastifyInstance;
  type Handler = (req: IncomingMessage, res: ServerResponse) => void;
  /** The fast path and the closing answer in front of fastify's handler (HTTP/1.1, plain or over TLS). */
  const inFront = (handler: Handler): Handler => {
    const toFastify = (req: IncomingMessage, res: ServerResponse): void => {
      if (!closing) return handler(req, res);
      shuttingDown(res);
      record({ reqId: nextId(), method: req.method ?? '', url: req.url ?? '', flow: { kind: 'other' }, status: res.statusCode, bytes: 0, elapsedMs: performance.now() - (started.get(req) ?? performance.now()) });
    };
    return (req, res) => {
      if (closing) {
        started.set(req, performance.now());
        return toFastify(req, res);
      }
      let answered = fast?.handle(req, res) ?? false;
      if (answered === false) answered = zips?.handle(req, res) ?? false;
      if (answered === false) handler(req, res);
      else if (answered !== true) {
        started.set(req, performance.now());
        answered.then(
          (ok) => ok || toFastify(req, res),
          () => toFastify(req, res),
        );
      }
    };
  };
  const app = opts.tls
    ? create({
      ...common,
      http2: true,
      https: { allowHTTP1: true, cert: opts.tls.cert, key: opts.tls.key },
      // node:http2's secure server as fastify would make it (it answers HTTP/1.1 too, with node:http's
      // request and response objects: those go through the fast path); fastify closes its sessions on close.
      serverFactory: (handler: Handler, fastifyOptions: unknown) => {
        const o = fastifyOptions as { http2SessionTimeout: number; connectionTimeout: number };
        const http1 = inFront(handler);
        const server = createSecureServer({ allowHTTP1: true, cert: opts.tls!.cert, key: opts.tls!.key }, (req, res) => {
          if (req.httpVersionMajor === 1) http1(req as unknown as IncomingMessage, res as unknown as ServerResponse);
          else handler(req as unknown as IncomingMessage, res as unknown as ServerResponse);
        });
        server.on('session', (session) => session.setTimeout(o.http2SessionTimeout, () => session.close()));
        server.setTimeout(o.connectionTimeout);
        return server;
      },
    })
    : create({
    ...common,
    forceCloseConnections: 'idle',
    // node:http as fastify would make it, with the fast path and the closing answer in front.
    serverFactory: (handler: Handler, fastifyOptions: unknown) => {
      const o = fastifyOptions as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number; maxRequestsPerSocket: number };
      const server = createServer(inFront(handler));
      server.keepAliveTimeout = o.keepAliveTimeout;
      server.requestTimeout = o.requestTimeout;
      server.setTimeout(o.connectionTimeout);
      if (o.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = o.maxRequestsPerSocket;
      if (fast && opts.rawFront !== false) installRawFront({ server, hits: fast, closing: () => closing, ...(opts.onFrontAnswer ? { onAnswer: opts.onFrontAnswer } : {}) });
      return server;
    },
  });
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.decorateRequest('flow', null as unknown as RequestFlow);
  app.decorateRequest('identity', null as unknown as Identity);
  const access = opts.access;
  app.addHook('onRequest', async (req) => {
    req.flow = { ip: clientAddress(req) };
    req.identity = ANONYMOUS;
    if (!access) return;
    const need = req.routeOptions.config?.access ?? 'read';
    req.identity = need === 'read' ? await identifyOnce(access, req.raw, req) : await access.identify(req, need);
    if (req.identity !== ANONYMOUS) req.flow.identity = req.identity.name;
  });
  app.addHook('onResponse', async (req, reply) => {
    // A connection idle after an answer sent while closing is closed now, not at its keep-alive timeout.
    if (closing) setImmediate(() => (app.server as { closeIdleConnections?: () => void }).closeIdleConnections?.());
    const len = reply.getHeader('content-length');
    record({ reqId: req.id, method: req.method, url: req.url, flow: req.flow, status: reply.statusCode, bytes: typeof len === 'number' ? len : Number(len ?? 0), elapsedMs: reply.elapsedTime });
  });
  const redact = createPathRedactor(opts.serverPaths ?? []);
  app.setErrorHandler((err, req, reply) => errorReply(req, reply, err, { negativeMaxAge: opts.negativeMaxAge, logger: opts.logger, redact }));
  // Methods fastify has no route table for also land here: they are not allowed either.
  app.setNotFoundHandler(async (req, reply) => (req.method === 'GET' || req.method === 'HEAD' ? plain(reply, 404, `not found: ${req.url}`) : methodNotAllowed(req, reply)));

  const open = { config: { access: 'public' as const } };
  app.get(`${prefix}/healthz`, open, async (_req, reply) => plain(reply, 200, 'ok'));
  app.get(`${prefix}/readyz`, open, async (_req, reply) => {
    const lines: string[] = [];
    let ok = true;
    for (const c of opts.readiness) {
      try {
        const warning = await c.check();
        lines.push(warning ? `${c.name}: ok (warning: ${warning})` : `${c.name}: ok`);
      } catch (err) {
        ok = false;
        lines.push(`${c.name}: FAIL: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    // Public like /healthz: the reasons without server paths (the log has them).
    return plain(reply, ok ? 200 : 503, redact(lines.join('\n')));
  });
  if (opts.metrics && opts.metricsRoute !== false) {
    const registry = opts.metrics.registry;
    app.get(`${prefix}/metrics`, { config: { access: 'metrics' } }, async (req, reply) => {
      req.flow.kind = 'metrics';
      return reply.header('content-type', registry.contentType).send(await (opts.metricsText ?? (() => registry.metrics()))());
    });
  }
  for (const plugin of opts.plugins ?? []) await plugin(app);

  // Every other method on the proxy's paths: 405 with Allow (before any body is read).
  app.route({
    method: app.supportedMethods.filter((m) => m !== 'GET' && m !== 'HEAD'),
    url: `${prefix}/*`,
    onRequest: async (req, reply) => methodNotAllowed(req, reply),
    handler: async () => undefined,
  });

  app.get(`${prefix}/*`, async (req, reply) => {
    const rawUrl = req.raw.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    if (!rawPath.startsWith(`${prefix}/`)) return plain(reply, 404, `not found: ${rawPath}`);
    const rel = rawPath.slice(prefix.length + 1);
    const parsed = parse(rel);
    if (!parsed) {
      throw new ModgateError('INVALID_REQUEST', `not a module proxy request: /${rel}`, {
        hint: 'expected /<module>/@v/list, /<module>/@v/<version>.info|.mod|.zip or /<module>/@latest',
      });
    }
    const flow = req.flow;
    flow.kind = parsed.kind;
    flow.module = parsed.path;
    access?.checkModule(req.identity, parsed.path);
    if ('version' in parsed) flow.version = parsed.version;
    const obj = await withFlowNotes(flow, () => lookup(opts.cache, parsed));
    flow.cache = obj.cache;
    flow.source = obj.source;
    return sendObject(req, reply, parsed.kind, obj, {
      shortMaxAge: opts.shortMaxAge,
      onReopened: (o) => {
        flow.cache = o.cache;
        flow.source = o.source;
      },
    });
  });
  return app;
}

function lookup(cache: ModuleCache, r: ProxyRequest): Promise<CachedObject> {
  switch (r.kind) {
    case 'list':
      return cache.list(r.path);
    case 'latest':
      return cache.latest(r.path);
    case 'info':
      return cache.info(r.path, r.version, r.canonical);
    case 'mod':
      return cache.mod(r.path, r.version);
    case 'zip':
      return cache.zip(r.path, r.version);
  }
}

// The admin API under /admin/ (token-protected; off when no token is configured): events, stats,
// purge (dry-run first), refresh, prewarm jobs with progress, GC, upstream health.
import type { FastifyInstance } from 'fastify';
import type { FastifyRequest } from 'fastify';
import * as z from 'zod';
import { ModgateError } from '../errors/modgate-error.js';
import { modulePathError } from '../module/check-path.js';
import { checkVersion } from '../module/version.js';
import type { EventLog, EventType } from '../observe/event-log.js';
import type { AuditLog, AuditQuery } from '../observe/audit-log.js';
import type { Operations } from '../service/operations.js';
import { baseUrlOf } from './api-routes.js';

export interface AdminRoutesOptions {
  readonly pathPrefix: string;
  readonly events: EventLog;
  /** Answers /admin/audit (absent: 404). */
  readonly audit?: AuditLog;
  readonly ops?: Operations;
}

/** A module path in any admin body: Go's module path rules (so `../victim` never reaches storage). */
const modulePath = z.string().min(1).superRefine((p, ctx) => {
  const reason = modulePathError(p);
  if (reason !== undefined) ctx.addIssue({ code: 'custom', message: `malformed module path ${JSON.stringify(p)}: ${reason}` });
});

const purgeBody = z
  .object({ module: modulePath.optional(), version: z.string().min(1).optional(), pattern: z.string().min(1).optional(), dryRun: z.boolean().optional() })
  .strict()
  .refine((b) => (b.module !== undefined) !== (b.pattern !== undefined), 'give exactly one of "module" or "pattern"')
  .refine((b) => b.version === undefined || b.module !== undefined, '"version" needs "module"')
  .superRefine((b, ctx) => {
    if (b.module === undefined || b.version === undefined || modulePathError(b.module) !== undefined) return;
    try {
      checkVersion(b.module, b.version);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['version'], message: (err as Error).message });
    }
  });
const refreshBody = z.object({ module: modulePath }).strict();
const gcBody = z.object({ maxBytes: z.number().int().min(0).optional(), dryRun: z.boolean().optional() }).strict();

/**
 * The JSON body of an admin request, checked against its schema: the one place every admin
 * endpoint's input (module paths, versions) is validated. Malformed JSON never gets here (fastify's
 * parser answers 400); a body of another type is 415.
 */
function parse<T>(schema: z.ZodType<T>, req: FastifyRequest): T {
  if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) {
    throw new ModgateError('UNSUPPORTED_MEDIA_TYPE', `this endpoint reads a JSON body, not ${req.headers['content-type'] ?? 'an untyped one'}`, {
      hint: 'send Content-Type: application/json',
    });
  }
  const r = schema.safeParse(req.body ?? {});
  if (!r.success) throw new ModgateError('INVALID_REQUEST', `invalid request body: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** `since` as an RFC 3339 time or a duration back from now (`90s`, `30m`, `24h`, `7d`). */
export function parseSince(v: string, now = Date.now()): Date {
  const d = /^(\d+)([smhd])$/.exec(v);
  if (d) return new Date(now - Number(d[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[d[2] as 's' | 'm' | 'h' | 'd']);
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t)) throw new ModgateError('INVALID_REQUEST', `since=${JSON.stringify(v)}: expected an RFC 3339 time (2026-01-02T15:04:05Z) or a duration like 30m, 24h, 7d`);
  return new Date(t);
}

function parseAuditQuery(q: Record<string, string | undefined>): AuditQuery {
  for (const k of Object.keys(q)) {
    if (!['module', 'version', 'identity', 'since', 'limit'].includes(k)) throw new ModgateError('INVALID_REQUEST', `unknown parameter ${JSON.stringify(k)}: expected module, version, identity, since, limit`);
  }
  if (q.module !== undefined) {
    const reason = modulePathError(q.module);
    if (reason !== undefined) throw new ModgateError('INVALID_REQUEST', `malformed module path ${JSON.stringify(q.module)}: ${reason}`);
  }
  if (q.version !== undefined && q.module === undefined) throw new ModgateError('INVALID_REQUEST', '"version" needs "module"');
  const limit = Math.min(10_000, Math.max(1, Number(q.limit ?? 1000) || 1000));
  return {
    limit,
    ...(q.module !== undefined ? { module: q.module } : {}),
    ...(q.version !== undefined ? { version: q.version } : {}),
    ...(q.identity !== undefined ? { identity: q.identity } : {}),
    ...(q.since !== undefined ? { since: parseSince(q.since) } : {}),
  };
}

export function adminRoutes(opts: AdminRoutesOptions) {
  return (app: FastifyInstance): void => {
    void app.register(
      async (admin) => {
        admin.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: 16 << 20 }, (_req, body, done) => done(null, body));
        // The access check itself runs in the server's onRequest hook (access-policy.ts).
        admin.addHook('onRoute', (route) => {
          route.config = { ...route.config, access: 'admin' };
        });
        admin.addHook('onRequest', async (req) => {
          req.flow.kind = 'admin';
        });
        admin.route({
          method: ['PUT', 'DELETE', 'PATCH', 'OPTIONS'],
          url: '/*',
          handler: async (req, reply) => {
            reply.header('allow', 'GET, POST');
            throw new ModgateError('METHOD_NOT_ALLOWED', `method ${req.method} not allowed: the admin API answers GET and POST`);
          },
        });
        admin.get<{ Querystring: { limit?: string; type?: string } }>('/events', async (req) => {
          const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
          const type = req.query.type as EventType | undefined;
          return { events: await opts.events.recent({ limit, ...(type ? { type } : {}) }) };
        });
        const audit = opts.audit;
        if (audit) {
          admin.get<{ Querystring: Record<string, string | undefined> }>('/audit', async (req) => ({ records: await audit.query(parseAuditQuery(req.query)) }));
        }
        const ops = opts.ops;
        if (!ops) return;
        admin.get('/stats', async (req) => ops.overview(baseUrlOf(req, opts.pathPrefix)));
        admin.get('/upstreams', async () => ({ upstreams: ops.stats.upstreams() }));
        admin.post('/purge', async (req) => {
          const body = parse(purgeBody, req);
          const result = await ops.inventory.purge(body);
          if (!result.dryRun) {
            await opts.events.record('purge', `purged ${body.module ?? body.pattern ?? ''}${body.version ? `@${body.version}` : ''}`, {
              ...body, removed: result.removed.length, bytes: result.bytes,
            });
          }
          return result;
        });
        admin.post('/refresh', async (req) => ops.refresh(parse(refreshBody, req).module));
        admin.post('/prewarm', async (req, reply) => {
          if (req.body !== undefined && typeof req.body !== 'string') {
            throw new ModgateError('UNSUPPORTED_MEDIA_TYPE', `prewarm reads a text/plain body, not ${req.headers['content-type'] ?? 'an untyped one'}`, { hint: 'send Content-Type: text/plain' });
          }
          const text = typeof req.body === 'string' ? req.body : '';
          if (text.trim() === '') throw new ModgateError('INVALID_REQUEST', 'send a go.mod, a go.sum, or module@version lines as a text/plain body');
          const job = await ops.prewarm(text, baseUrlOf(req, opts.pathPrefix));
          return reply.code(202).send({ id: job.id });
        });
        // An air-gap bundle, streamed (never buffered); 202 with the job id once it has been read.
        admin.addContentTypeParser(['application/gzip', 'application/octet-stream'], (_req, payload, done) => done(null, payload));
        admin.post('/import', async (req, reply) => {
          if (!ops.importBundle) throw new ModgateError('NOT_FOUND', 'bundle import is not available on this server');
          if (!req.body || typeof (req.body as { pipe?: unknown }).pipe !== 'function') {
            throw new ModgateError('INVALID_REQUEST', 'send the bundle as the request body with Content-Type: application/gzip');
          }
          return reply.code(202).send(await ops.importBundle(req.body as import('node:stream').Readable));
        });
        admin.get<{ Params: { id: string } }>('/jobs/:id', async (req) => {
          const job = ops.jobs.get(req.params.id);
          if (!job) throw new ModgateError('NOT_FOUND', `no job ${req.params.id}`);
          return job;
        });
        admin.post('/gc', async (req) => {
          const result = await ops.gc(parse(gcBody, req));
          if (!result.dryRun && result.removed.length > 0) {
            await opts.events.record('gc', `GC removed ${result.removed.length} versions (${result.freedBytes} bytes)`, { removed: result.removed.length, freedBytes: result.freedBytes });
          }
          return result;
        });
      },
      { prefix: `${opts.pathPrefix}/admin` },
    );
  };
}

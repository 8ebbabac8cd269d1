// The admin API under /admin/ (token-protected; off when no token is configured): events, stats,
// purge (dry-run first), refresh, prewarm jobs with progress, GC, upstream health.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ModgateError } from '../errors/modgate-error.js';
import type { EventLog, EventType } from '../observe/event-log.js';
import type { TokenChecker } from './admin-auth.js';
import type { Operations } from './operations.js';
import { baseUrlOf } from './api-routes.js';

export interface AdminRoutesOptions {
  readonly pathPrefix: string;
  readonly auth: TokenChecker;
  readonly events: EventLog;
  readonly ops?: Operations;
}

const purgeBody = z
  .object({ module: z.string().min(1).optional(), version: z.string().min(1).optional(), pattern: z.string().min(1).optional(), dryRun: z.boolean().optional() })
  .strict()
  .refine((b) => (b.module !== undefined) !== (b.pattern !== undefined), 'give exactly one of "module" or "pattern"')
  .refine((b) => b.version === undefined || b.module !== undefined, '"version" needs "module"');
const refreshBody = z.object({ module: z.string().min(1) }).strict();
const gcBody = z.object({ maxBytes: z.number().int().min(0).optional(), dryRun: z.boolean().optional() }).strict();

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new ModgateError('INVALID_REQUEST', `invalid request body: ${r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export function adminRoutes(opts: AdminRoutesOptions) {
  return (app: FastifyInstance): void => {
    void app.register(
      async (admin) => {
        admin.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: 16 << 20 }, (_req, body, done) => done(null, body));
        admin.addHook('onRequest', async (req) => {
          req.flow.kind = 'admin';
          if (!opts.auth.enabled) throw new ModgateError('NOT_FOUND', 'the admin API is off (no admin token configured)');
          await opts.auth.check(req);
        });
        admin.get<{ Querystring: { limit?: string; type?: string } }>('/events', async (req) => {
          const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
          const type = req.query.type as EventType | undefined;
          return { events: await opts.events.recent({ limit, ...(type ? { type } : {}) }) };
        });
        const ops = opts.ops;
        if (!ops) return;
        admin.get('/stats', async (req) => ops.overview(baseUrlOf(req, opts.pathPrefix)));
        admin.get('/upstreams', async () => ({ upstreams: ops.stats.upstreams() }));
        admin.post('/purge', async (req) => {
          const body = parse(purgeBody, req.body);
          const result = await ops.inventory.purge(body);
          if (!result.dryRun) {
            await opts.events.record('purge', `purged ${body.module ?? body.pattern ?? ''}${body.version ? `@${body.version}` : ''}`, {
              ...body, removed: result.removed.length, bytes: result.bytes,
            });
          }
          return result;
        });
        admin.post('/refresh', async (req) => ops.refresh(parse(refreshBody, req.body).module));
        admin.post('/prewarm', async (req, reply) => {
          const text = typeof req.body === 'string' ? req.body : '';
          if (text.trim() === '') throw new ModgateError('INVALID_REQUEST', 'send a go.mod, a go.sum, or module@version lines as a text/plain body');
          const job = await ops.prewarm(text, baseUrlOf(req, opts.pathPrefix));
          return reply.code(202).send({ id: job.id });
        });
        admin.get<{ Params: { id: string } }>('/jobs/:id', async (req) => {
          const job = ops.jobs.get(req.params.id);
          if (!job) throw new ModgateError('NOT_FOUND', `no job ${req.params.id}`);
          return job;
        });
        admin.post('/gc', async (req) => {
          const result = await ops.gc(parse(gcBody, req.body));
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

// The admin API under /admin/ (token-protected; off when no token is configured).
import type { FastifyInstance } from 'fastify';
import { ModgateError } from '../errors/modgate-error.js';
import type { EventLog, EventType } from '../observe/event-log.js';
import type { TokenChecker } from './admin-auth.js';

export interface AdminRoutesOptions {
  readonly pathPrefix: string;
  readonly auth: TokenChecker;
  readonly events: EventLog;
}

export function adminRoutes(opts: AdminRoutesOptions) {
  return (app: FastifyInstance): void => {
    void app.register(
      async (admin) => {
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
      },
      { prefix: `${opts.pathPrefix}/admin` },
    );
  };
}

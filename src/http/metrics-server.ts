// /metrics on its own listener (--metrics-listen): a scrape address that can stay on an internal
// network while clients reach --listen. The same access rule applies as on the main listener: the
// metrics token or an admin identity when either authentication or a metrics token is configured.
import Fastify, { type FastifyInstance } from 'fastify';
import { ModgateError } from '../errors/modgate-error.js';
import { ANONYMOUS, type Identity } from '../auth/identity.js';
import type { AccessPolicy } from './access-policy.js';
import { statusOf } from './error-status.js';
import type { ListenAddress } from '../config/config-values.js';
import { listenAt } from './listen-url.js';

export interface MetricsServerOptions {
  readonly listen: ListenAddress;
  readonly pathPrefix: string;
  readonly contentType: string;
  readonly text: () => Promise<string>;
  readonly access?: AccessPolicy;
}

/** Starts listening; resolves with the server and its URL. */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.decorateRequest('identity', null as unknown as Identity);
  app.addHook('onRequest', async (req) => {
    req.identity = opts.access ? await opts.access.identify(req, 'metrics') : ANONYMOUS;
  });
  app.setErrorHandler((err, _req, reply) => {
    const e = err instanceof ModgateError ? err : new ModgateError('INTERNAL', 'internal error', { cause: err });
    if (typeof e.details?.authenticate === 'string') reply.header('www-authenticate', e.details.authenticate);
    return reply.code(statusOf(e.code)).header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send(`${e.userMessage}\n`);
  });
  app.get(`${opts.pathPrefix}/metrics`, async (_req, reply) => reply.header('content-type', opts.contentType).send(await opts.text()));
  return { app, url: `${await listenAt(app, opts.listen, 'http')}${opts.pathPrefix}/metrics` };
}

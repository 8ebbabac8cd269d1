// The checksum database proxy: /sumdb/<name>/supported, /lookup/<m>@<v>, /tile/..., /latest for
// configured databases, served from modgate's verified cache (so clients behind a firewall keep
// GOSUMDB on). Lookups of paths matching the private/nosumdb patterns are never forwarded.
import type { FastifyInstance } from 'fastify';
import { ModgateError } from '../errors/modgate-error.js';
import { unescapePath, unescapeVersion } from '../module/escape.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import type { SumdbHandle } from '../cache/verifying-gate.js';
import type { AccessPolicy } from './access-policy.js';

export interface SumdbRoutesOptions {
  readonly pathPrefix: string;
  /** Client tokens (the checksum DB proxy is part of the proxy). */
  readonly access?: AccessPolicy;
  readonly databases: readonly SumdbHandle[];
  readonly nosumdb: string;
}

export function sumdbRoutes(opts: SumdbRoutesOptions) {
  const byName = new Map(opts.databases.map((d) => [d.name, d]));
  const dbOf = (name: string): SumdbHandle => {
    const db = byName.get(name);
    if (!db) throw new ModgateError('NOT_FOUND', `checksum database ${name} is not proxied here`, { hint: `proxied: ${[...byName.keys()].join(', ') || 'none'}` });
    return db;
  };
  return (app: FastifyInstance): void => {
    const base = `${opts.pathPrefix}/sumdb/:name`;
    app.addHook('onRequest', async (req) => {
      if (opts.access && req.url.startsWith(`${opts.pathPrefix}/sumdb/`)) await opts.access.checkClient(req);
    });
    app.get<{ Params: { name: string } }>(`${base}/supported`, async (req, reply) => {
      dbOf(req.params.name);
      req.flow.kind = 'sumdb';
      return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send('');
    });
    app.get<{ Params: { name: string } }>(`${base}/latest`, async (req, reply) => {
      req.flow.kind = 'sumdb';
      const note = await dbOf(req.params.name).client.latest();
      return reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-cache').send(note);
    });
    app.get<{ Params: { name: string; '*': string } }>(`${base}/lookup/*`, async (req, reply) => {
      req.flow.kind = 'sumdb';
      const db = dbOf(req.params.name);
      const rest = req.params['*'];
      const at = rest.lastIndexOf('@');
      if (at <= 0) throw new ModgateError('INVALID_REQUEST', `malformed lookup ${JSON.stringify(rest)}`);
      const path = unescapePath(rest.slice(0, at));
      const version = unescapeVersion(rest.slice(at + 1));
      req.flow.module = path;
      req.flow.version = version;
      if (matchPrefixPatterns(opts.nosumdb, path)) {
        throw new ModgateError('NOT_FOUND', `${path} is private here: its lookups are not forwarded to ${db.name}`, {
          hint: 'set GONOSUMDB/GOPRIVATE for this path on the client',
        });
      }
      const body = await db.client.rawLookup(path, version);
      return reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'public, max-age=3600').send(body);
    });
    app.get<{ Params: { name: string; '*': string } }>(`${base}/tile/*`, async (req, reply) => {
      req.flow.kind = 'sumdb';
      const db = dbOf(req.params.name);
      const path = `tile/${req.params['*']}`;
      const body = await db.client.tile(path);
      const partial = path.includes('.p/');
      return reply
        .header('content-type', 'application/octet-stream')
        .header('cache-control', partial ? 'public, max-age=60' : 'public, max-age=31536000, immutable')
        .send(body);
    });
  };
}

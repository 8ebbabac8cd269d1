// modgate's own checksum database over HTTP: /sumdb/<name>/{supported,latest,lookup/M@V,tile/...}
// exactly as the go command reads a database, both when GOSUMDB names this URL and when the go
// command finds the database through GOPROXY=modgate. Lookups of versions not yet recorded admit
// them first (fetch, verify, record); the status of every error is decided in error-status.ts.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { answerLogPath, parseLookupPath } from '../sumdb/log-paths.js';
import type { LogServer } from '../sumdb/log-server.js';
import type { AccessPolicy } from './access-policy.js';

export interface OwnSumdbRoutesOptions {
  readonly pathPrefix: string;
  readonly server: LogServer;
  readonly access?: AccessPolicy;
  /** Fetches, verifies and records a version; resolves once its record is published. */
  readonly admit: (path: string, version: string) => Promise<void>;
}

export function ownSumdbRoutes(opts: OwnSumdbRoutesOptions) {
  const base = `${opts.pathPrefix}/sumdb/${opts.server.name}`;
  const answer = async (reply: FastifyReply, rel: string, cacheControl: string) => {
    const body = await answerLogPath({ server: opts.server, admit: opts.admit }, rel);
    const type = rel.startsWith('tile/') ? 'application/octet-stream' : 'text/plain; charset=utf-8';
    return reply.header('content-type', type).header('cache-control', cacheControl).send(body);
  };
  return (app: FastifyInstance): void => {
    app.get(`${base}/supported`, async (req, reply) => {
      req.flow.kind = 'sumdb';
      return answer(reply, 'supported', 'no-cache');
    });
    app.get(`${base}/latest`, async (req, reply) => {
      req.flow.kind = 'sumdb';
      return answer(reply, 'latest', 'no-cache');
    });
    app.get<{ Params: { '*': string } }>(`${base}/lookup/*`, async (req, reply) => {
      req.flow.kind = 'sumdb';
      const { path, version } = parseLookupPath(req.params['*']);
      req.flow.module = path;
      req.flow.version = version;
      opts.access?.checkModule(req.identity, path);
      return answer(reply, `lookup/${req.params['*']}`, 'public, max-age=3600');
    });
    app.get<{ Params: { '*': string } }>(`${base}/tile/*`, async (req, reply) => {
      req.flow.kind = 'sumdb';
      const rel = `tile/${req.params['*']}`;
      return answer(reply, rel, rel.includes('.p/') ? 'public, max-age=60' : 'public, max-age=31536000, immutable');
    });
  };
}

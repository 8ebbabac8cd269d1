// The client's address for logs, events and the audit: fastify's req.ip, else (HTTP/2, where the
// compat request's socket is its session's) the session socket's. Read it while the request is live.
import type { FastifyRequest } from 'fastify';
import type { Http2ServerRequest } from 'node:http2';

export function clientAddress(req: Pick<FastifyRequest, 'ip'> & Partial<Pick<FastifyRequest, 'raw'>>): string {
  if (req.ip) return req.ip;
  const raw = req.raw as unknown as Partial<Http2ServerRequest> | undefined;
  return raw?.stream?.session?.socket?.remoteAddress ?? 'unknown';
}

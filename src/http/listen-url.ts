// Listening on a configured address and the base URL it is reached at (the chosen port when the
// address gives port 0; IPv6 hosts in brackets).
import type { FastifyInstance } from 'fastify';
import type { ListenAddress } from '../config/config-values.js';

/** Starts listening; resolves with `scheme://host:port` (no trailing slash). */
export async function listenAt(app: FastifyInstance, listen: ListenAddress, scheme: 'http' | 'https'): Promise<string> {
  await app.listen({ host: listen.host, port: listen.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `${scheme}://${host}:${port}`;
}

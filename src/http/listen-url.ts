// Listening on a configured address and the base URL it is reached at (the chosen port when the
// address gives port 0; IPv6 hosts in brackets). With an early listener (early-listener.ts) the
// server takes over its socket and the connections that waited instead of binding again.
import type { FastifyInstance, FastifyListenOptions } from 'fastify';
import type { ListenAddress } from '../config/config-values.js';
import type { EarlyListener } from './early-listener.js';

/** Starts listening; resolves with `scheme://host:port` (no trailing slash). */
export async function listenAt(app: FastifyInstance, listen: ListenAddress, scheme: 'http' | 'https', early?: EarlyListener): Promise<string> {
  // (node's listen takes a `handle`; fastify passes its options through. The host keeps fastify
  // from binding more addresses for 'localhost', which early-listening configs never name.)
  await app.listen({ host: listen.host, port: listen.port, ...(early ? { handle: early.handle } : {}) } as FastifyListenOptions);
  early?.release(app.server);
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `${scheme}://${host}:${port}`;
}

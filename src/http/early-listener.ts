// Listening before the server is built (issue #10: start time): a node:net listener opened as soon
// as the configuration is known to be good, whose connections wait unread (paused, in the kernel's
// buffers) while fastify, the routes and the metrics are made. The node:http server fastify runs on
// then takes over the listening socket itself (node's `server.listen(handle)`) and the connections
// that waited, in the order they arrived; from then on it is as if it had listened all along.
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server } from 'node:http';
import type { ListenAddress } from '../config/config-values.js';

export interface EarlyListener {
  /** `http://host:port` (the chosen port when the address gives port 0; IPv6 hosts in brackets). */
  readonly origin: string;
  /** The listening handle, for fastify's `listen({ handle })` (node adopts it, no second bind). */
  readonly handle: object;
  /** Gives the connections that waited to `server` (listening on `handle` by now), oldest first. */
  release(server: Server): void;
  /**
   * Resolves once the connections given away had a turn of the event loop to read what they sent
   * while waiting (a stop right after the start answers those requests instead of resetting them:
   * closing a socket with unread bytes sends a reset).
   */
  read(): Promise<void>;
  /** Resolves once every connection that waited has closed (node:http counts only those it accepted). */
  drained(): Promise<void>;
  /** Stops listening and closes the waiting connections (the server could not be built). */
  abort(): void;
}

/** Listens at `listen`; rejects with node's own error (EADDRINUSE, EACCES, ...) like fastify's listen. */
export async function listenEarly(listen: ListenAddress): Promise<EarlyListener> {
  const waiting: Socket[] = [];
  let open = 0;
  let onDrained: (() => void) | undefined;
  const closed = (): void => {
    open--;
    if (open === 0) onDrained?.();
  };
  const listener: NetServer = createServer({ pauseOnConnect: true }, (socket) => {
    open++;
    socket.once('close', closed);
    // (Nothing is read while it waits; a reset is just a connection gone.)
    socket.on('error', ignore);
    waiting.push(socket);
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ host: listen.host, port: listen.port }, () => {
      listener.removeListener('error', reject);
      resolve();
    });
  });
  let read: Promise<void> | undefined;
  const addr = listener.address();
  const port = typeof addr === 'object' && addr ? addr.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    origin: `http://${host}:${port}`,
    handle: (listener as unknown as { _handle: object })._handle,
    release(server) {
      for (const socket of waiting.splice(0)) {
        socket.removeListener('error', ignore);
        handTo(server, socket);
      }
      // (An immediate runs after this turn's poll phase, which may have passed: the one it sets runs
      // after the next one, which reads every socket with bytes waiting.)
      read = new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
    },
    read: () => read ?? Promise.resolve(),
    drained: () => (open === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onDrained = resolve))),
    abort() {
      listener.close();
      for (const socket of waiting.splice(0)) socket.destroy();
    },
  };
}

function ignore(): void {}

function handTo(server: Server, socket: Socket): void {
  server.emit('connection', socket);
  socket.resume();
}

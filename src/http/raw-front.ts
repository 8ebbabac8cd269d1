// The raw front: reads the requests of each new connection itself (raw-request.ts: strict, plain
// GET/HEAD only), answers the in-memory hits among them (fast-hits.ts decides, through the same
// checks as every route) with one socket write of ready-made bytes, keep-alive and pipelined
// requests in order, and at the first request it does not answer hands the connection, with the
// bytes not yet answered, to node:http (the server fastify runs on), which owns it from then on.
// An answer is byte for byte what node:http would send for the same hit (Date included, from the
// same once-per-second clock). Idle connections are closed after the server's keepAliveTimeout
// (one that never sent a request: its headersTimeout), within a second; when the server closes,
// idle ones at once, busy ones after their answer; a request arriving while it closes goes to
// node:http (its 503). A request that arrives in pieces goes to node:http at once, so header size
// limits and slow clients are its rules.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { passIdentity, type FastHits, type Hit } from './fast-hits.js';
import { readRequest, type RawRequest } from './raw-request.js';

export interface RawFrontOptions {
  /** The node:http server: the front takes over its 'connection' listener (call after its timeouts are set). */
  readonly server: Server;
  readonly hits: FastHits;
  /** The server is closing: new requests go to node:http. */
  readonly closing: () => boolean;
  /** Called for each request the front answered (tests). */
  readonly onAnswer?: () => void;
}

interface Conn {
  readonly socket: Socket;
  readonly ip: string;
  /** Seconds-ticks since the last bytes arrived. */
  idle: number;
  /** Some request was answered (the keep-alive timeout applies, not the first request's). */
  answered: boolean;
  /** Waiting for a credential check. */
  busy: boolean;
  /** Reading paused until the client drains what was written. */
  draining: boolean;
  readonly onData: (chunk: Buffer) => void;
  readonly onEnd: () => void;
  readonly onClose: () => void;
  readonly onDrain: () => void;
}

const STATUS_LINE: Readonly<Record<number, string>> = { 200: 'HTTP/1.1 200 OK\r\n', 304: 'HTTP/1.1 304 Not Modified\r\n' };
const noop = (): void => undefined;
/** Ends the connection once what was written is flushed. */
const finish = (s: Socket): void => {
  s.end(() => s.destroy());
};

/** node:http's Date value: the current second's, computed once per second. */
let date: string | undefined;
function utcDate(): string {
  if (date === undefined) {
    const d = new Date();
    date = d.toUTCString();
    setTimeout(() => (date = undefined), 1000 - d.getMilliseconds()).unref();
  }
  return date;
}

/** Installs the front on `server` (no-op when node:http would count requests per socket). */
export function installRawFront(opts: RawFrontOptions): void {
  const { server, hits, closing } = opts;
  const onAnswer = opts.onAnswer ?? noop;
  const httpConnection = server.listeners('connection')[0] as ((socket: Socket) => void) | undefined;
  if (httpConnection === undefined || (server.maxRequestsPerSocket ?? 0) > 0) return;
  server.removeListener('connection', httpConnection);

  const keepAlive = server.keepAliveTimeout > 0 ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(server.keepAliveTimeout / 1000)}\r\n\r\n` : 'Connection: keep-alive\r\n\r\n';
  const close = 'Connection: close\r\n\r\n';
  /** Status line and headers (up to Date) per header list of a ready-made answer. */
  const heads = new WeakMap<string[], string>();
  /** The whole keep-alive answer of a plain 200 GET, per answer, for the second it was made in. */
  const whole = new WeakMap<Hit['prepared'], { date: string; bytes: Buffer }>();
  const headOf = (hit: Hit): string => {
    let h = heads.get(hit.headers);
    if (h === undefined) {
      h = STATUS_LINE[hit.status]!;
      for (let i = 0; i < hit.headers.length; i += 2) h += `${hit.headers[i]}: ${hit.headers[i + 1]}\r\n`;
      heads.set(hit.headers, h);
    }
    return h;
  };
  const bytesOf = (hit: Hit, closeAfter: boolean): Buffer => {
    const d = utcDate();
    const plain = !closeAfter && hit.body !== undefined && hit.status === 200;
    if (plain) {
      const w = whole.get(hit.prepared);
      if (w !== undefined && w.date === d) return w.bytes;
    }
    const head = Buffer.from(`${headOf(hit)}Date: ${d}\r\n${closeAfter ? close : keepAlive}`, 'latin1');
    const bytes = hit.body === undefined ? head : Buffer.concat([head, hit.body]);
    if (plain) whole.set(hit.prepared, { date: d, bytes });
    return bytes;
  };

  const conns = new Set<Conn>();
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = (): void => {
    for (const c of conns) {
      if (c.busy || c.draining) continue;
      c.idle++;
      const limit = c.answered ? server.keepAliveTimeout : server.headersTimeout;
      if (limit > 0 && c.idle * 1000 > limit) c.socket.destroy();
    }
  };

  const detach = (c: Conn): void => {
    conns.delete(c);
    if (conns.size === 0 && sweeper !== undefined) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
    const s = c.socket;
    s.removeListener('data', c.onData);
    s.removeListener('end', c.onEnd);
    s.removeListener('close', c.onClose);
    s.removeListener('drain', c.onDrain);
  };

  /** node:http takes the connection, starting at `buf[off]` (the first request not answered). */
  const handOver = (c: Conn, buf: Buffer, off: number, key?: RawRequest): void => {
    detach(c);
    const s = c.socket;
    if (key !== undefined) passIdentity(key, s);
    if (off < buf.length) s.unshift(buf.subarray(off));
    httpConnection.call(server, s);
    // (Paused while a credential was checked or a write drained: no 'end' can have been missed.)
    if (s.isPaused()) s.resume();
  };

  const write = (c: Conn, bytes: Buffer | Buffer[]): void => {
    const s = c.socket;
    let ok: boolean;
    if (Array.isArray(bytes)) {
      s.cork();
      ok = true;
      for (const b of bytes) ok = s.write(b);
      s.uncork();
    } else ok = s.write(bytes);
    if (!ok && !c.draining) {
      c.draining = true;
      s.pause();
    }
  };

  /** Answers the requests in `buf` from `off` on, in order, until one is not a hit. */
  const serve = (c: Conn, buf: Buffer, off: number): void => {
    let out: Buffer | Buffer[] | undefined;
    const done: Hit[] = [];
    const flush = (): void => {
      if (out === undefined) return;
      write(c, out);
      out = undefined;
      for (const h of done) {
        h.done();
        onAnswer();
      }
      done.length = 0;
    };
    while (off < buf.length) {
      const r = readRequest(buf, off);
      // A close with more bytes behind it: node:http decides what happens to them.
      if (r === undefined || (r.close && r.end < buf.length) || c.socket.destroyed || closing()) break;
      const hit = hits.ask({ method: r.method, url: r.url, headers: r.headers, ip: c.ip }, r);
      if (hit === undefined) {
        flush();
        return handOver(c, buf, off, r);
      }
      if (hit instanceof Promise) {
        flush();
        c.busy = true;
        c.socket.pause();
        const at = off;
        hit.then(
          (h) => {
            c.busy = false;
            if (c.socket.destroyed) return;
            if (h === undefined) return handOver(c, buf, at, r);
            answered(c, r, h);
            if (!r.close) {
              if (!c.draining) c.socket.resume();
              serve(c, buf, r.end);
            }
          },
          () => {
            c.busy = false;
            if (!c.socket.destroyed) handOver(c, buf, at, r);
          },
        );
        return;
      }
      c.answered = true;
      const bytes = bytesOf(hit, r.close);
      out = out === undefined ? bytes : Array.isArray(out) ? (out.push(bytes), out) : [out, bytes];
      done.push(hit);
      off = r.end;
      if (r.close) {
        flush();
        return finish(c.socket);
      }
    }
    flush();
    if (c.socket.destroyed) return;
    if (off < buf.length) return handOver(c, buf, off);
    if (closing()) finish(c.socket);
  };

  const answered = (c: Conn, r: RawRequest, h: Hit): void => {
    c.answered = true;
    write(c, bytesOf(h, r.close));
    h.done();
    onAnswer();
    if (r.close) finish(c.socket);
  };

  const accept = (socket: Socket): void => {
    const c: Conn = {
      socket,
      ip: socket.remoteAddress ?? 'unknown',
      idle: 0,
      answered: false,
      busy: false,
      draining: false,
      onData: (chunk) => {
        c.idle = 0;
        if (closing()) return handOver(c, chunk, 0);
        serve(c, chunk, 0);
      },
      // (Never while busy or draining: reading is paused then.)
      onEnd: () => finish(socket),
      onClose: () => detach(c),
      onDrain: () => {
        c.draining = false;
        if (!c.busy) socket.resume();
      },
    };
    socket.on('error', noop); // a reset connection is just gone (node:http does the same)
    socket.on('data', c.onData);
    socket.on('end', c.onEnd);
    socket.on('close', c.onClose);
    socket.on('drain', c.onDrain);
    conns.add(c);
    sweeper ??= setInterval(sweep, 1000).unref();
  };
  server.on('connection', accept);

  // fastify's close (and node's server.close) close idle connections: the front's too.
  const closeIdle = server.closeIdleConnections.bind(server);
  server.closeIdleConnections = () => {
    for (const c of conns) {
      if (c.busy) continue;
      if (c.socket.writableLength > 0) finish(c.socket);
      else c.socket.destroy();
    }
    closeIdle();
  };
}

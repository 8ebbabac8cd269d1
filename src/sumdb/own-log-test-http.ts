// For tests: modgate's own log served over a loopback HTTP port by node:http (no fastify), with
// the same statuses as modgate (404 not found, 400 malformed, 502 otherwise, plain-text reasons).

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ModgateError } from '../errors/modgate-error.js';
import { answerLogPath } from './log-paths.js';
import type { LogServer } from './log-server.js';

export interface TestLogHttp {
  readonly url: string;
  /** Replaces the log served (a test swapping in a forged database). */
  swap(server: LogServer): void;
  close(): Promise<void>;
}

export async function serveLogHttp(initial: LogServer): Promise<TestLogHttp> {
  let server = initial;
  const http = createServer((req, res) => {
    const rel = decodeURIComponent((req.url ?? '/').slice(1));
    answerLogPath({ server }, rel).then(
      (body) => res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(body),
      (err: unknown) => {
        const code = err instanceof ModgateError ? err.code : 'INTERNAL';
        const status = code === 'NOT_FOUND' ? 404 : code.startsWith('INVALID') ? 400 : 502;
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${(err as Error).message}\n`);
      },
    );
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    swap: (s) => (server = s),
    close: () => new Promise<void>((r) => http.close(() => r())),
  };
}

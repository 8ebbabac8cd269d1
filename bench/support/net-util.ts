// Loopback helpers for the benchmarks: a free port, waiting for a server to answer, and a GET that
// drains the body and reports status, bytes and latency.
import { request, Agent } from 'node:http';

export { freePort } from '../../test/support/redis-server.js';

/** Polls url until any HTTP answer arrives; gives up after timeoutMs or when failed() says why. */
export async function waitForHttp(url: string, timeoutMs: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const why = failed();
    if (why !== undefined) throw new Error(why);
    try {
      await get(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export interface GetResult {
  status: number;
  bytes: number;
  ms: number;
  headers: Record<string, string | string[] | undefined>;
}

/** GETs url, discarding the body; rejects on a connection error or after timeoutMs. */
export function get(url: string, opts: { agent?: Agent; timeoutMs?: number } = {}): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { agent: opts.agent ?? false }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - t0, headers: res.headers }));
      res.once('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 120_000, () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 120_000} ms: ${url}`)));
    req.once('error', reject);
    req.end();
  });
}

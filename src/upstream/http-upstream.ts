// An upstream GOPROXY server over HTTP(S): keep-alive connection pool (undici), connect/header/body
// timeouts, an attempt deadline and minimum transfer rate (transfer-guard.ts), and bounded retries
// with backoff (undici's retry interceptor) for GETs failing with a connection error or 502/503/504.
import { Agent, interceptors, request, errors as undiciErrors } from 'undici';
import { retryGets } from './http-retry.js';
import type { Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import { ModgateError } from '../errors/modgate-error.js';
import { escapePath, escapeVersion } from '../module/escape.js';
import { redactUrl } from './proxy-list.js';
import { createTransferGuard, type TransferGuard, type TransferLimits } from './transfer-guard.js';
import { MAX_SMALL_BODY, MAX_ZIP_BYTES, type Upstream } from './upstream.js';

export interface HttpUpstreamOptions {
  readonly url: string;
  readonly connectTimeoutMs: number;
  /** Headers timeout and body inactivity timeout. */
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryBackoffMs: number;
  /** Attempt deadline and minimum rate (default: none). */
  readonly limits?: TransferLimits;
  readonly userAgent?: string;
}

/** Statuses and connection errors a GET is retried after (nothing else is). */
const RETRY_STATUS = [502, 503, 504];
const RETRY_ERROR_CODES = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'];
const NO_LIMITS: TransferLimits = { deadlineMs: 0, minBytesPerSecond: 0, rateWindowMs: 0 };

function isTimeout(err: unknown): boolean {
  return (
    err instanceof undiciErrors.ConnectTimeoutError ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError
  );
}

async function readLimited(body: Readable, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) {
      body.destroy();
      throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${what}: response larger than ${limit} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** A short printable excerpt of an upstream's error body, for our own error messages. */
async function errorExcerpt(body: Dispatcher.ResponseData['body']): Promise<string> {
  try {
    const text = (await readLimited(body, 4096, 'error body')).toString('utf8');
    const line = text.split('\n\n')[0]!.replace(/[^\x20-\x7e\n\t]/g, '').trim();
    return line.length > 300 ? `${line.slice(0, 300)}…` : line;
  } catch {
    return '';
  }
}

export function createHttpUpstream(opts: HttpUpstreamOptions): Upstream {
  const base = new URL(opts.url);
  const auth =
    base.username || base.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
      : undefined;
  base.username = '';
  base.password = '';
  const baseUrl = base.toString().replace(/\/+$/, '');
  const name = redactUrl(opts.url);
  const limits = opts.limits ?? NO_LIMITS;
  const agent = new Agent({
    connect: { timeout: opts.connectTimeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 30_000,
    connections: 64,
    // HTTP/2 when the upstream offers it over TLS (ALPN); HTTP/1.1 keep-alive otherwise.
    allowH2: true,
  }).compose(
    interceptors.redirect({ maxRedirections: 5 }),
    retryGets({ statusCodes: RETRY_STATUS, errorCodes: RETRY_ERROR_CODES, retries: opts.retries, backoffMs: opts.retryBackoffMs }),
  );
  const headers: Record<string, string> = { 'user-agent': opts.userAgent ?? 'modgate' };
  if (auth) headers.authorization = auth;

  /** Turns a failure of request/body into the Upstream error vocabulary (the broken limit first). */
  function classify(err: unknown, shown: string, guard: TransferGuard, signal: AbortSignal | undefined): unknown {
    if (guard.failure) return guard.failure;
    if (signal?.aborted || err instanceof ModgateError) return err;
    if (isTimeout(err)) return new ModgateError('UPSTREAM_TIMEOUT', `${shown}: no answer within ${opts.timeoutMs} ms`, { cause: err });
    return new ModgateError('UPSTREAM_ERROR', `${shown}: ${(err as Error).message}`, { cause: err });
  }

  /** GETs `rel` (already escaped): the 200 response, or a classified error. The guard times the attempt. */
  async function get(rel: string, guard: TransferGuard, signal: AbortSignal | undefined): Promise<Dispatcher.ResponseData> {
    const shown = `${name}/${rel}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(`${baseUrl}/${rel}`, {
        method: 'GET',
        headers,
        dispatcher: agent,
        signal: signal ? AbortSignal.any([signal, guard.signal]) : guard.signal,
      });
    } catch (err) {
      throw classify(err, shown, guard, signal);
    }
    const status = res.statusCode;
    if (status === 200) return res;
    const excerpt = await errorExcerpt(res.body);
    const detail = excerpt ? `: ${excerpt}` : '';
    if (status === 404) throw new ModgateError('NOT_FOUND', `${shown}: 404 Not Found${detail}`);
    if (status === 410) throw new ModgateError('GONE', `${shown}: 410 Gone${detail}`);
    throw new ModgateError('UPSTREAM_ERROR', `${shown}: unexpected status ${status}${detail}`);
  }

  async function small(rel: string, signal: AbortSignal | undefined): Promise<Buffer> {
    const guard = createTransferGuard(`${name}/${rel}`, limits);
    try {
      const res = await get(rel, guard, signal);
      return await readLimited(guard.watch(res.body), MAX_SMALL_BODY, `${name}/${rel}`);
    } catch (err) {
      if (guard.failure) throw guard.failure;
      if (err instanceof ModgateError || signal?.aborted) throw err;
      if (isTimeout(err)) throw new ModgateError('UPSTREAM_TIMEOUT', `${name}/${rel}: body stalled`, { cause: err });
      throw new ModgateError('UPSTREAM_ERROR', `${name}/${rel}: ${(err as Error).message}`, { cause: err });
    } finally {
      guard.done();
    }
  }

  const at = (path: string, file: string): string => `${escapePath(path)}/@v/${file}`;

  return {
    name,
    list: (path, signal) => small(at(path, 'list'), signal),
    latest: (path, signal) => small(`${escapePath(path)}/@latest`, signal),
    info: (path, version, signal) => small(at(path, `${escapeVersion(version)}.info`), signal),
    mod: (path, version, signal) => small(at(path, `${escapeVersion(version)}.mod`), signal),
    async zip(path, version, signal) {
      const rel = at(path, `${escapeVersion(version)}.zip`);
      const guard = createTransferGuard(`${name}/${rel}`, limits);
      let res: Dispatcher.ResponseData;
      try {
        res = await get(rel, guard, signal);
      } catch (err) {
        guard.done();
        throw err;
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > MAX_ZIP_BYTES) {
        guard.done();
        res.body.destroy();
        throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${name}/${rel}: zip of ${declared} bytes exceeds the 500 MiB limit`);
      }
      // The deadline and the rate keep running while the caller reads the body.
      return guard.watch(res.body);
    },
    async close() {
      await agent.close();
    },
  };
}

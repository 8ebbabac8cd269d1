// An upstream GOPROXY server over HTTP(S): keep-alive connection pool (undici), connect/header/body
// timeouts, bounded retries with backoff for connection failures and 502/503/504.
import { Agent, interceptors, request, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { ModgateError } from '../errors/modgate-error.js';
import { escapePath, escapeVersion } from '../module/escape.js';
import { redactUrl } from './proxy-list.js';
import { MAX_SMALL_BODY, MAX_ZIP_BYTES, type Upstream } from './upstream.js';

export interface HttpUpstreamOptions {
  readonly url: string;
  readonly connectTimeoutMs: number;
  /** Headers timeout and body inactivity timeout. */
  readonly timeoutMs: number;
  readonly retries: number;
  readonly retryBackoffMs: number;
  readonly userAgent?: string;
}

const RETRY_STATUS = new Set([502, 503, 504]);

function isRetryableNetworkError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return (
    code === 'ECONNRESET' ||
    code === 'ECONNREFUSED' ||
    code === 'EPIPE' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'UND_ERR_CLOSED'
  );
}

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
  const agent = new Agent({
    connect: { timeout: opts.connectTimeoutMs },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 30_000,
    connections: 64,
    // HTTP/2 when the upstream offers it over TLS (ALPN); HTTP/1.1 keep-alive otherwise.
    allowH2: true,
  }).compose(interceptors.redirect({ maxRedirections: 5 }));
  const headers: Record<string, string> = { 'user-agent': opts.userAgent ?? 'modgate' };
  if (auth) headers.authorization = auth;

  /** GETs `rel` (already escaped), returning the 200 response or throwing a classified error. */
  async function get(rel: string, signal: AbortSignal | undefined): Promise<Dispatcher.ResponseData> {
    const url = `${baseUrl}/${rel}`;
    const shown = `${name}/${rel}`;
    for (let attempt = 0; ; attempt++) {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: 'GET',
          headers,
          dispatcher: agent,
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        if (signal?.aborted) throw err;
        if (isTimeout(err)) {
          throw new ModgateError('UPSTREAM_TIMEOUT', `${shown}: no answer within ${opts.timeoutMs} ms`, { cause: err });
        }
        if (attempt < opts.retries && isRetryableNetworkError(err)) {
          await delay(opts.retryBackoffMs * 2 ** attempt * (0.5 + Math.random()), undefined, signal ? { signal } : {});
          continue;
        }
        throw new ModgateError('UPSTREAM_ERROR', `${shown}: ${(err as Error).message}`, { cause: err });
      }
      const status = res.statusCode;
      if (status === 200) return res;
      const excerpt = await errorExcerpt(res.body);
      const detail = excerpt ? `: ${excerpt}` : '';
      if (status === 404) throw new ModgateError('NOT_FOUND', `${shown}: 404 Not Found${detail}`);
      if (status === 410) throw new ModgateError('GONE', `${shown}: 410 Gone${detail}`);
      if (RETRY_STATUS.has(status) && attempt < opts.retries) {
        await delay(opts.retryBackoffMs * 2 ** attempt * (0.5 + Math.random()), undefined, signal ? { signal } : {});
        continue;
      }
      throw new ModgateError('UPSTREAM_ERROR', `${shown}: unexpected status ${status}${detail}`);
    }
  }

  async function small(rel: string, signal: AbortSignal | undefined): Promise<Buffer> {
    const res = await get(rel, signal);
    try {
      return await readLimited(res.body, MAX_SMALL_BODY, `${name}/${rel}`);
    } catch (err) {
      if (err instanceof ModgateError) throw err;
      if (isTimeout(err)) throw new ModgateError('UPSTREAM_TIMEOUT', `${name}/${rel}: body stalled`, { cause: err });
      throw new ModgateError('UPSTREAM_ERROR', `${name}/${rel}: ${(err as Error).message}`, { cause: err });
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
      const res = await get(rel, signal);
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > MAX_ZIP_BYTES) {
        res.body.destroy();
        throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${name}/${rel}: zip of ${declared} bytes exceeds the 500 MiB limit`);
      }
      return res.body;
    },
    async close() {
      await agent.close();
    },
  };
}

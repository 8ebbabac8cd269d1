// The HTTP side of `modgate prewarm`: GETs .info/.mod/.zip files from one GOPROXY-protocol URL with
// bounded concurrency, retries for transient failures, one request per file, and a record of each
// outcome (fetched / already cached per the x-modgate-cache header / failed with the reason).
import { Agent, request } from 'undici';
import { setTimeout as delay } from 'node:timers/promises';
import { escapePath, escapeVersion } from '../module/escape.js';

export type FileKind = 'info' | 'mod' | 'zip';
export type FileStatus = 'fetched' | 'cached' | 'failed';

export interface FileResult {
  readonly path: string;
  readonly version: string;
  readonly kind: FileKind;
  readonly status: FileStatus;
  /** The x-modgate-cache header as answered (hit, miss, stale, ...); absent from other proxies. */
  readonly cacheHeader?: string;
  readonly bytes: number;
  readonly attempts: number;
  /** Why it failed (status failed only). */
  readonly reason?: string;
}

export interface FetcherOptions {
  /** The GOPROXY base URL (no trailing slash). */
  readonly proxy: string;
  readonly concurrency: number;
  /** Retries after a transient failure (network error, timeout, 429, 5xx). */
  readonly retries: number;
  readonly retryBackoffMs: number;
  /** Headers and body-silence timeout per request. */
  readonly timeoutMs: number;
  /** Called when a file is first requested (progress total). */
  readonly onQueued?: () => void;
  /** Called after each file finishes (progress display). */
  readonly onFile?: (r: FileResult) => void;
}

export interface Fetcher {
  /** Fetches a file once; later calls for the same file share the first result. .mod bytes are kept. */
  get(path: string, version: string, kind: FileKind): Promise<FileResult & { readonly body?: Buffer }>;
  /** Every result so far, in completion order. */
  results(): readonly FileResult[];
  close(): Promise<void>;
}

class TransientError extends Error {}

/** A counting semaphore. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (fn) => {
    if (active >= n) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const msg = e.message ?? String(err);
  return code !== undefined && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

function isTransient(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  const e = err as { code?: string; cause?: { code?: string } };
  return TRANSIENT_CODES.has(e.code ?? '') || TRANSIENT_CODES.has(e.cause?.code ?? '');
}

export function createFetcher(opts: FetcherOptions): Fetcher {
  const agent = new Agent({ connections: opts.concurrency, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs, connectTimeout: opts.timeoutMs });
  const limit = limiter(opts.concurrency);
  const done: FileResult[] = [];
  const memo = new Map<string, Promise<FileResult & { body?: Buffer }>>();

  /** One attempt: resolves with the outcome, throws TransientError (or a network error) to retry. */
  async function attempt(url: string, kind: FileKind, version: string): Promise<{ cacheHeader?: string; bytes: number; body?: Buffer }> {
    const res = await request(url, { dispatcher: agent, headers: { 'user-agent': 'modgate-prewarm' } });
    const header = res.headers['x-modgate-cache'];
    const cacheHeader = Array.isArray(header) ? header[0] : header;
    if (res.statusCode !== 200) {
      const text = (await res.body.text().catch(() => '')).split('\n\n')[0]?.trim().slice(0, 300) ?? '';
      const reason = `${res.statusCode}${text === '' ? '' : `: ${text}`}`;
      if (res.statusCode === 429 || res.statusCode >= 500) throw new TransientError(reason);
      throw new Error(reason);
    }
    let bytes = 0;
    const keep: Buffer[] = [];
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      bytes += b.length;
      if (kind !== 'zip') keep.push(b);
    }
    if (kind === 'info') {
      const info = JSON.parse(Buffer.concat(keep).toString('utf8')) as { Version?: unknown };
      if (info.Version !== version) throw new Error(`.info names version ${JSON.stringify(info.Version)}, not ${version}`);
    }
    return { ...(cacheHeader === undefined ? {} : { cacheHeader }), bytes, ...(kind === 'mod' ? { body: Buffer.concat(keep) } : {}) };
  }

  async function fetchFile(path: string, version: string, kind: FileKind): Promise<FileResult & { body?: Buffer }> {
    const url = `${opts.proxy}/${escapePath(path)}/@v/${escapeVersion(version)}.${kind}`;
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        const r = await limit(() => attempt(url, kind, version));
        const status: FileStatus = r.cacheHeader === 'hit' ? 'cached' : 'fetched';
        return { path, version, kind, status, bytes: r.bytes, attempts, ...(r.cacheHeader === undefined ? {} : { cacheHeader: r.cacheHeader }), ...(r.body ? { body: r.body } : {}) };
      } catch (err) {
        if (isTransient(err) && attempts <= opts.retries) {
          await delay(opts.retryBackoffMs * 2 ** (attempts - 1));
          continue;
        }
        return { path, version, kind, status: 'failed', bytes: 0, attempts, reason: describe(err) };
      }
    }
  }

  return {
    get(path, version, kind) {
      const k = `${path}@${version}.${kind}`;
      let p = memo.get(k);
      if (!p) {
        opts.onQueued?.();
        let bad: string | undefined;
        try {
          escapePath(path);
          escapeVersion(version);
        } catch (err) {
          bad = describe(err);
        }
        p = (bad !== undefined ? Promise.resolve<FileResult>({ path, version, kind, status: 'failed', bytes: 0, attempts: 0, reason: bad }) : fetchFile(path, version, kind)).then((r) => {
          const { body: _body, ...plain } = r as FileResult & { body?: Buffer };
          done.push(plain);
          opts.onFile?.(plain);
          return r;
        });
        memo.set(k, p);
      }
      return p;
    },
    results: () => done,
    close: () => agent.close(),
  };
}

// The HTTP side of `modgate prewarm`: GETs .info/.mod/.zip files from one GOPROXY-protocol URL with
// bounded concurrency, retries for transient failures, one request per file, and a record of each
// outcome (fetched / already cached per the x-modgate-cache header / failed with the reason).
import { Agent, request, type Dispatcher } from 'undici';
import { retryGets } from '../upstream/http-retry.js';
import pLimit from 'p-limit';
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

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  const msg = e.message ?? String(err);
  return code !== undefined && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/** Statuses a GET is retried after (with the errors in TRANSIENT_CODES). */
const TRANSIENT_STATUS = [429, 500, 502, 503, 504];

/** An interceptor (innermost, under the retries) counting the requests sent per URL path. */
function countRequests(counts: Map<string, number>): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    counts.set(options.path, (counts.get(options.path) ?? 0) + 1);
    return dispatch(options, handler);
  };
}

export function createFetcher(opts: FetcherOptions): Fetcher {
  const sent = new Map<string, number>();
  // Transient failures (network errors, timeouts, 429, 5xx) are retried by undici with doubling
  // backoff; the last failing answer is handed back so its body can name the cause.
  const agent = new Agent({ connections: opts.concurrency, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs, connectTimeout: opts.timeoutMs }).compose(
    countRequests(sent),
    retryGets({ statusCodes: TRANSIENT_STATUS, errorCodes: [...TRANSIENT_CODES], retries: opts.retries, backoffMs: opts.retryBackoffMs }),
  );
  const limit = pLimit(opts.concurrency);
  const done: FileResult[] = [];
  const memo = new Map<string, Promise<FileResult & { body?: Buffer }>>();

  /** One GET (retried inside the dispatcher): the outcome, or a thrown reason. */
  async function fetchOnce(url: string, kind: FileKind, version: string): Promise<{ cacheHeader?: string; bytes: number; body?: Buffer }> {
    const res = await request(url, { dispatcher: agent, headers: { 'user-agent': 'modgate-prewarm' } });
    const header = res.headers['x-modgate-cache'];
    const cacheHeader = Array.isArray(header) ? header[0] : header;
    if (res.statusCode !== 200) {
      const text = (await res.body.text().catch(() => '')).split('\n\n')[0]?.trim().slice(0, 300) ?? '';
      throw new Error(`${res.statusCode}${text === '' ? '' : `: ${text}`}`);
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
    const rel = `/${escapePath(path)}/@v/${escapeVersion(version)}.${kind}`;
    const url = `${opts.proxy}${rel}`;
    const attempts = (): number => sent.get(new URL(url).pathname) ?? 1;
    try {
      const r = await limit(() => fetchOnce(url, kind, version));
      const status: FileStatus = r.cacheHeader === 'hit' ? 'cached' : 'fetched';
      return { path, version, kind, status, bytes: r.bytes, attempts: attempts(), ...(r.cacheHeader === undefined ? {} : { cacheHeader: r.cacheHeader }), ...(r.body ? { body: r.body } : {}) };
    } catch (err) {
      return { path, version, kind, status: 'failed', bytes: 0, attempts: attempts(), reason: describe(err) };
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

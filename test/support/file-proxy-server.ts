// A tiny GOPROXY-protocol server for tests: serves a directory in the go command's module cache
// layout (list, .info, .mod, .zip, @latest) over node:http on 127.0.0.1, records every request,
// and injects faults (status overrides, delays, connection resets, altered bytes, custom handlers).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve, sep } from 'node:path';

/** A fault applied to requests whose decoded path matches `match` (RegExp, or substring). */
export interface Fault {
  match: RegExp | string;
  /** answer with this status (and body) instead of serving the file */
  status?: number;
  /** body for `status` (default: a text/plain message) */
  body?: string | Buffer;
  /** Content-Type for `status` (default text/plain; charset=utf-8) */
  contentType?: string;
  /** wait this long before answering */
  delayMs?: number;
  /** send the headers (with the full Content-Length) and this many body bytes, then reset the socket */
  resetAfterBytes?: number;
  /** serve transform(original bytes) instead of the file (404s are not transformed) */
  transform?: (body: Buffer, path: string) => Buffer;
  /** apply to this many matching requests only, then remove itself (default: unlimited) */
  times?: number;
}

/** Custom handler run before the default one; call next() to continue with faults and files. */
export type ProxyHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface FileProxyServer {
  /** base URL to use as GOPROXY, e.g. http://127.0.0.1:PORT */
  url: string;
  /** decoded request paths (query dropped), in arrival order */
  requests: string[];
  /** number of recorded requests whose path contains the substring */
  count(pathSubstring: string): number;
  /** forget the recorded requests */
  clearRequests(): void;
  /** add a fault; returns a function removing it */
  addFault(fault: Fault): () => void;
  /** remove every fault and the custom handler, and the global delay */
  clearFaults(): void;
  /** delay every response by ms (0 = none) */
  setDelay(ms: number): void;
  /** replace the custom handler (null removes it) */
  setHandler(handler: ProxyHandler | null): void;
  stop(): Promise<void>;
}

export interface FileProxyOptions {
  /** directory in GOPROXY layout (`<escaped module>/@v/list` ...) */
  dir: string;
  /** URL path prefix the proxy is served under (default "", i.e. the root) */
  basePath?: string;
}

const GOPROXY_PATH = /^\/(.+)\/(@v\/list|@v\/[^/]+\.(?:info|mod|zip)|@latest)$/;

function contentTypeOf(path: string): string {
  if (path.endsWith('.info') || path.endsWith('@latest')) return 'application/json';
  if (path.endsWith('.zip')) return 'application/zip';
  return 'text/plain; charset=utf-8';
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function matches(f: Fault, path: string): boolean {
  return typeof f.match === 'string' ? path.includes(f.match) : f.match.test(path);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the server on 127.0.0.1 with an ephemeral port. */
export async function startFileProxy(opts: FileProxyOptions): Promise<FileProxyServer> {
  const root = resolve(opts.dir);
  const basePath = (opts.basePath ?? '').replace(/\/+$/, '');
  const requests: string[] = [];
  let faults: Fault[] = [];
  let handler: ProxyHandler | null = null;
  let delayMs = 0;

  /** The fault for this request, consuming one of its `times`. */
  function takeFault(path: string): Fault | undefined {
    const f = faults.find((x) => matches(x, path));
    if (f?.times !== undefined) {
      f.times -= 1;
      if (f.times <= 0) faults = faults.filter((x) => x !== f);
    }
    return f;
  }

  async function serve(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const fault = takeFault(path);
    const wait = (fault?.delayMs ?? 0) + delayMs;
    if (wait > 0) await sleep(wait);
    if (fault?.status !== undefined) {
      const body = fault.body ?? `${fault.status} injected by test file proxy for ${path}\n`;
      res.writeHead(fault.status, { 'Content-Type': fault.contentType ?? 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed\n');
    if (basePath !== '' && !path.startsWith(`${basePath}/`)) return sendText(res, 404, `not found: ${path}\n`);
    const rel = path.slice(basePath.length);
    const m = GOPROXY_PATH.exec(rel);
    const file = m ? resolve(join(root, rel)) : '';
    if (!m || !file.startsWith(root + sep)) return sendText(res, 404, `not found: ${rel}\n`);
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return sendText(res, 404, `not found: ${m[1] ?? ''}/${m[2] ?? ''}: no such file in test proxy\n`);
    }
    if (fault?.transform) body = fault.transform(body, path);
    res.writeHead(200, { 'Content-Type': contentTypeOf(rel), 'Content-Length': body.length });
    if (req.method === 'HEAD') return void res.end();
    if (fault?.resetAfterBytes !== undefined) {
      res.write(body.subarray(0, Math.min(fault.resetAfterBytes, body.length)), () => {
        setTimeout(() => res.socket?.resetAndDestroy(), 20);
      });
      return;
    }
    res.end(body);
  }

  const server = createServer((req, res) => {
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      requests.push(rawPath);
      return sendText(res, 400, `bad request: malformed percent-encoding in ${rawPath}\n`);
    }
    requests.push(path);
    const next = (): void => {
      serve(req, res, path).catch((err: unknown) => {
        if (!res.headersSent) sendText(res, 500, `test file proxy error: ${String(err)}\n`);
        else res.destroy();
      });
    };
    if (handler) handler(req, res, next);
    else next();
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    requests,
    count: (sub) => requests.filter((p) => p.includes(sub)).length,
    clearRequests: () => void requests.splice(0),
    addFault(fault) {
      const f = { ...fault };
      faults.push(f);
      return () => void (faults = faults.filter((x) => x !== f));
    },
    clearFaults() {
      faults = [];
      handler = null;
      delayMs = 0;
    },
    setDelay: (ms) => void (delayMs = ms),
    setHandler: (h) => void (handler = h),
    stop: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}

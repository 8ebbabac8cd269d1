// An HTTP forwarder on a fixed loopback port whose target can be switched, so a test can replace
// the server behind a URL (e.g. restart a checksum database with a different history), and that can
// inject faults in front of it (error statuses, slow answers), e.g. to play a misbehaving S3.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForwarderFault {
  /** Answer this status (with an S3-style XML error body) instead of forwarding. */
  readonly status?: number;
  /** Wait this long before forwarding (or answering the status). */
  readonly delayMs?: number;
  /** Forward, but cut the answer's body off after its first bytes (the connection is destroyed). */
  readonly cutBody?: boolean;
  /** Only requests with this method (default: all). */
  readonly method?: string;
  /** How many requests it applies to (default: all until cleared). */
  times?: number;
}

export interface Forwarder {
  readonly url: string;
  setTarget(url: string): void;
  /** Injects a fault in front of the target; undefined clears it. */
  setFault(fault: ForwarderFault | undefined): void;
  /** Requests that got a fault so far. */
  readonly faulted: number;
  stop(): Promise<void>;
}

export async function startForwarder(target: string): Promise<Forwarder> {
  let current = new URL(target);
  let fault: ForwarderFault | undefined;
  let faulted = 0;

  const forward = (req: IncomingMessage, res: ServerResponse, cutBody = false): void => {
    const up = request(
      { host: current.hostname, port: current.port, method: req.method, path: req.url, headers: { ...req.headers, host: current.host } },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        if (!cutBody) return void upRes.pipe(res);
        upRes.once('data', (chunk: Buffer) => {
          res.write(chunk.subarray(0, Math.max(1, chunk.length >> 1)), () => res.socket?.destroy());
          upRes.destroy();
        });
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`forwarder: ${err.message}\n`);
    });
    req.pipe(up);
  };

  const server: Server = createServer((req, res) => {
    const f = fault && (!fault.method || fault.method === req.method) && (fault.times === undefined || fault.times > 0) ? fault : undefined;
    if (!f) return forward(req, res);
    if (f.times !== undefined) f.times--;
    faulted++;
    const act = (): void => {
      if (f.status === undefined) return forward(req, res, f.cutBody === true);
      req.resume();
      res.writeHead(f.status, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected by the test forwarder</Message></Error>');
    };
    if (f.delayMs) setTimeout(act, f.delayMs);
    else act();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setTarget: (url) => void (current = new URL(url)),
    setFault: (f) => void (fault = f === undefined ? undefined : { ...f }),
    get faulted() {
      return faulted;
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

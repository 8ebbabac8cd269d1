// An HTTP forwarder on a fixed loopback port whose target can be switched, so a test can replace
// the server behind a URL (e.g. restart a checksum database with a different history).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Forwarder {
  readonly url: string;
  setTarget(url: string): void;
  stop(): Promise<void>;
}

export async function startForwarder(target: string): Promise<Forwarder> {
  let current = new URL(target);
  const server: Server = createServer((req, res) => {
    const up = request(
      { host: current.hostname, port: current.port, method: req.method, path: req.url, headers: { ...req.headers, host: current.host } },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`forwarder: ${err.message}\n`);
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setTarget: (url) => void (current = new URL(url)),
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

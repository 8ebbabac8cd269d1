// The http upstream against a GOPROXY server on loopback (node:http, serving the published version),
// through the Upstream compliance suite: 404 → NOT_FOUND, 410 → GONE, aborts, streaming, limits.
import { createServer } from 'node:http';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { escapePath } from '../module/escape.js';
import { runUpstreamCompliance, writePublishedZip } from './upstream-compliance.js';
import { createHttpUpstream } from './http-upstream.js';

runUpstreamCompliance('http', async (v) => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-http-up-'));
  await writePublishedZip(v, join(dir, 'v.zip'));
  const base = `/${escapePath(v.path)}/@v/`;
  const files = new Map<string, Buffer>([
    [`${base}list`, Buffer.from(`${v.version}\n`)],
    [`${base}${v.version}.info`, Buffer.from(JSON.stringify({ Version: v.version, Time: v.time }))],
    [`${base}${v.version}.mod`, v.files['go.mod']!],
    [`${base}${v.version}.zip`, await readFile(join(dir, 'v.zip'))],
  ]);
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    const body = files.get(url);
    if (body) return void res.end(body);
    if (url.startsWith('/example.com/gone/')) return void res.writeHead(410).end('gone: removed by its author\n');
    if (url === `${base}v1.3.0.zip`) {
      // Declares more than a module zip may be, then stalls: refused from the header alone.
      res.writeHead(200, { 'content-length': String(600 << 20) });
      return void res.write(Buffer.alloc(1024));
    }
    if (url === `${base}v1.4.0.mod`) return void res.end(Buffer.alloc((16 << 20) + 1, 0x20));
    res.writeHead(404).end('not found\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const upstream = createHttpUpstream({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connectTimeoutMs: 5000,
    timeoutMs: 30_000,
    retries: 0,
    retryBackoffMs: 10,
  });
  return {
    upstream,
    gonePath: 'example.com/gone',
    oversized: { zip: 'v1.3.0', mod: 'v1.4.0' },
    async cleanup() {
      await upstream.close?.();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
});

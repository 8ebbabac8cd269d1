// The prewarm fetcher against a loopback server: transient answers (503) are retried with backoff
// and counted, the last failing answer's text is the reason, permanent ones (404) are not retried,
// and a file is requested once however many inputs need it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFetcher } from './prewarm-fetcher.js';

let server: Server;
let proxy: string;
const hits = new Map<string, number>();

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    const n = (hits.get(url) ?? 0) + 1;
    hits.set(url, n);
    if (url === '/example.com/flaky/@v/v1.0.0.info' && n > 2) return void res.end('{"Version":"v1.0.0"}');
    if (url.startsWith('/example.com/flaky/') || url.startsWith('/example.com/down/')) return void res.writeHead(503).end(`busy (try ${n})\n`);
    res.writeHead(404).end('not found: example.com/missing@v1.0.0\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  proxy = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => server.close(r));
});

test('transient answers are retried and counted; permanent ones fail at once with the server text', async () => {
  const f = createFetcher({ proxy, concurrency: 2, retries: 2, retryBackoffMs: 5, timeoutMs: 10_000 });
  try {
    const [flaky, down, missing, again] = await Promise.all([
      f.get('example.com/flaky', 'v1.0.0', 'info'),
      f.get('example.com/down', 'v1.0.0', 'mod'),
      f.get('example.com/missing', 'v1.0.0', 'zip'),
      f.get('example.com/flaky', 'v1.0.0', 'info'),
    ]);
    assert.deepEqual({ status: flaky.status, attempts: flaky.attempts }, { status: 'fetched', attempts: 3 });
    assert.equal(again, flaky, 'one request sequence per file');
    assert.deepEqual({ status: down.status, attempts: down.attempts, reason: down.reason }, { status: 'failed', attempts: 3, reason: '503: busy (try 3)' });
    assert.deepEqual({ status: missing.status, attempts: missing.attempts }, { status: 'failed', attempts: 1 });
    assert.match(missing.reason ?? '', /^404: not found/);
    assert.equal(hits.get('/example.com/flaky/@v/v1.0.0.info'), 3);
    assert.equal(hits.get('/example.com/missing/@v/v1.0.0.zip'), 1);
  } finally {
    await f.close();
  }
});

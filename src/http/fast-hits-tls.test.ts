// The hit fast path over TLS: HTTP/1.1 requests on the HTTPS listener are answered by the fast path,
// byte-identically (Date aside) to the general path's answers over TLS from the same cache; HTTP/2
// requests (ALPN h2) all go to fastify and are answered the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import { connect as http2Connect } from 'node:http2';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createProxyServer } from './proxy-server.js';
import { readTlsPair, type TlsPair } from './tls-context.js';
import { addVersion, cacheOver, testServerDefaults } from '../testing/proxy-fixture.js';
import { createTestCa, type TestCa } from '../../test/support/tls-ca.js';

interface Side {
  readonly app: FastifyInstance;
  readonly port: number;
  readonly fastAnswers: () => number;
}

let dir: string;
let ca: TestCa;
let fast: Side;
let general: Side;

async function side(cache: ReturnType<typeof cacheOver>['cache'], tls: TlsPair, fastPath: boolean): Promise<Side> {
  let n = 0;
  const app = await createProxyServer({ ...testServerDefaults(), cache, tls, fastPath, onFastAnswer: () => n++ });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, port: (app.server.address() as AddressInfo).port, fastAnswers: () => n };
}

/** The raw bytes of one HTTP/1.1 answer over TLS (Connection: close), with the Date header's value blanked. */
function raw(port: number, method: string, url: string, headers: readonly string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ port, host: '127.0.0.1', ca: ca.ca, ALPNProtocols: ['http/1.1'] });
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('end', () => resolve(Buffer.concat(chunks).toString('latin1').replace(/\r\ndate: [^\r]*/i, '\r\ndate: -')));
    sock.write(`${method} ${url} HTTP/1.1\r\nhost: x\r\n${headers.map((h) => `${h}\r\n`).join('')}connection: close\r\n\r\n`);
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modgate-fast-tls-'));
  ca = await createTestCa(dir);
  const issued = await ca.issue('server');
  const tls = await readTlsPair({ cert: issued.certFile, key: issued.keyFile });
  const up = join(dir, 'upstream');
  await addVersion(up, 'example.com/hello', 'v1.0.0', { 'go.mod': 'module example.com/hello\n\ngo 1.20\n', 'hello.go': 'package hello\n' });
  await writeFile(join(up, 'example.com/hello/@v/list'), 'v1.0.0\n');
  const { cache } = cacheOver(up, join(dir, 'cache'));
  fast = await side(cache, tls, true);
  general = await side(cache, tls, false);
});

after(async () => {
  await fast.app.close();
  await general.app.close();
  await rm(dir, { recursive: true, force: true });
});

const SMALL = ['/example.com/hello/@v/list', '/example.com/hello/@v/v1.0.0.info', '/example.com/hello/@v/v1.0.0.mod'];

test('HTTP/1.1 over TLS: the fast path answers hits byte-identically to the general path (200, HEAD, 304)', async () => {
  for (const url of SMALL) assert.match(await raw(general.port, 'GET', url), /^HTTP\/1\.1 200 /, url);
  for (const url of SMALL) {
    const ok = await raw(general.port, 'GET', url);
    const etag = /\r\netag: ([^\r]*)/i.exec(ok)?.[1] ?? '';
    for (const [method, headers] of [['GET', []], ['HEAD', []], ['GET', [`if-none-match: ${etag}`]]] as const) {
      const before = fast.fastAnswers();
      const answer = await raw(fast.port, method, url, headers);
      assert.equal(answer, await raw(general.port, method, url, headers), `${method} ${url} ${headers.join(' ')}`);
      assert.equal(fast.fastAnswers(), before + 1, `${method} ${url}: not answered by the fast path`);
    }
  }
  assert.equal(general.fastAnswers(), 0);
});

test('HTTP/2 over TLS goes to fastify and is answered the same', async () => {
  const session = http2Connect(`https://127.0.0.1:${fast.port}`, { ca: ca.ca });
  try {
    const before = fast.fastAnswers();
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = session.request({ ':path': SMALL[0]! });
      let status = 0;
      let body = '';
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => resolve({ status, body }));
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200);
    assert.equal(body, 'v1.0.0\n');
    assert.equal(fast.fastAnswers(), before, 'an HTTP/2 request was answered by the fast path');
  } finally {
    session.close();
  }
});

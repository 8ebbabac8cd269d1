// The raw front's connection rules on a plain node:http server with stand-in hits: an idle
// keep-alive connection is closed after keepAliveTimeout (within a second), one that never sends a
// request after headersTimeout; closing the server closes idle front connections at once and a busy
// one after its answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { installRawFront } from './raw-front.js';
import type { FastHits, Hit } from './fast-hits.js';

const body = Buffer.from('ok');
const hit = (): Hit => ({ status: 200, prepared: { ok: [], notModified: [], headNotModified: [], body, etag: '"x"', lastModified: '' }, headers: ['content-length', '2'], body, done: () => undefined });

async function frontServer(slow: Promise<void>, onSlow = (): void => undefined): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.end('node'));
  server.keepAliveTimeout = 1000;
  server.headersTimeout = 1000;
  server.requestTimeout = 1500;
  const hits: FastHits = {
    handle: () => false,
    ask: (r) => (r.url === '/hit' ? hit() : r.url === '/slow' ? (onSlow(), slow.then(hit)) : undefined),
  };
  installRawFront({ server, hits, closing: () => !server.listening });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

/** Connects, sends `text` (if any) and resolves with the socket once `answers` answers arrived. */
async function client(port: number, text: string, answers: number): Promise<{ sock: Socket; received: () => string }> {
  const sock = connect(port, '127.0.0.1');
  let got = '';
  await once(sock, 'connect');
  if (text === '') return { sock, received: () => got };
  sock.write(text);
  await new Promise<void>((resolve) =>
    sock.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.split('HTTP/1.1 200').length - 1 >= answers) resolve();
    }),
  );
  return { sock, received: () => got };
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`;

test('idle connections: closed after keepAliveTimeout once answered, after headersTimeout when nothing was sent', async () => {
  const { server, port } = await frontServer(Promise.resolve());
  try {
    const answered = await client(port, GET('/hit') + GET('/hit'), 2);
    const t0 = performance.now();
    const fresh = await client(port, '', 0);
    const closed = (s: Socket) => once(s, 'close').then(() => performance.now() - t0);
    const [a, f] = await Promise.all([closed(answered.sock), closed(fresh.sock)]);
    for (const ms of [a, f]) assert.ok(ms >= 1000 && ms < 2600, `closed after ${ms.toFixed(0)} ms (timeouts 1000 ms, checked every second)`);
    assert.match(answered.received(), /^HTTP\/1\.1 200 OK\r\ncontent-length: 2\r\nDate: [^\r]+\r\nConnection: keep-alive\r\nKeep-Alive: timeout=1\r\n\r\nok/);
  } finally {
    server.close();
  }
});

test('server.close(): idle front connections are closed at once, a busy one after its answer', async () => {
  let release!: () => void;
  let entered!: () => void;
  const asked = new Promise<void>((r) => (entered = r));
  const { server, port } = await frontServer(new Promise<void>((r) => (release = r)), () => entered());
  const idle = await client(port, GET('/hit'), 1);
  const busy = connect(port, '127.0.0.1');
  let got = '';
  busy.on('data', (c: Buffer) => (got += c.toString('latin1')));
  await once(busy, 'connect');
  busy.write(GET('/slow'));
  await asked; // the front read the request and waits for its answer
  const closed = new Promise((r) => server.close(r));
  await once(idle.sock, 'close');
  assert.equal(got, '', 'the busy connection has no answer yet');
  release();
  await once(busy, 'close');
  await closed;
  assert.match(got, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
});

// The hit fast path over real ports: every answer it gives is byte-identical (Date aside) to the
// general (fastify) path's over the same cache, for every small kind and for 304/HEAD, with tokens
// and deny rules applied; the flow log lines and request metrics are the same; what it must not
// answer (zips, ranges on zips, 416, errors, refusals) goes to the general path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventLog } from '../observe/event-log.js';
import type { Metrics } from '../observe/metrics.js';
import { cacheOver } from '../testing/proxy-fixture.js';
import { AUTH, TOKEN, SMALL, ZIP, headerOf, hitFixture, raw, side, type Side } from '../testing/hit-servers.js';

let dir: string;
let fast: Side;
let general: Side;

before(async () => {
  const f = await hitFixture();
  dir = f.dir;
  // One cache behind both servers: the general path fills it, then both answer from it.
  // (The node:http writer of the fast path; raw-front.test.ts tests the raw front's.)
  fast = await side(f.cache, 'node');
  general = await side(f.cache, 'general');
});

after(async () => {
  await fast.app.close();
  await general.app.close();
  await rm(dir, { recursive: true, force: true });
});

test('hits: the fast path answers small files byte-identically to the general path (200, HEAD, 304 by ETag and by date), with the same log lines and metrics', async () => {
  for (const url of [...SMALL, ZIP]) assert.match(await raw(general.port, 'GET', url, [AUTH]), /^HTTP\/1\.1 200 /, url);
  let expectedFast = 0;
  const strip = (l: Record<string, unknown> | undefined) => ({ ...l, reqId: typeof l?.reqId, latency_ms: typeof l?.latency_ms, time: typeof l?.time });
  for (const url of SMALL) {
    const ok = await raw(general.port, 'GET', url, [AUTH]);
    const cases: Array<[string, string[]]> = [
      ['GET', [AUTH]],
      ['HEAD', [AUTH]],
      ['GET', [AUTH, `if-none-match: ${headerOf(ok, 'etag')}`]],
      ['HEAD', [AUTH, `if-none-match: ${headerOf(ok, 'etag')}`]],
      ['GET', [AUTH, `if-modified-since: ${headerOf(ok, 'last-modified')}`]],
      ['GET', [AUTH, 'if-none-match: "other"']],
      ['GET', [AUTH, 'range: bytes=0-3']], // ranges apply to zips only: the whole small file
      ['GET', [`authorization: Basic ${Buffer.from(`me:${TOKEN}`).toString('base64')}`]],
    ];
    for (const [method, headers] of cases) {
      const g = await raw(general.port, method, url, headers);
      const f = await raw(fast.port, method, url, headers);
      assert.equal(f, g, `${method} ${url} ${headers.join(' ')}`);
      assert.match(f, /^HTTP\/1\.1 (200|304) /);
      assert.deepEqual(strip(fast.lines.at(-1)), strip(general.lines.at(-1)), 'the same flow line');
      expectedFast++;
    }
  }
  assert.equal(fast.fastAnswers, expectedFast, 'the fast path answered every small hit');
  assert.equal(general.fastAnswers, 0);
  const counters = async (m: Metrics) => (await m.registry.metrics()).split('\n').filter((l) => /^modgate_(requests_total|bytes_served_total|request_duration_seconds_count)\{/.test(l));
  const f = await counters(fast.metrics);
  assert.ok(f.some((l) => l.startsWith('modgate_requests_total{kind="mod",result="hit",status="304"}')), f.join('\n'));
  // Every answer counted once (the fast side saw only these requests).
  const sum = (prefix: string) => f.filter((l) => l.startsWith(prefix)).reduce((n, l) => n + Number(l.split(' ')[1]), 0);
  assert.equal(sum('modgate_requests_total{'), expectedFast);
  assert.equal(sum('modgate_request_duration_seconds_count{'), expectedFast);
});

test('the fast path leaves to the general path what it must not answer: zips, ranges, 416, refusals, bad and unknown paths', async () => {
  const answered = fast.fastAnswers;
  const size = Number(headerOf(await raw(general.port, 'HEAD', ZIP, [AUTH]), 'content-length'));
  const failures = async (e: EventLog) => (await e.recent({ limit: 1000, type: 'auth_failure' })).length;
  const eventsBefore = { fast: await failures(fast.events), general: await failures(general.events) };
  const cases: Array<[string, string, string[], number]> = [
    ['GET', ZIP, [AUTH], 200],
    ['HEAD', ZIP, [AUTH], 200],
    ['GET', ZIP, [AUTH, 'range: bytes=10-19'], 206],
    ['GET', ZIP, [AUTH, `range: bytes=${size + 10}-`], 416],
    ['GET', SMALL[2]!, [], 401],
    ['GET', SMALL[2]!, ['authorization: Bearer wrong'], 403],
    ['GET', '/example.com/denied/@v/v1.0.0.info', [AUTH], 403],
    ['GET', '/example.com/hello/@v/v9.9.9.info', [AUTH], 404],
    ['GET', '/Example.com/hello/@v/v1.0.0.info', [AUTH], 400],
    ['GET', '/example.com/hello/@v/v1.0.0.exe', [AUTH], 400],
    ['POST', SMALL[1]!, [AUTH], 405],
    ['GET', '/healthz', [], 200],
  ];
  for (const [method, url, headers, status] of cases) {
    const g = await raw(general.port, method, url, headers);
    const f = await raw(fast.port, method, url, headers);
    assert.equal(f, g, `${method} ${url} ${headers.join(' ')}`);
    assert.match(f, new RegExp(`^HTTP/1\\.1 ${status} `), `${method} ${url}: ${f}`);
  }
  assert.equal(fast.fastAnswers, answered, 'none of these was answered by the fast path');
  // A refused token is recorded once per request, whichever path looked at it first.
  assert.equal((await failures(fast.events)) - eventsBefore.fast, 2);
  assert.equal((await failures(general.events)) - eventsBefore.general, 2);
});

/** Resolves once `ready()` holds, checking after each turn of the event loop (bounded by the test timeout). */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setImmediate(r));
}

/**
 * A server whose /readyz is held until release(), a keep-alive connection busy with it, and the
 * server's close() begun (no longer listening).
 */
async function closingWithBusyConnection() {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let entered = false;
  const { cache } = cacheOver(join(dir, 'upstream'), join(dir, 'cache'));
  const s = await side(cache, 'raw', [{ name: 'held', check: () => ((entered = true), held) }]);
  let received = 0;
  s.app.server.on('request', () => received++);
  const sock = connect(s.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  sock.on('data', (c) => chunks.push(c));
  const ended = new Promise((r) => sock.on('close', r));
  sock.write('GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n'); // keep-alive (HTTP/1.1 default)
  await until(() => entered); // the connection is busy with /readyz
  const closing = s.app.close();
  await until(() => !s.app.server.listening);
  return { s, sock, chunks, ended, closing, release, received: () => received };
}

test('while the server closes, a request on a busy connection gets a plain-text 503 and a flow line', async () => {
  const { s, sock, chunks, ended, closing, release, received } = await closingWithBusyConnection();
  sock.write(`GET ${SMALL[0]} HTTP/1.1\r\nhost: x\r\n${AUTH}\r\n\r\n`);
  await until(() => received() === 2);
  release();
  await ended;
  await closing;
  const text = Buffer.concat(chunks).toString();
  assert.match(text, /^HTTP\/1\.1 200 [\s\S]*HTTP\/1\.1 503 [\s\S]*connection: close[\s\S]*shutting down/i);
  assert.deepEqual(s.lines.map((l) => l.status).sort(), [200, 503]);
});

test('a keep-alive connection whose answer is sent while the server closes is closed after it (close does not wait out the keep-alive timeout)', async () => {
  const { chunks, ended, closing, release } = await closingWithBusyConnection();
  release();
  // The keep-alive timeout is 72 s: a server that waits for it fails this bound.
  const bound = new Promise((_, reject) => setTimeout(() => reject(new Error('the idle keep-alive connection was not closed after its answer')), 20_000).unref());
  await Promise.race([Promise.all([ended, closing]), bound]);
  assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 200 /);
});

// sendObject's status and header rules, table-driven, in process: ranges (range-parser), conditional
// requests (fresh), If-Range, HEAD, redirects, small bodies, and a vanished file found again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import Fastify from 'fastify';
import type { CachedObject, OpenedObject } from '../cache/module-cache.js';
import { parseRange, sendObject, type ServedKind } from './send-object.js';

const SIZE = 100;
const BYTES = Buffer.from(Array.from({ length: SIZE }, (_, i) => i));
const MODIFIED = new Date('2024-01-02T03:04:05.678Z');
const ETAG = '"64-abc"';

/** A stored (body-less) object over BYTES, as the cache hands out zips. */
function zipObject(extra: Partial<CachedObject> = {}, reopened?: Partial<Omit<OpenedObject, 'stream' | 'bytes'>>): CachedObject {
  return {
    body: undefined,
    size: SIZE,
    modified: MODIFIED,
    cache: 'hit',
    source: 'cache',
    immutable: true,
    etag: ETAG,
    open: async (range) => ({
      stream: Readable.from([range ? BYTES.subarray(range.start, range.end + 1) : BYTES]),
      size: SIZE,
      modified: MODIFIED,
      etag: ETAG,
      cache: 'hit',
      source: 'cache',
      ...reopened,
    }),
    redirectUrl: async () => undefined,
    ...extra,
  };
}

async function serve(obj: CachedObject, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET', kind: ServedKind = 'zip') {
  const app = Fastify();
  const reopened: OpenedObject[] = [];
  app.route({ method: ['GET', 'HEAD'], url: '/x', handler: (req, reply) => sendObject(req, reply, kind, obj, { shortMaxAge: 60, onReopened: (o) => reopened.push(o) }) });
  const res = await app.inject({ method, url: '/x', headers });
  await app.close();
  return { res, reopened };
}

test('parseRange: one range served, several ignored (whole body, as before), bad ones ignored or 416', () => {
  const cases: Array<[string, ReturnType<typeof parseRange>]> = [
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=90-500', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }], // suffix
    ['bytes=-500', { start: 0, end: 99 }], // suffix longer than the body: the whole body
    ['bytes=-0', null],
    ['bytes=100-', null],
    ['bytes=5-2', null],
    ['bytes=0-1,5-6', undefined], // multiple ranges: not supported, whole body
    ['bytes=0-1,500-600', undefined],
    ['items=0-1', undefined],
    ['bytes=abc', undefined],
    ['bytes=-', undefined],
    ['bytes=+1-2', undefined],
    ['bytes', undefined],
  ];
  for (const [header, want] of cases) assert.deepEqual(parseRange(header, SIZE), want, header);
});

test('zip: statuses and headers for ranges, conditionals, If-Range and HEAD', async () => {
  const lm = MODIFIED.toUTCString();
  const cases: Array<{ name: string; headers?: Record<string, string>; method?: 'GET' | 'HEAD'; status: number; body?: Buffer; headers_?: Record<string, string | undefined> }> = [
    { name: 'whole', status: 200, body: BYTES, headers_: { 'content-length': '100', 'accept-ranges': 'bytes', 'cache-control': 'public, max-age=31536000, immutable', etag: ETAG } },
    { name: 'HEAD', method: 'HEAD', status: 200, body: Buffer.alloc(0), headers_: { 'content-length': '100' } },
    { name: 'range', headers: { range: 'bytes=10-19' }, status: 206, body: BYTES.subarray(10, 20), headers_: { 'content-range': 'bytes 10-19/100', 'content-length': '10' } },
    { name: 'suffix range', headers: { range: 'bytes=-5' }, status: 206, body: BYTES.subarray(95), headers_: { 'content-range': 'bytes 95-99/100' } },
    { name: 'suffix longer than the body', headers: { range: 'bytes=-1000' }, status: 206, body: BYTES, headers_: { 'content-range': 'bytes 0-99/100' } },
    { name: 'several ranges: whole body', headers: { range: 'bytes=0-1,5-6' }, status: 200, body: BYTES, headers_: { 'content-range': undefined } },
    { name: 'unsatisfiable', headers: { range: 'bytes=100-' }, status: 416, headers_: { 'content-range': 'bytes */100' } },
    { name: 'If-Range matching', headers: { range: 'bytes=0-1', 'if-range': ETAG }, status: 206, body: BYTES.subarray(0, 2) },
    { name: 'If-Range not matching: whole body', headers: { range: 'bytes=0-1', 'if-range': '"other"' }, status: 200, body: BYTES },
    { name: 'If-Range as a date: whole body', headers: { range: 'bytes=0-1', 'if-range': lm }, status: 200, body: BYTES },
    { name: 'If-None-Match', headers: { 'if-none-match': ETAG }, status: 304 },
    { name: 'If-None-Match weak and in a list', headers: { 'if-none-match': `"x", W/${ETAG}` }, status: 304 },
    { name: 'If-None-Match *', headers: { 'if-none-match': '*' }, status: 304 },
    { name: 'If-None-Match other', headers: { 'if-none-match': '"x"' }, status: 200, body: BYTES },
    { name: 'If-None-Match wins over If-Modified-Since', headers: { 'if-none-match': '"x"', 'if-modified-since': lm }, status: 200 },
    { name: 'If-Modified-Since same second', headers: { 'if-modified-since': lm }, status: 304 },
    { name: 'If-Modified-Since earlier', headers: { 'if-modified-since': new Date(MODIFIED.getTime() - 2000).toUTCString() }, status: 200 },
    { name: 'If-Modified-Since malformed', headers: { 'if-modified-since': 'yesterday' }, status: 200 },
    { name: 'no-cache does not prevent a 304', headers: { 'if-none-match': ETAG, 'cache-control': 'no-cache' }, status: 304 },
  ];
  for (const c of cases) {
    const { res } = await serve(zipObject(), c.headers, c.method);
    assert.equal(res.statusCode, c.status, c.name);
    if (c.body) assert.deepEqual(res.rawPayload, c.body, c.name);
    for (const [h, v] of Object.entries(c.headers_ ?? {})) assert.equal(res.headers[h], v, `${c.name}: ${h}`);
  }
});

test('small bodies, redirects and a re-opened (vanished) object', async () => {
  const small = zipObject({ body: Buffer.from('module m\n'), size: 9, immutable: false });
  const mod = await serve(small, { range: 'bytes=0-1' }, 'GET', 'mod');
  assert.equal(mod.res.statusCode, 200); // ranges are for zips only
  assert.equal(mod.res.body, 'module m\n');
  assert.equal(mod.res.headers['cache-control'], 'public, max-age=60');
  assert.equal(mod.res.headers['content-type'], 'text/plain; charset=utf-8');

  const redirected = await serve(zipObject({ redirectUrl: async () => 'https://bucket.example/x?sig=1' }));
  assert.equal(redirected.res.statusCode, 302);
  assert.equal(redirected.res.headers.location, 'https://bucket.example/x?sig=1');
  assert.equal(redirected.res.headers['cache-control'], 'no-store');
  const rangeNotRedirected = await serve(zipObject({ redirectUrl: async () => 'https://bucket.example/x' }), { range: 'bytes=0-0' });
  assert.equal(rangeNotRedirected.res.statusCode, 206);

  const again = await serve(zipObject({}, { cache: 'miss', source: 'https://proxy.example', etag: '"new"' }));
  assert.equal(again.res.statusCode, 200);
  assert.equal(again.res.headers.etag, '"new"');
  assert.equal(again.res.headers['x-modgate-cache'], 'miss');
  assert.deepEqual(again.reopened.map((o) => o.source), ['https://proxy.example']);
});

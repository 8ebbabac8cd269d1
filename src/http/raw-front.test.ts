// The raw front over real ports, against the general (fastify) path over the same cache: on one
// keep-alive connection, answered one by one or pipelined, every small hit is byte-identical (Date
// aside) with the same flow lines and metrics and never reaches node:http; at the first request it
// does not answer (a zip, a miss, a refusal, anything unusual or malformed) the connection goes to
// node:http, which then answers exactly what it answers without the front; tokens and deny rules
// apply. A seeded differential fuzz (random byte mutations, pipelining, split writes) checks that
// whatever the front reads or hands over, the bytes are the general path's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { readRequest } from './raw-request.js';
import { AUTH, SMALL, TOKEN, ZIP, exchange, headerOf, hitFixture, raw, request, side, type Side } from '../testing/hit-servers.js';

let dir: string;
/** No tokens configured: hits are answered without a promise. */
let rawOpen: Side;
let generalOpen: Side;
/** The node:http fast path without the front: what node:http does with the same hits (and the same timing). */
let nodeOpen: Side;
/** Client tokens required: every hit waits for its credential check. */
let rawAuth: Side;
let generalAuth: Side;

before(async () => {
  const f = await hitFixture();
  dir = f.dir;
  rawOpen = await side(f.cache, 'raw', [], false);
  generalOpen = await side(f.cache, 'general', [], false);
  nodeOpen = await side(f.cache, 'node', [], false);
  rawAuth = await side(f.cache, 'raw');
  generalAuth = await side(f.cache, 'general');
  for (const url of [...SMALL, ZIP]) assert.match(await raw(generalOpen.port, 'GET', url, []), /^HTTP\/1\.1 200 /, url);
});

after(async () => {
  for (const s of [rawOpen, generalOpen, nodeOpen, rawAuth, generalAuth]) await s.app.close();
  await rm(dir, { recursive: true, force: true });
});

const CLOSE = request('GET', '/healthz', ['connection: close']);
const strip = (l: Record<string, unknown>) => ({ ...l, reqId: typeof l.reqId, latency_ms: typeof l.latency_ms, time: typeof l.time });

/** Every small kind × GET, HEAD, 304 by ETag (GET and HEAD) and by date, another ETag, a range, with `auth`. */
async function hitRequests(auth: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const url of SMALL) {
    const ok = await raw(generalOpen.port, 'GET', url, []);
    const etag = `if-none-match: ${headerOf(ok, 'etag')}`;
    out.push(
      request('GET', url, auth),
      request('HEAD', url, auth),
      request('GET', url, [...auth, etag]),
      request('HEAD', url, [...auth, etag]),
      request('GET', url, [...auth, `if-modified-since: ${headerOf(ok, 'last-modified')}`]),
      request('GET', url, [...auth, 'if-none-match: "other"', 'Connection: keep-alive']),
      request('GET', url, [...auth, 'range: bytes=0-3', 'user-agent: Go-http-client/1.1', 'accept-encoding: gzip']),
    );
  }
  return out;
}

/** The same exchange with both servers: equal bytes and flow lines; returns the raw side's answers. */
async function same(front: Side, general: Side, chunks: string[], what: string): Promise<string> {
  await exchange(general.port, chunks); // the cache as the exchange leaves it (a first miss fills it), then both sides from that
  const lines = { front: front.lines.length, general: general.lines.length };
  const g = await exchange(general.port, chunks);
  const f = await exchange(front.port, chunks);
  assert.equal(f, g, what);
  // (In order of completion: a pipelined hit behind a streamed zip may be recorded before it.)
  const flow = (s: Side, from: number) => s.lines.slice(from).map((l) => JSON.stringify(strip(l))).sort();
  assert.deepEqual(flow(front, lines.front), flow(general, lines.general), `${what}: the same flow lines`);
  return f;
}

/** The request counters and bytes served, by label set. */
async function counters(s: Side): Promise<Map<string, number>> {
  const lines = (await s.metrics.registry.metrics()).split('\n').filter((l) => /^modgate_(requests_total|bytes_served_total|request_duration_seconds_count)\{/.test(l));
  return new Map(lines.map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
}
/** What changed from `a` to `b`, divided by `by`. */
function delta(a: Map<string, number>, b: Map<string, number>, by = 1): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of b) if (v !== (a.get(k) ?? 0)) out[k] = (v - (a.get(k) ?? 0)) / by;
  return out;
}

test('keep-alive and pipelining: every small hit on one connection is answered by the front, byte-identical to the general path, with the same flow lines and metrics', async () => {
  for (const [front, general, auth] of [[rawOpen, generalOpen, []], [rawAuth, generalAuth, [AUTH]]] as const) {
    const reqs = await hitRequests([...auth]);
    const before = { http: front.httpRequests, fast: front.frontAnswers, front: await counters(front), general: await counters(general) };
    const oneByOne = await same(front, general, [...reqs, CLOSE], `one by one, ${auth.length ? 'with' : 'without'} tokens`);
    assert.equal((oneByOne.match(/HTTP\/1\.1 (200|304) /g) ?? []).length, reqs.length + 1);
    await same(front, general, [reqs.join('') + CLOSE], `pipelined, ${auth.length ? 'with' : 'without'} tokens`);
    await same(front, general, [reqs.slice(0, 5).join(''), reqs.slice(5).join(''), CLOSE], 'pipelined in parts');
    assert.equal(front.frontAnswers - before.fast, 3 * reqs.length, 'the front answered every hit');
    assert.equal(front.httpRequests - before.http, 3, 'only the closing /healthz reached node:http');
    const counted = delta(before.front, await counters(front));
    // (same() sends every exchange to the general side twice.)
    assert.deepEqual(counted, delta(before.general, await counters(general), 2), 'the same metrics');
    assert.equal(Object.entries(counted).filter(([k]) => k.startsWith('modgate_requests_total')).reduce((n, [, v]) => n + v, 0), 3 * reqs.length);
  }
});

test('the front hands the connection to node:http at the first request it does not answer: zips, ranges, misses, refusals; what follows is node:http\'s', async () => {
  const hit = request('GET', SMALL[1]!);
  const cases: Array<[string, string[]]> = [
    ['zip', [hit, request('GET', ZIP), hit, request('HEAD', ZIP), hit]],
    ['range 206 and 416', [hit, request('GET', ZIP, ['range: bytes=10-19']), request('GET', ZIP, ['range: bytes=99999999-']), hit]],
    ['miss 404, bad path 400, 405', [hit, request('GET', '/example.com/hello/@v/v9.9.9.info'), request('GET', '/Example.com/x/@v/v1.0.0.info'), request('POST', SMALL[2]!), hit]],
    ['deny 403', [hit, request('GET', '/example.com/denied/@v/v1.0.0.info'), hit]],
    ['HTTP/1.0', [hit, `GET ${SMALL[2]} HTTP/1.0\r\nhost: x\r\nconnection: keep-alive\r\n\r\n`, hit]],
    ['a request in two writes', [hit, request('GET', SMALL[3]!).slice(0, 20), request('GET', SMALL[3]!).slice(20), hit]],
  ];
  for (const [what, chunks] of cases) {
    // node:http with the fast path: what node:http does with hits it reads (see the malformed cases below).
    await same(rawOpen, nodeOpen, [chunks.join('') + CLOSE], `${what}, pipelined`);
    await same(rawOpen, nodeOpen, [...chunks, CLOSE], `${what}, one by one`);
  }
  // Bytes after a request asking to close: node:http refuses them (400). The front leaves that
  // request and what follows to node:http, which answers as on a fresh connection. (node:http alone,
  // behind a hit it answered in the same read, queues the close request's answer behind the hit's
  // and drops it with the 400: a timing artefact of its own, not reproduced.)
  const closing = request('GET', SMALL[0]!, ['connection: close']) + hit;
  const fresh = await same(rawOpen, nodeOpen, [closing], 'a close with more behind it');
  assert.match(fresh, /^HTTP\/1\.1 200 [\s\S]*Connection: close\r\n\r\nv1\.0\.0\nHTTP\/1\.1 400 /);
  const behind = await exchange(rawOpen.port, [hit + closing]);
  assert.ok(behind.endsWith(fresh) && behind.startsWith('HTTP/1.1 200 OK') && behind.length > fresh.length, behind);
  // With tokens: a refused or missing token goes to fastify, its refusal recorded once.
  const failures = async (s: Side) => (await s.events.recent({ limit: 1000, type: 'auth_failure' })).length;
  const before = { front: await failures(rawAuth), general: await failures(generalAuth) };
  const basic = `authorization: Basic ${Buffer.from(`me:${TOKEN}`).toString('base64')}`;
  const good = request('GET', SMALL[2]!, [AUTH]);
  for (const chunks of [[good, request('GET', SMALL[2]!, ['authorization: Bearer wrong']), good], [request('GET', SMALL[1]!, [basic]), request('GET', SMALL[2]!), good], [good, request('GET', '/example.com/denied/@v/v1.0.0.mod', [AUTH]), good]]) {
    await same(rawAuth, generalAuth, [...chunks, CLOSE], 'tokens, one by one');
    await same(rawAuth, generalAuth, [chunks.join('') + CLOSE], 'tokens, pipelined');
  }
  assert.equal((await failures(rawAuth)) - before.front, 4);
  assert.equal((await failures(generalAuth)) - before.general, 8, 'same() asks the general side twice');
});

const hello = SMALL[1]!;
/** Requests the front must not read (node:http decides), each followed by a plain close request. */
const UNUSUAL: string[] = [
  `get ${hello} HTTP/1.1\r\nhost: x\r\n\r\n`,
  `GET  ${hello} HTTP/1.1\r\nhost: x\r\n\r\n`,
  `GET ${hello}  HTTP/1.1\r\nhost: x\r\n\r\n`,
  `GET ${hello} HTTP/1.0\r\nhost: x\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nhost: y\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nx-folded: a\r\n b\r\n\r\n`,
  `GET ${hello} HTTP/1.1\nhost: x\n\n`,
  `GET ${hello} HTTP/1.1\r\nhost : x\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nconnection: upgrade\r\n\r\n`, // (with an Upgrade header node:http reads no further request)
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nupgrade: h2c\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nif-none-match: "a"\r\nif-none-match: "b"\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nuser-agent: caf\xe9\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nuser-agent: a\x00b\r\n\r\n`,
  `GET ${hello}#frag HTTP/1.1\r\nhost: x\r\n\r\n`,
  `GET ${hello}\xff HTTP/1.1\r\nhost: x\r\n\r\n`,
  `GET http://x${hello} HTTP/1.1\r\nhost: x\r\n\r\n`,
  `GET * HTTP/1.1\r\nhost: x\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nx-long: ${'a'.repeat(9000)}\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nx-long: ${'a'.repeat(17000)}\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nauthorization:\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\nconnection: keep-alive, te\r\nte: trailers\r\n\r\n`,
  `GET ${hello} HTTP/1.1\r\nhost: x\r\n\r\nGARBAGE\r\n\r\n`,
  `HEAD ${hello} HTTP/1.1\r\nhost: x\r\nif-none-match:   W/"x", *  \r\n\r\n`,
  `\r\nGET ${hello} HTTP/1.1\r\nhost: x\r\n\r\n`,
];

/**
 * What the front must send for `chunks`, given that it answered the first `answered` requests
 * itself: their answers (as node:http gives them on a keep-alive connection), then what node:http
 * answers for the rest of the bytes on a connection of its own. (node:http alone may drop answers
 * of hits it read in the same read as a request its parser refuses: it answers that 400 at once
 * and closes, with the earlier answers still queued; the front does not reproduce that.)
 */
async function expected(chunks: readonly string[], answered: number): Promise<string> {
  const text = chunks.join('');
  const buf = Buffer.from(text, 'latin1');
  let off = 0;
  for (let i = 0; i < answered; i++) off = readRequest(buf, off)!.end;
  const prefix = text.slice(0, off);
  const rest = text.slice(off);
  if (rest === '') return exchange(nodeOpen.port, [prefix]);
  if (prefix === '') return exchange(nodeOpen.port, [rest]);
  const alone = await exchange(nodeOpen.port, [CLOSE]);
  const first = await exchange(nodeOpen.port, [prefix + CLOSE]);
  assert.ok(first.endsWith(alone));
  return first.slice(0, first.length - alone.length) + (await exchange(nodeOpen.port, [rest]));
}

/** The front's bytes for `chunks` equal expected() for what it answered; returns how many that was. */
async function asNodeWould(chunks: readonly string[], what: string): Promise<number> {
  return compareWithNode(chunks, what).catch((err: Error) => {
    throw new Error(`${what}: ${err.message}`, { cause: err });
  });
}

async function compareWithNode(chunks: readonly string[], what: string): Promise<number> {
  await exchange(generalOpen.port, chunks); // the cache as the exchange leaves it (a first miss fills it)
  const before = rawOpen.frontAnswers;
  const f = await exchange(rawOpen.port, chunks);
  const answered = rawOpen.frontAnswers - before;
  assert.equal(f, await expected(chunks, answered), `${what} (the front answered ${answered})`);
  return answered;
}

test('unusual and malformed requests are node:http\'s to answer: alone, its bytes; behind a hit, the hit\'s answer then its bytes', async () => {
  let answered = 0;
  for (const u of UNUSUAL) {
    answered += await asNodeWould([u + CLOSE], JSON.stringify(u.slice(0, 80)));
    assert.ok((await asNodeWould([request('GET', hello) + u + CLOSE], `behind a hit: ${JSON.stringify(u.slice(0, 80))}`)) >= 1);
  }
  // The front reads three of them: the empty Authorization, the request before GARBAGE, the HEAD with spaces around its If-None-Match.
  assert.equal(answered, 3);
});

/** A small seeded PRNG (mulberry32): the same cases on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('differential fuzz: random mutations, pipelining and split writes give node:http\'s bytes for whatever the front does not answer', async () => {
  const rnd = prng(10);
  const pick = <T>(xs: ArrayLike<T>): T => xs[Math.floor(rnd() * xs.length)]!;
  const bases = [...SMALL.map((u) => request('GET', u)), ...SMALL.map((u) => request('HEAD', u, ['if-none-match: *'])), request('GET', ZIP), request('GET', '/example.com/hello/@v/v9.9.9.mod')];
  const alphabet = ' \t\r\n:/?#%!aZ09-.,"\x00\x7f\xe9';
  const mutate = (s: string): string => {
    const at = Math.floor(rnd() * s.length);
    switch (Math.floor(rnd() * 5)) {
      case 0:
        return s.slice(0, at) + pick(alphabet) + s.slice(at);
      case 1:
        return s.slice(0, at) + s.slice(at + 1);
      case 2:
        return s.slice(0, at) + s.charAt(at).toUpperCase() + s.slice(at + 1);
      case 3: {
        const lines = s.split('\r\n');
        const i = Math.floor(rnd() * (lines.length - 2));
        lines.splice(i, 0, lines[i]!);
        return lines.join('\r\n');
      }
      default:
        return s.replace('\r\n', '\n');
    }
  };
  let answeredByFront = 0;
  for (let n = 0; n < 120; n++) {
    const reqs = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => {
      const b = pick(bases);
      return rnd() < 0.35 ? b : mutate(rnd() < 0.5 ? b : mutate(b));
    });
    const text = reqs.join('') + CLOSE;
    const cut = Math.floor(rnd() * text.length);
    const chunks = rnd() < 0.3 ? [text.slice(0, cut), text.slice(cut)] : [text];
    answeredByFront += await asNodeWould(chunks, `case ${n}: ${JSON.stringify(chunks)}`);
  }
  assert.ok(answeredByFront > 50, `the front answered ${answeredByFront} of the fuzzed requests`);
});

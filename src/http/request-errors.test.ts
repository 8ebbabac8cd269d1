// Bad requests get the documented plain-text answers, wherever they are refused: by Node's HTTP
// parser before routing (over a raw socket), by fastify (body parsing, content type), by the
// routes (405 with Allow, admin bodies validated in one place, malformed checksum-DB paths), and
// checksum-DB names with `/` are routed to their database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { testServerDefaults } from '../testing/proxy-fixture.js';
import { createProxyServer } from './proxy-server.js';
import { adminRoutes } from './admin-routes.js';
import { sumdbRoutes } from './sumdb-routes.js';
import { createAccessPolicy } from './access-policy.js';
import { createAuthenticator } from '../auth/authenticator.js';
import type { Operations } from '../service/operations.js';
import { createEventLog } from '../observe/event-log.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { createModuleCache } from '../cache/module-cache.js';
import { createBasicGate } from '../cache/basic-gate.js';
import { createLocalCoordinator } from '../coordination/local-coordinator.js';
import { createUpstreamChain } from '../upstream/upstream-chain.js';
import { createSumdbClient } from '../sumdb/sumdb-client.js';
import { TestSumdb, memoryStore } from '../sumdb/sumdb-test-db.js';

const TOKEN = 'admin-secret';
const auth = { authorization: `Bearer ${TOKEN}` };
let app: FastifyInstance;
let port: number;
const purged: unknown[] = [];
const refreshed: string[] = [];
/** A database whose name has a path, as the go command allows (host[/path]). */
const slashDb = TestSumdb.create('localhost.localdev/sumdb');
const plainDb = TestSumdb.create('sum.example.test');

before(async () => {
  await slashDb.add('example.com/a', 'v1.0.0');
  await plainDb.add('example.com/b', 'v1.0.0');
  const storage = createMemoryStorage();
  const events = createEventLog(storage);
  const cache = createModuleCache({
    storage,
    chain: createUpstreamChain([{ upstream: 'off', fallBackOnError: false }]),
    gate: createBasicGate(),
    coordinator: createLocalCoordinator(),
    listTtlMs: 1000,
    staleWhileRevalidateMs: 1000,
    negativeTtlMs: 1000,
    queryTtlMs: 1000,
  });
  // Only what purge and refresh reach: the test checks what arrives there.
  const ops = {
    inventory: { purge: async (b: unknown) => (purged.push(b), { dryRun: true, removed: [], bytes: 0 }) },
    refresh: async (m: string) => (refreshed.push(m), { module: m, list: [] }),
  } as unknown as Operations;
  const handle = (db: TestSumdb) => ({ name: db.name, client: createSumdbClient({ name: db.name, vkey: db.vkey, transport: db.transport, store: memoryStore() }) });
  app = await createProxyServer({
    ...testServerDefaults(),
    cache,
    access: createAccessPolicy({ auth: await createAuthenticator({ clientTokens: [], adminTokens: [TOKEN], identitiesFile: '' }), events, allow: '', deny: '', metricsToken: '' }),
    plugins: [
      sumdbRoutes({ pathPrefix: '', databases: [handle(slashDb), handle(plainDb)], nosumdb: '' }),
      adminRoutes({ pathPrefix: '', events, ops }),
    ],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});

after(async () => {
  await app.close();
});

/** Sends raw bytes and returns everything the server answers before it closes the connection. */
function raw(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.end(bytes);
  });
}

test('requests refused before routing answer plain text with the reason, never JSON', async () => {
  const cases: Array<[string, string | Buffer, number, RegExp]> = [
    ['malformed request line', 'GARBAGE\r\n\r\n', 400, /bad request/],
    ['raw control byte in the target', 'GET /example.com/a\x01b/@v/list HTTP/1.1\r\nHost: x\r\n\r\n', 400, /malformed request target/],
    ['raw non-ASCII bytes in the target', Buffer.concat([Buffer.from('GET /example.com/'), Buffer.from([0xc3, 0xa9]), Buffer.from('/@v/list HTTP/1.1\r\nHost: x\r\n\r\n')]), 400, /malformed request target/],
    ['unknown method', 'BREW /example.com/a/@v/list HTTP/1.1\r\nHost: x\r\n\r\n', 400, /unknown HTTP method/],
    ['header too large', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, /header fields too large/],
  ];
  for (const [what, bytes, status, reason] of cases) {
    const answer = await raw(bytes);
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    assert.match(head, new RegExp(`^HTTP/1\\.1 ${status} `), `${what}: ${answer.slice(0, 200)}`);
    assert.match(head, /\r\ncontent-type: text\/plain; charset=utf-8\r\n/i, what);
    assert.match(body, reason, what);
    assert.doesNotMatch(body, /[{}]/, `${what}: JSON body ${body}`);
  }
});

test('other methods on proxy, checksum-DB and health paths answer 405 with Allow, before any body is read', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'PROPFIND'] as const) {
    for (const url of ['/example.com/a/@v/list', '/example.com/a/@v/v1.0.0.zip', `/sumdb/${plainDb.name}/supported`, '/healthz']) {
      const res = await app.inject({ method, url, headers: { 'content-type': 'application/json' }, payload: '{not json' });
      assert.equal(res.statusCode, 405, `${method} ${url}: ${res.body}`);
      assert.equal(res.headers.allow, 'GET, HEAD', `${method} ${url}`);
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
      assert.match(res.body, new RegExp(`method ${method} not allowed`));
    }
  }
  // The same over a socket for a method fastify has no route table for.
  const answer = await raw('LINK /example.com/a/@v/list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(answer, /^HTTP\/1\.1 405 /);
  assert.match(answer, /\r\nallow: GET, HEAD\r\n/i);
});

test('admin API: 400 for malformed JSON, 415 for other body types, plain text, no stack trace', async () => {
  const cases: Array<[string, string, string, number, RegExp]> = [
    ['/admin/purge', 'application/json', '{"module": ', 400, /not valid JSON/],
    ['/admin/purge', 'application/json', '', 400, /invalid request/],
    ['/admin/purge', 'application/xml', '<purge/>', 415, /unsupported request body type/],
    ['/admin/purge', 'application/x-www-form-urlencoded', 'module=x', 415, /unsupported request body type/],
    ['/admin/purge', 'text/plain', 'example.com/a', 415, /reads a JSON body/],
    ['/admin/refresh', 'text/plain', 'example.com/a', 415, /reads a JSON body/],
    ['/admin/gc', 'application/json', '[1,', 400, /not valid JSON/],
    ['/admin/prewarm', 'application/json', '{"module":"example.com/a"}', 415, /reads a text\/plain body/],
  ];
  for (const [url, type, payload, status, reason] of cases) {
    const res = await app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': type }, payload });
    assert.equal(res.statusCode, status, `${url} ${type}: ${res.body}`);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8', url);
    assert.match(res.body, reason, url);
    assert.doesNotMatch(res.body, /\n\s+at |node_modules|\.js:\d+/, `${url}: stack trace in ${res.body}`);
  }
  assert.deepEqual(purged, [], 'no purge reached the inventory');
});

test('admin API: module paths and versions are validated for every endpoint before anything runs', async () => {
  const post = (url: string, body: unknown) => app.inject({ method: 'POST', url, headers: { ...auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  for (const [url, body] of [
    ['/admin/purge', { module: '../victim' }],
    ['/admin/purge', { module: '/etc/passwd' }],
    ['/admin/purge', { module: 'example.com/a/../../victim', dryRun: true }],
    ['/admin/purge', { module: 'example.com/a', version: '../../v1.0.0' }],
    ['/admin/purge', { module: 'example.com/a', version: 'v2.0.0' }],
    ['/admin/refresh', { module: '../victim' }],
  ] as const) {
    const res = await post(url, body);
    assert.equal(res.statusCode, 400, `${url} ${JSON.stringify(body)}: ${res.body}`);
    assert.match(res.body, /malformed module path|invalid version/, url);
  }
  assert.deepEqual(purged, []);
  assert.deepEqual(refreshed, []);
  const ok = await post('/admin/purge', { module: 'example.com/a', version: 'v1.0.0', dryRun: true });
  assert.equal(ok.statusCode, 200, ok.body);
  assert.equal((await post('/admin/refresh', { module: 'example.com/a' })).statusCode, 200);
  assert.deepEqual(refreshed, ['example.com/a']);
  const put = await app.inject({ method: 'PUT', url: '/admin/purge', headers: auth });
  assert.equal(put.statusCode, 405);
  assert.equal(put.headers.allow, 'GET, POST');
});

test('checksum-DB proxy: names with "/" route to their database; malformed paths are 400, unknown names 404', async () => {
  const supported = await app.inject({ url: `/sumdb/${slashDb.name}/supported` });
  assert.equal(supported.statusCode, 200, supported.body);
  const lookup = await app.inject({ url: `/sumdb/${slashDb.name}/lookup/example.com/a@v1.0.0` });
  assert.equal(lookup.statusCode, 200, lookup.body);
  assert.match(lookup.body, /^\d+\nexample\.com\/a v1\.0\.0 h1:/);
  const tile = await app.inject({ url: `/sumdb/${slashDb.name}/tile/8/0/000.p/1` });
  assert.equal(tile.statusCode, 200, tile.body);
  assert.equal(tile.rawPayload.length, 32);
  assert.equal((await app.inject({ url: `/sumdb/${plainDb.name}/lookup/example.com/b@v1.0.0` })).statusCode, 200);

  for (const url of [
    `/sumdb/${plainDb.name}/tile/8/0/abc`,
    `/sumdb/${plainDb.name}/tile/8/0/1`,
    `/sumdb/${plainDb.name}/tile/8/0/000.p/0`,
    `/sumdb/${plainDb.name}/tile/8/x/000`,
    `/sumdb/${plainDb.name}/tile/`,
    `/sumdb/${slashDb.name}/tile/8/0/x1/000`,
    `/sumdb/${plainDb.name}/lookup/example.com/b`,
    `/sumdb/${plainDb.name}/lookup/example.com/b@banana`,
    `/sumdb/${plainDb.name}/other`,
  ]) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  }
  // Not proxied here: 404, so the go command moves on to the next GOPROXY entry.
  for (const url of ['/sumdb/sum.golang.org/supported', '/sumdb/localhost.localdev/supported', '/sumdb/localhost.localdev/sumdbx/supported']) {
    assert.equal((await app.inject({ url })).statusCode, 404, url);
  }
});

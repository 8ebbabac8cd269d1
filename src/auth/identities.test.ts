// Identities end to end in process: the identity file (hashed tokens, scopes, module patterns,
// plain text refused, reload keeps the old set on a bad file) and JWTs from a JWKS served over real
// HTTP on loopback: valid, expired, wrong audience, wrong issuer, unknown key id, tampered payload,
// alg none — each accepted or refused with its reason in the 401/403 text — and key rotation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK } from 'jose';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createProxyServer } from '../http/proxy-server.js';
import { apiRoutes } from '../http/api-routes.js';
import { adminRoutes } from '../http/admin-routes.js';
import { sumdbRoutes } from '../http/sumdb-routes.js';
import type { SumdbHandle } from '../cache/verifying-gate.js';
import { createAccessPolicy } from '../http/access-policy.js';
import { createAuthenticator, type Authenticator } from './authenticator.js';
import { hashToken } from './token-hash.js';
import { parseIdentityFile } from './identity-file.js';
import { createEventLog } from '../observe/event-log.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { createModuleCache } from '../cache/module-cache.js';
import { createBasicGate } from '../cache/basic-gate.js';
import { createLocalCoordinator } from '../coordination/local-coordinator.js';
import { createUpstreamChain } from '../upstream/upstream-chain.js';
import type { Operations } from '../service/operations.js';

const ISSUER = 'https://ci.example.test';
const AUDIENCE = 'modgate.example.test';
let dir: string;
let file: string;
let jwksServer: Server;
let jwksUrl: string;
let jwks: { keys: JWK[] } = { keys: [] };
let jwksFetches = 0;
/** Replaces the served JWKS: k2 instead of k1. */
let rotate: () => Promise<void>;
let auth: Authenticator;
let app: FastifyInstance;
const keys: Record<string, Awaited<ReturnType<typeof generateKeyPair>>> = {};

function identityFile(extraTokens: unknown[] = []): string {
  return JSON.stringify({
    tokens: [
      { name: 'ci-app', hash: hashToken('tok-app'), scopes: ['read'], modules: ['example.com/app', 'example.com/lib/*'] },
      { name: 'ops', hash: hashToken('tok-ops'), scopes: ['admin'] },
      ...extraTokens,
    ],
    jwt: [{
      issuer: ISSUER, audience: AUDIENCE, jwksUrl, jwksCooldownSeconds: 0,
      rules: [
        { claims: { repository: 'corp/*' }, scopes: ['read'], modules: 'example.com/{repository}' },
        { claims: { groups: 'platform' }, scopes: ['admin'] },
      ],
    }],
  });
}

async function sign(kid: string, claims: Record<string, unknown>, opts: { exp?: string | number; aud?: string; iss?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setSubject(typeof claims.sub === 'string' ? claims.sub : 'repo:corp/app')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(keys[kid]!.privateKey);
}

const get = (url: string, token?: string) => app.inject({ url, ...(token !== undefined ? { headers: { authorization: `Bearer ${token}` } } : {}) });
/** 404 = authenticated and allowed (the upstream is off), 401/403 = refused. */
const MOD = '/example.com/corp/app/@v/list';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modgate-identities-'));
  for (const kid of ['k1', 'k2', 'k3']) keys[kid] = await generateKeyPair('ES256', { extractable: true });
  const pub = async (kid: string): Promise<JWK> => ({ ...(await exportJWK(keys[kid]!.publicKey)), kid, alg: 'ES256', use: 'sig' });
  jwks = { keys: [await pub('k1')] };
  jwksServer = createServer((_req, res) => {
    jwksFetches++;
    res.setHeader('content-type', 'application/json').end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as { port: number }).port}/jwks`;
  rotate = async () => {
    jwks = { keys: [await pub('k2')] };
  };
  file = join(dir, 'identities.json');
  await writeFile(file, identityFile());
  const storage = createMemoryStorage();
  const events = createEventLog(storage);
  auth = await createAuthenticator({ clientTokens: ['legacy'], adminTokens: [], identitiesFile: file });
  const cache = createModuleCache({
    storage, chain: createUpstreamChain([{ upstream: 'off', fallBackOnError: false }]), gate: createBasicGate(), coordinator: createLocalCoordinator(),
    listTtlMs: 1000, staleWhileRevalidateMs: 1000, negativeTtlMs: 1000, queryTtlMs: 1000,
  });
  const access = createAccessPolicy({ auth, events, allow: '', deny: '', metricsToken: 'scrape' });
  // A checksum database proxied at /sumdb/sum.example.test/ whose lookups answer a fixed record.
  const sumdb = { name: 'sum.example.test', client: { rawLookup: async (p: string, v: string) => `1\n${p} ${v} h1:x=\n` } } as unknown as SumdbHandle;
  const ops = { stats: { recent: () => [{ module: 'example.com/app', path: '/example.com/app/@v/list' }, { module: 'example.com/secret', path: '/example.com/secret/@v/list' }] } } as unknown as Operations;
  app = await createProxyServer({
    cache, logger: pino({ level: 'silent' }), pathPrefix: '', shortMaxAge: 60, negativeMaxAge: 60, readiness: [], access,
    metrics: (await import('../observe/metrics.js')).createMetrics({ singleflightJoins: () => 0 }),
    plugins: [apiRoutes({ pathPrefix: '', ops, access }), adminRoutes({ pathPrefix: '', events }), sumdbRoutes({ pathPrefix: '', databases: [sumdb], nosumdb: '', access })],
  });
});

after(async () => {
  auth.close();
  await app.close();
  await new Promise((r) => jwksServer.close(r));
  await rm(dir, { recursive: true, force: true });
});

test('identity file: plain-text tokens and malformed hashes are refused, naming the field, never the value', () => {
  assert.throws(() => parseIdentityFile(JSON.stringify({ tokens: [{ name: 'x', hash: 'hunter2' }] }), 'ids.json'), (err: Error) => {
    assert.match(err.message, /ids\.json: tokens\.0\.hash: expected "sha256:<64 hex digits>"/);
    assert.doesNotMatch(err.message, /hunter2/);
    return true;
  });
  assert.throws(() => parseIdentityFile('{"tokens": [], "bogus": 1}', 'ids.json'), /Unrecognized key.*bogus/);
  assert.throws(() => parseIdentityFile('{"jwt": [{"issuer": "x", "audience": "y", "rules": [{}]}]}', 'ids.json'), /exactly one of "jwksUrl" or "jwksFile"/);
});

test('static tokens: scopes and module patterns decide, every refusal says why', async () => {
  const none = await get('/example.com/app/@v/list');
  assert.equal(none.statusCode, 401);
  assert.match(none.body, /requires a token/);
  assert.equal((await get('/example.com/app/@v/list', 'tok-app')).statusCode, 404);
  assert.equal((await get('/example.com/lib/x/@v/list', 'tok-app')).statusCode, 404);
  const forbidden = await get('/example.com/other/@v/list', 'tok-app');
  assert.equal(forbidden.statusCode, 403);
  assert.match(forbidden.body, /example\.com\/other: ci-app may not read this module \(identity file grants example\.com\/app,example\.com\/lib\/\*\)/);
  const wrong = await get('/example.com/app/@v/list', 'not-a-token');
  assert.equal(wrong.statusCode, 403);
  assert.match(wrong.body, /not a known token/);
  // --client-tokens keep working as a read identity for every module.
  assert.equal((await get('/example.com/other/@v/list', 'legacy')).statusCode, 404);
  const basic = `Basic ${Buffer.from('me:tok-app').toString('base64')}`;
  assert.equal((await app.inject({ url: '/example.com/app/@v/list', headers: { authorization: basic } })).statusCode, 404);
  // The checksum database proxy applies the identity's module patterns to lookups too.
  const lookup = await get('/sumdb/sum.example.test/lookup/example.com/app@v1.0.0', 'tok-app');
  assert.equal(lookup.statusCode, 200, lookup.body);
  const hidden = await get('/sumdb/sum.example.test/lookup/example.com/other@v1.0.0', 'tok-app');
  assert.equal(hidden.statusCode, 403);
  assert.match(hidden.body, /example\.com\/other: ci-app may not read this module/);
  assert.equal((await get('/sumdb/sum.example.test/lookup/example.com/other@v1.0.0', 'legacy')).statusCode, 200);
  // Admin needs the admin scope; read tokens are refused with the scope named.
  const notAdmin = await get('/admin/events', 'tok-app');
  assert.equal(notAdmin.statusCode, 403);
  assert.match(notAdmin.body, /ci-app: this needs the admin scope/);
  assert.equal((await get('/admin/events', 'tok-ops')).statusCode, 200);
  // Health stays public; /api and /metrics do not.
  assert.equal((await get('/healthz')).statusCode, 200);
  assert.equal((await get('/readyz')).statusCode, 200);
  assert.equal((await get('/api/requests')).statusCode, 401);
  assert.equal((await get('/metrics')).statusCode, 401);
  assert.equal((await get('/metrics', 'tok-app')).statusCode, 403);
  assert.equal((await get('/metrics', 'scrape')).statusCode, 200);
  assert.equal((await get('/metrics', 'tok-ops')).statusCode, 200);
  // The request log shows a read identity only the modules it may read.
  const seen = JSON.parse((await get('/api/requests', 'tok-app')).body) as { requests: Array<{ module: string }> };
  assert.deepEqual(seen.requests.map((r) => r.module), ['example.com/app']);
  const all = JSON.parse((await get('/api/requests', 'tok-ops')).body) as { requests: Array<{ module: string }> };
  assert.equal(all.requests.length, 2);
});

test('JWT matrix: valid, expired, wrong audience, wrong issuer, unknown key, tampered, alg none', async () => {
  const valid = await sign('k1', { repository: 'corp/app' });
  assert.equal((await get(MOD, valid)).statusCode, 404);
  const otherRepo = await get('/example.com/corp/other/@v/list', valid);
  assert.equal(otherRepo.statusCode, 403);
  assert.match(otherRepo.body, /jwt:repo:corp\/app may not read this module \(JWT from https:\/\/ci\.example\.test grants example\.com\/corp\/app\)/);

  const cases: Array<[string, Promise<string> | string, number, RegExp]> = [
    ['expired', sign('k1', { repository: 'corp/app' }, { exp: Math.floor(Date.now() / 1000) - 3600 }), 401, /the JWT has expired/],
    ['wrong audience', sign('k1', { repository: 'corp/app' }, { aud: 'someone-else' }), 401, /audience is not modgate\.example\.test/],
    ['wrong issuer', sign('k1', { repository: 'corp/app' }, { iss: 'https://evil.example' }), 401, /issuer "https:\/\/evil\.example" is not trusted/],
    ['unknown key id', sign('k3', { repository: 'corp/app' }), 401, /no key of issuer https:\/\/ci\.example\.test matches the JWT's key id/],
    ['tampered payload', Promise.resolve(valid).then((t) => {
      const [h, , s] = t.split('.');
      const payload = Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'x', repository: 'corp/secret', exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url');
      return `${h}.${payload}.${s}`;
    }), 401, /signature does not verify/],
    ['alg none', new UnsecuredJWT({ repository: 'corp/app' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').encode(), 401, /JWT's algorithm is not accepted \(accepted: RS256, ES256, EdDSA, PS256\)/],
    ['no rule matches', sign('k1', { repository: 'elsewhere/app' }), 403, /no rule of this issuer matches the token's claims/],
  ];
  for (const [name, token, status, reason] of cases) {
    const t = await token;
    const r = await get(MOD, t);
    assert.equal(r.statusCode, status, `${name}: ${r.body}`);
    assert.match(r.body, reason, name);
    assert.ok(!r.body.includes(t), `${name}: the token is echoed`);
  }
  // A claim value with list or glob syntax is not substituted into a pattern.
  assert.equal((await get(MOD, await sign('k1', { repository: 'corp/app,example.com/*' }))).statusCode, 403);
  // Groups claim (an array) grants admin.
  assert.equal((await get('/admin/events', await sign('k1', { groups: ['dev', 'platform'] }))).statusCode, 200);
});

test('JWKS key rotation is picked up on an unknown key id', async () => {
  const before = jwksFetches;
  await rotate();
  const r = await get(MOD, await sign('k2', { repository: 'corp/app' }));
  assert.equal(r.statusCode, 404, r.body);
  assert.ok(jwksFetches > before, 'the JWKS was refetched');
  const old = await get(MOD, await sign('k1', { repository: 'corp/app' }));
  assert.equal(old.statusCode, 401);
});

test('reload: a new token works after reload, a broken file leaves the previous identities in force', async () => {
  assert.equal((await get('/example.com/app/@v/list', 'tok-new')).statusCode, 403);
  await writeFile(file, identityFile([{ name: 'new', hash: hashToken('tok-new') }]));
  await auth.reload();
  assert.equal((await get('/example.com/app/@v/list', 'tok-new')).statusCode, 404);
  await writeFile(file, '{ not json');
  await auth.reload();
  assert.equal((await get('/example.com/app/@v/list', 'tok-new')).statusCode, 404);
});

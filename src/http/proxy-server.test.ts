// The GOPROXY routes in process (fastify inject): status codes, headers, escaping, bad input,
// caching behaviour, against a real file:// upstream holding real module zips.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile, rm, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { createProxyServer } from './proxy-server.js';
import type { Refusal } from '../cache/module-cache.js';
import { buildZip } from '../zip/zip-test-writer.js';
import { addVersion, cacheOver, testServerDefaults } from '../testing/proxy-fixture.js';

let dir: string;
let app: FastifyInstance;
let cacheDir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'modgate-http-'));
  const up = join(dir, 'upstream');
  cacheDir = join(dir, 'cache');
  await addVersion(up, 'example.com/hello', 'v1.0.0', { 'go.mod': 'module example.com/hello\n\ngo 1.20\n', 'hello.go': 'package hello\n' });
  await addVersion(up, 'example.com/hello', 'v1.1.0', { 'go.mod': 'module example.com/hello\n\ngo 1.20\n', 'hello.go': 'package hello // 1.1\n' });
  await writeFile(join(up, 'example.com/hello/@v/list'), 'v1.0.0\nv1.1.0\n');
  await writeFile(join(up, 'example.com/hello/@latest'), JSON.stringify({ Version: 'v1.1.0', Time: '2024-01-02T03:04:05Z' }));
  await writeFile(join(up, 'example.com/hello/@v/master.info'), JSON.stringify({ Version: 'v1.1.1-0.20240102030405-abcdefabcdef', Time: '2024-01-02T03:04:05Z' }));
  await addVersion(up, 'github.com/Azure/go-x', 'v0.1.0-RC1', { 'x.go': 'package x\n' });
  // a version whose .info lies about its version
  const bad = join(up, 'example.com/liar/@v');
  await mkdir(bad, { recursive: true });
  await writeFile(join(bad, 'v1.0.0.info'), JSON.stringify({ Version: 'v1.0.1' }));

  const { storage, cache } = cacheOver(up, cacheDir);
  app = await createProxyServer({ ...testServerDefaults(), cache, readiness: [{ name: 'storage', check: () => storage.checkWritable() }] });
});

after(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

test('serves list, info, mod, zip and @latest with the right types and cache headers', async () => {
  const cases = [
    { url: '/example.com/hello/@v/list', type: 'text/plain; charset=utf-8', cc: /^public, max-age=60$/, body: 'v1.0.0\nv1.1.0\n' },
    { url: '/example.com/hello/@v/v1.0.0.info', type: 'application/json', cc: /immutable/, body: /"Version":"v1.0.0"/ },
    { url: '/example.com/hello/@v/v1.0.0.mod', type: 'text/plain; charset=utf-8', cc: /immutable/, body: 'module example.com/hello\n\ngo 1.20\n' },
    { url: '/example.com/hello/@latest', type: 'application/json', cc: /^public, max-age=60$/, body: /v1\.1\.0/ },
    { url: '/example.com/hello/@v/master.info', type: 'application/json', cc: /^public, max-age=60$/, body: /v1\.1\.1-0\.20240102030405-abcdefabcdef/ },
    { url: '/github.com/!azure/go-x/@v/v0.1.0-!r!c1.info', type: 'application/json', cc: /immutable/, body: /v0\.1\.0-RC1/ },
    { url: '/github.com/%21azure/go-x/@v/v0.1.0-%21r%21c1.mod', type: 'text/plain; charset=utf-8', cc: /immutable/, body: 'module github.com/Azure/go-x\n' },
  ];
  for (const c of cases) {
    const res = await app.inject({ method: 'GET', url: c.url });
    assert.equal(res.statusCode, 200, `${c.url}: ${res.body}`);
    assert.equal(res.headers['content-type'], c.type, c.url);
    assert.match(String(res.headers['cache-control']), c.cc, c.url);
    assert.equal(Number(res.headers['content-length']), res.rawPayload.length, c.url);
    assert.ok(res.headers.etag, c.url);
    if (typeof c.body === 'string') assert.equal(res.body, c.body, c.url);
    else assert.match(res.body, c.body, c.url);
  }
});

test('zip: full body, HEAD, range, unsatisfiable range, conditional request; cached in the go layout', async () => {
  const url = '/example.com/hello/@v/v1.1.0.zip';
  const full = await app.inject({ method: 'GET', url });
  assert.equal(full.statusCode, 200, full.body);
  assert.equal(full.headers['content-type'], 'application/zip');
  assert.equal(full.headers['accept-ranges'], 'bytes');
  assert.equal(full.rawPayload.subarray(0, 2).toString(), 'PK');
  const size = full.rawPayload.length;
  assert.equal(Number(full.headers['content-length']), size);

  const head = await app.inject({ method: 'HEAD', url });
  assert.equal(head.statusCode, 200);
  assert.equal(Number(head.headers['content-length']), size);
  assert.equal(head.rawPayload.length, 0);

  const part = await app.inject({ method: 'GET', url, headers: { range: 'bytes=10-19' } });
  assert.equal(part.statusCode, 206);
  assert.equal(part.headers['content-range'], `bytes 10-19/${size}`);
  assert.deepEqual(part.rawPayload, full.rawPayload.subarray(10, 20));

  const suffix = await app.inject({ method: 'GET', url, headers: { range: 'bytes=-5' } });
  assert.equal(suffix.statusCode, 206);
  assert.deepEqual(suffix.rawPayload, full.rawPayload.subarray(size - 5));

  const bad = await app.inject({ method: 'GET', url, headers: { range: `bytes=${size + 10}-` } });
  assert.equal(bad.statusCode, 416);
  assert.equal(bad.headers['content-range'], `bytes */${size}`);

  const cond = await app.inject({ method: 'GET', url, headers: { 'if-none-match': String(full.headers.etag) } });
  assert.equal(cond.statusCode, 304);

  const files = (await readdir(join(cacheDir, 'example.com/hello/@v'))).sort();
  assert.deepEqual(files.filter((f) => f.startsWith('v1.1.0')), ['v1.1.0.info', 'v1.1.0.mod', 'v1.1.0.zip', 'v1.1.0.ziphash']);
});

test('bad input gets 4xx with a plain-text reason and never reads outside the cache', async () => {
  const cases: Array<[string, number, RegExp]> = [
    ['/github.com/Azure/go-x/@v/list', 400, /invalid escaped module path/],
    ['/github.com/!/go-x/@v/list', 400, /invalid escaped module path/],
    ['/github.com/!azure!/go-x/@v/list', 400, /invalid escaped module path/],
    // (inject normalises %2e%2e like a browser would; the raw form is tested over a real socket)
    ['/example.com/%2e%2e/%2e%2e/@v/list', 400, /malformed module path|invalid|not a module proxy request/],
    ['/../../etc/passwd/@v/list', 400, /invalid|malformed/],
    ['/example.com/hello/@v/..%2f..%2fetc%2fpasswd.zip', 400, /invalid|not allowed/],
    ['/example.com%2fhello/@v/list', 400, /not allowed/],
    ['/example.com/hello/@v/v1.0.zip', 400, /not a canonical version|invalid version/],
    ['/example.com/hello/@v/v2.0.0.mod', 400, /invalid version/],
    ['/example.com/hello/@v/banana.mod', 400, /invalid version/],
    ['/example.com/hello/@v/v1.0.0.exe', 400, /unknown file/],
    ['/example.com/hello/@v/' + 'v1.0.0-' + 'a'.repeat(300) + '.info', 400, /invalid version/],
    ['/example.com/hello/@v/%zz.info', 400, /percent-encoding|not a valid url/],
    ['/example.com/hello', 400, /not a module proxy request/],
    ['/nodot/x/@v/list', 400, /malformed module path/],
  ];
  for (const [url, status, reason] of cases) {
    const res = await app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, status, `${url}: ${res.body}`);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8', url);
    assert.match(res.body, reason, url);
    assert.doesNotMatch(res.body, /root:/, url);
  }
});

test('not found is 404 with the reason, remembered briefly (negative cache)', async () => {
  const first = await app.inject({ method: 'GET', url: '/example.com/nope/@v/list' });
  assert.equal(first.statusCode, 404);
  assert.match(first.body, /not found: example\.com\/nope\/@v\/list/);
  assert.equal(first.headers['cache-control'], 'public, max-age=60');
  const second = await app.inject({ method: 'GET', url: '/example.com/nope/@v/list' });
  assert.equal(second.statusCode, 404);
  assert.match(second.body, /not found/);
});

test('a .info naming another version is refused, not cached', async () => {
  const res = await app.inject({ method: 'GET', url: '/example.com/liar/@v/v1.0.0.info' });
  assert.equal(res.statusCode, 502);
  assert.match(res.body, /names version v1\.0\.1, not the requested v1\.0\.0/);
  await assert.rejects(readdir(join(cacheDir, 'example.com/liar')));
});

test('healthz and readyz', async () => {
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  const ready = await app.inject({ url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.match(ready.body, /storage: ok/);
});

test('--path-prefix: everything is served under the prefix, nothing outside it', async () => {
  const { cache } = cacheOver(join(dir, 'upstream'), join(dir, 'prefixed-cache'));
  const prefixed = await createProxyServer({
    cache, logger: pino({ level: 'silent' }), pathPrefix: '/go/proxy', shortMaxAge: 60, negativeMaxAge: 60, readiness: [],
  });
  try {
    const ok = await prefixed.inject({ url: '/go/proxy/example.com/hello/@v/v1.0.0.mod' });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, 'module example.com/hello\n\ngo 1.20\n');
    assert.equal((await prefixed.inject({ url: '/go/proxy/healthz' })).statusCode, 200);
    assert.equal((await prefixed.inject({ url: '/example.com/hello/@v/v1.0.0.mod' })).statusCode, 404);
    assert.equal((await prefixed.inject({ url: '/go/example.com/hello/@v/v1.0.0.mod' })).statusCode, 404);
  } finally {
    await prefixed.close();
  }
});

test('client tokens (Bearer or Basic password, as .netrc sends it) and allow/deny patterns', async () => {
  const { createAccessPolicy } = await import('./access-policy.js');
  const { createAuthenticator } = await import('../auth/authenticator.js');
  const { createEventLog } = await import('../observe/event-log.js');
  const { createMemoryStorage } = await import('../storage/memory-storage.js');
  const events = createEventLog(createMemoryStorage());
  const { cache } = cacheOver(join(dir, 'upstream'), join(dir, 'guarded-cache'));
  const guarded = await createProxyServer({
    cache, logger: pino({ level: 'silent' }), pathPrefix: '', shortMaxAge: 60, negativeMaxAge: 60, readiness: [],
    access: createAccessPolicy({
      auth: await createAuthenticator({ clientTokens: ['s3cret'], adminTokens: [], identitiesFile: '' }),
      events, allow: 'example.com,github.com/Azure', deny: 'example.com/liar', metricsToken: '',
    }),
  });
  try {
    const url = '/example.com/hello/@v/v1.0.0.mod';
    const none = await guarded.inject({ url });
    assert.equal(none.statusCode, 401);
    assert.match(String(none.headers['www-authenticate']), /^Basic realm="modgate"/);
    assert.match(none.body, /requires a token/);
    assert.equal((await guarded.inject({ url, headers: { authorization: 'Bearer wrong' } })).statusCode, 403);
    assert.equal((await guarded.inject({ url, headers: { authorization: 'Bearer s3cret' } })).statusCode, 200);
    const basic = `Basic ${Buffer.from('anyone:s3cret').toString('base64')}`;
    assert.equal((await guarded.inject({ url, headers: { authorization: basic } })).statusCode, 200);
    const denied = await guarded.inject({ url: '/example.com/liar/@v/v1.0.0.info', headers: { authorization: basic } });
    assert.equal(denied.statusCode, 403);
    assert.match(denied.body, /deny list/);
    const notAllowed = await guarded.inject({ url: '/golang.org/x/text/@v/list', headers: { authorization: basic } });
    assert.equal(notAllowed.statusCode, 403);
    assert.match(notAllowed.body, /not on this proxy's allow list/);
    assert.equal((await events.recent({ type: 'auth_failure' })).length, 2);
    assert.equal((await guarded.inject({ url: '/healthz' })).statusCode, 200);
  } finally {
    await guarded.close();
  }
});

test('query strings never reach the request-flow log or the statistics (a ?token= stays secret)', async () => {
  const { Writable } = await import('node:stream');
  const logged: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { logged.push(chunk.toString('utf8')); cb(); } });
  const flows: Array<{ path: string }> = [];
  const { cache } = cacheOver(join(dir, 'upstream'), join(dir, 'redact-cache'));
  const server = await createProxyServer({
    cache, logger: pino({ level: 'info' }, sink), pathPrefix: '', shortMaxAge: 60, negativeMaxAge: 60, readiness: [],
    onFlow: (e) => flows.push(e),
  });
  try {
    assert.equal((await server.inject({ url: '/example.com/hello/@v/v1.0.0.mod?token=hunter2-secret' })).statusCode, 200);
    assert.equal((await server.inject({ url: '/healthz?token=hunter2-secret' })).statusCode, 200);
    assert.equal(flows.length, 2);
    assert.equal(flows[0]!.path, '/example.com/hello/@v/v1.0.0.mod?(query redacted)');
    assert.ok(logged.some((l) => l.includes('"msg":"request"')), 'no request log line');
    for (const text of [...logged, JSON.stringify(flows)]) assert.doesNotMatch(text, /hunter2/);
  } finally {
    await server.close();
  }
});

test('zip-rule refusals from a file:// upstream name it in the 502 body and the refusal; no server path is shown', async () => {
  const up = join(dir, 'refusing-upstream');
  const zips: Array<[string, Buffer, RegExp]> = [
    ['not-a-zip', Buffer.from('<html>not a zip</html>'), /not a valid zip file/],
    ['zip-slip', buildZip([{ name: 'example.com/bad@v1.0.0/go.mod', data: 'module example.com/bad\n' }, { name: 'example.com/bad@v1.0.0/../../evil', data: 'x' }]), /invalid path element "\.\."|not clean/],
    ['duplicate', buildZip([{ name: 'example.com/bad@v1.0.0/go.mod', data: 'module example.com/bad\n' }, { name: 'example.com/bad@v1.0.0/a.go', data: 'x' }, { name: 'example.com/bad@v1.0.0/a.go', data: 'y' }]), /duplicate|multiple/],
    ['case-collision', buildZip([{ name: 'example.com/bad@v1.0.0/go.mod', data: 'module example.com/bad\n' }, { name: 'example.com/bad@v1.0.0/A.go', data: 'x' }, { name: 'example.com/bad@v1.0.0/a.go', data: 'y' }]), /case-insensitive|collision/],
  ];
  const refusals: Refusal[] = [];
  const logged: string[] = [];
  const { Writable } = await import('node:stream');
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { logged.push(chunk.toString('utf8')); cb(); } });
  const refusingCache = join(dir, 'refusing-cache');
  const { cache } = cacheOver(up, refusingCache, (r) => refusals.push(r));
  const server = await createProxyServer({
    cache, logger: pino({ level: 'info' }, sink), pathPrefix: '', shortMaxAge: 60, negativeMaxAge: 60, readiness: [],
    serverPaths: [refusingCache, tmpdir()],
  });
  const upstreamName = pathToFileURL(up).toString();
  try {
    for (const [i, [name, bytes, why]] of zips.entries()) {
      const version = `v1.0.${i}`;
      const d = join(up, 'example.com/bad/@v');
      await mkdir(d, { recursive: true });
      await writeFile(join(d, `${version}.info`), JSON.stringify({ Version: version, Time: '2024-01-02T03:04:05Z' }));
      await writeFile(join(d, `${version}.mod`), 'module example.com/bad\n');
      await writeFile(join(d, `${version}.zip`), Buffer.from(bytes.toString('latin1').replaceAll('v1.0.0', version), 'latin1'));
      const res = await server.inject({ url: `/example.com/bad/@v/${version}.zip` });
      assert.equal(res.statusCode, 502, `${name}: ${res.body}`);
      assert.equal(res.headers['x-modgate-error'], 'ZIP_INVALID', name);
      assert.ok(res.body.startsWith(`${upstreamName}: example.com/bad@${version}.zip: `), `${name}: the upstream is not named: ${res.body}`);
      assert.match(res.body, why, name);
      // Nothing of the server's paths but the upstream's own name (a file:// URL is its name).
      assert.ok(!res.body.includes(refusingCache), `${name}: the cache dir is shown: ${res.body}`);
      assert.ok(!res.body.replaceAll(upstreamName, '').includes(tmpdir()), `${name}: a temp path is shown: ${res.body}`);
      assert.deepEqual(await readdir(join(refusingCache, 'example.com/bad/@v')).then((f) => f.filter((x) => x.endsWith('.zip'))), [], `${name}: cached`);
    }
    assert.deepEqual(refusals.map((r) => `${r.upstream} ${r.kind} ${r.version}`), zips.map((_, i) => `${upstreamName} zip v1.0.${i}`));
    for (const r of refusals) assert.ok(!r.rule.includes(refusingCache), r.rule);
    assert.ok(logged.some((l) => l.includes('"code":"ZIP_INVALID"')), 'the 502 is not logged');
  } finally {
    await server.close();
  }
});

test('error bodies never show the server\'s directories; the log keeps the full message', async () => {
  const { ModgateError } = await import('../errors/modgate-error.js');
  const cacheRoot = join(dir, 'paths-cache');
  const failing = (message: string) => () => Promise.reject(new ModgateError('STORAGE_FULL', message));
  const messages = [
    `storage write failed: ENOSPC: no space left on device, open '${cacheRoot}/example.com/x/@v/.tmp-1a2b'`,
    `ENOSPC: no space left on device, write ${join(tmpdir(), 'modgate-staging-1', '.tmp-3c4d')}`,
  ];
  for (const message of messages) {
    const logged: string[] = [];
    const { Writable } = await import('node:stream');
    const sink = new Writable({ write(chunk: Buffer, _enc, cb) { logged.push(chunk.toString('utf8')); cb(); } });
    const stub = { list: failing(message), latest: failing(message), info: failing(message), mod: failing(message), zip: failing(message) } as unknown as Parameters<typeof createProxyServer>[0]['cache'];
    const server = await createProxyServer({ cache: stub, logger: pino({ level: 'info' }, sink), pathPrefix: '', shortMaxAge: 60, negativeMaxAge: 60, readiness: [], serverPaths: [cacheRoot, tmpdir()] });
    try {
      const res = await server.inject({ url: '/example.com/x/@v/v1.0.0.mod' });
      assert.equal(res.statusCode, 507);
      assert.match(res.body, /ENOSPC: no space left on device/);
      assert.match(res.body, /\[server path\]/);
      assert.ok(!res.body.includes(cacheRoot) && !res.body.includes(tmpdir()), res.body);
      assert.ok(logged.some((l) => l.includes(JSON.stringify(message).slice(1, -1))), 'the log lost the path');
    } finally {
      await server.close();
    }
  }
  // /readyz is public too: its reasons name no server directory.
  const ready = await createProxyServer({
    cache: cacheOver(join(dir, 'upstream'), cacheRoot).cache, logger: pino({ level: 'silent' }), pathPrefix: '', shortMaxAge: 60, negativeMaxAge: 60,
    readiness: [{ name: 'storage', check: () => Promise.reject(new Error(`storage write check ${cacheRoot} failed: the store is not writable (EROFS)`)) }],
    serverPaths: [cacheRoot],
  });
  try {
    const res = await ready.inject({ url: '/readyz' });
    assert.equal(res.statusCode, 503);
    assert.match(res.body, /storage: FAIL: storage write check \[server path\] failed: the store is not writable \(EROFS\)/);
  } finally {
    await ready.close();
  }
});

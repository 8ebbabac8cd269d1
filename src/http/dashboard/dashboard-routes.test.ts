// The dashboard routes in process (fastify inject): the page with its usage lines and security
// headers, assets with types and ETags, the vendored chart library, unknown files, the prefix
// redirect; the usage line rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { dashboardRoutes, shellWord, uplotDistDir, usageLines, type DashboardUsage } from './dashboard-routes.js';

async function appWith(pathPrefix: string, usage: DashboardUsage): Promise<FastifyInstance> {
  const app = Fastify();
  app.decorateRequest('flow', null as never);
  app.addHook('onRequest', async (req) => {
    req.flow = {};
  });
  dashboardRoutes({ pathPrefix, usage })(app);
  await app.ready();
  return app;
}

const USAGE = { goproxy: '', gosumdb: 'sum.golang.org', goprivate: '' };

test('GET / serves the page with the usage lines for the Host it was reached at, and a strict CSP', async () => {
  const app = await appWith('', USAGE);
  const res = await app.inject({ url: '/', headers: { host: 'proxy.example:3000' } });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^text\/html/);
  assert.match(res.body, /export GOPROXY=http:\/\/proxy\.example:3000\nexport GOSUMDB=sum\.golang\.org\n# GOPRIVATE: leave at its default/);
  assert.doesNotMatch(res.body, /\{\{USAGE\}\}/);
  const csp = res.headers['content-security-policy'] as string;
  for (const d of ["default-src 'none'", "script-src 'self'", "connect-src 'self'"]) assert.ok(csp.includes(d), csp);
  assert.equal(res.headers['x-content-type-options'], 'nosniff');
  await app.close();
});

test('usage values are HTML-escaped in the page', async () => {
  const app = await appWith('', { goproxy: 'http://x/<script>', gosumdb: 'off', goprivate: '' });
  const res = await app.inject({ url: '/' });
  assert.ok(!res.body.includes('<script>'), 'unescaped value');
  assert.ok(res.body.includes('export GOPROXY=&#39;http://x/&lt;script&gt;&#39;'), res.body);
  await app.close();
});

test('assets: content types, ETag and 304, unknown files 404', async () => {
  const app = await appWith('', USAGE);
  const cases: Array<[string, RegExp]> = [
    ['/dashboard/dashboard-app.js', /^text\/javascript/],
    ['/dashboard/dashboard-charts.js', /^text\/javascript/],
    ['/dashboard/dashboard.css', /^text\/css/],
    ['/dashboard/favicon.svg', /^image\/svg\+xml/],
  ];
  for (const [url, type] of cases) {
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.match(res.headers['content-type'] as string, type, url);
    const etag = res.headers.etag as string;
    assert.ok(etag, url);
    assert.equal((await app.inject({ url, headers: { 'if-none-match': etag } })).statusCode, 304, url);
  }
  for (const url of ['/dashboard/index.html', '/dashboard/nope.js', '/dashboard/..%2Fdashboard-routes.ts']) {
    assert.equal((await app.inject({ url })).statusCode, 404, url);
  }
  await app.close();
});

test('the chart library is served from the installed uplot package, like the other assets', async () => {
  const app = await appWith('/go', USAGE);
  const page = await app.inject({ url: '/go/' });
  const cases: Array<[string, RegExp]> = [
    ['uPlot.iife.min.js', /^text\/javascript; charset=utf-8$/],
    ['uPlot.min.css', /^text\/css; charset=utf-8$/],
  ];
  for (const [file, type] of cases) {
    assert.ok(page.body.includes(`"dashboard/vendor/${file}"`), `the page does not load ${file}`);
    const url = `/go/dashboard/vendor/${file}`;
    const res = await app.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.match(res.headers['content-type'] as string, type, url);
    assert.equal(res.headers['cache-control'], 'no-cache', url);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
    assert.ok(res.rawPayload.equals(readFileSync(join(uplotDistDir(), file))), `${url}: not the installed file`);
    const etag = res.headers.etag as string;
    assert.match(etag, /^"[\w-]{22}"$/, url);
    const again = await app.inject({ url, headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304, url);
    assert.equal(again.body, '', url);
    assert.equal((await app.inject({ url, headers: { 'if-none-match': '"other"' } })).statusCode, 200, url);
  }
  assert.match((await app.inject({ url: '/go/dashboard/vendor/uPlot.iife.min.js' })).body, /^\/\*! https:\/\/github\.com\/leeoniya\/uPlot/);
  for (const url of ['/go/dashboard/vendor/uPlot.esm.js', '/go/dashboard/vendor/package.json', '/go/dashboard/vendor/..%2Fpackage.json', '/go/dashboard/vendor/']) {
    assert.equal((await app.inject({ url })).statusCode, 404, url);
  }
  await app.close();
});

test('with a path prefix: the page lives at <prefix>/ and <prefix> redirects there', async () => {
  const app = await appWith('/go', USAGE);
  const page = await app.inject({ url: '/go/', headers: { host: 'h:1' } });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /export GOPROXY=http:\/\/h:1\/go\n/);
  const redirect = await app.inject({ url: '/go' });
  assert.equal(redirect.statusCode, 308);
  assert.equal(redirect.headers.location, '/go/');
  assert.equal((await app.inject({ url: '/go/dashboard/dashboard.css' })).statusCode, 200);
  await app.close();
});

test('usage lines: plain values are exported (quoted when needed), full lines are kept', () => {
  const cases: Array<[DashboardUsage, string[]]> = [
    [
      { goproxy: 'http://h:3000', gosumdb: 'sum.golang.org', goprivate: 'corp.example.com,*.internal' },
      ['export GOPROXY=http://h:3000', 'export GOSUMDB=sum.golang.org', "export GOPRIVATE='corp.example.com,*.internal'"],
    ],
    [
      { goproxy: 'export GOPROXY=http://h', gosumdb: 'GOSUMDB=off', goprivate: '' },
      ['export GOPROXY=http://h', 'export GOSUMDB=off', '# GOPRIVATE: leave at its default'],
    ],
  ];
  for (const [usage, want] of cases) assert.deepEqual(usageLines(usage), want);
  assert.equal(shellWord('key+abc https://sum.example'), `'key+abc https://sum.example'`);
  assert.equal(shellWord(`it's`), `'it'\\''s'`);
});

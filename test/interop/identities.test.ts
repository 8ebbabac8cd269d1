// Identities and TLS with the real go command: over HTTPS (a test CA in SSL_CERT_FILE), per-identity
// tokens in .netrc build the fixture app; an
// identity without access to one module fails with modgate's 403 reason shown by the go command;
// the audit (admin API and `modgate audit`) names who fetched what; no log line or error body
// carries a token. Issue 14 item 4: with identities on, /api/* and /metrics refuse requests
// without a token, /metrics on its own listener takes the metrics token, and query strings are
// redacted from the request statistics. TLS: HTTP/2 is negotiated by ALPN for a client that offers
// it, HTTP/1.1 otherwise; a replaced certificate is served to new connections without a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, writeFile } from 'node:fs/promises';
import { connect as http2Connect } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { fetch as undiciFetch } from 'undici';
import { createTestCa, type TestCa } from '../support/tls-ca.js';
import { waitFor } from '../support/wait-for.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAndDownloadAll, writeNetrc } from '../support/fixture-build.js';
import { copyFixtureApp, type FixtureModule } from '../support/gohelper.js';
import { runProcess } from '../support/process-runner.js';
import { useTestStack } from '../support/test-stack.js';
import { hashToken } from '../../src/auth/token-hash.js';
import { escapePath } from '../../src/module/escape.js';

const BIN = fileURLToPath(new URL('../../bin/modgate', import.meta.url));
const TOKENS = { builder: 'builder-secret-0a1b2c', restricted: 'restricted-secret-3d4e5f', ops: 'ops-secret-6a7b8c', metrics: 'metrics-secret-9d0e1f' };
let forbidden: FixtureModule;
let ca: TestCa;
let served: { certFile: string; keyFile: string };

const stack = useTestStack({
  name: 'identities',
  modgate: async (s) => {
    // One build-list module that no other module path is a prefix of: the restricted identity may read every other one.
    const paths = s.fixture.manifest.modules.map((m) => m.path);
    forbidden = s.mods.find((m) => !paths.some((p) => p !== m.path && (m.path.startsWith(`${p}/`) || p.startsWith(`${m.path}/`))))!;
    const file = join(s.work, 'identities.json');
    await writeFile(file, JSON.stringify({
      tokens: [
        { name: 'builder', hash: hashToken(TOKENS.builder), scopes: ['read'] },
        { name: 'restricted', hash: hashToken(TOKENS.restricted), scopes: ['read'], modules: paths.filter((p) => p !== forbidden.path) },
        { name: 'ops', hash: hashToken(TOKENS.ops), scopes: ['admin'] },
      ],
    }));
    ca = await createTestCa(s.work);
    served = await ca.issue('server1');
    return { args: ['--tls-cert', served.certFile, '--tls-key', served.keyFile, '--identities', file, '--metrics-listen', '127.0.0.1:0', '--metrics-token', TOKENS.metrics, '--prefetch', 'false'] };
  },
});

const netrc = (token: string) => `machine 127.0.0.1 login go password ${token}\n`;
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
/** fetch over HTTPS trusting the test CA. */
const fetch = (url: string, init: { headers?: Record<string, string> } = {}) => undiciFetch(url, { ...init, dispatcher: ca.dispatcher });
const goTls = () => ({ SSL_CERT_FILE: ca.caFile });

test('per-identity .netrc tokens: one identity builds the app, another is refused one module with the reason', async () => {
  await buildAndDownloadAll({ fixture: stack.fixture, goproxy: stack.mg.url, gosumdb: stack.sumdb.gosumdb, work: stack.work, name: 'builder', netrc: netrc(TOKENS.builder), extraEnv: goTls() });
  assert.match(stack.mg.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const lines = stack.mg.logs.filter((l) => l.msg === 'request' && l.module !== undefined);
  assert.ok(lines.length > 0);
  assert.ok(lines.every((l) => l.identity === 'builder'), 'every module request line names the identity');

  const env = await stack.goEnv({ GOPROXY: stack.mg.url, GOSUMDB: stack.sumdb.gosumdb, sharedBuildCache: true, GOFLAGS: '-mod=mod -modcacherw', extra: goTls() });
  await writeNetrc(env.home, netrc(TOKENS.restricted));
  const app = await copyFixtureApp(stack.fixture, join(stack.work, 'restricted'));
  const r = await env.run(['build', '-o', join(stack.work, 'restricted.bin'), '.'], { cwd: app });
  assert.notEqual(r.code, 0, 'the build succeeded without access to a module it needs');
  assert.match(r.stderr, /403 Forbidden/);
  assert.ok(r.stderr.includes(`${forbidden.path}: restricted may not read this module (identity file grants`), r.stderr);
  for (const t of Object.values(TOKENS)) assert.ok(!r.stderr.includes(t), 'the go command output contains a token');

  // No credentials at all: 401 with the hint, shown by the go command too.
  const anon = await stack.goEnv({ GOPROXY: stack.mg.url, GOSUMDB: stack.sumdb.gosumdb, sharedBuildCache: true, GOFLAGS: '-mod=mod -modcacherw', extra: goTls() });
  const n = await anon.run(['mod', 'download', '-json', `${forbidden.path}@${forbidden.selected}`], { cwd: app });
  assert.notEqual(n.code, 0);
  assert.match(n.stdout + n.stderr, /401 Unauthorized/);
});

test('audit: the admin API and `modgate audit` answer who fetched a module@version', async () => {
  const m = stack.mods.find((x) => x.path !== forbidden.path)!;
  const res = await fetch(`${stack.mg.url}/admin/audit?module=${encodeURIComponent(m.path)}&since=1h`, { headers: bearer(TOKENS.ops) });
  assert.equal(res.status, 200);
  const { records } = (await res.json()) as { records: Array<{ identity: string; version?: string; status: number; kind: string }> };
  assert.ok(records.some((r) => r.identity === 'builder' && r.version === m.selected && r.kind === 'zip' && r.status === 200), JSON.stringify(records));
  assert.ok(records.some((r) => r.identity === 'restricted'));
  const refused = (await (await fetch(`${stack.mg.url}/admin/audit?module=${encodeURIComponent(forbidden.path)}&identity=restricted`, { headers: bearer(TOKENS.ops) })).json()) as { records: Array<{ status: number }> };
  assert.ok(refused.records.length > 0 && refused.records.every((r) => r.status === 403));
  assert.equal((await fetch(`${stack.mg.url}/admin/audit?module=${encodeURIComponent(m.path)}`, { headers: bearer(TOKENS.builder) })).status, 403);
  const bad = await fetch(`${stack.mg.url}/admin/audit?since=yesterday`, { headers: bearer(TOKENS.ops) });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /expected an RFC 3339 time/);

  const cli = await runProcess(process.execPath, [BIN, 'audit', '--server', stack.mg.url, '--module', m.path, '--version', m.selected, '--since', '1h'], {
    env: { ...process.env, MODGATE_ADMIN_TOKEN: TOKENS.ops, NODE_EXTRA_CA_CERTS: ca.caFile }, timeoutMs: 60_000,
  });
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /IDENTITY/);
  assert.match(cli.stdout, new RegExp(`builder\\s+127\\.0\\.0\\.1\\s+${m.path.replace(/[.]/g, '\\.')}\\s+${m.selected.replace(/[.+]/g, '\\$&')}`));
});

test('with identities on, /api/*, dashboard data and /metrics refuse requests without a token; the page itself is public', async () => {
  for (const p of ['/api/overview', '/api/requests', '/api/events', '/api/modules', '/api/timeseries']) {
    const r = await fetch(`${stack.mg.url}${p}`);
    assert.equal(r.status, 401, p);
    assert.match(await r.text(), /requires a token/);
    assert.equal((await fetch(`${stack.mg.url}${p}`, { headers: bearer(TOKENS.builder) })).status, 200, p);
  }
  assert.equal((await fetch(`${stack.mg.url}/`)).status, 200);
  assert.equal((await fetch(`${stack.mg.url}/dashboard/dashboard-app.js`)).status, 200);
  assert.equal((await fetch(`${stack.mg.url}/healthz`)).status, 200);
  assert.equal((await fetch(`${stack.mg.url}/readyz`)).status, 200);
  assert.equal((await fetch(`${stack.mg.url}/sumdb/${stack.sumdb.name}/supported`)).status, 401);
  // /metrics lives on its own listener only.
  const onMain = await fetch(`${stack.mg.url}/metrics`, { headers: bearer(TOKENS.ops) });
  assert.equal(onMain.status, 400);
  assert.doesNotMatch(await onMain.text(), /modgate_requests_total/);
  const metricsUrl = /modgate metrics on (\S+)/.exec(stack.mg.output())?.[1];
  assert.ok(metricsUrl, stack.mg.output());
  assert.equal((await globalThis.fetch(metricsUrl)).status, 401);
  assert.equal((await globalThis.fetch(metricsUrl, { headers: bearer(TOKENS.builder) })).status, 403);
  const scraped = await globalThis.fetch(metricsUrl, { headers: bearer(TOKENS.metrics) });
  assert.equal(scraped.status, 200);
  assert.match(await scraped.text(), /modgate_requests_total/);
  assert.equal((await globalThis.fetch(metricsUrl, { headers: bearer(TOKENS.ops) })).status, 200);
});

test('a token sent in the query string is redacted from /api/requests and the log; no log line carries a token', async () => {
  const m = stack.mods[0]!;
  await fetch(`${stack.mg.url}/${escapePath(m.path)}/@v/list?token=${TOKENS.builder}`, { headers: bearer(TOKENS.builder) });
  const { requests } = (await (await fetch(`${stack.mg.url}/api/requests?limit=500`, { headers: bearer(TOKENS.ops) })).json()) as { requests: Array<{ path: string; identity?: string }> };
  assert.ok(requests.some((r) => r.path.endsWith('@v/list?(query redacted)') && r.identity === 'builder'));
  const out = stack.mg.output();
  for (const t of Object.values(TOKENS)) assert.ok(!out.includes(t), 'a log line contains a token');
  for (const r of requests) for (const t of Object.values(TOKENS)) assert.ok(!JSON.stringify(r).includes(t));
});

test('TLS: HTTP/2 by ALPN for a client that offers it, HTTP/1.1 for one that does not', async () => {
  const session = http2Connect(stack.mg.url, { ca: ca.ca });
  try {
    await new Promise<void>((resolve, reject) => session.once('connect', () => resolve()).once('error', reject));
    assert.equal(session.alpnProtocol, 'h2');
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ':path': '/healthz' });
      req.once('response', (h) => resolve(Number(h[':status'])));
      req.once('error', reject);
      req.resume();
      req.end();
    });
    assert.equal(status, 200);
    const api = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ':path': '/api/overview', authorization: `Bearer ${TOKENS.builder}` });
      req.once('response', (h) => resolve(Number(h[':status'])));
      req.once('error', reject);
      req.resume();
      req.end();
    });
    assert.equal(api, 200);
  } finally {
    session.close();
  }
  // undici speaks HTTP/1.1 only.
  assert.equal((await fetch(`${stack.mg.url}/healthz`)).status, 200);
  assert.ok(stack.mg.logs.some((l) => l.msg === 'request' && l.path === '/healthz'));
});

test('TLS: a replaced certificate is served to new connections without a restart', async () => {
  const subjectNow = () => new Promise<string>((resolve, reject) => {
    const port = Number(new URL(stack.mg.url).port);
    const s = tlsConnect({ host: '127.0.0.1', port, ca: ca.ca, ALPNProtocols: ['http/1.1'] }, () => {
      const cn = s.getPeerCertificate().subject.CN;
      s.end();
      resolve(Array.isArray(cn) ? cn.join(',') : String(cn));
    });
    s.once('error', reject);
  });
  assert.equal(await subjectNow(), 'server1');
  const next = await ca.issue('server2');
  await copyFile(next.keyFile, served.keyFile);
  await copyFile(next.certFile, served.certFile);
  await waitFor('the new certificate to be served', async () => (await subjectNow()) === 'server2');
  assert.equal((await fetch(`${stack.mg.url}/healthz`)).status, 200);
  assert.ok(stack.mg.logs.some((l) => l.msg === 'TLS certificate reloaded'));
});

// Upstream fallback with the go command's `,`/`|` semantics, single-flight, stale-on-error, and
// crash safety (SIGKILL mid-download), each driven over real ports with the real go command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FixtureModule } from '../support/gohelper.js';
import type { FileProxyServer } from '../support/file-proxy-server.js';
import { createGoEnv, goModDownloadJson } from '../support/go-env.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { useTestStack } from '../support/test-stack.js';

const stack = useTestStack({ name: 'resilience' });

stack.before(() => assert.ok(stack.mods.length >= 10));

/** A modgate with its own cache dir `name` and only the given upstream arguments. */
const modgateWith = (name: string, args: string[]): Promise<ModgateProcess> => stack.startModgate({ cache: name, upstream: null, args });

const proxyOn = (dir: string): Promise<FileProxyServer> => stack.startProxy(dir);

/** `go mod download -json path@version...` in a fresh module cache. */
async function download(goproxy: string, targets: string[]) {
  const env = await createGoEnv({ GOPROXY: goproxy, GOSUMDB: stack.sumdb.gosumdb, GOFLAGS: '-modcacherw' });
  try {
    const dir = await mkdtemp(join(stack.work, 'dl-'));
    return await goModDownloadJson(dir, env, targets);
  } finally {
    await env.cleanup();
  }
}

const target = (m: FixtureModule) => `${m.path}@${m.selected}`;
const zipUrl = (m: FixtureModule) => `/${escapePath(m.path)}/@v/${escapeVersion(m.selected)}.zip`;

test('`,` falls through a 404-ing upstream; `|` falls through a 500 and a timeout', async () => {
  const empty = await proxyOn(await mkdtemp(join(stack.work, 'empty-')));
  const failing = await proxyOn(await mkdtemp(join(stack.work, 'failing-')));
  failing.addFault({ match: '/', status: 500, body: 'internal trouble\n' });
  const slow = await proxyOn(stack.fixture.proxyDir);
  slow.setDelay(30_000);
  const cases: Array<[string, string[]]> = [
    ['comma-404', [`--upstream`, `${empty.url},${stack.upstream.url}`]],
    ['pipe-500', [`--upstream`, `${failing.url}|${stack.upstream.url}`]],
    ['pipe-timeout', [`--upstream`, `${slow.url}|${stack.upstream.url}`, '--upstream-timeout-ms', '300', '--upstream-retries', '0']],
  ];
  for (const [name, args] of cases) {
    const m = await modgateWith(name, args);
    const mod = stack.mods[cases.findIndex((c) => c[0] === name)]!;
    const r = await download(m.url, [target(mod)]);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.equal(r.modules[0]?.Version, mod.selected);
    assert.ok(r.modules[0]?.Sum?.startsWith('h1:'), name);
  }
  assert.ok(empty.requests.length > 0 && failing.requests.length > 0 && slow.requests.length > 0);
});

test('`,` after a 500 stops: the go command shows modgate\'s message naming the upstream', async () => {
  const failing = await proxyOn(await mkdtemp(join(stack.work, 'failing2-')));
  failing.addFault({ match: '/', status: 500, body: 'database on fire\n' });
  const m = await modgateWith('comma-500', ['--upstream', `${failing.url},${stack.upstream.url}`, '--upstream-retries', '0']);
  const mod = stack.mods[3]!;
  const r = await download(m.url, [target(mod)]);
  assert.notEqual(r.code, 0);
  const text = `${r.stderr}\n${r.modules.map((x) => x.Error ?? '').join('\n')}`;
  assert.match(text, /unexpected status 500/);
  assert.ok(text.includes(failing.url), text);
  assert.match(text, /database on fire/);
});

test('single-flight: 50 concurrent requests for one cold zip make one upstream request', async () => {
  const m = await modgateWith('singleflight', ['--upstream', stack.upstream.url]);
  const mod = stack.mods[4]!;
  const path = zipUrl(mod);
  stack.upstream.addFault({ match: path, delayMs: 300, times: 1 });
  const before = stack.upstream.count(path);
  const bodies = await Promise.all(
    Array.from({ length: 50 }, async () => {
      const res = await fetch(m.url + path);
      assert.equal(res.status, 200);
      return Buffer.from(await res.arrayBuffer());
    }),
  );
  assert.equal(stack.upstream.count(path) - before, 1);
  const expected = await readFile(join(stack.fixture.proxyDir, path));
  for (const b of bodies) assert.ok(b.equals(expected));
});

test('stale-on-error: with the upstream gone, list is still served and marked stale', async () => {
  const own = await proxyOn(stack.fixture.proxyDir);
  const m = await modgateWith('stale', ['--upstream', own.url, '--list-ttl-seconds', '0', '--upstream-retries', '0']);
  const mod = stack.mods[5]!;
  const url = `${m.url}/${escapePath(mod.path)}/@v/list`;
  const first = await fetch(url);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('x-modgate-cache'), 'miss');
  const body = await first.text();
  assert.ok(body.includes(mod.selected));
  await own.stop();
  const second = await fetch(url);
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-modgate-cache'), 'stale');
  assert.match(second.headers.get('warning') ?? '', /Revalidation Failed/);
  assert.ok(second.headers.get('x-modgate-stale-reason'));
  assert.equal(await second.text(), body);
});

test('crash safety: SIGKILL mid-download leaves nothing partial; after restart the go command succeeds', async () => {
  const victims = stack.mods.slice(6, 14);
  const cacheName = 'crash';
  let release!: () => void;
  const allStarted = new Promise<void>((r) => (release = r));
  const started = new Set<string>();
  const own = await proxyOn(stack.fixture.proxyDir);
  own.setHandler((req, res, next) => {
    const p = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
    if (!p.endsWith('.zip')) return next();
    // Send headers and half the body, then stall until the process is killed.
    void readFile(join(stack.fixture.proxyDir, p)).then((bytes) => {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': bytes.length });
      res.write(bytes.subarray(0, bytes.length >> 1));
      started.add(p);
      if (started.size === victims.length) release();
    });
  });
  const m = await modgateWith(cacheName, ['--upstream', own.url]);
  const pending = victims.map((v) => fetch(m.url + zipUrl(v)).then((r) => r.arrayBuffer()).catch(() => undefined));
  await allStarted;
  await m.kill();
  await Promise.all(pending);

  // No zip of a victim is visible in the cache.
  for (const v of victims) {
    const files = await readdir(join(stack.work, cacheName, escapePath(v.path), '@v')).catch(() => [] as string[]);
    assert.ok(!files.includes(`${escapeVersion(v.selected)}.zip`), `${v.path}: partial zip visible`);
  }
  own.setHandler(null);
  const restarted = await startModgate({ args: ['--cache-dir', join(stack.work, cacheName), '--upstream', own.url, '--sumdb', stack.sumdb.gosumdb] });
  stack.defer(() => restarted.kill());
  // Leftover temp files were swept at start.
  const tmpLeft = await readdir(join(stack.work, cacheName, '.modgate', 'tmp')).catch(() => [] as string[]);
  assert.deepEqual(tmpLeft, []);
  const r = await download(restarted.url, victims.map(target));
  assert.equal(r.code, 0, r.stderr);
  const direct = await download(stack.upstream.url, victims.map(target));
  assert.deepEqual(r.modules.map((x) => x.Sum).sort(), direct.modules.map((x) => x.Sum).sort());
  await restarted.stop();
});

/** Sends a raw request line (no client-side URL normalisation) and returns status and body. */
async function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const { host, port } = new URL(base);
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port), host.split(":")[0], () => sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let data = '';
    sock.setEncoding('latin1').on('data', (d: string) => (data += d));
    sock.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1]);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    sock.on('error', reject);
  });
}

test('traversal attempts over a real socket get 4xx and never a file outside the cache', async () => {
  const m = await modgateWith('traversal', ['--upstream', stack.upstream.url]);
  const secret = '/etc/passwd';
  const attempts = [
    '/../../../../etc/passwd',
    '/example.com/%2e%2e/%2e%2e/%2e%2e/etc/passwd/@v/list',
    '/example.com/..%2f..%2f..%2fetc%2fpasswd/@v/list',
    '/example.com/x/@v/..%2f..%2f..%2f..%2fetc%2fpasswd.info',
    '/%2fetc%2fpasswd/@v/list',
    '//etc/passwd/@v/list',
    '/example.com/x/@v/%00.mod',
  ];
  for (const a of attempts) {
    const r = await rawGet(m.url, a);
    assert.ok(r.status >= 400 && r.status < 500, `${a}: ${r.status}`);
    assert.doesNotMatch(r.body, /root:/, a);
  }
  assert.ok(secret);
});

test('SIGTERM: an in-flight download is aborted cleanly after the grace period; nothing partial remains', async () => {
  const own = await proxyOn(stack.fixture.proxyDir);
  const victim = stack.mods[15]!;
  let started!: () => void;
  const seen = new Promise<void>((r) => (started = r));
  own.setHandler((req, res, next) => {
    if (!(req.url ?? '').endsWith('.zip')) return next();
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': 1_000_000 });
    res.write(Buffer.alloc(1000));
    started();
  });
  const name = 'sigterm';
  const m = await modgateWith(name, ['--upstream', own.url, '--shutdown-grace-seconds', '1']);
  const pending = fetch(m.url + zipUrl(victim)).then((r) => r.status, () => 'failed');
  await seen;
  const code = await m.stop();
  assert.equal(code, 0);
  const status = await pending;
  assert.ok(status === 'failed' || status === 503, String(status));
  const files = await readdir(join(stack.work, name, escapePath(victim.path), '@v')).catch(() => [] as string[]);
  assert.ok(!files.includes(`${escapeVersion(victim.selected)}.zip`));
  const tmpLeft = await readdir(join(stack.work, name, '.modgate', 'tmp')).catch(() => [] as string[]);
  assert.deepEqual(tmpLeft, []);
});

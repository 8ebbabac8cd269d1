// GONOPROXY routing: paths matching the noproxy patterns get a direct-only chain (never a URL
// upstream); others get the public chain built from the list, with the kinds the entries name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRouting, lazyUpstream, type RoutingOptions } from './upstream-routing.js';
import type { Upstream } from './upstream.js';
import { parseProxyList } from './proxy-list.js';

async function fixture(): Promise<{ dir: string; mirror: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-routing-'));
  const mirror = join(dir, 'mirror');
  await mkdir(join(mirror, 'corp.example', 'x', '@v'), { recursive: true });
  await mkdir(join(mirror, 'example.com', 'm', '@v'), { recursive: true });
  await writeFile(join(mirror, 'corp.example', 'x', '@v', 'list'), 'v1.0.0\n');
  await writeFile(join(mirror, 'example.com', 'm', '@v', 'list'), 'v1.2.3\n');
  return { dir, mirror };
}

const options = (dir: string, upstream: string, noproxy: string): RoutingOptions => ({
  entries: parseProxyList(upstream),
  noproxy,
  upstream: { connectTimeoutMs: 1000, timeoutMs: 1000, retries: 0, retryBackoffMs: 0 },
  direct: { mirrorDir: join(dir, 'git'), gitTimeoutMs: 5000 },
  hedgeAfterMs: 0,
});

test('noproxy paths get a direct-only chain; public paths the list', async () => {
  const { dir, mirror } = await fixture();
  const fileUrl = pathToFileURL(mirror).href;
  const routing = await createRouting(options(dir, `${fileUrl},off`, 'corp.example'));
  try {
    const pub = routing.route('example.com/m');
    assert.equal(pub, routing.publicChain);
    assert.deepEqual(pub.entries.map((e) => (e.upstream === 'off' ? 'off' : e.upstream.name)), [fileUrl, 'off']);
    const r = await pub.run('list', (u) => u.list('example.com/m'));
    assert.equal(r.value.toString(), 'v1.2.3\n');

    const priv = routing.route('corp.example/x');
    assert.notEqual(priv, routing.publicChain);
    assert.equal(priv.entries.length, 1);
    const only = priv.entries[0]!.upstream;
    assert.ok(only !== 'off' && only.name === 'direct', 'the private chain is the direct upstream only');
    // The file mirror has corp.example/x, but the private chain never asks it.
    assert.ok(!priv.entries.some((e) => e.upstream !== 'off' && e.upstream.name === fileUrl));
  } finally {
    await routing.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('without noproxy patterns every path takes the public chain, and no direct upstream is made', async () => {
  const { dir, mirror } = await fixture();
  const routing = await createRouting(options(dir, pathToFileURL(mirror).href, ''));
  try {
    assert.equal(routing.route('corp.example/x'), routing.publicChain);
    assert.equal(routing.route('example.com/m'), routing.publicChain);
    assert.deepEqual(routing.publicChain.names, [pathToFileURL(mirror).href]);
  } finally {
    await routing.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('direct in the list and in the private chain is one upstream (one set of git mirrors)', async () => {
  const { dir } = await fixture();
  const routing = await createRouting(options(dir, 'direct', 'corp.example'));
  try {
    const pub = routing.publicChain.entries[0]!.upstream;
    const priv = routing.route('corp.example/x').entries[0]!.upstream;
    assert.ok(pub !== 'off' && pub.name === 'direct');
    assert.equal(pub, priv);
  } finally {
    await routing.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('lazyUpstream: nothing loaded until the first call, then loaded once; a failed load is retried by the next call', async () => {
  let loads = 0;
  let fail = true;
  let closed = 0;
  const real: Upstream = {
    name: 'real',
    list: async (path) => Buffer.from(`list ${path}`),
    latest: async (path) => Buffer.from(`latest ${path}`),
    info: async (path, version) => Buffer.from(`info ${path} ${version}`),
    mod: async (path, version) => Buffer.from(`mod ${path} ${version}`),
    zip: async () => { throw new Error('no zip'); },
    close: async () => void closed++,
  };
  const u = lazyUpstream('direct', async () => {
    loads++;
    if (fail) throw new Error('load failed');
    return real;
  });
  assert.equal(u.name, 'direct');
  await u.close?.();
  assert.equal(loads, 0, 'close before any call loads nothing');
  await assert.rejects(u.list('a.example/m'), /load failed/);
  fail = false;
  assert.equal((await u.list('a.example/m')).toString(), 'list a.example/m');
  assert.equal((await u.info('a.example/m', 'v1.0.0')).toString(), 'info a.example/m v1.0.0');
  assert.equal((await u.mod('a.example/m', 'v1.0.0')).toString(), 'mod a.example/m v1.0.0');
  assert.equal((await u.latest('a.example/m')).toString(), 'latest a.example/m');
  await assert.rejects(u.zip('a.example/m', 'v1.0.0'), /no zip/);
  assert.equal(loads, 2, 'one failed load, then one that is kept');
  await u.close?.();
  assert.equal(closed, 1);
});

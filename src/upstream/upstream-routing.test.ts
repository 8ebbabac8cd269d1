// GONOPROXY routing: paths matching the noproxy patterns get a direct-only chain (never a URL
// upstream); others get the public chain built from the list, with the kinds the entries name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRouting, type RoutingOptions } from './upstream-routing.js';
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

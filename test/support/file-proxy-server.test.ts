// The test file proxy serves GOPROXY layout with !-escaped, percent-decoded paths, counts requests,
// and injects the faults interop tests rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFileProxy, type FileProxyServer } from './file-proxy-server.js';
import { writeTree } from './gohelper.js';

async function withProxy(fn: (proxy: FileProxyServer) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-fileproxy-'));
  await writeTree(dir, {
    'github.com/!burnt!sushi/toml/@v/list': 'v1.2.0\n',
    'github.com/!burnt!sushi/toml/@v/v1.2.0.info': '{"Version":"v1.2.0","Time":"2020-01-01T00:00:00Z"}',
    'github.com/!burnt!sushi/toml/@v/v1.2.0.mod': 'module github.com/BurntSushi/toml\n',
    'github.com/!burnt!sushi/toml/@v/v1.2.0.zip': Buffer.alloc(64 * 1024, 7),
  });
  const proxy = await startFileProxy({ dir });
  try {
    await fn(proxy);
  } finally {
    await proxy.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** GET that reports a reset connection instead of throwing. */
function get(url: string): Promise<{ status: number; body: Buffer; reset: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status = 0;
    request(url, (res) => {
      status = res.statusCode ?? 0;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status, body: Buffer.concat(chunks), reset: false }));
      res.on('error', () => resolve({ status, body: Buffer.concat(chunks), reset: true }));
    })
      .on('error', () => resolve({ status, body: Buffer.concat(chunks), reset: true }))
      .end();
  });
}

void test('serves GOPROXY files, percent-decodes paths, 404s in text/plain, counts requests', async () => {
  await withProxy(async (proxy) => {
    const list = await fetch(`${proxy.url}/github.com/%21burnt%21sushi/toml/@v/list`);
    assert.equal(list.status, 200);
    assert.equal(await list.text(), 'v1.2.0\n');
    const mod = await fetch(`${proxy.url}/github.com/!burnt!sushi/toml/@v/v1.2.0.mod`);
    assert.equal(await mod.text(), 'module github.com/BurntSushi/toml\n');
    for (const p of ['/github.com/!burnt!sushi/toml/@latest', '/github.com/!burnt!sushi/toml/@v/v9.9.9.info', '/x/../../etc/passwd']) {
      const r = await fetch(proxy.url + p);
      assert.equal(r.status, 404, p);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
      await r.arrayBuffer();
    }
    assert.equal(proxy.count('/github.com/!burnt!sushi/toml/@v/'), 3);
    assert.equal(proxy.requests[0], '/github.com/!burnt!sushi/toml/@v/list');
  });
});

void test('faults: status override with times, delay, transform, reset mid-body, custom handler', async () => {
  await withProxy(async (proxy) => {
    const base = `${proxy.url}/github.com/!burnt!sushi/toml/@v`;
    proxy.addFault({ match: /\.info$/, status: 503, body: 'try later\n', times: 1 });
    assert.equal((await get(`${base}/v1.2.0.info`)).status, 503);
    assert.equal((await get(`${base}/v1.2.0.info`)).status, 200);

    proxy.setDelay(150);
    const t0 = Date.now();
    await get(`${base}/list`);
    assert.ok(Date.now() - t0 >= 140);
    proxy.setDelay(0);

    const undo = proxy.addFault({ match: '.mod', transform: (b) => Buffer.concat([b, Buffer.from('// altered\n')]) });
    assert.match((await get(`${base}/v1.2.0.mod`)).body.toString(), /altered/);
    undo();
    assert.doesNotMatch((await get(`${base}/v1.2.0.mod`)).body.toString(), /altered/);

    proxy.addFault({ match: /\.zip$/, resetAfterBytes: 1000 });
    const cut = await get(`${base}/v1.2.0.zip`);
    assert.ok(cut.reset, 'connection should be reset');
    assert.ok(cut.body.length < 64 * 1024);
    proxy.clearFaults();

    proxy.setHandler((req, res, next) => {
      if (req.url?.endsWith('/list') === true) {
        res.writeHead(410, { 'Content-Type': 'text/plain' }).end('gone\n');
      } else next();
    });
    assert.equal((await get(`${base}/list`)).status, 410);
    assert.equal((await get(`${base}/v1.2.0.mod`)).status, 200);
  });
});

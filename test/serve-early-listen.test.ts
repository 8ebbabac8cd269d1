// `modgate serve` listens before it builds the server (issue #10: start time; config/early-listen.ts,
// http/early-listener.ts): requests sent the moment the listening line appears, while fastify and the
// routes are still being made, wait and then get exactly the answers of a started server, each with
// its request-flow log line; a SIGTERM in that window still ends cleanly, with those requests
// answered (not reset). Over a real port, against the real CLI and a file upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { startFileProxy, type FileProxyServer } from './support/file-proxy-server.js';
import { startModgate, type ModgateProcess } from './support/modgate-process.js';

const PATHS = [
  '/healthz',
  '/example.com/early/@v/list',
  '/example.com/early/@v/v1.0.0.info',
  '/example.com/early/@v/v1.0.0.mod',
  '/example.com/early/@latest',
  '/example.com/missing/@v/v1.0.0.info',
  '/example.com/early/@v/v9.bad.info',
  '/nope',
];

/** The responses to `paths` sent at once on one connection (the last one closes it); Date lines dropped. */
function rawGet(url: string, paths: readonly string[]): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname);
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString('latin1')));
    s.on('error', reject);
    s.on('end', () => resolve(got.replace(/^Date: .*\r\n/gm, '')));
    s.write(paths.map((p, i) => `GET ${p} HTTP/1.1\r\nHost: ${u.host}\r\n${i === paths.length - 1 ? 'Connection: close\r\n' : ''}\r\n`).join(''));
  });
}

/** Every path on a connection of its own, and all of them pipelined on one more, all at once. */
const burst = (url: string): Promise<string[]> => Promise.all([...PATHS.map((p) => rawGet(url, [p])), rawGet(url, PATHS)]);

async function setup(t: { after: (fn: () => Promise<void>) => void }): Promise<{ work: string; upstream: FileProxyServer }> {
  const work = await mkdtemp(join(tmpdir(), 'modgate-early-'));
  const vdir = join(work, 'proxy', 'example.com', 'early', '@v');
  await mkdir(vdir, { recursive: true });
  await writeFile(join(vdir, 'v1.0.0.info'), JSON.stringify({ Version: 'v1.0.0', Time: '2024-01-01T00:00:00Z' }));
  await writeFile(join(vdir, 'v1.0.0.mod'), 'module example.com/early\n\ngo 1.21\n');
  await writeFile(join(vdir, 'list'), 'v1.0.0\n');
  const upstream = await startFileProxy({ dir: join(work, 'proxy') });
  t.after(async () => {
    await upstream.stop();
    await rm(work, { recursive: true, force: true });
  });
  return { work, upstream };
}

const start = (work: string, upstream: FileProxyServer, name: string, env?: Record<string, string>): Promise<ModgateProcess> =>
  startModgate({ args: ['--cache-dir', join(work, name), '--upstream', upstream.url, '--sumdb', 'off'], ...(env ? { env } : {}) });

/** Stops it and waits for the end of its output; returns the exit code. */
async function stopped(mg: ModgateProcess): Promise<number | null> {
  const closed = mg.proc.stdout!.readableEnded ? Promise.resolve() : once(mg.proc, 'close');
  const code = await mg.stop();
  await closed;
  return code;
}

/** The request-flow log lines so far, by path. */
const flowPaths = (mg: ModgateProcess): string[] => mg.logs.filter((l) => l.msg === 'request').map((l) => String(l.path ?? l.url));

test('requests sent at the listening line get the answers of a started server, and their log lines', async (t) => {
  const { work, upstream } = await setup(t);
  const loadLog = join(work, 'loaded.txt');
  await writeFile(loadLog, '');
  const recorder = new URL('./support/load-recorder.mjs', import.meta.url).href;
  const mg = await start(work, upstream, 'cache', { MODGATE_LOAD_LOG: loadLog, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${recorder}`.trim() });
  try {
    const early = await burst(mg.url);
    // The server was built after it listened (so the burst above found no server to answer it yet).
    const loaded = (await readFile(loadLog, 'utf8')).split('\n');
    const builtAt = loaded.findIndex((f) => /\/dist\/app\/.*\.js$/.test(f) && f.includes('compose'));
    assert.ok(loaded.indexOf('LISTENING') >= 0 && builtAt > loaded.indexOf('LISTENING'), 'the composition was loaded after the listening line');

    const later = await burst(mg.url);
    assert.equal(early.length, later.length);
    for (let i = 0; i < early.length; i++) {
      // The first answers were fills, the later ones hits; everything else is the same bytes.
      const norm = (s: string) => s.replace(/^x-modgate-cache: .*\r\n/gm, '');
      assert.equal(norm(early[i]!), norm(later[i]!), `answers to ${i < PATHS.length ? PATHS[i] : 'the pipelined requests'}`);
    }
    assert.match(early[0]!, /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok\n$/);
    assert.match(early[2]!, /^HTTP\/1\.1 200 OK\r\n[\s\S]*"Version":"v1.0.0"/);
    assert.match(early[5]!, /^HTTP\/1\.1 404 /);
    assert.match(early[7]!, /^HTTP\/1\.1 400 [\s\S]*not a module proxy request/);
    assert.equal(early.at(-1)!.match(/HTTP\/1\.1 \d{3} /g)?.length, PATHS.length, `every pipelined request answered:\n${early.at(-1)}`);
  } finally {
    assert.equal(await stopped(mg), 0);
  }
  // One request-flow line per request of both bursts.
  assert.equal(flowPaths(mg).length, 2 * 2 * PATHS.length, flowPaths(mg).join('\n'));
});

test('SIGTERM at the listening line: the requests already sent are answered, the exit is clean', async (t) => {
  const { work, upstream } = await setup(t);
  const mg = await start(work, upstream, 'cache');
  const answers = Promise.all(PATHS.map((p) => rawGet(mg.url, [p])));
  // (The requests are written before the signal is sent: both go out in this turn, in this order.)
  const code = await stopped(mg);
  const got = await answers;
  assert.equal(code, 0, mg.output());
  got.forEach((a, i) => assert.match(a, /^HTTP\/1\.1 (200|404|400) /, `${PATHS[i]}: ${a}`));
  assert.equal(flowPaths(mg).length, PATHS.length, flowPaths(mg).join('\n'));
});

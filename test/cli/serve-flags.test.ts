// `modgate serve` flags through the real CLI (bin/modgate): boolean switches work bare (the
// scale-out docs' `--s3-force-path-style --redis URL`), as --no-X and as --X=false; bad values stop
// with the flag, the env var and the accepted form (exit 2); --help shows defaults.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../support/process-runner.js';
import { startModgate } from '../support/modgate-process.js';
import { startRedis } from '../support/redis-server.js';

const BIN = fileURLToPath(new URL('../../bin/modgate', import.meta.url));
const modgate = (args: string[]) => runProcess(process.execPath, [BIN, ...args], { timeoutMs: 60_000 });

let work: string;
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('bad --listen and empty --upstream stop at load with the flag and the accepted form', async () => {
  work = await mkdtemp(join(tmpdir(), 'modgate-flags-'));
  const cases: Array<[string[], RegExp]> = [
    [['--listen', '999.1.1.1:99999'], /listen \(flag --listen, env MODGATE_LISTEN\): port 99999 is out of range; expected HOST:PORT/],
    [['--listen', '999.1.1.1:80'], /flag --listen.*not an IPv4 address or host name; expected HOST:PORT/],
    [['--upstream', ''], /upstream \(flag --upstream, env MODGATE_UPSTREAM\): the upstream list is empty; expected a list in GOPROXY syntax/],
    [['--prefetch', 'maybe'], /prefetch \(flag --prefetch, env MODGATE_PREFETCH\)/],
  ];
  for (const [args, want] of cases) {
    const r = await modgate(['serve', '--cache-dir', join(work, 'c'), ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
    assert.doesNotMatch(r.stderr, /RangeError|ERR_SOCKET|at .*\.js:\d+/, 'no raw Node error or stack');
  }
});

test('serve --help shows env vars, defaults and the boolean forms', async () => {
  const r = await modgate(['serve', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /--listen <value>[\s\S]*?default: 127\.0\.0\.1:3000/);
  assert.match(r.stdout, /--upstream <value>[\s\S]*?default: https:\/\/proxy\.golang\.org,direct/);
  assert.match(r.stdout, /--s3-force-path-style \[true\|false\]/);
  assert.match(r.stdout, /--no-s3-force-path-style/);
  assert.match(r.stdout, /--no-prefetch/);
});

test('bare boolean switches followed by other flags start the server (--s3-force-path-style --redis URL)', async (t) => {
  work ??= await mkdtemp(join(tmpdir(), 'modgate-flags-'));
  const redis = await startRedis();
  t.after(() => redis.stop());
  const mg = await startModgate({ args: ['--cache-dir', join(work, 'bare'), '--s3-force-path-style', '--redis', redis.url, '--no-prefetch', '--s3-zip-redirect=false', '--upstream', 'off'], timeoutMs: 180_000 });
  try {
    const ready = await fetch(`${mg.url}/readyz`);
    const body = await ready.text();
    assert.equal(ready.status, 200, body);
    // The switch did not swallow --redis: the replica coordinates through that redis.
    assert.match(body, new RegExp(`coordination \\(redis redis://127\\.0\\.0\\.1:${redis.port}[^)]*\\): ok`));
  } finally {
    assert.equal(await mg.stop(), 0);
  }
});

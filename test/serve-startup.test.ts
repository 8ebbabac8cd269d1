// `modgate serve` with a cache directory it cannot create or write exits non-zero at once, naming
// the path and the cause (it used to spin at 100% CPU forever on /proc, never listening).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './support/process-runner.js';

const BIN = fileURLToPath(new URL('../bin/modgate', import.meta.url));

const serve = (cacheDir: string) =>
  runProcess(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', '--cache-dir', cacheDir, '--upstream', 'off', '--sumdb', 'off'], { timeoutMs: 30_000 });

test('serve --cache-dir under /proc exits non-zero with the path and the cause, without listening', async () => {
  const r = await serve('/proc/modgate-no-such/cache');
  assert.equal(r.timedOut, false, 'serve did not exit (the writability check does not end)');
  assert.notEqual(r.code, 0);
  const out = r.stdout + r.stderr;
  assert.doesNotMatch(out, /listening on/);
  assert.match(r.stderr, /\/proc\/modgate-no-such/);
  assert.match(r.stderr, /ENOENT/);
});

test('serve --cache-dir pointing at a file exits non-zero naming it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-startup-'));
  try {
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const r = await serve(join(file, 'cache'));
    assert.equal(r.timedOut, false);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /not-a-dir/);
    assert.match(r.stderr, /ENOTDIR/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

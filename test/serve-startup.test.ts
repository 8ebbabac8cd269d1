// `modgate serve` with a cache directory it cannot create or write exits non-zero at once, naming
// the path and the cause (it used to spin at 100% CPU forever on /proc, never listening).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { runProcess } from './support/process-runner.js';
import { startModgate } from './support/modgate-process.js';

const BIN = fileURLToPath(new URL('../bin/modgate', import.meta.url));

/** The bundle chunks among `files` that hold code of npm package `pkg` (from their source maps). */
async function chunksWith(files: readonly string[], pkg: string): Promise<string[]> {
  const found: string[] = [];
  for (const f of files.filter((x) => x.endsWith('.js'))) {
    const map = JSON.parse(await readFile(`${fileURLToPath(f.startsWith('file:') ? f : `file://${f}`)}.map`, 'utf8')) as { sources: string[] };
    if (map.sources.some((src) => src.includes(`/node_modules/${pkg}/`))) found.push(f);
  }
  return found;
}

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

test('serve reads only the bundle before listening: no node_modules file, a few dist/app chunks (issue #10)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-startup-'));
  try {
    const log = join(dir, 'loaded.txt');
    await writeFile(log, '');
    const recorder = new URL('./support/load-recorder.mjs', import.meta.url).href;
    const mg = await startModgate({
      args: ['--cache-dir', join(dir, 'cache')],
      env: { MODGATE_LOAD_LOG: log, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${recorder}`.trim() },
    });
    await mg.stop();
    // What was read before the process wrote its listening line (load-recorder.mjs marks it).
    const loaded = (await readFile(log, 'utf8')).split('\n');
    assert.ok(loaded.includes('LISTENING'), 'the listening line is marked in the load log');
    const atListen = loaded.slice(0, loaded.indexOf('LISTENING')).filter((l) => l !== '' && !l.startsWith('node:'));
    const files = atListen.filter((l) => !l.includes('/test/support/load-recorder'));
    assert.deepEqual(files.filter((f) => f.includes('/node_modules/')), [], 'files read from node_modules before listening');
    assert.deepEqual(files.filter((f) => !/\/dist\/app\/[^/]+\.js$/.test(f) && !f.endsWith('/bin/modgate')), [], 'files outside the bundle');
    // The entry, the serve command and the chunks they share; the tsc build had ~130 of modgate's files and ~450 of npm packages.
    assert.ok(files.length <= 40, `${files.length} files read before listening:\n${files.join('\n')}`);
    // Loaded at first use, not at start: the direct (git) upstream that ends the default chain, the bundle importer.
    assert.deepEqual(files.filter((f) => /\/(direct-upstream|import-job)-[^/]*\.js$/.test(f)), [], 'code for first use read at start');
    // The filesystem default listens before it builds the server: the HTTP framework, the metrics
    // registry and the composition are read after the listening line (they were, by the time it stopped).
    const later = loaded.slice(loaded.indexOf('LISTENING') + 1).filter((l) => /\/dist\/app\/[^/]+\.js$/.test(l));
    for (const pkg of ['fastify', 'prom-client', 'find-my-way']) {
      assert.deepEqual(await chunksWith(files, pkg), [], `${pkg} read before listening`);
      assert.notDeepEqual(await chunksWith(later, pkg), [], `${pkg} never read (the check looks in the wrong place)`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

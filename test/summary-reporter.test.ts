// The summary reporter run by node:test over two real test files: the slowest files are listed
// (slowest first) before the closing counts line, which stays the last line; durations are merged
// into MODGATE_TEST_DURATIONS; test-order.mjs starts the longest files first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './support/process-runner.js';

const REPORTER = fileURLToPath(new URL('../scripts/summary-reporter.mjs', import.meta.url));
const { orderFiles } = (await import(new URL('../scripts/test-order.mjs', import.meta.url).href)) as { orderFiles: (files: string[], known: Record<string, number>) => string[] };

test('prints the slowest test files before the closing N passed, N failed line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-reporter-'));
  try {
    await writeFile(join(dir, 'slow.test.mjs'), "import { test } from 'node:test';\ntest('slow', () => new Promise((r) => setTimeout(r, 800)));\n");
    await writeFile(join(dir, 'quick.test.mjs'), "import { test } from 'node:test';\ntest('ok', () => {});\ntest('bad', () => { throw new Error('x'); });\n");
    // Not as a child of this test run: NODE_TEST_CONTEXT would make it report to us instead.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'));
    const durations = join(dir, 'artifacts', 'durations.json');
    env.MODGATE_TEST_DURATIONS = durations;
    const r = await runProcess(process.execPath, ['--test', `--test-reporter=${REPORTER}`, 'slow.test.mjs', 'quick.test.mjs'], { cwd: dir, env, timeoutMs: 60_000 });
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), '2 passed, 1 failed');
    const head = lines.indexOf('slowest test files (top 2):');
    assert.ok(head >= 0, r.stdout);
    assert.match(lines[head + 1]!, /^\s+\d+\.\d s {2}slow\.test\.mjs$/);
    assert.match(lines[head + 2]!, /^\s+\d+\.\d s {2}quick\.test\.mjs$/);
    assert.equal(lines.length, head + 4);
    // The durations file: both files, the slow one at least its 800 ms; kept entries survive a merge.
    const first = JSON.parse(await readFile(durations, 'utf8')) as Record<string, number>;
    assert.deepEqual(Object.keys(first).sort(), ['quick.test.mjs', 'slow.test.mjs']);
    assert.ok(first['slow.test.mjs']! >= 800 && first['slow.test.mjs']! > first['quick.test.mjs']!, JSON.stringify(first));
    await writeFile(durations, JSON.stringify({ ...first, 'other.test.mjs': 5 }));
    const again = await runProcess(process.execPath, ['--test', `--test-reporter=${REPORTER}`, 'quick.test.mjs'], { cwd: dir, env, timeoutMs: 60_000 });
    assert.equal(again.stdout.trimEnd().split('\n').at(-1), '1 passed, 1 failed');
    const merged = JSON.parse(await readFile(durations, 'utf8')) as Record<string, number>;
    assert.deepEqual(Object.keys(merged).sort(), ['other.test.mjs', 'quick.test.mjs', 'slow.test.mjs']);
    assert.equal(merged['slow.test.mjs'], first['slow.test.mjs']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('test order: longest known first; unknown integration files before unknown unit files; ties by name', () => {
  const known = { 'test/interop/b.test.ts': 200_000, 'src/x/slow.test.ts': 90_000, 'test/interop/a.test.ts': 10 };
  const files = ['src/x/quick.test.ts', 'test/interop/a.test.ts', 'src/x/slow.test.ts', 'test/e2e/new.test.ts', 'test/interop/b.test.ts', 'src/a/new.test.ts'];
  assert.deepEqual(orderFiles(files, known), [
    'test/interop/b.test.ts', 'src/x/slow.test.ts', 'test/e2e/new.test.ts', 'src/a/new.test.ts', 'src/x/quick.test.ts', 'test/interop/a.test.ts',
  ]);
});

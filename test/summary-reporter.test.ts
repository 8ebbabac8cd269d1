// The summary reporter run by node:test over two real test files: the slowest files are listed
// (slowest first) before the closing counts line, which stays the last line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './support/process-runner.js';

const REPORTER = fileURLToPath(new URL('../scripts/summary-reporter.mjs', import.meta.url));

test('prints the slowest test files before the closing N passed, N failed line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-reporter-'));
  try {
    await writeFile(join(dir, 'slow.test.mjs'), "import { test } from 'node:test';\ntest('slow', () => new Promise((r) => setTimeout(r, 800)));\n");
    await writeFile(join(dir, 'quick.test.mjs'), "import { test } from 'node:test';\ntest('ok', () => {});\ntest('bad', () => { throw new Error('x'); });\n");
    // Not as a child of this test run: NODE_TEST_CONTEXT would make it report to us instead.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT'));
    const r = await runProcess(process.execPath, ['--test', `--test-reporter=${REPORTER}`, 'slow.test.mjs', 'quick.test.mjs'], { cwd: dir, env, timeoutMs: 60_000 });
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), '2 passed, 1 failed');
    const head = lines.indexOf('slowest test files (top 2):');
    assert.ok(head >= 0, r.stdout);
    assert.match(lines[head + 1]!, /^\s+\d+\.\d s {2}slow\.test\.mjs$/);
    assert.match(lines[head + 2]!, /^\s+\d+\.\d s {2}quick\.test\.mjs$/);
    assert.equal(lines.length, head + 4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

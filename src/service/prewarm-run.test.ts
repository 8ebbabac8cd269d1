// Prewarm's core takes text: a go.mod body, a go.sum body or module@version lines are recognised
// without any file name, and a line that is none of them is refused before anything is fetched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inputsFromText, prewarm } from './prewarm-run.js';

test('inputsFromText recognises go.mod, go.sum and module@version lines', () => {
  const mod = 'module example.com/app\n\ngo 1.21\n\nrequire golang.org/x/text v0.14.0\n';
  assert.deepEqual(inputsFromText(mod, 'body'), [{ kind: 'go.mod', name: 'body (go.mod)', text: mod }]);
  const sum = 'golang.org/x/text v0.14.0 h1:abc=\ngolang.org/x/text v0.14.0/go.mod h1:def=\n';
  assert.deepEqual(inputsFromText(sum, 'body'), [{ kind: 'go.sum', name: 'body (go.sum)', text: sum }]);
  assert.deepEqual(inputsFromText('// warm these\na.example/m@v1.0.0\n\nb.example/n@v2.0.0\n', 'body'), [
    { kind: 'module', name: 'a.example/m@v1.0.0' },
    { kind: 'module', name: 'b.example/n@v2.0.0' },
  ]);
});

test('a line that is neither a file nor module@version is refused before any fetch', async () => {
  await assert.rejects(
    prewarm({ inputs: inputsFromText('not-a-module\n', 'body'), proxy: 'http://127.0.0.1:1', concurrency: 1, retries: 0, timeoutMs: 1000 }),
    (e: Error & { code?: string }) => e.code === 'INVALID_REQUEST' && /not-a-module: not a file and not module@version/.test(e.message),
  );
});

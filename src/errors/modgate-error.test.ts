// docs/errors.md must list every error code, and nothing that is not one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, ModgateError, isNotFound } from './modgate-error.js';

test('docs/errors.md lists exactly the error codes', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]));
  assert.deepEqual([...documented].sort(), [...ERROR_CODES].sort());
});

test('userMessage appends the hint; isNotFound knows NOT_FOUND and GONE only', () => {
  const e = new ModgateError('NOT_FOUND', 'no such module', { hint: 'check the path' });
  assert.equal(e.userMessage, 'no such module\ncheck the path');
  assert.equal(isNotFound(e), true);
  assert.equal(isNotFound(new ModgateError('GONE', 'x')), true);
  assert.equal(isNotFound(new ModgateError('UPSTREAM_ERROR', 'x')), false);
  assert.equal(isNotFound(new Error('x')), false);
});

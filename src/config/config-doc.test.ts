// docs/configuration.md lists exactly the config schema (keys, flags, env vars, defaults).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { withConfigTable } from './config-doc.js';

test('docs/configuration.md is in sync with the schema (run scripts/gen-config-doc.ts)', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(doc, withConfigTable(doc));
});

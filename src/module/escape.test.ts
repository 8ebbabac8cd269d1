// Tests for path and version case-escaping; tables from Go's module_test.go plus edge cases.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { escapePath, escapeVersion, unescapePath, unescapeVersion } from './escape.js';
import { CHECK_PATH_CASES } from './check-path-cases.js';

const ESCAPES: ReadonlyArray<readonly [string, string]> = [
  ['ascii.com/abcdefghijklmnopqrstuvwxyz.-/~_0123456789', 'ascii.com/abcdefghijklmnopqrstuvwxyz.-/~_0123456789'],
  ['github.com/GoogleCloudPlatform/omega', 'github.com/!google!cloud!platform/omega'],
  ['github.com/Azure/azure-sdk-for-go', 'github.com/!azure/azure-sdk-for-go'],
  ['github.com/BurntSushi/toml', 'github.com/!burnt!sushi/toml'],
];

void test('escapePath and unescapePath round-trip', () => {
  for (const [path, esc] of ESCAPES) {
    assert.equal(escapePath(path), esc);
    assert.equal(unescapePath(esc), path);
  }
});

void test('escapePath and unescapePath reject invalid module paths', () => {
  for (const [path, ok] of CHECK_PATH_CASES) {
    if (ok) continue;
    assert.throws(() => escapePath(path), { code: 'INVALID_PATH' }, JSON.stringify(path));
    assert.throws(() => unescapePath(path), { code: 'INVALID_PATH' }, JSON.stringify(path));
  }
});

void test('unescapePath rejects malformed escapes', () => {
  const bad = [
    'github.com/GoogleCloudPlatform/omega',
    'github.com/!google!cloud!platform!/omega',
    'github.com/!0google!cloud!platform/omega',
    'github.com/!_google!cloud!platform/omega',
    'github.com/!!google!cloud!platform/omega',
    '',
    'github.com/x!',
    'github.com/é',
  ];
  for (const escaped of bad) assert.throws(() => unescapePath(escaped), { code: 'INVALID_PATH' }, escaped);
  assert.throws(() => unescapePath('github.com/!Azure'), {
    message: 'invalid escaped module path "github.com/!Azure"',
  });
  assert.throws(() => unescapePath('github.com/x/v1'), {
    message: 'invalid escaped module path "github.com/x/v1": malformed module path "github.com/x/v1": invalid version',
  });
});

void test('escapeVersion and unescapeVersion', () => {
  const ok: ReadonlyArray<readonly [string, string]> = [
    ['v1.0.0', 'v1.0.0'],
    ['v1.0.0-RC1', 'v1.0.0-!r!c1'],
    ['v2.0.0+incompatible', 'v2.0.0+incompatible'],
    ['master', 'master'],
    ['Feature-X', '!feature-!x'],
  ];
  for (const [v, esc] of ok) {
    assert.equal(escapeVersion(v), esc, v);
    assert.equal(unescapeVersion(esc), v, esc);
  }
  for (const v of ['', 'v1!', 'a/b', '..', 'v1.0.', 'vé', 'x y\t', 'com1']) {
    assert.throws(() => escapeVersion(v), { code: 'INVALID_VERSION' }, JSON.stringify(v));
  }
  assert.throws(() => escapeVersion('v1!'), { message: 'version "v1!" invalid: disallowed version string' });
  for (const esc of ['V1.0.0', 'v1.0.0!', 'v1.0.0-!1', 'vé', 'a/b', '', 'v1.', 'aux']) {
    assert.throws(() => unescapeVersion(esc), { code: 'INVALID_VERSION' }, JSON.stringify(esc));
  }
  assert.throws(() => unescapeVersion('v1.0.0!'), { message: 'invalid escaped version "v1.0.0!"' });
  assert.throws(() => unescapeVersion('a/b'), { message: `invalid escaped version "a/b": invalid char '/'` });
});

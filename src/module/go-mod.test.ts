// Tests for the go.mod parser and the fast module-path reader.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { modulePathFromGoMod, parseGoMod } from './go-mod.js';

const FULL = `// Package example.
//
// Deprecated: use example.com/other instead.
module "example.com/m"

go 1.21.0
toolchain go1.22.1

require golang.org/x/text v0.3.0 // indirect
require (
\trsc.io/quote v1.5  // the quote
\trsc.io/sampler v1.3.0 // indirect; keep
\texample.com/v2mod/v2 v2.1.0
)

exclude rsc.io/sampler v1.99.99

replace (
\tgolang.org/x/text => ../text
\trsc.io/quote v1.5.2 => example.com/fork v1.0.0
)

// Published by mistake.
retract v1.0.1

retract (
\t[v1.0.0, v1.0.5] // broken build
\tv1.9.0
)
`;

void test('parseGoMod reads every directive', () => {
  const f = parseGoMod(FULL, { strict: true });
  assert.deepEqual(f.module, { path: 'example.com/m', deprecated: 'use example.com/other instead.' });
  assert.equal(f.go, '1.21.0');
  assert.equal(f.toolchain, 'go1.22.1');
  assert.deepEqual(f.require, [
    { path: 'golang.org/x/text', version: 'v0.3.0', indirect: true, line: 9 },
    { path: 'rsc.io/quote', version: 'v1.5.0', indirect: false, line: 11 },
    { path: 'rsc.io/sampler', version: 'v1.3.0', indirect: true, line: 12 },
    { path: 'example.com/v2mod/v2', version: 'v2.1.0', indirect: false, line: 13 },
  ]);
  assert.deepEqual(f.exclude, [{ path: 'rsc.io/sampler', version: 'v1.99.99', line: 16 }]);
  assert.deepEqual(f.replace, [
    { old: { path: 'golang.org/x/text', version: '' }, new: { path: '../text', version: '' }, isLocal: true, line: 19 },
    { old: { path: 'rsc.io/quote', version: 'v1.5.2' }, new: { path: 'example.com/fork', version: 'v1.0.0' }, isLocal: false, line: 20 },
  ]);
  assert.deepEqual(f.retract, [
    { low: 'v1.0.1', high: 'v1.0.1', rationale: 'Published by mistake.', line: 24 },
    { low: 'v1.0.0', high: 'v1.0.5', rationale: 'broken build', line: 27 },
    { low: 'v1.9.0', high: 'v1.9.0', rationale: '', line: 28 },
  ]);
  // Go only sees a deprecation at the start of a comment paragraph.
  assert.equal(parseGoMod('// Note.\n// Deprecated: no\nmodule m\n').module?.deprecated, '');
});

void test('parseGoMod accepts minimal and odd-but-valid files', () => {
  const cases: ReadonlyArray<readonly [string, string | undefined, number]> = [
    ['', undefined, 0],
    ['module x\n', 'x', 0],
    ['module example.com/m\r\nrequire a.b/c v1.0.0\r\n', 'example.com/m', 1],
    ['module m\nrequire ()\n', 'm', 0],
    ['module m\nrequire (\n)\n', 'm', 0],
    ['module m // trailing comment', 'm', 0],
  ];
  for (const [text, path, requires] of cases) {
    const f = parseGoMod(text, { strict: true });
    assert.equal(f.module?.path, path, JSON.stringify(text));
    assert.equal(f.require.length, requires, JSON.stringify(text));
  }
});

void test('parseGoMod errors carry file, line and column', () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ['module m\nrequire a.b/c\n', 'UPSTREAM_BAD_RESPONSE', 'go.mod:2: usage: require module/path v1.2.3'],
    ['module m\nrequire a.b/c bad\n', 'INVALID_VERSION', 'go.mod:2: require a.b/c: version "bad" invalid: must be of the form v1.2.3'],
    ['module m\nrequire a.b/c v2.0.0\n', 'INVALID_VERSION', 'go.mod:2: require a.b/c: version "v2.0.0" invalid: should be v0 or v1, not v2'],
    ['module m\nrequire (\n\ta.b/c/v1 v1.0.0\n)\n', 'INVALID_PATH', 'go.mod:3:2: invalid module path'],
    ['module m\ngo 1.21.0\ngo 1.22\n', 'UPSTREAM_BAD_RESPONSE', 'go.mod:3: repeated go statement'],
    ['go 1.021\n', 'INVALID_VERSION', "go.mod:1: invalid go version '1.021': must match format 1.23"],
    ['module m\nmodule n\n', 'UPSTREAM_BAD_RESPONSE', 'go.mod:2: repeated module statement'],
    ['module m\nfrobnicate x\n', 'UPSTREAM_BAD_RESPONSE', 'go.mod:2: unknown directive: frobnicate'],
    ['module m\nrequire (\n\ta.b/c v1.0.0\n', 'UPSTREAM_BAD_RESPONSE', 'go.mod:4:1: syntax error (unterminated block started at 2:1)'],
    ['module m /* x */\n', 'UPSTREAM_BAD_RESPONSE', 'go.mod:1:10: mod files must use // comments (not /* */ comments)'],
    ['module "m\n', 'UPSTREAM_BAD_RESPONSE', 'go.mod:1:10: unexpected newline in string'],
    ['module m\nreplace a.b/c => d.e/f\n', 'UPSTREAM_BAD_RESPONSE', 'go.mod:2: replacement module without version must be directory path (rooted or starting with ./ or ../)'],
    ['module m\nreplace a.b/c => ./d v1.0.0\n', 'UPSTREAM_BAD_RESPONSE', 'go.mod:2: replacement module directory path "./d" cannot have version'],
    ['module m\nretract [v1.0.0 v1.1.0]\n', 'INVALID_VERSION', "go.mod:2: expected ',' after version"],
    ['module m\nretract v1.0.0 extra\n', 'UPSTREAM_BAD_RESPONSE', 'go.mod:2: unexpected token after version: "extra"'],
  ];
  for (const [text, code, message] of cases) {
    assert.throws(() => parseGoMod(text, { strict: true }), { code, message }, JSON.stringify(text));
  }
});

void test('lax mode ignores what the go command ignores in dependencies', () => {
  const text = 'module m\ngo 1.21rc1\nfrobnicate x\nexclude a.b/c bad\nretract bad\ngodebug default=go1.21\nrequire a.b/c v1.0.0\n';
  const f = parseGoMod(text);
  assert.equal(f.go, '1.21rc1');
  assert.deepEqual(f.exclude, []);
  assert.deepEqual(f.retract, []);
  assert.equal(f.require.length, 1);
  assert.equal(parseGoMod('go v1.21-foo\n').go, '1.21'); // lax go versions are fixed up
  assert.throws(() => parseGoMod('module m\nrequire a.b/c bad\n'), { code: 'INVALID_VERSION' });
});

void test('modulePathFromGoMod reads the module line the fast way', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['module example.com/m\n', 'example.com/m'],
    ['// c\n\n  module   example.com/m   // comment\nrequire x v1\n', 'example.com/m'],
    ['module "example.com/m"\n', 'example.com/m'],
    ['module `example.com/m`\n', 'example.com/m'],
    ['module "example.com/m\n', ''],
    ['modulex example.com/m\n', ''],
    ['module\n', ''],
    ['require x v1.0.0\n', ''],
    ['', ''],
  ];
  for (const [text, want] of cases) assert.equal(modulePathFromGoMod(text), want, JSON.stringify(text));
});

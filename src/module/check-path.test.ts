// Tests for module/import/file path checks and major-version suffixes; tables from Go's module_test.go.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { isModgateError } from '../errors/modgate-error.js';
import {
  checkFilePath,
  checkImportPath,
  checkPath,
  checkPathMajor,
  isValidModulePath,
  matchPathMajor,
  pathMajorPrefix,
  splitPathVersion,
} from './check-path.js';
import { CHECK_PATH_CASES } from './check-path-cases.js';

function accepts(fn: (p: string) => void, path: string): boolean {
  try {
    fn(path);
    return true;
  } catch (err) {
    assert.ok(isModgateError(err, 'INVALID_PATH'), `unexpected error ${String(err)}`);
    return false;
  }
}

void test('checkPath, checkImportPath, checkFilePath agree with Go', () => {
  for (const [path, ok, importOK, fileOK] of CHECK_PATH_CASES) {
    assert.equal(accepts(checkPath, path), ok, `checkPath(${JSON.stringify(path)})`);
    assert.equal(isValidModulePath(path), ok, `isValidModulePath(${JSON.stringify(path)})`);
    assert.equal(accepts(checkImportPath, path), importOK, `checkImportPath(${JSON.stringify(path)})`);
    assert.equal(accepts(checkFilePath, path), fileOK, `checkFilePath(${JSON.stringify(path)})`);
  }
});

void test('error messages read like Go', () => {
  const cases: ReadonlyArray<readonly [(p: string) => void, string, string]> = [
    [checkPath, 'x', 'malformed module path "x": missing dot in first path element'],
    [checkPath, '', 'malformed module path "": empty string'],
    [checkPath, '/x.y', 'malformed module path "/x.y": empty path element'],
    [checkPath, '-x.y', 'malformed module path "-x.y": leading dash'],
    [checkPath, 'x.y//z', 'malformed module path "x.y//z": double slash'],
    [checkPath, 'x.y/', 'malformed module path "x.y/": trailing slash'],
    [checkPath, 'X.y/z', `malformed module path "X.y/z": invalid char 'X' in first path element`],
    [checkPath, 'x.y/z*', `malformed module path "x.y/z*": invalid char '*'`],
    [checkPath, 'x.y/z/v1', 'malformed module path "x.y/z/v1": invalid version'],
    [checkPath, 'x.y/.z', 'malformed module path "x.y/.z": leading dot in path element'],
    [checkPath, 'x.y/z.', 'malformed module path "x.y/z.": trailing dot in path element'],
    [checkPath, 'x.y/..', 'malformed module path "x.y/..": invalid path element ".."'],
    [checkPath, 'x.y/z~1', 'malformed module path "x.y/z~1": trailing tilde and digits in path element'],
    [checkPath, 'x.y/aux.go', 'malformed module path "x.y/aux.go": "aux" disallowed as path element component on Windows'],
    [checkPath, 'x.y/\uD800', 'malformed module path "x.y/\\ufffd": invalid UTF-8'],
    [checkImportPath, 'x.y/a b', `malformed import path "x.y/a b": invalid char ' '`],
    [checkFilePath, 'a/b\tc', `malformed file path "a/b\\tc": invalid char '\\t'`],
    [checkFilePath, 'a/☺', `malformed file path "a/☺": invalid char '☺'`],
  ];
  for (const [fn, path, message] of cases) {
    assert.throws(() => fn(path), { code: 'INVALID_PATH', message }, JSON.stringify(path));
  }
});

void test('splitPathVersion splits major suffixes', () => {
  const ok: ReadonlyArray<readonly [string, string]> = [
    ['x.y/z', ''],
    ['x.y/z', '/v2'],
    ['x.y/z', '/v3'],
    ['x.y/v', ''],
    ['gopkg.in/yaml', '.v0'],
    ['gopkg.in/yaml', '.v1'],
    ['gopkg.in/yaml', '.v2'],
    ['gopkg.in/yaml', '.v3'],
    ['gopkg.in/yaml', '.v3-unstable'],
    ['x.y/z', '/v10'],
  ];
  for (const [prefix, pathMajor] of ok) {
    assert.deepEqual(splitPathVersion(prefix + pathMajor), { prefix, pathMajor }, prefix + pathMajor);
  }
  for (const bad of ['x.y/z/v0', 'x.y/z/v1', 'x.y/z/v2.0', 'x.y/z/v02', 'gopkg.in/yaml', 'gopkg.in/yaml.v', 'gopkg.in/yaml.v01']) {
    assert.equal(splitPathVersion(bad), undefined, bad);
  }
  // Whatever Go's table holds, a successful split always adds back up to the input.
  for (const [path] of CHECK_PATH_CASES) {
    const split = splitPathVersion(path);
    if (split) assert.equal(split.prefix + split.pathMajor, path);
  }
});

void test('matchPathMajor and checkPathMajor', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['v0.0.0', '', true],
    ['v0.0.0', '/v2', false],
    ['v0.0.0', '.v0', true],
    ['v0.0.0-20190510104115-cbcb75029529', '.v1', true],
    ['v1.0.0', '/v2', false],
    ['v1.0.0', '.v1', true],
    ['v1.0.0', '.v1-unstable', true],
    ['v2.0.0+incompatible', '', true],
    ['v2.0.0', '', false],
    ['v2.0.0', '/v2', true],
    ['v2.0.0', '.v2', true],
  ];
  for (const [v, pathMajor, want] of cases) {
    assert.equal(matchPathMajor(v, pathMajor), want, `${v} ${pathMajor}`);
    if (want) checkPathMajor(v, pathMajor);
    else assert.throws(() => checkPathMajor(v, pathMajor), { code: 'INVALID_VERSION' });
  }
  assert.throws(() => checkPathMajor('v2.0.0', ''), {
    message: 'version "v2.0.0" invalid: should be v0 or v1, not v2',
  });
  assert.throws(() => checkPathMajor('v1.0.0', '/v3'), { message: 'version "v1.0.0" invalid: should be v3, not v1' });
});

void test('pathMajorPrefix', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['', ''],
    ['/v2', 'v2'],
    ['.v1', 'v1'],
    ['.v1-unstable', 'v1'],
  ];
  for (const [pathMajor, want] of cases) assert.equal(pathMajorPrefix(pathMajor), want, pathMajor);
  assert.throws(() => pathMajorPrefix('v2'), { code: 'INVALID_PATH' });
  assert.throws(() => pathMajorPrefix('/v2.0'), { code: 'INVALID_PATH' });
});

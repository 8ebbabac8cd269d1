// Tests for canonicalVersion, checkModule (Go's module.Check table) and the proxy's checkVersion.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { canonicalVersion, checkModule, checkVersion, isCanonical } from './version.js';

function passes(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

/** Go's checkTests: [path, version, module.Check accepts]. */
const CHECK_CASES: ReadonlyArray<readonly [string, string, boolean]> = [
  ['rsc.io/quote', '0.1.0', false],
  ['rsc io/quote', 'v1.0.0', false],
  ['github.com/go-yaml/yaml', 'v0.8.0', true],
  ['github.com/go-yaml/yaml', 'v1.0.0', true],
  ['github.com/go-yaml/yaml', 'v2.0.0', false],
  ['github.com/go-yaml/yaml', 'v2.1.5', false],
  ['github.com/go-yaml/yaml', 'v3.0.0', false],
  ['github.com/go-yaml/yaml/v2', 'v1.0.0', false],
  ['github.com/go-yaml/yaml/v2', 'v2.0.0', true],
  ['github.com/go-yaml/yaml/v2', 'v2.1.5', true],
  ['github.com/go-yaml/yaml/v2', 'v3.0.0', false],
  ['gopkg.in/yaml.v0', 'v0.8.0', true],
  ['gopkg.in/yaml.v0', 'v1.0.0', false],
  ['gopkg.in/yaml.v0', 'v2.0.0', false],
  ['gopkg.in/yaml.v0', 'v2.1.5', false],
  ['gopkg.in/yaml.v0', 'v3.0.0', false],
  ['gopkg.in/yaml.v1', 'v0.8.0', false],
  ['gopkg.in/yaml.v1', 'v1.0.0', true],
  ['gopkg.in/yaml.v1', 'v2.0.0', false],
  ['gopkg.in/yaml.v1', 'v2.1.5', false],
  ['gopkg.in/yaml.v1', 'v3.0.0', false],
  ['gopkg.in/check.v1', 'v0.0.0', false],
  ['gopkg.in/check.v1', 'v0.0.0-20160102150405-abcdef123456', true],
  ['gopkg.in/yaml.v2', 'v1.0.0', false],
  ['gopkg.in/yaml.v2', 'v2.0.0', true],
  ['gopkg.in/yaml.v2', 'v2.1.5', true],
  ['gopkg.in/yaml.v2', 'v3.0.0', false],
  ['rsc.io/quote', 'v17.0.0', false],
  ['rsc.io/quote', 'v17.0.0+incompatible', true],
];

void test('checkModule matches Go module.Check', () => {
  for (const [path, version, ok] of CHECK_CASES) {
    assert.equal(passes(() => checkModule(path, version)), ok, `${path}@${version}`);
  }
  assert.throws(() => checkModule('rsc io/quote', 'v1.0.0'), { code: 'INVALID_PATH' });
  assert.throws(() => checkModule('rsc.io/quote', '0.1.0'), {
    code: 'INVALID_VERSION',
    message: 'rsc.io/quote@0.1.0: invalid version: not a semantic version',
  });
  assert.throws(() => checkModule('github.com/go-yaml/yaml', 'v2.0.0'), {
    message: 'github.com/go-yaml/yaml@v2.0.0: invalid version: should be v0 or v1, not v2',
  });
  assert.throws(() => checkModule('github.com/go-yaml/yaml/v2', 'v3.0.0'), {
    message: 'github.com/go-yaml/yaml/v2@v3.0.0: invalid version: should be v2, not v3',
  });
  // module.Check does not require canonical versions.
  checkModule('rsc.io/quote', 'v1.5');
});

void test('checkVersion also requires canonical versions and sensible +incompatible', () => {
  for (const [path, version, ok] of CHECK_CASES) {
    assert.equal(passes(() => checkVersion(path, version)), ok, `${path}@${version}`);
  }
  const cases: ReadonlyArray<readonly [string, string, string | undefined]> = [
    ['rsc.io/quote', 'v1.5.2', undefined],
    ['rsc.io/quote', 'v1.5', 'rsc.io/quote@v1.5: invalid version: not a canonical version (use v1.5.0)'],
    ['rsc.io/quote', 'v1.5.2+meta', 'rsc.io/quote@v1.5.2+meta: invalid version: not a canonical version (use v1.5.2)'],
    ['rsc.io/quote', 'v1.5.2+incompatible', 'rsc.io/quote@v1.5.2+incompatible: invalid version: +incompatible suffix not allowed: major version v1 is compatible'],
    ['rsc.io/quote', 'v3.0.0+incompatible', undefined],
    ['rsc.io/quote/v3', 'v3.0.0+incompatible', 'rsc.io/quote/v3@v3.0.0+incompatible: invalid version: +incompatible suffix not allowed: module path includes a major version suffix, so major version must match'],
    ['rsc.io/quote', 'v0.0.0-20180709023419-0123456789ab', undefined],
  ];
  for (const [path, version, message] of cases) {
    if (message === undefined) checkVersion(path, version);
    else assert.throws(() => checkVersion(path, version), { code: 'INVALID_VERSION', message });
  }
});

void test('canonicalVersion keeps +incompatible; isCanonical', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['v1', 'v1.0.0'],
    ['v1.2', 'v1.2.0'],
    ['v1.2.3+meta', 'v1.2.3'],
    ['v2.0.0+incompatible', 'v2.0.0+incompatible'],
    ['v2+incompatible', ''],
    ['v2.0+incompatible', ''],
    ['bad', ''],
    ['', ''],
  ];
  for (const [v, want] of cases) {
    assert.equal(canonicalVersion(v), want, v);
    assert.equal(isCanonical(v), want !== '' && want === v, v);
  }
});

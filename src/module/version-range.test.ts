import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVersionRange } from './version-range.js';

test('version ranges match in Go semver order (prereleases and pseudo-versions included)', () => {
  const cases: Array<[range: string, version: string, matches: boolean]> = [
    ['>=v1.2.0 <v1.4.0', 'v1.2.0', true],
    ['>=v1.2.0 <v1.4.0', 'v1.3.9', true],
    ['>=v1.2.0 <v1.4.0', 'v1.4.0', false],
    ['>=v1.2.0 <v1.4.0', 'v1.4.0-rc.1', true], // a prerelease of v1.4.0 is below it
    ['>=v1.2.0 <v1.4.0', 'v1.2.0-rc.1', false], // and a prerelease of v1.2.0 below v1.2.0
    ['>=v1.2.0 <v1.4.0', 'v1.3.1-0.20240101000000-abcdefabcdef', true], // pseudo-version after v1.3.0
    ['>=v1.2.0 <v1.4.0', 'v1.1.9', false],
    ['<v1.0.0', 'v0.9.9', true],
    ['<v1.0.0', 'v1.0.0-alpha', true],
    ['<v1.0.0', 'v0.0.0-20200101000000-abcdefabcdef', true],
    ['<v1.0.0', 'v1.0.0', false],
    ['v1.2.3', 'v1.2.3', true],
    ['v1.2.3', 'v1.2.4', false],
    ['=v1.2', 'v1.2.0', true], // shorthands are canonicalised
    ['<=v2', 'v2.0.0', true],
    ['>v2.0.0', 'v2.0.0+incompatible', false], // build metadata ignored
    ['>=v2.0.0', 'v2.1.0+incompatible', true],
    ['<v1.0.0 || >=v2.0.0', 'v2.5.0', true],
    ['<v1.0.0 || >=v2.0.0', 'v1.5.0', false],
    ['>=v1.0.0-rc.2', 'v1.0.0-rc.10', true], // numeric identifiers compare as numbers
    ['>=v1.0.0-rc.2', 'v1.0.0-rc.1', false],
    ['>=v1.0.0-beta', 'v1.0.0-alpha', false], // alphanumeric identifiers compare as strings
    ['>=v1.0.0', 'not-a-version', false],
  ];
  for (const [range, version, matches] of cases) assert.equal(parseVersionRange(range).matches(version), matches, `${range} ∋ ${version}`);
});

test('a bad range is refused with the part and the accepted form', () => {
  assert.throws(() => parseVersionRange('>=1.2.0'), /"1\.2\.0" is not a Go semantic version \(expected e\.g\. v1\.2\.3, with the leading v\)/);
  assert.throws(() => parseVersionRange('v1.0.0 || '), /an empty range/);
  assert.throws(() => parseVersionRange('~>v1.0.0'), /"~>v1\.0\.0" is not a Go semantic version/);
});

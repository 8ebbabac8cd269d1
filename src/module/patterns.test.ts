// Tests for path.Match globs and prefix patterns; tables from Go's path/match_test.go and
// x/mod module_test.go (TestMatchPrefixPatterns).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { matchPrefixPatterns, pathMatch } from './patterns.js';

/** [pattern, name, matched, malformed pattern]. */
const MATCH_CASES: ReadonlyArray<readonly [string, string, boolean, boolean]> = [
  ['abc', 'abc', true, false],
  ['*', 'abc', true, false],
  ['*c', 'abc', true, false],
  ['a*', 'a', true, false],
  ['a*', 'abc', true, false],
  ['a*', 'ab/c', false, false],
  ['a*/b', 'abc/b', true, false],
  ['a*/b', 'a/c/b', false, false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true, false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true, false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false, false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false, false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true, false],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false, false],
  ['ab[c]', 'abc', true, false],
  ['ab[b-d]', 'abc', true, false],
  ['ab[e-g]', 'abc', false, false],
  ['ab[^c]', 'abc', false, false],
  ['ab[^b-d]', 'abc', false, false],
  ['ab[^e-g]', 'abc', true, false],
  ['a\\*b', 'a*b', true, false],
  ['a\\*b', 'ab', false, false],
  ['a?b', 'a☺b', true, false],
  ['a[^a]b', 'a☺b', true, false],
  ['a???b', 'a☺b', false, false],
  ['a[^a][^a][^a]b', 'a☺b', false, false],
  ['[a-ζ]*', 'α', true, false],
  ['*[a-ζ]', 'A', false, false],
  ['a?b', 'a/b', false, false],
  ['a*b', 'a/b', false, false],
  ['[\\]a]', ']', true, false],
  ['[\\-]', '-', true, false],
  ['[x\\-]', 'x', true, false],
  ['[x\\-]', '-', true, false],
  ['[x\\-]', 'z', false, false],
  ['[\\-x]', 'x', true, false],
  ['[\\-x]', '-', true, false],
  ['[\\-x]', 'a', false, false],
  ['[]a]', ']', false, true],
  ['[-]', '-', false, true],
  ['[x-]', 'x', false, true],
  ['[x-]', '-', false, true],
  ['[x-]', 'z', false, true],
  ['[-x]', 'x', false, true],
  ['[-x]', '-', false, true],
  ['[-x]', 'a', false, true],
  ['\\', 'a', false, true],
  ['[a-b-c]', 'a', false, true],
  ['[', 'a', false, true],
  ['[^', 'a', false, true],
  ['[^bc', 'a', false, true],
  ['a[', 'a', false, true],
  ['a[', 'ab', false, true],
  ['a[', 'x', false, true],
  ['a/b[', 'x', false, true],
  ['*x', 'xxx', true, false],
];

void test('pathMatch follows Go path.Match', () => {
  for (const [pattern, name, matched, badPattern] of MATCH_CASES) {
    assert.deepEqual(pathMatch(pattern, name), { matched, badPattern }, `pathMatch(${pattern}, ${name})`);
  }
});

/** [pattern list, target, matched]. */
const PREFIX_CASES: ReadonlyArray<readonly [string, string, boolean]> = [
  ['', 'rsc.io/quote', false],
  ['/', 'rsc.io/quote', false],
  ['*/quote', 'rsc.io/quote', true],
  ['*/quo', 'rsc.io/quote', false],
  ['*/quo??', 'rsc.io/quote', true],
  ['*/quo*', 'rsc.io/quote', true],
  ['*quo*', 'rsc.io/quote', false],
  ['rsc.io', 'rsc.io/quote', true],
  ['*.io', 'rsc.io/quote', true],
  ['rsc.io/', 'rsc.io/quote', true],
  ['rsc', 'rsc.io/quote', false],
  ['rsc*', 'rsc.io/quote', true],
  ['rsc.io', 'rsc.io/quote/v3', true],
  ['*/quote', 'rsc.io/quote/v3', true],
  ['*/quote/', 'rsc.io/quote/v3', true],
  ['*/quote/*', 'rsc.io/quote/v3', true],
  ['*/quote/*/', 'rsc.io/quote/v3', true],
  ['*/v3', 'rsc.io/quote/v3', false],
  ['*/*/v3', 'rsc.io/quote/v3', true],
  ['*/*/*', 'rsc.io/quote/v3', true],
  ['*/*/*/', 'rsc.io/quote/v3', true],
  ['*/*/*', 'rsc.io/quote', false],
  ['*/*/*/', 'rsc.io/quote', false],
  ['*/*/*,,', 'rsc.io/quote', false],
  ['*/*/*,,*/quote', 'rsc.io/quote', true],
  [',,*/quote', 'rsc.io/quote', true],
  // Beyond Go's table: the documented GOPRIVATE examples and malformed globs.
  ['*.corp.example.com', 'git.corp.example.com/x/y', true],
  ['*.corp.example.com', 'corp.example.com/x', false],
  ['rsc.io/private', 'rsc.io/private/x', true],
  ['rsc.io/private', 'rsc.io/privatex', false],
  ['example.com/[', 'example.com/[', false],
  ['example.com/[,rsc.io', 'rsc.io/quote', true],
  ['rsc.io', 'rsc.io', true],
  ['rsc.io/quote', 'rsc.io', false],
];

void test('matchPrefixPatterns follows Go module.MatchPrefixPatterns', () => {
  for (const [patterns, target, want] of PREFIX_CASES) {
    assert.equal(matchPrefixPatterns(patterns, target), want, `matchPrefixPatterns(${patterns}, ${target})`);
  }
});

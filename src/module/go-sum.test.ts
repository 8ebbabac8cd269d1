// Tests for go.sum parsing and formatting.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EMPTY_GO_MOD_HASH, formatGoSum, goSumLines, parseGoSum } from './go-sum.js';
import type { GoSumEntry } from './go-sum.js';

const SAMPLE = `golang.org/x/text v0.0.0-20170915032832-14c0d48ead0c h1:qgOY6WgZOaTkIIMiVjBQcw93ERBE4m30iBm00nkL0i8=
golang.org/x/text v0.0.0-20170915032832-14c0d48ead0c/go.mod h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=
rsc.io/quote v1.5.2 h1:w5fcysjrx7yqtD/aO+QwRjYZOKnaM9Uh2b40tElTs3Y=
rsc.io/quote v1.5.2/go.mod h1:LzX7hefJvL54yjefDEDHNONDjII0t9xZLPXsUe+TKr0=
`;

void test('parseGoSum reads entries and splits the /go.mod suffix', () => {
  const entries = parseGoSum(SAMPLE);
  assert.equal(entries.length, 4);
  assert.deepEqual(entries[2], {
    path: 'rsc.io/quote',
    version: 'v1.5.2',
    isGoMod: false,
    hash: 'h1:w5fcysjrx7yqtD/aO+QwRjYZOKnaM9Uh2b40tElTs3Y=',
  });
  assert.deepEqual(entries[3], {
    path: 'rsc.io/quote',
    version: 'v1.5.2',
    isGoMod: true,
    hash: 'h1:LzX7hefJvL54yjefDEDHNONDjII0t9xZLPXsUe+TKr0=',
  });
  assert.equal(formatGoSum(entries), SAMPLE);
});

void test('parseGoSum tolerates what the go command tolerates', () => {
  const cases: ReadonlyArray<readonly [string, number]> = [
    ['', 0],
    ['\n\n  \n', 0],
    ['a.b/c v1.0.0 h1:x\r\n', 1], // CRLF: \r is a field separator
    ['a.b/c\tv1.0.0   h1:x', 1], // no final newline, tabs
    [`a.b/c v1.0.0/go.mod ${EMPTY_GO_MOD_HASH}\n`, 0], // an old go command's bogus line is dropped
  ];
  for (const [text, count] of cases) assert.equal(parseGoSum(text).length, count, JSON.stringify(text));
});

void test('parseGoSum reports malformed lines with their numbers', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['a.b/c v1.0.0\n', 'malformed go.sum:\ngo.sum:1: wrong number of fields 2'],
    ['\na.b/c v1.0.0 h1:x\na.b/c v1.0.0 h1:x extra\n', 'malformed go.sum:\ngo.sum:3: wrong number of fields 4'],
    ['x\n', 'malformed go.sum:\ngo.sum:1: wrong number of fields 1'],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseGoSum(text), { code: 'UPSTREAM_BAD_RESPONSE', message }, JSON.stringify(text));
  }
  assert.throws(() => parseGoSum('x y\n', 'deps/go.sum'), { message: 'malformed go.sum:\ndeps/go.sum:1: wrong number of fields 2' });
});

void test('formatGoSum sorts by path, semver, then /go.mod, and drops duplicates', () => {
  const e = (path: string, version: string, isGoMod: boolean, hash = 'h1:x'): GoSumEntry => ({ path, version, isGoMod, hash });
  const entries = [
    e('rsc.io/sampler', 'v1.3.0', true),
    e('golang.org/x/text', 'v0.3.0', false),
    e('rsc.io/quote', 'v1.10.0', false),
    e('rsc.io/quote', 'v1.9.0', true),
    e('rsc.io/quote', 'v1.9.0', false),
    e('rsc.io/quote', 'v1.9.0', false),
    e('rsc.io/quote', 'v1.9.0-pre', false),
    e('rsc.io/quote', 'v1.9.0', false, 'h1:a'),
  ];
  assert.equal(
    formatGoSum(entries),
    [
      'golang.org/x/text v0.3.0 h1:x',
      'rsc.io/quote v1.9.0-pre h1:x',
      'rsc.io/quote v1.9.0 h1:a',
      'rsc.io/quote v1.9.0 h1:x',
      'rsc.io/quote v1.9.0/go.mod h1:x',
      'rsc.io/quote v1.10.0 h1:x',
      'rsc.io/sampler v1.3.0/go.mod h1:x',
      '',
    ].join('\n'),
  );
  assert.equal(formatGoSum([]), '');
});

void test('goSumLines gives the checksum database record text', () => {
  assert.equal(
    goSumLines('rsc.io/quote', 'v1.5.2', 'h1:zip=', 'h1:mod='),
    'rsc.io/quote v1.5.2 h1:zip=\nrsc.io/quote v1.5.2/go.mod h1:mod=\n',
  );
});

// Tests for pseudo-versions; tables from Go's module/pseudo_test.go plus time edge cases.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  ZERO_TIME,
  decDecimal,
  formatPseudoVersionTime,
  incDecimal,
  isPseudoVersion,
  isZeroPseudoVersion,
  pseudoVersion,
  pseudoVersionBase,
  pseudoVersionRev,
  pseudoVersionTime,
  zeroPseudoVersion,
} from './pseudo.js';

/** [major, older tag, resulting pseudo-version] at PSEUDO_TIME with rev "hash". */
const PSEUDO_CASES: ReadonlyArray<readonly [string, string, string]> = [
  ['', '', 'v0.0.0-20060102150405-hash'],
  ['v0', '', 'v0.0.0-20060102150405-hash'],
  ['v1', '', 'v1.0.0-20060102150405-hash'],
  ['v2', '', 'v2.0.0-20060102150405-hash'],
  ['unused', 'v0.0.0', 'v0.0.1-0.20060102150405-hash'],
  ['unused', 'v1.2.3', 'v1.2.4-0.20060102150405-hash'],
  ['unused', 'v1.2.99999999999999999', 'v1.2.100000000000000000-0.20060102150405-hash'],
  ['unused', 'v1.2.3-pre', 'v1.2.3-pre.0.20060102150405-hash'],
  ['unused', 'v1.3.0-pre', 'v1.3.0-pre.0.20060102150405-hash'],
  ['unused', 'v0.0.0--', 'v0.0.0--.0.20060102150405-hash'],
  ['unused', 'v1.0.0+metadata', 'v1.0.1-0.20060102150405-hash+metadata'],
  ['unused', 'v2.0.0+incompatible', 'v2.0.1-0.20060102150405-hash+incompatible'],
  ['unused', 'v2.3.0-pre+incompatible', 'v2.3.0-pre.0.20060102150405-hash+incompatible'],
];

const PSEUDO_TIME = new Date(Date.UTC(2006, 0, 2, 15, 4, 5));

void test('pseudoVersion builds all three forms', () => {
  for (const [major, older, want] of PSEUDO_CASES) {
    assert.equal(pseudoVersion(major, older, PSEUDO_TIME, 'hash'), want, `${major} ${older}`);
  }
  // The time is always formatted in UTC, whatever offset the Date was built with.
  assert.equal(
    pseudoVersion('', 'v1.0.0', new Date('2019-05-10T12:41:15+02:00'), 'cbcb75029529'),
    'v1.0.1-0.20190510104115-cbcb75029529',
  );
});

void test('isPseudoVersion', () => {
  for (const [, older, version] of PSEUDO_CASES) {
    assert.equal(isPseudoVersion(version), true, version);
    assert.equal(isPseudoVersion(older), false, older);
  }
  const notPseudo = [
    'v1.0.0',
    'v1.0.0-rc.1',
    'v0.0.0-2006010215040-hash', // 13 digits
    'v0.0.0-200601021504055-hash', // 15 digits
    'v1.2.3-20060102150405-hash', // no-base form needs X.0.0
    'v1.2.3-1.20060102150405-hash', // "-0." required after the base
    'v0.0.0-20060102150405-ha_sh',
    'v0.0.0-20060102150405-',
    '0.0.0-20060102150405-hash',
    'v0.0.0-20060102150405-hash+',
  ];
  for (const v of notPseudo) assert.equal(isPseudoVersion(v), false, v);
});

void test('pseudoVersionTime', () => {
  for (const [, older, version] of PSEUDO_CASES) {
    assert.equal(pseudoVersionTime(version).getTime(), PSEUDO_TIME.getTime(), version);
    if (older !== '') assert.throws(() => pseudoVersionTime(older), { code: 'INVALID_VERSION' }, older);
  }
  assert.throws(() => pseudoVersionTime('---'), { message: 'pseudo-version "---" invalid: syntax error' });
  const badTimes = ['20061302150405', '20060100150405', '20060230150405', '20060102240405', '20060102156005', '20060102150460', '20050229000000'];
  for (const ts of badTimes) {
    const v = `v0.0.0-${ts}-hash`;
    assert.throws(() => pseudoVersionTime(v), { message: `pseudo-version "${v}" invalid: malformed time "${ts}"` });
  }
  assert.equal(pseudoVersionTime('v0.0.0-20040229235959-hash').toISOString(), '2004-02-29T23:59:59.000Z');
  assert.equal(pseudoVersionTime('v0.0.0-00010101000000-000000000000').getTime(), ZERO_TIME.getTime());
  assert.equal(pseudoVersionTime('v0.0.0-00500101000000-hash').getUTCFullYear(), 50);
});

void test('pseudoVersionRev', () => {
  for (const [, older, version] of PSEUDO_CASES) {
    assert.equal(pseudoVersionRev(version), 'hash', version);
    if (older !== '') assert.throws(() => pseudoVersionRev(older), { code: 'INVALID_VERSION' });
  }
});

void test('pseudoVersionBase', () => {
  for (const [, older, version] of PSEUDO_CASES) assert.equal(pseudoVersionBase(version), older, version);
  const invalid = [
    'v0.0.0',
    'v0.0.0-',
    'v0.0.0-0.20060102150405-hash',
    'v0.1.0-0.20060102150405-hash',
    'v1.0.0-0.20060102150405-hash',
    'v0.0.0-20060102150405-hash+incompatible',
    'v0.0.0-20060102150405-hash+metadata',
  ];
  for (const v of invalid) assert.throws(() => pseudoVersionBase(v), { code: 'INVALID_VERSION' }, v);
  assert.throws(() => pseudoVersionBase('v1.0.0-0.20060102150405-hash'), {
    message: 'pseudo-version "v1.0.0-0.20060102150405-hash" invalid: version before v1.0.0 would have negative patch number',
  });
});

void test('zero pseudo-versions', () => {
  assert.equal(formatPseudoVersionTime(ZERO_TIME), '00010101000000');
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['', 'v0.0.0-00010101000000-000000000000'],
    ['v0', 'v0.0.0-00010101000000-000000000000'],
    ['v2', 'v2.0.0-00010101000000-000000000000'],
  ];
  for (const [major, want] of cases) {
    assert.equal(zeroPseudoVersion(major), want);
    assert.equal(isZeroPseudoVersion(want), true);
  }
  assert.equal(isZeroPseudoVersion('v0.0.0-20060102150405-000000000000'), false);
  assert.equal(isZeroPseudoVersion('v1.0.0'), false);
});

void test('incDecimal and decDecimal', () => {
  const inc: ReadonlyArray<readonly [string, string]> = [['0', '1'], ['1', '2'], ['99', '100'], ['100', '101'], ['101', '102']];
  for (const [input, want] of inc) assert.equal(incDecimal(input), want);
  const dec: ReadonlyArray<readonly [string, string]> = [
    ['', ''], ['0', ''], ['00', ''], ['1', '0'], ['2', '1'], ['99', '98'], ['100', '99'], ['101', '100'],
  ];
  for (const [input, want] of dec) assert.equal(decDecimal(input), want, input);
});
